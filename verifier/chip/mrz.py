"""DG1 and the TD1 machine-readable zone (ICAO 9303-5 §4.2; check digits 9303-3 §4.9).

DG1 is tag 0x61 around 0x5F1F holding the MRZ characters (9303-10 §4.7.1). The CCCD uses TD1:
three lines of 30. On it the document number is the last 9 digits of the 12-digit CCCD number and
the full number (with its own check digit at position 30) sits in line 1's optional data:
    IDVNM<9 digits><cd><12-digit CCCD><<<cd>
    YYMMDD<cd><sex>YYMMDD<cd>VNM<optional 11><composite cd>
    SURNAME<<GIVEN<NAMES
Parsing is generic TD1; what makes it a Vietnamese CCCD is checked by the identity checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from verifier.chip.codes import DG_MALFORMED
from verifier.chip.errors import ChipError
from verifier.chip.tlv import read_tlv, unwrap

DG1_TAG = 0x61
MRZ_TAG = 0x5F1F
_WEIGHTS = (7, 3, 1)
_MRZ_CHARS = re.compile(r"[A-Z0-9<]{90}")


def check_digit(field: str) -> str:
    """9303-3 §4.9: digits as values, A-Z as 10-35, '<' as 0, weights 7-3-1 repeating, mod 10."""
    total = 0
    for i, ch in enumerate(field):
        if ch.isdigit():
            value = int(ch)
        elif "A" <= ch <= "Z":
            value = ord(ch) - ord("A") + 10
        elif ch == "<":
            value = 0
        else:
            raise ChipError(DG_MALFORMED, f"MRZ: character {ch!r} is not allowed")
        total += value * _WEIGHTS[i % 3]
    return str(total % 10)


@dataclass(frozen=True)
class Td1Mrz:
    line1: str
    line2: str
    line3: str

    # Line 1 (9303-5 §4.2.2): positions 1-2 code, 3-5 state, 6-14 number, 15 check, 16-30 optional.
    @property
    def document_code(self) -> str:
        return self.line1[0:2].replace("<", "")

    @property
    def issuing_state(self) -> str:
        return self.line1[2:5].replace("<", "")

    @property
    def document_number(self) -> str:
        """9 characters, or longer when position 15 is '<' and the number continues in the optional data."""
        if self.line1[14] == "<" and self.line1[15:30].strip("<"):
            rest = self.line1[15:30].split("<", 1)[0]
            return (self.line1[5:14] + rest[:-1]).replace("<", "")
        return self.line1[5:14].replace("<", "")

    @property
    def optional_data_1(self) -> str:
        return self.line1[15:30]

    @property
    def birth_date_text(self) -> str:
        return self.line2[0:6]

    @property
    def sex(self) -> str:
        """'M', 'F' or '<' (unspecified)."""
        return self.line2[7]

    @property
    def expiry_date_text(self) -> str:
        return self.line2[8:14]

    @property
    def nationality(self) -> str:
        return self.line2[15:18].replace("<", "")

    @property
    def optional_data_2(self) -> str:
        return self.line2[18:29]

    @property
    def primary_identifier(self) -> str:
        return self.line3.split("<<", 1)[0].replace("<", " ").strip()

    @property
    def secondary_identifier(self) -> str:
        parts = self.line3.split("<<", 1)
        return " ".join(parts[1].replace("<", " ").split()) if len(parts) > 1 else ""

    @property
    def name(self) -> str:
        """Surname then given names, as the MRZ transliterates them ('NGUYEN VAN AN')."""
        return " ".join(p for p in (self.primary_identifier, self.secondary_identifier) if p)

    @property
    def expiry_date(self) -> date | None:
        """Expiry with century 20xx (TD1 CCCDs are issued from 2016); None if not a date."""
        return _yymmdd(self.expiry_date_text, 2000)

    def birth_date(self, century: int) -> date | None:
        """The MRZ holds two digits of the year; the caller knows the century (from the CCCD)."""
        return _yymmdd(self.birth_date_text, century)

    @property
    def cccd_number(self) -> str | None:
        """The 12-digit CCCD number in optional data 1, if that is what it holds."""
        candidate = self.optional_data_1[:12]
        return candidate if candidate.isdigit() else None

    def check_digit_failures(self) -> list[str]:
        """Every 9303-3 §4.9 check digit that is wrong, by name (empty when all are right)."""
        failures: list[str] = []
        number_field, number_check = self.line1[5:14], self.line1[14]
        if number_check == "<" and self.optional_data_1.strip("<"):  # long document number
            rest = self.optional_data_1.split("<", 1)[0]
            number_field, number_check = number_field + "<" + rest[:-1], rest[-1:]
        if check_digit(number_field) != number_check:
            failures.append("document number")
        if check_digit(self.line2[0:6]) != self.line2[6]:
            failures.append("date of birth")
        if check_digit(self.line2[8:14]) != self.line2[14]:
            failures.append("date of expiry")
        composite = self.line1[5:30] + self.line2[0:7] + self.line2[8:15] + self.line2[18:29]
        if check_digit(composite) != self.line2[29]:
            failures.append("composite")
        cccd, cccd_check = self.cccd_number, self.line1[29]
        if cccd is not None and cccd_check.isdigit() and check_digit(self.line1[15:29]) != cccd_check:
            failures.append("CCCD number (optional data)")
        return failures


def parse_td1(text: str) -> Td1Mrz:
    """Three 30-character lines, given with or without line breaks; anything else is C10."""
    chars = "".join(text.split())
    if len(chars) != 90:
        raise ChipError(DG_MALFORMED, f"MRZ: {len(chars)} characters, a TD1 MRZ has 90")
    if not _MRZ_CHARS.fullmatch(chars):
        raise ChipError(DG_MALFORMED, "MRZ: characters outside A-Z, 0-9 and '<'")
    return Td1Mrz(chars[0:30], chars[30:60], chars[60:90])


def parse_dg1(data: bytes) -> Td1Mrz:
    """EF.DG1 (0x61 { 0x5F1F MRZ }) → the TD1 MRZ."""
    value = unwrap(data, DG1_TAG, what="DG1")
    inner = read_tlv(value, what="DG1")
    if inner.tag != MRZ_TAG or inner.size != len(value):
        raise ChipError(DG_MALFORMED, f"DG1: expected one 0x5F1F MRZ element, found 0x{inner.tag:X}")
    try:
        text = inner.value.decode("ascii")
    except UnicodeDecodeError as e:
        raise ChipError(DG_MALFORMED, "DG1: MRZ is not ASCII") from e
    return parse_td1(text)


def _yymmdd(text: str, century: int) -> date | None:
    if not text.isdigit():
        return None
    try:
        return date(century + int(text[0:2]), int(text[2:4]), int(text[4:6]))
    except ValueError:
        return None
