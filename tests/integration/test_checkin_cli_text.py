"""`python -m verifier checkin` / `scan`: the person at the desk reads the verdict in Vietnamese first,
English beside it (stderr), while scripts keep the whole answer as JSON (stdout). Over a real gRPC
socket to the CheckIn service (plaintext, in-process, over the fakes)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from bhyt.v1 import api_pb2_grpc as api_grpc

from tests.support.fakes import FakeChallengeStore, FakeEventLog, FakeReadModel, FakeReplayGuard
from tests.support.grpc_thread import grpc_in_thread
from tests.support.people import AN
from verifier.adapters.callers import StationResolver
from verifier.chip import CscaTrustStore, TrustSources
from verifier.cli import main
from verifier.domain.face_match import FacePolicy
from verifier.domain.facilities import FacilityRegistry
from verifier.entrypoints.grpc import CheckInServicer
from verifier.service.checkin import CheckInService
from verifier.service.chip import ChipCheckIn
from verifier.settings import Settings
from verifier.tokens.authority import TokenAuthority, TokenPolicy

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
FACILITIES = FacilityRegistry.from_lines(Settings().facilities_file.read_text(encoding="utf-8").splitlines())
EXPIRED = replace(
    AN,
    social_insurance_number="4016354957",
    card_number="GD4404016354957",
    valid_to=date(2026, 3, 31),
    personal_id="040090001235",
)


@pytest.fixture
def target(tmp_path: Path) -> Iterator[str]:
    """The CheckIn service on a free port, run by its own event loop in a thread, as the CLI (a
    synchronous gRPC client) meets it."""
    log, read_model = FakeEventLog(), FakeReadModel()
    read_model.put(AN)
    read_model.put(EXPIRED)
    service = CheckInService(
        read_model=read_model, event_log=log, facilities=FACILITIES, clock=lambda: NOW,
        tokens=TokenAuthority(TokenPolicy()), replays=FakeReplayGuard(),
    )  # fmt: skip
    chips = ChipCheckIn(
        read_model=read_model, event_log=log, facilities=FACILITIES, challenges=FakeChallengeStore(),
        trust=CscaTrustStore(TrustSources(directories=(tmp_path,))), face_policy=FacePolicy(0.8),
        clock=lambda: NOW,
    )  # fmt: skip
    # The server runs in this process: its access lines (verifier.access) would land on the stderr the
    # tests read, where in production they are the server's own log.
    access = logging.getLogger("verifier.access")
    level = access.level
    access.setLevel(logging.WARNING)
    try:
        with grpc_in_thread(
            lambda server: api_grpc.add_CheckInServicer_to_server(
                CheckInServicer(service, chips, StationResolver()), server
            )
        ) as target:
            yield target
    finally:
        access.setLevel(level)


def cli(capsys: pytest.CaptureFixture[str], target: str, *args: str) -> tuple[dict[str, Any], list[str]]:
    station = ["--staff", "nv-01", "--facility", "40-001", "--kiosk", "k-1"]
    with pytest.raises(SystemExit) as done:
        main([*args, *station, "--target", target, "--plaintext"])
    out, err = capsys.readouterr()
    assert done.value.code in (0, None), err
    return json.loads(out), err.splitlines()


def test_an_accepted_card_reads_in_vietnamese_then_english(
    capsys: pytest.CaptureFixture[str], target: str
) -> None:
    answer, lines = cli(capsys, target, "checkin", AN.card_number)
    assert answer["result_code"] == "000"
    assert lines == ["CHẤP NHẬN / accepted: 000 Thông tin thẻ chính xác / card valid"]


def test_a_refusal_says_why_in_both_languages(capsys: pytest.CaptureFixture[str], target: str) -> None:
    answer, lines = cli(capsys, target, "checkin", EXPIRED.card_number)
    assert answer["verdict"] == "VERDICT_REJECTED" and answer["result_code"] == "010"
    assert lines[0].startswith("TỪ CHỐI / rejected: 010 Thẻ hết giá trị sử dụng")
    assert " / card expired" in lines[0]


def test_every_reason_is_listed_with_the_facility_route(
    capsys: pytest.CaptureFixture[str], target: str
) -> None:
    answer, lines = cli(
        capsys, target, "checkin", AN.card_number, "--name", "Trần Thị Bình", "--check-facility"
    )
    codes = [r["code"] for r in answer["reasons"]]
    assert set(codes) == {"060", "090"}
    assert lines[0].startswith(f"NHÂN VIÊN KIỂM TRA / staff review: {answer['result_code']} ")
    assert lines[1] == "Lý do / reasons:"
    assert "  060 Thẻ sai họ tên / wrong name" in "\n".join(lines)
    assert "  090 Thẻ sai nơi đăng ký KCB ban đầu / not the registered initial-care facility" in lines
    assert lines[-1] == (
        "Nơi KCB / facility: khác nơi đăng ký, cùng tỉnh / not the registered facility, same province"
    )


def test_a_scan_that_cannot_be_read_is_a_refusal_in_words(
    capsys: pytest.CaptureFixture[str], target: str
) -> None:
    answer, lines = cli(capsys, target, "scan", "not a card at all")
    assert answer["verdict"] == "VERDICT_REJECTED"
    code = answer["result_code"]
    assert lines[0].startswith(f"TỪ CHỐI / rejected: {code} ")
    assert answer["result_text_vi"] in lines[0] and answer["result_text"] in lines[0]
