"""The legacy, unsigned BHYT QR code (printed cards and the VssID app) decoded into card fields.

Why this exists: kiosks scan the QR on the card or in VssID instead of having the number typed.
The payload is plain text and carries no signature, so what it says is a *claim* to be judged
like a typed request; this module only decides whether the text is a well-formed QR and what it
claims. Pure: no I/O, no clock.

Layout (fields separated by ``|``, the whole ending in ``$``; numbered from 1 as in messages):

====  ==========================================  ====================================
 #    card-number layout (older)                  social-insurance-number layout (newer)
====  ==========================================  ====================================
 1    15-char card number, e.g. GD4404016354956   10-digit social insurance number
 2    name, UTF-8 as hex                          same
 3    date of birth dd/mm/yyyy, or yyyy           same
 4    gender 1 = male, 2 = female                 same
 5    address, UTF-8 as hex                       ``-`` (address no longer printed)
 6    registered facility "PP - XXX"              same
 7    valid from dd/mm/yyyy                       same
 8    valid to dd/mm/yyyy or ``-``                ``-`` (open-ended cards)
 9    issue date dd/mm/yyyy                       same
 10   management code (ignored)                   same
 11   guardian's name (ignored)                   same
 12   residence-area code (ignored)               same
 13   five consecutive years from dd/mm/yyyy      same
 14   token, e.g. 1f2fa22c47f0bd18-7102 (ignored) same
 15   —                                           unknown single digit (ignored)
 16   —                                           issuing office, UTF-8 as hex
====  ==========================================  ====================================

Sources (public code read to learn the order, nothing copied):

* thangpnb/HIS ``Common/Inventec.Common/Inventec.Common.QrCodeBHYT/ReadQrCodeHeinCard.cs``: fields
  1-13 by position (number, name, dob, gender, address, facility split at "-", from, to, issue
  date, BHXH management code, parent name, live-area code, five-year date); the same code base
  hex-decodes name and address as UTF-8 (``HexToUTF8Fix``) and treats a 4-character dob as a year.
* A public HIS kiosk (C#, ``XuLy_QuetTheBHYT``) quoting a full older-layout sample in a comment:
  ``<card no.>|<hex name>|04/09/1985|1|<hex address>|01 - 043|01/07/2017|31/12/2017|21/07/2017|``
  ``<management code>|-|4|01/07/2022|1f2fa22c47f0bd18-7102|$`` (14 fields, then ``$``); a
  sibling form reads field 12 as the residence-area code (5/6/7 = K1/K2/K3).
* A public Python parser (``parse_bhyt_qr``, ``app/structured/qr.py``) and its tests with real
  decoded cards (identifiers left out here): an older one that stops after the issue date
  (``<card no.>|…|01 - 028|24/01/2019|-|24/01/2019|$``, 9 fields) and a newer VssID one
  (``<SIN>|…|29/03/1988|1|-|01 - C54|01/07/2023|-|31/07/2023|<0105 + SIN>|-|4| 01/10/2027|``
  ``4641c59ff02659c3-1202|4|<hex "Quận Cầu Giấy, Thành phố Hà Nội">|$``, 16 fields), which
  shows the stray space in field 13 and the issuing office in field 16.

Decisions and assumptions:

* At least 9 fields (up to the issue date) are required, as the shortest real sample has; fields
  beyond 16 are ignored, so a later addition does not turn good cards into errors.
* Fields are positional in both layouts; the layout is told by the shape of field 1 only. The
  address and issuer are decoded wherever present, whichever the layout.
* Only the *shape* of the number is checked (2 letters + 13 digits, or 10 digits). An unknown
  province or benefit level is a verdict (VSS 052/053) for the check-in rules, not a bad QR.
* Number, name, date of birth and gender are required; every other field may be empty or ``-``.
* Stray whitespace is tolerated around and inside fields (hex digits, dates, the number), hex may
  be upper or lower case, and the final ``$`` may be followed by whitespace (scanners add CR/LF).
* Day and month may have one digit (``1/7/2017``), as one of the parsers above pads them.
* Every malformed QR is one error code, ``Q01``, with a message naming the field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from verifier.domain.participation import Gender

MALFORMED = "Q01"
MAX_QR_LENGTH = 2048  # a QR holds at most ~2.9 kB; the real ones are ~300 characters
MIN_FIELDS = 9  # number … issue date: the shortest layout seen on real cards
ABSENT = frozenset({"", "-"})

# Positions (0-based) of the fields read; the rest are skipped on purpose (see the table above).
NUMBER, NAME, BIRTH, GENDER, ADDRESS, FACILITY = 0, 1, 2, 3, 4, 5
VALID_FROM, VALID_TO, ISSUED_ON, FIVE_YEARS_FROM, ISSUER = 6, 7, 8, 12, 15

_LABELS = {
    NUMBER: "number",
    NAME: "name",
    BIRTH: "date of birth",
    GENDER: "gender",
    ADDRESS: "address",
    FACILITY: "registered facility",
    VALID_FROM: "valid from",
    VALID_TO: "valid to",
    ISSUED_ON: "issue date",
    FIVE_YEARS_FROM: "five years from",
    ISSUER: "issuer",
}

# re.ASCII everywhere: \d and \w would otherwise accept e.g. Arabic-Indic digits.
_SPACE = re.compile(r"\s+")
_CARD_NUMBER = re.compile(r"[A-Z]{2}[0-9]{13}", re.ASCII)
_SOCIAL_INSURANCE_NUMBER = re.compile(r"[0-9]{10}", re.ASCII)
_HEX = re.compile(r"[0-9A-Fa-f]*", re.ASCII)
_DMY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", re.ASCII)
_YEAR = re.compile(r"[0-9]{4}", re.ASCII)
_FACILITY = re.compile(r"([0-9]{2})[-\u2013]?([A-Z0-9]{2,5})", re.ASCII)
_GENDERS = {"1": Gender.MALE, "2": Gender.FEMALE}


class QrLayout(StrEnum):
    CARD_NUMBER = "card_number"
    SOCIAL_INSURANCE_NUMBER = "social_insurance_number"


class LegacyQrProblem(ValueError):
    """The scanned text is not a well-formed BHYT QR; `field` is its 1-based position, if one."""

    def __init__(self, message: str, *, field: int | None = None) -> None:
        super().__init__(message)
        self.code = MALFORMED
        self.field = field
        self.message = message


@dataclass(frozen=True)
class LegacyQr:
    """What a legacy QR claims. Empty strings and None mean the card left the field out."""

    layout: QrLayout
    number: str
    name: str
    date_of_birth: date
    gender: Gender
    birth_year_only: bool = False  # old cards print only the year; date_of_birth is then 1 January
    address: str = ""
    registered_facility: str = ""  # as printed, spacing normalised: "01 - C54"
    valid_from: date | None = None
    valid_to: date | None = None
    issued_on: date | None = None
    five_years_from: date | None = None
    issuer: str = ""

    @property
    def social_insurance_number(self) -> str:
        """The 10-digit number that identifies the person in either layout (the card's last 10)."""
        return self.number[-10:]

    def to_json_dict(self) -> dict[str, str]:
        """The decoded fields under stable names, dates as ISO 8601; absent fields are omitted."""
        birth = f"{self.date_of_birth.year:04d}" if self.birth_year_only else self.date_of_birth.isoformat()
        fields: dict[str, str | date | None] = {
            "number": self.number,
            "name": self.name,
            "date_of_birth": birth,
            "gender": self.gender.value,
            "address": self.address,
            "registered_facility": self.registered_facility,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "issued_on": self.issued_on,
            "five_years_from": self.five_years_from,
            "issuer": self.issuer,
        }
        return {
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in fields.items()
            if value
        }


def parse_legacy_qr(text: str) -> LegacyQr:
    """Decode the scanned text of a legacy BHYT QR; raise LegacyQrProblem (Q01) if it is malformed."""
    fields = _split(text)
    number, layout = _number(fields[NUMBER])
    birth, year_only = _date_of_birth(fields[BIRTH])
    return LegacyQr(
        layout=layout,
        number=number,
        name=_required_text(fields, NAME),
        date_of_birth=birth,
        birth_year_only=year_only,
        gender=_gender(fields[GENDER]),
        address=_optional_text(fields, ADDRESS),
        registered_facility=_facility(fields[FACILITY]),
        valid_from=_optional_date(fields, VALID_FROM),
        valid_to=_optional_date(fields, VALID_TO),
        issued_on=_optional_date(fields, ISSUED_ON),
        five_years_from=_optional_date(fields, FIVE_YEARS_FROM),
        issuer=_optional_text(fields, ISSUER),
    )


def _split(text: str) -> list[str]:
    """The stripped fields between the pipes, once the size and the closing `$` are checked."""
    if len(text) > MAX_QR_LENGTH:
        raise LegacyQrProblem(f"QR text is {len(text)} characters; a BHYT QR has at most {MAX_QR_LENGTH}")
    body = text.strip().lstrip("\ufeff").strip()
    if not body:
        raise LegacyQrProblem("QR text is empty")
    if not body.endswith("$"):
        raise LegacyQrProblem("QR text does not end with '$': it may be cut off or not a BHYT QR")
    body = body[:-1].rstrip()
    body = body.removesuffix("|")
    fields = [field.strip() for field in body.split("|")]
    if len(fields) < MIN_FIELDS:
        raise LegacyQrProblem(
            f"QR has {len(fields)} field(s) separated by '|'; a BHYT QR has at least {MIN_FIELDS} "
            "(number, name, date of birth, gender, address, facility, valid from, valid to, issue date)"
        )
    return fields


def _problem(index: int, what: str) -> LegacyQrProblem:
    return LegacyQrProblem(f"field {index + 1} ({_LABELS[index]}) {what}", field=index + 1)


def _shown(value: str) -> str:
    """The offending value for a message: short, and repr so control characters stay visible."""
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _ascii_upper(text: str) -> str:
    """Upper case for codes, which are ASCII: 'ﬀ'.upper() is 'FF', and must not make a card number."""
    return text.upper() if text.isascii() else text


def _number(raw: str) -> tuple[str, QrLayout]:
    number = _ascii_upper(_SPACE.sub("", raw))
    if _CARD_NUMBER.fullmatch(number):
        return number, QrLayout.CARD_NUMBER
    if _SOCIAL_INSURANCE_NUMBER.fullmatch(number):
        return number, QrLayout.SOCIAL_INSURANCE_NUMBER
    if number in ABSENT:
        raise _problem(NUMBER, "is empty")
    raise _problem(
        NUMBER,
        f"{_shown(raw)} is neither a 15-character card number (2 letters, 13 digits, e.g. "
        "GD4404016354956) nor a 10-digit social insurance number",
    )


def _decode_hex(fields: list[str], index: int) -> str:
    """UTF-8 text written as hex digits (any case, stray spaces allowed), whitespace collapsed."""
    raw = fields[index]
    digits = _SPACE.sub("", raw)
    if not _HEX.fullmatch(digits):
        raise _problem(index, f"{_shown(raw)} is not hexadecimal (it is UTF-8 written as hex)")
    if len(digits) % 2:
        raise _problem(index, f"has an odd number of hex digits ({len(digits)}): a byte is missing")
    try:
        decoded = bytes.fromhex(digits).decode("utf-8")
    except UnicodeDecodeError as e:
        raise _problem(index, f"is not UTF-8 once decoded from hex (byte {e.start + 1} is wrong)") from e
    if any(unicodedata.category(char) == "Cc" for char in decoded):
        raise _problem(index, f"decodes to text with control characters: {_shown(decoded)}")
    return " ".join(decoded.split())


def _required_text(fields: list[str], index: int) -> str:
    if fields[index] in ABSENT:
        raise _problem(index, "is empty")
    text = _decode_hex(fields, index)
    if not text:
        raise _problem(index, "decodes to blank text")
    return text


def _optional_text(fields: list[str], index: int) -> str:
    if index >= len(fields) or fields[index] in ABSENT:
        return ""
    return _decode_hex(fields, index)


def _gender(raw: str) -> Gender:
    gender = _GENDERS.get(raw)
    if gender is None:
        raise _problem(GENDER, f"is {_shown(raw)}; expected 1 (male) or 2 (female)")
    return gender


def _facility(raw: str) -> str:
    """'01 - C54', '01-c54', '01C54' (or an en dash as the dash) all become '01 - C54', as printed."""
    if raw in ABSENT:
        return ""
    match = _FACILITY.fullmatch(_ascii_upper(_SPACE.sub("", raw)))
    if match is None:
        raise _problem(
            FACILITY, f"{_shown(raw)} is not a facility code 'PP - XXX' (province, facility, e.g. 01 - C54)"
        )
    return f"{match[1]} - {match[2]}"


def _date_of_birth(raw: str) -> tuple[date, bool]:
    compact = _SPACE.sub("", raw)
    if compact in ABSENT:
        raise _problem(BIRTH, "is empty")
    if _YEAR.fullmatch(compact):
        year = int(compact)
        if year < 1:
            raise _problem(BIRTH, f"year {compact} does not exist")
        return date(year, 1, 1), True
    return _dmy(compact, BIRTH, "dd/mm/yyyy or yyyy"), False


def _optional_date(fields: list[str], index: int) -> date | None:
    if index >= len(fields):
        return None
    compact = _SPACE.sub("", fields[index])
    if compact in ABSENT:
        return None
    return _dmy(compact, index, "dd/mm/yyyy")


def _dmy(compact: str, index: int, expected: str) -> date:
    match = _DMY.fullmatch(compact)
    if match is None:
        raise _problem(index, f"{_shown(compact)} is not a date {expected}")
    day, month, year = int(match[1]), int(match[2]), int(match[3])
    try:
        return date(year, month, day)
    except ValueError as e:
        raise _problem(index, f"{compact} is not a calendar date ({e})") from e
