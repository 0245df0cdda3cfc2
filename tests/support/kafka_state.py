"""Reading Kafka's own state: how far the log goes and how far a consumer group has committed."""

from __future__ import annotations

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from verifier.settings import Settings


def end_offsets(settings: Settings) -> dict[TopicPartition, int]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in settings.topics
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        return dict(consumer.end_offsets(partitions))
    finally:
        consumer.close()


def group_caught_up(settings: Settings, group: str | None = None) -> bool:
    """True once the group has committed every offset up to the end of every topic partition.

    Faust commits only what its agents acked, and they ack only after Redis has the change, so
    this is the honest "the projection has applied everything" signal.
    """
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        group_id = group or settings.projection_group
        try:
            committed = admin.list_group_offsets(group_id).get(group_id, {})
        except KafkaError:  # e.g. no group coordinator yet, before the first worker joined
            return False
    finally:
        admin.close()
    for tp, end in end_offsets(settings).items():
        if end == 0:
            continue
        meta = committed.get(tp)
        if meta is None or meta.offset < end:
            return False
    return True


def all_records(settings: Settings, topic: str) -> list[bytes]:
    """Every value on a topic, from offset zero to the current end."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        values: list[bytes] = []
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=1000).values():
                values.extend(r.value for r in records)
        return values
    finally:
        consumer.close()
