"""Each VSS code, produced from a record built by folding real events (the projection's `evolve`)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from bhyt.v1 import events_pb2 as ev

from projections.participation.model import evolve
from tests.support.people import AN
from verifier.domain.card_number import CardNumberProblem, parse_card_number
from verifier.domain.identity import IdentityClaim
from verifier.domain.participation import CardValidity, Gender, Participation, Status
from verifier.domain.verdicts import CardCheck, Decision, Verdict, judge_card
from verifier.events import envelopes as events
from verifier.readmodel.participation import decode_participation, encode_participation

AT = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
TODAY = date(2026, 6, 1)
SIN = "4016354956"
ENROLLED = AN


def fold(*payloads: object) -> Participation:
    state = evolve(None, events.participant_enrolled(ENROLLED, at=AT, producer="t"))
    for payload in payloads:
        state = evolve(state, events.lifecycle(SIN, payload, at=AT, producer="t"))  # type: ignore[arg-type]
    assert state is not None
    return state


def verdict(number: str, person: Participation | None, *, today: date = TODAY, **claims: object) -> Decision:
    presented: object
    try:
        presented = parse_card_number(number)
    except CardNumberProblem as problem:
        presented = problem
    facility = str(claims.pop("facility", ""))
    claim = IdentityClaim.parse(**claims)  # type: ignore[arg-type]
    return judge_card(CardCheck(presented, person, today, claim=claim, facility_to_match=facility))


def validity(card: str, start: str, end: str) -> ev.CardValidity:
    return ev.CardValidity(card_number=card, valid_from=start, valid_to=end)


def reduced(code: str, effective_on: str) -> ev.ParticipationReduced:
    return ev.ParticipationReduced(social_insurance_number=SIN, reason_code=code, effective_on=effective_on)


REPLACED = (
    ev.CardReplaced(
        social_insurance_number=SIN,
        old_card=validity("GD4404016354956", "2026-01-01", "2026-12-31"),
        new_card=validity("HN2404016354956", "2026-05-01", "2027-04-30"),
    ),
)


def test_seed_cards_parse_to_their_parts() -> None:
    for card in ("GD4404016354956", "GB4404018936634"):
        parsed = parse_card_number(card)
        assert (parsed.group_code, parsed.benefit_level, parsed.province_code) == (card[:2], 4, "40")


@pytest.mark.parametrize(
    ("number", "payloads", "today", "claims", "code", "outcome"),
    [
        ("GD4404016354956", (), TODAY, {}, "000", Verdict.ACCEPTED),
        ("4016354956", (), TODAY, {}, "000", Verdict.ACCEPTED),
        ("GD4404016354956", REPLACED, TODAY, {}, "004", Verdict.ACCEPTED),
        ("GD4404016354956", REPLACED, date(2027, 1, 1), {}, "003", Verdict.ACCEPTED),  # new card judged
        ("HN2404016354956", REPLACED, TODAY, {}, "000", Verdict.ACCEPTED),
        ("GD4404016354956", (), date(2027, 1, 1), {}, "010", Verdict.REJECTED),
        ("GD4404016354956", (), date(2025, 12, 31), {}, "K01", Verdict.REJECTED),
        ("GD4404016354957", (), TODAY, {}, "050", Verdict.REJECTED),
        ("GD44040163549", (), TODAY, {}, "051", Verdict.REJECTED),
        ("DN4404016354956", (), TODAY, {}, "051", Verdict.REJECTED),
        ("GD4014016354956", (), TODAY, {}, "052", Verdict.REJECTED),
        ("GD3404016354956", (), TODAY, {}, "053", Verdict.REJECTED),
        ("GD4404016354956", (), TODAY, {"full_name": "Trần Văn An"}, "060", Verdict.NEEDS_REVIEW),
        ("GD4404016354956", (), TODAY, {"full_name": "Nguyễn Văn Anh"}, "061", Verdict.NEEDS_REVIEW),
        ("GD4404016354956", (), TODAY, {"full_name": "NGUYỄN  văn an"}, "000", Verdict.ACCEPTED),
        ("GD4404016354956", (), TODAY, {"date_of_birth": "1990-05-02"}, "070", Verdict.NEEDS_REVIEW),
        ("GD4404016354956", (), TODAY, {"date_of_birth": "1991"}, "070", Verdict.NEEDS_REVIEW),
        ("GD4404016354956", (), TODAY, {"date_of_birth": "1990"}, "000", Verdict.ACCEPTED),
        ("GD4404016354956", (), TODAY, {"gender": Gender.FEMALE}, "080", Verdict.NEEDS_REVIEW),
        ("GD4404016354956", (), TODAY, {"facility": "40-001"}, "090", Verdict.ACCEPTED),  # a data note
        ("GD4404016354956", (), TODAY, {"facility": "40-C54"}, "000", Verdict.ACCEPTED),
        (
            "GD4404016354956",
            (ev.CardRevoked(social_insurance_number=SIN, card_number="GD4404016354956"),),
            TODAY, {}, "110", Verdict.REJECTED,
        ),
        *[
            (
                "GD4404016354956",
                (reduced(code, "2026-05-01"),),
                TODAY, {}, code, Verdict.REJECTED,
            )
            for code in ("120", "121", "122", "123", "124")
        ],
        (
            "GD4404016354956",
            (reduced("123", "2026-07-01"),),
            TODAY, {}, "000", Verdict.ACCEPTED,
        ),
        (
            "GD4404016354956",
            (ev.CardReportedLost(social_insurance_number=SIN, card_number="GD4404016354956"),),
            TODAY, {}, "K02", Verdict.NEEDS_REVIEW,
        ),
    ],
)  # fmt: skip
def test_vss_codes(
    number: str,
    payloads: tuple[object, ...],
    today: date,
    claims: dict[str, object],
    code: str,
    outcome: Verdict,
) -> None:
    person = fold(*payloads)
    decision = verdict(number, None if number.endswith("957") else person, today=today, **claims)
    assert (decision.result_code, decision.verdict) == (code, outcome)


def test_every_failing_check_is_reported_hard_failures_first() -> None:
    person = fold(*REPLACED, ev.CardRevoked(social_insurance_number=SIN, card_number="HN2404016354956"))
    decision = verdict("GD4404016354956", person, full_name="Trần Văn An")
    assert decision.reasons == ("110", "060", "004")
    assert decision.verdict is Verdict.REJECTED


def test_armed_forces_cards_ask_for_id_papers() -> None:
    person = fold(
        ev.CardIssued(
            social_insurance_number=SIN, card=validity("QN5404016354956", "2026-01-01", "2026-12-31")
        )
    )
    decision = verdict("QN5404016354956", person)
    assert (decision.result_code, decision.verdict) == ("001", Verdict.NEEDS_REVIEW)


def test_lifecycle_fold_keeps_history() -> None:
    person = fold(
        *REPLACED,
        ev.CoverageExtended(
            social_insurance_number=SIN, card_number="HN2404016354956", valid_to="2027-12-31"
        ),
        ev.RegisteredFacilityChanged(social_insurance_number=SIN, registered_facility="40-001"),
    )
    assert person.card_number == "HN2404016354956"
    assert person.valid_to == date(2027, 12, 31)
    assert person.registered_facility == "40-001"
    assert person.previous_cards == (CardValidity("GD4404016354956", date(2026, 1, 1), date(2026, 12, 31)),)
    assert person.status is Status.ACTIVE


def test_lifecycle_event_for_someone_not_enrolled_is_refused() -> None:
    with pytest.raises(ValueError, match="not enrolled"):
        evolve(None, events.lifecycle(SIN, ev.CardRevoked(card_number="x"), at=AT, producer="t"))


def test_packed_record_round_trips() -> None:
    person = fold(
        *REPLACED,
        ev.CardReportedLost(social_insurance_number=SIN, card_number="GD4404016354956"),
        ev.ParticipationReduced(social_insurance_number=SIN, reason_code="121", effective_on="2026-09-01"),
    )
    assert decode_participation(SIN, encode_participation(person)) == person


def test_renewal_window_old_card_still_covers() -> None:
    renewal = ev.CardReplaced(
        social_insurance_number=SIN,
        old_card=validity("GD4404016354956", "2026-01-01", "2026-12-31"),
        new_card=validity("GB4404016354956", "2027-01-01", "2027-12-31"),
    )
    person = fold(renewal)
    assert verdict("GD4404016354956", person).verdict is Verdict.ACCEPTED  # 004: old card, still valid
    assert verdict("4016354956", person).result_code == "000"  # the number alone: covered today
    assert verdict("4016354956", person, today=date(2027, 6, 1)).result_code == "000"


def test_result_code_matches_the_verdict() -> None:
    lost_and_expired = fold(ev.CardReportedLost(social_insurance_number=SIN, card_number="GD4404016354956"))
    decision = verdict("GD4404016354956", lost_and_expired, today=date(2027, 2, 1))
    assert (decision.result_code, decision.verdict) == ("010", Verdict.REJECTED)
    assert decision.reasons == ("010", "K02")
