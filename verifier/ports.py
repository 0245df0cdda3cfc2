"""Narrow ports the check-in service depends on; adapters implement them (Kafka, Redis)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime

from bhyt.v1.events_pb2 import EventEnvelope

from verifier.domain.participation import Participation
from verifier.domain.usage import Usage


@dataclass(frozen=True)
class Recorded:
    """Where the log durably holds an event."""

    topic: str
    partition: int
    offset: int


class EventLog(ABC):
    @abstractmethod
    async def append(self, event: EventEnvelope) -> Recorded:
        """Return only once the event is durable; raise EventLogUnavailable otherwise."""


class ReadModel(ABC):
    @abstractmethod
    async def participant(self, social_insurance_number: str) -> Participation | None: ...

    @abstractmethod
    async def social_insurance_number_for(self, personal_id: str) -> str | None: ...

    @abstractmethod
    async def usage(self, subject: str, *, day: date, recent: int) -> Usage: ...


@dataclass(frozen=True)
class Presentation:
    """Where and when a digital card token was shown."""

    check_in_id: str
    facility_id: str
    kiosk_id: str
    at: datetime


class ReplayGuard(ABC):
    @abstractmethod
    async def first_presentation(self, token_id: str, presentation: Presentation, ttl_s: int) -> Presentation:
        """Record `presentation` when the token was never shown before; return the first one either way.
        The record may expire after `ttl_s` seconds: by then the token itself has expired."""


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
