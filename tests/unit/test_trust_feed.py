"""The trust feed fails closed: a record that may revoke a key and cannot be applied never leaves
the key trusted. (The feed's Kafka side runs in tests/integration/test_card_tokens_grpc.py.)"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bhyt.v1 import events_pb2 as ev

from tests.support.tokens import CARD, key_files, signing_key
from verifier.adapters.trust_feed import apply_trust_event
from verifier.events import envelopes
from verifier.tokens import problems
from verifier.tokens.authority import TokenAuthority, TokenPolicy
from verifier.tokens.card_token import issue_card_token

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def authority(tmp_path: Path) -> TokenAuthority:
    for path in key_files():
        shutil.copy(path, tmp_path / path.name)
    authority = TokenAuthority(TokenPolicy(), tmp_path)
    authority.reload()
    return authority


def verified_errors(authority: TokenAuthority) -> tuple[str, ...]:
    """What the authority says of a token signed with the test key (as a kiosk would scan it)."""
    policy = authority.policy
    token = issue_card_token(
        CARD, signing_key(), issuer=policy.issuer, issued_at=NOW, lifetime=policy.lifetime
    )
    return tuple(authority.verify(token.text, NOW).errors)


def revocation(kid_hex: str) -> bytes:
    env = envelopes.envelope(key=f"kid:{kid_hex}", at=NOW, producer="admin")
    env.signing_key_revoked.CopyFrom(ev.SigningKeyRevoked(kid=kid_hex, reason="stolen"))
    return env.SerializeToString()


def test_a_revocation_revokes_its_key(authority: TokenAuthority) -> None:
    assert verified_errors(authority) == ()
    assert apply_trust_event(authority, revocation(signing_key().kid.hex()))
    assert verified_errors(authority) == (problems.KEY_REVOKED,)


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(revocation("not-hex"), id="a revocation naming no readable kid"),
        pytest.param(b"\xff\x00garbage", id="unreadable bytes"),
        pytest.param(
            ev.EventEnvelope(
                event_id="x", schema_version=99, signing_key_revoked=ev.SigningKeyRevoked(kid="00")
            ).SerializeToString(),
            id="a schema from a newer verifier",
        ),
    ],
)
def test_a_record_that_may_revoke_and_cannot_be_applied_suspends_every_key(
    authority: TokenAuthority, record: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    assert not apply_trust_event(authority, record)
    assert verified_errors(authority) == (problems.KEY_REVOKED,)
    assert authority.issuing_key(NOW) is None  # no token is issued either
    assert "fail closed" in caplog.text
    authority.reload()  # a SIGHUP does not undo it
    assert verified_errors(authority) == (problems.KEY_REVOKED,)


def test_a_key_whose_trust_cannot_be_applied_simply_stays_untrusted(authority: TokenAuthority) -> None:
    env = envelopes.envelope(key="kid:00", at=NOW, producer="admin")
    env.signing_key_trusted.CopyFrom(ev.SigningKeyTrusted(kid="00", certificate_der=b"not a certificate"))
    assert not apply_trust_event(authority, env.SerializeToString())
    assert verified_errors(authority) == ()  # the keys it had are untouched: nothing was revoked
