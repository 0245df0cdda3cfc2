"""Changing the partition count, as README "Changing the partition count" tells an operator: stop
the verifier and the workers, copy every partitioned topic into a new one with more partitions,
point the settings at the copies, rebuild the projections, start again. Every person's status and
usage is what it was, and a new check-in counts once, on the new topic."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bhyt.v1 import events_pb2 as ev

from infra.local.procs import wait_until
from projections.rebuild import rebuild
from projections.registry import NAMES
from tests.integration.test_bulk_import import row, write_csv
from tests.support.client import Client
from tests.support.kafka_state import all_records, group_caught_up
from tests.support.processes import start_worker, verifier_process
from verifier.adapters.repartition import repartition
from verifier.imports.run import run_import
from verifier.settings import Settings

AT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
CARDS = [f"GD44040000000{n:02d}" for n in range(1, 41)]


def test_a_copy_with_more_partitions_and_a_rebuild_keep_every_status(
    settings: Settings, log_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "people.csv"
    write_csv(source, [row(n, personal_id=f"0401850{n:05d}") for n in range(1, 41)])
    assert run_import(source, settings, progress=False, clock=lambda: AT).rows_accepted == 40

    with verifier_process(settings, log_dir):
        client = Client(settings.grpc_listen)
        worker = start_worker(settings, "before", log_dir)
        try:
            wait_until(lambda: group_caught_up(settings), timeout=60, what="imported events projected")
            for i, card in enumerate(CARDS):
                for _ in range(1 + i % 3):  # one to three check-ins each
                    assert client.verify(card).verdict == ev.VERDICT_ACCEPTED
            wait_until(lambda: group_caught_up(settings), timeout=60, what="check-ins projected")
            before = {card: client.status(card) for card in CARDS}
        finally:
            worker.stop()
            client.close()

    partitions = settings.topic_partitions + 3
    renamed = {
        field: f"{getattr(settings, field)}-p{partitions}"
        for field in ("topic_participation", "topic_checkins", "topic_face_matches", "topic_alerts",
                      "topic_accounts")
    }  # fmt: skip
    for field, target in renamed.items():
        copied = repartition(
            settings.kafka_bootstrap, getattr(settings, field), target, partitions, replication=1
        )
        assert copied.records == len(all_records(settings, getattr(settings, field)))
    moved = settings.with_(topic_partitions=partitions, **renamed)
    for name in NAMES:
        rebuild(moved, name, progress=False)

    with verifier_process(moved, log_dir):
        client = Client(moved.grpc_listen)
        worker = start_worker(moved, "after", log_dir)
        try:
            assert {card: client.status(card) for card in CARDS} == before
            client.verify(CARDS[0])
            total = before[CARDS[0]].usage.check_ins_total
            wait_until(
                lambda: client.status(CARDS[0]).usage.check_ins_total == total + 1,
                timeout=30, what="the new check-in projected",
            )  # fmt: skip
            wait_until(lambda: group_caught_up(moved), timeout=60, what="caught up")
            assert client.status(CARDS[0]).usage.check_ins_total == total + 1
        finally:
            worker.stop()
            client.close()
    new_ids = {ev.EventEnvelope.FromString(v).event_id for v in all_records(moved, moved.topic_checkins)}
    old_ids = {
        ev.EventEnvelope.FromString(v).event_id for v in all_records(settings, settings.topic_checkins)
    }
    assert len(new_ids - old_ids) == 1  # the new check-in went to the new topic only
