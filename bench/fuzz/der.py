"""Shared generators: structure-aware mutations of ASN.1 DER/BER and BER-TLV values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from random import Random

from asn1crypto import parser as asn1_parser
from hypothesis import strategies as st

from bench.fuzz.mutations import RANDOMS, choice_of, mutate_bytes

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
    data, rng = draw(choice_of(tuple(samples))), draw(RANDOMS)
    donors = [*samples, *pool]
    for _ in range(rng.randint(1, 3)):
        data = mutate_der(rng, data, donors)
    return data


RANDOM_BYTES = st.binary(max_size=400)


def der_inputs(samples: Sequence[bytes], pool: Sequence[bytes] = ()) -> st.SearchStrategy[bytes]:
    """Random bytes (a third) and mutated valid structures (two thirds)."""
    mutated = mutated_der(samples, pool)
    return st.one_of(RANDOM_BYTES, mutated, mutated)


def broken(rng: Random, data: bytes, pool: Sequence[bytes]) -> bytes:
    """One to three structure-aware mutations, or (one time in five) random bytes instead."""
    if rng.random() < 0.2:
        return rng.randbytes(rng.randrange(200))
    for _ in range(rng.randint(1, 3)):
        data = mutate_der(rng, data, pool)
    return data
