"""Check-in events -> Redis changes: counters per person and day, last facility, recent list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from bhyt.v1.events_pb2 import VERDICT_ACCEPTED, EventEnvelope

from projections.store import DeadLetter, Mutation, Position, ProjectionStore
from verifier.adapters.read_model import encode_usage_entry, usage_day_key, usage_key, usage_recent_key
from verifier.domain.calendar import vietnam_date
from verifier.domain.usage import UsageEntry

PATTERNS = ("u:*",)  # the keys this projection owns (rebuild drops them)


def mutation_for(event: EventEnvelope, *, recent_size: int) -> Mutation | None:
    if event.WhichOneof("payload") != "check_in_verified":
        return None
    c = event.check_in_verified
    subject = event.key  # the person, or card:<number> when nobody matched
    at = event.occurred_at.ToDatetime(tzinfo=UTC)
    entry = UsageEntry(c.check_in_id, c.facility_id, c.kiosk_id, c.result_code, at)
    totals = usage_key(subject)
    recent = usage_recent_key(subject)
    commands: list[tuple[str, ...]] = [
        ("HINCRBY", totals, "n", "1"),
        ("HSET", totals, "lf", c.facility_id, "lt", str(int(at.timestamp() * 1000))),
        ("INCR", usage_day_key(subject, vietnam_date(at))),
        ("LPUSH", recent, encode_usage_entry(entry)),
        ("LTRIM", recent, "0", str(recent_size - 1)),
    ]
    if c.verdict == VERDICT_ACCEPTED:
        commands.append(("HINCRBY", totals, "a", "1"))
    return Mutation(guard_key=totals, commands=tuple(commands))


async def apply_batch(
    store: ProjectionStore, events: Sequence[tuple[Position, EventEnvelope]], *, recent_size: int
) -> int:
    changes: list[tuple[Position, Mutation | DeadLetter]] = []
    for position, event in events:
        change = mutation_for(event, recent_size=recent_size)
        if change is not None:
            changes.append((position, change))
    return await store.apply(changes)
