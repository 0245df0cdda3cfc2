"""BER-TLV reading for LDS data groups (ICAO 9303-10 §4.4: ASN.1 BER tags), on asn1crypto's parser.

The data groups use application and context tags (0x61, 0x5F1F, 0x7F61, 0x6D…) that asn1crypto has
no classes for, so we walk them with `asn1crypto.parser` and name tags by their encoded bytes as the
standard writes them (0x5F1F, not "application 31"). Every malformation becomes a `ChipError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from asn1crypto import parser

from verifier.chip.codes import DG_MALFORMED
from verifier.chip.errors import ChipError

MAX_DEPTH = 8  # the deepest LDS structure (DG2: 75/7F61/7F60/5F2E) is 4 levels


@dataclass(frozen=True)
class Tlv:
    tag: int  # the tag as its encoded bytes read big-endian, e.g. 0x5F1F
    constructed: bool
    value: bytes
    size: int  # bytes the whole TLV occupies (header, value, end-of-contents)


def encoded_tag(class_: int, method: int, number: int) -> int:
    """The tag as ICAO writes it: 0x61 for [APPLICATION 1] constructed, 0x7F61 for [APPLICATION 97]."""
    first = (class_ << 6) | (method << 5)
    if number < 31:
        return first | number
    tail: list[int] = []
    n = number
    while True:
        tail.insert(0, (n & 0x7F) | (0x80 if tail else 0))
        n >>= 7
        if not n:
            break
    value = first | 0x1F
    for b in tail:
        value = (value << 8) | b
    return value


def read_tlv(data: bytes, offset: int = 0, *, code: str = DG_MALFORMED, what: str = "TLV") -> Tlv:
    """The TLV starting at `offset`; a truncated or garbled header is a `ChipError(code)`."""
    try:
        class_, method, number, header, contents, trailer = parser.parse(data[offset:])
    except (ValueError, TypeError, OverflowError) as e:
        raise ChipError(code, f"{what}: bad BER encoding at byte {offset}: {e}") from e
    return Tlv(
        encoded_tag(class_, method, number), method == 1, contents, len(header) + len(contents) + len(trailer)
    )


def children(value: bytes, *, code: str = DG_MALFORMED, what: str = "TLV") -> Iterator[Tlv]:
    """The TLVs concatenated in a constructed value, in order."""
    offset = 0
    while offset < len(value):
        item = read_tlv(value, offset, code=code, what=what)
        yield item
        offset += item.size


def unwrap(data: bytes, tag: int, *, code: str = DG_MALFORMED, what: str = "data group") -> bytes:
    """The value of the single TLV `tag` that `data` must be (trailing chip padding tolerated)."""
    if not data:
        raise ChipError(code, f"{what}: empty")
    outer = read_tlv(data, code=code, what=what)
    if outer.tag != tag:
        raise ChipError(code, f"{what}: expected tag 0x{tag:X}, found 0x{outer.tag:X}")
    if not _is_padding(data[outer.size :]):
        raise ChipError(code, f"{what}: {len(data) - outer.size} unexpected bytes after the value")
    return outer.value


def find_first(value: bytes, tags: frozenset[int], *, depth: int = 0, what: str = "TLV") -> Tlv | None:
    """Depth-first search for the first TLV with one of `tags` inside a constructed value."""
    if depth > MAX_DEPTH:
        raise ChipError(DG_MALFORMED, f"{what}: nested deeper than {MAX_DEPTH} levels")
    for item in children(value, what=what):
        if item.tag in tags:
            return item
        if item.constructed:
            found = find_first(item.value, tags, depth=depth + 1, what=what)
            if found is not None:
                return found
    return None


def ef_contents(raw: bytes) -> bytes:
    """An elementary file as the chip stores it: the first TLV, without the padding readers append.

    Readers that fetch whole blocks return 0x00/0xFF fill after the data group; the SOD hashes only
    the TLV. Anything that is not one TLV plus padding is returned unchanged so the hash check (or
    the parser) reports it instead of us guessing.
    """
    try:
        first = read_tlv(raw)
    except ChipError:
        return raw
    if first.size < len(raw) and _is_padding(raw[first.size :]):
        return raw[: first.size]
    return raw


def _is_padding(rest: bytes) -> bool:
    return not rest or set(rest) <= {0x00} or set(rest) <= {0xFF}


MAX_NESTING = 32  # ICAO 9303 structures nest ~15 deep (EF.SOD down to a certificate extension's value)
SCAN_FROM = 8 * 1024  # real EF.SODs, data groups other than images, certificates and CRLs are smaller


def check_nesting(data: bytes, *, code: str, what: str, limit: int = MAX_NESTING) -> None:
    """Refuse BER nested deeper than `limit` before asn1crypto decodes it.

    asn1crypto's decoding cost grows with the square of the nesting depth (a 50 KB EF.SOD nested a
    thousand levels deep took a second of CPU; the 256 KB a request may carry would take five), and
    no real structure comes close. Values inside OCTET and BIT STRINGs that hold DER (EF.SOD's
    content, certificate extensions, keys) are scanned too, since they are decoded in turn. Only the
    depth is judged here: a malformed header ends the scan of its container and is left for the
    decoder to report. Inputs of a real size are not scanned: under SCAN_FROM bytes the worst
    nesting costs the decoder a few tens of milliseconds.
    """
    if len(data) < SCAN_FROM:
        return
    ends = [len(data)]  # end offsets of the values being scanned, innermost last
    offset = 0
    while ends:
        if offset >= ends[-1]:
            offset = ends.pop()
            continue
        header = _header(data, offset, ends[-1])
        if header is None:  # not BER from here on: the decoder will say so
            offset = ends.pop()
            continue
        tag, constructed, start, end = header
        inner = start + 1 if tag == 0x03 else start  # a BIT STRING starts with its unused-bits count
        holds_der = not constructed and tag in (0x03, 0x04) and data[inner : inner + 1] in (b"\x30", b"\x31")
        if constructed or holds_der:
            if len(ends) > limit:
                raise ChipError(code, f"{what}: nested deeper than {limit} levels")
            ends.append(end)
            offset = inner if holds_der else start
        else:
            offset = end


def _header(data: bytes, offset: int, limit: int) -> tuple[int, bool, int, int] | None:
    """ITU-T X.690 §8.1.2-8.1.3: (tag byte, constructed, content start, content end) of the TLV at
    `offset`, or None if it does not fit in `limit`. An indefinite length runs to `limit`."""
    if offset + 2 > limit:
        return None
    first, position = data[offset], offset + 1
    if first & 0x1F == 0x1F:  # high tag number: base-128 digits with the top bit set, then one without
        while position < limit and data[position] & 0x80:
            position += 1
        position += 1
    if position >= limit:
        return None
    length, position = data[position], position + 1
    if length == 0x80:
        return first, bool(first & 0x20), position, limit
    if length > 0x80:
        count = length & 0x7F
        if count > 4 or position + count > limit:
            return None
        length, position = int.from_bytes(data[position : position + count], "big"), position + count
    end = position + length
    return (first, bool(first & 0x20), position, end) if end <= limit else None
