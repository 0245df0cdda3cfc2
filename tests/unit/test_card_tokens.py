"""Card tokens, pure: issue and verify with every algorithm, and every way a token can be wrong."""

from __future__ import annotations

import dataclasses
import zlib
from datetime import UTC, datetime, timedelta

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.local.signing_keys import KEY_KINDS, KeyKind
from tests.support.tokens import CARD, flip_bit, rewrap, signing_key, with_flipped_bit
from verifier.tokens import problems as p
from verifier.tokens.card_token import IssuedToken, issue_card_token, verify_token
from verifier.tokens.cose import HEADER_ALG, HEADER_KID, PS256, CoseSign1, sign1
from verifier.tokens.framing import Limits, unwrap, wrap
from verifier.tokens.keys import SigningKey, TrustStore, read_trusted_keys

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
LIFETIME = timedelta(minutes=5)


def issue(key: SigningKey | None = None, at: datetime = NOW, prefix: str = "BHYT1:") -> IssuedToken:
    return issue_card_token(
        CARD, key or signing_key(), issuer="VN-BHXH", issued_at=at, lifetime=LIFETIME, prefix=prefix
    )


def trust(*keys: SigningKey) -> TrustStore:
    return TrustStore(k.trusted for k in (keys or (signing_key(),)))


@pytest.mark.parametrize("kind", KEY_KINDS)
def test_a_token_issued_with_each_algorithm_verifies_and_carries_the_card(kind: KeyKind) -> None:
    key = signing_key(kind)
    token = issue(key)

    report = verify_token(token.text, trust(key), NOW + timedelta(minutes=1))

    assert report.errors == ()
    assert report.signature_valid
    assert report.card == CARD
    assert report.kid == key.kid.hex() == token.kid
    assert report.alg == {"ec-p256": "ES256", "ed25519": "EdDSA"}.get(kind, "PS256")
    assert report.token_id == token.token_id and len(token.token_id) == 32
    assert report.expires_at == token.expires_at == token.issued_at + LIFETIME


def test_each_token_gets_its_own_id() -> None:
    assert issue().token_id != issue().token_id


def test_expiry_and_not_yet_valid_allow_the_configured_clock_skew() -> None:
    token = issue()
    skew = timedelta(seconds=30)
    just_inside = verify_token(token.text, trust(), NOW + LIFETIME + skew, clock_skew=skew)
    expired = verify_token(token.text, trust(), NOW + LIFETIME + skew + timedelta(seconds=1), clock_skew=skew)
    early = verify_token(token.text, trust(), NOW - skew - timedelta(seconds=1), clock_skew=skew)

    assert just_inside.errors == ()
    assert expired.errors == (p.EXPIRED,) and expired.expired and expired.signature_valid
    assert early.errors == (p.NOT_YET_VALID,) and early.not_yet_valid


@pytest.mark.parametrize(
    ("part", "expected"),
    [("payload", p.BAD_SIGNATURE), ("signature", p.BAD_SIGNATURE)],
)
def test_one_flipped_bit_in_payload_or_signature_breaks_the_signature(part: str, expected: str) -> None:
    report = verify_token(rewrap(issue().text, lambda m: with_flipped_bit(m, part)), trust(), NOW)

    assert report.errors == (expected,)
    assert not report.signature_valid


def test_a_flipped_bit_in_the_protected_kid_names_an_unknown_key() -> None:
    def tamper(m: CoseSign1) -> CoseSign1:
        protected = {HEADER_ALG: m.protected[HEADER_ALG], HEADER_KID: flip_bit(m.protected[HEADER_KID], 0)}
        return dataclasses.replace(m, protected=protected, protected_bytes=cbor2.dumps(protected))

    assert verify_token(rewrap(issue().text, tamper), trust(), NOW).errors == (p.UNKNOWN_KEY,)


def test_a_header_changed_but_still_naming_our_key_fails_the_signature() -> None:
    """The protected header is signed: re-encoding it (here with an extra field) breaks the signature."""

    def tamper(m: CoseSign1) -> CoseSign1:
        protected = {**m.protected, 3: "application/cwt"}
        return dataclasses.replace(m, protected=protected, protected_bytes=cbor2.dumps(protected))

    assert verify_token(rewrap(issue().text, tamper), trust(), NOW).errors == (p.BAD_SIGNATURE,)


def test_an_algorithm_that_does_not_fit_the_key_is_refused_before_verifying() -> None:
    def tamper(m: CoseSign1) -> CoseSign1:
        protected = {**m.protected, HEADER_ALG: PS256}
        return dataclasses.replace(m, protected=protected, protected_bytes=cbor2.dumps(protected))

    report = verify_token(rewrap(issue().text, tamper), trust(), NOW)
    assert report.errors == (p.UNSUPPORTED_ALGORITHM,)


def test_unknown_kid_and_revoked_key_have_their_own_codes() -> None:
    other = signing_key("ec-p256", "other")
    token = issue()
    store = trust()
    assert verify_token(token.text, TrustStore([other.trusted]), NOW).errors == (p.UNKNOWN_KEY,)

    store.revoke(signing_key().kid, "key compromised")
    revoked = verify_token(token.text, store, NOW)
    assert revoked.errors == (p.KEY_REVOKED,)
    assert revoked.signature_valid  # genuine signature, but the key is no longer trusted
    assert "key compromised" in revoked.detail


def test_after_a_rotation_old_tokens_verify_until_they_expire_and_new_ones_carry_the_new_kid() -> None:
    old, new = signing_key("ec-p256", "2025"), signing_key("ed25519", "2026")
    store = trust(old, new)
    before, after = issue(old), issue(new)

    assert verify_token(before.text, store, NOW).errors == ()
    assert verify_token(after.text, store, NOW).errors == ()
    assert before.kid != after.kid
    assert verify_token(before.text, store, NOW + LIFETIME + timedelta(minutes=1)).errors == (p.EXPIRED,)


def test_a_token_issued_outside_its_keys_validity_window_is_refused() -> None:
    key = signing_key("ec-p256", "future", datetime(2027, 1, 1, tzinfo=UTC))
    report = verify_token(issue(key).text, trust(key), NOW)
    assert report.errors == (p.OUTSIDE_KEY_VALIDITY,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HC1:NCFOXN%TS3DH", p.UNKNOWN_PREFIX),
        ("GD4404016354956", p.UNKNOWN_PREFIX),
        ("", p.UNKNOWN_PREFIX),
        ("BHYT1:", p.MALFORMED),
        ("BHYT1:%%%%", p.MALFORMED),
        ("BHYT1:" + "A" * 5000, p.TOO_LARGE),
    ],
)
def test_unreadable_tokens_get_the_code_of_the_layer_that_failed(text: str, expected: str) -> None:
    assert verify_token(text, trust(), NOW).errors == (expected,)


def test_truncated_base45_or_zlib_is_malformed() -> None:
    text = issue().text
    assert verify_token(text[:-1], trust(), NOW).errors == (p.MALFORMED,)  # base45 needs 2 or 3 chars
    assert verify_token(text[:-30], trust(), NOW).errors == (p.MALFORMED,)  # zlib stream cut short


def test_a_zip_bomb_is_stopped_at_the_decompression_cap() -> None:
    bomb = "BHYT1:" + base45.b45encode(zlib.compress(b"\0" * 2_000_000, 9)).decode()
    assert len(bomb) < Limits().max_text_chars  # small on the wire...
    assert verify_token(bomb, trust(), NOW).errors == (p.DECOMPRESSED_TOO_LARGE,)  # ...refused inflated


def test_deeply_nested_cbor_is_malformed_not_a_crash() -> None:
    nested = b"\x81" * 10_000 + b"\x00"
    text = "BHYT1:" + base45.b45encode(zlib.compress(nested)).decode()
    assert verify_token(text, trust(), NOW).errors == (p.MALFORMED,)


def test_an_uncompressed_cose_message_is_accepted_as_the_dcc_spec_allows() -> None:
    _, cose = unwrap(issue().text, ["BHYT1:"])
    text = "BHYT1:" + base45.b45encode(cose).decode()
    assert verify_token(text, trust(), NOW).errors == ()


def test_the_prefix_is_configurable() -> None:
    token = issue(prefix="VN-BHYT:")
    assert verify_token(token.text, trust(), NOW, prefixes=["VN-BHYT:"]).errors == ()
    assert verify_token(token.text, trust(), NOW).errors == (p.UNKNOWN_PREFIX,)


def test_claims_without_times_are_malformed_even_when_signed() -> None:
    key = signing_key()
    message = sign1(cbor2.dumps({1: "VN-BHXH"}), key.private_key, key.kid)
    report = verify_token(wrap(message.to_bytes(), "BHYT1:"), trust(), NOW)
    assert report.signature_valid and report.errors == (p.MALFORMED,)


def test_the_report_shows_claims_by_name_for_operators() -> None:
    claims = verify_token(issue().text, trust(), NOW).to_json_dict()["claims"]
    assert claims["iss"] == "VN-BHXH"
    assert claims["bhyt_card"]["no"] == CARD.card_number
    assert claims["bhyt_card"]["nm"] == "Nguyễn Văn An"


# --- property-based: the decoder never raises, and no mutation forges a valid token ------------

VALID = issue()


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_report_never_an_exception(text: str) -> None:
    report = verify_token(text, trust(), NOW, prefixes=["BHYT1:", ""])
    assert report.errors


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", max_size=600))
def test_any_base45_text_gives_a_report_never_an_exception(body: str) -> None:
    assert verify_token("BHYT1:" + body, trust(), NOW).errors


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_tokens_never_verify_with_other_claims(data: st.DataObject) -> None:
    _, cose = unwrap(VALID.text, ["BHYT1:"])
    index = data.draw(st.integers(0, len(cose) - 1))
    replacement = data.draw(st.integers(0, 255))
    mutated = cose[:index] + bytes([replacement]) + cose[index + 1 :]
    text = "BHYT1:" + base45.b45encode(zlib.compress(mutated)).decode()

    report = verify_token(text, trust(), NOW)

    if mutated != cose:
        assert not report.valid or report.claims == verify_token(VALID.text, trust(), NOW).claims


# --- found in review: crafted claims that are cheap to send and must stay cheap to refuse ---------


def _signed(payload: bytes) -> str:
    key = signing_key()
    return wrap(sign1(payload, key.private_key, key.kid).to_bytes(), "BHYT1:")


def test_shared_cbor_values_cannot_blow_up_the_claims_report() -> None:
    # {6: 0, 4: 1, 8: [x, x, x, x]} where x is the array itself (CBOR tags 28/29): 4^depth nodes.
    self_referencing = b"\xa3\x06\x00\x04\x01\x08" + b"\xd8\x1c\x84" + b"\xd8\x1d\x00" * 4
    report = verify_token(_signed(self_referencing), trust(), NOW)
    assert report.errors  # answered, and quickly (the test's own timeout would catch a hang)


@pytest.mark.parametrize(
    "claims",
    [{6: 0, 4: 253402300799}, {6: -62135596800, 4: 10**400}, {6: float("nan"), 4: float("inf")}],
)
def test_times_at_the_edge_of_the_calendar_are_refused_not_raised(claims: dict[int, object]) -> None:
    assert verify_token(_signed(cbor2.dumps(claims)), trust(), NOW).errors


def test_a_signed_but_empty_or_idless_card_token_is_malformed() -> None:
    assert verify_token(_signed(cbor2.dumps({})), trust(), NOW).errors == (p.MALFORMED,)
    iat = int(NOW.timestamp())
    idless = {1: "VN-BHXH", 6: iat, 4: iat + 60, -65584: CARD.to_cbor()}
    assert verify_token(_signed(cbor2.dumps(idless)), trust(), NOW).errors == (p.MALFORMED,)


def test_revoking_a_key_also_refuses_it_under_another_certificate() -> None:
    key = signing_key()
    store = trust()
    bare = read_trusted_keys(
        key.trusted.public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo), "bare"
    )[0]
    store.add(bare)  # the same key pair trusted a second time, under the kid of its bare public key
    store.revoke(key.kid, "compromised")

    assert store.revocation(bare.kid) == "compromised"
