"""Face-match events -> Redis statistics, per person and per facility.

What monitoring and staff need to spot a borrowed card: how often a face was compared, how often
it matched, how many mismatches in a row (a streak resets on a match), and how the scores are
spread (ten buckets of 0.1). Each key changes under its own offset guard (a person and a facility
live in different Redis Cluster slots, and a script touches one), so a redelivered event changes
neither: a facility is fed from every partition, each with its own guard field, in log order.

Keys: f:{SIN}            hash  n attempts, m matches, s current mismatch streak, ls last score,
                               b0..b9 score buckets, @<partition> guard
      f:fac:{<facility>} hash  the same counters over every face compared at that facility, and
                               its own @<partition> guards
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bhyt.v1.events_pb2 import EventEnvelope

from projections.store import DeadLetter, Mutation, Position, ProjectionStore
from verifier.readmodel.participation import face_facility_key, face_key

PATTERNS = ("f:*",)


def mutations_for(event: EventEnvelope) -> tuple[Mutation, ...]:
    """The person's change and the facility's, each under its own key's guard."""
    if event.WhichOneof("payload") != "face_match_recorded":
        return ()
    f = event.face_match_recorded
    bucket = f"b{min(9, max(0, int(f.score * 10)))}"
    person = _counted(face_key(event.key), bucket, f.score, matched=f.matched)
    facility = _counted(face_facility_key(f.facility_id), bucket, f.score, matched=f.matched)
    return person, replace(facility, counted=False)  # one event applied, not two


def _counted(key: str, bucket: str, score: float, *, matched: bool) -> Mutation:
    commands: list[tuple[str, ...]] = [
        ("HINCRBY", key, "n", "1"),
        ("HINCRBY", key, bucket, "1"),
        ("HSET", key, "ls", f"{score:.4f}"),
    ]
    if matched:
        commands += [("HINCRBY", key, "m", "1"), ("HSET", key, "s", "0")]
    else:
        commands.append(("HINCRBY", key, "s", "1"))
    return Mutation(guard_key=key, commands=tuple(commands))


async def apply_batch(store: ProjectionStore, events: Sequence[tuple[Position, EventEnvelope]]) -> int:
    changes: list[tuple[Position, Mutation | DeadLetter]] = []
    for position, event in events:
        changes += [(position, change) for change in mutations_for(event)]
    return await store.apply(changes)
