"""The Faust app: one agent per projection, each turning a topic into Redis changes.

Agents take events in small batches (`take_events`) so one Redis round trip applies many; Faust
acks (and later commits) a batch only after `ProjectionStore` has applied it, so a crash replays
it and the offset guard makes the replay harmless.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

import faust
import redis.asyncio as aioredis
from bhyt.v1.events_pb2 import EventEnvelope

from projections.codec import UndecodableEvent, decode_event
from projections.participation import model as participation
from projections.store import DeadLetter, Mutation, Position, ProjectionStore
from projections.usage import model as usage
from verifier.settings import Settings

log = logging.getLogger(__name__)

WORKERS_KEY = "projection:workers"  # worker id -> JSON list of "topic/partition" it holds

MutationFor = Callable[[EventEnvelope], Mutation | None]


def create_app(settings: Settings) -> faust.App:
    app = faust.App(
        settings.projection_group,
        broker=[f"kafka://{host}" for host in settings.kafka_bootstrap.split(",")],
        store="memory://",
        web_enabled=False,
        autodiscover=False,
        topic_replication_factor=settings.topic_replication,
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        broker_session_timeout=settings.projection_session_timeout_s,
        broker_heartbeat_interval=settings.projection_session_timeout_s / 4,
    )
    client = aioredis.from_url(settings.redis_url, decode_responses=True)
    store = ProjectionStore(client)
    worker_id = settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"

    def project(name: str, topic_name: str, mutation_for: MutationFor) -> None:
        topic = app.topic(
            topic_name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
        )

        async def agent(stream: faust.StreamT[bytes]) -> None:
            batches = stream.take_events(  # type: ignore[attr-defined]  # missing from StreamT
                settings.projection_batch_size, within=settings.projection_batch_window_s
            )
            async for batch in batches:
                changes: list[tuple[Position, Mutation | DeadLetter]] = []
                for event in batch:
                    msg = event.message
                    position = Position(msg.topic, msg.partition, msg.offset)
                    change = _change_for(position, event.value, mutation_for)
                    if change is not None:
                        changes.append((position, change))
                await store.apply_until_done(changes)

        app.agent(topic, name=name)(agent)

    project("participation", settings.topic_participation, participation.mutation_for)
    project(
        "usage",
        settings.topic_checkins,
        lambda e: usage.mutation_for(e, recent_size=settings.recent_usage_size),
    )

    own_topics = set(settings.topics)

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]  # mode's stub wants a `signal` kwarg
    async def report_assignment(sender: Any, assigned: set[Any], **kwargs: Any) -> None:
        held = sorted(f"{tp.topic}/{tp.partition}" for tp in assigned if tp.topic in own_topics)
        await client.hset(WORKERS_KEY, worker_id, json.dumps(held))
        log.info("worker %s holds %d partitions: %s", worker_id, len(held), held)

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    async def withdraw(sender: Any, **kwargs: Any) -> None:
        await client.hdel(WORKERS_KEY, worker_id)

    return app


def _change_for(position: Position, value: bytes, mutation_for: MutationFor) -> Mutation | DeadLetter | None:
    try:
        return mutation_for(decode_event(value))
    except (UndecodableEvent, ValueError) as e:
        log.error("dead letter at %s/%d: %s", position.stream, position.offset, e)
        return DeadLetter(position, str(e))
