"""Comparing what a patient or card says about a person with the participation record.

VSS distinguishes a wrong name (060) from a wrong name whose first letter matches (061), a wrong
date of birth (070) and a wrong gender (080). Old cards print only the year of birth.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from verifier.domain.participation import Gender, Participation
from verifier.errors import BadRequest


@dataclass(frozen=True)
class IdentityClaim:
    """What the request says about the person; empty fields are not checked."""

    full_name: str = ""
    birth_year: int | None = None
    date_of_birth: date | None = None
    gender: Gender = Gender.UNSPECIFIED

    @classmethod
    def parse(
        cls, *, full_name: str = "", date_of_birth: str = "", gender: Gender = Gender.UNSPECIFIED
    ) -> IdentityClaim:
        dob_text = date_of_birth.strip()
        birth_year, dob = None, None
        if re.fullmatch(r"\d{4}", dob_text):
            birth_year = int(dob_text)
        elif dob_text:
            try:
                dob = date.fromisoformat(dob_text)
            except ValueError as e:
                raise BadRequest("date_of_birth: expected YYYY-MM-DD or YYYY") from e
        if len(full_name) > 200:
            raise BadRequest("full_name: at most 200 characters")
        return cls(full_name=full_name, birth_year=birth_year, date_of_birth=dob, gender=gender)


def normalise_name(name: str) -> str:
    """NFC, case-folded, single spaces: 'NGUYỄN  Văn an' and 'Nguyễn Văn An' are the same name."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def identity_mismatches(claim: IdentityClaim, person: Participation) -> list[str]:
    """VSS codes for every claimed field that disagrees with the record, in VSS order."""
    codes: list[str] = []
    if claim.full_name:
        claimed, recorded = normalise_name(claim.full_name), normalise_name(person.full_name)
        if claimed != recorded:
            codes.append("061" if claimed[:1] == recorded[:1] else "060")
    if claim.date_of_birth is not None and claim.date_of_birth != person.date_of_birth:
        codes.append("070")
    if claim.birth_year is not None and claim.birth_year != person.date_of_birth.year:
        codes.append("070")
    if claim.gender is not Gender.UNSPECIFIED and claim.gender is not person.gender:
        codes.append("080")
    return codes
