"""Check-in events -> Redis changes (pure)."""

from __future__ import annotations

from datetime import UTC

from bhyt.v1.events_pb2 import VERDICT_ACCEPTED, EventEnvelope

from projections.store import Mutation
from verifier.adapters.read_model import (
    encode_usage_entry,
    usage_day_key,
    usage_key,
    usage_recent_key,
)
from verifier.domain.calendar import vietnam_date
from verifier.domain.usage import UsageEntry


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
    return Mutation(subject=subject, commands=tuple(commands))
