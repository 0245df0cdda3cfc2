"""VSS staff's card lifecycle commands through the whole stack: CLI -> gRPC -> Kafka -> Faust -> Redis.

One verifier and one Faust worker. Every command (`card replace|extend|reduce|revoke|lost|facility`,
`person correct`) is run as staff run it and must show in GetCardStatus; a command retried under
its request id gets the first answer and records nothing; a revoked card presented at a kiosk
answers 110 and the misuse monitor raises its known-bad-card alert; the other changes answer 12x,
K02 and 003; and a rebuild of the projections from the log equals the live state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import events_pb2 as ev

from infra.local.procs import wait_until
from projections.rebuild import digest, rebuild
from projections.registry import NAMES
from tests.support.client import Client
from tests.support.kafka_state import all_records, group_caught_up
from tests.support.stack import Stack, StackFactory
from verifier.cli import main
from verifier.events import decode_event

A, B, C, D, E = "4040000101", "4040000102", "4040000103", "4040000104", "4040000105"  # one per story


def card(sin: str, prefix: str = "GD440") -> str:
    return f"{prefix}{sin}"


@pytest.fixture(scope="module")
def stack(stacks: StackFactory) -> Iterator[Stack]:
    settings = stacks.settings("lifecycle")
    with Stack.running(settings, stacks.log_dir(), worker=True) as stack:
        yield stack


Staff = Callable[..., dict[str, Any]]


@pytest.fixture
def staff(stack: Stack, capsys: pytest.CaptureFixture[str]) -> Staff:
    """Run a staff command of `python -m verifier` (in this process) and return its JSON answer."""

    def run(*args: str) -> dict[str, Any]:
        with pytest.raises(SystemExit) as done:
            main([*args, "--target", stack.settings.grpc_listen, "--plaintext"])
        out, err = capsys.readouterr()
        assert done.value.code == 0, err
        answer: dict[str, Any] = json.loads(out)
        return answer

    return run


def shows(client: Client, number: str, check: Callable[[api.ParticipantSummary], bool], what: str) -> None:
    wait_until(lambda: check(client.status(number).participant), timeout=30, what=what)


def test_every_command_changes_what_the_status_shows(stack: Stack, staff: Staff) -> None:
    client = stack.client
    stack.enrolled(card(A))

    staff("card", "extend", card(A), "--valid-to", "2100-12-31")
    shows(client, A, lambda p: p.valid_to == "2100-12-31", "extended")

    staff("card", "facility", A, "40-001", "--from", "2021-01-01")
    shows(client, A, lambda p: p.registered_facility == "40-001", "facility changed")

    staff("person", "correct", card(A), "--name", "Nguyễn Văn Ân", "--dob", "1989", "--gender", "female")
    shows(client, A, lambda p: p.full_name == "Nguyễn Văn Ân", "details corrected")
    named = client.checkin.VerifyCard(kiosk(card_number=card(A), date_of_birth="1989"), timeout=15)
    assert "070" not in [r.code for r in named.reasons]  # the corrected year of birth is on record

    new = card(A, "HN240")
    staff(
        "card", "replace", card(A), new, "--valid-from", "2021-01-01", "--open-ended", "--facility", "40-C54"
    )
    shows(client, A, lambda p: p.card_number == new, "card replaced")
    person = client.status(A).participant
    assert (person.valid_to, person.registered_facility) == ("", "40-C54")
    assert [c.card_number for c in person.previous_cards] == [card(A)]

    staff("card", "lost", new)
    shows(client, A, lambda p: p.status == "lost", "card lost")
    assert client.verify(new).result_code == "K02"

    stack.enrolled(card(B))
    staff("card", "reduce", B, "--reason", "moved-province", "--from", "2020-06-01")
    shows(client, B, lambda p: (p.status, p.reduction_code) == ("reduced", "121"), "reduced")
    assert client.verify(card(B)).result_code == "121"

    stack.enrolled(card(D), valid_from="2020-01-01", valid_to="2020-12-31")
    staff("card", "replace", card(D), card(D, "HN240"), "--valid-from", "2021-01-01", "--open-ended")
    shows(client, D, lambda p: p.card_number == card(D, "HN240"), "expired card replaced")
    old = client.verify(card(D))
    assert old.result_code == "003" and old.participant.card_number == card(D, "HN240")


def test_a_retried_command_records_nothing_twice(stack: Stack, staff: Staff) -> None:
    client = stack.client
    stack.enrolled(card(C))
    first = staff("card", "extend", card(C), "--valid-to", "2101-01-31", "--request-id", "phieu-C-1")
    shows(client, C, lambda p: p.valid_to == "2101-01-31", "extended")
    again = staff("card", "extend", card(C), "--valid-to", "2101-01-31", "--request-id", "phieu-C-1")

    assert again == first  # the same event, at the same offset: the first answer
    wait_until(lambda: group_caught_up(stack.settings), timeout=60, what="everything projected")
    assert client.status(C).participant.valid_to == "2101-01-31"
    ids = [e.event_id for e in events_of(stack, C) if e.WhichOneof("payload") == "coverage_extended"]
    assert ids == [first["event_id"]]  # recorded once


def test_a_revoked_card_is_refused_and_the_monitor_raises_its_alert(stack: Stack) -> None:
    """Revoked by the CLI as staff start it (a process of its own), then presented at a kiosk."""
    client = stack.client
    stack.enrolled(card(E))
    done = subprocess.run(
        [sys.executable, "-m", "verifier", "card", "revoke", card(E), "--reason", "thẻ cho mượn",
         "--target", stack.settings.grpc_listen, "--plaintext"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONUTF8": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "mã yêu cầu" in done.stderr  # a request id was generated and shown
    shows(client, E, lambda p: p.status == "revoked", "revoked")

    decision = client.verify(card(E))
    assert (decision.result_code, decision.verdict) == ("110", ev.VERDICT_REJECTED)

    def alert() -> api.AlertView | None:
        request = api.ListAlertsRequest(filter=api.AlertFilter(rule="known_bad_card"), limit=100)
        listed = stack.monitoring.ListAlerts(request, timeout=10).alerts
        return next((a for a in listed if a.alert.subject == E), None)

    wait_until(lambda: alert() is not None, timeout=60, what="known_bad_card alert")
    raised = alert()
    assert raised is not None
    assert decision.check_in_id in [e.event_id for e in raised.alert.evidence]
    assert "110" in raised.alert.summary


def test_the_rebuild_equals_the_live_state(stack: Stack) -> None:
    """Last in this module: it stops the worker, as a rebuild requires."""
    wait_until(lambda: group_caught_up(stack.settings), timeout=60, what="everything projected")
    stack.worker.stop()
    live = digest(stack.settings, ["participation", "usage"])
    for name in NAMES:
        rebuild(stack.settings, name, progress=False)
    assert digest(stack.settings, ["participation", "usage"]) == live


def events_of(stack: Stack, sin: str) -> list[ev.EventEnvelope]:
    records = all_records(stack.settings, stack.settings.topic_participation)
    return [e for e in map(decode_event, records) if e.key == sin]


def kiosk(*, card_number: str, date_of_birth: str) -> api.VerifyCardRequest:
    return api.VerifyCardRequest(
        card_number=card_number,
        date_of_birth=date_of_birth,
        facility_id="40-001",
        kiosk_id="kiosk-1",
        staff_id="staff-1",
    )
