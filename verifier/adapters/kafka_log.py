"""The event log on Kafka: appends with confluent-kafka (librdkafka), topics and scans with
kafka-python.

`append` queues the record in librdkafka and awaits the broker's ack without blocking the event
loop; the verifier answers a kiosk only after that ack (acks=all, idempotent producer), so no
answered check-in can be missing from the log. When the broker cannot confirm within the message
timeout the caller gets EventLogUnavailable; a record the broker never received expires inside the
producer (it is not written later), but one that reached it just as the timeout struck may still
be in the log: "unavailable" means "not confirmed".

Why librdkafka for appends: kafka-python's sender is a Python thread that held the GIL against the
event loop for about a third of the verifier's time under load (BENCHMARKS.md, "Check-in load:
CPU per check-in").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bhyt.v1.events_pb2 import EventEnvelope
from confluent_kafka import KafkaError, KafkaException, Message, Producer
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import TopicAlreadyExistsError

from verifier import metrics
from verifier.adapters.data_keys import DataKeyRing, PersonalDataVault
from verifier.adapters.key_encryption import FileKeyEncryptionKeys
from verifier.errors import EventLogUnavailable
from verifier.events.envelopes import ACCOUNT_PAYLOADS, LIFECYCLE_PAYLOADS, to_envelope
from verifier.events.facts import Fact, PersonErased, StaffRemoved
from verifier.events.sealing import needs_sealing, person_subject, staff_subject
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


def topic_specs(settings: Settings) -> list[NewTopic]:
    """Every topic the service needs, as `ensure_topics` creates it (the production manifests'
    KafkaTopics are checked against this): events are retained forever, because the log is the
    source of truth; the imports topic is compacted, because only each file's latest checkpoint
    matters; the trust topic has one partition, because key administration is rare and must stay
    in order."""
    durable = {"min.insync.replicas": str(settings.topic_min_insync_replicas)}
    forever = {**durable, "retention.ms": "-1", "retention.bytes": "-1"}
    specs = [(name, settings.topic_partitions, forever) for name in settings.topics]
    specs.append((settings.topic_imports, 1, {**durable, "cleanup.policy": "compact"}))
    specs.append((settings.topic_trust, 1, forever))
    # The data keys: only each key's latest record matters, and an erased key must really go.
    shred = {
        **durable,
        "cleanup.policy": "compact",
        "segment.ms": str(settings.data_keys_segment_ms),
        "delete.retention.ms": str(settings.data_keys_delete_retention_ms),
        "min.cleanable.dirty.ratio": "0.01",
    }
    specs.append((settings.topic_data_keys, settings.topic_partitions, shred))
    return [
        NewTopic(
            name, num_partitions=partitions, replication_factor=settings.topic_replication, topic_configs=cfg
        )
        for name, partitions, cfg in specs
    ]


def ensure_topics(settings: Settings, *, timeout_s: float = 30.0) -> None:
    """Create the topics of `topic_specs` that are missing."""
    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=int(timeout_s * 1000)
    )
    try:
        existing = set(admin.list_topics())
        wanted = [t for t in topic_specs(settings) if t.name not in existing]
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
    """Appends through librdkafka (confluent-kafka): batching, sending and acks happen in its C
    threads, off the GIL and off the event loop; `produce` only queues the record. librdkafka
    reports deliveries from `poll`, which a thread of ours calls, handing each poll's outcomes to
    the loop in one wake-up (`_Deliveries`)."""

    def __init__(
        self,
        config: Mapping[str, Any],
        routes: Mapping[str, str],
        *,
        timeout_s: float,
        producer_name: str,
        personal_data: PersonalDataSettings | None = None,
    ) -> None:
        self._config = dict(config)
        self._routes = dict(routes)
        self._timeout_s = timeout_s
        self._producer_name = producer_name  # stamped on every envelope: which process wrote it
        self._append_timing: dict[str, Any] = {}
        self._deliveries = _Deliveries(self._config)
        self._seal = False
        self._vault: PersonalDataVault | None = None
        if personal_data is not None:
            keks = FileKeyEncryptionKeys.load(personal_data.kek_file)
            ring = DataKeyRing(self._config["bootstrap.servers"], personal_data.topic, keks)
            self._vault = PersonalDataVault(
                keks, personal_data.topic, self._produce, ring, producer=producer_name
            )
            self._seal = personal_data.seal

    @classmethod
    def connect(cls, settings: Settings) -> KafkaEventLog:
        """Blocking: connect and fetch topic metadata now, so the first appends do not wait for it."""
        log_ = cls(
            producer_config(settings),
            topic_routes(settings),
            timeout_s=settings.publish_timeout_s,
            producer_name=settings.producer_name,
            personal_data=PersonalDataSettings.of(settings),
        )
        try:
            log_.check_topics(
                (*settings.topics, settings.topic_trust, settings.topic_data_keys), timeout_s=10.0
            )
        except BaseException:
            log_.close(timeout_s=0)
            raise
        return log_

    def check_topics(self, topics: Iterable[str], *, timeout_s: float) -> None:
        """EventLogUnavailable unless the broker answers and every topic exists with partitions."""
        try:
            found = self._deliveries.producer.list_topics(timeout=timeout_s).topics
        except KafkaException as e:
            raise EventLogUnavailable(f"no answer from Kafka: {e.args[0] if e.args else e}") from e
        bootstrap = self._config["bootstrap.servers"]
        for topic in topics:
            meta = found.get(topic)
            if meta is None or meta.error is not None or not meta.partitions:
                raise EventLogUnavailable(f"topic {topic} does not exist on {bootstrap}")

    async def append(self, fact: Fact) -> Recorded:
        """Personal fields are sealed under a new data key of their subject, whose record is durable
        before the event is written; an erasure (or a staff member's removal) is durable before the
        subject's keys are tombstoned (a crash between them leaves keys a retry tombstones)."""
        event = to_envelope(fact, producer=self._producer_name)
        if self._seal and self._vault is not None and needs_sealing(event):
            await self._vault.seal(event)
        recorded = await self.append_envelope(event)
        if self._vault is not None:
            if isinstance(fact, PersonErased):
                await self._vault.shred(person_subject(fact.key))
            elif isinstance(fact, StaffRemoved):  # a removed staff member's CCCD and name go too
                await self._vault.shred(staff_subject(fact.registry_id))
        return recorded

    async def rewrap_data_keys(self) -> int:
        """Re-wrap every data key under the current key-encryption key (`kek rewrap`)."""
        if self._vault is None:
            raise ValueError("this event log was made without personal data settings")
        await asyncio.to_thread(self._vault.ring.catch_up)
        return await self._vault.rewrap(self._vault.ring.wrapped_keys())

    async def append_envelope(self, event: EventEnvelope) -> Recorded:
        """An envelope built elsewhere (the monitor's alerts in tests, the importer's rows)."""
        kind = event.WhichOneof("payload")
        if kind is None or kind not in self._routes:
            raise ValueError(f"no topic for event payload {kind!r}")
        return await self._produce(self._routes[kind], event.key, event.SerializeToString())

    async def _produce(self, topic: str, key: str, value: bytes | None) -> Recorded:
        """Write one record (None: a tombstone) and return once the broker acknowledged it."""
        if self._deliveries.failed:
            self._replace_producer()
        loop = asyncio.get_running_loop()
        acked: asyncio.Future[Recorded] = loop.create_future()
        started = time.perf_counter()
        try:
            self._deliveries.produce(topic, key.encode(), value, acked)
        except (BufferError, KafkaException) as e:
            metrics.EVENT_LOG_FAILURES.labels(topic).inc()
            log.warning("event log refused the write: %s", e)
            raise EventLogUnavailable("event log refused the write") from e
        # librdkafka's message timeout decides; this outer bound only guards against a hang (one
        # timer, where `asyncio.wait_for` would add a future and callbacks to every append).
        bound = loop.call_later(self._timeout_s + 5, _time_out, acked)
        try:
            recorded = await acked
        except (KafkaException, TimeoutError) as e:
            metrics.EVENT_LOG_FAILURES.labels(topic).inc()
            log.warning("event log did not confirm the write: %r", e)
            raise EventLogUnavailable("event log did not confirm the write") from e
        finally:
            bound.cancel()
        timing = self._append_timing.get(topic)
        if timing is None:  # one label lookup per topic, not per append
            timing = self._append_timing[topic] = metrics.EVENT_LOG_APPEND.labels(topic)
        timing.observe(time.perf_counter() - started)
        return recorded

    def _replace_producer(self) -> None:
        """After a fatal error: what the old producer still holds fails (its callers were or will be
        answered UNAVAILABLE); new appends go to a new producer with a new producer id."""
        old = self._deliveries
        self._deliveries = _Deliveries(self._config)
        threading.Thread(target=old.close, args=(self._timeout_s,), daemon=True).start()

    def close(self, timeout_s: float = 10.0) -> None:
        """Flush what is buffered, then disconnect."""
        self._deliveries.close(timeout_s)
        if self._vault is not None:
            self._vault.ring.close()


@dataclass(frozen=True)
class PersonalDataSettings:
    kek_file: Path
    topic: str
    seal: bool

    @classmethod
    def of(cls, settings: Settings) -> PersonalDataSettings:
        return cls(settings.kek_file, settings.topic_data_keys, bool(settings.seal_personal_data))


# librdkafka's default partitioner hashes keys with CRC32; Java's, kafka-python's and aiokafka's (the
# importer, the workers) with murmur2. A person's events must all land in one partition whoever
# writes them (the offset guard and the order of a person's events depend on it), so every
# librdkafka producer here hashes as Java does.
SAME_PARTITIONS_AS_JAVA = {"partitioner": "murmur2_random"}


def producer_config(settings: Settings) -> dict[str, Any]:
    """librdkafka's settings for the event log: acks from every in-sync replica, idempotent (a
    retried batch is not written twice), and a message timeout that is the kiosk's: a record not
    confirmed by then fails (the check-in is answered UNAVAILABLE) and is never sent afterwards."""
    delivery_ms = int(settings.publish_timeout_s * 1000)
    return {
        "bootstrap.servers": settings.kafka_bootstrap,
        "client.id": settings.producer_name,
        "acks": "all",
        "enable.idempotence": True,
        **SAME_PARTITIONS_AS_JAVA,
        "linger.ms": settings.producer_linger_ms,
        "message.timeout.ms": delivery_ms,
        "request.timeout.ms": max(1000, delivery_ms - settings.producer_linger_ms - 1),
        # A kiosk is waiting: after a broker restart, try to reconnect within a second.
        "reconnect.backoff.max.ms": 1000,
        # librdkafka's own lines through our logging (JSON when BHYT_LOG_FORMAT=json), not stderr.
        "logger": logging.getLogger("librdkafka"),
    }


class _Deliveries:
    """One producer and the thread that polls it for delivery reports.

    librdkafka calls delivery callbacks only inside `poll`. This thread polls (blocking in C,
    without the GIL, until a report arrives); the callbacks of one poll collect their outcomes, and
    one `call_soon_threadsafe` per loop settles them all, not one wake-up per record."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.producer = Producer({**config, "error_cb": self.on_client_error})
        self.failed = False  # set on a fatal error: the owner replaces this producer
        self._settled: list[tuple[asyncio.Future[Recorded], Recorded | BaseException]] = []
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="event-log-deliveries", daemon=True)
        self._thread.start()

    def on_client_error(self, error: KafkaError) -> None:
        """librdkafka's own errors (brokers down, a fatal idempotence error), called from poll. A
        fatal error leaves this producer unusable: the event log's next append starts a new one."""
        if error.fatal():
            log.error("event log: the producer failed for good (%s); starting a new one", error.str())
            self.failed = True
        else:
            log.warning("event log: %s", error.str())

    def produce(self, topic: str, key: bytes, value: bytes | None, acked: asyncio.Future[Recorded]) -> None:
        def delivered(error: KafkaError | None, message: Message) -> None:
            if error is None:
                outcome: Recorded | BaseException = Recorded(
                    topic, message.partition() or 0, message.offset() or 0
                )
            else:
                outcome = KafkaException(error)
            self._settled.append((acked, outcome))

        self.producer.produce(topic, value, key, on_delivery=delivered)

    def _poll(self) -> None:
        while not self._closing.is_set():
            self.producer.poll(0.1)
            self._hand_over()

    def _hand_over(self) -> None:
        if not self._settled:
            return
        settled, self._settled = self._settled, []
        by_loop: dict[
            asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Recorded], Recorded | BaseException]]
        ] = {}
        for fut, outcome in settled:
            by_loop.setdefault(fut.get_loop(), []).append((fut, outcome))
        for loop, outcomes in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits any more
                loop.call_soon_threadsafe(_settle, outcomes)

    def close(self, timeout_s: float) -> None:
        self._closing.set()
        self._thread.join()
        remaining = self.producer.flush(timeout_s)
        if remaining:
            log.warning("event log: %d record(s) not confirmed at close", remaining)
        self._hand_over()


def _time_out(fut: asyncio.Future[Recorded]) -> None:
    if not fut.done():
        fut.set_exception(TimeoutError("no delivery report from librdkafka"))


def _settle(outcomes: list[tuple[asyncio.Future[Recorded], Recorded | BaseException]]) -> None:
    for fut, outcome in outcomes:
        if fut.done():
            continue
        if isinstance(outcome, BaseException):
            fut.set_exception(outcome)
        else:
            fut.set_result(outcome)
