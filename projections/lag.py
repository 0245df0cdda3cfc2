"""How far a consumer group is behind the log: Kafka's own view, used by tests, benchmarks, tools.

A projection has applied everything once its group's committed offsets reach the end of every
partition: Faust commits only what its agents acked, and they ack only after Redis has the change.
"""

from __future__ import annotations

from collections.abc import Sequence

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError


def group_progress(bootstrap: str, group: str, topics: Sequence[str]) -> tuple[int, int]:
    """(events the group has committed, events in the topics)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","))
    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","))
    try:
        tps = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
        ends: dict[TopicPartition, int] = consumer.end_offsets(tps)
        try:
            committed = admin.list_group_offsets(group).get(group, {})
        except KafkaError:  # e.g. no group coordinator yet, before the first worker joined
            committed = {}
        done = sum(min(committed[tp].offset, end) for tp, end in ends.items() if tp in committed)
        return done, sum(ends.values())
    finally:
        consumer.close()
        admin.close()


def caught_up(bootstrap: str, group: str, topics: Sequence[str]) -> bool:
    done, total = group_progress(bootstrap, group, topics)
    return done >= total
