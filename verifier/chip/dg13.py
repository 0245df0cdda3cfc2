"""EF.DG13: the Vietnamese personal data on the CCCD chip (issuer-specific, not defined by ICAO).

Layout, as published CCCD readers decode it (no official specification is public):
tag 0x6D around a sequence of fields, each field a SEQUENCE { INTEGER index, value(s) } with
UTF8String values:
   1 CCCD number        2 full name          3 date of birth (dd/mm/yyyy)   4 gender ("Nam"/"Nữ")
   5 nationality        6 ethnicity          7 religion                     8 hometown (quê quán)
   9 place of residence 10 identifying features 11 date of issue            12 date of expiry
  13 parents (father's then mother's name, nested)  14 spouse  15/16 old ID number (readers disagree)
Parsing is deliberately tolerant: fields are found wherever a constructed node starts with a small
INTEGER, unknown indexes are ignored, and text is taken from the string leaves in order.

Ethnicity (6) and religion (7) are sensitive personal data under Decree 13/2023: they are skipped
without decoding and never reach `PersonalData`, so nothing downstream can store them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from verifier.chip.codes import DG_MALFORMED
from verifier.chip.errors import ChipError
from verifier.chip.tlv import MAX_DEPTH, Tlv, children, unwrap
from verifier.domain.participation import Gender

DG13_TAG = 0x6D
_INTEGER, _SEQUENCE, _SET = 0x02, 0x30, 0x31
_TEXT_TAGS = frozenset({0x0C, 0x13, 0x16, 0x1A, 0x04})  # UTF8, Printable, IA5, Visible, OCTET STRING
_SENSITIVE = frozenset({6, 7})  # ethnicity, religion: never decoded
_USED = frozenset({1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16})  # only these are decoded
_MAX_FIELD = 255
_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


@dataclass(frozen=True)
class PersonalData:
    """DG13 without ethnicity and religion. Text is NFC; dates parsed when they are real dates."""

    cccd_number: str | None = None
    full_name: str | None = None
    date_of_birth_text: str | None = None
    gender_text: str | None = None
    nationality: str | None = None
    hometown: str | None = None
    place_of_residence: str | None = None
    identifying_features: str | None = None
    issue_date_text: str | None = None
    expiry_date_text: str | None = None  # may be "Không thời hạn" (no expiry)
    father_name: str | None = None
    mother_name: str | None = None
    spouse_name: str | None = None
    old_id_number: str | None = None
    other_fields: tuple[int, ...] = ()  # indexes present but not interpreted (values dropped)

    @property
    def date_of_birth(self) -> date | None:
        return _date(self.date_of_birth_text)

    @property
    def birth_year(self) -> int | None:
        """The year even when day/month are unknown ("00/00/1960" or "1960")."""
        text = (self.date_of_birth_text or "").strip()
        found = re.search(r"([0-9]{4})$", text)
        return int(found.group(1)) if found else None

    @property
    def issue_date(self) -> date | None:
        return _date(self.issue_date_text)

    @property
    def expiry_date(self) -> date | None:
        return _date(self.expiry_date_text)

    @property
    def gender(self) -> Gender:
        return parse_gender(self.gender_text or "")


def parse_dg13(data: bytes) -> PersonalData:
    """EF.DG13 → `PersonalData`; a broken TLV or undecodable text in a used field is C10."""
    value = unwrap(data, DG13_TAG, what="DG13")
    texts: dict[int, list[str]] = {}
    seen: set[int] = set()
    _visit(value, texts, seen, depth=0)

    def first(index: int) -> str | None:
        values = texts.get(index)
        return values[0] if values else None

    parents = texts.get(13, [])
    old_id = next((v for i in (15, 16) for v in texts.get(i, [])[:1] if _looks_like_id(v)), None)
    return PersonalData(
        cccd_number=first(1),
        full_name=first(2),
        date_of_birth_text=first(3),
        gender_text=first(4),
        nationality=first(5),
        hometown=first(8),
        place_of_residence=first(9),
        identifying_features=first(10),
        issue_date_text=first(11),
        expiry_date_text=first(12),
        father_name=parents[0] if parents else None,
        mother_name=parents[1] if len(parents) > 1 else None,
        spouse_name=first(14),
        old_id_number=old_id,
        other_fields=tuple(sorted(seen - _USED - _SENSITIVE)),
    )


def parse_gender(text: str) -> Gender:
    """'Nam' / 'Nữ' as printed (also M/F, male/female); anything else is unspecified."""
    folded = unicodedata.normalize("NFC", text).strip().casefold()
    if folded in ("nam", "m", "male"):
        return Gender.MALE
    if folded in ("nữ", "nu", "f", "female"):
        return Gender.FEMALE
    return Gender.UNSPECIFIED


def _visit(value: bytes, texts: dict[int, list[str]], seen: set[int], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ChipError(DG_MALFORMED, f"DG13: nested deeper than {MAX_DEPTH} levels")
    for node in children(value, what="DG13"):
        if not node.constructed:
            continue
        parts = list(children(node.value, what="DG13"))
        index = _field_index(parts)
        if index is None:
            _visit(node.value, texts, seen, depth + 1)
            continue
        if index in seen:
            continue
        seen.add(index)
        if index in _USED:  # ethnicity/religion (Decree 13/2023) and unknown fields stay undecoded
            texts[index] = _strings(parts[1:], depth + 1)


def _field_index(parts: list[Tlv]) -> int | None:
    """A field is a constructed node whose first child is a small INTEGER and that holds no fields."""
    if not parts or parts[0].tag != _INTEGER or not 1 <= len(parts[0].value) <= 2:
        return None
    index = int.from_bytes(parts[0].value, "big", signed=True)
    if not 1 <= index <= _MAX_FIELD:
        return None
    for part in parts[1:]:
        if part.constructed:
            grand = list(children(part.value, what="DG13"))
            if grand and grand[0].tag == _INTEGER and any(g.tag in _TEXT_TAGS for g in grand[1:]):
                return None  # a wrapper holding fields, not a field
    return index


def _strings(parts: list[Tlv], depth: int) -> list[str]:
    if depth > MAX_DEPTH:
        raise ChipError(DG_MALFORMED, f"DG13: nested deeper than {MAX_DEPTH} levels")
    out: list[str] = []
    for part in parts:
        if part.tag in _TEXT_TAGS and not part.constructed:
            try:
                text = part.value.decode("utf-8")
            except UnicodeDecodeError as e:
                raise ChipError(DG_MALFORMED, "DG13: a text field is not valid UTF-8") from e
            text = unicodedata.normalize("NFC", text).strip()
            if text:
                out.append(text)
        elif part.constructed:
            out.extend(_strings(list(children(part.value, what="DG13")), depth + 1))
    return out


def _looks_like_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) in (9, 12)


def _date(text: str | None) -> date | None:
    found = _DATE.fullmatch((text or "").strip())
    if not found:
        return None
    day, month, year = (int(g) for g in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None
