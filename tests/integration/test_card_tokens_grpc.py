"""Digital card tokens over real gRPC, Kafka and Redis: issue, verify, and every way to be refused.

One verifier and one Faust worker serve the whole module (they share its topics and keys
directory); each test uses its own participant so tests do not see each other's usage.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path

import base45
import cbor2
import grpc
import pytest
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc
from bhyt.v1 import events_pb2 as ev
from grpc_health.v1 import health_pb2, health_pb2_grpc

from infra.local.procs import free_port, wait_until
from infra.local.signing_keys import write_signing_key
from tests.support import stack as shared
from tests.support.client import Client
from tests.support.kafka_state import all_records
from tests.support.processes import verifier_process
from tests.support.tokens import flip_bit, rewrap, with_flipped_bit
from verifier.tokens.card_token import CardClaims, issue_card_token
from verifier.tokens.cose import CoseSign1
from verifier.tokens.keys import load_signing_key

FACILITY = "40-001"


class Stack(shared.Stack):
    @property
    def keys_dir(self) -> Path:
        return Path(self.settings.token_keys_dir)

    @cached_property
    def keys(self) -> api_grpc.TokenKeysStub:
        return api_grpc.TokenKeysStub(self.client.channel)

    def enroll(self) -> str:
        """A fresh participant, visible in the projection; returns the card number."""
        return self.enrolled(f"GD440{uuid.uuid4().int % 10**10:010d}")

    def issue(self, card: str, *, png: bool = False) -> api.CardToken:
        request = api.IssueCardTokenRequest(card_number=card, with_qr_png=png)
        return self.client.cards.IssueCardToken(request, timeout=15)

    def scan(self, scanned: str, kiosk: str = "kiosk-1", facility: str = FACILITY) -> api.CheckInDecision:
        request = api.VerifyScanRequest(
            scanned=scanned, facility_id=facility, kiosk_id=kiosk, staff_id="staff-1"
        )
        return self.client.checkin.VerifyScan(request, timeout=15)


@pytest.fixture(scope="module")
def stack(stacks: shared.StackFactory) -> Iterator[Stack]:
    settings = stacks.settings(
        "tok", topic_partitions=2, token_keys_dir=str(stacks.token_keys("issuer-2026")), token_lifetime_s=120
    )
    with Stack.running(settings, stacks.log_dir(), worker=True) as stack:
        yield stack


def recorded(stack: Stack, check_in_id: str) -> ev.CheckInVerified:
    for value in all_records(stack.settings, stack.settings.topic_checkins):
        env = ev.EventEnvelope.FromString(value)
        if env.check_in_verified.check_in_id == check_in_id:
            return env.check_in_verified
    raise AssertionError(f"no event for check-in {check_in_id}")


def test_issue_then_verify_is_accepted_with_signed_assurance_and_recorded(stack: Stack) -> None:
    card = stack.enroll()
    token = stack.issue(card, png=True)
    assert token.token.startswith("BHYT1:")
    assert token.card.card_number == card and token.card.full_name == "Nguyễn Văn An"
    assert token.expires_at.ToDatetime() - token.issued_at.ToDatetime() == timedelta(seconds=120)
    assert token.qr_png.startswith(b"\x89PNG\r\n\x1a\n")

    decision = stack.scan(token.token)

    assert (decision.verdict, decision.result_code) == (ev.VERDICT_ACCEPTED, "000")
    assert decision.credential == ev.CREDENTIAL_KIND_DIGITAL_TOKEN
    assert decision.assurance == ev.ASSURANCE_SIGNED_TOKEN
    assert decision.token.token_id == token.token_id and decision.token.kid == token.kid
    event = recorded(stack, decision.check_in_id)
    assert event.social_insurance_number == card[-10:]
    assert event.token.token_id == token.token_id and event.token.signature_valid
    assert event.assurance == ev.ASSURANCE_SIGNED_TOKEN
    wait_until(lambda: stack.client.status(card).usage.check_ins_total == 1, timeout=30, what="usage counted")


def test_the_same_kiosk_may_retry_but_another_kiosk_is_a_replay(stack: Stack) -> None:
    token = stack.issue(stack.enroll()).token
    first = stack.scan(token, kiosk="kiosk-A")
    retry = stack.scan(token, kiosk="kiosk-A")
    replay = stack.scan(token, kiosk="kiosk-B", facility="40-T01")

    assert first.verdict == retry.verdict == ev.VERDICT_ACCEPTED
    assert (replay.verdict, replay.result_code) == (ev.VERDICT_REJECTED, "T06")
    assert (replay.token.first_kiosk_id, replay.token.first_facility_id) == ("kiosk-A", FACILITY)
    event = recorded(stack, replay.check_in_id)
    assert event.reason_codes[0] == "T06"
    assert event.token.first_check_in_id == first.check_in_id
    assert event.token.first_kiosk_id == "kiosk-A"


def _signed_by_files(stack: Stack, card: str, *, name: str, issued_at: datetime) -> str:
    key = load_signing_key(stack.keys_dir / f"{name}.key.pem", stack.keys_dir / f"{name}.cert.pem")
    claims = CardClaims(card, "Nguyễn Văn An", "1990-05-01", "male", "40-C54", "2020-01-01", "2099-12-31")
    return issue_card_token(
        claims, key, issuer="VN-BHXH", issued_at=issued_at, lifetime=timedelta(minutes=2)
    ).text


def _tampered(part: str) -> Callable[[CoseSign1], CoseSign1]:
    def change(m: CoseSign1) -> CoseSign1:
        if part == "header":
            protected = {**m.protected, 4: flip_bit(m.protected[4], 2)}
            return replace(m, protected=protected, protected_bytes=cbor2.dumps(protected))
        return with_flipped_bit(m, part)

    return change


BOMB = "BHYT1:" + base45.b45encode(zlib.compress(b"\0" * 2_000_000, 9)).decode()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("expired", "T04"),
        ("tampered payload", "T02"),
        ("tampered signature", "T02"),
        ("tampered header", "T03"),
        ("unknown kid", "T03"),
        ("wrong prefix", "T08"),
        ("truncated base45", "T01"),
        ("zip bomb", "T10"),
        ("oversized", "T09"),
    ],
)
def test_each_bad_token_is_rejected_with_its_own_code_and_recorded(
    stack: Stack, tmp_path: Path, case: str, expected: str
) -> None:
    card = stack.enroll()
    if case == "expired":
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
        text = _signed_by_files(stack, card, name="issuer-2026", issued_at=an_hour_ago)
    elif case == "unknown kid":
        text = _unknown_key_token(tmp_path, card)
    elif case.startswith("tampered"):
        text = rewrap(stack.issue(card).token, _tampered(case.split()[1]))
    elif case == "wrong prefix":
        text = "HC1:" + stack.issue(card).token[len("BHYT1:") :]
    elif case == "truncated base45":
        text = stack.issue(card).token[:-1]
    else:
        # over BHYT_TOKEN_MAX_CHARS (4096) but within what a scan may carry (request_limits, 8 KiB;
        # beyond that the request itself is refused, 205, see test_grpc_edges)
        text = BOMB if case == "zip bomb" else "BHYT1:" + "A" * 6000

    decision = stack.scan(text)

    assert (decision.verdict, decision.result_code) == (ev.VERDICT_REJECTED, expected)
    assert decision.assurance == ev.ASSURANCE_UNAUTHENTICATED
    event = recorded(stack, decision.check_in_id)
    assert event.result_code == expected and event.credential == ev.CREDENTIAL_KIND_DIGITAL_TOKEN
    assert stack.verifier.alive()


def _unknown_key_token(tmp_path: Path, card: str) -> str:
    key = load_signing_key(*write_signing_key(tmp_path, "stranger"))
    claims = CardClaims(card, "Nguyễn Văn An", "1990-05-01", "male", "40-C54", "2020-01-01", "2099-12-31")
    return issue_card_token(
        claims, key, issuer="VN-BHXH", issued_at=datetime.now(UTC), lifetime=timedelta(minutes=2)
    ).text


def test_a_legacy_qr_is_judged_against_the_projection_as_unauthenticated(stack: Stack) -> None:
    card = stack.enroll()
    name = "Nguyễn Văn An".encode().hex()
    qr = f"{card}|{name}|01/05/1990|1|-|40 - C54|01/01/2020|-|01/01/2020|-|-|4|01/01/2025|abc-1|$"
    forged = qr.replace("01/05/1990", "01/05/1991")

    accepted = stack.scan(qr)
    wrong_dob = stack.scan(forged)
    unreadable = stack.scan(f"{card}|zz|$")

    assert (accepted.verdict, accepted.result_code) == (ev.VERDICT_ACCEPTED, "000")
    assert accepted.credential == ev.CREDENTIAL_KIND_LEGACY_QR
    assert accepted.assurance == ev.ASSURANCE_UNAUTHENTICATED
    assert (wrong_dob.verdict, wrong_dob.result_code) == (ev.VERDICT_NEEDS_REVIEW, "070")  # check the papers
    assert (unreadable.verdict, unreadable.result_code) == (ev.VERDICT_REJECTED, "Q01")
    assert recorded(stack, unreadable.check_in_id).credential == ev.CREDENTIAL_KIND_LEGACY_QR


def test_issuing_for_nobody_is_not_found_and_the_server_keeps_serving(stack: Stack) -> None:
    with pytest.raises(grpc.RpcError) as info:
        stack.issue("GD4409999999999")
    assert info.value.code() is grpc.StatusCode.NOT_FOUND
    health_stub = health_pb2_grpc.HealthStub(stack.client.channel)
    health = health_stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert health.status == health_pb2.HealthCheckResponse.SERVING


def test_rotation_and_revocation_reach_every_verifier(stack: Stack, tmp_path: Path) -> None:
    """A second verifier shares the topics and keys: a rotation is picked up on reload, old tokens
    verify until they expire, and a revocation made on one verifier is enforced by the other."""
    card = stack.enroll()
    old = stack.issue(card)
    write_signing_key(stack.keys_dir, "issuer-2027", not_before=datetime.now(UTC) - timedelta(minutes=1))

    listed = stack.keys.ReloadSigningKeys(api.ReloadSigningKeysRequest(), timeout=15)
    new = stack.issue(card)

    issuing = [k.kid for k in listed.keys if k.issuing]
    assert issuing == [new.kid] and new.kid != old.kid
    assert stack.scan(old.token, kiosk="kiosk-old").verdict == ev.VERDICT_ACCEPTED
    assert stack.scan(new.token, kiosk="kiosk-new").verdict == ev.VERDICT_ACCEPTED

    second_settings = stack.settings.with_(grpc_listen=f"127.0.0.1:{free_port()}", producer_name="verifier-2")
    with verifier_process(second_settings, tmp_path):
        second = Client(second_settings.grpc_listen)
        request = api.RevokeSigningKeyRequest(kid=old.kid, reason="rotated out early")
        revoked = api_grpc.TokenKeysStub(second.channel).RevokeSigningKey(request, timeout=15)
        assert revoked.revoked
        later = _signed_by_files(stack, card, name="issuer-2026", issued_at=datetime.now(UTC))

        def refused_by_first() -> bool:
            return stack.scan(later, kiosk="kiosk-late").result_code == "T07"

        wait_until(refused_by_first, timeout=15, what="revocation reaching the first verifier")
        second.close()
    listed = stack.keys.ListSigningKeys(api.ListSigningKeysRequest(), timeout=5)
    assert {k.kid: k.revocation_reason for k in listed.keys if k.revoked} == {old.kid: "rotated out early"}
