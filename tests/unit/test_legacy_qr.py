"""The legacy BHYT QR: both layouts decode, every malformed scan is Q01, and nothing else escapes.

The QR texts are built here by a small encoder that follows the field table in
`verifier.domain.legacy_qr` (names and addresses hex-encoded UTF-8); the people are made up.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.domain.legacy_qr import (
    MAX_QR_LENGTH,
    LegacyQr,
    LegacyQrProblem,
    QrLayout,
    parse_legacy_qr,
)
from verifier.domain.participation import Gender
from verifier.legacy_qr_cli import add_qr_parser

ROOT = Path(__file__).resolve().parents[2]
JSON_FIELDS = [
    "number",
    "name",
    "date_of_birth",
    "gender",
    "address",
    "registered_facility",
    "valid_from",
    "valid_to",
    "issued_on",
    "five_years_from",
    "issuer",
]


def hexed(text: str, *, upper: bool = False) -> str:
    digits = text.encode("utf-8").hex()
    return digits.upper() if upper else digits


def dmy(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def qr_text(fields: list[str]) -> str:
    return "|".join(fields) + "|$"


def replaced(fields: list[str], position: int, value: str) -> str:
    """The QR with field `position` (1-based, as in the error messages) set to `value`."""
    changed = list(fields)
    changed[position - 1] = value
    return qr_text(changed)


# Card-number layout, all 14 fields (an older printed card).
OLD = [
    "GD4404016354956",
    hexed("Nguyễn Văn An"),
    "01/05/1990",
    "1",
    hexed("Số 12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh"),
    "40 - C54",
    "01/01/2026",
    "31/12/2026",
    "15/12/2025",
    "40054016354956",
    "-",
    "4",
    "01/01/2028",
    "1f2fa22c47f0bd18-7102",
]
# Social-insurance-number layout, all 16 fields (VssID / cards since 2021).
NEW = [
    "0123456789",
    hexed("Trần Thị Bích Ngọc"),
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
    hexed("Bảo hiểm xã hội quận Cầu Giấy, Thành phố Hà Nội"),
]


def test_card_number_layout_decodes_every_field() -> None:
    qr = parse_legacy_qr(qr_text(OLD))
    assert qr.layout is QrLayout.CARD_NUMBER
    assert qr.social_insurance_number == "4016354956"
    assert qr.gender is Gender.MALE and not qr.birth_year_only
    assert qr.to_json_dict() == {
        "number": "GD4404016354956",
        "name": "Nguyễn Văn An",
        "date_of_birth": "1990-05-01",
        "gender": "male",
        "address": "Số 12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        "registered_facility": "40 - C54",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "issued_on": "2025-12-15",
        "five_years_from": "2028-01-01",
    }


def test_social_insurance_number_layout_decodes_and_omits_dash_fields() -> None:
    qr = parse_legacy_qr(qr_text(NEW))
    assert qr.layout is QrLayout.SOCIAL_INSURANCE_NUMBER
    assert qr.social_insurance_number == qr.number == "0123456789"
    assert qr.address == "" and qr.valid_to is None
    assert qr.to_json_dict() == {
        "number": "0123456789",
        "name": "Trần Thị Bích Ngọc",
        "date_of_birth": "1988-03-29",
        "gender": "female",
        "registered_facility": "01 - C54",
        "valid_from": "2023-07-01",
        "issued_on": "2023-07-31",
        "five_years_from": "2027-10-01",
        "issuer": "Bảo hiểm xã hội quận Cầu Giấy, Thành phố Hà Nội",
    }


def test_json_names_are_exactly_the_documented_ones_in_order() -> None:
    fields = [*OLD, "4", hexed("Bảo hiểm xã hội Thành phố Hồ Chí Minh")]
    assert list(parse_legacy_qr(qr_text(fields)).to_json_dict()) == JSON_FIELDS


def test_shortest_card_ends_after_the_issue_date() -> None:
    qr = parse_legacy_qr(qr_text(OLD[:9]))
    assert qr.issued_on == date(2025, 12, 15)
    assert qr.five_years_from is None and qr.issuer == ""
    assert "five_years_from" not in qr.to_json_dict()


def test_year_only_date_of_birth() -> None:
    qr = parse_legacy_qr(replaced(OLD, 3, "1958"))
    assert qr.birth_year_only and qr.date_of_birth == date(1958, 1, 1)
    assert qr.to_json_dict()["date_of_birth"] == "1958"


def test_stray_spaces_case_and_line_endings_are_tolerated() -> None:
    name_hex = hexed("Nguyễn Văn An", upper=True)
    spaced_name = " ".join(name_hex[i : i + 4] for i in range(0, len(name_hex), 4))
    fields = [
        "  gd4 40 4016354956 ",
        f" {spaced_name} ",
        " 1/5/1990 ",
        " 1 ",
        " - ",
        "40-c54",
        "01 / 01 / 2026",
        "",
        " 15/12/2025",
    ]
    qr = parse_legacy_qr("\ufeff " + "|".join(fields) + " | $ \r\n")
    assert qr.number == "GD4404016354956"
    assert qr.name == "Nguyễn Văn An"
    assert qr.date_of_birth == date(1990, 5, 1)
    assert qr.registered_facility == "40 - C54"
    assert qr.valid_from == date(2026, 1, 1) and qr.valid_to is None
    assert qr.address == ""


@pytest.mark.parametrize(
    ("printed", "normalised"),
    [("01 - C54", "01 - C54"), ("01-c54", "01 - C54"), ("01 \u2013 028", "01 - 028"), ("01043", "01 - 043")],
)
def test_registered_facility_spacing_is_normalised(printed: str, normalised: str) -> None:
    assert parse_legacy_qr(replaced(NEW, 6, printed)).registered_facility == normalised


def test_dollar_may_follow_the_last_field_directly() -> None:
    assert parse_legacy_qr("|".join(OLD) + "$").five_years_from == date(2028, 1, 1)


def test_whitespace_inside_a_name_is_collapsed() -> None:
    assert (
        parse_legacy_qr(replaced(NEW, 2, hexed("  Trần   Thị\u00a0Bích Ngọc "))).name == "Trần Thị Bích Ngọc"
    )


@pytest.mark.parametrize(
    ("text", "field", "says"),
    [
        ("", None, "empty"),
        ("  \r\n", None, "empty"),
        ("A" * (MAX_QR_LENGTH + 1), None, f"{MAX_QR_LENGTH + 1} characters"),
        ("|".join(OLD), None, "does not end with '$'"),
        ("|".join(OLD) + "|$X", None, "does not end with '$'"),
        (qr_text(OLD[:8]), None, "8 field(s)"),
        ("$", None, "1 field(s)"),
        (replaced(OLD, 1, "GD440401635495"), 1, "neither a 15-character card number"),
        (replaced(OLD, 1, "4016354956X"), 1, "10-digit social insurance number"),
        (replaced(OLD, 1, "G14404016354956"), 1, "2 letters, 13 digits"),
        (replaced(OLD, 1, "-"), 1, "is empty"),
        (replaced(OLD, 1, "\ufb004404016354956"), 1, "neither"),  # 'ﬀ' upper-cases to 'FF'
        (replaced(OLD, 1, "GD44040163549\u0665\u0666"), 1, "neither"),  # Arabic-Indic digits
        (replaced(OLD, 2, "Nguyen Van An"), 2, "is not hexadecimal"),
        (replaced(OLD, 2, "4e6"), 2, "odd number of hex digits"),
        (replaced(OLD, 2, "4eff"), 2, "is not UTF-8"),
        (replaced(OLD, 2, "c3"), 2, "is not UTF-8"),
        (replaced(OLD, 2, hexed("An\x00")), 2, "control characters"),
        (replaced(OLD, 2, "-"), 2, "field 2 (name) is empty"),
        (replaced(OLD, 2, hexed("   ")), 2, "blank"),
        (replaced(OLD, 3, "31/02/1990"), 3, "not a calendar date"),
        (replaced(OLD, 3, "1990-05-01"), 3, "dd/mm/yyyy or yyyy"),
        (replaced(OLD, 3, "0000"), 3, "does not exist"),
        (replaced(OLD, 3, "-"), 3, "is empty"),
        (replaced(OLD, 4, "3"), 4, "expected 1 (male) or 2 (female)"),
        (replaced(OLD, 4, "Nam"), 4, "expected 1 (male) or 2 (female)"),
        (replaced(OLD, 5, "Hà Nội"), 5, "field 5 (address)"),
        (replaced(OLD, 6, "Bệnh viện C"), 6, "is not a facility code"),
        (replaced(OLD, 6, "01 - \ufb001"), 6, "is not a facility code"),
        (replaced(OLD, 7, "2026-01-01"), 7, "field 7 (valid from)"),
        (replaced(OLD, 8, "32/12/2026"), 8, "field 8 (valid to)"),
        (replaced(OLD, 9, "00/12/2025"), 9, "field 9 (issue date)"),
        (replaced(OLD, 13, "01/13/2028"), 13, "field 13 (five years from)"),
        (replaced(NEW, 16, "Bảo hiểm xã hội"), 16, "field 16 (issuer)"),
    ],
)
def test_every_malformed_qr_is_q01_naming_the_field(text: str, field: int | None, says: str) -> None:
    with pytest.raises(LegacyQrProblem) as info:
        parse_legacy_qr(text)
    problem = info.value
    assert problem.code == "Q01"
    assert problem.field == field
    assert says in str(problem) and str(problem) == problem.message
    if field is not None:
        assert str(problem).startswith(f"field {field} (")


def test_a_long_bad_value_is_shortened_in_the_message() -> None:
    with pytest.raises(LegacyQrProblem) as info:
        parse_legacy_qr(replaced(OLD, 2, "x" * 500))
    assert len(str(info.value)) < 200


def test_problem_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_legacy_qr("not a qr")


# --- properties ------------------------------------------------------------------------------


def parses_or_is_q01(text: str) -> None:
    """The only acceptable outcomes: a LegacyQr that serialises, or a Q01 problem with a message."""
    try:
        qr = parse_legacy_qr(text)
    except LegacyQrProblem as e:
        assert e.code == "Q01" and e.message
        return
    assert isinstance(qr, LegacyQr)
    json.dumps(qr.to_json_dict(), ensure_ascii=False)


@settings(deadline=None)
@given(st.text(max_size=3000))
def test_any_text_parses_or_is_q01(text: str) -> None:
    parses_or_is_q01(text)


plausible_field = st.one_of(
    st.text(max_size=24),
    st.sampled_from(["", "-", " ", "1", "2", "$", "|", "0000", "1958", "29/02/2023", "01 - C54"]),
    st.binary(max_size=24).map(bytes.hex),
    st.text(max_size=12).map(hexed),
    st.builds(
        lambda d, m, y: f"{d}/{m}/{y}", st.integers(-1, 40), st.integers(-1, 14), st.integers(0, 10000)
    ),
    st.from_regex(r"[A-Z]{2}[0-9]{13}", fullmatch=True),
    st.from_regex(r"[0-9]{10}", fullmatch=True),
)
endings = st.sampled_from(["", "$", "|$", "|$\n", "$  ", " | $\r\n"])


@settings(deadline=None)
@given(st.lists(plausible_field, max_size=20), endings)
def test_pipe_joined_random_fields_parse_or_are_q01(fields: list[str], ending: str) -> None:
    parses_or_is_q01("|".join(fields) + ending)


@settings(deadline=None)
@given(st.sampled_from([OLD, NEW]), st.data())
def test_a_valid_qr_with_one_field_scrambled_parses_or_is_q01(base: list[str], data: st.DataObject) -> None:
    position = data.draw(st.integers(1, len(base)))
    parses_or_is_q01(replaced(base, position, data.draw(plausible_field)))


@dataclass(frozen=True)
class Card:
    """Expected values and the QR text a test-side encoder made of them."""

    layout: QrLayout
    number: str
    name: str
    date_of_birth: date
    birth_year_only: bool
    gender: Gender
    address: str
    registered_facility: str
    valid_from: date | None
    valid_to: date | None
    issued_on: date | None
    five_years_from: date | None
    issuer: str
    text: str


VIETNAMESE = "ĂăÂâĐđÊêÔôƠơƯưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ "
words = st.text(
    alphabet=st.one_of(
        st.sampled_from(VIETNAMESE), st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))
    ),
    min_size=1,
    max_size=30,
).filter(lambda s: bool(s.split()))
optional_words = st.one_of(st.just(""), words)
optional_dates = st.one_of(st.none(), st.dates())
padding = st.sampled_from(["", " ", "  "])


@st.composite
def cards(draw: st.DrawFn) -> Card:
    layout = draw(st.sampled_from(QrLayout))
    if layout is QrLayout.CARD_NUMBER:
        number = draw(st.from_regex(r"[A-Z]{2}[0-9]{13}", fullmatch=True))
        address = draw(optional_words)
    else:
        number = draw(st.from_regex(r"[0-9]{10}", fullmatch=True))
        address = ""  # the newer layout no longer prints the address
    name = draw(words)
    birth_year_only = draw(st.booleans())
    dob = date(draw(st.integers(1, 9999)), 1, 1) if birth_year_only else draw(st.dates())
    gender = draw(st.sampled_from([Gender.MALE, Gender.FEMALE]))
    facility = draw(
        st.one_of(
            st.just(""),
            st.builds(
                lambda p, c: f"{p} - {c}",
                st.from_regex(r"[0-9]{2}", fullmatch=True),
                st.from_regex(r"[A-Z0-9]{2,5}", fullmatch=True),
            ),
        )
    )
    valid_from, valid_to, issued_on, five_years = (draw(optional_dates) for _ in range(4))
    issuer = draw(optional_words) if layout is QrLayout.SOCIAL_INSURANCE_NUMBER else ""
    upper = draw(st.booleans())

    def text(value: str) -> str:
        return hexed(value, upper=upper) if value else "-"

    def day(value: date | None) -> str:
        return dmy(value) if value else "-"

    fields = [
        number,
        text(name),
        f"{dob.year:04d}" if birth_year_only else dmy(dob),
        "1" if gender is Gender.MALE else "2",
        text(address),
        facility or "-",
        day(valid_from),
        day(valid_to),
        day(issued_on),
        f"0105{number[-10:]}",
        "-",
        "4",
        day(five_years),
        "4641c59ff02659c3-1202",
        "4",
        text(issuer),
    ]
    if five_years is None and not issuer and draw(st.booleans()):
        fields = fields[:9]  # the shortest older cards stop after the issue date
    elif layout is QrLayout.CARD_NUMBER and not issuer:
        fields = fields[:14]
    pad = draw(padding)
    qr = "|".join(pad + f + pad for f in fields) + draw(st.sampled_from(["|$", "|$\n", "$", "|$\r\n"]))
    return Card(
        layout=layout,
        number=number,
        name=" ".join(name.split()),
        date_of_birth=dob,
        birth_year_only=birth_year_only,
        gender=gender,
        address=" ".join(address.split()),
        registered_facility=facility,
        valid_from=valid_from,
        valid_to=valid_to,
        issued_on=issued_on,
        five_years_from=five_years,
        issuer=" ".join(issuer.split()),
        text=qr,
    )


@settings(deadline=None, max_examples=300)
@given(cards())
def test_round_trip_gives_the_encoded_values_back(card: Card) -> None:
    qr = parse_legacy_qr(card.text)
    assert qr == LegacyQr(
        layout=card.layout,
        number=card.number,
        name=card.name,
        date_of_birth=card.date_of_birth,
        birth_year_only=card.birth_year_only,
        gender=card.gender,
        address=card.address,
        registered_facility=card.registered_facility,
        valid_from=card.valid_from,
        valid_to=card.valid_to,
        issued_on=card.issued_on,
        five_years_from=card.five_years_from,
        issuer=card.issuer,
    )
    assert qr.social_insurance_number == card.number[-10:]
    as_json = qr.to_json_dict()
    assert list(as_json) == [key for key in JSON_FIELDS if key in as_json]
    expected_birth = (
        f"{card.date_of_birth.year:04d}" if card.birth_year_only else card.date_of_birth.isoformat()
    )
    assert as_json["date_of_birth"] == expected_birth


# --- command line ----------------------------------------------------------------------------


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m verifier")
    add_qr_parser(parser.add_subparsers(required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


def test_cli_json_prints_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["qr", "parse", qr_text(OLD), "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    answer = json.loads(out)
    assert list(answer) == ["kind", *(key for key in JSON_FIELDS if key in answer)]
    assert answer["kind"] == "bhyt"
    assert answer["name"] == "Nguyễn Văn An" and "Nguyễn Văn An" in out  # UTF-8, not \u escapes
    assert answer["gender"] == "male" and answer["date_of_birth"] == "1990-05-01"
    assert answer["registered_facility"] == "40 - C54"


def test_cli_listing_is_vietnamese_first_and_aligned(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["qr", "parse", qr_text(NEW)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(":", 1)[0] == "Loại mã (kind)" and lines[0].endswith("Thẻ BHYT (bhyt)")
    assert lines[1].split(":", 1)[0] == "Bố cục (layout)" and lines[1].endswith("(social_insurance_number)")
    values = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in lines}
    assert values["Họ và tên (name)"] == "Trần Thị Bích Ngọc"
    assert values["Mã số BHXH (social_insurance_number)"] == "0123456789"
    assert values["Giới tính (gender)"] == "Nữ (female)"
    assert not any("(address)" in key for key in values)
    columns = {len(line) - len(line.split(":", 1)[1].lstrip()) for line in lines}
    assert len(columns) == 1  # every value starts in the same column


def test_cli_malformed_qr_exits_2_with_a_json_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["qr", "parse", replaced(OLD, 2, "zz"), "--json"]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: Q01 field 2 (name) ") and err.count("\n") == 1
    answer = json.loads(out)
    assert answer == {"error": {"code": "Q01", "message": err.removeprefix("error: Q01 ").rstrip("\n")}}


def test_cli_malformed_qr_without_json_prints_only_the_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["qr", "parse", "GD4404016354956"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: Q01 QR text does not end with '$'")


def stdin_of(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_cli_reads_the_qr_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin_of((qr_text(NEW) + "\n").encode(), monkeypatch)
    assert run_cli(["qr", "parse", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["number"] == "0123456789"


@pytest.mark.parametrize(
    ("data", "says"),
    [(b"\xff\xfe" + qr_text(OLD).encode(), "stdin is not UTF-8"), (b"A" * 10_000, "stdin holds more than")],
)
def test_cli_bad_stdin_is_q01(
    data: bytes, says: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin_of(data, monkeypatch)
    assert run_cli(["qr", "parse", "-", "--json"]) == 2
    out, err = capsys.readouterr()
    assert says in err and json.loads(out)["error"]["code"] == "Q01"


CLI_SCRIPT = (
    "import argparse, sys\n"
    "from verifier.legacy_qr_cli import add_qr_parser\n"
    "p = argparse.ArgumentParser()\n"
    "add_qr_parser(p.add_subparsers(required=True))\n"
    "a = p.parse_args(sys.argv[1:])\n"
    "sys.exit(a.run(a))\n"
)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\xff garbage", b"|||||||||$", qr_text(OLD).replace("|1|", "|9|").encode()],
)
def test_cli_process_never_shows_a_traceback(data: bytes) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CLI_SCRIPT, "qr", "parse", "-", "--json"],
        input=data,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert b"Traceback" not in done.stderr
    assert done.stderr.startswith(b"error: Q01 ")
    assert json.loads(done.stdout)["error"]["code"] == "Q01"


def test_cli_process_prints_vietnamese_as_utf8() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CLI_SCRIPT, "qr", "parse", qr_text(NEW), "--json"],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Trần Thị Bích Ngọc".encode() in done.stdout
    assert json.loads(done.stdout.decode("utf-8"))["issuer"].startswith("Bảo hiểm xã hội")
