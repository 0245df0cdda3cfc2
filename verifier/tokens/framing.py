"""The text a QR carries: `<prefix><Base45(zlib(COSE_Sign1))>`, and its size limits.

Limits come first because the input is hostile: a kiosk scanner passes whatever it reads, and
a few hundred bytes of zlib can expand to gigabytes (a zip bomb). The text length is capped
before decoding and the decompressed size is capped while inflating, never after.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import base45

from verifier.tokens.problems import (
    DECOMPRESSED_TOO_LARGE,
    MALFORMED,
    TOO_LARGE,
    UNKNOWN_PREFIX,
    TokenProblem,
)

_ZLIB_FIRST_BYTE = 0x78  # deflate with a 32 KiB window: every zlib stream we or DCC issuers write


@dataclass(frozen=True)
class Limits:
    """A card token is ~400 characters; the EU DCC allows a few kilobytes. Both fit with margin."""

    max_text_chars: int = 4096
    max_decompressed_bytes: int = 16 * 1024


DEFAULT_LIMITS = Limits()


def wrap(cose: bytes, prefix: str) -> str:
    return prefix + base45.b45encode(zlib.compress(cose, 9)).decode("ascii")


def unwrap(text: str, prefixes: Sequence[str], limits: Limits = DEFAULT_LIMITS) -> tuple[str, bytes]:
    """The matched prefix and the COSE bytes; TokenProblem with the layer that failed otherwise."""
    text = text.strip()
    if len(text) > limits.max_text_chars:
        raise TokenProblem(TOO_LARGE, f"token has {len(text)} characters, over {limits.max_text_chars}")
    prefix = next((p for p in sorted(prefixes, key=len, reverse=True) if text.startswith(p)), None)
    if prefix is None:
        shown = text[:8] + ("…" if len(text) > 8 else "")
        raise TokenProblem(UNKNOWN_PREFIX, f"expected a prefix {' or '.join(prefixes)}, got {shown!r}")
    try:
        compressed = base45.b45decode(text[len(prefix) :])
    except (ValueError, KeyError, IndexError) as e:  # base45 raises ValueError; older versions KeyError
        raise TokenProblem(MALFORMED, f"not Base45: {e}") from None
    if not compressed:
        raise TokenProblem(MALFORMED, "empty token")
    if compressed[0] != _ZLIB_FIRST_BYTE:
        return prefix, _capped(compressed, limits)  # the DCC spec lets issuers skip compression
    return prefix, _inflate(compressed, limits)


def _inflate(data: bytes, limits: Limits) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limits.max_decompressed_bytes)
    except zlib.error as e:
        raise TokenProblem(MALFORMED, f"not zlib: {e}") from None
    if inflater.unconsumed_tail:
        raise TokenProblem(
            DECOMPRESSED_TOO_LARGE, f"token inflates beyond {limits.max_decompressed_bytes} bytes"
        )
    if not inflater.eof:
        raise TokenProblem(MALFORMED, "zlib stream is truncated")
    return out


def _capped(data: bytes, limits: Limits) -> bytes:
    if len(data) > limits.max_decompressed_bytes:
        raise TokenProblem(DECOMPRESSED_TOO_LARGE, f"token is over {limits.max_decompressed_bytes} bytes")
    return data
