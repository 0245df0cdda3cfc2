"""The accounts ports' contract (AccountsReadModel, TokenStore with the service's LoginTokens,
LoginAttempts), held by the fakes and the Redis adapters alike; the real read side is written by the
accounts projection's own code, redelivered batches included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import redis.asyncio as aioredis
from bhyt.v1.events_pb2 import EventEnvelope

from infra.local.redis_server import RedisServer
from projections.accounts import model as accounts_projection
from projections.store import DEAD_LETTERS_KEY, Position, ProjectionStore
from tests.contracts.conftest import NOW, EventLogSide, _unreachable_redis
from tests.support.fakes import FakeAccountsReadModel, FakeSessions
from verifier.adapters.accounts import RedisAccountsReadModel, RedisSessions
from verifier.adapters.redis_client import RedisClient
from verifier.domain.accounts import AccountRecord, Role, StaffRecord
from verifier.errors import ReadModelUnavailable
from verifier.events import facts
from verifier.events.envelopes import to_envelope
from verifier.ports import AccountsReadModel, LiveToken, LoginAttempts, TokenStore
from verifier.service.accounts import LoginTokens

HASH = "scrypt$16384$8$1$c2FsdA==$aGFzaA=="


@dataclass
class AccountsSide:
    read_model: AccountsReadModel
    unreachable: AccountsReadModel
    fake: FakeAccountsReadModel | None = None
    store: ProjectionStore | None = None
    offsets: dict[str, int] = field(default_factory=dict)

    async def record(self, *recorded: facts.AccountFact, redeliver: bool = False) -> None:
        """As the accounts projection does; `redeliver`: the same batch comes twice (at least once)."""
        if self.fake is not None:
            self.fake.apply(recorded)  # a dict assignment: redelivery changes nothing by nature
            return
        assert self.store is not None
        batch: list[tuple[Position, EventEnvelope]] = []
        for fact in recorded:
            partition = hash(fact.key) % 2  # an aggregate stays on its partition, as Kafka keys it
            offset = self.offsets.get(str(partition), -1) + 1
            self.offsets[str(partition)] = offset
            batch.append((Position("accounts", partition, offset), to_envelope(fact, producer="contract")))
        await accounts_projection.apply_batch(self.store, batch)
        if redeliver:
            assert await accounts_projection.apply_batch(self.store, batch) == 0


@pytest.fixture
async def accounts_side(redis_side: RedisClient | None) -> AsyncIterator[AccountsSide]:
    if redis_side is None:
        fake = FakeAccountsReadModel()
        yield AccountsSide(fake, FakeAccountsReadModel(down=True), fake=fake)
        return
    unreachable = _unreachable_redis()
    try:
        yield AccountsSide(
            RedisAccountsReadModel(redis_side),
            RedisAccountsReadModel(unreachable),
            store=ProjectionStore(redis_side),
        )
    finally:
        await unreachable.aclose()


@pytest.fixture
async def sessions(
    redis_side: RedisClient | None, accounts_side: AccountsSide
) -> AsyncIterator[tuple[RedisSessions | FakeSessions, RedisSessions | FakeSessions, LoginAttempts]]:
    """(the sessions, unreachable tokens, unreachable attempts); the sessions see the accounts
    `accounts_side` records, as RedisSessions sees the projection's keys in its Redis."""
    if redis_side is None:
        down = FakeSessions(down=True)
        yield FakeSessions(directory=accounts_side.fake), down, down
        return
    unreachable = _unreachable_redis()
    try:
        gone = RedisSessions(unreachable)
        yield RedisSessions(redis_side), gone, gone
    finally:
        await unreachable.aclose()


def added(username: str, role: str = "his", facility: str = "40-001") -> facts.AccountAdded:
    return facts.AccountAdded(
        username=username, role=role, facility_id=facility, password_hash=HASH, added_by="t", at=NOW
    )


def registered(
    registry_id: str, facility: str, cccd: str, name: str = "Trần Văn Bình"
) -> facts.StaffRegistered:
    return facts.StaffRegistered(
        registry_id=registry_id, facility_id=facility, personal_id=cccd, full_name=name, at=NOW
    )


# ---- AccountsReadModel -----------------------------------------------------------------------


async def test_accounts_read_back_and_disabling_shows(accounts_side: AccountsSide) -> None:
    await accounts_side.record(added("bv-a"), added("giam-sat", "monitoring", ""), redeliver=True)
    await accounts_side.record(facts.AccountDisabled(username="bv-a", reason="r", disabled_by="t", at=NOW))
    model = accounts_side.read_model
    assert await model.account("giam-sat") == AccountRecord("giam-sat", Role.MONITORING, "", HASH)
    assert await model.account("bv-a") == AccountRecord("bv-a", Role.HIS, "40-001", HASH, disabled=True)
    assert await model.account("nobody") is None
    assert [a.username for a in await model.accounts()] == ["bv-a", "giam-sat"]


async def test_staff_read_back_by_cccd_by_id_and_by_facility(accounts_side: AccountsSide) -> None:
    await accounts_side.record(
        registered("NV-1", "40-001", "040090001234"),
        registered("NV-2", "40-001", "040090005678", "Lê Thị Hoa"),
        registered("NV-3", "79-001", "040090001234"),
        redeliver=True,
    )
    model = accounts_side.read_model
    bình = StaffRecord("NV-1", "40-001", "040090001234", "Trần Văn Bình")
    assert await model.staff_by_personal_id("40-001", "040090001234") == bình
    assert (await model.staff_by_personal_id("79-001", "040090001234")) == StaffRecord(
        "NV-3", "79-001", "040090001234", "Trần Văn Bình"
    )
    assert await model.staff_by_personal_id("40-002", "040090001234") is None
    assert await model.staff_member("NV-1") == bình
    assert [s.registry_id for s in await model.staff("40-001")] == ["NV-1", "NV-2"]
    assert [s.registry_id for s in await model.staff()] == ["NV-1", "NV-2", "NV-3"]


async def test_a_removed_staff_member_is_gone_everywhere(accounts_side: AccountsSide) -> None:
    await accounts_side.record(
        registered("NV-1", "40-001", "040090001234"),
        facts.StaffRemoved(registry_id="NV-1", facility_id="40-001", at=NOW),
        registered("NV-2", "40-001", "040090005678"),
        facts.StaffRemoved(registry_id="NV-2", facility_id="79-001", at=NOW),  # not theirs: nothing
        redeliver=True,
    )
    model = accounts_side.read_model
    assert await model.staff_by_personal_id("40-001", "040090001234") is None
    assert await model.staff_member("NV-1") is None
    assert [s.registry_id for s in await model.staff()] == ["NV-2"]


async def test_a_cccd_registered_again_at_a_facility_names_the_new_registration(
    accounts_side: AccountsSide,
) -> None:
    await accounts_side.record(
        registered("NV-1", "40-001", "040090001234"), registered("NV-9", "40-001", "040090001234", "B")
    )
    model = accounts_side.read_model
    assert await model.staff_by_personal_id("40-001", "040090001234") == StaffRecord(
        "NV-9", "40-001", "040090001234", "B"
    )
    assert await model.staff_member("NV-1") is None


async def test_an_unreachable_accounts_read_model_says_so(accounts_side: AccountsSide) -> None:
    down = accounts_side.unreachable
    for call in (
        down.account("a"), down.accounts(), down.staff_by_personal_id("40-001", "040090001234"),
        down.staff_member("NV-1"), down.staff(),
    ):  # fmt: skip
        with pytest.raises(ReadModelUnavailable):
            await call


# ---- TokenStore and LoginAttempts ------------------------------------------------------------


async def test_tokens_are_kept_found_and_revoked_per_account(
    sessions: tuple[TokenStore, TokenStore, LoginAttempts],
) -> None:
    store, _, _ = sessions
    first = LiveToken("bv-a", "d" * 64, NOW + timedelta(hours=1))
    await store.keep("a" * 64, first, ttl_s=3600)
    await store.keep("b" * 64, LiveToken("bv-a", "e" * 64, NOW), ttl_s=3600)
    await store.keep("c" * 64, LiveToken("bv-b", "f" * 64, NOW), ttl_s=3600)
    assert await store.find("a" * 64) == first
    assert await store.find("0" * 64) is None
    assert await store.revoke_all("bv-a") == 2
    assert await store.find("a" * 64) is None and await store.find("b" * 64) is None
    assert await store.find("c" * 64) is not None
    assert await store.revoke_all("nobody") == 0
    assert await store.revoke("c" * 64) is True  # one token, as a dashboard logout ends one session
    assert await store.find("c" * 64) is None
    assert await store.revoke("c" * 64) is False


async def test_a_token_is_found_with_the_account_the_projection_holds_now(
    sessions: tuple[LoginTokens, LoginTokens, LoginAttempts], accounts_side: AccountsSide
) -> None:
    """What `authenticate` reads in its one round trip: the token, and its account as it is now."""
    store, _, _ = sessions
    await accounts_side.record(added("bv-a"), redeliver=True)
    mine = LiveToken("bv-a", "d" * 64, NOW + timedelta(hours=1))
    orphan = LiveToken("bv-never-added", "e" * 64, NOW + timedelta(hours=1))
    await store.keep("a" * 64, mine, ttl_s=3600)
    await store.keep("b" * 64, orphan, ttl_s=3600)
    assert await store.find_with_account("a" * 64) == (mine, AccountRecord("bv-a", Role.HIS, "40-001", HASH))
    assert await store.find_with_account("b" * 64) == (orphan, None)
    assert await store.find_with_account("0" * 64) is None
    await accounts_side.record(facts.AccountDisabled(username="bv-a", reason="r", disabled_by="t", at=NOW))
    assert await store.find_with_account("a" * 64) == (
        mine, AccountRecord("bv-a", Role.HIS, "40-001", HASH, disabled=True)
    )  # fmt: skip
    assert await store.revoke("a" * 64) is True
    assert await store.find_with_account("a" * 64) is None


async def test_failures_count_up_lock_and_clear(
    sessions: tuple[LoginAttempts, TokenStore, LoginAttempts],
) -> None:
    attempts, _, _ = sessions
    assert await attempts.locked_until("user:a") is None
    assert [await attempts.count_failure("user:a", now=NOW, window_s=900) for _ in range(3)] == [1, 2, 3]
    assert await attempts.count_failure("addr:10.0.0.1", now=NOW, window_s=900) == 1
    await attempts.clear("user:a")
    assert await attempts.count_failure("user:a", now=NOW, window_s=900) == 1
    until = NOW + timedelta(minutes=15)
    await attempts.lock("user:a", until=until, ttl_s=900)
    assert await attempts.locked_until("user:a") == until
    assert await attempts.count_failure("user:a", now=NOW, window_s=900) == 1  # the lock reset the count


async def test_unreachable_sessions_say_so(
    sessions: tuple[object, RedisSessions | FakeSessions, LoginAttempts],
) -> None:
    _, tokens, attempts = sessions
    for call in (
        tokens.keep("a", LiveToken("u", "d", NOW), ttl_s=1), tokens.find("a"), tokens.find_with_account("a"),
        tokens.revoke_all("u"), tokens.revoke("a"),
        attempts.locked_until("s"), attempts.count_failure("s", now=NOW, window_s=1),
        attempts.lock("s", until=NOW, ttl_s=1), attempts.clear("s"),
    ):  # fmt: skip
        with pytest.raises(ReadModelUnavailable):
            await call


# ---- EventLog --------------------------------------------------------------------------------


async def test_account_and_staff_facts_share_one_topic_an_accounts_in_one_order(
    event_log_side: EventLogSide,
) -> None:
    log = event_log_side.log
    first = await log.append(added("bv-a"))
    disabled = await log.append(facts.AccountDisabled(username="bv-a", reason="r", disabled_by="t", at=NOW))
    staff = await log.append(registered("NV-1", "40-001", "040090001234"))
    assert first.topic == disabled.topic == staff.topic
    assert (disabled.partition, disabled.offset) == (first.partition, first.offset + 1)
    on_log = {
        e.key: e for e in event_log_side.read_back(first.topic) if e.WhichOneof("payload") != "account_added"
    }
    assert on_log["account:bv-a"].account_disabled.reason == "r"
    assert on_log["staff:40-001"].staff_registered.personal_id == "040090001234"


async def test_an_unusable_account_event_is_a_dead_letter_not_a_record(redis_server: RedisServer) -> None:
    """The projection's own guard: a role nobody can log in with never becomes an account."""
    client = aioredis.from_url(redis_server.url, decode_responses=True)
    try:
        await client.flushdb()
        bad = to_envelope(added("bv-x", role="root"), producer="contract")
        assert (
            await accounts_projection.apply_batch(
                ProjectionStore(client), [(Position("accounts", 0, 7), bad)]
            )
            == 0
        )
        assert await RedisAccountsReadModel(client).account("bv-x") is None
        assert await client.hgetall(DEAD_LETTERS_KEY) == {
            "accounts/0/7": "ValueError: 'root' is not a valid Role"
        }
    finally:
        await client.aclose()
