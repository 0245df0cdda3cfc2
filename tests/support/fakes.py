"""In-memory fakes of every port in `verifier/ports.py`, for fast service-layer tests.

Each one is held to the same contract as its real adapter (`tests/contracts/`), so a service test
on the fakes means what it would mean on Kafka and Redis. `down = True` makes a fake behave as its
real adapter does when its server is unreachable (the same exception), for degraded-mode tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from bhyt.v1 import events_pb2 as ev

from verifier.domain.calendar import vietnam_date
from verifier.domain.participation import Participation
from verifier.domain.usage import Usage, UsageEntry
from verifier.errors import EventLogUnavailable, ReadModelUnavailable
from verifier.events.envelopes import to_envelope
from verifier.events.facts import Fact, LifecycleFact, ParticipantEnrolled
from verifier.ports import (
    ChallengeStore,
    ChipSession,
    CommandReceipts,
    EventLog,
    Presentation,
    ReadModel,
    Receipt,
    Recorded,
    ReplayGuard,
)


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
        return replace(usage, check_ins_today=self.days.get((subject, day), 0), recent=usage.recent[:recent])


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
