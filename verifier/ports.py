"""Narrow ports the use cases depend on; adapters implement them (Kafka, Redis), and
`tests/support/fakes.py` has an in-memory fake of each, held to the same contract suite."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime

from verifier.domain.accounts import AccountRecord, StaffRecord
from verifier.domain.participation import Participation
from verifier.domain.presentation import Presentation
from verifier.domain.usage import Usage
from verifier.events.facts import Fact


@dataclass(frozen=True)
class Recorded:
    """Where the log durably holds an event."""

    topic: str
    partition: int
    offset: int


class EventLog(ABC):
    @abstractmethod
    async def append(self, fact: Fact) -> Recorded:
        """Return only once the event is durable; raise EventLogUnavailable otherwise. Takes the
        domain fact: how it is encoded (protobuf, the envelope, the topic) is the adapter's job."""


class ReadModel(ABC):
    @abstractmethod
    async def participant(self, social_insurance_number: str) -> Participation | None: ...

    @abstractmethod
    async def social_insurance_number_for(self, personal_id: str) -> str | None: ...

    @abstractmethod
    async def usage(self, subject: str, *, day: date, recent: int) -> Usage: ...


class ReplayGuard(ABC):
    @abstractmethod
    async def first_presentation(self, token_id: str, presentation: Presentation, ttl_s: int) -> Presentation:
        """Record `presentation` when the token was never shown before; return the first one either way.
        The record may expire after `ttl_s` seconds: by then the token itself has expired."""


@dataclass(frozen=True)
class Receipt:
    """What a staff command was answered: a retry under the same client request id gets it again."""

    event_id: str  # derived from the command, the person and the client request id
    recorded: Recorded
    fingerprint: str  # the command as given: the same request id for another command is refused


class CommandReceipts(ABC):
    @abstractmethod
    async def recall(self, event_id: str) -> Receipt | None:
        """The receipt kept for this event id, or None (never kept, or expired)."""

    @abstractmethod
    async def keep(self, receipt: Receipt, ttl_s: int) -> None:
        """Remember the receipt for `ttl_s` seconds; a receipt already kept for its id stays."""


@dataclass(frozen=True)
class ChipSession:
    """A challenge handed to a kiosk for active authentication."""

    challenge: bytes
    facility_id: str
    kiosk_id: str


class ChallengeStore(ABC):
    @abstractmethod
    async def put(self, session_id: str, session: ChipSession, ttl_s: int) -> None: ...

    @abstractmethod
    async def take(self, session_id: str) -> ChipSession | None:
        """The session, removed so it can never be used again; None if unknown, used or expired."""


@dataclass(frozen=True)
class FacilityStats:
    """What the staff dashboard shows per facility, from the monitor's and face projections.

    Minutes are event-time minutes ending at the newest event the monitor has seen there.
    """

    facility_id: str
    province: str
    checkins_per_minute: tuple[int, ...]  # the last 30 minutes, oldest first
    checkins: int  # in the monitor's current window (rules.toml: facility_rate.window_minutes)
    rejected: int
    face_attempts: int
    face_mismatches: int
    face_score_buckets: tuple[int, ...]  # all time, ten buckets of 0.1 (projections/face)
    latest_at: datetime | None


class FacilityStatsReader(ABC):
    @abstractmethod
    async def facility_stats(self) -> list[FacilityStats]: ...


class AccountsReadModel(ABC):
    """Accounts and registered staff as the accounts projection holds them (read only: changes are
    events on the log)."""

    @abstractmethod
    async def account(self, username: str) -> AccountRecord | None: ...

    @abstractmethod
    async def accounts(self) -> list[AccountRecord]:
        """Every account, disabled ones too, by username."""

    @abstractmethod
    async def staff_by_personal_id(self, facility_id: str, personal_id: str) -> StaffRecord | None:
        """The staff member `facility_id` registered under that CCCD number (VSS 054)."""

    @abstractmethod
    async def staff_member(self, registry_id: str) -> StaffRecord | None: ...

    @abstractmethod
    async def staff(self, facility_id: str = "") -> list[StaffRecord]:
        """A facility's registered staff ("" every facility's), by facility then registry id."""


@dataclass(frozen=True)
class LiveToken:
    """What a login token stands for. Stored under the token's SHA-256, never the token itself."""

    username: str
    id_token_digest: str
    expires_at: datetime


class TokenStore(ABC):
    @abstractmethod
    async def keep(self, token_digest: str, token: LiveToken, *, ttl_s: int) -> None:
        """Keep the token for `ttl_s` seconds (it expires then), listed under its username."""

    @abstractmethod
    async def find(self, token_digest: str) -> LiveToken | None: ...

    @abstractmethod
    async def revoke_all(self, username: str) -> int:
        """Forget every token of `username` now (a disabled account); return how many there were."""

    @abstractmethod
    async def revoke(self, token_digest: str) -> bool:
        """Forget one token now (a dashboard logout); False when it was not kept (any more)."""


class LoginAttempts(ABC):
    """Failed-login counters and locks, per scope ("user:<name>", "addr:<address>")."""

    @abstractmethod
    async def locked_until(self, scope: str) -> datetime | None: ...

    @abstractmethod
    async def count_failure(self, scope: str, *, now: datetime, window_s: int) -> int:
        """Count one failure; return the failures in the window that began with the first of them
        (a fixed window: it ends `window_s` seconds after that first failure)."""

    @abstractmethod
    async def lock(self, scope: str, *, until: datetime, ttl_s: int) -> None:
        """Lock the scope until `until` (the record expires after `ttl_s`) and reset its count."""

    @abstractmethod
    async def clear(self, scope: str) -> None:
        """Forget the scope's failures (a successful login)."""


__all__ = [
    "AccountsReadModel",
    "ChallengeStore",
    "ChipSession",
    "CommandReceipts",
    "EventLog",
    "FacilityStats",
    "FacilityStatsReader",
    "LiveToken",
    "LoginAttempts",
    "Presentation",
    "ReadModel",
    "Receipt",
    "Recorded",
    "ReplayGuard",
    "TokenStore",
]


class KeyEncryptionKeys(ABC):
    """Wraps and unwraps the per-person data keys (README "Personal data"). A file by default
    (`verifier.adapters.key_encryption`); shaped so that a KMS, which never lets its keys out, can
    take its place: only `wrap` and `unwrap` cross it, one small key at a time."""

    @property
    @abstractmethod
    def current_id(self) -> str:
        """The key-encryption key new data keys are wrapped under."""

    @abstractmethod
    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        """(the current key's id, `data_key` wrapped under it)."""

    @abstractmethod
    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes:
        """The data key; raises UnknownKeyEncryptionKey when `kek_id` is not held here."""


class UnknownKeyEncryptionKey(LookupError):
    """A data key wrapped by a key-encryption key this process does not hold: a configuration
    error (the wrong key file), never to be mistaken for an erased person."""
