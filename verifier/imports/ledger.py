"""Import checkpoints on Kafka: where a file's import stands, readable from any machine.

The imports topic is compacted and keyed by the file's SHA-256, so the latest checkpoint of each
file survives; reading it means scanning a small topic (one record per batch per import).
"""

from __future__ import annotations

from bhyt.v1 import events_pb2 as ev
from kafka import KafkaConsumer, TopicPartition


def latest_checkpoint(bootstrap: str, topic: str, file_sha256: str) -> ev.ImportCheckpointed | None:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            raise RuntimeError(
                f"imports topic {topic} does not exist; start the verifier once or run ensure_topics"
            )
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        latest: ev.ImportCheckpointed | None = None
        key = file_sha256.encode()
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    if record.key == key:
                        latest = ev.EventEnvelope.FromString(record.value).import_checkpointed
        return latest
    finally:
        consumer.close()
