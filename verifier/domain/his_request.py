"""What a hospital information system (HIS) sends VSS's card-check gateway, parsed and checked.

Two request shapes are in use (public HIS code shows both, `../shared/domain.md`):

- `KQNhanLichSuKCB2024`: JSON `{"maThe", "hoTen", "ngaySinh", "hoTenCb", "cccdCb"}`, the last two
  naming the staff member who checks (VSS answers 054/055 when they are not registered);
- `KQNhanLichSuKCB2019`: `maThe`, `hoTen`, `ngaySinh`, as JSON or form-encoded.

`maThe` is a 15-character card, a 10-digit social insurance number or a 12-digit CCCD number;
`ngaySinh` is `dd/MM/yyyy` or just `yyyy`. A malformed parameter is VSS 205 naming it
(`HisParameterProblem.parameter`). A well-formed query becomes a `Presented` for the one check-in
pipeline, with `hoTen`/`ngaySinh` as the identity claim so VSS's 060/061/070 rules apply.

Pure: bytes in, values out; no I/O, no clock.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl

from verifier.domain.calendar import FIRST_BIRTH_YEAR
from verifier.domain.checkin import CardLookup, Presented, card_or_problem, unknown_card_subject
from verifier.domain.credentials import Credential
from verifier.domain.identity import IdentityClaim
from verifier.errors import BadRequest

MAX_NAME = 200  # as IdentityClaim.parse: longer is not a name
MAX_FIELDS = 32  # a form or object with more keys than this is not a card check
_CARD = re.compile(r"[A-Z0-9]{15}")
_SIN = re.compile(r"[0-9]{10}")  # ASCII digits: \d would take any script's digits
_CCCD = re.compile(r"[0-9]{12}")
_DAY = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")
_YEAR = re.compile(r"[0-9]{4}")
# Control, format (zero-width, bidi), private-use, surrogate and unassigned characters: a name
# holding them would look different in an audit from what was compared.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


class Shape(StrEnum):
    """Which gateway path the request came in on."""

    V2019 = "2019"  # maThe, hoTen, ngaySinh
    V2024 = "2024"  # ... and hoTenCb, cccdCb: the staff member who checks


class HisParameterProblem(BadRequest):
    """VSS 205: a parameter is missing or malformed; `parameter` names it (the contract's own name)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


@dataclass(frozen=True)
class HisCardQuery:
    """One card check as the HIS asked it, every field checked."""

    card: str  # maThe as given, normalised: 15-character card, 10-digit number or 12-digit CCCD
    full_name: str  # hoTen, NFC
    birth: date  # ngaySinh; 1 January when only the year was given
    birth_year_only: bool
    staff_name: str = ""  # hoTenCb (2024)
    staff_personal_id: str = ""  # cccdCb (2024): used to find the staff member, never recorded

    @property
    def by_personal_id(self) -> bool:
        return _CCCD.fullmatch(self.card) is not None

    def claim(self) -> IdentityClaim:
        if self.birth_year_only:
            return IdentityClaim(full_name=self.full_name, birth_year=self.birth.year)
        return IdentityClaim(full_name=self.full_name, date_of_birth=self.birth)

    def presented(self) -> Presented:
        """What the pipeline judges: the record found by card or social insurance number, or by the
        CCCD number through the index; the name and birth date checked against it (060/061/070)."""
        if self.by_personal_id:
            lookup = CardLookup(personal_id=self.card)
        else:
            lookup = CardLookup(number=card_or_problem(self.card))
        return Presented(
            Credential.HIS_LOOKUP, self.card, unknown_card_subject(self.card), lookup, self.claim()
        )


def parse_json_body(body: bytes, shape: Shape) -> HisCardQuery:
    """A JSON object with string values (null or absent = missing); 205 `body` when it is not one."""
    try:
        values = json.loads(body.decode("utf-8"), object_pairs_hook=_unique_keys)
    except HisParameterProblem:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise HisParameterProblem("body", "not a JSON object in UTF-8") from e
    if not isinstance(values, dict):
        raise HisParameterProblem("body", "not a JSON object")
    return parse_fields(values, shape)


def parse_form_body(body: bytes, shape: Shape) -> HisCardQuery:
    """`application/x-www-form-urlencoded`, as some HIS systems post the 2019 request."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body.strip()),
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError) as e:
        raise HisParameterProblem("body", "not a form in UTF-8") from e
    return parse_fields(_unique_keys(pairs), shape)


def parse_fields(values: dict[str, Any], shape: Shape) -> HisCardQuery:
    """The contract's fields from a decoded body; other keys are ignored (HIS systems add their own)."""
    card = _card(_text(values, "maThe"))
    name = _name(values, "hoTen")
    birth, year_only = _birth(_text(values, "ngaySinh"))
    if shape is Shape.V2019:
        return HisCardQuery(card, name, birth, year_only)
    staff_name = _name(values, "hoTenCb")
    staff_id = _text(values, "cccdCb")
    if not _CCCD.fullmatch(staff_id):
        raise HisParameterProblem("cccdCb", "the checking staff member's CCCD number: 12 digits")
    return HisCardQuery(card, name, birth, year_only, staff_name, staff_id)


def format_day(day: date | None) -> str:
    """dd/MM/yyyy, the contract's date format; "" for no date (an open-ended card)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}" if day is not None else ""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Keys once each: `maThe` given twice could be read differently by a proxy and by us."""
    if len(pairs) > MAX_FIELDS:
        raise HisParameterProblem("body", f"at most {MAX_FIELDS} fields")
    values: dict[str, Any] = {}
    for key, value in pairs:
        if key in values:
            raise HisParameterProblem(key[:40], "given more than once")
        values[key] = value
    return values


def _text(values: dict[str, Any], parameter: str) -> str:
    value = values.get(parameter)
    if value is None or value == "":
        raise HisParameterProblem(parameter, "missing")
    if not isinstance(value, str):
        raise HisParameterProblem(parameter, "must be a string")
    return value.strip()


def _card(text: str) -> str:
    card = re.sub(r"[\s\-]", "", text).upper()
    if _CARD.fullmatch(card) or _SIN.fullmatch(card) or _CCCD.fullmatch(card):
        return card
    raise HisParameterProblem(
        "maThe", "a 15-character card number, a 10-digit social insurance number or a 12-digit CCCD number"
    )


def _name(values: dict[str, Any], parameter: str) -> str:
    name = " ".join(unicodedata.normalize("NFC", _text(values, parameter)).split())
    if len(name) > MAX_NAME:
        raise HisParameterProblem(parameter, f"at most {MAX_NAME} characters")
    if not any(c.isalpha() for c in name) or any(unicodedata.category(c) in _INVISIBLE for c in name):
        raise HisParameterProblem(parameter, "a person's name")
    return name


def _birth(text: str) -> tuple[date, bool]:
    """dd/MM/yyyy, or yyyy when only the year is known (VSS holds only the year for some people)."""
    if _YEAR.fullmatch(text) and int(text) >= FIRST_BIRTH_YEAR:
        return date(int(text), 1, 1), True
    match = _DAY.fullmatch(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        if year >= FIRST_BIRTH_YEAR:
            try:
                return date(year, month, day), False
            except ValueError:
                pass
    raise HisParameterProblem("ngaySinh", "dd/MM/yyyy or yyyy")
