"""Import checkpoints on Kafka: where a file's import stands, readable from any machine.

The imports topic is compacted and keyed by the file's SHA-256, so the latest checkpoint of each
file survives; reading it means scanning a small topic (one record per batch per import).
"""

from __future__ import annotations

from bhyt.v1 import events_pb2 as ev

from verifier.adapters.kafka_log import scan_topic


def latest_checkpoint(bootstrap: str, topic: str, file_sha256: str) -> ev.ImportCheckpointed | None:
    key = file_sha256.encode()
    latest: ev.ImportCheckpointed | None = None
    for record in scan_topic(bootstrap, topic):
        if record.key == key:
            latest = ev.EventEnvelope.FromString(record.value).import_checkpointed
    return latest
