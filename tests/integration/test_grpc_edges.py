"""The verifier's edges over a real socket: bad input is a clear error and records nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from bhyt.v1 import api_pb2 as api
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.support.client import Client
from tests.support.kafka_state import end_offsets
from tests.support.processes import verifier_process
from verifier.settings import Settings


@pytest.fixture
def client(settings: Settings, log_dir: Path) -> Iterator[Client]:
    with verifier_process(settings, log_dir):
        c = Client(settings.grpc_listen)
        yield c
        c.close()


@pytest.mark.parametrize(
    ("card", "facility", "message"),
    [
        ("", "40-001", "205 card number is empty"),
        ("A" * 40, "40-001", "205 card number is 40 characters"),
        ("GD4404016354956", "99-ZZZ", "205 facility 99-ZZZ is not registered"),
        ("GD4404016354956", "hospital", "is not of the form"),
        ("GD44040<script>", "40-001", "only letters and digits"),
    ],
)
def test_malformed_check_in_is_invalid_argument_and_records_nothing(
    client: Client, settings: Settings, card: str, facility: str, message: str
) -> None:
    before = end_offsets(settings)
    with pytest.raises(grpc.RpcError) as info:
        client.verify(card, facility_id=facility)
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert message in info.value.details()
    assert "Traceback" not in info.value.details()
    assert end_offsets(settings) == before


def test_bad_enrollment_names_the_field(client: Client) -> None:
    with pytest.raises(grpc.RpcError) as info:
        client.enroll("GD4404016354956", date_of_birth="1/5/1990")
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "date_of_birth" in info.value.details()


def test_oversized_request_is_refused_and_the_server_keeps_serving(client: Client) -> None:
    with pytest.raises(grpc.RpcError) as info:
        client.verify("G" * (2 << 20))
    assert info.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert client.verify("GD4404016354956").result_code == "050"


def test_status_of_an_unknown_card_is_not_found_not_an_error(client: Client) -> None:
    assert client.status("GD4404016354956") == api.CardStatus(found=False)


def test_health_and_reflection_are_served(client: Client) -> None:
    health = health_pb2_grpc.HealthStub(client.channel)
    for service in ("", "bhyt.v1.CheckIn", "bhyt.v1.Cards", "bhyt.v1.Participation"):
        answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(client.channel)
    replies = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
    )
    names = {s.name for reply in replies for s in reply.list_services_response.service}
    assert {"bhyt.v1.CheckIn", "bhyt.v1.Cards", "bhyt.v1.Participation", "grpc.health.v1.Health"} <= names


def test_every_field_has_a_size_limit_checked_before_anything_reads_the_request(
    client: Client, settings: Settings
) -> None:
    """The limits table (verifier/adapters/request_limits.py) applies on every RPC, nested fields too."""
    before = end_offsets(settings)
    card, chip = client.checkin.VerifyCard, client.checkin.VerifyChip
    many_groups = {n: b"x" for n in range(1, 40)}
    calls: list[tuple[Callable[[], object], str]] = [
        (lambda: card(api.VerifyCardRequest(full_name="N" * 5000), timeout=15), "full_name"),
        (
            lambda: chip(api.VerifyChipRequest(face_match=api.FaceMatch(matcher="m" * 9999)), timeout=15),
            "face_match",
        ),
        (lambda: chip(api.VerifyChipRequest(data_groups=many_groups), timeout=15), "data_groups"),
        (lambda: client.enroll("GD4404016354956", valid_to="9" * 1000), "valid_to"),
        (lambda: client.scan("BHYT1:" + "A" * 100_000), "scanned"),
    ]
    for call, field in calls:
        with pytest.raises(grpc.RpcError) as info:
            call()
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert info.value.details().startswith(f"205 {field}"), info.value.details()
    assert end_offsets(settings) == before
