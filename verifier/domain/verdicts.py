"""Verdict rules for a card presented at check-in, as VSS gives them and hospitals apply them.

Takes its world as arguments (the presented number, the participation record or None, the Vietnam
calendar day, what the request claims) so that every rule is a pure function, testable without
servers or clocks. Every check is reported: card number, card replaced or lost, revoked, reduced,
validity, armed-forces fund, identity (name, birth date, gender), registered facility, a child
checked in without a card; then ordered so that the first one, the result code hospitals see,
matches the verdict: what refuses first, then what asks staff to check the papers, then what is
provisional, then notes (hospital software treats 001/002/003/130 as "check and go on",
060/061/070/080 as "staff review with ID papers", 010/05x/110/12x as refusals; 090 is a data note:
the law pays treatment outside the registered facility in many cases, the hospital decides).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from verifier.domain.card_number import ARMED_FORCES_PROVINCES, CardNumber, CardNumberProblem
from verifier.domain.groups import ARMED_FORCES_GROUPS
from verifier.domain.identity import NAME_WITHOUT_DIACRITICS, IdentityClaim, identity_mismatches
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
REVIEW_CODES = frozenset({"001", "002", "060", "061", "070", "080", "K02", "F01", "F02"})
# Codes that inform but do not decide: the verdict follows the other reasons. 003/004: a new card
# was issued (the new card is what is judged); 090: not the registered facility; 130: a child
# checked in without a card; K03: the name matches only without diacritics.
REPLACED_EXPIRED, REPLACED_VALID, NOT_REGISTERED_FACILITY, CHILD_WITHOUT_CARD = "003", "004", "090", "130"
INFORMATIVE_CODES = frozenset(
    {
        ACCEPTED_CODE,
        REPLACED_EXPIRED,
        REPLACED_VALID,
        NOT_REGISTERED_FACILITY,
        CHILD_WITHOUT_CARD,
        NAME_WITHOUT_DIACRITICS,
    }
)
# Degraded mode: coverage unconfirmed (P01), and the token replay check not made either (P02).
COVERAGE_UNCONFIRMED, REPLAY_UNCHECKED = "P01", "P02"
PERSON_ERASED = "K04"
PROVISIONAL_CODES = frozenset({COVERAGE_UNCONFIRMED, REPLAY_UNCHECKED})
# A child under this age (on the check-in day) may be checked in without a card (VSS 130).
CHILD_AGE_WITHOUT_CARD = 6


class FacilityRoute(StrEnum):
    """Where the kiosk's facility stands to the registered initial-care facility (when asked)."""

    REGISTERED = "registered"
    SAME_PROVINCE = "same_province"  # same province code, the first two characters ("40-C54")
    OTHER_PROVINCE = "other_province"


@dataclass(frozen=True)
class NewCard:
    """The card that replaced the one presented (003/004): the answer carries it, as VSS's does."""

    card_number: str
    valid_from: date
    valid_to: date | None  # None: open-ended
    registered_facility: str


@dataclass(frozen=True)
class Decision:
    """What the kiosk is told: the verdict, the VSS result code, every reason, the participant,
    the new card when the one presented was replaced, and where the kiosk stands to the registered
    facility when that was asked."""

    verdict: Verdict
    result_code: str
    reasons: tuple[str, ...] = ()
    participant: Participation | None = None
    detail: str = ""
    new_card: NewCard | None = None
    facility_route: FacilityRoute | None = None
    detail_vi: str = ""  # the card rules' detail in Vietnamese; a credential's own stays in English

    @classmethod
    def of(
        cls,
        reasons: list[str],
        participant: Participation | None = None,
        detail: str = "",
        *,
        new_card: NewCard | None = None,
        facility_route: FacilityRoute | None = None,
        detail_vi: str = "",
    ) -> Decision:
        """Verdict from the reasons: any hard failure rejects, review codes ask staff, coverage that
        could not be confirmed is provisional, else accept (informative codes never decide)."""
        if not reasons:
            reasons = [ACCEPTED_CODE]
        hard = [c for c in reasons if rank(c) == _HARD]
        if hard:
            verdict = Verdict.REJECTED
        elif any(c in REVIEW_CODES for c in reasons):
            verdict = Verdict.NEEDS_REVIEW
        elif any(c in PROVISIONAL_CODES for c in reasons):
            verdict = Verdict.PROVISIONAL
        else:
            verdict = Verdict.ACCEPTED
        return cls(
            verdict, reasons[0], tuple(reasons), participant, detail, new_card, facility_route, detail_vi
        )

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
    by_personal_id: bool = False  # found by the personal (CCCD) number, no card presented (130)


def judge_card(check: CardCheck) -> Decision:
    if isinstance(check.presented, CardNumberProblem):
        return Decision.reject(check.presented.reason, detail=str(check.presented))
    person = check.participant
    if person is None:
        return Decision.reject("050")
    if person.status is Status.ERASED:
        return Decision.reject(PERSON_ERASED, participant=person)  # nothing personal left to judge by
    presented, today = check.presented, check.today
    reasons: list[str] = []
    details: list[tuple[str, str]] = []  # (English, Vietnamese)
    new_card = None

    if presented.is_full and presented.text != person.card_number:
        old = person.previous_card(presented.text)
        if old is None:
            return Decision.reject(_prefix_mismatch(presented, person), participant=person)
        if presented.text in person.lost_cards:
            reasons.append("K02")
        else:
            # VSS answers with the new card, and the new card is what is judged below.
            expired = old.valid_to is not None and today > old.valid_to
            reasons.append(REPLACED_EXPIRED if expired else REPLACED_VALID)
            new_card = NewCard(
                person.card_number, person.valid_from, person.valid_to, person.registered_facility
            )
            details.append((f"new card {person.card_number}", f"thẻ mới {person.card_number}"))
    elif person.status is Status.LOST:
        reasons.append("K02")

    if person.status is Status.REVOKED:
        reasons.append("110")
    if person.reduced_on(today):
        reasons.append(person.reduction_code or "120")  # VSS 120: reduced, no more specific reason
    coverage = person.covered_on(today)
    if coverage is Coverage.EXPIRED:
        reasons.append("010")
        details.append((f"valid to {person.valid_to}", f"hạn thẻ đến {person.valid_to}"))
    elif coverage is Coverage.NOT_YET_VALID:
        reasons.append("K01")
        details.append((f"valid from {person.valid_from}", f"thẻ có giá trị từ {person.valid_from}"))
    armed_forces = _armed_forces_code(person)
    if armed_forces:
        reasons.append(armed_forces)
    reasons.extend(identity_mismatches(check.claim, person))
    route = None
    if check.facility_to_match:
        route = facility_route(check.facility_to_match, person.registered_facility)
        if route is not FacilityRoute.REGISTERED:
            reasons.append(NOT_REGISTERED_FACILITY)
            details.append(
                (f"registered at {person.registered_facility}", f"nơi ĐKBĐ {person.registered_facility}")
            )
    if check.by_personal_id and coverage is Coverage.ACTIVE and _is_young_child(person, today):
        reasons.append(CHILD_WITHOUT_CARD)
    return Decision.of(
        _hard_first(reasons),
        person,
        "; ".join(en for en, _ in details),
        new_card=new_card,
        facility_route=route,
        detail_vi="; ".join(vi for _, vi in details),
    )


def facility_route(kiosk_facility: str, registered_facility: str) -> FacilityRoute:
    """The registered facility itself, another in its province (same first two characters, the
    province code), or one in another province."""
    if kiosk_facility == registered_facility:
        return FacilityRoute.REGISTERED
    if kiosk_facility[:2] == registered_facility[:2]:
        return FacilityRoute.SAME_PROVINCE
    return FacilityRoute.OTHER_PROVINCE


_HARD, _REVIEW, _COVERAGE_UNCONFIRMED, _REPLAY_UNCHECKED, _INFORMATIVE, _OUR_NOTE = range(6)


def rank(code: str) -> int:
    """Where a reason goes: what refuses, then staff review, then provisional (coverage, then the
    replay check), then notes: VSS's before ours, so a VSS code is the result code when there is one."""
    if code in INFORMATIVE_CODES:
        return _INFORMATIVE if code[0].isdigit() else _OUR_NOTE
    if code in PROVISIONAL_CODES:
        return _COVERAGE_UNCONFIRMED if code == COVERAGE_UNCONFIRMED else _REPLAY_UNCHECKED
    return _REVIEW if code in REVIEW_CODES else _HARD


def _hard_first(reasons: list[str]) -> list[str]:
    """Reasons ordered by `rank`, each group in the order checked above (a stable sort); so the
    result code, the first reason, always matches the verdict."""
    return sorted(reasons, key=rank)


def _armed_forces_code(person: Participation) -> str:
    """001 for a card the Defence insurance fund manages, 002 for Public Security: by the card's
    province (97, 98), else by its group (QN, CY; CA)."""
    return ARMED_FORCES_PROVINCES.get(person.province_code) or ARMED_FORCES_GROUPS.get(person.group_code, "")


def _is_young_child(person: Participation, day: date) -> bool:
    """Under 6 in completed years on `day` (a birthday on 29 February counts from 1 March)."""
    born = person.date_of_birth
    age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    return age < CHILD_AGE_WITHOUT_CARD


def _prefix_mismatch(presented: CardNumber, person: Participation) -> str:
    """The social insurance number matched but the printed prefix did not: say which part is wrong
    (another group is simply another card number: 051)."""
    if presented.group_code != person.group_code:
        return "051"
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
    details_vi = "; ".join(d for d in (detail, decision.detail_vi if decision else "") if d)
    return Decision.of(
        _hard_first([*problems, *card_reasons]),
        participant,
        details,
        new_card=decision.new_card if decision else None,
        facility_route=decision.facility_route if decision else None,
        detail_vi=details_vi,
    )
