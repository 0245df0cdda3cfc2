"""The Faust app: agents turning topics into Redis changes, one per projection, except that the
projections reading check-ins share one (`agent_groups`).

Agents take events in small batches (`take_events`) so one Redis round trip applies many; Faust
acks (and later commits) a batch only after `ProjectionStore` has applied it, so a crash replays
it and the offset guard makes the replay harmless.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import socket
import tempfile
import time
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import faust
from aiokafka.errors import KafkaConnectionError
from bhyt.v1.events_pb2 import EventEnvelope
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from prometheus_client import start_http_server

from projections import metrics
from projections.registry import REGISTRY, ApplyBatch, Events, Projection, Wiring
from projections.retry import WORKER_TRANSIENT, until_done, worker_transient
from projections.store import DeadLetter, Position, ProjectionStore
from verifier.adapters.redis_client import connect
from verifier.events import UndecodableEvent, decode_event
from verifier.logs import logging_config
from verifier.settings import Settings

log = logging.getLogger(__name__)

WORKERS_KEY = "projection:workers"  # worker id -> JSON list of "topic/partition" it holds
# The projection whose apply is logged per check-in (its id in `check_in_id`): usage is the
# check-ins' own read model, the one the kiosk's next answer reads, so following a check-in from
# the verifier's answer ends here. The other agents reading check-ins would only repeat the line.
TRACED_PROJECTION = "usage"
applied_log = logging.getLogger("projections.applied")
CONSUMER_LAG_INTERVAL_S = 5.0


_FETCH_TUNING: weakref.WeakKeyDictionary[Any, tuple[int, int]] = weakref.WeakKeyDictionary()


def _fetch_in_batches(app: faust.App, settings: Settings) -> None:
    """Have the worker's consumer wait for `projection_fetch_min_bytes` or
    `projection_fetch_max_wait_s` before the broker answers a fetch.

    Faust (0.15) builds its aiokafka consumer with a fixed `fetch_max_wait_ms=1500` and aiokafka's
    default `fetch_min_bytes=1`, and exposes neither. With those, under load, every fetch returns
    as soon as one record arrives: hundreds of small fetches a second, each a broker request, a
    hand-over from Faust's consumer thread to its event loop and a small batch for the agents.
    Measured at 800 check-ins/s: the worker's CPU per check-in fell from 0.72 to 0.50 ms with
    64 KiB or 30 ms (BENCHMARKS.md). The two values are set on the consumer Faust creates, before
    it starts; `tests/unit/test_projection_fetches.py` fails if a Faust upgrade changes that."""
    _FETCH_TUNING[app] = (
        settings.projection_fetch_min_bytes,
        round(settings.projection_fetch_max_wait_s * 1000),
    )
    if getattr(AIOKafkaConsumerThread._create_worker_consumer, "_bhyt_tuned", False):
        return
    create = AIOKafkaConsumerThread._create_worker_consumer

    def create_tuned(thread: AIOKafkaConsumerThread, transport: Any) -> Any:
        consumer = create(thread, transport)
        tuning = _FETCH_TUNING.get(thread.app)
        if tuning is not None:
            consumer._fetch_min_bytes, consumer._fetch_max_wait_ms = tuning
        return consumer

    create_tuned._bhyt_tuned = True  # type: ignore[attr-defined]
    AIOKafkaConsumerThread._create_worker_consumer = create_tuned  # type: ignore[method-assign,assignment]


def create_app(settings: Settings) -> faust.App:
    # Faust wants a data directory even with in-memory tables; keep it out of the work tree. It
    # creates only the last level, so a fresh (or cleaned) temporary directory needs the parent.
    datadir = Path(tempfile.gettempdir()) / "bhyt-faust" / settings.projection_group
    datadir.parent.mkdir(parents=True, exist_ok=True)
    log_config = logging_config(settings.log_format)
    app = faust.App(
        settings.projection_group,
        broker=[f"kafka://{host}" for host in settings.kafka_bootstrap.split(",")],
        store="memory://",
        datadir=str(datadir),
        web_enabled=False,
        autodiscover=False,
        topic_replication_factor=settings.topic_replication,
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        broker_session_timeout=settings.projection_session_timeout_s,
        # Fetch and buffer enough to keep batches full: per-message overhead dominates otherwise.
        broker_max_poll_records=settings.projection_batch_size * 2,
        stream_buffer_maxsize=settings.projection_batch_size * 8,
        broker_heartbeat_interval=settings.projection_session_timeout_s / 4,
        logging_config=log_config,  # our text or JSON lines (verifier/logs.py)
    )
    _fetch_in_batches(app, settings)
    client = connect(settings.redis_url, decode_responses=True)
    store = ProjectionStore(client)
    worker_id = settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"
    traced = bool(settings.access_log)

    def project(members: Sequence[tuple[str, tuple[str, ...], ApplyBatch]]) -> None:
        """One Faust agent feeding `members` (name, topics, apply): each batch is decoded once and
        each member applies, concurrently, the events of its own topics."""
        names = tuple(dict.fromkeys(t for _, topics, _ in members for t in topics))
        topic = app.topic(
            *names, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
        )

        async def apply(
            name: str,
            topics: tuple[str, ...],
            apply_batch: ApplyBatch,
            events: Events,
            dead: list[DeadLetter],
        ) -> None:
            if len(topics) < len(names):
                events = [e for e in events if e[0].topic in topics]
                dead = [d for d in dead if d.position.topic in topics]
            if not events and not dead:
                return
            await project_batch(name, store, apply_batch, events, dead)
            if traced and name == TRACED_PROJECTION and applied_log.isEnabledFor(logging.INFO):
                for _, event in events:
                    if event.HasField("check_in_verified"):
                        applied_log.info("%s: applied check-in", name, extra=_traced(event))

        async def agent(stream: faust.StreamT[bytes]) -> None:
            batches = stream.take_events(  # type: ignore[attr-defined]  # missing from StreamT
                settings.projection_batch_size, within=settings.projection_batch_window_s
            )
            async for batch in batches:
                events, dead = decode_batch(
                    (Position(e.message.topic, e.message.partition, e.message.offset), e.value) for e in batch
                )
                # Every member finishes its apply before a failure of one ends the agent.
                outcomes = await asyncio.gather(
                    *(apply(*member, events, dead) for member in members), return_exceptions=True
                )
                failed = next((o for o in outcomes if isinstance(o, BaseException)), None)
                if failed is not None:
                    raise failed

        app.agent(topic, name="+".join(name for name, _, _ in members))(agent)

    async def publish(topic: str, events: Sequence[EventEnvelope]) -> None:
        await publish_until_done(app, topic, events)

    wiring = Wiring(settings, client, publish, worker_id)
    for members in agent_groups(settings):
        project([(p.name, p.topics(settings), p.build(wiring)) for p in members])

    own_topics = set(settings.topics)

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]  # mode's stub wants a `signal` kwarg
    async def report_assignment(sender: Any, assigned: set[Any], **kwargs: Any) -> None:
        held = sorted(f"{tp.topic}/{tp.partition}" for tp in assigned if tp.topic in own_topics)
        await client.hset(WORKERS_KEY, worker_id, json.dumps(held))
        log.info("worker %s holds %d partitions: %s", worker_id, len(held), held)

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    async def withdraw(sender: Any, **kwargs: Any) -> None:
        await client.hdel(WORKERS_KEY, worker_id)

    if settings.worker_metrics_listen:
        serve_worker_metrics(app, settings.worker_metrics_listen)
    return app


def agent_groups(settings: Settings) -> list[list[Projection]]:
    """Which projections share a Faust agent: all those reading the check-ins topic share one (the
    busiest topic, read by usage, the monitor and the re-check), the others have one each.

    Faust hands every record to every agent that reads its topic and each agent decodes it: three
    agents on check-ins cost a worker three times the per-record work (about a sixth of its CPU
    under load, BENCHMARKS.md). Sharing one agent costs nothing in order or safety: each
    projection still gets its events in partition order and applies them behind its own offset
    guard, and the batch is acknowledged once all of them have applied it."""
    shared = [p for p in REGISTRY if settings.topic_checkins in p.topics(settings)]
    return [shared, *([p] for p in REGISTRY if p not in shared)]


def _traced(event: EventEnvelope) -> dict[str, str]:
    """The JSON line's fields for an applied check-in (a worker has no request context to set)."""
    c = event.check_in_verified
    return {"check_in_id": event.event_id, "facility": c.facility_id, "kiosk": c.kiosk_id}


def serve_worker_metrics(app: faust.App, listen: str) -> None:
    """/metrics on `listen` once the worker starts, and the consumer lag of the partitions it holds
    every few seconds (asked of the broker: the fetcher's own high-water mark stands still while a
    slow agent keeps the buffer full, which is exactly when the lag matters)."""

    @app.task
    async def start_metrics() -> None:  # at the worker's start, not when a CLI only builds the app
        host, _, port = listen.rpartition(":")
        server, _thread = start_http_server(int(port), addr=host or "0.0.0.0")
        log.info("metrics on http://%s:%d/metrics", host or "0.0.0.0", server.server_port)

    @app.timer(interval=CONSUMER_LAG_INTERVAL_S)
    async def consumer_lag() -> None:
        consumer = app.consumer
        held = consumer.assignment()
        try:
            ends = await consumer.highwaters(*held) if held else {}
        except Exception as e:  # the broker unreachable: keep the last figures, say why once a tick
            log.warning("consumer lag not updated: %r", e)
            return
        # Faust keeps what it committed per partition (the next offset to read, as Kafka does).
        committed = getattr(consumer, "_committed_offset", {})
        metrics.record_consumer_lag(ends, committed)


async def publish_until_done(app: faust.App, topic: str, events: Sequence[EventEnvelope]) -> None:
    """Publish events (alerts, finalised check-ins) and wait for the broker's acks, retrying while it
    is unreachable: the batch that caused them is acked only after this returns, so none is lost."""

    async def publish() -> None:
        sent = [
            await app.producer.send(topic, e.key.encode(), e.SerializeToString(), None, None, None)
            for e in events
        ]
        for ack in sent:
            await ack

    await until_done(f"publishing {len(events)} event(s) to {topic}", publish, transient=_broker_transient)


def _broker_transient(e: BaseException) -> bool:
    """What Kafka says may pass (a broker down, a leader moving); anything else (a record too large,
    no such topic, not authorised) fails the batch, which then dead-letters what it cannot process
    instead of blocking the partitions for ever."""
    return bool(getattr(e, "retriable", False)) or isinstance(e, KafkaConnectionError | TimeoutError)


async def project_batch(
    name: str,
    store: ProjectionStore,
    apply_batch: ApplyBatch,
    events: Sequence[tuple[Position, EventEnvelope]],
    dead: Sequence[DeadLetter],
) -> int:
    """Apply a decoded batch, waiting out Redis and data-key outages; shared by the workers and the rebuild.
    Counted and timed per projection (projections/metrics.py)."""
    started = time.perf_counter()
    applied = await until_done(
        name,
        functools.partial(_apply_or_dead_letter, name, store, apply_batch, events, dead),
        transient=worker_transient,
    )
    done = time.time()
    metrics.BATCH_DURATION.labels(name).observe(time.perf_counter() - started)
    metrics.EVENTS_TAKEN.labels(name).inc(len(events) + len(dead))
    metrics.EVENTS_APPLIED.labels(name).inc(applied)
    if dead:  # counted once here: a retried batch writes its undecodable records again
        metrics.DEAD_LETTERS.labels(name).inc(len(dead))
    lag = metrics.PROJECTION_LAG.labels(name)
    for seconds in metrics.lag_seconds(done, (e.occurred_at.ToMicroseconds() / 1e6 for _, e in events)):
        lag.observe(seconds)
    return applied


async def _apply_or_dead_letter(
    name: str,
    store: ProjectionStore,
    apply_batch: ApplyBatch,
    events: Sequence[tuple[Position, EventEnvelope]],
    dead: Sequence[DeadLetter],
) -> int:
    """Apply a batch; if it fails for a reason other than Redis being unreachable, apply its events
    one by one and keep each one that still fails as a dead letter. Faust acks the batch once this
    returns, so nothing may leave it unapplied and unrecorded."""
    if dead:
        await store.write_snapshots((), dead)
    try:
        return await apply_batch(store, events)
    except WORKER_TRANSIENT:
        raise
    except Exception:
        log.exception("batch of %d events failed; applying them one by one", len(events))
    applied = 0
    for item in events:
        try:
            applied += await apply_batch(store, [item])
        except WORKER_TRANSIENT:
            raise
        except Exception as e:
            position = item[0]
            log.error("dead letter at %s/%d: %r", position.stream, position.offset, e)
            await store.write_snapshots((), [DeadLetter(position, f"{type(e).__name__}: {e}")])
            metrics.DEAD_LETTERS.labels(name).inc()
    return applied


def decode_batch(
    records: Iterable[tuple[Position, bytes]],
) -> tuple[list[tuple[Position, EventEnvelope]], list[DeadLetter]]:
    """Decode raw records; what cannot be read becomes a dead letter with its position and reason."""
    events: list[tuple[Position, EventEnvelope]] = []
    dead: list[DeadLetter] = []
    for position, value in records:
        try:
            events.append((position, decode_event(value)))
        except UndecodableEvent as e:
            log.error("dead letter at %s/%d: %s", position.stream, position.offset, e)
            dead.append(DeadLetter(position, str(e)))
    return events, dead
