"""Accounts and registered staff: who may use the HIS gateway and the staff dashboard.

The gateway (`log_in`, `authenticate`, `staff_member`) and the administrators (`add_account`,
`disable_account`, `register_staff`, ...) meet here. Every change is an event on bhyt.accounts.v1
(`EventLog`), answered once durable; what exists is read from the accounts projection
(`AccountsReadModel`), so an account added a moment ago can log in once the projection has it.

Security, as issue 16 asks:
- passwords exist only as scrypt hashes of the MD5 string clients send (`verifier.domain.accounts`);
  hashing runs in a thread, so a login never stalls the event loop;
- tokens are random (`secrets`), stored only as their SHA-256 with an expiry (`LoginTokens`), checked
  against the service's clock; a disabled account's tokens are revoked when it is disabled, and
  `authenticate` also refuses any token of an account the projection shows disabled (read with the
  token, in one round trip: every gateway request authenticates, and nothing is cached);
- failed logins are counted per account and per client address (`LoginAttempts`); past the limit
  the scope is locked for a while, and a locked account says so (LoginRefused(locked=True)). An
  unknown username costs the same scrypt as a known one, so timing does not tell them apart.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from verifier.domain.accounts import (
    AccountRecord,
    Role,
    ScryptParameters,
    StaffRecord,
    check_full_name,
    check_password,
    hash_password,
    md5_hex,
    normalise_personal_id,
    normalise_username,
    parse_role,
    verify_password,
)
from verifier.domain.facilities import FacilityRegistry, normalise_facility
from verifier.errors import BadRequest, NotFound, Unauthenticated, VerifierError
from verifier.events.facts import AccountAdded, AccountDisabled, StaffRegistered, StaffRemoved
from verifier.ports import AccountsReadModel, EventLog, LiveToken, LoginAttempts, Recorded

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]

__all__ = [
    "Account",
    "AccountService",
    "AlreadyExists",
    "IssuedToken",
    "LoginPolicy",
    "LoginRefused",
    "LoginTokens",
    "NewAccount",
    "Role",
    "StaffMember",
    "Written",
]


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    facility_id: str  # the facility a HIS account checks cards for ("" for monitoring accounts)


@dataclass(frozen=True)
class IssuedToken:
    """What /api/token/take answers: both tokens are random, short-lived and revocable."""

    access_token: str
    id_token: str
    username: str
    expires_at: datetime  # UTC


@dataclass(frozen=True)
class StaffMember:
    registry_id: str  # what check-in events name: never the CCCD
    facility_id: str
    full_name: str


class LoginRefused(VerifierError):
    """Wrong username or password, a disabled account, or too many failed attempts (`locked`)."""

    grpc_status = "UNAUTHENTICATED"
    code = "401"

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


class AlreadyExists(BadRequest):
    """The account or registration exists already: nothing recorded."""

    grpc_status = "ALREADY_EXISTS"


@dataclass(frozen=True)
class LoginPolicy:
    """Token lifetime and failed-login limits (settings: account_token_lifetime_s, login_*)."""

    token_lifetime: timedelta = timedelta(hours=1)
    failure_limit: int = 5  # per account
    address_failure_limit: int = 20  # per client address: several HIS machines may share one
    failure_window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Written:
    """Where an admin change's event is."""

    event_id: str
    recorded: Recorded


@dataclass(frozen=True)
class NewAccount:
    account: Account
    generated_password: str  # "" when the administrator gave one; shown once, never stored
    written: Written


class LoginTokens(Protocol):
    """The login tokens as this service uses them: `verifier.ports.TokenStore`, but a token is
    looked up together with the account it names (`find_with_account`), since authenticating, which
    every HIS lookup and dashboard request does, should cost one round trip, not one for the token
    and one for the account. A Protocol, so the adapters fit it without importing the service."""

    async def keep(self, token_digest: str, token: LiveToken, *, ttl_s: int) -> None: ...

    async def find_with_account(self, token_digest: str) -> tuple[LiveToken, AccountRecord | None] | None:
        """None for an unknown (revoked, lapsed) token; else the token and its account as the
        accounts projection holds it now (None when it holds none)."""
        ...

    async def revoke_all(self, username: str) -> int: ...

    async def revoke(self, token_digest: str) -> bool: ...


_DEFAULT_POLICY = LoginPolicy()
_DEFAULT_HASHING = ScryptParameters()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountService:
    def __init__(
        self,
        *,
        directory: AccountsReadModel,
        tokens: LoginTokens,
        attempts: LoginAttempts,
        event_log: EventLog,
        facilities: FacilityRegistry,
        clock: Clock,
        policy: LoginPolicy = _DEFAULT_POLICY,
        hashing: ScryptParameters = _DEFAULT_HASHING,
    ) -> None:
        self._directory = directory
        self._tokens = tokens
        self._attempts = attempts
        self._log = event_log
        self._facilities = facilities
        self._clock = clock
        self._policy = policy
        self._hashing = hashing
        # Verified against when the username is unknown, so both cost one scrypt.
        self._decoy = hash_password(
            md5_hex(secrets.token_hex(8)), salt=secrets.token_bytes(16), parameters=hashing
        )

    # ---- the gateway ------------------------------------------------------------------------

    async def log_in(self, username: str, password_md5: str, *, address: str) -> IssuedToken:
        """Check the password (the MD5 hex string clients send) against the slow salted hash; rate
        limited per account and per address. Raises LoginRefused."""
        now = self._clock()
        name = (username or "").strip().lower()
        scopes = (f"user:{name}", f"addr:{address}")
        for scope in scopes:
            until = await self._attempts.locked_until(scope)
            if until is not None and until > now:
                raise self._locked(until, now)
        record = await self._directory.account(name) if name else None
        stored = record.password_hash if record is not None else self._decoy
        matches = await asyncio.get_running_loop().run_in_executor(
            None, verify_password, password_md5 or "", stored
        )
        if record is None or not matches:
            await self._failed(scopes, now)
            raise LoginRefused("sai tên đăng nhập hoặc mật khẩu (wrong username or password)")
        if record.disabled:
            raise LoginRefused("tài khoản đã bị vô hiệu hóa (the account is disabled)")
        await self._attempts.clear(scopes[0])
        access, id_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires_at = now + self._policy.token_lifetime
        await self._tokens.keep(
            _digest(access),
            LiveToken(record.username, _digest(id_token), expires_at),
            ttl_s=int(self._policy.token_lifetime.total_seconds()),
        )
        return IssuedToken(access, id_token, record.username, expires_at)

    async def authenticate(self, access_token: str, *, id_token: str = "") -> Account:
        """The account a live token belongs to; raises verifier.errors.Unauthenticated for an
        unknown, expired or revoked token, or a disabled account. One read of the token store, which
        brings the token's account with it: no cache, so a revocation or disabling counts at once."""
        if not access_token:
            raise Unauthenticated("thiếu token (no token)")
        found = await self._tokens.find_with_account(_digest(access_token))
        if found is None or found[0].expires_at <= self._clock():
            raise Unauthenticated("token không hợp lệ hoặc đã hết hạn (unknown or expired token)")
        live, record = found
        if id_token and not hmac.compare_digest(_digest(id_token), live.id_token_digest):
            raise Unauthenticated("id_token không khớp (id_token does not match the token)")
        if record is None or record.disabled:
            raise Unauthenticated("tài khoản không còn hiệu lực (the account is disabled)")
        return Account(record.username, record.role, record.facility_id)

    async def log_out(self, access_token: str) -> None:
        """End one session now (the staff dashboard's logout), not just forget its cookie: a copied
        token must stop working when its owner logs out."""
        if access_token:
            await self._tokens.revoke(_digest(access_token))

    async def staff_member(self, facility_id: str, personal_id: str) -> StaffMember | None:
        """The staff member `facility_id` registered under that CCCD number, if any (VSS 054)."""
        found = await self._directory.staff_by_personal_id(facility_id, (personal_id or "").strip())
        return StaffMember(found.registry_id, found.facility_id, found.full_name) if found else None

    # ---- administrators ---------------------------------------------------------------------

    async def add_account(
        self, username: str, *, role: str, facility_id: str = "", password: str = "", by: str = "admin"
    ) -> NewAccount:
        """Record a new account; without a password a strong one is generated and returned once.
        What is hashed is the MD5 string of the password, since that is what clients send."""
        name = normalise_username(username)
        kind = parse_role(role)
        facility = ""
        if kind is Role.HIS or facility_id.strip():
            if not facility_id.strip():
                raise BadRequest("facility_id: bắt buộc với tài khoản his (required for a his account)")
            facility = self._facilities.require(facility_id)
        generated = "" if password else secrets.token_urlsafe(15)
        secret = check_password(password) if password else generated
        if await self._directory.account(name) is not None:
            raise AlreadyExists(f"username: tài khoản {name} đã tồn tại (already exists)")
        salt = secrets.token_bytes(16)
        password_hash = await asyncio.get_running_loop().run_in_executor(
            None, lambda: hash_password(md5_hex(secret), salt=salt, parameters=self._hashing)
        )
        fact = AccountAdded(
            username=name, role=kind.value, facility_id=facility, password_hash=password_hash, added_by=by,
            at=self._clock(),
        )  # fmt: skip
        recorded = await self._log.append(fact)
        return NewAccount(Account(name, kind, facility), generated, Written(fact.event_id, recorded))

    async def disable_account(self, username: str, *, reason: str = "", by: str = "admin") -> Written:
        """Record the disabling, then revoke the account's tokens at once."""
        name = normalise_username(username)
        if await self._directory.account(name) is None:
            raise NotFound(f"username: không có tài khoản {name} (no such account)")
        fact = AccountDisabled(username=name, reason=reason.strip(), disabled_by=by, at=self._clock())
        recorded = await self._log.append(fact)
        revoked = await self._tokens.revoke_all(name)
        log.info("account %s disabled, %d token(s) revoked", name, revoked)
        return Written(fact.event_id, recorded)

    async def accounts(self) -> list[AccountRecord]:
        return await self._directory.accounts()

    async def register_staff(
        self, *, facility_id: str, personal_id: str, full_name: str
    ) -> tuple[StaffRecord, Written]:
        facility = self._facilities.require(facility_id)
        pid = normalise_personal_id(personal_id)
        name = check_full_name(full_name)
        held = await self._directory.staff_by_personal_id(facility, pid)
        if held is not None:
            raise AlreadyExists(
                f"personal_id: đã đăng ký tại {facility} với mã {held.registry_id} (already registered there)"
            )
        registry_id = f"NV-{secrets.token_hex(5).upper()}"
        fact = StaffRegistered(
            registry_id=registry_id, facility_id=facility, personal_id=pid, full_name=name, at=self._clock()
        )
        recorded = await self._log.append(fact)
        return StaffRecord(registry_id, facility, pid, name), Written(fact.event_id, recorded)

    async def remove_staff(self, *, facility_id: str, registry_id: str) -> Written:
        facility = normalise_facility(facility_id)
        member = await self._directory.staff_member(registry_id.strip())
        if member is None or member.facility_id != facility:
            raise NotFound(
                f"registry_id: {registry_id.strip()} không đăng ký tại {facility} (not registered there)"
            )
        fact = StaffRemoved(registry_id=member.registry_id, facility_id=facility, at=self._clock())
        return Written(fact.event_id, await self._log.append(fact))

    async def staff(self, facility_id: str = "") -> list[StaffRecord]:
        return await self._directory.staff(normalise_facility(facility_id) if facility_id.strip() else "")

    # ---- failed logins ----------------------------------------------------------------------

    async def _failed(self, scopes: tuple[str, str], now: datetime) -> None:
        """Count the failure on the account and the address; lock a scope past its limit."""
        policy = self._policy
        window = int(policy.failure_window.total_seconds())
        locked_account = None
        for scope, limit in zip(scopes, (policy.failure_limit, policy.address_failure_limit), strict=True):
            if await self._attempts.count_failure(scope, now=now, window_s=window) >= limit:
                until = now + policy.lockout
                await self._attempts.lock(scope, until=until, ttl_s=int(policy.lockout.total_seconds()))
                log.warning("login %s locked until %s after %d failures", scope, until.isoformat(), limit)
                if scope is scopes[0]:
                    locked_account = until
        if locked_account is not None:
            raise self._locked(locked_account, now)

    @staticmethod
    def _locked(until: datetime, now: datetime) -> LoginRefused:
        minutes = max(1, -(-int((until - now).total_seconds()) // 60))
        return LoginRefused(
            f"tài khoản tạm khóa do đăng nhập sai nhiều lần, thử lại sau {minutes} phút "
            f"(locked after too many failed logins; try again in {minutes} min)",
            locked=True,
        )
