"""Degraded mode with a real verifier whose Redis is down: what proves itself genuine is admitted
provisionally and recorded so; an unsigned QR or a typed number gets no verdict; a forgery is still
refused. When Redis is back, the re-check worker records the final verdict."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import events_pb2 as ev

from infra.local.procs import wait_until
from infra.local.redis_server import RedisServer
from infra.local.signing_keys import write_signing_key
from tests.support.chip_fixtures import CITIZEN, make_chip
from tests.support.kafka_state import all_records
from tests.support.stack import Stack, StackFactory
from verifier.settings import Settings
from verifier.tokens.card_token import CardClaims, issue_card_token
from verifier.tokens.keys import load_signing_key

CARD = "GD4404016350077"
LEGACY_QR = (
    f"{CARD}|{'Nguyễn Văn An'.encode().hex()}|05/01/1993|1|-|40 - C54|01/01/2020|-|01/01/2020|-|-|4|"
    "01/01/2025|abc-1|$"
)


@dataclass(kw_only=True)
class Degraded(Stack):
    redis: RedisServer
    token: str = ""


@pytest.fixture(scope="module")
def degraded(stacks: StackFactory) -> Iterator[Degraded]:
    """A stack whose Redis is its own (the test stops it), with a participant and a token issued."""
    keys_dir, trust_dir = stacks.token_keys("issuer"), stacks.chip_trust()
    redis_server = RedisServer(stacks.directory("redis"))
    redis_server.start()
    settings = stacks.settings(
        "degraded",
        redis_url=redis_server.url,
        topic_partitions=2,
        token_keys_dir=str(keys_dir),
        chip_trust_dir=str(trust_dir),
    )
    try:
        with Degraded.running(settings, stacks.log_dir(), worker=True, redis=redis_server) as degraded:
            degraded.enrolled(CARD, **CITIZEN.enrolment())
            request = api.IssueCardTokenRequest(card_number=CARD)
            degraded.token = degraded.client.cards.IssueCardToken(request, timeout=15).token
            redis_server.stop()
            yield degraded
    finally:
        redis_server.stop()


def recorded(settings: Settings) -> dict[str, ev.EventEnvelope]:
    """Every check-in event by check-in id; finalised ones under "final:<check-in id>"."""
    events: dict[str, ev.EventEnvelope] = {}
    for value in all_records(settings, settings.topic_checkins):
        env = ev.EventEnvelope.FromString(value)
        if env.HasField("check_in_verified"):
            events[env.check_in_verified.check_in_id] = env
        elif env.HasField("check_in_finalised"):
            events[f"final:{env.check_in_finalised.check_in_id}"] = env
    return events


def stranger_token(directory: Path) -> str:
    """A well-formed token for our participant, signed by a key nobody trusts: a forgery."""
    key = load_signing_key(*write_signing_key(directory, "stranger"))
    claims = CardClaims(CARD, CITIZEN.full_name, "1993-01-05", "male", "40-C54", "2020-01-01", "2099-12-31")
    now = datetime.now(UTC)
    return issue_card_token(claims, key, issuer="VN-BHXH", issued_at=now, lifetime=timedelta(minutes=2)).text


def unavailable(call: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()  # type: ignore[operator]
    assert info.value.code() is grpc.StatusCode.UNAVAILABLE, info.value
    return info.value


def test_authentic_credentials_are_provisional_and_the_rest_gets_no_verdict(
    degraded: Degraded, tmp_path: Path
) -> None:
    client = degraded.client
    token = client.scan(degraded.token)
    chip = make_chip()
    chip_read = client.verify_chip(chip.sod, chip.data_groups)
    forged_token = client.scan(stranger_token(tmp_path))
    forged_chip = client.verify_chip(chip.sod, {**chip.data_groups, 13: chip.data_groups[13][:-1] + b"X"})
    typed = unavailable(lambda: client.verify(CARD))
    # A signature for active authentication cannot be checked without its challenge: no verdict,
    # never a pass on passive authentication alone (a cloned chip would get through).
    clone = api.VerifyChipRequest(
        staff_id="staff-1", facility_id="40-001", kiosk_id="kiosk-1", sod=chip.sod,
        data_groups=chip.data_groups, session_id="s1", active_auth_signature=b"\x01" * 64,
    )  # fmt: skip
    unavailable(lambda: client.checkin.VerifyChip(clone, timeout=15))
    legacy = unavailable(lambda: client.scan(LEGACY_QR))

    assert (token.verdict, token.result_code) == (ev.VERDICT_PROVISIONAL, "P01")
    assert [r.code for r in token.reasons] == ["P01", "P02"]  # coverage, and the replay check, not made
    assert token.assurance == ev.ASSURANCE_SIGNED_TOKEN
    assert (chip_read.verdict, chip_read.result_code) == (ev.VERDICT_PROVISIONAL, "P01")
    assert chip_read.assurance == ev.ASSURANCE_CHIP_PASSIVE
    # A forgery proves nothing, so it is refused as before: Redis is not needed for that.
    assert forged_token.verdict == forged_chip.verdict == ev.VERDICT_REJECTED
    assert typed.details().startswith("101 ") and legacy.details().startswith("101 ")

    events = recorded(degraded.settings)
    for decision in (token, chip_read):
        event = events[decision.check_in_id].check_in_verified
        assert event.verdict == ev.VERDICT_PROVISIONAL
        assert event.staff_id == "staff-1"
    assert events[token.check_in_id].check_in_verified.social_insurance_number == CARD[-10:]
    assert events[chip_read.check_in_id].check_in_verified.presented_number == CITIZEN.number

    # Redis back: the re-check judges both against the participation record, once each.
    degraded.redis.start()
    wait_until(
        lambda: (
            {f"final:{token.check_in_id}", f"final:{chip_read.check_in_id}"}
            <= recorded(degraded.settings).keys()
        ),
        timeout=60,
        what="the final verdicts of the provisional check-ins",
    )
    events = recorded(degraded.settings)
    for decision in (token, chip_read):
        final = events[f"final:{decision.check_in_id}"].check_in_finalised
        assert (final.verdict, final.result_code) == (ev.VERDICT_ACCEPTED, "000"), final
        assert final.social_insurance_number == CARD[-10:]
