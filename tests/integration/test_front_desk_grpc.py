"""The verdict rules as VSS gives them (issue 15, items 1-3) over real gRPC, Kafka, Faust and Redis:
one CheckIn.VerifyCard per rule, against people enrolled through Participation.EnrollParticipant
or, for card lifecycle changes (replaced, reduced, revoked), through their events on the
participation topic as the importer and the staff commands write them.

One verifier and one Faust worker serve the module; every test uses people of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import grpc
import pytest
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import events_pb2 as ev
from kafka import KafkaProducer

from infra.local.procs import wait_until
from tests.support import stack as shared
from tests.support.client import STAFF_ID, enrollment
from tests.support.people import AN
from verifier.domain.participation import Participation
from verifier.events import envelopes as events

KIOSK_FACILITY = "40-001"  # the people below are registered at 40-C54, in the same province
AT = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)


class Stack(shared.Stack):
    def verify(self, facility: str = KIOSK_FACILITY, **fields: Any) -> api.CheckInDecision:
        request = api.VerifyCardRequest(facility_id=facility, kiosk_id="kiosk-1", staff_id=STAFF_ID, **fields)
        return self.client.checkin.VerifyCard(request, timeout=15)

    def published(self, person: Participation, *payloads: events.LifecyclePayload) -> Participation:
        """Enrol `person` and apply lifecycle `payloads` through the participation topic, in order
        under the person's key (`shows` waits for the projection)."""
        sin = person.social_insurance_number
        envelopes = [events.participant_enrolled(person, at=AT, producer="test")]
        envelopes += [events.lifecycle(sin, p, at=AT, producer="test") for p in payloads]
        _publish(self, envelopes)
        return person

    def shows(self, card: str, **expected: str) -> None:
        """Wait until the projection shows `card` with the `expected` participant fields."""

        def projected() -> bool:
            status = self.client.status(card)
            p = status.participant
            return status.found and all(getattr(p, k) == v for k, v in expected.items())

        wait_until(projected, timeout=30, what=f"{card} projected")


def _publish(stack: Stack, envelopes: Sequence[ev.EventEnvelope]) -> None:
    settings = stack.settings
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    try:
        for env in envelopes:
            producer.send(
                settings.topic_participation, key=env.key.encode(), value=env.SerializeToString()
            ).get(30)
    finally:
        producer.close()


@pytest.fixture(scope="module")
def stack(stacks: shared.StackFactory) -> Iterator[Stack]:
    settings = stacks.settings("desk", topic_partitions=2)
    with Stack.running(settings, stacks.log_dir(), worker=True) as stack:
        yield stack


def new_sin() -> str:
    return f"40{uuid.uuid4().int % 10**8:08d}"


def person(group_level: str = "GD4", **fields: object) -> Participation:
    """AN with a number of their own, covered from 2020 for good."""
    sin = new_sin()
    values: dict[str, object] = {
        "social_insurance_number": sin,
        "card_number": f"{group_level}40{sin}",
        "personal_id": "",
        "valid_from": date(2020, 1, 1),
        "valid_to": date(2099, 12, 31),
        **fields,
    }
    return replace(AN, **values)  # type: ignore[arg-type]


def outcome(decision: api.CheckInDecision) -> tuple[int, str]:
    return decision.verdict, decision.result_code


# ---- 1. Provinces 97 and 98, and 001 / 002 -------------------------------------------------------


@pytest.mark.parametrize(("prefix", "code"), [("QN597", "001"), ("CA598", "002"), ("TQ497", "001")])
def test_armed_forces_cards_are_checked_with_id_papers_and_go_on(
    stack: Stack, prefix: str, code: str
) -> None:
    card = stack.enrolled(f"{prefix}{new_sin()}")
    decision = stack.verify(card_number=card)
    assert outcome(decision) == (ev.VERDICT_NEEDS_REVIEW, code)
    assert decision.result_text_vi.startswith("Thẻ do BHXH Bộ")


# ---- 2. The group dictionary: 051 / 053, enrollment refuses them, the group's name is answered -----


@pytest.mark.parametrize(("prefix", "code"), [("ZZ440", "051"), ("TE440", "053")])
def test_an_unknown_group_or_a_level_it_cannot_carry_is_refused_at_check_in_and_enrollment(
    stack: Stack, prefix: str, code: str
) -> None:
    card = f"{prefix}{new_sin()}"
    assert outcome(stack.verify(card_number=card)) == (ev.VERDICT_REJECTED, code)
    with pytest.raises(grpc.RpcError) as info:
        stack.client.participation.EnrollParticipant(enrollment(card), timeout=15)
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT and f"VSS {code}" in (
        info.value.details() or ""
    )


def test_the_answer_names_the_group_in_vietnamese(stack: Stack) -> None:
    card = stack.enrolled(f"HN240{new_sin()}")
    decision = stack.verify(card_number=card)
    assert outcome(decision) == (ev.VERDICT_ACCEPTED, "000")
    assert decision.participant.group_name_vi == "Người thuộc hộ gia đình nghèo"


# ---- 3. 120 for a reduction without a reason ------------------------------------------------------


def test_a_reduction_without_a_reason_is_120(stack: Stack) -> None:
    p = person()
    sin = p.social_insurance_number
    stack.published(
        p, ev.ParticipationReduced(social_insurance_number=sin, reason_code="", effective_on="2021-01-01")
    )
    stack.shows(p.card_number, status="reduced")
    decision = stack.verify(card_number=p.card_number)
    assert outcome(decision) == (ev.VERDICT_REJECTED, "120")
    assert decision.result_text_vi == "Thẻ đã báo giảm"


# ---- 4. 090 is a data note, with where the kiosk stands ------------------------------------------


@pytest.mark.parametrize(
    ("facility", "route", "code"),
    [
        ("40-C54", "registered", "000"),
        ("40-001", "same_province", "090"),
        ("01-001", "other_province", "090"),
    ],
)
def test_090_never_refuses_and_the_answer_says_where_the_kiosk_stands(
    stack: Stack, facility: str, route: str, code: str
) -> None:
    card = stack.enrolled(f"GD440{new_sin()}")
    decision = stack.verify(facility, card_number=card, check_registered_facility=True)
    assert outcome(decision) == (ev.VERDICT_ACCEPTED, code)
    assert decision.facility_route == route
    assert stack.verify(facility, card_number=card).facility_route == ""  # not asked


# ---- 5. 003 / 004: the new card in the answer, and judged ----------------------------------------


def _replaced(stack: Stack, old_valid_to: str, *, revoked: bool = False) -> tuple[Participation, str]:
    """A person whose GD card (2020 to `old_valid_to`) was replaced by an open-ended HN card from
    2021, registered at 40-001; `revoked`: the new card was revoked since."""
    p = person()
    sin = p.social_insurance_number
    new = f"HN240{sin}"
    changes: list[events.LifecyclePayload] = [
        ev.CardReplaced(
            social_insurance_number=sin,
            old_card=ev.CardValidity(
                card_number=p.card_number, valid_from="2020-01-01", valid_to=old_valid_to
            ),
            new_card=ev.CardValidity(card_number=new, valid_from="2021-01-01", valid_to=""),
            registered_facility="40-001",
        )
    ]
    if revoked:
        changes.append(ev.CardRevoked(social_insurance_number=sin, card_number=new))
    stack.published(p, *changes)
    stack.shows(new, card_number=new, status="revoked" if revoked else "active")
    return p, new


@pytest.mark.parametrize(("old_valid_to", "code"), [("2020-12-31", "003"), ("2099-12-31", "004")])
def test_a_replaced_card_answers_with_the_new_card(stack: Stack, old_valid_to: str, code: str) -> None:
    p, new = _replaced(stack, old_valid_to)
    decision = stack.verify(card_number=p.card_number)
    assert outcome(decision) == (ev.VERDICT_ACCEPTED, code)
    assert decision.new_card == api.NewCard(
        card_number=new, valid_from="2021-01-01", valid_to="", registered_facility="40-001"
    )


def test_the_new_card_is_judged(stack: Stack) -> None:
    p, new = _replaced(stack, "2020-12-31", revoked=True)
    decision = stack.verify(card_number=p.card_number)
    assert outcome(decision) == (ev.VERDICT_REJECTED, "110")
    assert [r.code for r in decision.reasons] == ["110", "003"]
    assert decision.new_card.card_number == new


# ---- 6. Identity: staff review; names as people write them; a year-only birth date ----------------


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        ({"full_name": "Trần Văn An"}, (ev.VERDICT_NEEDS_REVIEW, "060")),
        ({"date_of_birth": "1990-05-02"}, (ev.VERDICT_NEEDS_REVIEW, "070")),
        ({"gender": ev.GENDER_FEMALE}, (ev.VERDICT_NEEDS_REVIEW, "080")),
        ({"full_name": "NGUYEN VAN AN"}, (ev.VERDICT_ACCEPTED, "K03")),
        ({"full_name": "nguyễn  văn AN"}, (ev.VERDICT_ACCEPTED, "000")),
    ],
)
def test_identity_mismatches_ask_for_the_papers_and_a_bare_name_is_a_note(
    stack: Stack, claim: dict[str, Any], expected: tuple[int, str]
) -> None:
    card = stack.enrolled(f"GD440{new_sin()}")
    assert outcome(stack.verify(card_number=card, **claim)) == expected


def test_tone_mark_placement_and_a_year_only_record(stack: Stack) -> None:
    card = stack.enrolled(f"GD440{new_sin()}", full_name="Lê Thị Hoà", date_of_birth="1990")
    decision = stack.verify(card_number=card, full_name="Lê Thị Hòa", date_of_birth="1990-07-15")
    assert outcome(decision) == (ev.VERDICT_ACCEPTED, "000")
    assert outcome(stack.verify(card_number=card, date_of_birth="1991-07-15")) == (
        ev.VERDICT_NEEDS_REVIEW,
        "070",
    )


# ---- 7. 130: a child under 6 checked in by personal number ---------------------------------------


def test_a_covered_child_under_6_found_by_personal_number_gets_130(stack: Stack) -> None:
    born = (datetime.now(UTC) - timedelta(days=3 * 365)).date().isoformat()
    sin = new_sin()
    pid = f"040{uuid.uuid4().int % 10**9:09d}"
    card = stack.enrolled(f"TE140{sin}", date_of_birth=born, personal_id=pid)
    by_number = stack.verify(personal_id=pid)
    assert outcome(by_number) == (ev.VERDICT_ACCEPTED, "130")
    assert by_number.result_text_vi == "Trẻ em không xuất trình thẻ"
    assert outcome(stack.verify(card_number=card)) == (ev.VERDICT_ACCEPTED, "000")  # a card shown
