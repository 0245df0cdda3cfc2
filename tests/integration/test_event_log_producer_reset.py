"""The event log keeps writing after its producer had to drop its producer id.

kafka-python drops an idempotent producer's id when a batch it already sent expires, which is what
happens when a partition leader is SIGKILLed mid-request (the chaos test's scenario a). Unpatched,
kafka-python 3.0.12 then never asks for a new id and never sends again: every later check-in is
answered UNAVAILABLE for good. The reset is forced here directly, so the test is deterministic.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from bhyt.v1 import events_pb2 as ev

from verifier.adapters.kafka_log import KafkaEventLog
from verifier.settings import Settings


def check_in(check_in_id: str) -> ev.EventEnvelope:
    return ev.EventEnvelope(
        event_id=str(uuid.uuid4()),
        key="4016354956",
        check_in_verified=ev.CheckInVerified(check_in_id=check_in_id),
    )


def test_appends_are_acknowledged_after_the_producer_id_was_reset(settings: Settings) -> None:
    s = settings.with_(publish_timeout_s=3.0)
    log = KafkaEventLog.connect(s)
    try:
        first = asyncio.run(log.append_envelope(check_in("before")))
        log._producer._transaction_manager.reset_producer_id()  # what an expired, already-sent batch does
        started = time.monotonic()
        second = asyncio.run(log.append_envelope(check_in("after")))  # unpatched: unavailable after 8 s
        assert time.monotonic() - started < s.publish_timeout_s
    finally:
        log.close()
    assert (first.topic, second.topic) == (s.topic_checkins, s.topic_checkins)
