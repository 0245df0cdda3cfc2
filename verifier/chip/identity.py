"""Who the chip says the holder is: DG1, DG13 and DG2 read, cross-checked, and judged for a CCCD.

Checks (each named, with its clause and code):
  dg1_mrz          9303-10 §4.7.1 / 9303-5 §4.2 TD1, Vietnamese profile (ID, VNM)   C10
  mrz_check_digits 9303-3 §4.9                                                      C09
  dg13_personal_data  CCCD DG13 (issuer-specific TLV)                               C10
  dg2_face_image   9303-10 §4.7.2 / ISO/IEC 19794-5                                 C10
  cccd_number      Circular 07/2016/TT-BCA art. 7 (number structure)                C12
  mrz_dg13_agree   MRZ vs DG13: number, birth date, gender, expiry, name            C13
  document_expiry  9303-5 §4.2 date of expiry, judged at the verification date      C18
A check runs only when its data group was read; absence is the passive report's business (C08).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from verifier.chip.cccd import CccdNumber, cccd_inconsistencies, parse_cccd_number
from verifier.chip.checks import Check, fail, ok
from verifier.chip.codes import (
    CCCD_NUMBER_INCONSISTENT,
    DG_MALFORMED,
    DOCUMENT_EXPIRED,
    MRZ_CHECK_DIGIT,
    MRZ_DG13_DISAGREE,
)
from verifier.chip.dg2 import FaceImage, parse_dg2
from verifier.chip.dg13 import PersonalData, parse_dg13
from verifier.chip.errors import ASN1_ERRORS, ChipError
from verifier.chip.mrz import Td1Mrz, parse_dg1
from verifier.domain.participation import Gender

CLAUSE_DG1 = "ICAO 9303-10 §4.7.1 / 9303-5 §4.2 (TD1)"
CLAUSE_CHECK_DIGITS = "ICAO 9303-3 §4.9"
CLAUSE_DG13 = "CCCD DG13 personal data (issuer-specific, tag 0x6D)"
CLAUSE_DG2 = "ICAO 9303-10 §4.7.2 / ISO/IEC 19794-5"
CLAUSE_CCCD = "Circular 07/2016/TT-BCA art. 7 (personal identification number)"
CLAUSE_AGREE = "MRZ (DG1) vs DG13"
CLAUSE_EXPIRY = "ICAO 9303-5 §4.2 date of expiry"
T = TypeVar("T")
_MRZ_SEX = {"M": Gender.MALE, "F": Gender.FEMALE}


@dataclass(frozen=True)
class IdentityReport:
    checks: tuple[Check, ...]
    mrz: Td1Mrz | None = None
    personal_data: PersonalData | None = None
    face_image: FaceImage | None = None
    cccd_number: CccdNumber | None = None


def check_identity(data_groups: Mapping[int, bytes], today: date) -> IdentityReport:
    """Parse DG1/DG13/DG2 (when read) and run the identity checks; never raises for chip data."""
    checks: list[Check] = []
    mrz = _parse(data_groups, 1, parse_dg1, "dg1_mrz", CLAUSE_DG1, checks)
    if mrz is not None:
        checks.append(_mrz_profile(mrz))
        failures = mrz.check_digit_failures()
        wrong = "wrong: " + ", ".join(failures)
        if failures:
            checks.append(fail("mrz_check_digits", CLAUSE_CHECK_DIGITS, MRZ_CHECK_DIGIT, wrong))
        else:
            checks.append(ok("mrz_check_digits", CLAUSE_CHECK_DIGITS, "all check digits correct"))
    personal = _parse(data_groups, 13, parse_dg13, "dg13_personal_data", CLAUSE_DG13, checks)
    if personal is not None:
        core = (personal.cccd_number, personal.full_name, personal.date_of_birth_text)
        found = f"{sum(v is not None for v in core)}/3 core fields (number, name, birth date)"
        checks.append(ok("dg13_personal_data", CLAUSE_DG13, found))
    face = _parse(data_groups, 2, parse_dg2, "dg2_face_image", CLAUSE_DG2, checks)
    if face is not None:
        checks.append(ok("dg2_face_image", CLAUSE_DG2, f"{face.format.value}, {face.size} bytes"))
    number_check, number = _number_check(mrz, personal)
    if number_check is not None:
        checks.append(number_check)
    if mrz is not None and personal is not None:
        checks.append(_agreement(mrz, personal, number))
    if mrz is not None:
        expiry = mrz.expiry_date
        if expiry is not None and expiry < today:
            checks.append(
                fail("document_expiry", CLAUSE_EXPIRY, DOCUMENT_EXPIRED, f"expired on {expiry.isoformat()}")
            )
        elif expiry is not None:
            checks.append(ok("document_expiry", CLAUSE_EXPIRY, f"valid until {expiry.isoformat()}"))
    return IdentityReport(tuple(checks), mrz, personal, face, number)


def _parse(
    data_groups: Mapping[int, bytes],
    number: int,
    parse: Callable[[bytes], T],
    name: str,
    clause: str,
    checks: list[Check],
) -> T | None:
    """Parse DG `number` if it was read; a malformation becomes a failed check, never an exception."""
    if number not in data_groups:
        return None
    try:
        return parse(data_groups[number])
    except ChipError as e:
        checks.append(fail(name, clause, e.code, e.detail))
    except ASN1_ERRORS as e:  # fail closed on anything the parser did not anticipate
        checks.append(fail(name, clause, DG_MALFORMED, f"DG{number} unreadable: {e}"))
    return None


def _mrz_profile(mrz: Td1Mrz) -> Check:
    """A CCCD's MRZ: document code ID, issuing state VNM, the 12-digit number in optional data."""
    problems = []
    if mrz.document_code != "ID":
        problems.append(f"document code {mrz.document_code!r}, expected 'ID'")
    if mrz.issuing_state != "VNM":
        problems.append(f"issuing state {mrz.issuing_state!r}, expected 'VNM'")
    if mrz.cccd_number is None:
        problems.append("optional data does not start with the 12-digit CCCD number")
    if problems:
        return fail("dg1_mrz", CLAUSE_DG1, DG_MALFORMED, "not a Vietnamese CCCD MRZ: " + "; ".join(problems))
    return ok("dg1_mrz", CLAUSE_DG1, "TD1, ID, VNM")


def _number_check(
    mrz: Td1Mrz | None, personal: PersonalData | None
) -> tuple[Check | None, CccdNumber | None]:
    text = (personal.cccd_number if personal else None) or (mrz.cccd_number if mrz else None)
    if text is None:
        return None, None
    try:
        number = parse_cccd_number(text)
    except ChipError as e:
        return fail("cccd_number", CLAUSE_CCCD, e.code, e.detail), None
    problems: list[str] = []
    if personal is not None:
        problems += cccd_inconsistencies(
            number,
            date_of_birth=personal.date_of_birth,
            birth_year=personal.birth_year,
            gender=personal.gender,
        )
    if mrz is not None:
        problems += cccd_inconsistencies(
            number,
            date_of_birth=mrz.birth_date(number.century),
            gender=_MRZ_SEX.get(mrz.sex, Gender.UNSPECIFIED),
        )
        if mrz.document_code == "ID" and mrz.document_number != number.value[3:]:
            problems.append(
                f"MRZ document number {mrz.document_number} is not the last 9 digits of the number"
            )
    if problems:
        return fail(
            "cccd_number", CLAUSE_CCCD, CCCD_NUMBER_INCONSISTENT, "; ".join(dict.fromkeys(problems))
        ), number
    return ok("cccd_number", CLAUSE_CCCD, f"born {number.birth_year}, {number.gender.value}"), number


def _agreement(mrz: Td1Mrz, personal: PersonalData, number: CccdNumber | None) -> Check:
    problems: list[str] = []
    if personal.cccd_number and mrz.cccd_number and personal.cccd_number != mrz.cccd_number:
        problems.append("CCCD number")
    century = number.century if number else None
    if century is not None and personal.date_of_birth and mrz.birth_date(century) != personal.date_of_birth:
        problems.append("date of birth")
    mrz_gender = _MRZ_SEX.get(mrz.sex, Gender.UNSPECIFIED)
    if Gender.UNSPECIFIED not in (mrz_gender, personal.gender) and mrz_gender is not personal.gender:
        problems.append("gender")
    if personal.expiry_date and mrz.expiry_date and personal.expiry_date != mrz.expiry_date:
        problems.append("date of expiry")
    if personal.full_name and not _names_agree(mrz, personal.full_name):
        problems.append("name")
    if problems:
        return fail("mrz_dg13_agree", CLAUSE_AGREE, MRZ_DG13_DISAGREE, "differ: " + ", ".join(problems))
    return ok("mrz_dg13_agree", CLAUSE_AGREE, "number, dates, gender and name agree")


def mrz_transliteration(name: str) -> str:
    """'Nguyễn Văn Đức' → 'NGUYEN VAN DUC' (9303-3 §6: diacritics dropped, Đ → D)."""
    stripped = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    ascii_only = "".join(ch for ch in stripped if not unicodedata.combining(ch))
    return " ".join("".join(ch if ch.isalnum() else " " for ch in ascii_only.upper()).split())


def _names_agree(mrz: Td1Mrz, full_name: str) -> bool:
    """Equal after transliteration; a name filling line 3 may be truncated, so a prefix then agrees."""
    expected = mrz_transliteration(full_name)
    if mrz.name == expected:
        return True
    return not mrz.line3.endswith("<") and expected.startswith(mrz.name)
