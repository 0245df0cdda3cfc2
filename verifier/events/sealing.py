"""Sealing and opening the personal fields of events: the event contract's one owner of both.

The log is never edited, so personal data written in clear would stay readable on every broker,
replica and backup for ever. Instead the personal fields of an event are encrypted (AES-256-GCM)
under a data key of the person they describe, and only that key is ever deleted: erasing a person
tombstones their keys (`verifier.adapters.data_keys`), and every copy of their sealed fields becomes
noise at once, while the rest of the log (coverage dates, codes, the insurance number as the key)
stays readable and rebuildable. This is crypto-shredding.

What is sealed, per payload, is `PERSONAL_FIELDS`. A sealed payload keeps its clear fields empty;
`opened` puts them back for a reader that still holds the key. A payload whose key is gone stays
sealed after `opened`: to a projection that means "erased". Events written before sealing
(schema version 1) hold the fields in clear and are read as they always were.

Each ciphertext is bound (GCM associated data) to its subject, key id and payload kind, so a sealed
blob copied into another person's event, or into another kind of event, does not open.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from bhyt.v1 import events_pb2 as ev
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# payload kind -> its personal fields (names of fields of both the payload and PersonalFields)
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "participant_enrolled": ("full_name", "date_of_birth", "personal_id"),
    "person_details_corrected": ("full_name", "date_of_birth"),
    "staff_registered": ("personal_id", "full_name"),
}
DATA_KEY_BYTES = 32  # AES-256
_KEY_ID_BYTES = 16  # random, so ids of different people never meet (the ring looks keys up by id)
_NONCE_BYTES = 12


@dataclass(frozen=True)
class DataKey:
    """One subject's data key, unwrapped: it exists in memory only, never on the log in clear."""

    subject: str
    key_id: str
    secret: bytes = b""

    @classmethod
    def mint(cls, subject: str) -> DataKey:
        random = os.urandom(_KEY_ID_BYTES + DATA_KEY_BYTES)  # one system call for the id and the key
        return cls(subject, random[:_KEY_ID_BYTES].hex(), random[_KEY_ID_BYTES:])


# key id -> the data key's secret, or None when the key is gone (erased) or never existed
KeyLookup = Callable[[str], bytes | None]


class SealBroken(ValueError):
    """A sealed payload that its own key does not open: tampered, or copied from another event."""


def subject_of(event: ev.EventEnvelope) -> str:
    """Whose data key seals this event's personal fields ("" for an event without any)."""
    kind = event.WhichOneof("payload")
    if kind in ("participant_enrolled", "person_details_corrected"):
        return person_subject(event.key)
    if kind == "staff_registered":
        return staff_subject(event.staff_registered.registry_id)
    return ""


def person_subject(social_insurance_number: str) -> str:
    return f"person:{social_insurance_number}"


def staff_subject(registry_id: str) -> str:
    return f"staff:{registry_id}"


def needs_sealing(event: ev.EventEnvelope) -> bool:
    """True for an event with personal fields in clear (a new one, or one of schema version 1)."""
    kind = event.WhichOneof("payload")
    fields = PERSONAL_FIELDS.get(kind or "")
    if not fields:
        return False
    payload = getattr(event, kind or "")
    return any(getattr(payload, f) for f in fields)


def seal(event: ev.EventEnvelope, key: DataKey) -> None:
    """Move the event's personal fields, in place, into a `SealedPersonalData` under `key`."""
    kind = event.WhichOneof("payload") or ""
    fields = PERSONAL_FIELDS[kind]
    if key.subject != subject_of(event):
        raise ValueError(f"a key of {key.subject} cannot seal an event of {subject_of(event)}")
    payload = getattr(event, kind)
    clear = ev.PersonalFields()
    for f in fields:
        setattr(clear, f, getattr(payload, f))
        payload.ClearField(f)
    nonce = os.urandom(_NONCE_BYTES)
    bound = _bound_to(key.subject, key.key_id, kind)
    sealed = payload.sealed  # set field by field: no intermediate message to copy
    sealed.key_id, sealed.nonce = key.key_id, nonce
    sealed.ciphertext = AESGCM(key.secret).encrypt(nonce, clear.SerializeToString(), bound)


def sealed_key_id(event: ev.EventEnvelope) -> str:
    """The key id an event's personal fields are sealed under ("" when not sealed)."""
    kind = event.WhichOneof("payload") or ""
    if kind not in PERSONAL_FIELDS:
        return ""
    payload = getattr(event, kind)
    return payload.sealed.key_id if payload.HasField("sealed") else ""


def opened(event: ev.EventEnvelope, keys: KeyLookup) -> ev.EventEnvelope:
    """The event with its personal fields in clear, when its key is still there; else unchanged
    (still sealed: the person was erased). Raises SealBroken when the key is there but does not
    open it: that is never an erasure, and must not be read as one."""
    key_id = sealed_key_id(event)
    if not key_id:
        return event
    secret = keys(key_id)
    if secret is None:
        return event
    kind = event.WhichOneof("payload") or ""
    payload = getattr(event, kind)
    try:
        plain = AESGCM(secret).decrypt(
            payload.sealed.nonce, payload.sealed.ciphertext, _bound_to(subject_of(event), key_id, kind)
        )
    except InvalidTag as e:
        raise SealBroken(f"event {event.event_id}: its sealed fields do not open with key {key_id}") from e
    fields = ev.PersonalFields.FromString(plain)
    out = ev.EventEnvelope()
    out.CopyFrom(event)
    target = getattr(out, kind)
    target.ClearField("sealed")
    for f in PERSONAL_FIELDS[kind]:
        setattr(target, f, getattr(fields, f))
    return out


def is_erased(payload: ev.ParticipantEnrolled | ev.PersonDetailsCorrected | ev.StaffRegistered) -> bool:
    """After `opened`: a payload still sealed is one whose key was erased."""
    return payload.HasField("sealed")


def _bound_to(subject: str, key_id: str, kind: str) -> bytes:
    return f"{subject}|{key_id}|{kind}".encode()
