from datetime import UTC, datetime

import pytest
from bhyt.v1 import events_pb2 as ev

from projections.participation.model import evolve
from projections.usage.model import mutation_for as usage_change
from tests.support.people import AN
from verifier.domain.station import Station
from verifier.domain.verdicts import Decision
from verifier.events import UndecodableEvent, decode_event
from verifier.events import envelopes as events

AT = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)  # 01:30 on 24 Nov in Vietnam
PERSON = AN


def test_enrollment_is_a_full_snapshot() -> None:
    state = evolve(None, events.participant_enrolled(PERSON, at=AT, producer="t"))
    assert state == PERSON


def test_check_in_counts_on_the_vietnam_day_and_keeps_recent_entries() -> None:
    event = events.check_in_verified(
        Decision.accept(PERSON),
        key="4016354956",
        presented_number="GD4404016354956",
        station=Station("40-001", "k1", "staff-1"),
        at=AT,
        producer="t",
    )
    change = usage_change(event, recent_size=5)
    assert change is not None
    assert ("INCR", "u:{4016354956}:d:20261124") in change.commands
    assert ("HINCRBY", "u:{4016354956}", "a", "1") in change.commands
    assert ("LTRIM", "u:{4016354956}:r", "0", "4") in change.commands


def test_rejected_check_in_is_counted_but_not_as_accepted() -> None:
    event = events.check_in_verified(
        Decision.reject("050"),
        key="card:GD4404016354956",
        presented_number="GD4404016354956",
        station=Station("40-001", "k1", "staff-1"),
        at=AT,
        producer="t",
    )
    change = usage_change(event, recent_size=5)
    assert change is not None and change.guard_key == "u:{card:GD4404016354956}"
    assert not any(c[:3] == ("HINCRBY", "u:{card:GD4404016354956}", "a") for c in change.commands)


def test_each_projection_ignores_the_other_ones_events() -> None:
    enrolled = events.participant_enrolled(PERSON, at=AT, producer="t")
    assert usage_change(enrolled, recent_size=5) is None


def test_codec_round_trip_and_refusals() -> None:
    event = events.participant_enrolled(PERSON, at=AT, producer="t")
    assert decode_event(event.SerializeToString()) == event
    with pytest.raises(UndecodableEvent):
        decode_event(b"\xff\xff\xff")
    with pytest.raises(UndecodableEvent):
        decode_event(ev.EventEnvelope(event_id="x", schema_version=1).SerializeToString())
    future = ev.EventEnvelope()
    future.CopyFrom(event)
    future.schema_version = 99
    with pytest.raises(UndecodableEvent, match="newer"):
        decode_event(future.SerializeToString())
