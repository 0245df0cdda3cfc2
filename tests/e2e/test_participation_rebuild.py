"""Imported participants are projected live; a rebuild from offset zero gives the same state."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc
from bhyt.v1 import events_pb2 as ev

from infra.local.procs import wait_until
from projections.rebuild import digest, rebuild
from projections.registry import NAMES
from tests.integration.test_bulk_import import row, write_csv
from tests.support.client import Client
from tests.support.kafka_state import group_caught_up
from tests.support.processes import start_worker, verifier_process
from verifier.imports.run import run_import
from verifier.settings import Settings

AT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_live_projection_equals_a_rebuild_and_verdicts_use_it(
    settings: Settings, log_dir: Path, tmp_path: Path
) -> None:
    rows = [row(n, personal_id=f"0401850{n:05d}") for n in range(1, 301)]
    rows[0] = row(1, personal_id="040185000001", status="revoked")
    rows[1] = row(
        2, personal_id="040185000002", previous_card_number="HN2404000000002",
        previous_valid_from="2025-01-01", previous_valid_to="2025-12-31",
    )  # fmt: skip
    rows[2] = row(3, status="reduced", reduction_code="121", reduced_from="2026-01-15")
    source = tmp_path / "people.csv"
    write_csv(source, rows)
    assert run_import(source, settings, progress=False, clock=lambda: AT).rows_accepted == 300

    with verifier_process(settings, log_dir):
        client = Client(settings.grpc_listen)
        worker = start_worker(settings, "w1", log_dir)
        try:
            wait_until(lambda: group_caught_up(settings), timeout=60, what="imported events projected")
            revoked = client.checkin.VerifyCard(kiosk_request(personal_id="040185000001"), timeout=10)
            assert (revoked.result_code, revoked.verdict) == ("110", ev.VERDICT_REJECTED)
            old_card = client.verify("HN2404000000002")
            # 003 is a note: the new card is valid, and the answer carries it
            assert (old_card.result_code, old_card.verdict) == ("003", ev.VERDICT_ACCEPTED)
            assert old_card.participant.card_number == "GD4404000000002"
            assert old_card.new_card.card_number == "GD4404000000002"
            assert client.verify("GD4404000000003").result_code == "121"
            named = client.checkin.VerifyCard(
                kiosk_request(
                    card_number="GD4404000000004", full_name="Lê Thị Hương", check_registered_facility=True
                ),
                timeout=10,
            )
            assert list(named.reasons) and [r.code for r in named.reasons] == ["061", "090"]
            wait_until(lambda: group_caught_up(settings), timeout=60, what="check-ins projected")
        finally:
            worker.stop()

        live = digest(settings, ["participation", "usage"])
        assert live[1] > 300
        alerts_before = alert_revisions(client)
        assert {a.split("-")[0] for a in alerts_before} == {"known_bad_card"}  # 110, 003, 121 above
        for name in NAMES:
            assert (
                rebuild(settings, name, progress=False).events > 0 or name in ("face", "accounts")
            )  # no face matches or accounts here (tests/e2e/test_accounts_and_staff.py rebuilds those)
        assert digest(settings, ["participation", "usage"]) == live
        # The monitor re-derives the same alerts (same ids); the alerts projection keeps one of each.
        assert alert_revisions(client) == alerts_before

        # The workers resume after what the rebuild replayed: one new check-in counts exactly once.
        worker = start_worker(settings, "w2", log_dir)
        try:
            before = client.status("GD4404000000010").usage.check_ins_total
            client.verify("GD4404000000010")
            wait_until(
                lambda: client.status("GD4404000000010").usage.check_ins_total == before + 1,
                timeout=30, what="new check-in",
            )  # fmt: skip
            wait_until(lambda: group_caught_up(settings), timeout=60, what="caught up")
            assert client.status("GD4404000000010").usage.check_ins_total == before + 1
        finally:
            worker.stop()
            client.close()


def alert_revisions(client: Client) -> dict[str, int]:
    request = api.ListAlertsRequest(filter=api.AlertFilter(include_closed=True), limit=1000)
    listed = api_grpc.MonitoringStub(client.channel).ListAlerts(request, timeout=10).alerts
    return {a.alert.alert_id: a.alert.revision for a in listed}


def kiosk_request(**fields: str | bool) -> api.VerifyCardRequest:
    return api.VerifyCardRequest(facility_id="40-001", kiosk_id="kiosk-1", staff_id="staff-1", **fields)  # type: ignore[arg-type]
