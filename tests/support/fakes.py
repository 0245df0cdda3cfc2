"""In-memory fakes of every port in `verifier/ports.py`, for fast service-layer tests.

Each one is held to the same contract as its real adapter (`tests/contracts/`), so a service test
on the fakes means what it would mean on Kafka and Redis. `down = True` makes a fake behave as its
real adapter does when its server is unreachable (the same exception), for degraded-mode tests.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from bhyt.v1 import events_pb2 as ev

from projections.usage.model import day_counter_expiry
from verifier.domain.accounts import AccountRecord, Role, StaffRecord
from verifier.domain.calendar import vietnam_date
from verifier.domain.participation import Participation
from verifier.domain.usage import Usage, UsageEntry
from verifier.errors import EventLogUnavailable, ReadModelUnavailable, Unauthenticated
from verifier.events.envelopes import to_envelope
from verifier.events.facts import (
    AccountAdded,
    AccountDisabled,
    Fact,
    LifecycleFact,
    ParticipantEnrolled,
    StaffRegistered,
    StaffRemoved,
)
from verifier.ports import (
    AccountsReadModel,
    ChallengeStore,
    ChipSession,
    CommandReceipts,
    EventLog,
    LiveToken,
    LoginAttempts,
    Presentation,
    ReadModel,
    Receipt,
    Recorded,
    ReplayGuard,
    TokenStore,
)
from verifier.service.accounts import Account, IssuedToken, LoginRefused, StaffMember

ACCOUNTS_TOPIC = "accounts"  # every account and staff fact: one topic, as on Kafka


@dataclass
class FakeEventLog(EventLog):
    """Facts in append order; one 'topic' per fact kind, offsets counted per topic as Kafka does,
    except that the card lifecycle follows the enrollment on its topic, as on Kafka (one order)."""

    appended: list[Fact] = field(default_factory=list)
    recorded: list[Recorded] = field(default_factory=list)  # where each appended fact is
    down: bool = False
    _offsets: dict[str, int] = field(default_factory=dict)

    async def append(self, fact: Fact) -> Recorded:
        if self.down:
            raise EventLogUnavailable("event log did not confirm the write")
        topic = ParticipantEnrolled.__name__ if isinstance(fact, LifecycleFact) else type(fact).__name__
        if isinstance(fact, AccountAdded | AccountDisabled | StaffRegistered | StaffRemoved):
            topic = ACCOUNTS_TOPIC
        offset = self._offsets.get(topic, -1) + 1
        self._offsets[topic] = offset
        self.appended.append(fact)
        self.recorded.append(Recorded(topic, 0, offset))
        return self.recorded[-1]

    def envelopes(self) -> list[ev.EventEnvelope]:
        """The appended facts as the Kafka adapter would write them."""
        return [to_envelope(f, producer="fake") for f in self.appended]


@dataclass
class FakeReadModel(ReadModel):
    participants: dict[str, Participation] = field(default_factory=dict)
    index: dict[str, str] = field(default_factory=dict)  # CCCD number -> SIN
    usages: dict[str, Usage] = field(default_factory=dict)
    days: dict[tuple[str, date], int] = field(default_factory=dict)  # check-ins per subject and day
    down: bool = False
    # The wall clock, to drop a day's counter when Redis would (projections/usage/model.py,
    # `day_counter_expiry`); None: counters never go, for tests whose clock is fixed in the past.
    wall_clock: Callable[[], datetime] | None = None

    def put(self, person: Participation) -> None:
        """What the participation projection does with an enrolment: the record and its index entry."""
        self.participants[person.social_insurance_number] = person
        if person.personal_id:
            self.index[person.personal_id] = person.social_insurance_number

    def record_check_in(self, subject: str, entry: UsageEntry, *, accepted: bool) -> None:
        """What the usage projection does with a check-in: totals, the day's count, recent first."""
        usage = self.usages.get(subject, Usage())
        self.usages[subject] = Usage(
            check_ins_total=usage.check_ins_total + 1,
            accepted_total=usage.accepted_total + accepted,
            last_facility_id=entry.facility_id,
            last_check_in_at=entry.at,
            recent=(entry, *usage.recent),
        )
        day = (subject, vietnam_date(entry.at))
        self.days[day] = self.days.get(day, 0) + 1

    def _up(self) -> None:
        if self.down:
            raise ReadModelUnavailable("participation projection unreachable")

    async def participant(self, social_insurance_number: str) -> Participation | None:
        self._up()
        return self.participants.get(social_insurance_number)

    async def social_insurance_number_for(self, personal_id: str) -> str | None:
        self._up()
        return self.index.get(personal_id)

    async def usage(self, subject: str, *, day: date, recent: int) -> Usage:
        self._up()
        usage = self.usages.get(subject, Usage())
        today = self.days.get((subject, day), 0)
        if self.wall_clock is not None and self.wall_clock().timestamp() >= day_counter_expiry(day):
            today = 0
        return replace(usage, check_ins_today=today, recent=usage.recent[:recent])


@dataclass
class FakeReplayGuard(ReplayGuard):
    first: dict[str, Presentation] = field(default_factory=dict)
    down: bool = False

    async def first_presentation(self, token_id: str, presentation: Presentation, ttl_s: int) -> Presentation:
        if self.down:
            raise ReadModelUnavailable("replay guard unreachable")
        return self.first.setdefault(token_id, presentation)


@dataclass
class FakeChallengeStore(ChallengeStore):
    sessions: dict[str, ChipSession] = field(default_factory=dict)
    down: bool = False

    def _up(self) -> None:
        if self.down:
            raise ReadModelUnavailable("challenge store unreachable")

    async def put(self, session_id: str, session: ChipSession, ttl_s: int) -> None:
        self._up()
        self.sessions[session_id] = session

    async def take(self, session_id: str) -> ChipSession | None:
        self._up()
        return self.sessions.pop(session_id, None)


@dataclass
class FakeCommandReceipts(CommandReceipts):
    receipts: dict[str, Receipt] = field(default_factory=dict)
    down: bool = False

    def _up(self) -> None:
        if self.down:
            raise ReadModelUnavailable("command receipts unreachable")

    async def recall(self, event_id: str) -> Receipt | None:
        self._up()
        return self.receipts.get(event_id)

    async def keep(self, receipt: Receipt, ttl_s: int) -> None:
        self._up()
        self.receipts.setdefault(receipt.event_id, receipt)


@dataclass
class FakeAccounts:
    """The three methods of `verifier.service.accounts.AccountService` the HIS gateway uses
    (`HisAccounts`), in memory: accounts with their MD5 password string, live tokens,
    registered staff. `locked` names accounts whose logins are refused as rate-limited."""

    logins: dict[str, tuple[Account, str]] = field(default_factory=dict)  # username -> (account, md5)
    members: dict[tuple[str, str], StaffMember] = field(default_factory=dict)  # (facility, CCCD) -> member
    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)  # access token -> (id token, username)
    locked: set[str] = field(default_factory=set)
    down: bool = False  # the accounts projection unreachable, as RedisAccountsReadModel says it
    lifetime: timedelta = timedelta(minutes=30)
    now: datetime = field(default_factory=lambda: datetime(2026, 6, 1, 3, 0, tzinfo=UTC))

    def add(self, username: str, password: str, *, role: Role = Role.HIS, facility_id: str = "") -> str:
        """Register an account; returns the MD5 hex string its client sends as the password."""
        md5 = hashlib.md5(password.encode()).hexdigest()
        self.logins[username] = (Account(username, role, facility_id), md5)
        return md5

    def put_staff(self, facility_id: str, personal_id: str, full_name: str, registry_id: str) -> None:
        self.members[(facility_id, personal_id)] = StaffMember(registry_id, facility_id, full_name)

    def _up(self) -> None:
        if self.down:
            raise ReadModelUnavailable("accounts projection unreachable")

    async def log_in(self, username: str, password_md5: str, *, address: str) -> IssuedToken:
        self._up()
        if username in self.locked:
            raise LoginRefused("too many failed logins", locked=True)
        known = self.logins.get(username)
        if known is None or not hmac.compare_digest(known[1], password_md5.lower()):
            raise LoginRefused("wrong username or password")
        access, id_token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.tokens[access] = (id_token, username)
        return IssuedToken(access, id_token, username, self.now + self.lifetime)

    async def authenticate(self, access_token: str, *, id_token: str = "") -> Account:
        self._up()
        held = self.tokens.get(access_token)
        if held is None or (id_token and id_token != held[0]):
            raise Unauthenticated("unknown, expired or revoked token")
        return self.logins[held[1]][0]

    async def staff_member(self, facility_id: str, personal_id: str) -> StaffMember | None:
        self._up()
        return self.members.get((facility_id, personal_id))


@dataclass
class FakeAccountsReadModel(AccountsReadModel):
    """What the accounts projection holds; `apply` folds account and staff facts as it does."""

    records: dict[str, AccountRecord] = field(default_factory=dict)
    members: dict[str, StaffRecord] = field(default_factory=dict)  # by registry id
    down: bool = False

    def apply(self, facts: Iterable[Fact]) -> None:
        for fact in facts:
            match fact:
                case AccountAdded():
                    self.records[fact.username] = AccountRecord(
                        fact.username, Role(fact.role), fact.facility_id, fact.password_hash
                    )
                case AccountDisabled() if fact.username in self.records:
                    self.records[fact.username] = replace(self.records[fact.username], disabled=True)
                case StaffRegistered():
                    for held in [m for m in self.members.values() if m.facility_id == fact.facility_id]:
                        if held.personal_id == fact.personal_id:
                            del self.members[held.registry_id]
                    self.members[fact.registry_id] = StaffRecord(
                        fact.registry_id, fact.facility_id, fact.personal_id, fact.full_name
                    )
                case StaffRemoved():
                    member = self.members.get(fact.registry_id)
                    if member is not None and member.facility_id == fact.facility_id:
                        del self.members[fact.registry_id]

    def _up(self) -> None:
        if self.down:
            raise ReadModelUnavailable("accounts projection unreachable")

    async def account(self, username: str) -> AccountRecord | None:
        self._up()
        return self.records.get(username)

    async def accounts(self) -> list[AccountRecord]:
        self._up()
        return [self.records[name] for name in sorted(self.records)]

    async def staff_by_personal_id(self, facility_id: str, personal_id: str) -> StaffRecord | None:
        self._up()
        found = [
            m for m in self.members.values() if (m.facility_id, m.personal_id) == (facility_id, personal_id)
        ]
        return found[0] if found else None

    async def staff_member(self, registry_id: str) -> StaffRecord | None:
        self._up()
        return self.members.get(registry_id)

    async def staff(self, facility_id: str = "") -> list[StaffRecord]:
        self._up()
        chosen = [m for m in self.members.values() if not facility_id or m.facility_id == facility_id]
        return sorted(chosen, key=lambda m: (m.facility_id, m.registry_id))


@dataclass
class FakeSessions(TokenStore, LoginAttempts):
    """Tokens, failure counters and locks in dicts. Expiry is the service's business (it compares
    `expires_at` and `until` with its clock); the failure window is kept here from `now`.
    `directory` is the accounts read model `find_with_account` reads, as RedisSessions reads the
    projection's keys in the Redis it shares with RedisAccountsReadModel: give it the service's."""

    tokens: dict[str, LiveToken] = field(default_factory=dict)
    failures: dict[str, tuple[datetime, int]] = field(default_factory=dict)  # scope -> (window start, n)
    locks: dict[str, datetime] = field(default_factory=dict)
    down: bool = False
    directory: FakeAccountsReadModel | None = None

    def _up(self) -> None:
        if self.down:
            raise ReadModelUnavailable("login sessions unreachable")

    async def keep(self, token_digest: str, token: LiveToken, *, ttl_s: int) -> None:
        self._up()
        self.tokens[token_digest] = token

    async def find(self, token_digest: str) -> LiveToken | None:
        self._up()
        return self.tokens.get(token_digest)

    async def find_with_account(self, token_digest: str) -> tuple[LiveToken, AccountRecord | None] | None:
        self._up()
        token = self.tokens.get(token_digest)
        if token is None:
            return None
        if self.directory is None:
            raise AssertionError("FakeSessions(directory=...): the accounts read model the service reads")
        return token, await self.directory.account(token.username)

    async def revoke_all(self, username: str) -> int:
        self._up()
        mine = [d for d, t in self.tokens.items() if t.username == username]
        for digest in mine:
            del self.tokens[digest]
        return len(mine)

    async def revoke(self, token_digest: str) -> bool:
        self._up()
        return self.tokens.pop(token_digest, None) is not None

    async def locked_until(self, scope: str) -> datetime | None:
        self._up()
        return self.locks.get(scope)

    async def count_failure(self, scope: str, *, now: datetime, window_s: int) -> int:
        self._up()
        start, n = self.failures.get(scope, (now, 0))
        if now >= start + timedelta(seconds=window_s):
            start, n = now, 0
        self.failures[scope] = (start, n + 1)
        return n + 1

    async def lock(self, scope: str, *, until: datetime, ttl_s: int) -> None:
        self._up()
        self.locks[scope] = until
        self.failures.pop(scope, None)

    async def clear(self, scope: str) -> None:
        self._up()
        self.failures.pop(scope, None)
