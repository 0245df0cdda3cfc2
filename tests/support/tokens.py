"""Signing keys of every supported kind, and surgery on tokens for the tamper tests."""

from __future__ import annotations

import dataclasses
import functools
import tempfile
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import base45

from infra.local.signing_keys import KeyKind, write_signing_key
from verifier.tokens.card_token import CardClaims
from verifier.tokens.cose import CoseSign1, parse_sign1
from verifier.tokens.framing import unwrap
from verifier.tokens.keys import SigningKey, load_signing_key

CARD = CardClaims(
    card_number="GD4404016354956",
    full_name="Nguyễn Văn An",
    date_of_birth="1990-05-01",
    gender="male",
    registered_facility="40-C54",
    valid_from="2026-01-01",
    valid_to="2026-12-31",
)
_KEY_DIR = Path(tempfile.mkdtemp(prefix="bhyt-test-keys-"))


@functools.cache
def signing_key(kind: KeyKind = "ec-p256", name: str = "", not_before: datetime | None = None) -> SigningKey:
    """One key per (kind, name, start) for the whole session: RSA generation is slow."""
    key_path, cert_path = key_files(kind, name, not_before)
    return load_signing_key(key_path, cert_path)


def key_files(
    kind: KeyKind = "ec-p256", name: str = "", not_before: datetime | None = None
) -> tuple[Path, Path]:
    """The key and certificate files behind `signing_key` with the same arguments."""
    return _key_files(kind, name, not_before)


@functools.cache  # positional only, so that every spelling of the same arguments hits the cache
def _key_files(kind: KeyKind, name: str, not_before: datetime | None) -> tuple[Path, Path]:
    stem = f"{kind}-{name}-{not_before.timestamp() if not_before else 'now'}"
    start = not_before or datetime(2020, 1, 1).astimezone()
    return write_signing_key(_KEY_DIR, stem, kind=kind, not_before=start, valid_for=timedelta(days=3650))


def rewrap(token: str, change: Callable[[CoseSign1], CoseSign1], prefix: str = "BHYT1:") -> str:
    """The token with its COSE_Sign1 changed by `change`, then compressed and encoded again."""
    _, cose = unwrap(token, [prefix])
    changed = change(parse_sign1(cose)).to_bytes()
    return prefix + base45.b45encode(zlib.compress(changed)).decode()


def flip_bit(data: bytes, index: int, bit: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ (1 << bit)]) + data[index + 1 :]


def with_flipped_bit(message: CoseSign1, part: str) -> CoseSign1:
    """The message with one bit flipped in the middle of its payload or its signature."""
    payload, signature = message.payload, message.signature
    if part == "payload":
        return dataclasses.replace(message, payload=flip_bit(payload, len(payload) // 2, 3))
    if part == "signature":
        return dataclasses.replace(message, signature=flip_bit(signature, len(signature) // 2, 3))
    raise ValueError(part)
