"""The retention policy: when a person's personal data is no longer needed and is erased.

Decree 13/2023/ND-CP lets personal data be kept only as long as its purpose needs; an insurance
record must be kept while the fund can still be asked about it, so the policy counts from the day
the person's coverage ended (the card's last day, or the day participation was reduced), never
from enrollment. Open-ended cards and running coverage never fall due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from verifier.domain.participation import Participation, Status


@dataclass(frozen=True)
class RetentionPolicy:
    years: int

    def __post_init__(self) -> None:
        if self.years < 1:
            raise ValueError("a retention period is at least one year")

    def cutoff(self, today: date) -> date:
        """Coverage that ended before this day is due (29 February counts as 28 February)."""
        year = today.year - self.years
        return (
            today.replace(year=year, day=28)
            if (today.month, today.day) == (2, 29)
            else today.replace(year=year)
        )

    def due(self, person: Participation, today: date) -> bool:
        ended = coverage_ended(person)
        return person.status is not Status.ERASED and ended is not None and ended < self.cutoff(today)


def coverage_ended(person: Participation) -> date | None:
    """The last day the person was covered: the day participation was reduced from, else the
    current card's last day; None for an open-ended card."""
    if person.status is Status.REDUCED and person.reduced_from is not None:
        return person.reduced_from
    return person.valid_to
