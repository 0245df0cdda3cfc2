"""Participation events -> Redis changes (pure: no I/O, testable without servers)."""

from __future__ import annotations

from bhyt.v1.events_pb2 import EventEnvelope

from projections.store import Mutation
from verifier.adapters.events import participation_from
from verifier.adapters.read_model import encode_participation, participant_key, personal_id_key


def mutation_for(event: EventEnvelope) -> Mutation | None:
    """The change an event makes to the participation read model; None for events it ignores."""
    kind = event.WhichOneof("payload")
    if kind == "participant_enrolled":
        p = participation_from(event.participant_enrolled)
        key = participant_key(p.social_insurance_number)
        fields = [item for pair in encode_participation(p).items() for item in pair]
        upserts = (
            (("SET", personal_id_key(p.personal_id), p.social_insurance_number),) if p.personal_id else ()
        )
        return Mutation(
            subject=p.social_insurance_number,
            commands=(("DEL", key), ("HSET", key, *fields)),
            upserts=upserts,
        )
    return None
