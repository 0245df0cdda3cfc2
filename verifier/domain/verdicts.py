"""Verdict rules for a card number presented at check-in.

Takes its world as arguments (the presented number, the participation record or None, the Vietnam
calendar day) so that every rule is a pure function, testable without servers or clocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from verifier.domain.card_number import CardNumber, CardNumberProblem
from verifier.domain.participation import Coverage, Participation
from verifier.domain.reasons import ACCEPTED_CODE


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    NEEDS_REVIEW = "needs_review"


@dataclass(frozen=True)
class Decision:
    """What the kiosk is told: the verdict, the VSS result code, every reason, the participant."""

    verdict: Verdict
    result_code: str
    reasons: tuple[str, ...] = ()
    participant: Participation | None = None
    detail: str = ""

    @classmethod
    def accept(cls, participant: Participation) -> Decision:
        return cls(Verdict.ACCEPTED, ACCEPTED_CODE, (ACCEPTED_CODE,), participant)

    @classmethod
    def reject(cls, code: str, *, participant: Participation | None = None, detail: str = "") -> Decision:
        return cls(Verdict.REJECTED, code, (code,), participant, detail)


@dataclass(frozen=True)
class CardCheck:
    """The inputs of a card-number verdict."""

    presented: CardNumber | CardNumberProblem
    participant: Participation | None
    today: date


def judge_card(check: CardCheck) -> Decision:
    """Apply the VSS rules in the order VSS reports them: number, existence, identity, validity."""
    if isinstance(check.presented, CardNumberProblem):
        return Decision.reject(check.presented.reason, detail=str(check.presented))
    person = check.participant
    if person is None:
        return Decision.reject("050")
    presented = check.presented
    if presented.is_full and presented.text != person.card_number:
        return Decision.reject(_prefix_mismatch(presented, person), participant=person)
    coverage = person.coverage_on(check.today)
    if coverage is Coverage.EXPIRED:
        return Decision.reject("010", participant=person, detail=f"valid to {person.valid_to}")
    if coverage is Coverage.NOT_YET_VALID:
        return Decision.reject("K01", participant=person, detail=f"valid from {person.valid_from}")
    return Decision.accept(person)


def _prefix_mismatch(presented: CardNumber, person: Participation) -> str:
    """The social insurance number matched but the printed prefix did not: say which part is wrong."""
    if presented.benefit_level != person.benefit_level:
        return "053"
    if presented.province_code != person.province_code:
        return "052"
    return "051"
