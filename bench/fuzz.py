"""Hostile input to every parser of the pure core: 1 M generated inputs, and not one crash.

    python -m bench.fuzz [--inputs 1000000] [--target NAME ...] [--seed 0] [--jobs N]
    python -m bench.fuzz --list                      # the targets and the entry point each drives
    python -m bench.fuzz --replay test-artifacts/fuzz/<reproducer>.json
    python -m bench.fuzz --engine atheris --target cose --inputs 100000   # coverage-guided, optional

Why: a kiosk's scanner and chip reader pass on whatever they read, so every parser meets input
written by an attacker. Each target drives one parser entry point with Hypothesis-generated inputs:
random bytes or text, and structure-aware mutations of *valid* inputs (real signed tokens, chip
reads, master lists, CRLs, legacy QR texts): bit flips, truncation, length fields that lie,
re-tagged and re-filled ASN.1 nodes (with their parents' lengths fixed so the mutation goes deep),
grafts between samples, CBOR maps with hostile values, deep nesting and oversized repetition.

A failure ("crash") is any of:
  - an exception other than the parser's documented error (TokenProblem, ChipError, LegacyQrProblem,
    BadRequest/CardNumberProblem, KeyFileError), or a documented error whose code is not in its table;
  - an input using more than HANG_SECONDS of CPU, stuck for KILL_SECONDS, or allocating beyond the
    worker's address-space cap;
  - a broken verdict property: a mutated token verifies as signature-valid although the bytes it
    signs changed; a mutated chip read passes passive authentication (or the check-in's gate) with
    a changed SOD content or data group; a forged AA signature or CRL or master list is believed.
Every crash is saved as a JSON reproducer under test-artifacts/fuzz/ (run it again with --replay).
Prints a table, writes the figures to BENCHMARKS.md, and exits 1 if anything crashed.
"""

from __future__ import annotations

import argparse
import base64
import ctypes
import json
import math
import os
import pickle
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from hashlib import sha256
from pathlib import Path
from random import Random
from typing import Any

import base45
import cbor2
from asn1crypto import parser as asn1_parser
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from tqdm import tqdm

from bench.report import write_section
from infra.local.signing_keys import KeyKind, write_signing_key
from tests.support.chip_fixtures import (
    NOW as CHIP_NOW,
)
from tests.support.chip_fixtures import (
    TINY_JPEG,
    SignOptions,
    aa_sign_ec,
    aa_sign_rsa,
    build_master_list,
    dg1,
    dg2,
    dg13,
    ec_key,
    iso19794_5_record,
    make_chip,
    make_crl,
    make_csca,
    make_ds,
    make_master_list_signer,
    td1_lines,
)
from verifier.chip import ActiveAuthInput, build_trust_anchors, parse_dg1, parse_dg2, parse_dg13, verify_chip
from verifier.chip.active import parse_dg14_aa_algorithm, parse_dg15, verify_active_authentication
from verifier.chip.cccd import cccd_inconsistencies, parse_cccd_number
from verifier.chip.certs import CertificateSummary, load_certificates
from verifier.chip.cms import parse_signed_data, signature_scheme_name
from verifier.chip.codes import CHIP_REASONS, TRUST_SOURCE_MALFORMED, TRUST_SOURCE_UNVERIFIED
from verifier.chip.crl import crl_signer, parse_crl
from verifier.chip.errors import ChipError
from verifier.chip.masterlist import CSCA_MASTER_LIST_OID, read_master_list
from verifier.chip.mrz import Td1Mrz, parse_td1
from verifier.chip.sod import parse_sod
from verifier.chip.tlv import children, ef_contents, find_first, read_tlv
from verifier.chip.tlv import unwrap as tlv_unwrap
from verifier.chip.trust import TrustAnchors
from verifier.domain.card_number import CardNumberProblem, normalise, parse_card_number
from verifier.domain.identity import IdentityClaim
from verifier.domain.legacy_qr import MALFORMED as QR_MALFORMED
from verifier.domain.legacy_qr import LegacyQrProblem, parse_legacy_qr
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

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "fuzz"
DEFAULT_INPUTS = 1_000_000
CHUNK = 2_000  # inputs per Hypothesis run: bounds its memory, and each run gets its own seed
BATCH = 4  # inputs per Hypothesis example: the drawn one and mutations of it (see run_chunk)
HANG_SECONDS = 2.0  # CPU time over which an input is a failure (a parser must never stall a kiosk)
KILL_SECONDS = 20.0  # in worker processes an input stuck this long is interrupted by SIGALRM
MEMORY_CAP = 1536 * 1024 * 1024  # address space a worker may add to its start-up size (zlib bombs)
PROGRESS_EVERY_S = 15.0  # without a terminal, one progress line this often
PR_SET_PDEATHSIG = 1  # prctl(2)
RECURSION_LIMIT = 1000  # Python's default: what the verifier's threads run with
SAMPLES_PER_SIGNATURE = 3  # reproducers kept per distinct crash (kind and place)
ACCEPTED = "accepted"
SECTION = "Fuzzing: hostile input to every parser"


# --- what a run records -------------------------------------------------------------------------


class Unexpected(AssertionError):
    """A property of a verdict was broken, or a documented error carried an undocumented code."""


class Hang(BaseException):
    """Raised by SIGALRM in an input stuck for KILL_SECONDS; a BaseException so `except Exception`
    in a parser cannot swallow it."""


@dataclass(frozen=True)
class Crash:
    target: str
    kind: str  # exception type, "unraisable <type>", "hang" or "slow"
    where: str  # the innermost frame in the project, or the property that broke
    message: str
    trace: str
    value: Any

    @property
    def signature(self) -> tuple[str, str, str]:
        return (self.target, self.kind, self.where)

    @classmethod
    def of(cls, target: str, error: BaseException, value: Any) -> Crash:
        frames = traceback.extract_tb(error.__traceback__)
        ours = [f for f in frames if f.filename.startswith(str(ROOT / "verifier"))]
        frame = (ours or frames)[-1] if frames else None
        where = f"{Path(frame.filename).name}:{frame.lineno}" if frame is not None else "?"
        if isinstance(error, Unexpected):
            where = str(error).split(":", 1)[0][:80]
        kind = "hang" if isinstance(error, Hang) else type(error).__name__
        trace = "".join(traceback.format_exception(error))
        return cls(target, kind, where, str(error)[:500], trace, value)


@dataclass
class Tally:
    """What one target did: inputs, outcomes by code, crashes (a few reproducers per distinct one)."""

    target: str
    inputs: int = 0
    accepted: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    crashes: int = 0
    samples: list[Crash] = field(default_factory=list)
    slowest_s: float = 0.0
    busy_s: float = 0.0  # CPU time inside the parsers (generation excluded)

    def record(self, outcome: str) -> None:
        if outcome == ACCEPTED:
            self.accepted += 1
        else:
            self.errors[outcome] += 1

    def crashed(self, crash: Crash) -> None:
        self.crashes += 1
        if sum(c.signature == crash.signature for c in self.samples) < SAMPLES_PER_SIGNATURE:
            self.samples.append(crash)

    def merge(self, other: Tally) -> None:
        self.inputs += other.inputs
        self.accepted += other.accepted
        self.errors.update(other.errors)
        self.slowest_s = max(self.slowest_s, other.slowest_s)
        self.busy_s += other.busy_s
        crashes = self.crashes + other.crashes
        for crash in other.samples:
            self.crashed(crash)
        self.crashes = crashes


@dataclass(frozen=True)
class Target:
    """One parser entry point, the inputs that drive it, and how its answer is judged.

    `run` returns ACCEPTED or the code of the documented error; anything it raises is a crash.
    `raw` turns fuzzer bytes into an input for the atheris engine (None: structured input only).
    """

    name: str
    entry: str
    inputs: Callable[[], st.SearchStrategy[Any]]
    run: Callable[[Any], str]
    raw: Callable[[bytes], Any] | None = None


def _known(code: str, table: Mapping[str, str] | frozenset[str]) -> str:
    if code not in table:
        raise Unexpected(f"undocumented error code: {code!r}")
    return code


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


# --- the samples every run starts from ---------------------------------------------------------

WORLD = ARTIFACTS / "world"


def stored(name: str, build: Callable[[], Mapping[str, Any]]) -> Any:
    """The sample set `name` as first built on this machine (`test-artifacts/fuzz/world/NAME.json`).

    Keys and signatures are random, so samples built afresh would differ from those an input was
    generated from: a reproducer would not reproduce and a seed would not repeat its run. The first
    build is kept (first writer wins, atomically) and every later run, worker and replay reads it.
    """
    path = WORLD / f"{name}.json"
    if not path.exists():
        WORLD.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{name}.{os.getpid()}.tmp")
        draft.write_text(json.dumps(encode(build())))
        with suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return decode(json.loads(path.read_text()))


# --- generic mutations --------------------------------------------------------------------------
# Hypothesis picks the sample, how many mutations and a seed; a `random.Random` from that seed picks
# positions and values. Each Hypothesis draw costs tens of microseconds, so drawing every byte
# position through it would make the million inputs take hours; the seed keeps runs reproducible.

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
def _choice(samples: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """`sampled_from`, built once per sample set (building and validating a strategy is not cheap)."""
    return st.sampled_from(samples)


@st.composite
def mutated_bytes(draw: st.DrawFn, samples: Sequence[bytes]) -> bytes:
    """A sample with one to four byte-level mutations."""
    data, rng = draw(_choice(tuple(samples))), draw(RANDOMS)
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
    text, rng = draw(_choice(tuple(samples))), draw(RANDOMS)
    letters = alphabet or "".join(sorted(set("".join(samples)))) or "a"
    for _ in range(draw(MUTATIONS)):
        text = mutate_text(rng, text, samples, letters)
    return text


# --- ASN.1 / BER-TLV structure-aware mutations --------------------------------------------------


@dataclass(frozen=True)
class Node:
    """One TLV in a DER/BER buffer: where it starts, its header, and its parent (-1 at the top)."""

    start: int
    tag: bytes
    header: int  # tag and length octets
    length: int  # content octets
    size: int  # header + content + end-of-contents
    indefinite: bool
    parent: int
    constructed: bool


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    octets = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def _tag_size(data: bytes, start: int) -> int:
    if data[start] & 0x1F != 0x1F:
        return 1
    end = start + 1
    while end < len(data) and data[end] & 0x80:
        end += 1
    return end + 1 - start


@lru_cache(maxsize=512)
def der_nodes(data: bytes) -> tuple[Node, ...]:
    """Every TLV reachable in `data`, also inside OCTET and BIT STRINGs that hold whole DER values."""
    nodes: list[Node] = []

    def walk(start: int, end: int, parent: int, depth: int, whole: bool) -> None:
        mark, offset = len(nodes), start
        while offset < end and depth < 24:
            try:
                _, method, _, header, contents, trailer = asn1_parser.parse(data[offset:end])
            except (ValueError, TypeError, OverflowError):
                if whole:
                    del nodes[mark:]
                return
            size = len(header) + len(contents) + len(trailer)
            index = len(nodes)
            tag = data[offset : offset + _tag_size(data, offset)]
            nodes.append(
                Node(offset, tag, len(header), len(contents), size, bool(trailer), parent, method == 1)
            )
            inner = offset + len(header)
            if method == 1:
                walk(inner, inner + len(contents), index, depth + 1, False)
            elif tag == b"\x04" and contents[:1] in (b"\x30", b"\x31"):
                walk(inner, inner + len(contents), index, depth + 1, True)
            elif tag == b"\x03" and contents[1:2] == b"\x30":
                walk(inner + 1, inner + len(contents), index, depth + 1, True)
            offset += size

    walk(0, len(data), -1, 0, False)
    return tuple(nodes)


def replace_node(data: bytes, nodes: Sequence[Node], index: int, new: bytes) -> bytes:
    """`data` with node `index` replaced by `new`, its ancestors' lengths fixed to stay consistent."""
    node = nodes[index]
    out = bytearray(data)
    out[node.start : node.start + node.size] = new
    delta = len(new) - node.size
    parent = node.parent
    while parent >= 0 and delta:
        above = nodes[parent]
        if not above.indefinite:
            header = above.tag + _der_length(above.length + delta)
            out[above.start : above.start + above.header] = header
            delta += len(header) - above.header
        parent = above.parent
    return bytes(out)


def _emit(tag: bytes, content: bytes) -> bytes:
    return tag + _der_length(len(content)) + content


INTERESTING_TAGS: tuple[bytes, ...] = (
    b"\x00",
    b"\x01",
    b"\x02",
    b"\x03",
    b"\x04",
    b"\x05",
    b"\x06",
    b"\x0c",
    b"\x13",
    b"\x17",
)
INTERESTING_TAGS += (b"\x18", b"\x1e", b"\x30", b"\x31", b"\xa0", b"\xa3", b"\x61", b"\x6d", b"\x5f\x1f")
INTERESTING_TAGS += (b"\x7f\x61", b"\x5f\x2e", b"\x1f\x81\x80\x80\x80\x80\x80\x00", b"\xff")
INTERESTING_CONTENTS = (
    b"",
    b"\x00",
    b"\xff",
    b"\x80",
    bytes(9),
    b"\xff" * 33,
    bytes(300),
    b"\x7f" + b"\xff" * 20,
    b"\x88\x80\x80\x80\x80\x80\x80\x80\x80\x01",  # an OID arc beyond 64 bits
    b"\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02",  # the signedData OID's content
    b"991231235959Z",
    b"20261301000000Z",
    b"000000000000Z",
    b"99123123595",
    b"\xc3\x28",  # invalid UTF-8
    b"\xed\xa0\x80",  # an encoded surrogate
    "Nguyễn Văn An".encode(),
    b"\x01\x00" * 40,
    b"\x01" * 2100,  # an INTEGER of more than 4300 decimal digits
    b"\x80" + b"\x01" * 2100,  # and its negative twin
)
LENGTH_LIES = (
    b"\x80",
    b"\x00",
    b"\x7f",
    b"\x81\x00",
    b"\x84\xff\xff\xff\xff",
    b"\x89" + b"\xff" * 9,
    b"\x8f",
)
DER_OPS = ("length", "content", "graft", "retag", "drop", "dup", "sibling", "nest", "bytes", "bytes")


def mutate_der(rng: Random, data: bytes, pool: Sequence[bytes]) -> bytes:
    """One structure-aware mutation of a DER/BER value (a byte-level one when nothing parses).

    Node-level mutations fix the lengths of every enclosing node, so a changed OID, time, integer or
    name reaches the code that reads it instead of failing at the outermost length."""
    nodes = der_nodes(data)
    op = rng.choice(DER_OPS)
    if not nodes or op == "bytes":
        return mutate_bytes(rng, data, pool)
    index = rng.randrange(len(nodes))
    node = nodes[index]
    whole = data[node.start : node.start + node.size]
    content = data[node.start + node.header : node.start + node.header + node.length]
    if op == "length":  # the length lies; nothing around it is fixed
        lie = rng.choice(LENGTH_LIES) if rng.random() < 0.5 else bytes([rng.randrange(0x80)])
        return data[: node.start + len(node.tag)] + lie + data[node.start + node.header :]
    if op == "content":
        return replace_node(data, nodes, index, _emit(node.tag, _filler(rng)))
    if op == "graft":  # a whole node from any sample in its place
        return replace_node(data, nodes, index, _donor_node(rng, pool))
    if op == "retag":
        return replace_node(data, nodes, index, _emit(rng.choice(INTERESTING_TAGS), content))
    if op == "drop":
        return replace_node(data, nodes, index, b"")
    if op == "dup":
        return replace_node(data, nodes, index, whole * rng.choice((2, 3, 50)))
    if op == "sibling":  # a node after this one, where the schema has an optional field or none
        extra = rng.choice(
            (_donor_node(rng, pool), _nesting(rng, b""), _emit(rng.choice(INTERESTING_TAGS), _filler(rng)))
        )
        return replace_node(data, nodes, index, whole + extra)
    return replace_node(data, nodes, index, _nesting(rng, whole))


def _filler(rng: Random) -> bytes:
    return rng.choice(INTERESTING_CONTENTS) if rng.random() < 0.5 else rng.randbytes(rng.randrange(48))


def _donor_node(rng: Random, pool: Sequence[bytes]) -> bytes:
    donor = rng.choice(pool)
    donor_nodes = der_nodes(donor)
    if not donor_nodes:
        return donor[:64]
    other = rng.choice(donor_nodes)
    return donor[other.start : other.start + other.size]


def _nesting(rng: Random, inner: bytes) -> bytes:
    """`inner` inside many levels of one constructed tag: past Python's recursion limit too."""
    wrapper = rng.choice((b"\x30", b"\x31", b"\x04", b"\xa0"))
    for _ in range(rng.choice((1, 2, 30, 300, 1200))):
        inner = _emit(wrapper, inner)
    return inner


@st.composite
def mutated_der(draw: st.DrawFn, samples: Sequence[bytes], pool: Sequence[bytes] = ()) -> bytes:
    """A valid DER/BER sample with one to three structure-aware mutations."""
    data, rng = draw(_choice(tuple(samples))), draw(RANDOMS)
    donors = [*samples, *pool]
    for _ in range(rng.randint(1, 3)):
        data = mutate_der(rng, data, donors)
    return data


RANDOM_BYTES = st.binary(max_size=400)


def der_inputs(samples: Sequence[bytes], pool: Sequence[bytes] = ()) -> st.SearchStrategy[bytes]:
    """Random bytes (a third) and mutated valid structures (two thirds)."""
    mutated = mutated_der(samples, pool)
    return st.one_of(RANDOM_BYTES, mutated, mutated)


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


# --- digital card tokens ------------------------------------------------------------------------

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
        return _known(e.code, TOKEN_REASONS)
    return ACCEPTED


def run_cose(data: bytes) -> str:
    try:
        message = parse_sign1(data)
    except TokenProblem as e:
        return _known(e.code, TOKEN_REASONS)
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
        _known(code, TOKEN_REASONS)
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
        _known(code, GENUINE_SIGNATURE_CODES)
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


# --- the legacy QR and card numbers -------------------------------------------------------------


def _hexed(text: str) -> str:
    return text.encode().hex()


QR_OLD = (
    "GD4404016354956",
    _hexed("Nguyễn Văn An"),
    "01/05/1990",
    "1",
    _hexed("Số 12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh"),
    "40 - C54",
    "01/01/2026",
    "31/12/2026",
    "15/12/2025",
    "40054016354956",
    "-",
    "4",
    "01/01/2028",
    "1f2fa22c47f0bd18-7102",
)
QR_NEW = (
    "0123456789",
    _hexed("Trần Thị Bích Ngọc"),
    "29/03/1988",
    "2",
    "-",
    "01 - C54",
    "01/07/2023",
    "-",
    "31/07/2023",
    "01050123456789",
    "-",
    "4",
    " 01/10/2027",
    "4641c59ff02659c3-1202",
    "4",
    _hexed("Bảo hiểm xã hội quận Cầu Giấy, Thành phố Hà Nội"),
)
QR_SHORT = (*QR_OLD[:6], "24/01/2019", "-", "24/01/2019")
QR_LAYOUTS = (QR_OLD, QR_NEW, QR_SHORT)
QR_TEXTS = tuple("|".join(fields) + "|$" for fields in QR_LAYOUTS)
QR_EDGES: tuple[str, ...] = (
    "",
    "-",
    " ",
    "$",
    "|",
    "0",
    "1",
    "2",
    "3",
    "00/00/0000",
    "31/02/2024",
    "1/7/2017",
    "0000",
    "9999",
)
QR_EDGES += (
    "01 - C54",
    "01\u2013C54",
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
    "GD440401635495\uff15",
    "\uff27\uff244404016354956",
    "ﬀ",
    "\x00",
    "\ufeff",
)
QR_EDGES += ("gd4404016354956", "29/02/2023", "01/01/10000", "00", "c3", "e1bb", "0a", "ZZ", "1" * 300)


@st.composite
def qr_fields(draw: st.DrawFn) -> str:
    """A real QR with fields replaced, dropped, doubled or re-hexed, and a different ending."""
    rng = draw(RANDOMS)
    fields = list(rng.choice(QR_LAYOUTS))
    for _ in range(draw(MUTATIONS)):
        op = rng.choice(("replace", "edge", "edge", "drop", "dup", "hex", "pipes"))
        at = rng.randrange(len(fields)) if fields else 0
        if op == "replace" and fields:
            fields[at] = draw(SHORT_TEXT)
        elif op == "edge" and fields:
            fields[at] = rng.choice(QR_EDGES)
        elif op == "drop" and fields:
            del fields[at]
        elif op == "dup" and fields:
            fields[at:at] = [fields[at]] * rng.choice((1, 2, 20))
        elif op == "hex" and fields:
            raw = rng.randbytes(rng.randrange(30)) if rng.random() < 0.5 else _utf8(draw(SHORT_TEXT))
            fields[at] = raw.hex().upper() if rng.random() < 0.5 else raw.hex()
        else:
            fields.insert(at, "|" * rng.randint(1, 5))
    return "|".join(fields) + rng.choice(("|$", "$", "|$\r\n", "", "|$X", " | $ ", "$$", "|$\x00"))


SHORT_TEXT = st.text(max_size=30)


def run_legacy_qr(text: str) -> str:
    try:
        qr = parse_legacy_qr(text)
    except LegacyQrProblem as e:
        return _known(e.code, frozenset({QR_MALFORMED}))
    json.dumps(qr.to_json_dict())
    with suppress(CardNumberProblem):  # the check-in judges the number as a card: a verdict, never an error
        parse_card_number(qr.number)
    _ = qr.social_insurance_number
    return ACCEPTED


CARD_NUMBER_SAMPLES = (
    "GD4404016354956",
    "4016354956",
    "GD4 40 40163 54956",
    "gd-440-4016354956",
    "079090001234",
)
CARD_NUMBER_CODES = frozenset({"051", "052", "053"})


def run_card_number(text: str) -> str:
    """What `VerifyCard` does with a typed number: 205 for a bad request, a VSS code for a bad card."""
    try:
        number = parse_card_number(normalise(text))
    except BadRequest as e:
        return _known(e.code, frozenset({BadRequest.code}))
    except CardNumberProblem as e:
        return _known(e.reason, CARD_NUMBER_CODES)
    if parse_card_number(number.text) != number:
        raise Unexpected("unstable: a parsed card number does not parse back to itself")
    return ACCEPTED


# --- chip: ICAO 9303 ----------------------------------------------------------------------------

AA_CHALLENGE = bytes(range(1, 9))


@dataclass(frozen=True)
class ChipRead:
    """A genuine read as a kiosk sends it, and the certificates that vouch for it."""

    sod: bytes
    data_groups: dict[int, bytes]
    csca_der: bytes
    ds_der: bytes


@dataclass(frozen=True)
class ChipWorld:
    """Genuine chips (three signature schemes, RSA and EC active authentication) and trust sources."""

    chips: tuple[ChipRead, ...]
    aa_signatures: tuple[bytes | None, ...]
    anchors: TrustAnchors
    cscas: tuple[asn1_x509.Certificate, ...]
    master_list: bytes
    master_list_content: bytes
    crl: bytes
    crl_tbs: bytes
    csca_pem: bytes
    signed: dict[tuple[bytes, bytes | None], int]  # (eContent, signed attributes) -> chip index

    def pool(self) -> tuple[bytes, ...]:
        """Every valid structure, as donors for grafts and splices."""
        groups = [g for chip in self.chips for g in chip.data_groups.values()]
        return (*[c.sod for c in self.chips], *groups, self.master_list, self.crl, self.chips[0].csca_der)

    def groups(self, number: int) -> tuple[bytes, ...]:
        return tuple(dict.fromkeys(c.data_groups[number] for c in self.chips if number in c.data_groups))


def _build_chip_samples() -> dict[str, Any]:
    """Chips from the test fixtures (their keys are random, hence stored), a CRL and a master list."""
    ec_chip = make_chip(aa="ec")
    rsa_aa_chip = make_chip(aa="rsa", options=SignOptions(scheme="pss"), dg_hash="sha384")
    ec_ds = make_ds(ec_chip.csca, "ds-ec", key=ec_key("ds-ec"), serial=0x1002)
    ecdsa_chip = make_chip(csca=ec_chip.csca, ds=ec_ds, options=SignOptions(scheme="ecdsa", sid="ski"))
    chips: list[dict[str, Any]] = []
    for chip in (ec_chip, rsa_aa_chip, ecdsa_chip):
        signature: bytes | None = None
        if chip.aa_key is not None and 14 in chip.data_groups:
            signature = aa_sign_ec(chip.aa_key, AA_CHALLENGE)  # type: ignore[arg-type]
        elif chip.aa_key is not None:
            signature = aa_sign_rsa(chip.aa_key, AA_CHALLENGE)  # type: ignore[arg-type]
        chips.append(
            {
                "sod": chip.sod,
                "groups": chip.data_groups,
                "csca": chip.csca.der,
                "ds": chip.ds.der,
                "aa": signature,
            }
        )
    de = make_csca("csca-de", key=ec_key("csca-de", "brainpoolP256r1"), common_name="CSCA Germany")
    return {
        "chips": chips,
        "crl": make_crl(ec_chip.csca, [1, 2, 3]),
        "master_list": build_master_list([de.cert], make_master_list_signer(de), SignOptions(scheme="ecdsa")),
    }


@cache
def chip_world() -> ChipWorld:
    samples = stored("chips", _build_chip_samples)
    chips = tuple(ChipRead(c["sod"], dict(c["groups"]), c["csca"], c["ds"]) for c in samples["chips"])
    crl, master_list, csca_der = samples["crl"], samples["master_list"], chips[0].csca_der
    content = parse_signed_data(
        master_list, expected_content_type=CSCA_MASTER_LIST_OID, code=TRUST_SOURCE_MALFORMED, what="ml"
    ).content
    signed: dict[tuple[bytes, bytes | None], int] = {}
    for index, chip in enumerate(chips):
        security = parse_sod(chip.sod)
        signed[(security.signed.content, security.signed.signer.signed_attrs)] = index
    return ChipWorld(
        chips=chips,
        aa_signatures=tuple(c["aa"] for c in samples["chips"]),
        anchors=build_trust_anchors(certificates=[("csca", csca_der)], crls=[("crl", crl)]),
        cscas=(asn1_x509.Certificate.load(csca_der),),
        master_list=master_list,
        master_list_content=content,
        crl=crl,
        crl_tbs=parse_crl(crl).signed["tbs_cert_list"].dump(),
        csca_pem=x509.load_der_x509_certificate(csca_der).public_bytes(serialization.Encoding.PEM),
        signed=signed,
    )


def chip_parser(parse: Callable[[Any], Any]) -> Callable[[Any], str]:
    def run(data: Any) -> str:
        try:
            parse(data)
        except ChipError as e:
            return _known(e.code, CHIP_REASONS)
        return ACCEPTED

    return run


def _touch_mrz(mrz: Td1Mrz) -> None:
    """Every field the identity checks and operator views read."""
    _ = (mrz.document_code, mrz.issuing_state, mrz.document_number, mrz.optional_data_1, mrz.sex)
    _ = (mrz.birth_date_text, mrz.expiry_date_text, mrz.nationality, mrz.optional_data_2, mrz.name)
    _ = (mrz.expiry_date, mrz.birth_date(1900), mrz.birth_date(2000), mrz.cccd_number)
    mrz.check_digit_failures()


def _parse_sod(data: bytes) -> None:
    security = parse_sod(data)
    _ = (
        security.signed.signer_certificate(),
        signature_scheme_name(security.signed),
        dict(security.dg_hashes),
    )


def _parse_dg1(data: bytes) -> None:
    _touch_mrz(parse_dg1(data))


def _parse_mrz(text: str) -> None:
    _touch_mrz(parse_td1(text))


def _parse_dg13(data: bytes) -> None:
    personal = parse_dg13(data)
    _ = (
        personal.date_of_birth,
        personal.birth_year,
        personal.issue_date,
        personal.expiry_date,
        personal.gender,
    )


def _parse_dg2(data: bytes) -> None:
    image = parse_dg2(data)
    _ = (image.format, image.size, image.width, image.height)


def _parse_tlv(data: bytes) -> None:
    """The BER-TLV walker under every data group parser, each of its entry points."""
    ef_contents(data)
    first = read_tlv(data)
    list(children(first.value))
    find_first(data, frozenset({0x5F2E, 0x7F2E, 0x5F1F}))
    tlv_unwrap(data, first.tag)


def _parse_certificates(data: bytes) -> None:
    for cert in load_certificates(data, code=TRUST_SOURCE_MALFORMED):
        CertificateSummary.of(cert).to_dict()


def run_master_list(data: bytes) -> str:
    world = chip_world()
    try:
        report = read_master_list(data, world.cscas)
    except ChipError as e:
        return _known(e.code, CHIP_REASONS)
    if not report.accepted:
        return TRUST_SOURCE_UNVERIFIED
    signed = parse_signed_data(
        data, expected_content_type=CSCA_MASTER_LIST_OID, code=TRUST_SOURCE_MALFORMED, what="ml"
    )
    if signed.content != world.master_list_content:
        raise Unexpected("forgery: a master list with changed content is accepted")
    return ACCEPTED


def run_crl(data: bytes) -> str:
    """A CRL is believed once its CSCA's signature verifies: never with a changed body."""
    world = chip_world()
    try:
        revocations = parse_crl(data)
    except ChipError as e:
        return _known(e.code, CHIP_REASONS)
    _ = (revocations.is_current(CHIP_NOW), revocations.revocation_date(1))
    if crl_signer(revocations, list(world.cscas)) is None:
        return TRUST_SOURCE_UNVERIFIED
    if revocations.signed["tbs_cert_list"].dump() != world.crl_tbs:
        raise Unexpected("forgery: a CRL with a changed body is believed")
    return ACCEPTED


def run_cccd(text: str) -> str:
    try:
        number = parse_cccd_number(text)
    except ChipError as e:
        return _known(e.code, CHIP_REASONS)
    _ = (number.province_code, number.gender, number.birth_year, number.century)
    cccd_inconsistencies(number, date_of_birth=date(1993, 1, 5), gender=Gender.FEMALE)
    cccd_inconsistencies(number, birth_year=1960)
    return ACCEPTED


@st.composite
def trust_sources(draw: st.DrawFn) -> dict[str, bytes]:
    world = chip_world()
    rng, pool = draw(RANDOMS), world.pool()
    sources = {"certificate": world.chips[0].csca_der, "master_list": world.master_list, "crl": world.crl}
    for name in rng.sample(sorted(sources), rng.randint(1, 3)):
        sources[name] = broken(rng, sources[name], pool)
    return sources


def broken(rng: Random, data: bytes, pool: Sequence[bytes]) -> bytes:
    """One to three structure-aware mutations, or (one time in five) random bytes instead."""
    if rng.random() < 0.2:
        return rng.randbytes(rng.randrange(200))
    for _ in range(rng.randint(1, 3)):
        data = mutate_der(rng, data, pool)
    return data


def run_trust_store(sources: Mapping[str, bytes]) -> str:
    """The trust store build never raises: each bad source is a listed problem; no forgery is believed."""
    world = chip_world()
    anchors = build_trust_anchors(
        certificates=[("certificate", sources["certificate"])],
        master_lists=[("master_list", sources["master_list"])],
        crls=[("crl", sources["crl"])],
    )
    for problem in anchors.problems:
        _known(problem.code, CHIP_REASONS)
        problem.to_dict()
    failed = {p.source for p in anchors.problems}
    if "crl" not in failed and anchors.crls[0].signed["tbs_cert_list"].dump() != world.crl_tbs:
        raise Unexpected("forgery: a CRL with a changed body is believed by the trust store")
    if "master_list" not in failed and run_master_list(sources["master_list"]) != ACCEPTED:
        raise Unexpected("forgery: the trust store imports a master list that does not verify")
    return anchors.problems[0].code if anchors.problems else ACCEPTED


@st.composite
def aa_inputs(draw: st.DrawFn) -> dict[str, Any]:
    world = chip_world()
    rng, pool = draw(RANDOMS), world.pool()
    index = rng.choice([i for i, s in enumerate(world.aa_signatures) if s is not None])
    chip = world.chips[index]
    read: dict[str, Any] = {
        "dg15": chip.data_groups[15],
        "dg14": chip.data_groups.get(14),
        "signature": world.aa_signatures[index],
    }
    for name in rng.sample(["dg15", "dg14", "signature"], rng.randint(1, 3)):
        value = read[name] or b"\x6e\x00"
        if name == "signature":
            read[name] = (
                mutate_bytes(rng, value, pool) if rng.random() < 0.8 else rng.randbytes(rng.randrange(140))
            )
        else:
            read[name] = broken(rng, value, pool) if rng.random() < 0.9 else None
    if read["dg15"] is None:
        read["dg15"] = b""
    return read


def run_active_auth(read: Mapping[str, Any]) -> str:
    """ICAO 9303-11 §6.1: only the chip's own key over our challenge passes."""
    world = chip_world()
    check = verify_active_authentication(read["dg15"], AA_CHALLENGE, read["signature"], read["dg14"])
    if not check.passed:
        if not check.code:
            raise Unexpected("no code: a failed active authentication carries no code")
        return _known(check.code, CHIP_REASONS)
    genuine = [
        (c.data_groups[15], s) for c, s in zip(world.chips, world.aa_signatures, strict=True) if s is not None
    ]
    key = parse_dg15(read["dg15"]).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    keys = {
        parse_dg15(d).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ): s
        for d, s in genuine
    }
    if keys.get(key) != read["signature"]:
        raise Unexpected("forgery: active authentication passes with a changed key or signature")
    return ACCEPTED


@st.composite
def chip_reads(draw: st.DrawFn) -> dict[str, Any]:
    """A genuine chip read with its SOD, data groups or AA signature broken, dropped, swapped or added."""
    world = chip_world()
    rng, pool = draw(RANDOMS), world.pool()
    index = rng.randrange(len(world.chips))
    chip = world.chips[index]
    sod, groups, signature = chip.sod, dict(chip.data_groups), world.aa_signatures[index]
    for _ in range(rng.randint(1, 3)):
        op = rng.choice(("sod", "dg", "dg", "drop", "add", "swap", "signature", "other-sod", "pad"))
        numbers = sorted(groups)
        if op == "sod":
            sod = broken(rng, sod, pool)
        elif op == "dg" and numbers:
            number = rng.choice(numbers)
            groups[number] = broken(rng, groups[number], pool)
        elif op == "drop" and numbers:
            del groups[rng.choice(numbers)]
        elif op == "add":
            groups[rng.randint(-2, 40)] = rng.choice(pool) if rng.random() < 0.5 else rng.randbytes(64)
        elif op == "swap" and len(numbers) > 1:
            a, b = rng.sample(numbers, 2)
            groups[a], groups[b] = groups[b], groups[a]
        elif op == "signature":
            choice = rng.randrange(3)
            if choice == 0:
                signature = None
            else:
                signature = (
                    mutate_bytes(rng, signature or b"\x00", pool) if choice == 1 else rng.randbytes(140)
                )
        elif op == "other-sod":
            sod = rng.choice([c.sod for c in world.chips])
        elif op == "pad" and numbers:
            groups[rng.choice(numbers)] += rng.choice((b"\x00", b"\xff" * 8, b"\x00\x01"))
    return {"sod": sod, "groups": groups, "signature": signature}


def run_chip(read: Mapping[str, Any]) -> str:
    """`verify_chip`, as the chip check-in calls it; a read is linked to a person only when it has no
    error code, so such a read must be the genuine bytes: the SOD's signed parts and every group."""
    world = chip_world()
    signature = read["signature"]
    active = ActiveAuthInput(AA_CHALLENGE, signature) if signature is not None else None
    report = verify_chip(read["sod"], read["groups"], world.anchors, CHIP_NOW, active_auth=active)
    for code in report.errors:
        _known(code, CHIP_REASONS)
    json.dumps(report.to_dict())
    if report.errors and not report.passive.valid:
        return report.errors[0]
    security = parse_sod(read["sod"])
    index = world.signed.get((security.signed.content, security.signed.signer.signed_attrs))
    if index is None:
        raise Unexpected("forgery: a changed EF.SOD passes passive authentication")
    genuine = world.chips[index].data_groups
    if any(genuine.get(number) != data for number, data in read["groups"].items()):
        raise Unexpected("forgery: a changed data group passes passive authentication")
    if report.active is not None and report.active.passed and signature != world.aa_signatures[index]:
        raise Unexpected("forgery: a changed AA signature passes active authentication")
    return report.errors[0] if report.errors else ACCEPTED


# --- the targets --------------------------------------------------------------------------------

MRZ_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"


def _dg13_random() -> st.SearchStrategy[bytes]:
    encodable = [t for t in EDGE_TEXTS if "\udcff" not in t]  # DG13 text is UTF-8 on the chip
    text = st.one_of(st.text(max_size=30), st.sampled_from(encodable))
    value = st.one_of(text, st.lists(text, max_size=3).map(tuple))
    fields = st.dictionaries(st.integers(-3, 300), value, max_size=8)
    return st.builds(
        lambda f, n, w: dg13(f, nested_parents=n, wrapper=w), fields, st.booleans(), st.booleans()
    )


def _dg2_random() -> st.SearchStrategy[bytes]:
    image = st.one_of(
        st.just(TINY_JPEG), st.binary(max_size=64), st.sampled_from([b"\xff\xd8\xff", b"\xff\x4f\xff\x51"])
    )
    record = st.one_of(
        st.builds(
            lambda i, t, w, h: iso19794_5_record(i, image_type=t, width=w, height=h),
            image,
            st.integers(0, 255),
            st.integers(0, 65535),
            st.integers(0, 65535),
        ),
        st.binary(max_size=120),
    )
    return st.builds(lambda r, tag: dg2(record=r, block_tag=tag), record, st.sampled_from([0x5F2E, 0x7F2E]))


def _chip_der(
    *numbers: int, extra: Callable[[], st.SearchStrategy[bytes]] | None = None
) -> Callable[[], st.SearchStrategy[bytes]]:
    def inputs() -> st.SearchStrategy[bytes]:
        world = chip_world()
        samples = [g for n in numbers for g in world.groups(n)]
        base = der_inputs(samples, world.pool())
        return st.one_of(base, extra()) if extra is not None else base

    return inputs


def _sod_inputs() -> st.SearchStrategy[bytes]:
    world = chip_world()
    return der_inputs([c.sod for c in world.chips], world.pool())


def _dg1_random() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.text(MRZ_ALPHABET, min_size=88, max_size=92), mutated_text([td1_lines()], MRZ_ALPHABET)
    ).map(lambda t: dg1(t.encode("ascii", "replace").decode("ascii")))


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            "token-framing",
            "tokens.framing.unwrap (prefix, Base45, zlib)",
            token_texts,
            run_framing,
            _text,
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
        Target(
            "token-verify", "TokenAuthority.verify (the whole token check)", token_texts, run_token, _text
        ),
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
                mutated_text([c.decode() for c in token_world().certificates if c[:1] == b"-"]).map(_utf8),
            ),
            run_signing_certificate,
            bytes,
        ),
        Target(
            "legacy-qr",
            "domain.legacy_qr.parse_legacy_qr",
            lambda: st.one_of(st.text(max_size=300), qr_fields(), mutated_text(QR_TEXTS)),
            run_legacy_qr,
            _text,
        ),
        Target(
            "card-number",
            "domain.card_number.normalise + parse_card_number",
            lambda: st.one_of(st.text(max_size=40), mutated_text(CARD_NUMBER_SAMPLES)),
            run_card_number,
            _text,
        ),
        Target(
            "tlv",
            "chip.tlv (read_tlv, children, find_first, unwrap, ef_contents)",
            _chip_der(1, 2, 13, 14, 15),
            chip_parser(_parse_tlv),
            bytes,
        ),
        Target(
            "sod",
            "chip.sod.parse_sod (EF.SOD, CMS SignedData, LDS object)",
            _sod_inputs,
            chip_parser(_parse_sod),
            bytes,
        ),
        Target(
            "dg1", "chip.mrz.parse_dg1 (DG1)", _chip_der(1, extra=_dg1_random), chip_parser(_parse_dg1), bytes
        ),
        Target(
            "mrz",
            "chip.mrz.parse_td1 (TD1 MRZ text, check digits)",
            lambda: st.one_of(
                st.text(max_size=100),
                st.text(MRZ_ALPHABET, min_size=90, max_size=90),
                mutated_text([td1_lines()], MRZ_ALPHABET),
            ),
            chip_parser(_parse_mrz),
            _text,
        ),
        Target(
            "dg13",
            "chip.dg13.parse_dg13 (Vietnamese personal data)",
            _chip_der(13, extra=_dg13_random),
            chip_parser(_parse_dg13),
            bytes,
        ),
        Target(
            "dg2",
            "chip.dg2.parse_dg2 (face image, ISO 19794-5)",
            _chip_der(2, extra=_dg2_random),
            chip_parser(_parse_dg2),
            bytes,
        ),
        Target(
            "dg14",
            "chip.active.parse_dg14_aa_algorithm (SecurityInfos)",
            _chip_der(14),
            chip_parser(parse_dg14_aa_algorithm),
            bytes,
        ),
        Target(
            "dg15", "chip.active.parse_dg15 (AA public key)", _chip_der(15), chip_parser(parse_dg15), bytes
        ),
        Target(
            "cccd",
            "chip.cccd.parse_cccd_number + cccd_inconsistencies",
            lambda: st.one_of(
                st.text(max_size=20),
                st.text("0123456789", min_size=10, max_size=14),
                mutated_text(["001093012345"]),
            ),
            run_cccd,
            _text,
        ),
        Target(
            "master-list",
            "chip.masterlist.read_master_list (CMS, CSCA set)",
            lambda: der_inputs([chip_world().master_list], chip_world().pool()),
            run_master_list,
            bytes,
        ),
        Target(
            "crl",
            "chip.crl.parse_crl + crl_signer",
            lambda: der_inputs([chip_world().crl], chip_world().pool()),
            run_crl,
            bytes,
        ),
        Target(
            "certificate",
            "chip.certs.load_certificates (CSCA files, PEM or DER)",
            lambda: st.one_of(
                der_inputs(
                    [chip_world().chips[0].csca_der, chip_world().chips[2].ds_der], chip_world().pool()
                ),
                mutated_text([chip_world().csca_pem.decode()]).map(_utf8),
            ),
            chip_parser(_parse_certificates),
            bytes,
        ),
        Target(
            "trust-store",
            "chip.trust.build_trust_anchors (certificates, master lists, CRLs)",
            trust_sources,
            run_trust_store,
        ),
        Target(
            "active-auth",
            "chip.active.verify_active_authentication (DG15, DG14, signature)",
            aa_inputs,
            run_active_auth,
        ),
        Target(
            "chip-verify",
            "chip.verify_chip (passive, identity, active: the check-in's gate)",
            chip_reads,
            run_chip,
        ),
    )
}


# --- running ------------------------------------------------------------------------------------


def execute(target: Target, value: Any, tally: Tally, *, alarm: bool) -> None:
    """Run one input; any exception is recorded as a crash with its input, never raised.

    "Slow" is judged on the CPU time the input used, not the wall clock: on a shared machine a
    descheduled process would otherwise turn a 50 ms input into a false finding. A real hang (an
    endless loop) is still cut by the wall-clock alarm. An exception a library swallowed and
    reported as "unraisable" (to stderr, where an attacker's input would fill the logs) counts too.
    Hypothesis raises the recursion limit for its own needs; the parser runs under Python's default,
    as in the verifier, or a deeply nested input would pass here and crash there.
    """
    started = time.process_time()
    outcome: str | None = None
    unraisable: list[sys.UnraisableHookArgs] = []
    previous_hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(RECURSION_LIMIT)
    _announce(target.name, value)
    if alarm:
        signal.setitimer(signal.ITIMER_REAL, KILL_SECONDS)
    try:
        outcome = target.run(value)
    except (Exception, Hang) as error:  # every exception is a finding, kept with its input
        tally.crashed(Crash.of(target.name, error, value))
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
        sys.setrecursionlimit(previous_limit)
        sys.unraisablehook = previous_hook
        _finished()
    cpu = time.process_time() - started
    tally.inputs += 1
    tally.busy_s += cpu
    tally.slowest_s = max(tally.slowest_s, cpu)
    if outcome is not None:
        tally.record(outcome)
    for report in unraisable[:1]:
        if report.exc_value is not None:
            crash = Crash.of(target.name, report.exc_value, value)
            tally.crashed(replace(crash, kind=f"unraisable {crash.kind}"))
    if cpu > HANG_SECONDS:
        message = f"one input took {cpu:.1f} s of CPU (limit {HANG_SECONDS} s)"
        tally.crashed(Crash(target.name, "slow", "slow input", message, message, value))


def _raise_hang(signum: int, frame: object) -> None:
    raise Hang(f"input still running after {KILL_SECONDS} s")


def run_chunk(name: str, count: int, seed: int, alarm: bool = False) -> Tally:
    """`count` generated inputs for one target (Hypothesis generation only: no shrinking, no database).

    Each Hypothesis example is a batch: the drawn input, then BATCH - 1 siblings, each one further
    mutation of it by a seeded `random.Random`. Hypothesis's own cost per example (about a millisecond here)
    would otherwise be most of the run; a batch keeps its choice of starting points and spreads it.
    """
    target = TARGETS[name]
    strategy = st.tuples(target.inputs(), RANDOMS)  # builds the samples before anything is timed
    tally = Tally(name)
    if alarm:
        signal.signal(signal.SIGALRM, _raise_hang)

    @hypothesis_seed(seed)
    @settings(
        max_examples=-(-count // BATCH),
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        print_blob=False,
    )
    @given(strategy)
    def drive(drawn: tuple[Any, Random]) -> None:
        value, rng = drawn
        for index in range(min(BATCH, count - tally.inputs)):
            execute(target, mutate_value(rng, value) if index else value, tally, alarm=alarm)

    drive()
    return tally


def mutate_value(rng: Random, value: Any) -> Any:
    """One more mutation of an input of any target: bytes structure-aware, text by character, and
    in a structured input (a chip read, trust sources) one of its parts."""
    if isinstance(value, bytes):
        return mutate_der(rng, value, (value,))
    if isinstance(value, str):
        return mutate_text(rng, value, (value,), value or "a")
    if isinstance(value, Mapping):
        parts = [key for key, part in value.items() if isinstance(part, bytes | str | Mapping)]
        if parts:
            key = rng.choice(parts)
            return {**value, key: mutate_value(rng, value[key])}
    return value


def run_target(name: str, count: int, seed: int = 0, *, chunk: int = CHUNK) -> Tally:
    """One target in this process (the unit tests' entry point)."""
    tally = Tally(name)
    for index, size in enumerate(_sizes(count, chunk)):
        tally.merge(run_chunk(name, size, chunk_seed(seed, name, index)))
    return tally


def chunk_seed(seed: int, name: str, index: int) -> int:
    return zlib.crc32(f"{seed}:{name}:{index}".encode())


def _sizes(count: int, chunk: int) -> list[int]:
    return [min(chunk, count - start) for start in range(0, count, chunk)]


def plan(total: int, names: Sequence[str]) -> dict[str, int]:
    """`total` inputs split evenly over the targets (the first ones take the remainder)."""
    share, extra = divmod(total, len(names))
    return {name: share + (i < extra) for i, name in enumerate(names)}


def _worker_start() -> None:
    """Worker start-up: cap the address space, so a decompression bomb fails as MemoryError (a
    crash), and ask Linux to end this worker with its parent (a killed run leaves no orphans)."""
    size = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            size = int(line.split()[1]) * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = size + MEMORY_CAP
    if hard == resource.RLIM_INFINITY or cap < hard:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    global _inflight
    INFLIGHT.mkdir(parents=True, exist_ok=True)
    _inflight = os.open(INFLIGHT / str(os.getpid()), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)


# --- hangs inside C code ---------------------------------------------------------------------------
# SIGALRM only interrupts Python code: a loop inside a C extension (cbor2 hashing a shared structure,
# say) holds the interpreter and never returns. So each worker announces the input it is running in
# a small file, and the parent kills a worker whose input has been running for WATCHDOG_SECONDS,
# saving that input as a "hang" reproducer.

INFLIGHT = ARTIFACTS / "inflight"
WATCHDOG_SECONDS = 60.0
POLL_SECONDS = 5.0  # how often the parent looks at its workers
_HEADER = struct.Struct("<dI")  # when the input started (monotonic clock, 0 = none running), its size
_inflight: int | None = None  # this worker's announcement file (None outside worker processes)


def _announce(target: str, value: Any) -> None:
    if _inflight is not None:
        payload = pickle.dumps((target, value))
        os.pwrite(_inflight, _HEADER.pack(time.monotonic(), len(payload)) + payload, 0)


def _finished() -> None:
    if _inflight is not None:
        os.pwrite(_inflight, _HEADER.pack(0.0, 0), 0)


def _stuck_inputs(workers: set[int]) -> list[Crash]:
    """The inputs a worker has been running for WATCHDOG_SECONDS, each as a "hang" crash."""
    stuck: list[Crash] = []
    for pid in workers:
        try:
            data = (INFLIGHT / str(pid)).read_bytes()
            started, size = _HEADER.unpack_from(data)
        except (OSError, struct.error):
            continue
        running = time.monotonic() - started
        if started and running > WATCHDOG_SECONDS and len(data) >= _HEADER.size + size:
            target, value = pickle.loads(data[_HEADER.size : _HEADER.size + size])
            message = f"one input still running after {running:.0f} s (inside C code: no alarm reached it)"
            stuck.append(Crash(target, "hang", "no return", message, message, value))
    return stuck


def _worker(name: str, count: int, seed: int) -> tuple[Tally, int]:
    tally = run_chunk(name, count, seed, alarm=True)
    return tally, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def fuzz(counts: Mapping[str, int], seed: int, jobs: int, chunk: int) -> tuple[dict[str, Tally], int]:
    """Every target's inputs in chunks over `jobs` processes; the tallies and the peak worker RSS (KiB)."""
    tallies = {name: Tally(name) for name in counts}
    token_world(), chip_world()  # stored once, before the workers start (they read the same samples)
    tasks = [
        (name, size, chunk_seed(seed, name, i))
        for name, n in counts.items()
        for i, size in enumerate(_sizes(n, chunk))
    ]
    tasks.sort(key=lambda task: chunk_seed(seed, task[0], task[2]) % 9973)  # mix targets: steady progress
    peak, total = 0, sum(counts.values())
    reported: set[tuple[str, str, str]] = set()
    tty = sys.stderr.isatty()
    started = last = time.perf_counter()
    with (
        tqdm(total=total, unit=" inputs", unit_scale=True, file=sys.stderr, disable=not tty) as bar,
        ProcessPoolExecutor(max_workers=jobs, initializer=_worker_start) as pool,
    ):
        pending = {pool.submit(_worker, *task) for task in tasks}
        workers: set[int] = set()
        while pending:
            completed, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in completed:
                tally, rss = future.result()
                tallies[tally.target].merge(tally)
                peak = max(peak, rss)
                for crash in tally.samples:  # shown (and saved) at once: a long run need not be waited out
                    if crash.signature not in reported:
                        reported.add(crash.signature)
                        path = save_reproducer(crash, seed)
                        bar.write(
                            f"crash: {crash.target} {crash.kind} at {crash.where}: {path}", file=sys.stderr
                        )
                bar.update(tally.inputs)
            crashes = sum(t.crashes for t in tallies.values())
            bar.set_postfix(crashes=crashes)
            workers = {process.pid for process in pool._processes.values() if process.pid is not None}
            stuck = _stuck_inputs(workers)
            if stuck:  # the run cannot go on without the pool: report the hang and what was done
                for crash in stuck:
                    tallies[crash.target].crashed(crash)
                    bar.write(f"hang: {crash.target}: {save_reproducer(crash, seed)}", file=sys.stderr)
                for pid in workers:
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                pool.shutdown(wait=False, cancel_futures=True)
                break
            now = time.perf_counter()
            if not tty and now - last >= PROGRESS_EVERY_S:  # a log file gets a line now and then
                last, done = now, sum(t.inputs for t in tallies.values())
                eta = (now - started) / max(done, 1) * (total - done)
                print(
                    f"{done:,}/{total:,} inputs, {done / (now - started):,.0f}/s, "
                    f"{crashes} crashes, ETA {eta / 60:.1f} min",
                    file=sys.stderr,
                    flush=True,
                )
        for pid in workers:
            (INFLIGHT / str(pid)).unlink(missing_ok=True)
    return tallies, peak


# --- reproducers --------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A JSON form of an input that `decode` turns back into the same value."""
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    if isinstance(value, str):
        return {"text": value.encode("utf-8", "surrogatepass").hex()}
    if isinstance(value, Mapping):
        return {"map": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return {"list": [encode(v) for v in value]}
    return {"json": value}


def decode(form: Mapping[str, Any]) -> Any:
    if "hex" in form:
        return bytes.fromhex(form["hex"])
    if "text" in form:
        return bytes.fromhex(form["text"]).decode("utf-8", "surrogatepass")
    if "map" in form:
        return {decode(k): decode(v) for k, v in form["map"]}
    if "list" in form:
        return [decode(v) for v in form["list"]]
    return form["json"]


def save_reproducer(crash: Crash, seed: int) -> Path:
    body = {
        "target": crash.target,
        "kind": crash.kind,
        "where": crash.where,
        "message": crash.message,
        "seed": seed,
        "samples": {p.name: sha256(p.read_bytes()).hexdigest()[:16] for p in sorted(WORLD.glob("*.json"))},
        "replay": "python -m bench.fuzz --replay <this file>",
        "input": encode(crash.value),
        "traceback": crash.trace,
    }
    text = json.dumps(body, indent=2, ensure_ascii=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{crash.target}-{sha256(text.encode()).hexdigest()[:12]}.json"
    path.write_text(text)
    return path


def replay(path: Path) -> int:
    """Run a saved input again, without catching anything, so the traceback shows where it breaks."""
    saved = json.loads(path.read_text())
    target = TARGETS[saved["target"]]
    target.inputs()
    outcome = target.run(decode(saved["input"]))
    print(f"{target.name}: {outcome}")
    return 0


# --- the report ---------------------------------------------------------------------------------


def _codes(errors: Counter[str]) -> str:
    shown = [f"{code} {count:,}" for code, count in errors.most_common(4)]
    if len(errors) > 4:
        shown.append(f"+{len(errors) - 4} codes")
    return ", ".join(shown) or "-"


def table(tallies: Mapping[str, Tally]) -> list[str]:
    rows = [
        "| target | parser entry point | inputs | accepted | clean errors (by code) | crashes "
        "| CPU per input: mean / slowest |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, tally in tallies.items():
        mean = tally.busy_s / tally.inputs if tally.inputs else 0.0
        rows.append(
            f"| `{name}` | {TARGETS[name].entry} | {tally.inputs:,} | {tally.accepted:,} "
            f"| {_codes(tally.errors)} | {tally.crashes} "
            f"| {mean * 1000:.2f} / {tally.slowest_s * 1000:.0f} ms |"
        )
    total = sum(t.inputs for t in tallies.values())
    crashes = sum(t.crashes for t in tallies.values())
    accepted = sum(t.accepted for t in tallies.values())
    rows.append(f"| **all** | | **{total:,}** | {accepted:,} | | **{crashes}** | |")
    return rows


def report_body(tallies: Mapping[str, Tally], wall_s: float, jobs: int, seed: int, peak_kib: int) -> str:
    total = sum(t.inputs for t in tallies.values())
    crashes = sum(t.crashes for t in tallies.values())
    slowest = max((t.slowest_s for t in tallies.values()), default=0.0)
    lines = [
        *table(tallies),
        "",
        f"{total:,} inputs in {wall_s / 60:.1f} min ({total / wall_s:,.0f}/s) on {jobs} processes, "
        f"seed {seed}; "
        f"**{crashes} crashes**; peak worker RSS {peak_kib / 1024:.0f} MiB (cap: start-up + "
        f"{MEMORY_CAP >> 20} MiB of address space); slowest input {slowest * 1000:.0f} ms of CPU "
        f"(limit {HANG_SECONDS:.0f} s).",
        "",
        "Each target drives one parser with Hypothesis (generation only, seeded): random bytes or text and "
        "structure-aware mutations of valid inputs (signed tokens of three key kinds, chip reads with three "
        "signature schemes and RSA/EC active authentication, a master list, a CRL, certificates, legacy QR "
        f"texts); each Hypothesis example yields {BATCH} inputs, the drawn one and {BATCH - 1} mutations "
        "of it. "
        "*Accepted* counts inputs the parser took (for the verify targets: a valid verdict); every "
        "other input ended in the parser's documented error and code. A crash is any other exception "
        "(also one a library swallowed as unraisable), an input over the CPU limit or the memory cap, or "
        "a broken verdict property: a mutated token that verifies as "
        "signature-valid with changed signed bytes, a mutated chip read that passes passive authentication "
        "(or the check-in's gate) with a changed SOD content, data group or AA signature, a CRL or master "
        "list believed with a changed body. Reproducers go to `test-artifacts/fuzz/` "
        "(`python -m bench.fuzz --replay FILE`).",
    ]
    return "\n".join(lines)


# --- atheris (optional, coverage-guided) --------------------------------------------------------


def run_atheris(names: Sequence[str], counts: Mapping[str, int], seed: int) -> int:
    """Each byte- or text-input target under libFuzzer, one process each; structured targets are skipped."""
    try:
        import atheris  # noqa: F401 - only to tell the user early that the engine is missing
    except ImportError:
        print(
            "atheris is not installed: pip install atheris (optional, not a project dependency)",
            file=sys.stderr,
        )
        return 2
    failures = 0
    for name in names:
        if TARGETS[name].raw is None:
            print(f"{name}: structured input, skipped under atheris (the hypothesis engine covers it)")
            continue
        corpus = Path(tempfile.mkdtemp(prefix=f"bhyt-fuzz-{name}-"))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "bench.fuzz",
            "--atheris-child",
            name,
            str(corpus),
            f"-runs={counts[name]}",
            f"-seed={seed + 1}",
            f"-timeout={int(KILL_SECONDS)}",
            "-rss_limit_mb=2048",
            f"-artifact_prefix={ARTIFACTS}/{name}-atheris-",
            "-print_final_stats=1",
        ]
        print(f"{name}: {' '.join(command[2:])}", flush=True)
        try:
            done = subprocess.run(command, cwd=ROOT, check=False)
        finally:
            shutil.rmtree(corpus, ignore_errors=True)
        failures += done.returncode != 0
        print(f"{name}: {'CRASH' if done.returncode else 'no crash'} (exit {done.returncode})", flush=True)
    return 1 if failures else 0


def atheris_child(name: str, corpus: Path, libfuzzer_args: Sequence[str]) -> None:
    """Inside the child: seed the corpus with valid samples, instrument the loaded code, fuzz."""
    import atheris

    target = TARGETS[name]
    raw = target.raw
    assert raw is not None
    strategy = target.inputs()
    for index in range(64):  # a few generated inputs (valid samples mutated) as the starting corpus
        value = strategy.example() if index else None
        if isinstance(value, str):
            (corpus / f"seed-{index}").write_bytes(value.encode("utf-8", "surrogateescape"))
        elif isinstance(value, bytes):
            (corpus / f"seed-{index}").write_bytes(value)

    def one_input(data: bytes) -> None:
        target.run(raw(data))

    atheris.instrument_all()
    atheris.Setup([sys.argv[0], *libfuzzer_args, str(corpus)], one_input)
    atheris.Fuzz()


# --- the command --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["--atheris-child"]:
        atheris_child(args_list[1], Path(args_list[2]), args_list[3:])
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m bench.fuzz",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="targets: " + ", ".join(TARGETS),
    )
    parser.add_argument(
        "--inputs",
        type=int,
        default=DEFAULT_INPUTS,
        help="inputs in all, split evenly over the targets (default 1,000,000)",
    )
    parser.add_argument(
        "--target",
        action="append",
        choices=sorted(TARGETS),
        metavar="NAME",
        help="only this target (repeatable; default: all)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of every Hypothesis run (default 0): the same seed generates the same inputs",
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: one per core)"
    )
    parser.add_argument(
        "--chunk", type=int, default=CHUNK, help=f"inputs per Hypothesis run (default {CHUNK})"
    )
    parser.add_argument(
        "--engine",
        choices=("hypothesis", "atheris"),
        default="hypothesis",
        help="atheris: coverage-guided libFuzzer, if installed",
    )
    parser.add_argument("--no-report", action="store_true", help="do not write BENCHMARKS.md")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    parser.add_argument(
        "--replay", type=Path, metavar="FILE", help="run a saved reproducer again and show its traceback"
    )
    args = parser.parse_args(args_list)
    if args.list:
        for target in TARGETS.values():
            print(f"{target.name:14} {target.entry}")
        return 0
    if args.replay:
        return replay(args.replay)
    names = args.target or list(TARGETS)
    counts = plan(args.inputs, names)
    if args.engine == "atheris":
        return run_atheris(names, counts, args.seed)
    print(
        f"fuzzing {len(names)} targets, {args.inputs:,} inputs, {args.jobs} processes, seed {args.seed}",
        file=sys.stderr,
    )
    started = time.perf_counter()
    tallies, peak = fuzz(counts, args.seed, args.jobs, args.chunk)
    wall = time.perf_counter() - started
    body = report_body(tallies, wall, args.jobs, args.seed, peak)
    print(body)
    for tally in tallies.values():
        for crash in tally.samples:
            print(f"crash {crash.target} {crash.kind} at {crash.where}: {save_reproducer(crash, args.seed)}")
            print(crash.trace.rstrip().splitlines()[-1])
    if not args.no_report:
        write_section(SECTION, " ".join(["python -m bench.fuzz", *args_list]), body)
    return 1 if any(t.crashes for t in tallies.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
