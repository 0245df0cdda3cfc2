"""`envelopes.set_time` writes the same Timestamp as protobuf's own `FromDatetime`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st

from verifier.events.envelopes import set_time

OFFSETS = st.sampled_from(
    [UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-5, minutes=-30)), None]
)


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
    OFFSETS,
)
def test_set_time_equals_from_datetime(at: datetime, zone: timezone | None) -> None:
    at = at.replace(tzinfo=zone)
    ours, theirs = Timestamp(), Timestamp()
    set_time(ours, at)
    theirs.FromDatetime(at)
    assert (ours.seconds, ours.nanos) == (theirs.seconds, theirs.nanos)
