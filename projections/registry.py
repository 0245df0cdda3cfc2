"""Every agent the workers run, in one list: its topics, its Redis keys, how its batch function is
built. The Faust app (`app.py`), the rebuild (`rebuild.py`), the CLI and the stack read it here.

In the order a full rebuild runs them: the monitor after the projections it sits beside, the
alerts after the monitor (which may publish alerts as it rebuilds). The re-check of provisional
check-ins is listed but not rebuildable: it is a process manager that publishes CheckInFinalised
events, and rebuilding it would judge old check-ins against today's records and publish again, so
only the workers run it, and its state (rc:*) outlives rebuilds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from bhyt.v1.events_pb2 import EventEnvelope

from projections.accounts import model as accounts
from projections.alerts import model as alerts
from projections.face import model as face
from projections.monitor import worker as monitor
from projections.participation import model as participation
from projections.personal import opened_batch
from projections.recheck import Recheck
from projections.store import Position, ProjectionStore
from projections.usage import model as usage
from verifier.adapters.data_keys import DataKeyRing
from verifier.adapters.key_encryption import FileKeyEncryptionKeys
from verifier.adapters.redis_client import RedisClient
from verifier.domain.geography import Geography
from verifier.monitor_rules import load_rules
from verifier.settings import Settings

Events = Sequence[tuple[Position, EventEnvelope]]
ApplyBatch = Callable[[ProjectionStore, Events], Awaitable[int]]
Publish = Callable[[str, Sequence[EventEnvelope]], Awaitable[None]]  # (topic, events), acked on return


@dataclass(frozen=True)
class Wiring:
    """What an agent may need besides its events: settings, Redis, a way to publish, its name."""

    settings: Settings
    client: RedisClient
    publish: Publish
    worker_id: str
    _rings: list[DataKeyRing] = field(default_factory=list)

    def data_keys(self) -> DataKeyRing:
        """The worker's one ring of data keys (README "Personal data"), made on first use."""
        if not self._rings:
            keks = FileKeyEncryptionKeys.load(self.settings.kek_file)
            self._rings.append(
                DataKeyRing(self.settings.kafka_bootstrap, self.settings.topic_data_keys, keks)
            )
        return self._rings[0]

    def close(self) -> None:
        for ring in self._rings:
            ring.close()


@dataclass(frozen=True)
class Projection:
    name: str
    topics: Callable[[Settings], tuple[str, ...]]
    patterns: tuple[str, ...]  # the Redis keys it owns: a rebuild drops them
    build: Callable[[Wiring], ApplyBatch]
    rebuildable: bool = True


def _opening(apply_batch: ApplyBatch) -> Callable[[Wiring], ApplyBatch]:
    """`apply_batch` fed with each event's personal fields opened (still sealed when erased)."""

    def build(w: Wiring) -> ApplyBatch:
        ring = w.data_keys()

        async def apply(store: ProjectionStore, events: Events) -> int:
            return await apply_batch(store, await opened_batch(events, ring))

        return apply

    return build


def _usage(w: Wiring) -> ApplyBatch:
    size = w.settings.recent_usage_size

    async def apply(store: ProjectionStore, events: Events) -> int:
        return await usage.apply_batch(store, events, recent_size=size)

    return apply


def _alerts(w: Wiring) -> ApplyBatch:
    size = w.settings.alerts_recent_size

    async def apply(store: ProjectionStore, events: Events) -> int:
        return await alerts.apply_batch(store, events, recent_size=size)

    return apply


def _monitor(w: Wiring) -> ApplyBatch:
    topic = w.settings.topic_alerts

    async def publish(events: Sequence[EventEnvelope]) -> None:
        await w.publish(topic, events)

    rules = load_rules(w.settings.rules_file)
    worker = monitor.MonitorWorker(
        w.client, rules, Geography.load(), publish, producer=f"monitor/{w.worker_id}"
    )

    async def apply(store: ProjectionStore, events: Events) -> int:
        return (await worker.process(events)).taken

    return apply


def _recheck(w: Wiring) -> ApplyBatch:
    topic = w.settings.topic_checkins

    async def publish(events: Sequence[EventEnvelope]) -> None:
        await w.publish(topic, events)

    return Recheck(w.client, publish, producer=f"recheck/{w.worker_id}").apply_batch


REGISTRY: tuple[Projection, ...] = (
    Projection(
        "participation",
        lambda s: (s.topic_participation,),
        participation.PATTERNS,
        _opening(participation.apply_batch),
    ),
    Projection("usage", lambda s: (s.topic_checkins,), usage.PATTERNS, _usage),
    Projection("face", lambda s: (s.topic_face_matches,), face.PATTERNS, lambda w: face.apply_batch),
    Projection("monitor", lambda s: (s.topic_checkins, s.topic_face_matches), monitor.PATTERNS, _monitor),
    Projection("alerts", lambda s: (s.topic_alerts,), alerts.PATTERNS, _alerts),
    Projection("accounts", lambda s: (s.topic_accounts,), accounts.PATTERNS, _opening(accounts.apply_batch)),
    Projection("recheck", lambda s: (s.topic_checkins,), (), _recheck, rebuildable=False),
)

# The projections `rebuild` and `digest` know, in rebuild order.
NAMES = tuple(p.name for p in REGISTRY if p.rebuildable)


def projection(name: str) -> Projection:
    """The rebuildable projection called `name`; KeyError for anything else."""
    found = {p.name: p for p in REGISTRY if p.rebuildable}
    return found[name]
