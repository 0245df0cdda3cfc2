"""DG1 (TD1 MRZ), DG13 (Vietnamese personal data), DG2 (face), the CCCD number and their cross-checks."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date

import pytest

from tests.support.chip_fixtures import (
    CITIZEN,
    NOW,
    TINY_J2K,
    TINY_JP2,
    TINY_JPEG,
    Citizen,
    dg1,
    dg2,
    dg13,
    dg13_fields,
    integer,
    iso19794_5_record,
    make_chip,
    seq,
    td1_lines,
    tlv,
    utf8,
)
from verifier.chip import (
    build_trust_anchors,
    cccd_inconsistencies,
    parse_cccd_number,
    parse_dg1,
    parse_dg2,
    parse_dg13,
    verify_chip,
)
from verifier.chip.dg2 import ImageFormat
from verifier.chip.errors import ChipError
from verifier.chip.identity import IdentityReport, check_identity, mrz_transliteration
from verifier.chip.mrz import check_digit, parse_td1
from verifier.domain.participation import Gender

TODAY = date(2026, 5, 1)


def codes(report: IdentityReport) -> dict[str, str | None]:
    return {c.name: c.code for c in report.checks}


# --- DG1 / MRZ ----------------------------------------------------------------------------------


def test_icao_specimen_check_digits() -> None:
    """The TD1 specimen of ICAO 9303-5 (Appendix A): every check digit is right."""
    mrz = parse_td1(
        "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
    )
    assert mrz.check_digit_failures() == []
    assert mrz.document_number == "D23145890" and mrz.name == "ERIKSSON ANNA MARIA"
    assert check_digit("D23145890") == "7" and check_digit("740812") == "2" and check_digit("<<<") == "0"


def test_cccd_dg1() -> None:
    mrz = parse_dg1(dg1())
    assert (mrz.document_code, mrz.issuing_state, mrz.nationality) == ("ID", "VNM", "VNM")
    assert mrz.document_number == "093012345" and mrz.cccd_number == "001093012345"
    assert mrz.birth_date(1900) == date(1993, 1, 5) and mrz.expiry_date == date(2033, 1, 5)
    assert mrz.sex == "M" and mrz.name == "NGUYEN VAN AN"
    assert mrz.check_digit_failures() == []


@pytest.mark.parametrize(
    ("broken", "name"),
    [
        ("number", "document number"),
        ("birth", "date of birth"),
        ("expiry", "date of expiry"),
        ("composite", "composite"),
    ],
)
def test_each_wrong_check_digit_is_named(broken: str, name: str) -> None:
    mrz = parse_dg1(dg1(td1_lines(break_check=broken)))
    assert name in mrz.check_digit_failures()
    report = check_identity({1: dg1(td1_lines(break_check=broken))}, TODAY)
    assert codes(report)["mrz_check_digits"] == "C09"


def test_cccd_number_check_digit_in_optional_data() -> None:
    text = td1_lines()
    broken = text[:29] + str((int(text[29]) + 1) % 10) + text[30:]
    assert "CCCD number (optional data)" in parse_td1(broken).check_digit_failures()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        tlv(0x61, b""),
        tlv(0x62, tlv(0x5F1F, b"A" * 90)),
        tlv(0x61, tlv(0x5F1F, b"A" * 89)),
        tlv(0x61, tlv(0x5F1F, b"a" * 90)),
        tlv(0x61, tlv(0x5F1F, "Ä".encode() * 45)),
        tlv(0x61, tlv(0x5F1E, b"A" * 90)),
        tlv(0x61, tlv(0x5F1F, b"A" * 90)) + b"trailing",
    ],
)
def test_malformed_dg1(data: bytes) -> None:
    with pytest.raises(ChipError) as raised:
        parse_dg1(data)
    assert raised.value.code == "C10"


def test_passport_mrz_is_not_a_cccd() -> None:
    specimen = "I<UTOD231458907<<<<<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<6ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
    report = check_identity({1: dg1(specimen)}, TODAY)
    assert codes(report)["dg1_mrz"] == "C10"
    assert "expected 'ID'" in report.checks[0].detail


# --- DG13 ---------------------------------------------------------------------------------------


def test_dg13_fields() -> None:
    data = parse_dg13(dg13())
    assert data.cccd_number == "001093012345" and data.full_name == "Nguyễn Văn An"
    assert data.date_of_birth == date(1993, 1, 5) and data.birth_year == 1993
    assert data.gender is Gender.MALE and data.nationality == "Việt Nam"
    assert data.hometown == CITIZEN.hometown and data.place_of_residence == CITIZEN.residence
    assert data.identifying_features == CITIZEN.features
    assert data.issue_date == date(2024, 1, 5) and data.expiry_date == date(2033, 1, 5)
    assert (data.father_name, data.mother_name) == (CITIZEN.father, CITIZEN.mother)
    assert data.old_id_number == "012345678" and data.spouse_name is None


def test_dg13_never_keeps_ethnicity_or_religion() -> None:
    fields_ = {**dg13_fields(), 6: "Dân tộc Ê Đê SENTINEL", 7: "Tôn giáo SENTINEL"}
    data = parse_dg13(dg13(fields_))
    names = {f.name for f in fields(data)}
    assert not names & {"ethnicity", "religion"}
    assert "SENTINEL" not in repr(data)
    assert 6 not in data.other_fields and 7 not in data.other_fields


def test_dg13_ethnicity_is_not_even_decoded() -> None:
    """A value that is not UTF-8 at index 6 or 7 does not matter: those fields are skipped unread."""
    bad_text = tlv(0x0C, b"\xff\xfe")
    data = parse_dg13(
        tlv(
            0x6D,
            seq(integer(1), utf8("001093012345")) + seq(integer(6), bad_text) + seq(integer(7), bad_text),
        )
    )
    assert data.cccd_number == "001093012345"
    with pytest.raises(ChipError):
        parse_dg13(tlv(0x6D, seq(integer(2), bad_text)))


def test_dg13_layout_variants() -> None:
    flat = parse_dg13(dg13(nested_parents=False))
    wrapped = parse_dg13(dg13(wrapper=True))
    assert flat == wrapped == parse_dg13(dg13())


def test_dg13_unknown_indexes_are_ignored_and_old_id_may_be_16() -> None:
    fields_ = {
        1: "001093012345",
        2: "Nguyễn Văn An",
        14: "Lê Thị Dung",
        16: "001093012345",
        42: "future field",
    }
    data = parse_dg13(dg13(fields_))
    assert data.spouse_name == "Lê Thị Dung" and data.old_id_number == "001093012345"
    assert data.other_fields == (42,)
    assert data.date_of_birth is None and data.gender is Gender.UNSPECIFIED


def test_dg13_partial_dates_and_no_expiry() -> None:
    data = parse_dg13(dg13({3: "00/00/1950", 4: "Nữ", 12: "Không thời hạn"}))
    assert data.date_of_birth is None and data.birth_year == 1950
    assert data.gender is Gender.FEMALE
    assert data.expiry_date is None and data.expiry_date_text == "Không thời hạn"


@pytest.mark.parametrize("data", [b"", tlv(0x6E, b""), tlv(0x6D, b"\x30\x05\x02\x01"), b"\x6d\x81"])
def test_malformed_dg13(data: bytes) -> None:
    with pytest.raises(ChipError) as raised:
        parse_dg13(data)
    assert raised.value.code == "C10"


def test_deeply_nested_dg13_is_rejected_not_a_recursion_error() -> None:
    body = utf8("x")
    for _ in range(50):
        body = seq(body)
    with pytest.raises(ChipError):
        parse_dg13(tlv(0x6D, body))


# --- DG2 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "kind"),
    [
        (TINY_JPEG, ImageFormat.JPEG),
        (TINY_JP2, ImageFormat.JPEG2000),
        (TINY_J2K, ImageFormat.JPEG2000_CODESTREAM),
    ],
)
def test_dg2_image_formats(image: bytes, kind: ImageFormat) -> None:
    face = parse_dg2(dg2(image))
    assert face.format is kind and face.data == image
    assert (face.width, face.height) == (240, 320)
    assert image.hex() not in repr(face) and "data" not in repr(face)


def test_dg2_iso39794_block_falls_back_to_the_image_signature() -> None:
    record = b"\xa1\x05\x80\x03\x01\x02\x03" + TINY_JPEG
    face = parse_dg2(dg2(record=record, block_tag=0x7F2E))
    assert face.format is ImageFormat.JPEG and face.data == TINY_JPEG and face.width is None


def test_dg2_with_trailing_bytes_after_the_image_in_the_record() -> None:
    record = iso19794_5_record(TINY_JPEG) + b"\x00\x00"
    assert parse_dg2(dg2(record=record)).data == TINY_JPEG


@pytest.mark.parametrize(
    "data",
    [
        b"",
        tlv(0x75, b""),
        tlv(0x75, tlv(0x7F61, tlv(0x02, b"\x01"))),
        dg2(record=b"FAC\x00010\x00" + bytes(60)),
    ],
)
def test_dg2_without_an_image(data: bytes) -> None:
    with pytest.raises(ChipError) as raised:
        parse_dg2(data)
    assert raised.value.code == "C10"


# --- the CCCD number ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "year", "gender"),
    [
        ("001093012345", 1993, Gender.MALE),
        ("079185000001", 1985, Gender.FEMALE),
        ("001205012345", 2005, Gender.MALE),
        ("038310000002", 2010, Gender.FEMALE),
        ("999400000000", 2100, Gender.MALE),  # unknown province prefixes are not rejected
    ],
)
def test_cccd_number_encodes_birth_year_and_gender(number: str, year: int, gender: Gender) -> None:
    parsed = parse_cccd_number(number)
    assert (parsed.birth_year, parsed.gender) == (year, gender)
    assert cccd_inconsistencies(parsed, birth_year=year, gender=gender) == []


def test_cccd_number_inconsistencies() -> None:
    parsed = parse_cccd_number("001093012345")
    problems = cccd_inconsistencies(parsed, date_of_birth=date(1994, 1, 1), gender=Gender.FEMALE)
    assert len(problems) == 2 and "1993" in problems[0]


@pytest.mark.parametrize("text", ["", "00109301234", "0010930123456", "00109301234a", "\uff10" * 12])
def test_cccd_number_shape(text: str) -> None:
    with pytest.raises(ChipError) as raised:
        parse_cccd_number(text)
    assert raised.value.code == "C12"


# --- identity cross-checks ------------------------------------------------------------------------


def identity_for(citizen_mrz: Citizen, citizen_dg13: Citizen, today: date = TODAY) -> IdentityReport:
    return check_identity({1: dg1(td1_lines(citizen_mrz)), 13: dg13(dg13_fields(citizen_dg13))}, today)


def test_consistent_identity_passes_every_check() -> None:
    report = identity_for(CITIZEN, CITIZEN)
    assert all(c.passed for c in report.checks), report.checks
    assert {c.name for c in report.checks} == {
        "dg1_mrz",
        "mrz_check_digits",
        "dg13_personal_data",
        "cccd_number",
        "mrz_dg13_agree",
        "document_expiry",
    }
    assert report.cccd_number is not None and report.cccd_number.value == "001093012345"


def test_number_inconsistent_with_birth_year() -> None:
    citizen = replace(CITIZEN, date_of_birth=date(1994, 1, 5))
    report = identity_for(citizen, citizen)
    assert codes(report)["cccd_number"] == "C12"


def test_number_inconsistent_with_gender() -> None:
    citizen = replace(CITIZEN, sex="F", gender_text="Nữ")
    assert codes(identity_for(citizen, citizen))["cccd_number"] == "C12"


def test_mrz_and_dg13_disagree() -> None:
    other = replace(CITIZEN, full_name="Nguyễn Văn Bảo", expiry_date=date(2034, 1, 5))
    report = identity_for(CITIZEN, other)
    agree = next(c for c in report.checks if c.name == "mrz_dg13_agree")
    assert agree.code == "C13" and "name" in agree.detail and "date of expiry" in agree.detail


def test_truncated_mrz_name_still_agrees() -> None:
    long_name = "Tôn Nữ Thị Phương Thảo Nguyễn Hoàng"
    mrz_name = "TON<<NU<THI<PHUONG<THAO<NGUYEN<HOANG"[:30]
    citizen = replace(
        CITIZEN, full_name=long_name, mrz_name=mrz_name, sex="F", gender_text="Nữ", number="001193012345"
    )
    report = identity_for(citizen, citizen)
    assert codes(report)["mrz_dg13_agree"] is None, report.checks


def test_transliteration() -> None:
    assert mrz_transliteration("Đặng Thị Ánh  Nguyệt") == "DANG THI ANH NGUYET"


def test_expired_document() -> None:
    report = identity_for(CITIZEN, CITIZEN, today=date(2033, 1, 6))
    assert codes(report)["document_expiry"] == "C18"
    assert codes(identity_for(CITIZEN, CITIZEN, today=date(2033, 1, 5)))["document_expiry"] is None


def test_dg_checks_only_run_for_groups_read() -> None:
    assert check_identity({}, TODAY).checks == ()
    report = check_identity({2: b"\x75\x00"}, TODAY)
    assert codes(report) == {"dg2_face_image": "C10"}


def test_verify_chip_view_never_shows_ethnicity_religion_or_image() -> None:
    chip = make_chip()
    anchors = build_trust_anchors(certificates=[("csca", chip.csca.der)])
    report = verify_chip(chip.sod, chip.data_groups, anchors, NOW)
    assert report.valid
    text = repr(report.to_dict())
    assert CITIZEN.ethnicity not in text and CITIZEN.religion not in text
    assert TINY_JPEG.hex() not in text and "ethnic" not in text and "religion" not in text
    assert report.face_image is not None and report.face_image.data == TINY_JPEG


def test_dg13_unknown_fields_are_not_decoded() -> None:
    data = parse_dg13(
        tlv(0x6D, seq(integer(2), utf8("Nguyễn Văn An")) + seq(integer(99), tlv(0x0C, b"\xff")))
    )
    assert data.full_name == "Nguyễn Văn An" and data.other_fields == (99,)
