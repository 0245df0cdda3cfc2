"""Rebuild a projection from offset zero, and digest the read model to compare states.

A rebuild runs with the projection workers stopped (it checks the consumer group is empty): it
first moves the workers' committed offsets back to the start (so a rebuild that dies half-way is
finished by the workers themselves), drops the projection's keys, replays its topics from the first
offset to the end as it stood when the rebuild began, applying events through the same code the
workers use, then puts the committed offsets back where they were. Other agents of the group read
the same topics (usage and the monitor both read check-ins), so the workers must resume where
*they* stopped; what the rebuilt projection sees again is skipped by its offset guards.

The monitor is rebuilt like the others, and publishes what it re-derives: an alert with the same
id and a revision already on the log changes nothing in the alerts projection, and alerts for
events the workers had not reached yet are not lost.
While it runs the read model is incomplete: stop serving check-ins (`infra/stack rebuild` stops
the verifier too), or they are judged against missing records. On a Redis Cluster the keys are
found by a SCAN of every master, so a rebuild (and a digest) refuses while slots move between
masters (`SlotsMoving`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from bhyt.v1.events_pb2 import EventEnvelope
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata
from tqdm import tqdm

from projections import registry
from projections.app import decode_batch, project_batch
from projections.registry import ApplyBatch
from projections.store import Position, ProjectionStore
from verifier.adapters.redis_client import RedisClient, connect, require_settled
from verifier.settings import Settings


@dataclass
class RebuildReport:
    projection: str
    events: int = 0
    seconds: float = 0.0

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


class WorkersRunning(RuntimeError):
    """The projection's consumer group has live members; a rebuild would race with them."""


def rebuild(settings: Settings, name: str, *, progress: bool = True) -> RebuildReport:
    projection = registry.projection(name)
    _require_no_workers(settings)
    return asyncio.run(_rebuild(settings, projection, progress))


async def _rebuild(settings: Settings, projection: registry.Projection, progress: bool) -> RebuildReport:
    started = time.monotonic()
    report = RebuildReport(projection.name)
    client = connect(settings.redis_url, decode_responses=True)
    store = ProjectionStore(client)
    loop = asyncio.get_running_loop()
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        enable_auto_commit=False,
        max_poll_records=5000,
        fetch_max_bytes=64 << 20,
        max_partition_fetch_bytes=16 << 20,
    )
    try:
        await require_settled(client)  # before anything moves: a scan during a reshard misses keys
        partitions = [
            TopicPartition(topic, p)
            for topic in projection.topics(settings)
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends: dict[TopicPartition, int] = consumer.end_offsets(partitions)
        starts: dict[TopicPartition, int] = consumer.beginning_offsets(partitions)
        committed = _group_offsets(settings, partitions)
        # Workers resume from offset zero if this rebuild dies half-way: the guards make that safe.
        _move_group_offsets(settings, starts)
        for pattern in projection.patterns:
            await _drop(client, pattern)
        remaining = {tp for tp in partitions if ends[tp] > starts[tp]}
        total = sum(ends[tp] - starts[tp] for tp in partitions)
        bar = tqdm(
            total=total,
            unit="events",
            desc=f"rebuild {projection.name}",
            disable=not progress,
            file=sys.stderr,
        )
        async with _applying(settings, projection, client) as apply_batch:
            while remaining:
                polled = await loop.run_in_executor(None, lambda: consumer.poll(timeout_ms=1000))
                records = []
                for tp, batch in polled.items():
                    for r in batch:
                        if r.offset < ends[tp]:
                            records.append((Position(tp.topic, tp.partition, r.offset), r.value))
                    if consumer.position(tp) >= ends[tp]:
                        consumer.pause(tp)
                        remaining.discard(tp)
                events, dead = decode_batch(records)
                await project_batch(projection.name, store, apply_batch, events, dead)
                report.events += len(records)
                bar.update(len(records))
        bar.close()
        _move_group_offsets(settings, {tp: committed.get(tp, starts[tp]) for tp in partitions})
    finally:
        consumer.close()
        await client.aclose()
    report.seconds = time.monotonic() - started
    return report


@contextlib.asynccontextmanager
async def _applying(
    settings: Settings, projection: registry.Projection, client: RedisClient
) -> AsyncIterator[ApplyBatch]:
    """The projection's batch function, built as the workers build it; what it publishes (the
    monitor's alerts) goes to the broker with acks=all before the batch counts as applied."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap.split(","), acks="all")
    await producer.start()
    try:

        async def publish(topic: str, events: Sequence[EventEnvelope]) -> None:
            sent = [await producer.send(topic, e.SerializeToString(), key=e.key.encode()) for e in events]
            await asyncio.gather(*sent)

        wiring = registry.Wiring(settings, client, publish, "rebuild")
        try:
            yield projection.build(wiring)
        finally:
            wiring.close()
    finally:
        await producer.stop()


def _group_offsets(settings: Settings, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
    """The workers' committed offsets on these partitions (those without a commit are left out)."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","))
    try:
        offsets = admin.list_group_offsets(settings.projection_group).get(settings.projection_group, {})
    except KafkaError:  # no coordinator for a group that never committed: nothing to put back
        offsets = {}
    finally:
        admin.close()
    return {tp: offsets[tp].offset for tp in partitions if tp in offsets and offsets[tp].offset >= 0}


async def _drop(client: RedisClient, pattern: str) -> None:
    batch: list[str] = []
    async for key in client.scan_iter(match=pattern, count=5000):
        batch.append(key)
        if len(batch) >= 5000:
            await client.unlink(*batch)
            batch.clear()
    if batch:
        await client.unlink(*batch)


def workers_in_group(settings: Settings) -> int:
    """How many members the projection workers' consumer group has now."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","))
    try:
        group = admin.describe_groups([settings.projection_group]).get(settings.projection_group, {})
    finally:
        admin.close()
    return len(group.get("members") or [])


def _require_no_workers(settings: Settings) -> None:
    members = workers_in_group(settings)
    if members:
        raise WorkersRunning(
            f"{members} projection worker(s) are running in group {settings.projection_group}; "
            "stop them first (`infra/stack rebuild` does it for you)"
        )


def _move_group_offsets(settings: Settings, ends: dict[TopicPartition, int]) -> None:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","))
    try:
        offsets = {tp: OffsetAndMetadata(end, "", -1) for tp, end in ends.items()}
        errors = admin.alter_group_offsets(settings.projection_group, offsets)
    finally:
        admin.close()
    failed = {tp: e for tp, e in errors.items() if getattr(e, "errno", 0)}
    if failed:
        raise RuntimeError(f"could not move the workers' offsets: {failed}")


def digest(settings: Settings, names: Sequence[str]) -> tuple[str, int]:
    """SHA-256 over every key of the named projections with its value, in key order; and the key count."""
    patterns = [p for name in names for p in registry.projection(name).patterns]
    return asyncio.run(_digest(settings.redis_url, patterns))


async def _digest(redis_url: str, patterns: Sequence[str]) -> tuple[str, int]:
    client = connect(redis_url, decode_responses=True)
    try:
        await require_settled(client)
        found: set[str] = set()
        for pattern in patterns:
            found.update([k async for k in client.scan_iter(match=pattern, count=5000)])
        keys = sorted(found)
        h = hashlib.sha256()
        for start in range(0, len(keys), 2000):
            chunk = keys[start : start + 2000]
            async with client.pipeline(transaction=False) as pipe:
                for key in chunk:
                    pipe.type(key)
                kinds = await pipe.execute()
            async with client.pipeline(transaction=False) as pipe:
                for key, kind in zip(chunk, kinds, strict=True):
                    if kind == "hash":
                        pipe.hgetall(key)
                    elif kind == "list":
                        pipe.lrange(key, 0, -1)
                    elif kind == "zset":
                        pipe.zrange(key, 0, -1, withscores=True)
                    elif kind == "set":  # the monitor's m:places
                        pipe.smembers(key)
                    else:
                        pipe.get(key)
                values = await pipe.execute()
            for key, value in zip(chunk, values, strict=True):
                canonical = sorted(value.items()) if isinstance(value, dict) else value
                canonical = sorted(canonical) if isinstance(canonical, set) else canonical
                h.update(json.dumps([key, canonical], ensure_ascii=False).encode())
        return h.hexdigest(), len(keys)
    finally:
        await client.aclose()
