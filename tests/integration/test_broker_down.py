"""With its broker down, the verifier answers UNAVAILABLE with a reason and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from bhyt.v1.events_pb2 import EventEnvelope

from infra.local.kafka import KafkaCluster
from infra.local.procs import wait_until
from tests.support.client import Client
from tests.support.kafka_state import all_records
from tests.support.processes import verifier_process
from verifier.adapters.kafka_log import ensure_topics
from verifier.settings import Settings


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[KafkaCluster]:
    """A broker of this test's own, because the test kills it."""
    cluster = KafkaCluster(tmp_path / "kafka", nodes=1)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def test_broker_down_means_unavailable_and_no_half_written_event(
    own_broker: KafkaCluster, settings: Settings, log_dir: Path
) -> None:
    s = settings.with_(kafka_bootstrap=own_broker.bootstrap, publish_timeout_s=3.0)
    ensure_topics(s)
    with verifier_process(s, log_dir):
        client = Client(s.grpc_listen)
        answered = [client.verify("GD4404016354956").check_in_id]

        own_broker.kill_node(1)
        with pytest.raises(grpc.RpcError) as info:
            client.verify("GD4404016354956")
        assert info.value.code() is grpc.StatusCode.UNAVAILABLE
        # "did not confirm the write" (acked too late) or "refused the write" (no metadata in time)
        assert info.value.details().startswith("101 event log ")

        own_broker.restart_node(1)
        # The producer reconnects by itself; like a kiosk, retry what was answered UNAVAILABLE.
        retries: list[str] = []
        wait_until(lambda: _answered(client, answered, retries), timeout=60, what="verifier recovering")
        client.close()

    assert len(answered) == 2
    # Every answered check-in is in the log exactly once. A retry answered UNAVAILABLE may have
    # reached the broker just as it came back, so unanswered extras are allowed, not required.
    logged = [
        EventEnvelope.FromString(v).check_in_verified.check_in_id for v in all_records(s, s.topic_checkins)
    ]
    assert all(logged.count(check_in_id) == 1 for check_in_id in answered)
    assert logged[0] == answered[0]
    # The attempt made while the broker was dead is not in the log: at most the retries made after
    # it came back can be there unanswered.
    assert len(logged) <= len(answered) + len(retries) - 1


def _answered(client: Client, answered: list[str], attempts: list[str]) -> bool:
    attempts.append("attempt")
    try:
        answered.append(client.verify("GD4404016354956").check_in_id)
        return True
    except grpc.RpcError as e:
        assert e.code() is grpc.StatusCode.UNAVAILABLE, e
        return False
