"""The per-person data keys on Kafka: minted and wrapped by writers, read back by projections,
tombstoned on erasure (README "Personal data").

Topic `bhyt.person-keys.v1` is compacted and keyed `<subject>/<key_id>`: the latest record under
a key is the key wrapped under the current key-encryption key; a tombstone (a record without a
value) erases it, and once the log cleaner has run the wrapped key is gone from every broker.

Ordering: a writer has a key record acknowledged before it writes any event sealed under that key.
So a reader that meets a key id it does not know catches up to the key topic's end as it stands
then; if the key is still missing, it was erased (or the event is forged), and the fields stay
sealed. Nothing here ever turns an unknown key-encryption key into an erasure: that is an error.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bhyt.v1 import events_pb2 as ev
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from verifier.errors import EventLogUnavailable
from verifier.events.decoding import UndecodableEvent, decode_event
from verifier.events.envelopes import envelope
from verifier.events.sealing import DataKey, seal, subject_of
from verifier.ports import KeyEncryptionKeys, UnknownKeyEncryptionKey

log = logging.getLogger(__name__)


class DataKeysUnavailable(EventLogUnavailable):
    """The data keys cannot be read now (Kafka, a wrong key-encryption key file, a key record this
    version cannot decode). Never an erasure: projections retry, the verifier answers UNAVAILABLE."""


def record_key(subject: str, key_id: str) -> str:
    return f"{subject}/{key_id}"


def wrapped_key_record(key: DataKey, keks: KeyEncryptionKeys, *, producer: str) -> tuple[str, bytes]:
    """(Kafka key, value) of the record that keeps `key`, wrapped under the current KEK."""
    kek_id, wrapped = keks.wrap(key.secret)
    return _wrapped_record(key.subject, key.key_id, kek_id, wrapped, producer=producer)


def _wrapped_record(
    subject: str, key_id: str, kek_id: str, wrapped: bytes, *, producer: str
) -> tuple[str, bytes]:
    name = record_key(subject, key_id)
    env = envelope(key=name, at=datetime.now(UTC), producer=producer)
    env.data_key_wrapped.CopyFrom(
        ev.DataKeyWrapped(subject=subject, key_id=key_id, kek_id=kek_id, wrapped_key=wrapped)
    )
    return name, env.SerializeToString()


@dataclass(frozen=True)
class WrappedKey:
    subject: str
    key_id: str
    kek_id: str
    wrapped: bytes


class DataKeyRing:
    """Every data key on the key topic, followed by catching up on demand (blocking: call it from
    a thread when on an event loop). Holds keys wrapped; unwraps one when it is first asked for."""

    def __init__(
        self, bootstrap: str, topic: str, keks: KeyEncryptionKeys, *, timeout_s: float = 30.0
    ) -> None:
        self._topic = topic
        self._keks = keks
        self._timeout_s = timeout_s
        self._consumer_config = {
            "bootstrap.servers": bootstrap,
            "group.id": f"data-keys-{uuid.uuid4()}",  # never committed: every ring reads it all
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            # The end of a partition is known from an empty fetch, which the broker holds back for
            # up to this long waiting for data: librdkafka's default, 500 ms, is a reader's wait at
            # every catch-up.
            "fetch.wait.max.ms": 10,
        }
        self._consumer: Consumer | None = None  # connected on the first catch-up
        self._assigned: list[int] | None = None
        self._wrapped: dict[str, WrappedKey] = {}  # key id -> its latest record
        self._secrets: dict[str, bytes] = {}
        self._unreadable: set[str] = set()  # key ids whose record did not decode: not erased, unknown
        self.tombstoned: set[str] = set()  # key ids seen tombstoned since this ring started
        self._read_up_to: dict[int, int] = {}  # partition -> next offset to read
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            if self._consumer is not None:
                self._consumer.close()
                self._consumer = None

    def catch_up(self) -> None:
        """Read the key topic up to its end as it stands now. EventLogUnavailable when it cannot."""
        with self._lock:
            self._catch_up()

    def secret(self, key_id: str) -> bytes | None:
        """The data key `key_id`, or None when it is not on the topic (erased, or never written).
        Catches up once on a miss (a key written after the last catch-up)."""
        if key_id not in self._wrapped:
            self.catch_up()
        return self.held(key_id)

    def held(self, key_id: str) -> bytes | None:
        """The data key `key_id` as far as this ring has read (no catch-up: it never blocks on
        Kafka), unwrapped on first use; None when not held."""
        found = self._secrets.get(key_id)
        if found is not None:
            return found
        if key_id in self._unreadable:
            raise DataKeysUnavailable(f"data key {key_id}: its record is unreadable to this version")
        record = self._wrapped.get(key_id)
        if record is None:
            return None
        try:
            secret = self._keks.unwrap(record.kek_id, record.wrapped)
        except UnknownKeyEncryptionKey as e:
            raise DataKeysUnavailable(f"data key {key_id}: {e} (BHYT_KEK_FILE)") from e
        if key_id in self._wrapped:  # not tombstoned meanwhile by a catch-up in another thread
            self._secrets[key_id] = secret
        return secret

    def known(self, key_ids: Iterable[str]) -> bool:
        return all(k in self._wrapped for k in key_ids)

    def keys_of(self, subject: str) -> list[str]:
        """The ids of every data key of `subject` still on the topic (after a catch-up)."""
        return [k for k, w in list(self._wrapped.items()) if w.subject == subject]  # a copy: see catch_up

    def wrapped_keys(self) -> list[WrappedKey]:
        return list(self._wrapped.values())

    def _catch_up(self) -> None:
        deadline = time.monotonic() + self._timeout_s
        if self._consumer is None:
            self._consumer = Consumer(self._consumer_config)
        consumer = self._consumer
        try:
            if self._assigned is None:
                meta = consumer.list_topics(self._topic, timeout=self._timeout_s).topics.get(self._topic)
                if meta is None or meta.error is not None or not meta.partitions:
                    raise DataKeysUnavailable(f"topic {self._topic} does not exist")
                self._assigned = sorted(meta.partitions)
                consumer.assign([TopicPartition(self._topic, p, OFFSET_BEGINNING) for p in self._assigned])
            ends = {
                p: consumer.get_watermark_offsets(TopicPartition(self._topic, p), timeout=self._timeout_s)[1]
                for p in self._assigned
            }
        except KafkaException as e:
            raise DataKeysUnavailable(f"data keys unreadable: {e}") from e
        behind = {p for p, end in ends.items() if end > self._read_up_to.get(p, 0)}
        while behind:
            if time.monotonic() > deadline:
                raise DataKeysUnavailable(
                    f"data keys: no progress reading {self._topic} for {self._timeout_s}s"
                )
            messages = consumer.consume(1000, timeout=0.5)
            if messages:
                deadline = (
                    time.monotonic() + self._timeout_s
                )  # a large topic takes long: what counts is progress
            for message in messages:
                error = message.error()
                if error is not None and error.code() != KafkaError._PARTITION_EOF:
                    raise DataKeysUnavailable(f"data keys unreadable: {error.str()}")
                p, offset = message.partition() or 0, message.offset() or 0
                if error is None:
                    self._apply(message.key(), message.value())
                    offset += 1
                self._read_up_to[p] = max(self._read_up_to.get(p, 0), offset)  # EOF: the end offset
                if p in behind and self._read_up_to.get(p, 0) >= ends[p]:
                    behind.discard(p)

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        key_id = key.decode().rpartition("/")[2]
        if value is None:  # a tombstone: the key is erased
            self._wrapped.pop(key_id, None)
            self._secrets.pop(key_id, None)
            self.tombstoned.add(key_id)
            return
        try:
            event = decode_event(value)
        except UndecodableEvent as e:
            log.error(
                "data keys: an unreadable record %r (%s): what it seals is unavailable, not erased", key, e
            )
            self._unreadable.add(key_id)
            return
        w = event.data_key_wrapped
        self._unreadable.discard(w.key_id)
        self._wrapped[w.key_id] = WrappedKey(w.subject, w.key_id, w.kek_id, w.wrapped_key)


Produce = Callable[[str, str, bytes | None], Awaitable[object]]  # (topic, key, value): acked on return


class PersonalDataVault:
    """What a writer of events needs: seal an event's personal fields under a fresh data key of its
    subject (the key's record acknowledged first), and shred a subject's keys on erasure."""

    def __init__(
        self, keks: KeyEncryptionKeys, topic: str, produce: Produce, ring: DataKeyRing, *, producer: str
    ) -> None:
        self._keks = keks
        self._topic = topic
        self._produce = produce
        self._ring = ring
        self._producer = producer

    @property
    def ring(self) -> DataKeyRing:
        return self._ring

    async def seal(self, event: ev.EventEnvelope) -> None:
        """Seal `event` in place under a new key of its subject, once that key is durable."""
        key = DataKey.mint(subject_of(event))
        name, value = wrapped_key_record(key, self._keks, producer=self._producer)
        await self._produce(self._topic, name, value)
        seal(event, key)

    async def shred(self, subject: str) -> list[str]:
        """Tombstone every data key of `subject`; return their ids. The events sealed under them
        stay on the log, unreadable by anyone from now on."""
        await asyncio.to_thread(self._ring.catch_up)
        key_ids = self._ring.keys_of(subject)
        await asyncio.gather(*(self._produce(self._topic, record_key(subject, k), None) for k in key_ids))
        return key_ids

    async def rewrap(self, keys: Iterable[WrappedKey]) -> int:
        """Re-wrap `keys` under the current key-encryption key (rotation); return how many.

        An erasure may tombstone a key while it is being re-wrapped, and the re-wrapped record,
        written after the tombstone, would bring the key back: so the ring catches up afterwards
        and every re-wrapped key tombstoned meanwhile is tombstoned again."""
        current = self._keks.current_id
        rewrapped: list[WrappedKey] = []
        for w in keys:
            if w.kek_id == current:
                continue
            secret = self._keks.unwrap(w.kek_id, w.wrapped)  # UnknownKeyEncryptionKey: the wrong file
            kek_id, wrapped = self._keks.wrap(secret)
            name, value = _wrapped_record(w.subject, w.key_id, kek_id, wrapped, producer=self._producer)
            await self._produce(self._topic, name, value)
            rewrapped.append(w)
        await asyncio.to_thread(self._ring.catch_up)
        for w in rewrapped:
            if w.key_id in self._ring.tombstoned:
                await self._produce(self._topic, record_key(w.subject, w.key_id), None)
        return len(rewrapped)
