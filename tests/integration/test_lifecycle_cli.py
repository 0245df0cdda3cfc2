"""`python -m verifier card ...` / `person correct`: each command reaches the Participation service
over a real gRPC socket (a plaintext in-process server over the fakes) and records its fact."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from bhyt.v1 import api_pb2_grpc as api_grpc

from tests.support.fakes import FakeCommandReceipts, FakeEventLog, FakeReadModel, FakeReplayGuard
from tests.support.grpc_thread import grpc_in_thread
from tests.support.people import AN
from verifier.cli import main
from verifier.domain import lifecycle as lc
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.participation import Gender
from verifier.entrypoints.grpc import ParticipationServicer
from verifier.events import facts
from verifier.service.checkin import CheckInService
from verifier.service.lifecycle import CardLifecycle
from verifier.settings import Settings
from verifier.tokens.authority import TokenAuthority, TokenPolicy

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
FACILITIES = FacilityRegistry.from_lines(Settings().facilities_file.read_text(encoding="utf-8").splitlines())
CARD = AN.card_number


@dataclass
class Server:
    target: str
    log: FakeEventLog
    read_model: FakeReadModel


@pytest.fixture
def server() -> Iterator[Server]:
    """The Participation service on a free port, run by its own event loop in a thread, as the CLI
    (a synchronous gRPC client) meets it in production."""
    log, read_model = FakeEventLog(), FakeReadModel()
    read_model.put(AN)
    lifecycle = CardLifecycle(
        read_model=read_model, event_log=log, receipts=FakeCommandReceipts(), facilities=FACILITIES,
        clock=lambda: NOW,
    )  # fmt: skip
    checkin = CheckInService(
        read_model=read_model, event_log=log, facilities=FACILITIES, clock=lambda: NOW,
        tokens=TokenAuthority(TokenPolicy()), replays=FakeReplayGuard(),
    )  # fmt: skip
    with grpc_in_thread(
        lambda server: api_grpc.add_ParticipationServicer_to_server(
            ParticipationServicer(checkin, lifecycle), server
        )
    ) as target:
        yield Server(target, log, read_model)


def cli(capsys: pytest.CaptureFixture[str], server: Server, *args: str) -> tuple[int, dict[str, Any], str]:
    with pytest.raises(SystemExit) as done:
        main([*args, "--target", server.target, "--plaintext"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return int(done.value.code or 0), json.loads(out) if out.strip() else {}, err


@pytest.mark.parametrize(
    ("args", "change"),
    [
        (
            ["card", "replace", CARD, "HN2404016354956", "--valid-from", "2026-06-01", "--valid-to",
             "2027-05-31", "--facility", "40-001"],
            lc.Replacement(
                AN.social_insurance_number,
                lc.CardValidity(CARD, AN.valid_from, AN.valid_to),
                lc.CardValidity("HN2404016354956", date(2026, 6, 1), date(2027, 5, 31)),
                "40-001",
            ),
        ),
        (
            ["card", "replace", CARD, "HN2404016354956", "--valid-from", "2026-06-01", "--open-ended"],
            lc.Replacement(
                AN.social_insurance_number,
                lc.CardValidity(CARD, AN.valid_from, AN.valid_to),
                lc.CardValidity("HN2404016354956", date(2026, 6, 1), None),
            ),
        ),
        (
            ["card", "extend", CARD, "--valid-to", "2027-12-31"],
            lc.Extension(AN.social_insurance_number, CARD, date(2027, 12, 31)),
        ),
        (
            ["card", "reduce", CARD, "--reason", "moved-within-province", "--from", "2026-07-01"],
            lc.Reduction(AN.social_insurance_number, "122", date(2026, 7, 1)),
        ),
        (
            ["card", "revoke", CARD, "--reason", "thẻ giả"],
            lc.Revocation(AN.social_insurance_number, CARD, "thẻ giả"),
        ),
        (["card", "lost", CARD], lc.LossReport(AN.social_insurance_number, CARD, date(2026, 6, 1))),
        (
            ["card", "facility", AN.social_insurance_number, "40-001", "--from", "2026-07-01"],
            lc.FacilityChange(AN.social_insurance_number, "40-001", date(2026, 7, 1)),
        ),
        (
            ["person", "correct", CARD, "--name", "Nguyễn Văn Ân", "--dob", "1989", "--gender", "female"],
            lc.DetailsCorrection(
                AN.social_insurance_number, "Nguyễn Văn Ân", date(1989, 1, 1), True, Gender.FEMALE
            ),
        ),
    ],
)  # fmt: skip
def test_each_command_records_its_fact_and_prints_where(
    capsys: pytest.CaptureFixture[str], server: Server, args: list[str], change: lc.Change
) -> None:
    code, answer, err = cli(capsys, server, *args)

    assert code == 0, err
    [fact] = server.log.appended
    assert isinstance(fact, facts.LifecycleFact) and fact.change == change
    assert answer["event_id"] == fact.event_id and answer["topic"] == server.log.recorded[0].topic
    # No --request-id: one was generated, printed for a retry, and sent.
    assert answer["client_request_id"] in err and "--request-id" in err


def test_a_retry_with_the_same_request_id_answers_the_same_event(
    capsys: pytest.CaptureFixture[str], server: Server
) -> None:
    args = ["card", "revoke", CARD, "--request-id", "phieu-2026-0042"]
    _, first, _ = cli(capsys, server, *args)
    _, again, err = cli(capsys, server, *args)

    assert again["event_id"] == first["event_id"] and again["client_request_id"] == "phieu-2026-0042"
    assert "mã yêu cầu" not in err  # nothing generated
    assert {f.event_id for f in server.log.appended} == {first["event_id"]}


def test_a_refused_command_says_why_in_vietnamese_first(
    capsys: pytest.CaptureFixture[str], server: Server
) -> None:
    code, answer, err = cli(capsys, server, "card", "extend", CARD, "--valid-to", "2026-01-31")

    assert (code, answer) == (2, {})
    assert "error: FAILED_PRECONDITION: 205 valid_to: phải sau hạn hiện tại 2026-12-31 (must" in err
    assert server.log.appended == []
    code, _, err = cli(capsys, server, "card", "revoke", "GD4404099999999")
    assert code == 2 and "NOT_FOUND" in err and "không tìm thấy người tham gia" in err


def test_usage_errors_are_caught_before_anything_is_sent(
    capsys: pytest.CaptureFixture[str], server: Server
) -> None:
    code, _, err = cli(capsys, server, "person", "correct", CARD)
    assert code == 2 and "cần ít nhất một" in err
    with pytest.raises(SystemExit) as done:
        main(["card", "reduce", CARD, "--reason", "moved", "--from", "2026-07-01", "--plaintext"])
    assert done.value.code == 2 and "moved-within-province" in capsys.readouterr().err
    assert server.log.appended == []


@pytest.mark.parametrize(
    "command", [["card", "--help"], ["card", "replace", "--help"], ["person", "correct", "--help"]]
)
def test_help_names_every_action_and_option(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(command)
    out = capsys.readouterr().out
    assert done.value.code == 0
    expected = {
        "card": ("replace", "extend", "reduce", "revoke", "lost", "facility"),
        "replace": ("--valid-from", "--valid-to", "--open-ended", "--facility", "--request-id"),
        "correct": ("--name", "--dob", "--gender", "YYYY", "--request-id"),
    }[command[-2]]
    assert all(word in out for word in expected), out
