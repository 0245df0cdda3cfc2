"""A participant's insurance as the read model holds it, and what it means on a given day."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNSPECIFIED = ""


class Coverage(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"


class Status(StrEnum):
    """The participation's standing, independent of the card's validity dates."""

    ACTIVE = "active"
    REVOKED = "revoked"  # VSS 110
    LOST = "lost"  # the current card was reported lost
    REDUCED = "reduced"  # VSS 120-124, from `reduced_from` on
    ERASED = "erased"  # personal data erased (K04): the coverage facts stay, the person is not known


ERASED_BIRTH_DATE = date.min  # what an erased record holds where the birth date was: nothing real


@dataclass(frozen=True)
class CardValidity:
    card_number: str
    valid_from: date
    valid_to: date | None  # None: open-ended

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Participation:
    """One person's current card and coverage (the participation projection's record)."""

    social_insurance_number: str
    card_number: str
    full_name: str
    date_of_birth: date  # 1 January of the year when VSS holds only the year (`birth_year_only`)
    gender: Gender
    registered_facility: str
    valid_from: date
    valid_to: date | None  # None: an open-ended card, valid from `valid_from` on
    personal_id: str = ""
    five_years_from: date | None = None
    status: Status = Status.ACTIVE
    reduction_code: str = ""
    reduced_from: date | None = None
    previous_cards: tuple[CardValidity, ...] = ()
    lost_cards: frozenset[str] = frozenset()
    birth_year_only: bool = False

    def erased(self) -> Participation:
        """The record once the person's personal data is erased: name, birth date and personal
        number gone; cards, validity and facility (what the fund's accounts need) kept."""
        return replace(
            self, status=Status.ERASED, full_name="", personal_id="", date_of_birth=ERASED_BIRTH_DATE,
            birth_year_only=True, gender=Gender.UNSPECIFIED,
        )  # fmt: skip

    @property
    def group_code(self) -> str:
        return self.card_number[:2]

    @property
    def benefit_level(self) -> int:
        return int(self.card_number[2])

    @property
    def province_code(self) -> str:
        return self.card_number[3:5]

    def coverage_on(self, day: date) -> Coverage:
        """Coverage on a Vietnam calendar day; both validity dates are inclusive."""
        if day < self.valid_from:
            return Coverage.NOT_YET_VALID
        if self.valid_to is not None and day > self.valid_to:
            return Coverage.EXPIRED
        return Coverage.ACTIVE

    def covered_on(self, day: date) -> Coverage:
        """Coverage by the current card or, during a renewal, by a previous card still running."""
        coverage = self.coverage_on(day)
        if coverage is not Coverage.ACTIVE and any(c.covers(day) for c in self.previous_cards):
            return Coverage.ACTIVE
        return coverage

    def previous_card(self, card_number: str) -> CardValidity | None:
        return next((c for c in self.previous_cards if c.card_number == card_number), None)

    def reduced_on(self, day: date) -> bool:
        return self.status is Status.REDUCED and (self.reduced_from is None or day >= self.reduced_from)
