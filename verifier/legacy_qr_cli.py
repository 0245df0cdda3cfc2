"""`python -m verifier qr parse QR [--json]`: decode a scanned printed QR without a server: the
legacy BHYT card QR (`"kind": "bhyt"`) or the chip ID card's QR (`"kind": "cccd"`).

Why a command: support staff paste what a kiosk's scanner produced to see what the card claims
and why a scan is refused. Offline and side-effect free: nothing is judged or recorded. The kind is
told as `CheckIn.VerifyScan` tells it (`looks_like_cccd_qr`), so what this prints is what the
kiosk's scan was read as. A bad QR is one `error: Q01 …` line on stderr (plus a JSON error object
with --json) and exit code 2, never a traceback. The listing is for people at a Vietnamese front
desk: Vietnamese labels first, the JSON name beside each.
"""

from __future__ import annotations

import argparse
import json
import sys

from verifier.domain.cccd_qr import CccdQr, CccdQrProblem, looks_like_cccd_qr, parse_cccd_qr
from verifier.domain.legacy_qr import MAX_QR_LENGTH, LegacyQr, LegacyQrProblem, parse_legacy_qr

EXIT_OK = 0
EXIT_MALFORMED = 2
# UTF-8 needs at most 4 bytes a character: more than this on stdin cannot be a QR.
_STDIN_LIMIT = 4 * MAX_QR_LENGTH + 64
KIND_BHYT, KIND_CCCD = "bhyt", "cccd"

# JSON name -> Vietnamese label, for the listing.
LABELS_VI = {
    "kind": "Loại mã",
    "layout": "Bố cục",
    "number": "Mã thẻ",
    "social_insurance_number": "Mã số BHXH",
    "personal_id": "Số định danh cá nhân",
    "old_id": "Số CMND cũ",
    "name": "Họ và tên",
    "date_of_birth": "Ngày sinh",
    "gender": "Giới tính",
    "address": "Địa chỉ",
    "registered_facility": "Nơi đăng ký KCB ban đầu",
    "valid_from": "Giá trị từ ngày",
    "valid_to": "Giá trị đến ngày",
    "issued_on": "Ngày cấp",
    "five_years_from": "Thời điểm đủ 5 năm liên tục",
    "issuer": "Nơi cấp",
}
# Value -> Vietnamese, for the values that are words rather than data.
VALUES_VI = {
    KIND_BHYT: "Thẻ BHYT",
    KIND_CCCD: "Căn cước công dân",
    "card_number": "mã thẻ 15 ký tự",
    "social_insurance_number": "mã số BHXH 10 chữ số",
    "male": "Nam",
    "female": "Nữ",
}


def add_qr_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `qr parse` to the verifier's command line (wired in by `verifier.cli`)."""
    qr = sub.add_parser("qr", help="work with printed (unsigned) QR codes: the BHYT card's, the CCCD's")
    actions = qr.add_subparsers(required=True, metavar="ACTION")
    parse = actions.add_parser(
        "parse",
        help="decode a scanned BHYT or CCCD QR and print what it claims",
        description="Decode the text of a legacy BHYT QR (card-number or social-insurance-number "
        "layout) or of the chip ID card's QR (12-digit number first). Exit 0 when well-formed, "
        "2 (error Q01) when not.",
    )
    parse.add_argument("qr", metavar="QR", help="the scanned text, or - to read it from stdin")
    parse.add_argument("--json", action="store_true", help="print one JSON object")
    parse.set_defaults(run=run_qr_parse)


def run_qr_parse(args: argparse.Namespace) -> int:
    """Print the decoded QR (or the reason it is malformed) and return the exit code."""
    try:
        text = _read_stdin() if args.qr == "-" else args.qr
        qr = parse_cccd_qr(text) if looks_like_cccd_qr(text) else parse_legacy_qr(text)
    except (LegacyQrProblem, CccdQrProblem) as e:
        print(f"error: {e.code} {e.message}", file=sys.stderr)
        if args.json:
            print(json.dumps({"error": {"code": e.code, "message": e.message}}, ensure_ascii=False))
        return EXIT_MALFORMED
    if args.json:
        print(json.dumps(as_json(qr), ensure_ascii=False))
    else:
        print(_listing(qr))
    return EXIT_OK


def as_json(qr: LegacyQr | CccdQr) -> dict[str, str]:
    """The decoded fields, `kind` first: "bhyt" (the legacy card QR's fields) or "cccd"."""
    kind = KIND_CCCD if isinstance(qr, CccdQr) else KIND_BHYT
    return {"kind": kind, **qr.to_json_dict()}


def _read_stdin() -> str:
    """The QR text piped in; bounded, and strictly UTF-8 so a wrong encoding is named, not guessed."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text-only stdin (e.g. replaced in tests)
        raw_text: str = sys.stdin.read(MAX_QR_LENGTH + 1)
        return raw_text
    raw: bytes = stream.read(_STDIN_LIMIT + 1)
    if len(raw) > _STDIN_LIMIT:
        raise LegacyQrProblem(
            f"stdin holds more than {_STDIN_LIMIT} bytes; a BHYT QR is at most {MAX_QR_LENGTH} characters"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LegacyQrProblem(f"stdin is not UTF-8 text (byte {e.start + 1} is wrong)") from e


def _listing(qr: LegacyQr | CccdQr) -> str:
    """`Nhãn (name): giá trị` lines, Vietnamese first, values aligned, in the card's order; absent
    fields are left out."""
    fields = as_json(qr)
    rows = [("kind", fields.pop("kind"))]
    if isinstance(qr, LegacyQr):
        rows += [("layout", qr.layout.value), ("number", fields.pop("number"))]
        rows.append(("social_insurance_number", qr.social_insurance_number))
    rows += [(key, value) for key, value in fields.items() if value]
    labels = [f"{LABELS_VI[key]} ({key}):" for key, _ in rows]
    width = max(len(label) for label in labels)
    values = [_value_vi(value) for _, value in rows]
    return "\n".join(f"{label:<{width}} {value}" for label, value in zip(labels, values, strict=True))


def _value_vi(value: str) -> str:
    """A word value in Vietnamese with the JSON value beside it ("Nam (male)"); data as is."""
    return f"{VALUES_VI[value]} ({value})" if value in VALUES_VI else value
