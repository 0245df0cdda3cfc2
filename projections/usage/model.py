"""Check-in events -> Redis changes: counters per person and day, last facility, recent list.

Degraded mode: a provisional check-in (`VERDICT_PROVISIONAL`, code P01) is a check-in like any
other (`n`, the day's count, last facility, the recent list with the code the kiosk was told), but
not an accepted one. Its `CheckInFinalised` (projections/recheck.py) adds it to `a` when the final
verdict is ACCEPTED, and records the final code in `u:{SUBJECT}:f:<check-in id>` (field `rc`). So
`a` counts check-ins whose final verdict is accepted, whichever event gave it, and a clean rebuild
folds the same log to the same state.

A finalised event is applied once per check-in id, not once per log position: the re-check may
republish the same fact (same envelope id) at a later offset after a crash, and that copy must not
count twice. Its guard is therefore that per-check-in key at a constant position (`ONCE`), which
the first copy sets and every later copy finds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from bhyt.v1.events_pb2 import VERDICT_ACCEPTED, EventEnvelope

from projections.store import DeadLetter, Mutation, Position, ProjectionStore
from verifier.domain.calendar import VIETNAM, vietnam_date
from verifier.domain.usage import UsageEntry
from verifier.readmodel.participation import encode_usage_entry, usage_day_key, usage_key, usage_recent_key

PATTERNS = ("u:*",)  # the keys this projection owns (rebuild drops them)
ONCE = 0  # the guard position of a finalised check-in's own key: see the module docstring


def finalised_key(subject: str, check_in_id: str) -> str:
    """The final result code of one provisional check-in; also the guard of its CheckInFinalised."""
    return f"u:{{{subject}}}:f:{check_in_id}"


DAY_COUNTER_DAYS = 2  # a day's counter outlives its Vietnam day by a day: only today's is read


def day_counter_expiry(day: date) -> int:
    """When a day's check-in counter goes (epoch seconds): the start of the second Vietnam day after
    it. Only today's counter is read, and kept for ever they would be one key per person per day
    with check-ins, ~1.6 billion in ten years (README "Sizing a national deployment"). An absolute
    time, not a TTL, so a rebuild replaying old check-ins recreates no old counters: each expires
    as it is written, and the rebuilt state equals the live one."""
    end = datetime.combine(day + timedelta(days=DAY_COUNTER_DAYS), time.min, tzinfo=VIETNAM)
    return int(end.timestamp())


def mutation_for(event: EventEnvelope, *, recent_size: int) -> Mutation | None:
    kind = event.WhichOneof("payload")
    if kind == "check_in_finalised":
        return _finalised(event)
    if kind != "check_in_verified":
        return None
    c = event.check_in_verified
    subject = event.key  # the person, or card:<number> when nobody matched
    at = event.occurred_at.ToDatetime(tzinfo=UTC)
    entry = UsageEntry(c.check_in_id, c.facility_id, c.kiosk_id, c.result_code, at)
    totals = usage_key(subject)
    recent = usage_recent_key(subject)
    day = vietnam_date(at)
    commands: list[tuple[str, ...]] = [
        ("HINCRBY", totals, "n", "1"),
        ("HSET", totals, "lf", c.facility_id, "lt", str(int(at.timestamp() * 1000))),
        ("INCR", usage_day_key(subject, day)),
        ("EXPIREAT", usage_day_key(subject, day), str(day_counter_expiry(day))),
        ("LPUSH", recent, encode_usage_entry(entry)),
        ("LTRIM", recent, "0", str(recent_size - 1)),
    ]
    if c.verdict == VERDICT_ACCEPTED:
        commands.append(("HINCRBY", totals, "a", "1"))
    return Mutation(guard_key=totals, commands=tuple(commands))


def _finalised(event: EventEnvelope) -> Mutation:
    f = event.check_in_finalised
    guard = finalised_key(event.key, f.check_in_id)  # same hash tag as the subject's other keys
    commands: list[tuple[str, ...]] = [("HSET", guard, "rc", f.result_code)]
    if f.verdict == VERDICT_ACCEPTED:
        commands.append(("HINCRBY", usage_key(event.key), "a", "1"))
    return Mutation(guard_key=guard, commands=tuple(commands))


async def apply_batch(
    store: ProjectionStore, events: Sequence[tuple[Position, EventEnvelope]], *, recent_size: int
) -> int:
    changes: list[tuple[Position, Mutation | DeadLetter]] = []
    for position, event in events:
        change = mutation_for(event, recent_size=recent_size)
        if change is None:
            continue
        if event.WhichOneof("payload") == "check_in_finalised":
            position = replace(position, offset=ONCE)
        changes.append((position, change))
    return await store.apply(changes)
