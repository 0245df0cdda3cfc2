"""Sealing and opening personal fields (verifier/events/sealing.py) and the file of key-encryption
keys (verifier/adapters/key_encryption.py): pure, no broker."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from bhyt.v1 import events_pb2 as ev

from projections.participation.model import evolve
from verifier.adapters.key_encryption import FileKeyEncryptionKeys, KeyFileError, add_key
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.lifecycle import CorrectPersonDetails, LifecycleRefused, World, decide
from verifier.domain.participation import Gender, Participation, Status
from verifier.domain.retention import RetentionPolicy
from verifier.events import envelopes
from verifier.events.decoding import decode_event
from verifier.events.sealing import DataKey, SealBroken, needs_sealing, opened, person_subject, seal
from verifier.ports import UnknownKeyEncryptionKey

AT = datetime(2026, 12, 3, tzinfo=UTC)
PERSON = Participation(
    social_insurance_number="4016354956", card_number="GD4404016354956", full_name="Lê Văn Cường",
    date_of_birth=date(1962, 11, 30), gender=Gender.MALE, registered_facility="40-001",
    valid_from=date(2020, 1, 1), valid_to=date(2030, 12, 31), personal_id="079062000202",
)  # fmt: skip


def enrolled() -> ev.EventEnvelope:
    return envelopes.participant_enrolled(PERSON, at=AT, producer="t")


def test_a_sealed_event_holds_no_personal_field_in_clear_and_opens_with_its_key() -> None:
    event, key = enrolled(), DataKey.mint(person_subject(PERSON.social_insurance_number))
    seal(event, key)
    wire = event.SerializeToString()
    assert b"079062000202" not in wire and "Lê Văn Cường".encode() not in wire and b"1962-11-30" not in wire
    assert not needs_sealing(event)
    back = opened(decode_event(wire), {key.key_id: key.secret}.get)
    assert evolve(None, back) == PERSON


def test_without_its_key_the_event_stays_sealed_and_folds_to_an_erased_record() -> None:
    event = enrolled()
    seal(event, DataKey.mint(person_subject(PERSON.social_insurance_number)))
    record = evolve(None, opened(event, lambda _key_id: None))
    assert record is not None and record.status is Status.ERASED
    assert (record.full_name, record.personal_id, record.card_number) == ("", "", PERSON.card_number)


def test_a_seal_copied_into_another_persons_event_does_not_open() -> None:
    key = DataKey.mint(person_subject(PERSON.social_insurance_number))
    event = enrolled()
    seal(event, key)
    other = enrolled()
    other.key = "4016354957"
    other.participant_enrolled.ClearField("full_name")
    other.participant_enrolled.sealed.CopyFrom(event.participant_enrolled.sealed)
    with pytest.raises(SealBroken):
        opened(other, {key.key_id: key.secret}.get)


def test_an_erasure_keeps_the_coverage_and_drops_the_person() -> None:
    sin = PERSON.social_insurance_number
    erasure = ev.PersonErased(social_insurance_number=sin, reason="request")
    erased = evolve(PERSON, envelopes.lifecycle(sin, erasure, at=AT, producer="t"))
    assert erased is not None
    assert erased.status is Status.ERASED and erased.valid_to == PERSON.valid_to
    assert (erased.full_name, erased.personal_id) == ("", "")


def test_version_1_events_read_as_they_always_did() -> None:
    old = enrolled()
    old.schema_version = 1
    assert evolve(None, decode_event(old.SerializeToString())) == PERSON


def test_key_file_rotation_unwraps_old_and_wraps_new(tmp_path: Path) -> None:
    path = tmp_path / "keks"
    first = FileKeyEncryptionKeys.load(path, create=True)  # created 0600
    assert path.stat().st_mode & 0o777 == 0o600
    kek_id, wrapped = first.wrap(b"k" * 32)
    new_id = add_key(path)
    rotated = FileKeyEncryptionKeys.load(path)
    assert rotated.current_id == new_id != kek_id
    assert rotated.unwrap(kek_id, wrapped) == b"k" * 32
    with pytest.raises(UnknownKeyEncryptionKey):
        FileKeyEncryptionKeys.load(tmp_path / "other", create=True).unwrap(kek_id, wrapped)


def test_a_malformed_key_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "keks"
    path.write_text("kek-1 not-base64!\n")
    with pytest.raises(KeyFileError, match="keks:1"):
        FileKeyEncryptionKeys.load(path)


def test_retention_counts_from_the_end_of_coverage() -> None:
    policy = RetentionPolicy(10)
    today = date(2041, 1, 1)
    assert policy.due(PERSON, today)  # card ended 2030-12-31, more than 10 years before
    assert not policy.due(PERSON, date(2040, 12, 31))
    assert not policy.due(Participation(**{**PERSON.__dict__, "valid_to": None}), today)  # open-ended
    assert not policy.due(PERSON.erased(), today)


def test_an_erased_record_stays_erased_through_later_card_changes() -> None:
    sin = PERSON.social_insurance_number
    erased = PERSON.erased()
    issued = ev.CardIssued(social_insurance_number=sin, card=ev.CardValidity(
        card_number=PERSON.card_number, valid_from="2031-01-01", valid_to="2031-12-31"))  # fmt: skip
    revoked = ev.CardRevoked(social_insurance_number=sin, card_number=PERSON.card_number)
    for payload in (issued, revoked):
        after = evolve(erased, envelopes.lifecycle(sin, payload, at=AT, producer="t"))
        assert after is not None and after.status is Status.ERASED and after.full_name == ""
    renewed = evolve(erased, envelopes.lifecycle(sin, issued, at=AT, producer="t"))
    assert renewed is not None and renewed.valid_to == date(2031, 12, 31)  # coverage facts still follow


def test_a_correction_of_an_erased_person_is_refused() -> None:
    world = World(date(2026, 12, 3), FacilityRegistry.from_lines(["40-001,Bệnh viện,40"]))
    command = CorrectPersonDetails(card_number=PERSON.card_number, full_name="Lê Văn Mới")
    with pytest.raises(LifecycleRefused):
        decide(command, PERSON.erased(), world)


def test_only_the_development_default_key_file_is_created_on_first_use(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="kek add"):
        FileKeyEncryptionKeys.load(tmp_path / "told-but-missing")
    assert not (tmp_path / "told-but-missing").exists()
