"""The event log on Kafka, written with kafka-python.

`append` hands the record to the producer's background thread and awaits the broker's ack
without blocking the event loop; the verifier answers a kiosk only after that ack (acks=all,
idempotent producer), so no answered check-in can be missing from the log. When the broker
cannot confirm within the delivery timeout the caller gets EventLogUnavailable; a record the broker
never received expires inside the producer (it is not written later), but one that reached it just
as the timeout struck may still be in the log: "unavailable" means "not confirmed".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator, Mapping
from typing import Any

from bhyt.v1.events_pb2 import EventEnvelope
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.producer.future import RecordMetadata
from kafka.producer.transaction_manager import TransactionState

from verifier import metrics
from verifier.errors import EventLogUnavailable
from verifier.events.envelopes import ACCOUNT_PAYLOADS, LIFECYCLE_PAYLOADS, to_envelope
from verifier.events.facts import Fact
from verifier.ports import EventLog, Recorded
from verifier.settings import Settings

log = logging.getLogger(__name__)


def topic_routes(settings: Settings) -> dict[str, str]:
    """Which topic each payload kind goes to (the envelope's `payload` oneof field name)."""
    return {
        "participant_enrolled": settings.topic_participation,
        # The card lifecycle follows the enrollment on its topic, keyed by the person: one order.
        **dict.fromkeys(LIFECYCLE_PAYLOADS, settings.topic_participation),
        "check_in_verified": settings.topic_checkins,
        "signing_key_trusted": settings.topic_trust,
        "signing_key_revoked": settings.topic_trust,
        "face_match_recorded": settings.topic_face_matches,
        "alert_raised": settings.topic_alerts,
        "alert_updated": settings.topic_alerts,
        "alert_acknowledged": settings.topic_alerts,
        "alert_closed": settings.topic_alerts,
        **dict.fromkeys(ACCOUNT_PAYLOADS, settings.topic_accounts),
    }


def ensure_topics(settings: Settings, *, timeout_s: float = 30.0) -> None:
    """Create the topics if missing: events are retained forever, because the log is the source of
    truth; the imports topic is compacted, because only each file's latest checkpoint matters; the
    trust topic has one partition, because key administration is rare and must stay in order."""
    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=int(timeout_s * 1000)
    )
    try:
        existing = set(admin.list_topics())
        durable = {"min.insync.replicas": str(settings.topic_min_insync_replicas)}
        forever = {**durable, "retention.ms": "-1", "retention.bytes": "-1"}
        specs = [(name, settings.topic_partitions, forever) for name in settings.topics]
        specs.append((settings.topic_imports, 1, {**durable, "cleanup.policy": "compact"}))
        specs.append((settings.topic_trust, 1, forever))
        wanted = [
            NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=settings.topic_replication,
                topic_configs=cfg,
            )
            for name, partitions, cfg in specs
            if name not in existing
        ]
        if wanted:
            # Another process may create them between our list and create: same outcome.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(wanted, timeout_ms=int(timeout_s * 1000))
            log.info("created topics %s", [t.name for t in wanted])
    finally:
        admin.close()


def scan_topic(bootstrap: str, topic: str) -> Iterator[ConsumerRecord]:
    """Every record of `topic`, from offset zero to the end as it stood when the scan began."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            raise RuntimeError(f"topic {topic} does not exist; start the verifier once or run ensure_topics")
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=1000).values():
                yield from (r for r in records if r.offset < ends[TopicPartition(r.topic, r.partition)])
    finally:
        consumer.close()


class KafkaEventLog(EventLog):
    def __init__(
        self, producer: KafkaProducer, routes: Mapping[str, str], *, timeout_s: float, producer_name: str
    ) -> None:
        self._producer = producer
        self._routes = dict(routes)
        self._timeout_s = timeout_s
        self._producer_name = producer_name  # stamped on every envelope: which process wrote it
        self._append_timing: dict[str, Any] = {}

    @classmethod
    def connect(cls, settings: Settings) -> KafkaEventLog:
        """Blocking: connect and fetch topic metadata now, so `append` never blocks on it later."""
        delivery_ms = int(settings.publish_timeout_s * 1000)
        producer = KafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap.split(","),
            acks="all",
            enable_idempotence=True,
            linger_ms=settings.producer_linger_ms,
            delivery_timeout_ms=delivery_ms,
            request_timeout_ms=max(1000, delivery_ms - settings.producer_linger_ms - 1),
            max_block_ms=2000,
            # A kiosk is waiting: after a broker restart, try to reconnect within a second, not 30.
            reconnect_backoff_max_ms=1000,
            client_id=settings.producer_name,
        )
        reinitialise_after_producer_id_reset(producer)
        for topic in (*settings.topics, settings.topic_trust):
            if not producer.partitions_for(topic):
                producer.close()
                raise EventLogUnavailable(f"topic {topic} does not exist on {settings.kafka_bootstrap}")
        return cls(
            producer,
            topic_routes(settings),
            timeout_s=settings.publish_timeout_s,
            producer_name=settings.producer_name,
        )

    async def append(self, fact: Fact) -> Recorded:
        return await self.append_envelope(to_envelope(fact, producer=self._producer_name))

    async def append_envelope(self, event: EventEnvelope) -> Recorded:
        """An envelope built elsewhere (the monitor's alerts in tests, the importer's rows)."""
        kind = event.WhichOneof("payload")
        if kind is None or kind not in self._routes:
            raise ValueError(f"no topic for event payload {kind!r}")
        topic = self._routes[kind]
        loop = asyncio.get_running_loop()
        acked: asyncio.Future[RecordMetadata] = loop.create_future()
        started = time.perf_counter()
        try:
            sent = self._producer.send(topic, key=event.key.encode(), value=event.SerializeToString())
        except KafkaError as e:
            metrics.EVENT_LOG_FAILURES.labels(topic).inc()
            log.warning("event log refused the write: %s", e)
            raise EventLogUnavailable("event log refused the write") from e
        sent.add_callback(lambda md: loop.call_soon_threadsafe(_resolve, acked, md))
        sent.add_errback(lambda exc: loop.call_soon_threadsafe(_fail, acked, exc))
        try:
            # The producer's delivery timeout decides; this outer bound only guards against a hang.
            md = await asyncio.wait_for(acked, self._timeout_s + 5)
        except (KafkaError, TimeoutError) as e:
            metrics.EVENT_LOG_FAILURES.labels(topic).inc()
            log.warning("event log did not confirm the write: %r", e)
            raise EventLogUnavailable("event log did not confirm the write") from e
        timing = self._append_timing.get(topic)
        if timing is None:  # one label lookup per topic, not per append
            timing = self._append_timing[topic] = metrics.EVENT_LOG_APPEND.labels(topic)
        timing.observe(time.perf_counter() - started)
        return Recorded(md.topic, md.partition, md.offset)

    def close(self, timeout_s: float = 10.0) -> None:
        """Flush what is buffered, then disconnect."""
        self._producer.close(timeout=timeout_s)


def reinitialise_after_producer_id_reset(producer: KafkaProducer) -> None:
    """Work around a kafka-python (3.0.12, and its master in 2026-08) bug that wedges an idempotent
    producer for good after a broker dies.

    When a batch that was already sent expires (a leader killed mid-request), the producer drops its
    producer id, as it must: it cannot know which sequence numbers the broker took. Its sender then
    asks for a new id only from the state UNINITIALIZED, but the reset leaves the state at READY: no
    id is ever asked for, nothing is sent again, and not even the delivery timeout fires (the sender
    returns before it expires batches), so every later check-in waits out `append`'s outer bound and
    is answered UNAVAILABLE, even once the cluster is whole again. Java's producer moves to
    UNINITIALIZED in the same reset (KAFKA-7737); this does the same, so the next sender loop fetches
    a new producer id. A batch being retried keeps its old id and sequence, so the broker still
    deduplicates it; new batches get the new id. Found by the chaos test (`bench/chaos.py`, scenario a).
    """
    manager = getattr(producer, "_transaction_manager", None)
    if manager is None or manager.is_transactional():
        return
    reset = manager.reset_producer_id

    def reset_and_reinitialise() -> None:
        reset()
        with manager._lock:  # _transition_to refuses UNINITIALIZED as a target, hence the field
            manager._current_state = TransactionState.UNINITIALIZED
        log.warning("event log: producer id dropped after an expired batch; asking the broker for a new one")

    manager.reset_producer_id = reset_and_reinitialise


def _resolve(fut: asyncio.Future[RecordMetadata], md: RecordMetadata) -> None:
    if not fut.done():
        fut.set_result(md)


def _fail(fut: asyncio.Future[RecordMetadata], exc: BaseException) -> None:
    if not fut.done():
        fut.set_exception(exc)
