"""The chip ID card's printed QR: the plain layout, label-prefixed and longer scans decode; what is
not such a QR (a BHYT QR, a token, a QR that disagrees with itself) is Q01 naming why; `qr parse`
reports it as `"kind": "cccd"`. The people are made up; their numbers follow Circular 07/2016's
structure (century/gender digit, two year digits) so that they are consistent.
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier.domain.cccd_qr import CccdQr, CccdQrProblem, looks_like_cccd_qr, parse_cccd_qr
from verifier.domain.legacy_qr import MAX_QR_LENGTH, parse_legacy_qr
from verifier.domain.participation import Gender
from verifier.legacy_qr_cli import add_qr_parser

# Born 1 May 1990, male (4th digit 0 = 20th century, male; then 90).
AN_FIELDS = [
    "040090001234",
    "186543210",
    "Nguyễn Văn An",
    "01051990",
    "Nam",
    "Số 12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
    "15042021",
]
AN_QR = "|".join(AN_FIELDS)
# Born 29 March 2005, female (3 = 21st century, female), no old ID.
BICH_QR = "001305012345||Trần Thị Bích Ngọc|29032005|Nữ|Phường Dịch Vọng, Quận Cầu Giấy, Hà Nội|10072021"
CCCD_JSON_FIELDS = ["personal_id", "old_id", "name", "date_of_birth", "gender", "address", "issued_on"]


def replaced(position: int, value: str, fields: list[str] = AN_FIELDS) -> str:
    """The QR with field `position` (1-based, as in the error messages) set to `value`."""
    changed = list(fields)
    changed[position - 1] = value
    return "|".join(changed)


def test_the_seven_fields_decode() -> None:
    assert parse_cccd_qr(AN_QR) == CccdQr(
        personal_id="040090001234",
        old_id="186543210",
        name="Nguyễn Văn An",
        date_of_birth=date(1990, 5, 1),
        gender=Gender.MALE,
        address="Số 12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        issued_on=date(2021, 4, 15),
    )


def test_an_empty_old_id_and_a_female_holder_born_this_century() -> None:
    qr = parse_cccd_qr(BICH_QR)
    assert (qr.old_id, qr.gender, qr.date_of_birth) == ("", Gender.FEMALE, date(2005, 3, 29))


def test_json_has_every_documented_field_in_order_with_iso_dates() -> None:
    assert parse_cccd_qr(BICH_QR).to_json_dict() == {
        "personal_id": "001305012345",
        "old_id": "",
        "name": "Trần Thị Bích Ngọc",
        "date_of_birth": "2005-03-29",
        "gender": "female",
        "address": "Phường Dịch Vọng, Quận Cầu Giấy, Hà Nội",
        "issued_on": "2021-07-10",
    }
    assert list(parse_cccd_qr(AN_QR).to_json_dict()) == CCCD_JSON_FIELDS


@pytest.mark.parametrize(
    "scanned",
    [
        # A USB scanner demo's labels, dates with slashes (public kiosk code shows this form).
        "CCCD:040090001234|CMND:186543210|Họ tên:Nguyễn Văn An|Ngày sinh:01/05/1990|Giới tính:Nam|"
        "Địa chỉ:Số 12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh|Ngày cấp:15/04/2021",
        # Labels without diacritics, other case, spaces and a full-width colon.
        "SO CCCD : 040090001234|so cmnd:186543210|HO VA TEN\uff1a Nguyễn Văn An|ngay sinh: 01051990|"
        "gioi tinh:Nam|dia chi:Số 12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh|ngay cap:15042021",
        # Newer cards append fields; scanners add a BOM, CR/LF and stray spaces.
        "\ufeff" + AN_QR + "|01052036|extra\r\n",
        " 0400 9000 1234 | 186543210 |  Nguyễn   Văn An |01051990| NAM |"
        "Số 12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh|15042021||",
    ],
)
def test_labels_extra_fields_and_stray_spaces_are_tolerated(scanned: str) -> None:
    assert looks_like_cccd_qr(scanned)
    assert parse_cccd_qr(scanned) == parse_cccd_qr(AN_QR)


def test_decomposed_vietnamese_is_read_as_composed() -> None:
    qr = parse_cccd_qr(unicodedata.normalize("NFD", BICH_QR))
    assert qr.name == "Trần Thị Bích Ngọc" and qr.gender is Gender.FEMALE


def test_an_unknown_label_is_kept_as_part_of_the_field() -> None:
    assert parse_cccd_qr(replaced(6, "Tổ 5: Phường Bến Nghé")).address == "Tổ 5: Phường Bến Nghé"


def test_a_year_only_birth_date_is_kept_as_a_year() -> None:
    qr = parse_cccd_qr(replaced(4, "1990"))
    assert qr.birth_year_only and qr.to_json_dict()["date_of_birth"] == "1990"


@pytest.mark.parametrize(
    ("scanned", "field", "says"),
    [
        ("", None, "is empty"),
        ("040090001234|186543210|Nguyễn Văn An|01051990|Nam|addr", None, "6 field(s)"),
        # The 6-field layout some code assumes (no old ID): refused, not misread.
        ("040090001234|Nguyễn Văn An|01051990|Nam|addr|15042021|x", 2, "is not an old ID"),
        (replaced(1, "04009000123"), 1, "not a 12-digit personal identification number"),
        (replaced(1, ""), 1, "is empty"),
        (replaced(1, "\u0660" * 12), 1, "not a 12-digit"),  # Arabic-Indic digits are not digits here
        (replaced(2, "12345"), 2, "is not an old ID"),
        (replaced(3, ""), 3, "is empty"),
        (replaced(3, "0123456"), 3, "has no letter"),
        (replaced(3, "An\x00"), 3, "control characters"),
        (replaced(3, "A" * 201), 3, "at most 200"),
        (replaced(4, "31021990"), 4, "not a calendar date"),
        (replaced(4, "1990-05-01"), 4, "not a date ddmmyyyy"),
        (replaced(4, ""), 4, "is empty"),
        (replaced(5, "M"), 5, "expected Nam or Nữ"),
        (replaced(7, "15/13/2021"), 7, "not a calendar date"),
        # The number says born 1990, male; the QR says otherwise: misread or forged.
        (replaced(4, "01051991"), 1, "birth year 1990, the document says 1991"),
        (replaced(5, "Nữ"), 1, "gender male, the document says female"),
    ],
)
def test_what_is_not_a_well_formed_cccd_qr_is_q01_naming_the_field(
    scanned: str, field: int | None, says: str
) -> None:
    with pytest.raises(CccdQrProblem) as caught:
        parse_cccd_qr(scanned)
    assert caught.value.code == "Q01" and caught.value.field == field
    assert says in caught.value.message
    if field is not None:
        assert caught.value.message.startswith(f"field {field} ")


BHYT_QR = (
    "GD4404016354956|" + "Nguyễn Văn An".encode().hex() + "|01/05/1990|1|-|40 - C54|01/01/2026|"
    "31/12/2026|15/12/2025|40054016354956|-|4|01/01/2028|1f2fa22c47f0bd18-7102|$"
)


def test_a_bhyt_qr_is_not_taken_for_one_and_says_what_it_is() -> None:
    assert not looks_like_cccd_qr(BHYT_QR)
    parse_legacy_qr(BHYT_QR)  # still the legacy parser's
    with pytest.raises(CccdQrProblem, match="it is a BHYT card QR"):
        parse_cccd_qr(BHYT_QR)


@pytest.mark.parametrize(
    "scanned",
    [
        "BHYT1:NCF0123456789",  # a token: no pipes
        "0123456789|" + b"An".hex() + "|1990|1|-|01 - C54|01/07/2023|-|31/07/2023|$",  # VssID
        "040090001234",  # a typed number, no QR
        AN_QR + "$",  # ends like a BHYT QR
        "x" * (MAX_QR_LENGTH + 1) + "|",
    ],
)
def test_other_scans_do_not_look_like_a_cccd_qr(scanned: str) -> None:
    assert not looks_like_cccd_qr(scanned)


@given(st.text(max_size=300))
def test_any_text_parses_or_is_q01(text: str) -> None:
    try:
        qr = parse_cccd_qr(text)
    except CccdQrProblem as e:
        assert e.code == "Q01"
    else:
        assert len(qr.personal_id) == 12 and qr.name


# --- command line ----------------------------------------------------------------------------


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m verifier")
    add_qr_parser(parser.add_subparsers(required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


def test_cli_json_reports_a_cccd_qr_as_kind_cccd(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["qr", "parse", AN_QR, "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "Nguyễn Văn An" in out  # UTF-8, not \u escapes
    answer = json.loads(out)
    assert list(answer) == ["kind", *CCCD_JSON_FIELDS]
    assert answer == {
        "kind": "cccd",
        "personal_id": "040090001234",
        "old_id": "186543210",
        "name": "Nguyễn Văn An",
        "date_of_birth": "1990-05-01",
        "gender": "male",
        "address": "Số 12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        "issued_on": "2021-04-15",
    }


def test_cli_json_reports_a_bhyt_qr_as_kind_bhyt(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["qr", "parse", BHYT_QR, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["kind"] == "bhyt" and answer["number"] == "GD4404016354956"


def test_cli_listing_of_a_cccd_qr_is_vietnamese_first(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["qr", "parse", BICH_QR]) == 0
    lines = capsys.readouterr().out.splitlines()
    values = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in lines}
    assert values["Loại mã (kind)"] == "Căn cước công dân (cccd)"
    assert values["Số định danh cá nhân (personal_id)"] == "001305012345"
    assert values["Giới tính (gender)"] == "Nữ (female)"
    assert "Số CMND cũ (old_id)" not in values  # absent on this card


def test_cli_a_malformed_cccd_qr_is_q01_naming_the_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["qr", "parse", replaced(5, "X"), "--json"]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: Q01 field 5 (gender) ") and err.count("\n") == 1
    assert json.loads(out)["error"]["code"] == "Q01"
