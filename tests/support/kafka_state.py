"""Reading Kafka's own state: how far the log goes and how far a consumer group has committed."""

from __future__ import annotations

from kafka import KafkaConsumer, TopicPartition

from projections.lag import caught_up
from verifier.adapters.kafka_log import scan_topic
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
    """True once the projection group has committed every offset up to the end of every topic."""
    return caught_up(settings.kafka_bootstrap, group or settings.projection_group, settings.topics)


def all_records(settings: Settings, topic: str) -> list[bytes]:
    """Every value on a topic, from offset zero to the current end."""
    return [record.value for record in scan_topic(settings.kafka_bootstrap, topic)]
