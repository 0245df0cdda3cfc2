"""Opening the sealed personal fields of a batch before a projection folds it.

A projection's fold stays pure: it sees each event with its personal fields in clear when the
person's data key is still on the key topic, and still sealed when it is not (the person was
erased), which the fold reads as "erased" (`verifier.events.sealing.is_erased`). Keys unknown to
this worker's ring are fetched by catching up on the key topic, off the event loop, once a batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bhyt.v1.events_pb2 import EventEnvelope

from projections.store import Position
from verifier.adapters.data_keys import DataKeyRing
from verifier.events.sealing import opened, sealed_key_id

Events = Sequence[tuple[Position, EventEnvelope]]


async def opened_batch(events: Events, ring: DataKeyRing) -> list[tuple[Position, EventEnvelope]]:
    key_ids = {k for _, e in events if (k := sealed_key_id(e))}
    if not key_ids:
        return list(events)
    if not ring.known(key_ids):
        await asyncio.to_thread(ring.catch_up)
    return [(position, opened(event, ring.held)) for position, event in events]
