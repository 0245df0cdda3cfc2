"""Operations over the real processes: the verifier's and the worker's /metrics, scraped over HTTP,
move with a check-in; with BHYT_LOG_FORMAT=json both write JSON lines, and the check-in id the
kiosk got is found in both (README "Operations").
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from bhyt.v1 import api_pb2 as api
from kafka import KafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from infra.local.procs import free_ports, wait_until
from tests.support.stack import Stack, StackFactory

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def stack(stacks: StackFactory) -> Iterator[Stack]:
    verifier_port, worker_port = free_ports(2)
    settings = stacks.settings(
        "ops",
        topic_partitions=2,
        metrics_listen=f"127.0.0.1:{verifier_port}",
        worker_metrics_listen=f"127.0.0.1:{worker_port}",
        log_format="json",
        token_keys_dir=str(stacks.token_keys("ops")),
    )
    with Stack.running(settings, stacks.log_dir(), worker=True) as running:
        yield running


def scrape(listen: str) -> Samples:
    with urllib.request.urlopen(f"http://{listen}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum over the series of `name` whose labels include `labels` (0 when none is there yet)."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def json_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_a_check_in_moves_the_verifier_metrics(stack: Stack) -> None:
    card = stack.enrolled("GD4404016354956")
    before = scrape(stack.settings.metrics_listen)
    decision = stack.client.verify(card)
    after = scrape(stack.settings.metrics_listen)

    verdict = {1: "ACCEPTED", 2: "REJECTED", 3: "NEEDS_REVIEW", 4: "PROVISIONAL"}[decision.verdict]
    labels = {"method": "CheckIn/VerifyCard", "grpc_code": "OK", "verdict": verdict}
    labels["result_code"] = decision.result_code
    assert (
        value(after, "bhyt_grpc_requests_total", **labels)
        == value(before, "bhyt_grpc_requests_total", **labels) + 1
    )
    for name, series_labels in (
        ("bhyt_grpc_request_duration_seconds_count", {"method": "CheckIn/VerifyCard", "grpc_code": "OK"}),
        ("bhyt_event_log_append_duration_seconds_count", {"topic": stack.settings.topic_checkins}),
        ("bhyt_read_model_duration_seconds_count", {"operation": "participant"}),
    ):
        assert value(after, name, **series_labels) > value(before, name, **series_labels), name
    # The enrollment went through the same boundary, and the signing key's expiry is exported.
    assert (
        value(after, "bhyt_grpc_requests_total", method="Participation/EnrollParticipant", grpc_code="OK")
        >= 1
    )
    assert value(after, "bhyt_token_signing_key_not_after_timestamp_seconds") > 0
    # No label carries a card number or a check-in id.
    assert card not in str(after.keys()) and decision.check_in_id not in str(after.keys())


def test_an_rpc_error_is_counted_with_its_status(stack: Stack) -> None:
    before = scrape(stack.settings.metrics_listen)
    with pytest.raises(grpc.RpcError) as raised:
        stack.client.cards.GetCardStatus(api.GetCardStatusRequest(card_number="x" * 5000), timeout=5)
    code = raised.value.code().name
    after = scrape(stack.settings.metrics_listen)
    labels = {"method": "Cards/GetCardStatus", "grpc_code": code}
    assert (
        value(after, "bhyt_grpc_requests_total", **labels)
        == value(before, "bhyt_grpc_requests_total", **labels) + 1
    )


def test_the_worker_metrics_move_with_the_check_in(stack: Stack) -> None:
    card = stack.enrolled("HT3404000001948")
    listen = stack.settings.worker_metrics_listen
    before = scrape(listen)
    stack.client.verify(card)

    def applied() -> bool:
        now = scrape(listen)
        return value(now, "bhyt_projection_events_applied_total", projection="usage") > value(
            before, "bhyt_projection_events_applied_total", projection="usage"
        )

    wait_until(applied, timeout=30, what="usage projection counted the check-in")
    after = scrape(listen)
    assert value(after, "bhyt_projection_lag_seconds_count", projection="usage") > value(
        before, "bhyt_projection_lag_seconds_count", projection="usage"
    )
    assert value(after, "bhyt_projection_batch_duration_seconds_count", projection="participation") >= 1
    assert value(after, "bhyt_projection_dead_letters_total") == 0
    # The consumer lag of every partition the worker holds, refreshed every few seconds.
    topic = stack.settings.topic_checkins
    wait_until(
        lambda: (
            {
                labels
                for (name, labels) in scrape(listen)
                if name == "bhyt_projection_consumer_lag" and ("topic", topic) in labels
            }
            == {frozenset({("topic", topic), ("partition", str(p))}) for p in range(2)}
        ),
        timeout=30,
        what="consumer lag per partition",
    )
    wait_until(
        lambda: value(scrape(listen), "bhyt_projection_consumer_lag", topic=topic) == 0,
        timeout=30,
        what="consumer lag back to 0",
    )


def test_json_logs_follow_a_check_in_from_the_answer_to_the_projection(stack: Stack) -> None:
    card = stack.enrolled("GD4797912345678")
    decision = stack.client.verify(card, facility_id="40-001", kiosk_id="kiosk-9")
    check_in_id = decision.check_in_id

    answered = [
        line for line in json_lines(stack.verifier.log_path) if line.get("check_in_id") == check_in_id
    ]
    assert answered, f"no JSON line of the verifier names {check_in_id}"
    line = answered[-1]
    assert {"time", "level", "logger", "message"} <= line.keys()
    assert (line["method"], line["facility"], line["kiosk"]) == ("CheckIn/VerifyCard", "40-001", "kiosk-9")

    def projected() -> list[dict[str, Any]]:
        return [line for line in json_lines(stack.worker.log_path) if line.get("check_in_id") == check_in_id]

    wait_until(lambda: bool(projected()), timeout=30, what="the worker's JSON line for the check-in")
    applied = projected()[0]
    assert applied["logger"] == "projections.applied" and applied["facility"] == "40-001"
    # Every log record of the verifier is a JSON line; the one other line is the readiness line
    # `serve` prints on stdout for supervisors (not a log record).
    text = stack.verifier.log_path.read_text(errors="replace").splitlines()
    other = [line for line in text if line.strip() and not line.startswith("{")]
    assert [line for line in other if not line.startswith("verifier listening on")] == []


def test_an_unreadable_event_is_counted_as_a_dead_letter(stack: Stack) -> None:
    """What the dead-letter alert fires on: a record no projection can decode, on the face-match
    topic (no other test here writes to it); each projection reading it counts its own."""
    listen = stack.settings.worker_metrics_listen
    before = value(scrape(listen), "bhyt_projection_dead_letters_total", projection="face")
    producer = KafkaProducer(bootstrap_servers=stack.settings.kafka_bootstrap, acks="all")
    try:
        producer.send(stack.settings.topic_face_matches, key=b"x", value=b"\xff not an envelope").get(30)
    finally:
        producer.close()
    wait_until(
        lambda: value(scrape(listen), "bhyt_projection_dead_letters_total", projection="face") == before + 1,
        timeout=30,
        what="the dead letter counted",
    )
