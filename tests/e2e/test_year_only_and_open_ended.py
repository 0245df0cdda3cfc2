"""A person VSS knows only the birth year of, holding a card without an end date, end to end.

Enrolled with `python -m verifier enroll --dob 1948 --open-ended` as staff would, through Kafka and
the Faust worker into Redis; read back with GetCardStatus; checked in with a year claim, a full
date claim and the app's digital card token; then a rebuild from offset zero must give the same
read model (the packed Redis entry and the event both carry "YYYY" and an empty end date).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import events_pb2 as ev

from infra.local.procs import wait_until
from projections.rebuild import digest, rebuild
from tests.support.client import STAFF_ID
from tests.support.kafka_state import group_caught_up
from tests.support.stack import Stack, StackFactory
from verifier.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ELDER = "HT3404000001948"  # a retiree (HT, level 3) in Nghe An
OTHER = "GD4404000002001"  # an ordinary full-date, fixed-term person beside them
PROJECTIONS = ["participation", "usage"]


@pytest.fixture(scope="module")
def stack(stacks: StackFactory) -> Iterator[Stack]:
    settings = stacks.settings("yearonly", topic_partitions=2, token_keys_dir=str(stacks.token_keys("vss")))
    with Stack.running(settings, stacks.log_dir(), worker=True) as stack:
        yield stack


def enroll_with_the_cli(settings: Settings, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "verifier", "enroll", *args, "--target", settings.grpc_listen, "--plaintext"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("BHYT_CLIENT_")},  # no certificate
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def verify(stack: Stack, card: str, date_of_birth: str) -> api.CheckInDecision:
    request = api.VerifyCardRequest(
        card_number=card,
        facility_id="40-001",
        kiosk_id="kiosk-1",
        staff_id=STAFF_ID,
        date_of_birth=date_of_birth,
    )
    return stack.client.checkin.VerifyCard(request, timeout=15)


def test_year_only_open_ended_person_is_stored_read_back_checked_in_and_rebuilt(stack: Stack) -> None:
    client, settings = stack.client, stack.settings
    recorded = enroll_with_the_cli(
        settings, ELDER, "--name", "Trần Thị Bình", "--dob", "1948", "--gender", "female",
        "--facility", "40-C54", "--valid-from", "2020-01-01", "--open-ended",
    )  # fmt: skip
    assert recorded["topic"] == settings.topic_participation
    stack.enrolled(OTHER, date_of_birth="1990-05-01", valid_to="2099-12-31")
    wait_until(lambda: client.status(ELDER).found, timeout=30, what="the year-only person projected")

    status = client.status(ELDER)
    assert status.coverage == "active"
    assert (status.participant.valid_from, status.participant.valid_to) == ("2020-01-01", "")
    assert status.participant.full_name == "Trần Thị Bình"
    assert client.status(OTHER).participant.valid_to == "2099-12-31"

    by_year = verify(stack, ELDER, "1948")
    assert (by_year.verdict, by_year.result_code) == (ev.VERDICT_ACCEPTED, "000")
    by_date = verify(stack, ELDER, "1948-07-15")  # the record knows only the year: compared by year
    assert (by_date.verdict, by_date.result_code) == (ev.VERDICT_ACCEPTED, "000")
    wrong_year = verify(stack, ELDER, "1950")
    assert wrong_year.result_code == "070" and wrong_year.verdict != ev.VERDICT_ACCEPTED
    assert by_year.participant.valid_to == ""

    token = client.cards.IssueCardToken(api.IssueCardTokenRequest(card_number=ELDER), timeout=15)
    assert (token.card.date_of_birth, token.card.valid_to) == ("1948", "")
    scanned = client.scan(token.token)
    assert (scanned.verdict, scanned.result_code) == (ev.VERDICT_ACCEPTED, "000")
    assert scanned.credential == ev.CREDENTIAL_KIND_DIGITAL_TOKEN

    wait_until(lambda: client.status(ELDER).usage.check_ins_total == 4, timeout=30, what="check-ins counted")
    wait_until(lambda: group_caught_up(settings), timeout=60, what="every event projected")
    stack.worker.stop()  # a rebuild runs with the workers stopped, as `infra/stack rebuild` does

    live = digest(settings, PROJECTIONS)
    for name in PROJECTIONS:
        assert rebuild(settings, name, progress=False).events > 0
    assert digest(settings, PROJECTIONS) == live
    rebuilt = client.status(ELDER)
    assert (rebuilt.participant.valid_to, rebuilt.coverage) == ("", "active")
    assert rebuilt.usage.check_ins_total == 4
