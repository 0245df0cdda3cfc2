"""The re-check of provisional check-ins: a process manager in the workers, not a projection.

In degraded mode (Redis unreachable) the verifier admits a patient whose credential proved itself
genuine (a signed token, a passively authenticated chip) with `VERDICT_PROVISIONAL` and reason P01:
coverage unconfirmed. This agent reads those check-ins off the check-ins topic, judges each one with
the same pure rules the verifier uses (`judge_card`) once the participation projection answers
again, and records the outcome as a `CheckInFinalised` event on the same topic, under the same key.

- **When**: as soon as the participation record can be read. While Redis is unreachable the agent
  retries with backoff (logging once per outage), and its batch is not acked, so Faust does not
  commit past a provisional check-in that has no final verdict yet: a crash or rebalance meanwhile
  hands it to the next worker. Waiting for Redis *is* the re-check "when the projection is back".
- **As of when**: the check-in's own Vietnam calendar day, against the participation record as it
  stands at the re-check (a card revoked since is 110, one that had expired by that day is 010).
  What the check-in recorded besides P01/P02 (a face mismatch F01, say) is carried into the final
  verdict; no identity claim is recorded in the event (data minimisation), so none is checked.
- **Once**: the finalised envelope's id is uuid5 of a fixed namespace and the check-in id, so a
  re-check repeated after a crash is the same fact, and consumers keep the first record of an id
  (the usage projection guards finalised events per check-in id). The agent also keeps which
  check-ins it has finalised in `rc:{<key>}` (hash: check-in id -> final result code), written
  after the broker acked the event and whenever a `CheckInFinalised` passes on the topic, and skips
  those: so a worker that reads the log again (a rebuild that died half-way and moved the group's
  offsets back, a new consumer group) does not judge old check-ins again against today's records.
  `rc:*` belongs to no projection: a projection rebuild neither drops nor replays it. It grows by
  one field per provisional check-in (outages only) and is not trimmed.
- **Not a projection**: it is not in `projections.NAMES`, so `rebuild` never runs it. Its output is
  already on the log; re-running it would re-judge old check-ins against today's records and
  emit. A republish can only happen in the window between the broker's ack and the `rc:` write,
  when a batch failed for another reason and the app retries it event by event, or if Redis lost
  `rc:*` altogether; each emits the same envelope id again.

Limit: the participation projection may still be catching up with events written during the
outage when Redis answers again, and the re-check judges against the record as it then stands.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from bhyt.v1 import events_pb2 as ev

from projections import metrics
from projections.retry import until_done
from projections.store import Position, ProjectionStore
from verifier.adapters.redis_client import RedisClient
from verifier.domain.calendar import vietnam_date
from verifier.domain.card_number import CardNumber
from verifier.domain.checkin import CardLookup, Presented, card_or_problem, judge_check_in
from verifier.domain.credentials import Credential
from verifier.domain.participation import Participation
from verifier.domain.station import Station
from verifier.domain.verdicts import (
    COVERAGE_UNCONFIRMED,
    PROVISIONAL_CODES,
    Decision,
)
from verifier.events.envelopes import check_in_finalised
from verifier.readmodel.participation import decode_participation, participant_key, personal_id_key

log = logging.getLogger(__name__)

Publish = Callable[[Sequence[ev.EventEnvelope]], Awaitable[None]]
Clock = Callable[[], datetime]

# Fixed for ever: the finalised event's id is derived from it and the check-in id.
FINALISED_NAMESPACE = uuid.UUID("3b0f6a52-8d4e-4f1c-a7b9-52c1e0d7f4a6")


def done_key(event_key: str) -> str:
    """check-in id -> final result code, for the check-ins of one subject that have a final verdict."""
    return f"rc:{{{event_key}}}"


def finalised_event_id(check_in_id: str) -> str:
    return str(uuid.uuid5(FINALISED_NAMESPACE, check_in_id))


# ---- The pure part: which check-ins, whose record, which verdict -------------------------------


@dataclass(frozen=True)
class Provisional:
    """What the re-check needs of a provisional check-in, read once from its event."""

    check_in_id: str
    key: str
    credential: int  # bhyt.v1.CredentialKind
    presented_number: str
    social_insurance_number: str
    facility_id: str
    kiosk_id: str
    check_registered_facility: bool
    reasons: tuple[str, ...]
    checked_in_at: datetime

    @property
    def chip(self) -> bool:
        return self.credential == ev.CREDENTIAL_KIND_CHIP_ID

    def lookup(self) -> tuple[str, str]:
        """(SIN, personal id): the record to read directly, or the CCCD number whose index entry
        names it (a chip whose holder the verifier could not resolve). ("", "") when neither."""
        if self.social_insurance_number:
            return self.social_insurance_number, ""
        if self.chip:
            return "", self.presented_number
        presented = card_or_problem(self.presented_number)
        return (presented.social_insurance_number if isinstance(presented, CardNumber) else ""), ""


def provisional_of(event: ev.EventEnvelope) -> Provisional | None:
    """The check-in when its coverage is still unconfirmed: verdict PROVISIONAL, or staff review with
    P01 (a face mismatch at a chip read during the outage). A rejected one is final whatever the
    record says, so it is not re-checked."""
    if event.WhichOneof("payload") != "check_in_verified":
        return None
    c = event.check_in_verified
    open_verdict = c.verdict == ev.VERDICT_PROVISIONAL or (
        c.verdict == ev.VERDICT_NEEDS_REVIEW and COVERAGE_UNCONFIRMED in c.reason_codes
    )
    if not open_verdict:
        return None
    return Provisional(
        check_in_id=c.check_in_id or event.event_id,
        key=event.key,
        credential=int(c.credential),
        presented_number=c.presented_number,
        social_insurance_number=c.social_insurance_number,
        facility_id=c.facility_id,
        kiosk_id=c.kiosk_id,
        check_registered_facility=c.check_registered_facility,
        reasons=tuple(c.reason_codes),
        checked_in_at=event.occurred_at.ToDatetime(tzinfo=UTC),
    )


def final_decision(check_in: Provisional, participant: Participation | None) -> Decision:
    """The final verdict, by the same check-in step the verifier uses online
    (`verifier.domain.checkin.judge_check_in`), on the check-in's own day; never PROVISIONAL."""
    if check_in.chip:
        lookup = CardLookup(personal_id=check_in.presented_number)
    else:
        lookup = CardLookup(number=card_or_problem(check_in.presented_number))
    presented = Presented(
        Credential.CHIP_ID if check_in.chip else Credential.DIGITAL_TOKEN,
        check_in.presented_number,
        check_in.key,
        lookup,
        problems=tuple(c for c in check_in.reasons if c not in PROVISIONAL_CODES),
    )
    facility = check_in.facility_id if check_in.check_registered_facility else ""
    return judge_check_in(
        presented, participant, today=vietnam_date(check_in.checked_in_at), facility_to_match=facility
    )


def finalised_event(
    check_in: Provisional, decision: Decision, *, at: datetime, producer: str
) -> ev.EventEnvelope:
    """The CheckInFinalised envelope: same key as the check-in, id derived from the check-in id."""
    return check_in_finalised(
        decision,
        check_in_id=check_in.check_in_id,
        key=check_in.key,
        named=check_in.social_insurance_number,
        station=Station(check_in.facility_id, check_in.kiosk_id, ""),
        checked_in_at=check_in.checked_in_at,
        at=at,
        producer=producer,
        event_id=finalised_event_id(check_in.check_in_id),
    )


# ---- The agent: Redis in, events out ------------------------------------------------------------


class Recheck:
    """Finalises provisional check-ins, batch by batch (`apply_batch` has the projections' shape, so
    the app runs it like one and dead-letters an event it cannot handle instead of stopping)."""

    def __init__(
        self,
        client: RedisClient,
        publish: Publish,
        *,
        producer: str,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._redis = client
        self._publish = publish
        self._producer = producer
        self._clock = clock

    async def apply_batch(
        self, store: ProjectionStore, events: Sequence[tuple[Position, ev.EventEnvelope]]
    ) -> int:
        """Publish a CheckInFinalised for every provisional check-in of the batch not finalised yet;
        return how many. Returns only once the broker acked them, so Faust commits past a
        provisional check-in only when its final verdict is on the log."""
        seen: dict[tuple[str, str], str] = {}  # (key, check-in id) -> final result code on the log
        pending: dict[str, Provisional] = {}
        for _, event in events:
            if event.WhichOneof("payload") == "check_in_finalised":
                f = event.check_in_finalised
                seen.setdefault((event.key, f.check_in_id), f.result_code)
            elif (check_in := provisional_of(event)) is not None:
                pending[check_in.check_in_id] = check_in
        if seen:  # first: a replayed batch may hold a check-in and its final verdict both
            await until_done("re-check", lambda: self._mark_done(seen))
        if not pending:
            return 0
        metrics.RECHECK_PENDING.set(len(pending))  # the provisional backlog an alert watches
        try:
            return await self._finalise(pending)
        finally:
            metrics.RECHECK_PENDING.set(0)

    async def _finalise(self, pending: dict[str, Provisional]) -> int:
        todo = await until_done("re-check", lambda: self._read(list(pending.values())))
        if not todo:
            return 0
        at = self._clock()
        finalised = [
            finalised_event(c, final_decision(c, participant), at=at, producer=self._producer)
            for c, participant in todo
        ]
        await self._publish(finalised)
        done = {
            (e.key, e.check_in_finalised.check_in_id): e.check_in_finalised.result_code for e in finalised
        }
        await until_done("re-check", lambda: self._mark_done(done))
        for e in finalised:
            f = e.check_in_finalised
            verdict = ev.Verdict.Name(f.verdict)
            log.info(
                "re-check: check-in %s finalised %s %s", f.check_in_id, verdict, f.result_code,
                extra={"check_in_id": f.check_in_id},
            )  # fmt: skip
        return len(finalised)

    async def _mark_done(self, done: dict[tuple[str, str], str]) -> None:
        """Record final verdicts; the first one recorded for a check-in stays, as consumers keep it."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for (key, check_in_id), code in done.items():
                pipe.hsetnx(done_key(key), check_in_id, code)
            await pipe.execute()

    async def _read(self, check_ins: Sequence[Provisional]) -> list[tuple[Provisional, Participation | None]]:
        """The check-ins not finalised yet, each with its participation record (None: unknown), in
        two round trips: what is done and the CCCD index entries, then the records."""
        lookups = [c.lookup() for c in check_ins]
        async with self._redis.pipeline(transaction=False) as pipe:
            for c, (_, pid) in zip(check_ins, lookups, strict=True):
                pipe.hexists(done_key(c.key), c.check_in_id)
                if pid:
                    pipe.get(personal_id_key(pid))
            replies = iter(await pipe.execute())
        todo: list[tuple[Provisional, str]] = []
        for c, (sin, pid) in zip(check_ins, lookups, strict=True):
            done = next(replies)
            indexed = cast(str | None, next(replies)) if pid else None
            if not done:
                todo.append((c, sin or indexed or ""))
        if not todo:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for _, sin in todo:
                if sin:
                    pipe.hget(participant_key(sin), "d")
            records = iter(await pipe.execute())
        found: list[tuple[Provisional, Participation | None]] = []
        for c, sin in todo:
            packed = cast(str | None, next(records)) if sin else None
            found.append((c, decode_participation(sin, packed) if packed else None))
        return found
