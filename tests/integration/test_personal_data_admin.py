"""The bulk administration of personal data on the real broker and Redis (README "Personal data"):
the one-off migration of events written before sealing, the retention policy, and rotating the
key-encryption key. Each command runs as an operator runs it, `python -m verifier ...`."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from bhyt.v1 import events_pb2 as ev

from infra.population import write as write_population
from projections.participation.model import evolve
from projections.rebuild import rebuild
from projections.store import DEAD_LETTERS_KEY
from verifier.adapters.data_keys import DataKeyRing
from verifier.adapters.kafka_log import KafkaEventLog, scan_topic
from verifier.adapters.key_encryption import FileKeyEncryptionKeys, add_key
from verifier.adapters.redis_client import connect_sync
from verifier.domain.participation import Gender, Participation, Status
from verifier.events import decode_event, envelopes
from verifier.events.facts import ParticipantEnrolled, StaffRegistered, StaffRemoved
from verifier.events.sealing import opened, sealed_key_id
from verifier.imports.run import run_import
from verifier.readmodel.participation import RECORD_FIELD, decode_participation, participant_key
from verifier.settings import Settings

AT = datetime(2026, 12, 3, tzinfo=UTC)


def person(sin: str, name: str, *, valid_to: date | None) -> Participation:
    return Participation(
        social_insurance_number=sin, card_number=f"GD440{sin}", full_name=name,
        date_of_birth=date(1960, 5, 1),
        gender=Gender.FEMALE, registered_facility="40-001", valid_from=date(2000, 1, 1), valid_to=valid_to,
        personal_id=f"07906{sin[3:]}",
    )  # fmt: skip


def run_cli(settings: Settings, *args: str) -> dict[str, object]:
    env = {**os.environ, **settings.to_env()}
    done = subprocess.run(
        [sys.executable, "-m", "verifier", *args], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout.splitlines()[0])
    return answer


def own_keks(settings: Settings, tmp_path: Path) -> Settings:
    path = tmp_path / "keks"
    add_key(path)
    return settings.with_(kek_file=path)


def ring_of(settings: Settings) -> DataKeyRing:
    return DataKeyRing(
        settings.kafka_bootstrap, settings.topic_data_keys, FileKeyEncryptionKeys.load(settings.kek_file)
    )


def test_the_migration_seals_every_old_event_and_they_fold_as_before(
    settings: Settings, tmp_path: Path
) -> None:
    settings = own_keks(settings, tmp_path)
    old = [person(f"40700003{i:02d}", f"Phạm Thị Hoa {i}", valid_to=date(2030, 1, 1)) for i in range(5)]
    producer = KafkaEventLog.connect(settings.with_(seal_personal_data=0))
    try:

        async def write_version_1() -> None:
            for p in old:
                event = envelopes.participant_enrolled(p, at=AT, producer="before-sealing")
                event.schema_version = 1
                await producer.append_envelope(event)
            revoked = ev.CardRevoked(
                social_insurance_number=old[0].social_insurance_number, card_number=old[0].card_number
            )
            await producer.append_envelope(
                envelopes.lifecycle(old[0].social_insurance_number, revoked, at=AT, producer="t")
            )
            erased = ev.PersonErased(social_insurance_number=old[1].social_insurance_number, reason="r")
            await producer.append_envelope(
                envelopes.lifecycle(old[1].social_insurance_number, erased, at=AT, producer="t")
            )

        asyncio.run(write_version_1())
    finally:
        producer.close()
    source = [
        decode_event(r.value) for r in scan_topic(settings.kafka_bootstrap, settings.topic_participation)
    ]
    assert any(b"Ph\xe1\xba\xa1m" in e.SerializeToString() for e in source)  # in clear before

    target = f"{settings.topic_participation}-sealed"
    copied = run_cli(settings, "person", "migrate", "--to", target, "--no-progress")
    assert copied["records"] == len(source) == 7

    migrated = [r.value for r in scan_topic(settings.kafka_bootstrap, target)]
    numbers = [p.personal_id.encode() for p in old]
    assert not any("Phạm Thị Hoa".encode() in v or any(n in v for n in numbers) for v in migrated)
    ring = ring_of(settings)
    try:
        events = [opened(decode_event(v), ring.secret) for v in migrated]
    finally:
        ring.close()
    assert sum(1 for v in migrated if sealed_key_id(decode_event(v))) == 5
    assert _fold_all(events) == _fold_all(source)
    revoked = _fold_all(events)[old[0].social_insurance_number]
    assert revoked is not None and revoked.status is Status.REVOKED
    # Erased before the migration: sealed under a key that was never kept, so it stays unreadable.
    erased = [e for e in events if e.key == old[1].social_insurance_number and sealed_key_id(e)]
    assert len(erased) == 1
    assert all(e.schema_version == 2 for e in map(decode_event, migrated) if sealed_key_id(e))


def test_retention_erases_only_people_whose_coverage_ended_long_ago(
    settings: Settings, tmp_path: Path
) -> None:
    settings = own_keks(settings, tmp_path)
    ended, running = "4070000401", "4070000402"
    people = [
        person(ended, "Đỗ Văn Hết", valid_to=date(2012, 6, 30)),
        person(running, "Đỗ Thị Còn", valid_to=None),
    ]
    log = KafkaEventLog.connect(settings)
    try:

        async def enroll() -> None:
            for p in people:
                await log.append(ParticipantEnrolled(participant=p, at=AT))

        asyncio.run(enroll())
    finally:
        log.close()
    rebuild(settings, "participation", progress=False)

    dry = run_cli(settings, "person", "retention", "--years", "10", "--dry-run", "--today", "2026-12-03")
    assert (dry["due"], dry["erased"]) == (1, 0)
    assert _record(settings, ended).full_name == "Đỗ Văn Hết"  # a dry run changes nothing

    done = run_cli(settings, "person", "retention", "--years", "10", "--today", "2026-12-03", "--no-progress")
    assert (done["due"], done["erased"]) == (1, 1)
    keys = {
        (r.key or b"").decode(): r.value
        for r in scan_topic(settings.kafka_bootstrap, settings.topic_data_keys)
    }
    assert [v for k, v in keys.items() if k.startswith(f"person:{ended}/")][-1] is None  # tombstoned
    assert all(v is not None for k, v in keys.items() if k.startswith(f"person:{running}/"))

    rebuild(settings, "participation", progress=False)  # from the log: the enrollment no longer opens
    gone, kept = _record(settings, ended), _record(settings, running)
    assert (gone.status, gone.full_name, gone.personal_id) == (Status.ERASED, "", "")
    assert gone.valid_to == date(2012, 6, 30)
    assert kept.full_name == "Đỗ Thị Còn" and kept.status is Status.ACTIVE

    again = run_cli(
        settings, "person", "retention", "--years", "10", "--today", "2026-12-03", "--no-progress"
    )
    assert again["due"] == 0


def test_a_rotated_key_encryption_key_opens_every_event_without_the_old_one(
    settings: Settings, tmp_path: Path
) -> None:
    settings = own_keks(settings, tmp_path)
    log = KafkaEventLog.connect(settings)
    try:
        p = person("4070000501", "Vũ Văn Xoay", valid_to=None)
        asyncio.run(log.append(ParticipantEnrolled(participant=p, at=AT)))
    finally:
        log.close()
    first = FileKeyEncryptionKeys.load(settings.kek_file).current_id
    added = run_cli(settings, "kek", "add")["current"]
    assert run_cli(settings, "kek", "status")["data_keys_per_kek"] == {first: 1, added: 0}
    assert run_cli(settings, "kek", "rewrap") == {"rewrapped": 1}
    assert run_cli(settings, "kek", "status")["data_keys_per_kek"] == {first: 0, added: 1}

    lines = settings.kek_file.read_text().splitlines()
    settings.kek_file.write_text("".join(f"{line}\n" for line in lines if not line.startswith(first)))
    ring = ring_of(settings)
    try:
        events = [
            opened(decode_event(r.value), ring.secret)
            for r in scan_topic(settings.kafka_bootstrap, settings.topic_participation)
        ]
    finally:
        ring.close()
    assert events[0].participant_enrolled.full_name == "Vũ Văn Xoay"


def _fold_all(events: list[ev.EventEnvelope]) -> dict[str, Participation | None]:
    state: dict[str, Participation | None] = {}
    for e in events:
        state[e.key] = evolve(state.get(e.key), e)
    return state


def _record(settings: Settings, sin: str) -> Participation:
    client = connect_sync(settings.redis_url, decode_responses=True)
    try:
        packed = client.hget(participant_key(sin), RECORD_FIELD)
    finally:
        client.close()
    assert isinstance(packed, str), f"no record for {sin}"
    return decode_participation(sin, packed)


def test_a_removed_staff_members_cccd_and_name_go_with_their_key(settings: Settings, tmp_path: Path) -> None:
    settings = own_keks(settings, tmp_path)
    registered = StaffRegistered(
        registry_id="NV-9", facility_id="40-001", personal_id="040090009999", full_name="Hồ Thị Nhân", at=AT
    )
    log = KafkaEventLog.connect(settings)
    try:
        asyncio.run(log.append(registered))
        asyncio.run(log.append(StaffRemoved(registry_id="NV-9", facility_id="40-001", at=AT)))
    finally:
        log.close()
    on_log = [r.value or b"" for r in scan_topic(settings.kafka_bootstrap, settings.topic_accounts)]
    assert not any(b"040090009999" in v or "Hồ Thị Nhân".encode() in v for v in on_log)
    keys = [(r.key or b"").decode() for r in scan_topic(settings.kafka_bootstrap, settings.topic_data_keys)]
    tombstones = [
        r for r in scan_topic(settings.kafka_bootstrap, settings.topic_data_keys) if r.value is None
    ]
    assert [k for k in keys if k.startswith("staff:NV-9/")] and len(tombstones) == 1

    rebuild(settings, "accounts", progress=False)  # the registration no longer opens: skipped, not dead
    client = connect_sync(settings.redis_url, decode_responses=True)
    try:
        assert not client.hgetall(DEAD_LETTERS_KEY)
    finally:
        client.close()


def test_an_import_seals_every_enrollment_under_a_key_on_the_key_topic(
    settings: Settings, tmp_path: Path
) -> None:
    settings = own_keks(settings, tmp_path)
    source = tmp_path / "people.csv"
    write_population(source, 2500, seed=19, progress=False)
    report = run_import(source, settings, progress=False, batch_rows=1000, clock=lambda: AT)
    assert report.rows_accepted == 2500
    names = {row["full_name"] for row in csv.DictReader(source.open(encoding="utf-8"))}
    events = [
        decode_event(r.value) for r in scan_topic(settings.kafka_bootstrap, settings.topic_participation)
    ]
    enrollments = [e for e in events if e.WhichOneof("payload") == "participant_enrolled"]
    assert len(enrollments) == 2500
    assert not any(
        e.participant_enrolled.full_name or e.participant_enrolled.personal_id for e in enrollments
    )
    assert not any(name.encode() in e.SerializeToString() for e in enrollments for name in list(names)[:50])
    on_key_topic = {
        (r.key or b"").decode().rpartition("/")[2]
        for r in scan_topic(settings.kafka_bootstrap, settings.topic_data_keys)
    }
    assert {sealed_key_id(e) for e in enrollments} <= on_key_topic
    ring = ring_of(settings)
    try:
        opened_names = {opened(e, ring.secret).participant_enrolled.full_name for e in enrollments}
    finally:
        ring.close()
    assert opened_names == names
