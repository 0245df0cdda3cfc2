"""Comparing what a patient or card says about a person with the participation record.

VSS distinguishes a wrong name (060) from a wrong name whose first letter matches (061), a wrong
date of birth (070) and a wrong gender (080); hospitals treat all four as "check the ID papers".
Names are compared as people write them: Unicode form, case, spacing and where the tone mark sits
("Hoà"/"Hòa", "Thuỷ"/"Thủy", both spellings in use) do not make a different person. Old cards and
some VSS records hold only the year of birth: then only the year is compared.
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
        if re.fullmatch(r"[0-9]{4}", dob_text):
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


# Ours, informative: the name matches once every diacritic is removed (typed without them).
NAME_WITHOUT_DIACRITICS = "K03"
# The five Vietnamese tone marks as combining characters (grave, acute, hook above, tilde, dot
# below). The other marks (circumflex, breve, horn) make different letters: â, ă, ơ, ư, ê, ô.
_TONE_MARKS = frozenset("\u0300\u0301\u0309\u0303\u0323")


def _syllable_key(syllable: str) -> tuple[str, str]:
    """A syllable as (its letters with their non-tone marks, its tone): where the tone mark sits
    ("hoà" on a, "hòa" on o; "thuỷ", "thủy") does not change the syllable."""
    letters: list[str] = []
    tones: list[str] = []
    for char in unicodedata.normalize("NFD", syllable):
        (tones if char in _TONE_MARKS else letters).append(char)
    return unicodedata.normalize("NFC", "".join(letters)), "".join(tones)


def name_key(name: str) -> tuple[tuple[str, str], ...]:
    """The name compared as people read it: Unicode form, case, spacing and tone-mark placement
    do not matter; letters, their marks and each syllable's tone do."""
    return tuple(_syllable_key(s) for s in normalise_name(name).split())


def without_diacritics(name: str) -> str:
    """The name with every mark removed and đ read as d: "Đặng Trọng Thiện" -> "dang trong thien"."""
    bare = "".join(
        c for c in unicodedata.normalize("NFD", normalise_name(name)) if not unicodedata.combining(c)
    )
    return bare.replace("đ", "d")


def name_mismatch(claimed: str, recorded: str) -> str | None:
    """None when the names are the same; K03 (ours, informative) when they match only once every
    diacritic is removed (a name typed without them); else VSS 060, or 061 when the first letter
    is right."""
    if name_key(claimed) == name_key(recorded):
        return None
    bare_claimed, bare_recorded = without_diacritics(claimed), without_diacritics(recorded)
    if bare_claimed == bare_recorded:
        return NAME_WITHOUT_DIACRITICS
    return "061" if bare_claimed[:1] == bare_recorded[:1] else "060"


def birth_date_mismatch(claim: IdentityClaim, person: Participation) -> bool:
    """A year-only claim, or a record that holds only the year (VSS has both), compares by year."""
    if claim.birth_year is not None:
        return claim.birth_year != person.date_of_birth.year
    if claim.date_of_birth is None:
        return False
    if person.birth_year_only:
        return claim.date_of_birth.year != person.date_of_birth.year
    return claim.date_of_birth != person.date_of_birth


def identity_mismatches(claim: IdentityClaim, person: Participation) -> list[str]:
    """Codes for every claimed field that disagrees with the record, in VSS order: 060/061 name
    (or our informative K03), 070 date of birth, 080 gender."""
    codes: list[str] = []
    if claim.full_name:
        name_code = name_mismatch(claim.full_name, person.full_name)
        if name_code:
            codes.append(name_code)
    if birth_date_mismatch(claim, person):
        codes.append("070")
    if claim.gender is not Gender.UNSPECIFIED and claim.gender is not person.gender:
        codes.append("080")
    return codes
