"""Bulk import on a real broker: events per row, rejects with line numbers, idempotent re-import."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bhyt.v1 import events_pb2 as ev
from bhyt.v1.events_pb2 import EventEnvelope
from kafka import KafkaProducer

from tests.support.kafka_state import all_records, end_offsets
from verifier.domain.calendar import vietnam_date
from verifier.events import envelopes as events
from verifier.imports.rows import COLUMNS
from verifier.imports.run import file_sha256, run_import
from verifier.settings import Settings

AT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
TODAY = vietnam_date(datetime.now(UTC))


def row(n: int, **changes: str) -> dict[str, str]:
    sin = f"40{n:08d}"
    base = dict.fromkeys(COLUMNS, "") | {
        "social_insurance_number": sin,
        "card_number": f"GD440{sin}",
        "full_name": "Lê Thị Hồng",
        "date_of_birth": "1985-03-04",
        "gender": "female",
        "registered_facility": "40-C54",
        # Relative to today: the e2e tests judge these cards with the verifier's real clock.
        "valid_from": (TODAY - timedelta(days=180)).isoformat(),
        "valid_to": (TODAY + timedelta(days=180)).isoformat(),
        "status": "active",
    }
    return base | changes


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def test_import_rejects_bad_rows_and_a_second_import_writes_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    rows = [row(n) for n in range(1, 41)]
    rows[4] = row(5, card_number="GD9404000000005")  # benefit level 9
    rows[9] = row(10, full_name="")
    rows[14] = row(15, registered_facility="40-ZZZ")
    rows[19] = row(20, gender="x")
    rows[24] = row(
        25,
        previous_card_number="HN2404000000025",
        previous_valid_from="2025-01-01",
        previous_valid_to="2025-12-31",
    )
    rows[29] = row(30, status="revoked")
    rows[34] = row(35, status="reduced", reduction_code="123", reduced_from="2026-06-01")
    source = tmp_path / "participants.csv"
    write_csv(source, rows)

    report = run_import(source, settings, progress=False, batch_rows=7, clock=lambda: AT)
    assert (report.rows_accepted, report.rows_rejected) == (36, 4)
    assert report.events_written == 36 + 3  # a replacement, a revocation, a reduction

    rejects = list(csv.DictReader((tmp_path / "participants.csv.rejects.csv").open(encoding="utf-8")))
    assert [(r["line"], r["reason"].split(":")[0]) for r in rejects] == [
        ("6", "card_number"),
        ("11", "missing full_name"),
        ("16", "facility 40-ZZZ is not registered"),
        ("21", "gender"),
    ]
    logged = [EventEnvelope.FromString(v) for v in all_records(settings, settings.topic_participation)]
    assert len(logged) == 39
    assert len({e.event_id for e in logged}) == 39
    kinds = sorted(
        e.WhichOneof("payload") for e in logged if e.WhichOneof("payload") != "participant_enrolled"
    )
    assert kinds == ["card_replaced", "card_revoked", "participation_reduced"]

    before = end_offsets(settings)
    again = run_import(source, settings, progress=False, clock=lambda: AT)
    assert again.already_imported and again.events_written == 0
    assert end_offsets(settings) == before


def test_jsonl_rows_and_unreadable_lines(settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "participants.jsonl"
    lines = [
        json.dumps(row(1), ensure_ascii=False),
        "{not json",
        "[1, 2]",
        json.dumps(row(2) | {"extra": "x"}),
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run_import(source, settings, progress=False, clock=lambda: AT)
    assert (report.rows_accepted, report.rows_rejected) == (1, 3)
    reasons = [r["reason"] for r in csv.DictReader((tmp_path / "participants.jsonl.rejects.csv").open())]
    assert reasons[0].startswith("not JSON")
    assert reasons[1] == "a JSON Lines row must be an object"
    assert reasons[2] == "unknown column(s): extra"


def test_resume_after_a_crash_does_not_repeat_rejects(settings: Settings, tmp_path: Path) -> None:
    rows = [row(n, gender="x" if n % 10 == 0 else "female") for n in range(1, 61)]
    source = tmp_path / "people.csv"
    write_csv(source, rows)
    rejects = tmp_path / "people.csv.rejects.csv"
    # A first run that got through 2 of 3 batches, then crashed after writing more rejects:
    partial = run_import(source, settings, progress=False, batch_rows=20, clock=lambda: AT)
    assert partial.rows_rejected == 6
    lines = rejects.read_text(encoding="utf-8").splitlines()
    checkpointed = "\n".join(lines[:5]) + "\n"  # header + the 4 rejects of rows 1-40
    # Rewind the ledger to "40 rows done" as a crash before the last checkpoint would leave it,
    # and leave a stray reject line behind as the crash would.
    rejects.write_text(checkpointed + lines[5] + "\n", encoding="utf-8")
    cp = ev.ImportCheckpointed(
        file_sha256=file_sha256(source), file_name=source.name, lines_done=40, rows_accepted=36,
        rows_rejected=4, events_written=36, rejects_bytes=len(checkpointed.encode()),
    )  # fmt: skip
    env = events.envelope(key=cp.file_sha256, at=AT, producer="test")
    env.import_checkpointed.CopyFrom(cp)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    producer.send(settings.topic_imports, key=env.key.encode(), value=env.SerializeToString()).get(30)
    producer.close()

    resumed = run_import(source, settings, progress=False, batch_rows=20, clock=lambda: AT)
    assert (resumed.rows_done, resumed.rows_rejected) == (60, 6)
    final = rejects.read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] for line in final[1:]] == ["11", "21", "31", "41", "51", "61"]
