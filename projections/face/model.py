"""Face-match events -> Redis statistics, per person and per facility.

What monitoring and staff need to spot a borrowed card: how often a face was compared, how often
it matched, how many mismatches in a row (a streak resets on a match), and how the scores are
spread (ten buckets of 0.1). Both keys change under the person's offset guard, so a redelivered
event changes neither.

Keys: f:{SIN}          hash  n attempts, m matches, s current mismatch streak, ls last score,
                             b0..b9 score buckets, @<partition> guard
      f:fac:<facility> hash  the same counters over every face compared at that facility
"""

from __future__ import annotations

from collections.abc import Sequence

from bhyt.v1.events_pb2 import EventEnvelope

from projections.store import DeadLetter, Mutation, Position, ProjectionStore
from verifier.readmodel.participation import face_facility_key, face_key

PATTERNS = ("f:*",)


def mutation_for(event: EventEnvelope) -> Mutation | None:
    if event.WhichOneof("payload") != "face_match_recorded":
        return None
    f = event.face_match_recorded
    person = face_key(event.key)
    bucket = f"b{min(9, max(0, int(f.score * 10)))}"
    commands: list[tuple[str, ...]] = []
    for key in (person, face_facility_key(f.facility_id)):
        commands += [
            ("HINCRBY", key, "n", "1"),
            ("HINCRBY", key, bucket, "1"),
            ("HSET", key, "ls", f"{f.score:.4f}"),
        ]
        if f.matched:
            commands += [("HINCRBY", key, "m", "1"), ("HSET", key, "s", "0")]
        else:
            commands.append(("HINCRBY", key, "s", "1"))
    return Mutation(guard_key=person, commands=tuple(commands))


async def apply_batch(store: ProjectionStore, events: Sequence[tuple[Position, EventEnvelope]]) -> int:
    changes: list[tuple[Position, Mutation | DeadLetter]] = []
    for position, event in events:
        change = mutation_for(event)
        if change is not None:
            changes.append((position, change))
    return await store.apply(changes)
