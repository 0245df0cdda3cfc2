"""The one-off migration of events written before sealing: copy the participation history into a
new topic with every personal field sealed (README "Personal data", "Migrating old events").

The copy is `repartition`'s (each person's events in order, in one partition, the same count),
with each record's value rewritten on the way: an event with personal fields in clear is sealed
under a new data key of its person, whose record goes to the key topic; everything else is copied
byte for byte. The key records are all acknowledged before this returns, and nothing reads the new
topic before the operator points the settings at it, so no reader meets a seal without its key.
Afterwards the old topic is deleted: until then it still holds the clear fields.
"""

from __future__ import annotations

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from verifier.adapters.data_keys import wrapped_key_record
from verifier.adapters.kafka_log import SAME_PARTITIONS_AS_JAVA, scan_topic
from verifier.adapters.repartition import Copied, Progress, repartition
from verifier.events.decoding import UndecodableEvent, decode_event
from verifier.events.sealing import DataKey, needs_sealing, seal, subject_of
from verifier.events.version import SCHEMA_VERSION
from verifier.ports import KeyEncryptionKeys


def migrate_sealed(
    bootstrap: str,
    source: str,
    target: str,
    keys_topic: str,
    keks: KeyEncryptionKeys,
    *,
    replication: int,
    progress: Progress | None = None,
    timeout_s: float = 30.0,
) -> Copied:
    failures: list[KafkaError] = []

    def delivered(error: KafkaError | None, _message: Message) -> None:
        if error is not None:
            failures.append(error)

    keys = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            **SAME_PARTITIONS_AS_JAVA,
            "linger.ms": 20,
            "message.timeout.ms": int(timeout_s * 1000),
        }
    )

    erased = _erased_people(bootstrap, source)

    def sealed(value: bytes) -> bytes:
        try:
            event = decode_event(value)
        except UndecodableEvent:
            return value  # copied as it is: the projections dead-letter it, as they did before
        if not needs_sealing(event):
            return value
        key = DataKey.mint(subject_of(event))
        if event.key not in erased:  # an erased person's fields are sealed under a key never kept
            name, record = wrapped_key_record(key, keks, producer="migration")
            while True:
                try:
                    keys.produce(keys_topic, record, name.encode(), on_delivery=delivered)
                    break
                except BufferError:
                    keys.poll(0.5)
            keys.poll(0)
        seal(event, key)
        event.schema_version = SCHEMA_VERSION
        return event.SerializeToString()

    copied = repartition(
        bootstrap, source, target, _partitions(bootstrap, source, timeout_s),
        replication=replication, progress=progress, timeout_s=timeout_s, transform=sealed,
    )  # fmt: skip
    left = keys.flush(timeout_s)
    if left or failures:
        reason = failures[0].str() if failures else f"{left} key record(s) not confirmed"
        raise KafkaException(
            f"data keys for {target} not all written: {reason}; delete {target} and run again"
        )
    return copied


def _erased_people(bootstrap: str, topic: str) -> set[str]:
    """Whoever the source says was erased: their old clear fields must not come back readable."""
    erased: set[str] = set()
    for record in scan_topic(bootstrap, topic):
        try:
            event = decode_event(record.value)
        except UndecodableEvent:
            continue
        if event.WhichOneof("payload") == "person_erased":
            erased.add(event.key)
    return erased


def _partitions(bootstrap: str, topic: str, timeout_s: float) -> int:
    from confluent_kafka.admin import AdminClient

    meta = (
        AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=timeout_s).topics.get(topic)
    )
    return len(meta.partitions) if meta is not None and meta.partitions else 1
