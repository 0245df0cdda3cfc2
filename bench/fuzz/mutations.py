"""Shared generators: byte and text mutations of valid samples, edge-case texts, hostile CBOR values.

Hypothesis picks the sample, how many mutations and a seed; a `random.Random` from that seed picks
positions and values. Each Hypothesis draw costs tens of microseconds, so drawing every byte
position through it would make the million inputs take hours; the seed keeps runs reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache
from random import Random
from typing import Any

import cbor2
from hypothesis import strategies as st

# --- generic mutations --------------------------------------------------------------------------

RANDOMS = st.randoms(use_true_random=True)
MUTATIONS = st.integers(1, 4)
INTERESTING_BYTES = bytes([0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x0C, 0x1F, 0x30, 0x31, 0x7F, 0x80, 0x81])
INTERESTING_BYTES += bytes([0x82, 0x84, 0x89, 0x9F, 0xA0, 0xBF, 0xD8, 0xF9, 0xFB, 0xFF])
BYTE_OPS = ("flip", "set", "insert", "delete", "truncate", "repeat", "splice")
REPEATS = (2, 3, 16, 255, 1000)


def mutate_bytes(rng: Random, data: bytes, pool: Sequence[bytes]) -> bytes:
    """One byte-level mutation: a flip, a set, an insertion, a deletion, truncation, repetition or splice."""
    out = bytearray(data)
    op = rng.choice(BYTE_OPS)
    at = rng.randrange(len(out)) if out else 0
    if op == "flip" and out:
        out[at] ^= 1 << rng.randrange(8)
    elif op == "set" and out:
        out[at] = rng.choice(INTERESTING_BYTES)
    elif op == "insert":
        out[at:at] = rng.randbytes(rng.randint(1, 8))
    elif op == "delete":
        del out[at : at + rng.randint(1, 32)]
    elif op == "truncate":
        del out[at:]
    elif op == "repeat" and out:
        out[at:at] = bytes(out[at : at + rng.randint(1, 64)]) * rng.choice(REPEATS)
    else:  # splice: a piece of another sample over or into this one
        other = rng.choice(pool)
        start = rng.randrange(len(other)) if other else 0
        piece = other[start : start + rng.randint(1, 256)]
        out[at : at + rng.randint(0, len(piece))] = piece
    return bytes(out)


@lru_cache(maxsize=256)
def choice_of(samples: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """`sampled_from`, built once per sample set (building and validating a strategy is not cheap)."""
    return st.sampled_from(samples)


@st.composite
def mutated_bytes(draw: st.DrawFn, samples: Sequence[bytes]) -> bytes:
    """A sample with one to four byte-level mutations."""
    data, rng = draw(choice_of(tuple(samples))), draw(RANDOMS)
    for _ in range(draw(MUTATIONS)):
        data = mutate_bytes(rng, data, samples)
    return data


TEXT_SPECIALS: tuple[str, ...] = (
    "\x00",
    "\ufeff",
    "\u200b",
    "\u202e",
    "\udcff",
    "ß",
    "ﬀ",
    "İ",
    "\u0663",
    "\uff15",
    "\uff27",
)
TEXT_SPECIALS += ("\u0301", "|", "$", "-", "/", "<", " ", "\r\n", "\t", "ǅ", "Ⅻ", "\U0001d7d7", "\x85")
TEXT_OPS = ("replace", "insert", "delete", "truncate", "repeat", "splice", "case")


def _char(rng: Random, alphabet: str) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return rng.choice(TEXT_SPECIALS)
    if kind == 1:
        return chr(rng.choice((rng.randrange(0x80), rng.randrange(0x3000), rng.randrange(0x110000))))
    return rng.choice(alphabet)


def mutate_text(rng: Random, text: str, pool: Sequence[str], alphabet: str) -> str:
    """One character-level mutation; confusable digits and letters, controls and lone surrogates too."""
    op = rng.choice(TEXT_OPS)
    at = rng.randrange(len(text)) if text else 0
    if op == "replace":
        return text[:at] + _char(rng, alphabet) + text[at + 1 :]
    if op == "insert":
        return text[:at] + "".join(_char(rng, alphabet) for _ in range(rng.randint(1, 6))) + text[at:]
    if op == "delete":
        return text[:at] + text[at + rng.randint(1, 16) :]
    if op == "truncate":
        return text[:at]
    if op == "repeat":
        return text[:at] + text[at : at + rng.randint(1, 40)] * rng.choice((2, 3, 50, 500)) + text[at:]
    if op == "splice":
        other = rng.choice(pool)
        start = rng.randrange(len(other)) if other else 0
        return text[:at] + other[start : start + rng.randint(1, 80)] + text[at:]
    return text.lower() if rng.random() < 0.5 else text.upper()


@st.composite
def mutated_text(draw: st.DrawFn, samples: Sequence[str], alphabet: str = "") -> str:
    """A sample text with one to four character-level mutations."""
    text, rng = draw(choice_of(tuple(samples))), draw(RANDOMS)
    letters = alphabet or "".join(sorted(set("".join(samples)))) or "a"
    for _ in range(draw(MUTATIONS)):
        text = mutate_text(rng, text, samples, letters)
    return text


# --- edge-case texts (card claims, DG13 fields) -------------------------------------------------

EDGE_TEXTS: tuple[str, ...] = (
    "",
    " ",
    "1990",
    "1990-02-30",
    "0000-01-01",
    "9999-12-31",
    "1990-5-1",
    "19900501",
    "+1990-05-01",
)
EDGE_TEXTS += (
    "1990-05-01T00:00:00",
    "\u0661\u0669\u0669\u0660-\u0660\u0665-\u0660\u0661",
    "x" * 300,
    "GD4404016354956",
    "gd4404016354956",
)
EDGE_TEXTS += ("GD440401635495\uff15", "\x00", "\udcff", "Nguyễn\x00", "0123456789", "2026-W01-1", "2026-001")


# --- CBOR ---------------------------------------------------------------------------------------

CBOR_TAGS: tuple[int, ...] = (
    0,
    1,
    2,
    3,
    4,
    5,
    18,
    21,
    24,
    25,
    28,
    29,
    30,
    32,
    35,
    36,
    37,
    61,
    98,
    256,
    258,
    260,
    261,
)
CBOR_TAGS += (1004, 55799)


# Beyond 64 bits, and beyond the 4300 digits Python will turn into decimal text.
HUGE_INTEGERS = (2**64, -(2**64) - 1, 10**5000, -(10**5000))


def _huge_integer(index: int) -> int:
    """Drawn by index: Hypothesis shows a strategy's values in its repr, and the decimal repr of
    10**5000 is exactly what Python refuses."""
    return HUGE_INTEGERS[index]


@cache
def cbor_values() -> st.SearchStrategy[Any]:
    """Any CBOR data item cbor2 can write, semantic tags included (dates, bignums, shared values...)."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(-(2**80), 2**80),
        st.integers(0, len(HUGE_INTEGERS) - 1).map(_huge_integer),
        st.floats(),
        st.binary(max_size=48),
        st.text(max_size=48),
        st.just(cbor2.undefined),
        st.builds(cbor2.CBORSimpleValue, st.one_of(st.integers(0, 19), st.integers(32, 255))),
    )
    keys = st.one_of(st.integers(-70000, 70000), st.text(max_size=6))
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(keys, inner, max_size=4),
            st.builds(cbor2.CBORTag, st.one_of(st.sampled_from(CBOR_TAGS), st.integers(0, 2**64 - 1)), inner),
        ),
        max_leaves=10,
    )


def dumps(value: Any) -> bytes:
    """CBOR of `value`; the harness's own strategies may build what cbor2 refuses to write."""
    try:
        return bytes(cbor2.dumps(value))
    except Exception:
        return b"\xff"
