"""Verdict rules for a card presented at check-in.

Takes its world as arguments (the presented number, the participation record or None, the Vietnam
calendar day, what the request claims) so that every rule is a pure function, testable without
servers or clocks. Every failing check is reported: card number, card replaced or lost, revoked,
reduced, validity, armed-forces fund, identity (name, birth date, gender), registered facility;
then ordered so that the first one, the result code hospitals see, matches the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from verifier.domain.card_number import CardNumber, CardNumberProblem
from verifier.domain.identity import IdentityClaim, identity_mismatches
from verifier.domain.participation import Coverage, Participation, Status
from verifier.domain.reasons import ACCEPTED_CODE


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    NEEDS_REVIEW = "needs_review"
    # Authenticity proven (signed token, passively authenticated chip), coverage unconfirmed because
    # the participation projection cannot be read: admit now, a re-check gives the final verdict.
    PROVISIONAL = "provisional"


# Codes after which staff must look at ID papers rather than turn the patient away.
REVIEW_CODES = frozenset({"001", "002", "K02", "F01", "F02"})
# Codes that inform but do not stop the check-in.
INFORMATIVE_CODES = frozenset({ACCEPTED_CODE, "004"})
# Degraded mode: coverage unconfirmed (P01), and the token replay check not made either (P02).
COVERAGE_UNCONFIRMED, REPLAY_UNCHECKED = "P01", "P02"
PROVISIONAL_CODES = frozenset({COVERAGE_UNCONFIRMED, REPLAY_UNCHECKED})
# Cards managed by the Defence (QN, CY) and Public Security (CA) insurance funds.
ARMED_FORCES_GROUPS = {"QN": "001", "CY": "001", "CA": "002"}


@dataclass(frozen=True)
class Decision:
    """What the kiosk is told: the verdict, the VSS result code, every reason, the participant."""

    verdict: Verdict
    result_code: str
    reasons: tuple[str, ...] = ()
    participant: Participation | None = None
    detail: str = ""

    @classmethod
    def of(cls, reasons: list[str], participant: Participation | None = None, detail: str = "") -> Decision:
        """Verdict from the reasons: any hard failure rejects, review codes ask staff, coverage that
        could not be confirmed is provisional, else accept."""
        if not reasons:
            reasons = [ACCEPTED_CODE]
        hard = [c for c in reasons if c not in REVIEW_CODES | INFORMATIVE_CODES | PROVISIONAL_CODES]
        if hard:
            verdict = Verdict.REJECTED
        elif any(c in REVIEW_CODES for c in reasons):
            verdict = Verdict.NEEDS_REVIEW
        elif any(c in PROVISIONAL_CODES for c in reasons):
            verdict = Verdict.PROVISIONAL
        else:
            verdict = Verdict.ACCEPTED
        return cls(verdict, reasons[0], tuple(reasons), participant, detail)

    @classmethod
    def accept(cls, participant: Participation) -> Decision:
        return cls.of([], participant)

    @classmethod
    def provisional(cls) -> Decision:
        """The card decision when the projection cannot be read: only the credential was judged."""
        return cls.of([COVERAGE_UNCONFIRMED])

    @classmethod
    def reject(cls, code: str, *, participant: Participation | None = None, detail: str = "") -> Decision:
        return cls.of([code], participant, detail)


@dataclass(frozen=True)
class CardCheck:
    """The inputs of a card verdict."""

    presented: CardNumber | CardNumberProblem
    participant: Participation | None
    today: date
    claim: IdentityClaim = field(default_factory=IdentityClaim)
    facility_to_match: str = ""  # the kiosk's facility, when the request asks for the 090 check


def judge_card(check: CardCheck) -> Decision:
    if isinstance(check.presented, CardNumberProblem):
        return Decision.reject(check.presented.reason, detail=str(check.presented))
    person = check.participant
    if person is None:
        return Decision.reject("050")
    presented, today = check.presented, check.today
    reasons: list[str] = []
    details: list[str] = []

    if presented.is_full and presented.text != person.card_number:
        old = person.previous_card(presented.text)
        if old is None:
            return Decision.reject(_prefix_mismatch(presented, person), participant=person)
        if presented.text in person.lost_cards:
            reasons.append("K02")
        else:
            reasons.append("003" if old.valid_to is not None and today > old.valid_to else "004")
            details.append(f"new card {person.card_number}")
    elif person.status is Status.LOST:
        reasons.append("K02")

    if person.status is Status.REVOKED:
        reasons.append("110")
    if person.reduced_on(today):
        reasons.append(person.reduction_code or "124")
    coverage = person.covered_on(today)
    if coverage is Coverage.EXPIRED:
        reasons.append("010")
        details.append(f"valid to {person.valid_to}")
    elif coverage is Coverage.NOT_YET_VALID:
        reasons.append("K01")
        details.append(f"valid from {person.valid_from}")
    if person.group_code in ARMED_FORCES_GROUPS:
        reasons.append(ARMED_FORCES_GROUPS[person.group_code])
    reasons.extend(identity_mismatches(check.claim, person))
    if check.facility_to_match and check.facility_to_match != person.registered_facility:
        reasons.append("090")
        details.append(f"registered at {person.registered_facility}")
    reasons = _hard_first(reasons)
    return Decision.of(reasons, person, "; ".join(details))


def _hard_first(reasons: list[str]) -> list[str]:
    """Reasons that reject first, then those that ask staff to review, then informative ones (004),
    each group in the order checked above; so the result code always matches the verdict."""

    def rank(code: str) -> int:
        if code in INFORMATIVE_CODES:
            return 4
        if code in PROVISIONAL_CODES:
            return 2 if code == COVERAGE_UNCONFIRMED else 3
        return 1 if code in REVIEW_CODES else 0

    return sorted(reasons, key=rank)


def _prefix_mismatch(presented: CardNumber, person: Participation) -> str:
    """The social insurance number matched but the printed prefix did not: say which part is wrong."""
    if presented.benefit_level != person.benefit_level:
        return "053"
    if presented.province_code != person.province_code:
        return "052"
    return "051"


def with_credential_problems(
    problems: list[str], decision: Decision | None = None, detail: str = ""
) -> Decision:
    """Problems with the credential itself (token, chip: codes like T04, T06) come first and reject;
    the card's own verdict follows when the card could be judged at all."""
    card_reasons = [c for c in decision.reasons if c != ACCEPTED_CODE] if decision else []
    participant = decision.participant if decision else None
    details = "; ".join(d for d in (detail, decision.detail if decision else "") if d)
    return Decision.of(_hard_first([*problems, *card_reasons]), participant, details)
