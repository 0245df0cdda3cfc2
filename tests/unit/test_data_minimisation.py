"""No personal data in events beyond what a projection needs: the log is kept for years and read by
many consumers. A new field that looks personal must be added here on purpose, with its reason."""

from __future__ import annotations

from typing import Any

from bhyt.v1 import events_pb2

PERSONAL_WORDS = (
    "name",
    "address",
    "birth",
    "ethnic",
    "religion",
    "image",
    "photo",
    "face",
    "hometown",
    "dg13",
)
# message.field -> why a projection needs it
ALLOWED = {
    "ParticipantEnrolled.full_name": "the name check at check-in (VSS 060/061) reads it from the projection",
    "ParticipantEnrolled.date_of_birth": "the birth-date check (VSS 070)",
    "StaffRegistered.personal_id": "VSS 054: the gateway finds the checking staff member by their CCCD",
    "StaffRegistered.full_name": "VSS 055: the staff name the HIS sends is compared with it",
    "AccountAdded.username": "an account name, not a person's identity",
    "AccountDisabled.username": "the account disabled",
    "PersonDetailsCorrected.full_name": "VSS's correction of the name the 060/061 check reads",
    "PersonDetailsCorrected.date_of_birth": "VSS's correction of the birth date the 070 check reads",
    "EventEnvelope.face_match_recorded": "a similarity score and verdict; the images never leave the kiosk",
    "ImportCheckpointed.file_name": "the import's own file, not a person",
}


def _fields(message: Any, seen: set[str]) -> list[str]:  # a protobuf Descriptor (two stub types)
    if message.full_name in seen:
        return []
    seen.add(message.full_name)
    found = []
    for field in message.fields:
        found.append(f"{message.name}.{field.name}")
        if field.message_type is not None and field.message_type.full_name.startswith("bhyt."):
            found += _fields(field.message_type, seen)
    return found


def test_no_event_field_carries_personal_data_unless_a_projection_needs_it() -> None:
    every = _fields(events_pb2.EventEnvelope.DESCRIPTOR, set())
    personal = [f for f in every if any(word in f.split(".")[1].lower() for word in PERSONAL_WORDS)]
    assert personal, "the walk found no fields at all"
    unexpected = sorted(f for f in personal if f not in ALLOWED)
    assert not unexpected, f"personal-looking event fields without a stated need: {unexpected}"


def test_check_in_and_face_match_events_identify_people_by_number_only() -> None:
    for message in (events_pb2.CheckInVerified, events_pb2.FaceMatchRecorded, events_pb2.CheckInFinalised):
        names = {f.name for f in message.DESCRIPTOR.fields}
        assert not {n for n in names if "name" in n or "birth" in n or "image" in n}, message.DESCRIPTOR.name
