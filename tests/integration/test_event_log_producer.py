"""The event log's producer: it recovers from a fatal error, and a record never confirmed is not
written later.

librdkafka declares an idempotent producer unusable after a fatal error (for example a sequence
the broker refuses); the adapter then starts a new producer on the next append. A real fatal error
cannot be provoked on demand, so librdkafka's own error object is handed to the adapter's error
callback as librdkafka would hand it.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from bhyt.v1 import events_pb2 as ev
from confluent_kafka import KafkaError
from kafka.partitioner.default import murmur2

from tests.support.kafka_state import all_records
from verifier.adapters.kafka_log import KafkaEventLog
from verifier.errors import EventLogUnavailable
from verifier.settings import Settings


def check_in(check_in_id: str, *, key: str = "4016354956") -> ev.EventEnvelope:
    return ev.EventEnvelope(
        event_id=str(uuid.uuid4()),
        key=key,
        check_in_verified=ev.CheckInVerified(check_in_id=check_in_id),
    )


def logged_ids(s: Settings) -> list[str]:
    return [
        ev.EventEnvelope.FromString(v).check_in_verified.check_in_id for v in all_records(s, s.topic_checkins)
    ]


def test_a_fatal_producer_error_is_followed_by_a_new_producer(settings: Settings) -> None:
    s = settings.with_(publish_timeout_s=3.0)
    log = KafkaEventLog.connect(s)
    try:
        first = asyncio.run(log.append_envelope(check_in("before")))
        log._deliveries.on_client_error(KafkaError(KafkaError._FATAL, "injected by the test", fatal=True))
        started = time.monotonic()
        second = asyncio.run(log.append_envelope(check_in("after")))
        assert time.monotonic() - started < s.publish_timeout_s
    finally:
        log.close()
    assert (first.topic, second.topic) == (s.topic_checkins, s.topic_checkins)
    assert logged_ids(s) == ["before", "after"]


def test_each_key_lands_in_the_partition_javas_partitioner_gives_it(settings: Settings) -> None:
    """As the importer (aiokafka), kafka-python and Java place it: a person's enrolment and later
    events must share a partition whoever wrote them. librdkafka's own default (CRC32) would not."""
    log = KafkaEventLog.connect(settings)
    try:
        keys = [f"40{n:08d}" for n in range(40)]
        placed = {key: asyncio.run(log.append_envelope(check_in(key, key=key))).partition for key in keys}
    finally:
        log.close()
    assert placed == {k: (murmur2(k.encode()) & 0x7FFFFFFF) % settings.topic_partitions for k in keys}


def test_a_topic_that_does_not_exist_is_refused_at_connect(settings: Settings) -> None:
    s = settings.with_(topic_alerts=f"missing-{uuid.uuid4().hex[:8]}.alerts.v1")
    with pytest.raises(EventLogUnavailable, match="does not exist"):
        KafkaEventLog.connect(s)


def test_no_broker_means_unavailable_at_connect(settings: Settings) -> None:
    s = settings.with_(kafka_bootstrap="127.0.0.1:1")
    started = time.monotonic()
    with pytest.raises(EventLogUnavailable, match="no answer from Kafka"):
        KafkaEventLog.connect(s)
    assert time.monotonic() - started < 30
