"""Targets for what a kiosk reads off a paper card, an ID card or a keyboard: the legacy BHYT QR, the
chip ID card's printed QR and card numbers."""

from __future__ import annotations

import json
from contextlib import suppress

from hypothesis import strategies as st

from bench.fuzz.harness import ACCEPTED, Target, Unexpected, known, to_text, to_utf8
from bench.fuzz.mutations import MUTATIONS, RANDOMS, mutated_text
from verifier.domain.card_number import CardNumberProblem, normalise, parse_card_number
from verifier.domain.cccd_qr import CccdQrProblem, looks_like_cccd_qr, parse_cccd_qr
from verifier.domain.legacy_qr import MALFORMED as QR_MALFORMED
from verifier.domain.legacy_qr import LegacyQrProblem, parse_legacy_qr
from verifier.errors import BadRequest


def _hexed(text: str) -> str:
    return text.encode().hex()


QR_OLD = (
    "GD4404016354956",
    _hexed("Nguyễn Văn An"),
    "01/05/1990",
    "1",
    _hexed("Số 12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh"),
    "40 - C54",
    "01/01/2026",
    "31/12/2026",
    "15/12/2025",
    "40054016354956",
    "-",
    "4",
    "01/01/2028",
    "1f2fa22c47f0bd18-7102",
)
QR_NEW = (
    "0123456789",
    _hexed("Trần Thị Bích Ngọc"),
    "29/03/1988",
    "2",
    "-",
    "01 - C54",
    "01/07/2023",
    "-",
    "31/07/2023",
    "01050123456789",
    "-",
    "4",
    " 01/10/2027",
    "4641c59ff02659c3-1202",
    "4",
    _hexed("Bảo hiểm xã hội quận Cầu Giấy, Thành phố Hà Nội"),
)
QR_SHORT = (*QR_OLD[:6], "24/01/2019", "-", "24/01/2019")
QR_LAYOUTS = (QR_OLD, QR_NEW, QR_SHORT)
QR_TEXTS = tuple("|".join(fields) + "|$" for fields in QR_LAYOUTS)
QR_EDGES: tuple[str, ...] = (
    "",
    "-",
    " ",
    "$",
    "|",
    "0",
    "1",
    "2",
    "3",
    "00/00/0000",
    "31/02/2024",
    "1/7/2017",
    "0000",
    "9999",
)
QR_EDGES += (
    "01 - C54",
    "01\u2013C54",
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
    "GD440401635495\uff15",
    "\uff27\uff244404016354956",
    "ﬀ",
    "\x00",
    "\ufeff",
)
QR_EDGES += ("gd4404016354956", "29/02/2023", "01/01/10000", "00", "c3", "e1bb", "0a", "ZZ", "1" * 300)


@st.composite
def qr_fields(draw: st.DrawFn) -> str:
    """A real QR with fields replaced, dropped, doubled or re-hexed, and a different ending."""
    rng = draw(RANDOMS)
    fields = list(rng.choice(QR_LAYOUTS))
    for _ in range(draw(MUTATIONS)):
        op = rng.choice(("replace", "edge", "edge", "drop", "dup", "hex", "pipes"))
        at = rng.randrange(len(fields)) if fields else 0
        if op == "replace" and fields:
            fields[at] = draw(SHORT_TEXT)
        elif op == "edge" and fields:
            fields[at] = rng.choice(QR_EDGES)
        elif op == "drop" and fields:
            del fields[at]
        elif op == "dup" and fields:
            fields[at:at] = [fields[at]] * rng.choice((1, 2, 20))
        elif op == "hex" and fields:
            raw = rng.randbytes(rng.randrange(30)) if rng.random() < 0.5 else to_utf8(draw(SHORT_TEXT))
            fields[at] = raw.hex().upper() if rng.random() < 0.5 else raw.hex()
        else:
            fields.insert(at, "|" * rng.randint(1, 5))
    return "|".join(fields) + rng.choice(("|$", "$", "|$\r\n", "", "|$X", " | $ ", "$$", "|$\x00"))


SHORT_TEXT = st.text(max_size=30)


def run_legacy_qr(text: str) -> str:
    try:
        qr = parse_legacy_qr(text)
    except LegacyQrProblem as e:
        return known(e.code, frozenset({QR_MALFORMED}))
    json.dumps(qr.to_json_dict())
    with suppress(CardNumberProblem):  # the check-in judges the number as a card: a verdict, never an error
        parse_card_number(qr.number)
    _ = qr.social_insurance_number
    return ACCEPTED


CCCD_QR_FIELDS = (
    "040090001234",
    "186543210",
    "Nguyễn Văn An",
    "01051990",
    "Nam",
    "Số 12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
    "15042021",
)
CCCD_QR_LABELS = ("CCCD:", "CMND:", "Họ tên:", "Ngày sinh:", "Giới tính:", "Địa chỉ:", "Ngày cấp:")
CCCD_QR_TEXTS = (
    "|".join(CCCD_QR_FIELDS),
    "001305012345||Trần Thị Bích Ngọc|29032005|Nữ|Quận Cầu Giấy, Hà Nội|10072021|extra",
    "|".join(label + value for label, value in zip(CCCD_QR_LABELS, CCCD_QR_FIELDS, strict=True)),
)
CCCD_QR_EDGES: tuple[str, ...] = ("Nữ", "Nu\u0303", "NAM", "1990", "29022023", "01/05/1990", "0" * 12)
CCCD_QR_EDGES += ("\uff1a", "Họ tên:", ":")


@st.composite
def cccd_qr_fields(draw: st.DrawFn) -> str:
    """A real CCCD QR with fields replaced, dropped, doubled or labelled, and a different ending."""
    rng = draw(RANDOMS)
    fields = list(CCCD_QR_FIELDS)
    for _ in range(draw(MUTATIONS)):
        op = rng.choice(("replace", "edge", "edge", "drop", "dup", "label"))
        at = rng.randrange(len(fields)) if fields else 0
        if op == "replace" and fields:
            fields[at] = draw(SHORT_TEXT)
        elif op == "edge" and fields:
            fields[at] = rng.choice((*CCCD_QR_EDGES, *QR_EDGES))
        elif op == "drop" and fields:
            del fields[at]
        elif op == "dup" and fields:
            fields[at:at] = [fields[at]] * rng.choice((1, 2, 20))
        elif fields:
            fields[at] = rng.choice(CCCD_QR_LABELS) + fields[at]
    return "|".join(fields) + rng.choice(("", "|", "\r\n", "$", "|$", "||"))


def run_cccd_qr(text: str) -> str:
    """What `VerifyScan` does with a scan that may be a CCCD QR: whatever parses must also be routed
    to this parser (`looks_like_cccd_qr`), and must agree with its own number."""
    try:
        qr = parse_cccd_qr(text)
    except CccdQrProblem as e:
        return known(e.code, frozenset({QR_MALFORMED}))
    if not looks_like_cccd_qr(text):
        raise Unexpected("unrouted: a CCCD QR that parses would not be sent to its parser by VerifyScan")
    json.dumps(qr.to_json_dict(), ensure_ascii=False)
    if len(qr.personal_id) != 12 or not qr.name:
        raise Unexpected("accepted without a 12-digit number or a name")
    return ACCEPTED


CARD_NUMBER_SAMPLES = (
    "GD4404016354956",
    "4016354956",
    "GD4 40 40163 54956",
    "gd-440-4016354956",
    "079090001234",
)
CARD_NUMBER_CODES = frozenset({"051", "052", "053"})


def run_card_number(text: str) -> str:
    """What `VerifyCard` does with a typed number: 205 for a bad request, a VSS code for a bad card."""
    try:
        number = parse_card_number(normalise(text))
    except BadRequest as e:
        return known(e.code, frozenset({BadRequest.code}))
    except CardNumberProblem as e:
        return known(e.reason, CARD_NUMBER_CODES)
    if parse_card_number(number.text) != number:
        raise Unexpected("unstable: a parsed card number does not parse back to itself")
    return ACCEPTED


CARD_TARGETS: tuple[Target, ...] = (
    Target(
        "legacy-qr",
        "domain.legacy_qr.parse_legacy_qr",
        lambda: st.one_of(st.text(max_size=300), qr_fields(), mutated_text(QR_TEXTS)),
        run_legacy_qr,
        to_text,
    ),
    Target(
        "cccd-qr",
        "domain.cccd_qr.parse_cccd_qr (+ looks_like_cccd_qr)",
        lambda: st.one_of(st.text(max_size=300), cccd_qr_fields(), mutated_text(CCCD_QR_TEXTS)),
        run_cccd_qr,
        to_text,
    ),
    Target(
        "card-number",
        "domain.card_number.normalise + parse_card_number",
        lambda: st.one_of(st.text(max_size=40), mutated_text(CARD_NUMBER_SAMPLES)),
        run_card_number,
        to_text,
    ),
)
