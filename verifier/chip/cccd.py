"""The 12-digit CCCD / personal identification number and what it says about its holder.

Structure (Circular 07/2016/TT-BCA art. 7, kept by the 2023 Identity Law): 3-digit province (or
country) of birth, 1 gender/century digit G, 2-digit year of birth YY, 6 serial digits. Birth year =
1900 + 100·⌊G/2⌋ + YY; even G is male, odd female. Newer law only guarantees "12 digits", so the
province prefix is never used to reject a number; we check shape and consistency only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from verifier.chip.codes import CCCD_NUMBER_INCONSISTENT
from verifier.chip.errors import ChipError
from verifier.domain.participation import Gender


@dataclass(frozen=True)
class CccdNumber:
    value: str

    @property
    def province_code(self) -> str:
        return self.value[0:3]

    @property
    def gender_century_digit(self) -> int:
        return int(self.value[3])

    @property
    def gender(self) -> Gender:
        return Gender.MALE if self.gender_century_digit % 2 == 0 else Gender.FEMALE

    @property
    def birth_year(self) -> int:
        return 1900 + 100 * (self.gender_century_digit // 2) + int(self.value[4:6])

    @property
    def century(self) -> int:
        return 1900 + 100 * (self.gender_century_digit // 2)


def parse_cccd_number(text: str) -> CccdNumber:
    """Exactly 12 ASCII digits (surrounding spaces ignored); anything else is C12."""
    value = text.strip()
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        raise ChipError(CCCD_NUMBER_INCONSISTENT, "CCCD number must be 12 digits")
    return CccdNumber(value)


def cccd_inconsistencies(
    number: CccdNumber,
    *,
    date_of_birth: date | None = None,
    birth_year: int | None = None,
    gender: Gender = Gender.UNSPECIFIED,
) -> list[str]:
    """What in the number disagrees with the given birth date/year and gender (empty if nothing)."""
    problems: list[str] = []
    year = date_of_birth.year if date_of_birth is not None else birth_year
    if year is not None and year != number.birth_year:
        problems.append(f"number encodes birth year {number.birth_year}, the document says {year}")
    if gender is not Gender.UNSPECIFIED and gender is not number.gender:
        problems.append(f"number encodes gender {number.gender.value}, the document says {gender.value}")
    return problems
