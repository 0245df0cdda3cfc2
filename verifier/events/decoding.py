"""Reading events off the log: bytes -> envelope, with upcasting of older schema versions.

Every reader of the log (projections, the verifier's feeds, the rebuild, tests) decodes through
`decode_event`, so the version check and the upcasters are never bypassed.
"""

from __future__ import annotations

from collections.abc import Callable

from bhyt.v1.events_pb2 import EventEnvelope
from google.protobuf.message import DecodeError

from verifier.events.version import SCHEMA_VERSION as CURRENT_SCHEMA_VERSION


def _personal_fields_in_clear(event: EventEnvelope) -> EventEnvelope:
    """Version 1 -> 2. A version 1 event holds its personal fields in clear, where version 2 holds
    them sealed; version 2 readers open sealed fields and read clear ones as they are, so the event
    reads on unchanged. `python -m verifier person migrate` rewrites such events sealed."""
    event.schema_version = 2
    return event


# schema_version -> function that rewrites an envelope of that version into the next one.
# A breaking change adds an entry here, never edits old events.
UPCASTERS: dict[int, Callable[[EventEnvelope], EventEnvelope]] = {1: _personal_fields_in_clear}


class UndecodableEvent(ValueError):
    """A record on an event topic that is not an event we can read (corrupt, or from the future)."""


def decode_event(value: bytes) -> EventEnvelope:
    event = EventEnvelope()
    try:
        event.ParseFromString(value)
    except DecodeError as e:
        raise UndecodableEvent(f"not an EventEnvelope: {e}") from e
    if not event.event_id or event.WhichOneof("payload") is None:
        raise UndecodableEvent("envelope without event id or payload")
    version = event.schema_version
    while version < CURRENT_SCHEMA_VERSION:
        upcast = UPCASTERS.get(version)
        if upcast is None:
            raise UndecodableEvent(f"no upcaster from schema version {version}")
        event = upcast(event)
        version = event.schema_version
    if version > CURRENT_SCHEMA_VERSION:
        raise UndecodableEvent(
            f"schema version {version} is newer than this worker ({CURRENT_SCHEMA_VERSION})"
        )
    return event
