"""What a HIS lookup costs in Redis round trips, counted by a real Redis: authenticating is one (the
token with its account), a 2024 lookup's staff member one (the facility's CCCD index with the
record), so a whole 2024 lookup makes four with the participant and its usage history, where it
made six (BENCHMARKS.md, "HIS gateway: where a lookup's time goes": p99 <= 20 ms at 300 lookups/s).
Refusals cost no more than answers: a revoked token, a disabled account, an unregistered CCCD.

The count is the server's own: INFO stats `total_reads_processed`, one per request it reads off a
connection. A pipeline's commands arrive as one request and the calls a script makes are none, so it
counts round trips, not commands (commandstats also counts a script's inner GET). The module runs a
Redis of its own, so no other test's client can add to the count.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from infra.local.redis_server import RedisServer
from projections.accounts import model as accounts_projection
from projections.participation import model as participation_projection
from projections.store import Position, ProjectionStore
from tests.support.fakes import FakeEventLog
from tests.support.people import AN
from verifier.adapters.read_model import RedisReadModel
from verifier.bootstrap import account_service
from verifier.domain.accounts import ScryptParameters, hash_password, md5_hex
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.his_request import Shape, parse_fields
from verifier.errors import Unauthenticated
from verifier.events import facts
from verifier.events.envelopes import participant_enrolled, to_envelope
from verifier.service.accounts import AccountService
from verifier.service.his_lookup import HisGateway, HisLookup, StaffNameMismatch, StaffNotRegistered
from verifier.settings import Settings

NOW = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)  # within AN's card
FACILITY = "40-001"
USERNAME = "40001_bv"
PASSWORD = "Mat-khau-2026!"
STAFF_CCCD = "040185000111"
FACILITIES = FacilityRegistry.from_lines(Settings().facilities_file.read_text(encoding="utf-8").splitlines())
BODY_2024 = {
    "maThe": AN.card_number,
    "hoTen": AN.full_name,
    "ngaySinh": "01/05/1990",
    "hoTenCb": "Trần Thị Lan",
    "cccdCb": STAFF_CCCD,
}


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with RedisServer(tmp_path_factory.mktemp("redis-round-trips")) as server:
        yield server


class RoundTrips:
    """`async with RoundTrips(observer) as trips:` the requests Redis reads inside the block
    (`trips.count`), and the commands it ran (`trips.commands`, to say what they were on failure)."""

    def __init__(self, observer: aioredis.Redis) -> None:
        self._observer = observer
        self.count = -1
        self.commands: dict[str, int] = {}

    async def __aenter__(self) -> RoundTrips:
        await self._observer.config_resetstat()  # read before the reset: not counted
        return self

    async def __aexit__(self, *_: object) -> None:
        stats = await self._observer.info("stats")
        self.count = int(stats["total_reads_processed"]) - 1  # less this INFO request itself
        ran = await self._observer.info("commandstats")
        self.commands = {
            name.removeprefix("cmdstat_"): int(stat["calls"])
            for name, stat in ran.items()
            if name not in ("cmdstat_info", "cmdstat_config|resetstat")
        }


@dataclass
class World:
    client: aioredis.Redis
    observer: aioredis.Redis
    store: ProjectionStore
    accounts: AccountService
    gateway: HisGateway
    token: str
    offset: int = 100

    async def project(self, *recorded: facts.AccountFact) -> None:
        """As the accounts projection does."""
        batch = []
        for fact in recorded:
            self.offset += 1
            batch.append((Position("accounts", 0, self.offset), to_envelope(fact, producer="test")))
        await accounts_projection.apply_batch(self.store, batch)

    async def look_up(self, body: dict[str, str]) -> object:
        account = await self.gateway.authenticate(self.token)
        return await self.gateway.look_up(HisLookup(account, parse_fields(body, Shape.V2024), Shape.V2024))

    def trips(self) -> RoundTrips:
        return RoundTrips(self.observer)


@pytest.fixture
async def world(own_redis: RedisServer) -> AsyncIterator[World]:
    """A HIS account, its facility's staff member and AN, put in Redis by the projections' own code;
    the account service as `verifier.bootstrap` wires it; a lookup made once already, so the
    scripts are loaded and the connection's handshake done before anything is counted."""
    client = aioredis.from_url(own_redis.url, decode_responses=True)
    observer = aioredis.from_url(own_redis.url, decode_responses=True)
    await client.flushdb()
    store = ProjectionStore(client)
    password_hash = hash_password(
        md5_hex(PASSWORD), salt=secrets.token_bytes(16), parameters=ScryptParameters(n=1 << 10)
    )
    await participation_projection.apply_batch(
        store, [(Position("participation", 0, 1), participant_enrolled(AN, at=NOW, producer="test"))]
    )
    log = FakeEventLog()
    accounts = account_service(Settings(), client, log, FACILITIES, clock=lambda: NOW)
    gateway = HisGateway(
        accounts=accounts, read_model=RedisReadModel(client), event_log=log, facilities=FACILITIES,
        clock=lambda: NOW,
    )  # fmt: skip
    world = World(client, observer, store, accounts, gateway, token="")
    await world.project(
        facts.AccountAdded(
            username=USERNAME, role="his", facility_id=FACILITY, password_hash=password_hash,
            added_by="test", at=NOW,
        ),
        facts.StaffRegistered(
            registry_id="NV-0001", facility_id=FACILITY, personal_id=STAFF_CCCD, full_name="Trần Thị Lan",
            at=NOW,
        ),
    )  # fmt: skip
    world.token = (await gateway.take_token(USERNAME, md5_hex(PASSWORD), address="10.0.0.1")).access_token
    await world.look_up(BODY_2024)
    await observer.ping()
    try:
        yield world
    finally:
        await observer.aclose()
        await client.aclose()


async def test_authenticating_is_one_round_trip(world: World) -> None:
    async with world.trips() as trips:
        account = await world.accounts.authenticate(world.token)
    assert account.username == USERNAME and account.facility_id == FACILITY
    assert trips.count == 1, trips.commands


async def test_a_staff_member_is_one_round_trip_found_or_not(world: World) -> None:
    async with world.trips() as found:
        member = await world.accounts.staff_member(FACILITY, STAFF_CCCD)
    assert member is not None and member.registry_id == "NV-0001"
    async with world.trips() as missing:
        assert await world.accounts.staff_member(FACILITY, "040185000999") is None
    assert (found.count, missing.count) == (1, 1), (found.commands, missing.commands)


async def test_a_2024_lookup_is_four_round_trips_two_of_them_accounts(world: World) -> None:
    """Token with account, staff index with record, then the participant and its usage history."""
    async with world.trips() as trips:
        await world.look_up(BODY_2024)
    assert trips.count == 4, trips.commands


async def test_refusals_cost_no_more_and_count_at_once(world: World) -> None:
    """No cache to wait out: a token logged out, or one of an account the projection shows disabled
    (its tokens not revoked, as when another process disabled it), is refused on its next use."""
    other = (await world.gateway.take_token(USERNAME, md5_hex(PASSWORD), address="10.0.0.1")).access_token
    await world.accounts.log_out(other)
    async with world.trips() as logged_out:
        with pytest.raises(Unauthenticated):
            await world.accounts.authenticate(other)
    async with world.trips() as not_registered:  # 054: the token, the staff index; nothing judged
        with pytest.raises(StaffNotRegistered):
            await world.look_up({**BODY_2024, "cccdCb": "040185000999"})
    async with world.trips() as other_name:  # 055
        with pytest.raises(StaffNameMismatch):
            await world.look_up({**BODY_2024, "hoTenCb": "Trần Thị Lành"})
    await world.project(facts.AccountDisabled(username=USERNAME, reason="", disabled_by="x", at=NOW))
    async with world.trips() as disabled:
        with pytest.raises(Unauthenticated):
            await world.accounts.authenticate(world.token)
    counts = (logged_out.count, not_registered.count, other_name.count, disabled.count)
    assert counts == (1, 2, 2, 1), (logged_out.commands, not_registered.commands, disabled.commands)
