"""Copy a topic into a new topic with another partition count, each key's events kept in order.

Why a copy and not `kafka-topics --alter --partitions`: every event is keyed by its person, and a
person's events must be read in order. Adding partitions to a topic sends a person's later events
to another partition than the earlier ones, so no reader (a worker, the rebuild) can order them
again, and each projection's offset guard, kept per partition, would judge the new partition's
offsets against nothing. A copy has neither problem: all of a key's events sit in one partition of
the source, so reading each source partition in offset order and writing every record with the
same key (idempotent producer, acks=all) leaves each key's events, in order, in one partition of
the target. The operator then points the settings at the new topics and rebuilds the projections
(README, "Changing the partition count").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kafka import KafkaConsumer, TopicPartition

from verifier.adapters.kafka_log import SAME_PARTITIONS_AS_JAVA, scan_topic

Progress = Callable[[int], object]  # called with the number of records copied since the last call
Transform = Callable[[bytes], bytes]  # a record's value as written to the target (the sealing migration)


class RepartitionRefused(Exception):
    """The copy cannot start: no such source, or a target that already exists."""


@dataclass(frozen=True)
class Copied:
    source: str
    target: str
    partitions: int
    records: int


def repartition(
    bootstrap: str,
    source: str,
    target: str,
    partitions: int,
    *,
    replication: int,
    progress: Progress | None = None,
    timeout_s: float = 30.0,
    transform: Transform | None = None,
) -> Copied:
    """Create `target` with `partitions` and the source's own topic settings, then copy every record
    of `source` as it stood when the copy began. Refuses a target that exists: a second copy into
    it would double every event."""
    if partitions < 1:
        raise RepartitionRefused("the target needs at least one partition")
    admin = AdminClient({"bootstrap.servers": bootstrap})
    existing = admin.list_topics(timeout=timeout_s).topics
    if source not in existing:
        raise RepartitionRefused(f"topic {source} does not exist on {bootstrap}")
    if target in existing:
        raise RepartitionRefused(
            f"topic {target} already exists: choose a new name (a copy into it would double it)"
        )
    settings = _topic_settings(admin, source, timeout_s)
    created = admin.create_topics(
        [NewTopic(target, num_partitions=partitions, replication_factor=replication, config=settings)]
    )
    created[target].result(timeout_s)
    records = _copy(bootstrap, source, target, progress, timeout_s, transform)
    landed = _record_count(bootstrap, target)
    if landed != records:
        raise RuntimeError(f"copied {records} records but {target} holds {landed}")
    return Copied(source, target, partitions, records)


def _topic_settings(admin: AdminClient, topic: str, timeout_s: float) -> dict[str, str]:
    """The source's settings that differ from the broker's defaults (retention, compaction,
    min.insync.replicas): the copy must keep events as long, and as safely, as the original."""
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = admin.describe_configs([resource])[resource].result(timeout_s)
    return {
        name: entry.value
        for name, entry in entries.items()
        if not entry.is_default and not entry.is_read_only and entry.value is not None
    }


def _copy(
    bootstrap: str,
    source: str,
    target: str,
    progress: Progress | None,
    timeout_s: float,
    transform: Transform | None,
) -> int:
    failures: list[KafkaError] = []

    def delivered(error: KafkaError | None, _message: Message) -> None:
        if error is not None:
            failures.append(error)

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,  # a retried batch is not written twice, order per key kept
            **SAME_PARTITIONS_AS_JAVA,  # where every later producer will put each key
            "linger.ms": 20,
            "message.timeout.ms": int(timeout_s * 1000),
        }
    )
    copied = reported = 0
    for record in scan_topic(bootstrap, source):
        headers = list(record.headers or [])
        value = (
            transform(record.value) if transform is not None and record.value is not None else record.value
        )
        while True:
            try:
                producer.produce(
                    target, value, record.key, timestamp=record.timestamp, headers=headers or None
                )
                break
            except BufferError:  # the producer's queue is full: let it send, then go on
                producer.poll(0.5)
        producer.poll(0)
        copied += 1
        if progress and copied - reported >= 1000:
            progress(copied - reported)
            reported = copied
    left = producer.flush(timeout_s)
    if left or failures:
        reason = failures[0].str() if failures else f"{left} record(s) not confirmed"
        raise KafkaException(f"copy into {target} failed: {reason}; delete {target} and run again")
    if progress and copied > reported:
        progress(copied - reported)
    return copied


def _record_count(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        starts, ends = consumer.beginning_offsets(parts), consumer.end_offsets(parts)
        return sum(ends[tp] - starts[tp] for tp in parts)
    finally:
        consumer.close()
