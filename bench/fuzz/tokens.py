"""Targets for the digital card token: framing (prefix, Base45, zlib), CBOR/COSE, the whole token
check, claims under a genuine signature, and the signing-key certificates an admin uploads."""

from __future__ import annotations

import base64
import json
import math
import tempfile
import zlib
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import base45
import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import strategies as st

from bench.fuzz.der import mutated_der
from bench.fuzz.harness import ACCEPTED, Target, Unexpected, known, stored, to_text, to_utf8
from bench.fuzz.mutations import (
    EDGE_TEXTS,
    MUTATIONS,
    RANDOMS,
    cbor_values,
    dumps,
    mutate_bytes,
    mutated_bytes,
    mutated_text,
)
from infra.local.signing_keys import KeyKind, write_signing_key
from verifier.domain.card_number import CardNumberProblem, parse_card_number
from verifier.domain.identity import IdentityClaim
from verifier.domain.participation import Gender
from verifier.errors import BadRequest
from verifier.tokens import problems as token_problems
from verifier.tokens.authority import TokenAuthority, TokenPolicy
from verifier.tokens.card_token import (
    BHYT_CARD_CLAIM,
    CTI,
    EU_DCC_CLAIM,
    EXP,
    IAT,
    ISS,
    NBF,
    CardClaims,
    issue_card_token,
)
from verifier.tokens.cose import CoseSign1, parse_sign1, sign1
from verifier.tokens.framing import unwrap, wrap
from verifier.tokens.keys import KeyFileError, SigningKey, load_signing_key, read_trusted_keys
from verifier.tokens.problems import TOKEN_REASONS, TokenProblem

TOKEN_PREFIX = "BHYT1:"
TOKEN_ISSUED = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
TOKEN_CHECKED = TOKEN_ISSUED + timedelta(seconds=10)
TOKEN_KEYS: tuple[KeyKind, ...] = ("ed25519", "ec-p256", "rsa-2048")
BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
CARDS = (
    CardClaims(
        "GD4404016354956", "Nguyễn Văn An", "1990-05-01", "male", "40-C54", "2026-01-01", "2026-12-31"
    ),
    CardClaims(
        "0123456789",
        "Trần Thị Bích Ngọc",
        "1988-03-29",
        "female",
        "01-C54",
        "2023-07-01",
        "2027-06-30",
        "2027-10-01",
    ),
)
CARD_FIELDS = ("v", "no", "nm", "dob", "g", "fac", "vf", "vt", "5y")
EDGE_TIMES: tuple[Any, ...] = (0, -1, 2**31, 2**63 - 1, -(2**63), 2**64, 2**70, 1e308, -1e308, math.nan)
EDGE_TIMES += (math.inf, -math.inf, 253402300800, -62135596801, True, int(TOKEN_ISSUED.timestamp()) + 1)


@dataclass(frozen=True)
class GenuineToken:
    text: str
    card: CardClaims
    token_id: str


@dataclass(frozen=True)
class TokenWorld:
    """Signed tokens of every key kind, and what a genuine one is (to tell a forgery that verifies)."""

    authority: TokenAuthority
    keys: tuple[SigningKey, ...]
    tokens: tuple[GenuineToken, ...]
    messages: tuple[CoseSign1, ...]
    cose: tuple[bytes, ...]
    compressed: tuple[bytes, ...]
    payloads: tuple[bytes, ...]
    claims: tuple[dict[Any, Any], ...]
    genuine: frozenset[tuple[bytes, bytes]]  # (protected header, payload) as signed
    bombs: tuple[str, ...]
    certificates: tuple[bytes, ...]


def _build_token_samples() -> dict[str, Any]:
    """Keys of every kind (PEM) and one token per key and card: the random part of the token world."""
    keys: list[dict[str, bytes]] = []
    texts: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bhyt-fuzz-keys-") as directory:
        for kind in TOKEN_KEYS:
            start = TOKEN_ISSUED - timedelta(days=30)
            key_path, cert_path = write_signing_key(Path(directory), kind, kind=kind, not_before=start)
            keys.append({"key": key_path.read_bytes(), "cert": cert_path.read_bytes()})
            key = load_signing_key(key_path, cert_path)
            for card in CARDS:
                token_id = bytes([len(texts) + 1]) * 16
                texts.append(
                    issue_card_token(
                        card,
                        key,
                        issuer="VN-BHXH",
                        issued_at=TOKEN_ISSUED,
                        lifetime=timedelta(minutes=5),
                        prefix=TOKEN_PREFIX,
                        token_id=token_id,
                    ).text
                )
    return {"keys": keys, "tokens": texts}


@cache
def token_world() -> TokenWorld:
    samples = stored("tokens", _build_token_samples)
    keys = tuple(
        SigningKey(
            serialization.load_pem_private_key(pair["key"], password=None),  # type: ignore[arg-type]
            read_trusted_keys(pair["cert"], "fuzz")[0],
        )
        for pair in samples["keys"]
    )
    authority = TokenAuthority(TokenPolicy(prefix=TOKEN_PREFIX, accepted_prefixes=(TOKEN_PREFIX,)))
    for key in keys:
        authority.admit(key.trusted)
    tokens: list[GenuineToken] = []
    for text in samples["tokens"]:
        report = authority.verify(text, TOKEN_CHECKED)
        assert report.valid and report.card is not None, f"a stored genuine token does not verify: {report}"
        tokens.append(GenuineToken(text, report.card, report.token_id))
    cose = tuple(unwrap(t.text, [TOKEN_PREFIX])[1] for t in tokens)
    messages = tuple(parse_sign1(c) for c in cose)
    zeros = [16 * 1024 + 1, 1 << 20, 5 << 19]
    bombs = tuple(TOKEN_PREFIX + base45.b45encode(zlib.compress(bytes(n), 9)).decode() for n in zeros)
    shared: list[Any] = []
    for _ in range(60):  # 2^60 leaves once expanded, a few hundred bytes with CBOR value sharing
        shared = [shared, shared]
    sharing_bomb = bytes(cbor2.dumps({ISS: "VN-BHXH", IAT: 1, EXP: 2, -1: shared}, value_sharing=True))
    certificates: list[bytes] = []
    for key in keys:
        cert = x509.load_der_x509_certificate(key.trusted.certificate_der)
        certificates += [
            cert.public_bytes(serialization.Encoding.PEM),
            key.trusted.certificate_der,
            base64.b64encode(key.trusted.certificate_der),
            cert.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        ]
    return TokenWorld(
        authority=authority,
        keys=keys,
        tokens=tuple(tokens),
        messages=messages,
        cose=cose,
        compressed=tuple(zlib.compress(c, 9) for c in cose),
        payloads=(*(m.payload for m in messages), sharing_bomb),
        claims=tuple(cbor2.loads(m.payload) for m in messages),
        genuine=frozenset((m.protected_bytes, m.payload) for m in messages),
        bombs=bombs,
        certificates=tuple(certificates),
    )


def _b45_token(compressed: bytes) -> str:
    return TOKEN_PREFIX + base45.b45encode(compressed).decode()


@st.composite
def claims_payloads(draw: st.DrawFn) -> bytes:
    """CWT claims: real ones with hostile values, random CBOR, mutated bytes, a value-sharing bomb."""
    world = token_world()
    rng = draw(RANDOMS)
    kind = rng.randrange(10)
    if kind == 0:
        return dumps(draw(cbor_values()))
    if kind == 1:
        return mutate_bytes(rng, rng.choice(world.payloads), world.payloads)
    claims = dict(rng.choice(world.claims))
    card = dict(claims[BHYT_CARD_CLAIM])
    for _ in range(draw(MUTATIONS)):
        op = rng.choice(("drop", "claim", "time", "card", "card", "card-drop", "cti"))
        if op == "drop" and claims:
            del claims[rng.choice(sorted(claims, key=repr))]
        elif op == "claim":
            claims[rng.choice((ISS, NBF, IAT, EXP, CTI, BHYT_CARD_CLAIM, EU_DCC_CLAIM, -1, "iss"))] = draw(
                cbor_values()
            )
        elif op == "time":
            claims[rng.choice((IAT, EXP))] = rng.choice(EDGE_TIMES) if rng.random() < 0.7 else draw(NUMBERS)
        elif op == "card":
            value = rng.choice(EDGE_TEXTS) if rng.random() < 0.5 else draw(CARD_VALUES)
            card[rng.choice((*CARD_FIELDS, "x"))] = value
        elif op == "card-drop":
            card.pop(rng.choice(CARD_FIELDS), None)
        else:
            claims[CTI] = rng.randbytes(rng.randrange(80)) if rng.random() < 0.7 else draw(cbor_values())
    if BHYT_CARD_CLAIM in claims and isinstance(claims[BHYT_CARD_CLAIM], dict):
        claims[BHYT_CARD_CLAIM] = card
    return dumps(claims)


NUMBERS = st.one_of(st.integers(), st.floats())
CARD_VALUES = st.one_of(st.text(max_size=40), st.integers(-3, 3), st.deferred(lambda: cbor_values()))
ALGS: tuple[Any, ...] = (-7, -35, -36, -37, -38, -39, -8, 0, 1, -257, -65535, 2**64, "ES256", None, b"", True)
COSE_PARTS = ("alg", "kid", "protected", "unprotected", "payload", "signature", "shape")
COSE_SHAPES = ("untagged", "cwt", "cwt-cwt", "tag98", "short", "long", "map")


@st.composite
def cose_messages(draw: st.DrawFn) -> bytes:
    """A genuine COSE_Sign1 with hostile headers, payload, signature or shape (not signed again)."""
    world = token_world()
    rng = draw(RANDOMS)
    message = rng.choice(world.messages)
    protected, protected_bytes = dict(message.protected), message.protected_bytes
    unprotected: Any = dict(message.unprotected)
    payload: Any = message.payload
    signature: Any = message.signature
    shape = "tagged"
    for _ in range(draw(MUTATIONS)):
        part = rng.choice(COSE_PARTS)
        if part == "alg":
            protected[1] = rng.choice(ALGS) if rng.random() < 0.7 else draw(cbor_values())
            protected_bytes = dumps(protected)
        elif part == "kid":
            kids = [k.kid for k in world.keys]
            kid = rng.choice((rng.choice(kids), rng.randbytes(rng.randrange(40)), b"", None))
            if rng.random() < 0.5:
                protected[4] = kid
                protected_bytes = dumps(protected)
            else:
                unprotected = {**unprotected, 4: kid} if isinstance(unprotected, dict) else {4: kid}
        elif part == "protected":
            choice = rng.randrange(3)
            if choice == 0:
                protected_bytes = mutate_bytes(rng, protected_bytes, world.cose)
            else:
                protected_bytes = (
                    dumps(draw(cbor_values())) if choice == 1 else rng.randbytes(rng.randrange(20))
                )
        elif part == "unprotected":
            unprotected = draw(cbor_values())
        elif part == "payload":
            payload = draw(claims_payloads()) if rng.random() < 0.7 else draw(cbor_values())
        elif part == "signature":
            choice = rng.randrange(3)
            if choice == 0:
                signature = mutate_bytes(rng, signature if isinstance(signature, bytes) else b"", world.cose)
            else:
                signature = rng.randbytes(rng.randrange(600)) if choice == 1 else draw(cbor_values())
        else:
            shape = rng.choice(COSE_SHAPES)
    body: list[Any] = [protected_bytes, unprotected, payload, signature]
    if shape == "short":
        body = body[: rng.randrange(4)]
    elif shape == "long":
        body.append(draw(cbor_values()))
    item: Any = cbor2.CBORTag(18, body) if shape != "map" else dict(enumerate(body))
    if shape == "untagged":
        item = body
    elif shape in ("cwt", "cwt-cwt"):
        item = cbor2.CBORTag(61, item if shape == "cwt" else cbor2.CBORTag(61, item))
    elif shape == "tag98":
        item = cbor2.CBORTag(98, body)
    return dumps(item)


def token_texts() -> st.SearchStrategy[str]:
    """What a scanner may hand over: random text, Base45 garbage, and real tokens broken at each layer."""
    world = token_world()
    return st.one_of(
        st.text(max_size=200),
        st.text(alphabet=BASE45_ALPHABET, max_size=600).map(TOKEN_PREFIX.__add__),
        mutated_text([t.text for t in world.tokens], BASE45_ALPHABET),
        mutated_bytes(world.compressed).map(_b45_token),
        cose_messages().map(lambda c: _b45_token(zlib.compress(c))),
        cose_messages().map(_b45_token),  # uncompressed COSE, as the DCC spec allows
        st.sampled_from(world.bombs),
    )


def run_framing(text: str) -> str:
    try:
        unwrap(text, [TOKEN_PREFIX])
    except TokenProblem as e:
        return known(e.code, TOKEN_REASONS)
    return ACCEPTED


def run_cose(data: bytes) -> str:
    try:
        message = parse_sign1(data)
    except TokenProblem as e:
        return known(e.code, TOKEN_REASONS)
    _ = (message.alg, message.kid)
    return ACCEPTED


def _signed_bytes(text: str) -> tuple[bytes, bytes]:
    message = parse_sign1(unwrap(text, [TOKEN_PREFIX])[1])
    return message.protected_bytes, message.payload


def run_token(text: str) -> str:
    """The verifier's token check; a forgery must never be signature-valid, let alone valid."""
    world = token_world()
    report = world.authority.verify(text, TOKEN_CHECKED)
    for code in report.errors:
        known(code, TOKEN_REASONS)
    json.dumps(report.to_json_dict())
    if report.signature_valid and _signed_bytes(text) not in world.genuine:
        raise Unexpected("forgery: a token whose signed bytes changed is signature-valid")
    if not report.valid:
        if not report.errors:
            raise Unexpected("no code: a refused token carries no error code")
        return report.errors[0]
    if report.card not in CARDS or report.token_id not in {t.token_id for t in world.tokens}:
        raise Unexpected("forgery: a valid token names a card or id no genuine token has")
    return ACCEPTED


GENUINE_SIGNATURE_CODES = frozenset(
    {
        token_problems.MALFORMED,
        token_problems.EXPIRED,
        token_problems.NOT_YET_VALID,
        token_problems.TOO_LARGE,
        token_problems.DECOMPRESSED_TOO_LARGE,
        token_problems.OUTSIDE_KEY_VALIDITY,
    }
)


def run_claims(payload: bytes) -> str:
    """Hostile claims under a genuine signature (what a compromised or sloppy issuer could send).

    The signature must verify whatever the claims say, and a card the core calls valid must be one
    the check-in can judge: its number a verdict, its name and birth date accepted by the identity
    check (else the kiosk gets a 205 for a scan that has no such field)."""
    world = token_world()
    key = world.keys[0]
    text = wrap(sign1(payload, key.private_key, key.kid, key.alg).to_bytes(), TOKEN_PREFIX)
    report = world.authority.verify(text, TOKEN_CHECKED)
    for code in report.errors:
        known(code, GENUINE_SIGNATURE_CODES)
    json.dumps(report.to_json_dict())
    if not report.valid:
        return report.errors[0]
    card = report.card
    if card is not None:
        with suppress(CardNumberProblem):  # a wrong number is a verdict, never an error
            parse_card_number(card.card_number)
        try:
            IdentityClaim.parse(
                full_name=card.full_name, date_of_birth=card.date_of_birth, gender=Gender(card.gender or "")
            )
        except BadRequest as e:
            raise Unexpected(f"unjudgeable card: a valid token's card fails the identity check: {e}") from e
    return ACCEPTED


def run_signing_certificate(data: bytes) -> str:
    """`TokenKeys.TrustSigningKey`'s parser: the admin API answers a KeyFileError with 205."""
    try:
        keys = read_trusted_keys(data, "fuzz")
    except KeyFileError:
        return BadRequest.code
    for key in keys:
        _ = (key.kid_hex, key.covers(TOKEN_CHECKED))
    return ACCEPTED


TOKEN_TARGETS: tuple[Target, ...] = (
    Target(
        "token-framing",
        "tokens.framing.unwrap (prefix, Base45, zlib)",
        token_texts,
        run_framing,
        to_text,
    ),
    Target(
        "cose",
        "tokens.cose.parse_sign1 (CBOR, COSE_Sign1)",
        lambda: st.one_of(
            st.binary(max_size=300),
            mutated_bytes(token_world().cose),
            cose_messages(),
            cbor_values().map(dumps),
        ),
        run_cose,
        bytes,
    ),
    Target("token-verify", "TokenAuthority.verify (the whole token check)", token_texts, run_token, to_text),
    Target(
        "token-claims",
        "TokenAuthority.verify, claims under a genuine signature",
        claims_payloads,
        run_claims,
        bytes,
    ),
    Target(
        "signing-cert",
        "tokens.keys.read_trusted_keys (TrustSigningKey)",
        lambda: st.one_of(
            st.binary(max_size=300),
            mutated_bytes(token_world().certificates),
            mutated_der([c for c in token_world().certificates if c[:1] == b"\x30"]),
            mutated_text([c.decode() for c in token_world().certificates if c[:1] == b"-"]).map(to_utf8),
        ),
        run_signing_certificate,
        bytes,
    ),
)
