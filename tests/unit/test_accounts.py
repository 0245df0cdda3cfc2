"""AccountService on the fakes: password hashing, logins, lockouts, tokens, disabling, staff."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.fakes import FakeAccountsReadModel, FakeEventLog, FakeSessions
from verifier.domain.accounts import (
    ScryptParameters,
    hash_password,
    mask_personal_id,
    md5_hex,
    verify_password,
)
from verifier.domain.facilities import FacilityRegistry
from verifier.errors import BadRequest, NotFound, Unauthenticated
from verifier.events import facts
from verifier.service.accounts import (
    Account,
    AccountService,
    AlreadyExists,
    LoginPolicy,
    LoginRefused,
    Role,
    StaffMember,
)
from verifier.settings import Settings

FACILITIES = FacilityRegistry.from_lines(Settings().facilities_file.read_text(encoding="utf-8").splitlines())
FAST = ScryptParameters(n=1 << 10, r=8, p=1)  # the same code, cheaper: the suite runs many logins
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
PASSWORD = "Mat-khau-2026!"
CCCD = "040090001234"


@dataclass
class World:
    now: datetime = T0
    log: FakeEventLog = field(default_factory=FakeEventLog)
    directory: FakeAccountsReadModel = field(default_factory=FakeAccountsReadModel)
    sessions: FakeSessions = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = FakeSessions(directory=self.directory)  # one Redis holds both in production

    def service(self, policy: LoginPolicy | None = None) -> AccountService:
        return AccountService(
            directory=self.directory, tokens=self.sessions, attempts=self.sessions, event_log=self.log,
            facilities=FACILITIES, clock=lambda: self.now, policy=policy or LoginPolicy(), hashing=FAST,
        )  # fmt: skip

    def project(self) -> None:
        """What the accounts projection does with everything logged so far."""
        self.directory.records.clear()
        self.directory.members.clear()
        self.directory.apply(self.log.appended)


@pytest.fixture
def world() -> World:
    return World()


async def added(world: World, service: AccountService, username: str = "bv-da-khoa", **kw: str) -> None:
    await service.add_account(username, role=kw.get("role", "his"), facility_id=kw.get("facility", "40-001"),
                              password=kw.get("password", PASSWORD))  # fmt: skip
    world.project()


# ---- passwords -----------------------------------------------------------------------------


def test_the_hash_is_scrypt_of_the_md5_string_in_the_contract_format() -> None:
    salt = bytes(range(16))
    encoded = hash_password(md5_hex(PASSWORD), salt=salt)
    scheme, n, r, p, salt_b64, digest_b64 = encoded.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert base64.b64decode(salt_b64) == salt
    expected = hashlib.scrypt(md5_hex(PASSWORD).encode(), salt=salt, n=16384, r=8, p=1, dklen=32)
    assert base64.b64decode(digest_b64) == expected
    assert md5_hex(PASSWORD) not in encoded and PASSWORD not in encoded
    assert verify_password(md5_hex(PASSWORD).upper(), encoded)  # hex is hex, in either case
    assert not verify_password(md5_hex(PASSWORD + "x"), encoded)
    assert not verify_password(PASSWORD, hash_password(PASSWORD, salt=salt, parameters=FAST))  # not MD5 hex
    assert not verify_password(md5_hex(PASSWORD), "scrypt$not$a$hash")


def test_the_same_password_hashes_differently_under_two_salts() -> None:
    assert hash_password(md5_hex(PASSWORD), salt=b"a" * 16, parameters=FAST) != hash_password(
        md5_hex(PASSWORD), salt=b"b" * 16, parameters=FAST
    )


def test_lists_never_show_a_whole_cccd_number() -> None:
    assert mask_personal_id("040090001234") == "0400*****234"


# ---- adding accounts -------------------------------------------------------------------------


async def test_an_added_account_is_one_event_holding_only_the_slow_hash(world: World) -> None:
    service = world.service()
    new = await service.add_account("BV-Da-Khoa", role="his", facility_id="40-001", password=PASSWORD)
    [fact] = world.log.appended
    assert isinstance(fact, facts.AccountAdded) and fact.key == "account:bv-da-khoa"
    assert (fact.username, fact.role, fact.facility_id) == ("bv-da-khoa", "his", "40-001")
    assert verify_password(md5_hex(PASSWORD), fact.password_hash) and PASSWORD not in fact.password_hash
    assert new.account == Account("bv-da-khoa", Role.HIS, "40-001") and new.generated_password == ""
    assert new.written.event_id == fact.event_id


async def test_without_a_password_a_strong_one_is_generated_and_its_md5_hashed(world: World) -> None:
    new = await world.service().add_account("giam-sat-1", role="monitoring")
    assert len(new.generated_password) >= 20
    [fact] = world.log.appended
    assert isinstance(fact, facts.AccountAdded) and fact.facility_id == ""
    assert verify_password(md5_hex(new.generated_password), fact.password_hash)


@pytest.mark.parametrize(
    ("username", "role", "facility", "password", "expected"),
    [
        ("ab", "his", "40-001", PASSWORD, "username"),
        ("bv da khoa", "his", "40-001", PASSWORD, "username"),
        ("bv-da-khoa", "admin", "40-001", PASSWORD, "role"),
        ("bv-da-khoa", "his", "", PASSWORD, "facility_id"),
        ("bv-da-khoa", "his", "99-999", PASSWORD, "99-999"),
        ("bv-da-khoa", "his", "40-001", "short", "password"),
    ],
)
async def test_a_bad_account_is_refused_and_nothing_recorded(
    world: World, username: str, role: str, facility: str, password: str, expected: str
) -> None:
    with pytest.raises(BadRequest, match=expected):
        await world.service().add_account(username, role=role, facility_id=facility, password=password)
    assert world.log.appended == []


async def test_an_existing_username_is_refused(world: World) -> None:
    service = world.service()
    await added(world, service)
    with pytest.raises(AlreadyExists):
        await service.add_account("BV-DA-KHOA", role="monitoring", password=PASSWORD)
    assert len(world.log.appended) == 1


# ---- logging in ------------------------------------------------------------------------------


async def test_the_right_password_gets_tokens_that_authenticate(world: World) -> None:
    service = world.service()
    await added(world, service)
    issued = await service.log_in("bv-da-khoa", md5_hex(PASSWORD), address="10.0.0.5")
    assert issued.username == "bv-da-khoa" and issued.expires_at == T0 + timedelta(hours=1)
    assert issued.access_token != issued.id_token and len(issued.access_token) >= 40
    account = await service.authenticate(issued.access_token, id_token=issued.id_token)
    assert account == Account("bv-da-khoa", Role.HIS, "40-001")
    assert issued.access_token not in world.sessions.tokens  # only its digest is kept
    with pytest.raises(Unauthenticated):
        await service.authenticate(issued.access_token, id_token=issued.access_token)
    with pytest.raises(Unauthenticated):
        await service.authenticate(issued.access_token + "x")


async def test_a_wrong_password_or_unknown_user_is_refused_alike(world: World) -> None:
    service = world.service()
    await added(world, service)
    with pytest.raises(LoginRefused) as wrong:
        await service.log_in("bv-da-khoa", md5_hex("wrong"), address="10.0.0.5")
    with pytest.raises(LoginRefused) as unknown:
        await service.log_in("nobody", md5_hex(PASSWORD), address="10.0.0.5")
    assert str(wrong.value) == str(unknown.value) and not wrong.value.locked
    with pytest.raises(LoginRefused):
        await service.log_in("bv-da-khoa", PASSWORD, address="10.0.0.5")  # the password itself, not its MD5


async def test_five_failures_lock_the_account_which_says_so_until_the_lockout_ends(world: World) -> None:
    service = world.service()
    await added(world, service)
    for attempt in range(4):
        with pytest.raises(LoginRefused) as refused:
            await service.log_in("bv-da-khoa", md5_hex(f"guess{attempt}"), address=f"10.0.0.{attempt}")
        assert not refused.value.locked
    with pytest.raises(LoginRefused) as fifth:
        await service.log_in("bv-da-khoa", md5_hex("guess5"), address="10.0.0.9")
    assert fifth.value.locked and "15" in str(fifth.value)
    world.now = T0 + timedelta(minutes=14, seconds=59)
    with pytest.raises(LoginRefused) as still:  # even the right password, from another address
        await service.log_in("bv-da-khoa", md5_hex(PASSWORD), address="10.9.9.9")
    assert still.value.locked and "tạm khóa" in str(still.value)
    world.now = T0 + timedelta(minutes=15)
    assert (
        await service.log_in("bv-da-khoa", md5_hex(PASSWORD), address="10.9.9.9")
    ).username == "bv-da-khoa"


async def test_failures_outside_the_window_do_not_add_up(world: World) -> None:
    service = world.service()
    await added(world, service)
    for minutes in (0, 5, 10, 14, 16):  # the fifth comes after the window that began at 0
        world.now = T0 + timedelta(minutes=minutes)
        with pytest.raises(LoginRefused) as refused:
            await service.log_in("bv-da-khoa", md5_hex("guess"), address="10.0.0.5")
        assert not refused.value.locked


async def test_a_success_clears_the_account_count(world: World) -> None:
    service = world.service()
    await added(world, service)
    for _ in range(4):
        with pytest.raises(LoginRefused):
            await service.log_in("bv-da-khoa", md5_hex("guess"), address="10.0.0.5")
    await service.log_in("bv-da-khoa", md5_hex(PASSWORD), address="10.0.0.5")
    with pytest.raises(LoginRefused) as refused:
        await service.log_in("bv-da-khoa", md5_hex("guess"), address="10.0.0.5")
    assert not refused.value.locked


async def test_one_address_trying_many_accounts_is_locked(world: World) -> None:
    service = world.service(LoginPolicy(address_failure_limit=6))
    await added(world, service)
    for n in range(6):
        with pytest.raises(LoginRefused):
            await service.log_in(f"user-{n}", md5_hex("guess"), address="203.0.113.7")
    with pytest.raises(LoginRefused) as refused:  # the address is locked: even a right password
        await service.log_in("bv-da-khoa", md5_hex(PASSWORD), address="203.0.113.7")
    assert refused.value.locked
    assert (await service.log_in("bv-da-khoa", md5_hex(PASSWORD), address="198.51.100.1")).access_token


async def test_tokens_expire_on_the_services_clock(world: World) -> None:
    service = world.service(LoginPolicy(token_lifetime=timedelta(minutes=60)))
    await added(world, service)
    issued = await service.log_in("bv-da-khoa", md5_hex(PASSWORD), address="10.0.0.5")
    world.now = issued.expires_at - timedelta(seconds=1)
    assert (await service.authenticate(issued.access_token)).username == "bv-da-khoa"
    world.now = issued.expires_at
    with pytest.raises(Unauthenticated):
        await service.authenticate(issued.access_token)
    with pytest.raises(Unauthenticated):
        await service.authenticate("")


# ---- disabling -------------------------------------------------------------------------------


async def test_disabling_stops_its_tokens_at_once_and_its_logins(world: World) -> None:
    service = world.service()
    await added(world, service)
    issued = await service.log_in("bv-da-khoa", md5_hex(PASSWORD), address="10.0.0.5")
    written = await service.disable_account("bv-da-khoa", reason="máy HIS cũ")
    assert isinstance(world.log.appended[-1], facts.AccountDisabled)
    assert written.event_id == world.log.appended[-1].event_id
    # Before the projection has the disabling: the tokens were revoked with it.
    with pytest.raises(Unauthenticated):
        await service.authenticate(issued.access_token)
    world.project()
    with pytest.raises(LoginRefused, match="vô hiệu"):
        await service.log_in("bv-da-khoa", md5_hex(PASSWORD), address="10.0.0.5")
    [listed] = await service.accounts()
    assert listed.disabled


async def test_a_token_of_an_account_the_projection_shows_disabled_is_refused(world: World) -> None:
    service = world.service()
    await added(world, service)
    issued = await service.log_in("bv-da-khoa", md5_hex(PASSWORD), address="10.0.0.5")
    # Disabled by another verifier process: only the projection tells this one.
    world.directory.apply([facts.AccountDisabled(username="bv-da-khoa", reason="", disabled_by="x", at=T0)])
    with pytest.raises(Unauthenticated):
        await service.authenticate(issued.access_token)


async def test_disabling_an_unknown_account_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await world.service().disable_account("nobody")
    assert world.log.appended == []


# ---- staff -----------------------------------------------------------------------------------


async def test_registered_staff_are_found_by_facility_and_cccd(world: World) -> None:
    service = world.service()
    member, written = await service.register_staff(
        facility_id="40-001", personal_id=CCCD, full_name=" Trần  Văn Bình "
    )
    [fact] = world.log.appended
    assert isinstance(fact, facts.StaffRegistered) and fact.key == "staff:40-001"
    assert member.registry_id.startswith("NV-") and member.full_name == "Trần Văn Bình"
    assert written.event_id == fact.event_id
    world.project()
    found = await service.staff_member("40-001", CCCD)
    assert found == StaffMember(member.registry_id, "40-001", "Trần Văn Bình")
    assert await service.staff_member("79-001", CCCD) is None  # registered at another facility only
    assert await service.staff_member("40-001", "040090009999") is None
    with pytest.raises(AlreadyExists):
        await service.register_staff(facility_id="40-001", personal_id=CCCD, full_name="Trần Văn Bình")
    await service.remove_staff(facility_id="40-001", registry_id=member.registry_id)
    world.project()
    assert await service.staff_member("40-001", CCCD) is None and await service.staff() == []


@pytest.mark.parametrize(
    ("facility", "cccd", "name", "expected"),
    [
        ("40-001", "04009000123", "A", "personal_id"),
        ("40-001", "04009000123x", "A", "personal_id"),
        ("40-001", CCCD, "  ", "full_name"),
        ("99-999", CCCD, "A", "99-999"),
    ],
)
async def test_a_bad_registration_is_refused(
    world: World, facility: str, cccd: str, name: str, expected: str
) -> None:
    with pytest.raises(BadRequest, match=expected):
        await world.service().register_staff(facility_id=facility, personal_id=cccd, full_name=name)
    assert world.log.appended == []


async def test_removing_someone_not_registered_there_is_not_found(world: World) -> None:
    service = world.service()
    member, _ = await service.register_staff(
        facility_id="40-001", personal_id=CCCD, full_name="Trần Văn Bình"
    )
    world.project()
    with pytest.raises(NotFound):
        await service.remove_staff(facility_id="79-001", registry_id=member.registry_id)
    with pytest.raises(NotFound):
        await service.remove_staff(facility_id="40-001", registry_id="NV-NOBODY")
