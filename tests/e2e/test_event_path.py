"""The whole event path on real components: kiosk -> gRPC -> Kafka -> Faust worker -> Redis -> gRPC.

The verifier and the Faust worker run as their own processes, started by their documented commands.
"""

from __future__ import annotations

from pathlib import Path

from bhyt.v1 import events_pb2 as ev

from infra.local.procs import wait_until
from tests.support.client import Client
from tests.support.kafka_state import group_caught_up
from tests.support.processes import start_worker, verifier_process
from verifier.settings import Settings

CARD = "GD4404016354956"


def test_enroll_verify_read_back_and_redelivery_changes_nothing(settings: Settings, log_dir: Path) -> None:
    with verifier_process(settings, log_dir):
        client = Client(settings.grpc_listen)
        worker = start_worker(settings, "w1", log_dir)
        try:
            recorded = client.enroll(CARD, personal_id="040090001234")
            assert recorded.topic == settings.topic_participation
            wait_until(lambda: client.status(CARD).found, timeout=30, what="enrollment in the projection")

            first = client.verify(CARD, facility_id="40-001", kiosk_id="kiosk-7")
            assert (first.verdict, first.result_code) == (ev.VERDICT_ACCEPTED, "000")
            assert first.participant.social_insurance_number == "4016354956"
            wait_until(
                lambda: client.status(CARD).usage.check_ins_total == 1, timeout=30, what="first check-in"
            )
            status = client.status(CARD)
            assert status.coverage == "active"
            assert status.participant.full_name == "Nguyễn Văn An"
            assert status.usage.check_ins_today == 1
            assert status.usage.last_facility_id == "40-001"
            assert [e.check_in_id for e in status.usage.recent] == [first.check_in_id]

            second = client.verify("4016354956", facility_id="40-T01")
            wait_until(
                lambda: client.status(CARD).usage.check_ins_total == 2, timeout=30, what="second check-in"
            )
            status = client.status(CARD)
            assert status.usage.accepted_total == 2
            assert [e.check_in_id for e in status.usage.recent] == [second.check_in_id, first.check_in_id]
            wait_until(lambda: group_caught_up(settings), timeout=30, what="offsets committed")
        finally:
            worker.stop()

        # Redelivery: a worker in a fresh consumer group gets every event again from offset zero and
        # applies it to the same Redis; the offset guard must make all of it a no-op.
        replay_settings = settings.with_(projection_group=settings.projection_group + "-replay")
        replay = start_worker(replay_settings, "replay", log_dir)
        try:
            wait_until(lambda: group_caught_up(replay_settings), timeout=60, what="replay caught up")
        finally:
            replay.stop()
        status = client.status(CARD)
        assert status.usage.check_ins_total == 2
        assert status.usage.check_ins_today == 2
        assert len(status.usage.recent) == 2
        client.close()


def test_rejections_are_verdicts_and_are_counted(settings: Settings, log_dir: Path) -> None:
    with verifier_process(settings, log_dir):
        client = Client(settings.grpc_listen)
        client.enroll(CARD, valid_from="2020-01-01", valid_to="2020-12-31")
        worker = start_worker(settings, "w1", log_dir)
        try:
            wait_until(lambda: client.status(CARD).found, timeout=30, what="enrollment in the projection")
            expired = client.verify(CARD)
            assert (expired.verdict, expired.result_code) == (ev.VERDICT_REJECTED, "010")
            unknown = client.verify("DN4010000000001")
            assert (unknown.verdict, unknown.result_code) == (ev.VERDICT_REJECTED, "050")
            wrong = client.verify("GD440401635")
            assert (wrong.verdict, wrong.result_code) == (ev.VERDICT_REJECTED, "051")
            wait_until(lambda: client.status(CARD).usage.check_ins_total == 1, timeout=30, what="usage")
            status = client.status(CARD)
            assert status.coverage == "expired"
            assert status.usage.accepted_total == 0
            assert client.status("DN4010000000001").found is False
        finally:
            worker.stop()
            client.close()
