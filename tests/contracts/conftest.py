"""The ports' contract suite: every test here runs twice, against the in-memory fake
(`tests/support/fakes.py`) and against the real adapter on a real Redis or Kafka, so the fast
service tests on the fakes mean what they would mean in production (eventsourcing's recorder
suites do the same for their databases).

Each side is a small harness: the port, how to put state behind it the way production does (the
real side through the projections' own code), and how to read back what was written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from bhyt.v1 import events_pb2 as ev

from infra.local.procs import free_port
from infra.local.redis_server import RedisServer
from projections.participation import model as participation
from projections.store import Position, ProjectionStore
from projections.usage import model as usage
from tests.support.fakes import (
    FakeChallengeStore,
    FakeCommandReceipts,
    FakeEventLog,
    FakeReadModel,
    FakeReplayGuard,
)
from tests.support.isolation import isolated_settings
from verifier.adapters.challenges import RedisChallengeStore
from verifier.adapters.command_receipts import RedisCommandReceipts
from verifier.adapters.data_keys import DataKeyRing
from verifier.adapters.kafka_log import KafkaEventLog, scan_topic
from verifier.adapters.key_encryption import FileKeyEncryptionKeys
from verifier.adapters.read_model import RedisReadModel
from verifier.adapters.redis_client import RedisClient, connect
from verifier.adapters.replay_guard import RedisReplayGuard
from verifier.domain.participation import Participation
from verifier.domain.station import Station
from verifier.domain.usage import UsageEntry
from verifier.domain.verdicts import Decision
from verifier.events import decode_event
from verifier.events.envelopes import check_in_verified, participant_enrolled
from verifier.events.sealing import opened
from verifier.ports import ChallengeStore, CommandReceipts, EventLog, ReadModel, ReplayGuard

SIDES = ["fake", "real"]
# The Redis adapters hold the contract on one Redis and on a Redis Cluster alike.
REDIS_SIDES = ["fake", "real", "cluster"]
NOW = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)


@dataclass
class ReadModelSide:
    read_model: ReadModel
    unreachable: ReadModel
    fake: FakeReadModel | None = None
    store: ProjectionStore | None = None
    _offset: int = 0

    async def enroll(self, person: Participation) -> None:
        """As the participation projection does, from a ParticipantEnrolled event."""
        if self.fake is not None:
            self.fake.put(person)
            return
        assert self.store is not None
        event = participant_enrolled(person, at=NOW, producer="contract")
        await participation.apply_batch(self.store, [(self._next(), event)])

    async def check_in(self, subject: str, entry: UsageEntry, *, accepted: bool) -> None:
        """As the usage projection does, from a CheckInVerified event."""
        if self.fake is not None:
            self.fake.record_check_in(subject, entry, accepted=accepted)
            return
        assert self.store is not None
        decision = Decision.of([] if accepted else ["010"])
        event = check_in_verified(
            decision,
            key=subject,
            presented_number=subject,
            station=Station(entry.facility_id, entry.kiosk_id, "contract"),
            at=entry.at,
            producer="contract",
            event_id=entry.check_in_id,
        )
        event.check_in_verified.result_code = entry.result_code
        await usage.apply_batch(self.store, [(self._next(), event)], recent_size=20)

    def _next(self) -> Position:
        self._offset += 1
        return Position("contract", 0, self._offset)


@dataclass(frozen=True)
class EventLogSide:
    log: EventLog
    read_back: Callable[[str], list[ev.EventEnvelope]]  # every envelope on a topic, in log order


def _unreachable_redis() -> RedisClient:
    return connect(f"redis://127.0.0.1:{free_port()}", decode_responses=True, socket_connect_timeout=0.5)


@pytest.fixture(params=REDIS_SIDES)
async def redis_side(request: pytest.FixtureRequest) -> AsyncIterator[RedisClient | None]:
    """None for the fake side, else a client on this test session's own Redis or Redis Cluster,
    flushed."""
    if request.param == "fake":
        yield None
        return
    if request.param == "cluster":
        url = request.getfixturevalue("redis_cluster").url
    else:
        url = request.getfixturevalue("redis_server").url
    client = connect(url, decode_responses=True)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def read_model_side(redis_side: RedisClient | None) -> AsyncIterator[ReadModelSide]:
    client = redis_side
    if client is None:
        fake = FakeReadModel(wall_clock=lambda: datetime.now(UTC))
        yield ReadModelSide(fake, FakeReadModel(down=True), fake=fake)
        return
    unreachable = _unreachable_redis()
    try:
        yield ReadModelSide(
            RedisReadModel(client), RedisReadModel(unreachable), store=ProjectionStore(client)
        )
    finally:
        await unreachable.aclose()


@pytest.fixture
async def replay_guards(
    redis_side: RedisClient | None,
) -> AsyncIterator[tuple[ReplayGuard, ReplayGuard]]:
    """(the guard, one whose server is unreachable)"""
    client = redis_side
    if client is None:
        yield FakeReplayGuard(), FakeReplayGuard(down=True)
        return
    unreachable = _unreachable_redis()
    try:
        yield RedisReplayGuard(client), RedisReplayGuard(unreachable)
    finally:
        await unreachable.aclose()


@pytest.fixture
async def challenge_stores(
    redis_side: RedisClient | None,
) -> AsyncIterator[tuple[ChallengeStore, ChallengeStore]]:
    client = redis_side
    if client is None:
        yield FakeChallengeStore(), FakeChallengeStore(down=True)
        return
    unreachable = _unreachable_redis()
    try:
        yield RedisChallengeStore(client), RedisChallengeStore(unreachable)
    finally:
        await unreachable.aclose()


@pytest.fixture
async def command_receipts(
    redis_side: RedisClient | None,
) -> AsyncIterator[tuple[CommandReceipts, CommandReceipts]]:
    """(the receipts, receipts whose server is unreachable)"""
    client = redis_side
    if client is None:
        yield FakeCommandReceipts(), FakeCommandReceipts(down=True)
        return
    unreachable = _unreachable_redis()
    try:
        yield RedisCommandReceipts(client), RedisCommandReceipts(unreachable)
    finally:
        await unreachable.aclose()


@pytest.fixture(params=SIDES)
def event_log_side(request: pytest.FixtureRequest) -> Iterator[EventLogSide]:
    if request.param == "fake":
        fake = FakeEventLog()

        def on_fake_topic(topic: str) -> list[ev.EventEnvelope]:
            where = zip(fake.envelopes(), fake.recorded, strict=True)
            return [envelope for envelope, recorded in where if recorded.topic == topic]

        yield EventLogSide(fake, on_fake_topic)
        return
    bootstrap: str = request.getfixturevalue("kafka_bootstrap")
    server: RedisServer = request.getfixturevalue("redis_server")
    settings = isolated_settings(bootstrap, server.url, prefix="contract")
    log = KafkaEventLog.connect(settings)
    # Read back as a worker reads: personal fields are sealed on the log and opened with their keys.
    ring = DataKeyRing(bootstrap, settings.topic_data_keys, FileKeyEncryptionKeys.load(settings.kek_file))

    def read_back(topic: str) -> list[ev.EventEnvelope]:
        return [opened(decode_event(r.value), ring.secret) for r in scan_topic(bootstrap, topic)]

    try:
        yield EventLogSide(log, read_back)
    finally:
        log.close()
        ring.close()
