"""The chip ID card's printed QR (mã QR trên thẻ CCCD) decoded into what it claims.

Why this exists: since 2024 most patients check in by scanning the QR on the back of their chip
citizen ID; its 12-digit number is the personal identification number, which is also their health
insurance identifier, so it finds the insurance record. The QR is plain text and unsigned: what it
says is a *claim*, judged like a typed CCCD number with the name, birth date and gender it carries.
This module only decides whether the text is such a QR and what it claims. Pure: no I/O, no clock.

Layout (fields separated by ``|``; numbered from 1 as in messages)::

    1 12-digit personal identification number   5 gender "Nam" or "Nữ"
    2 old 9-digit ID (CMND), or empty           6 address (place of residence), plain text
    3 full name, plain UTF-8 text               7 issue date ddmmyyyy
    4 date of birth ddmmyyyy                    8+ newer cards may add fields (ignored)

Sources (public material read to learn the order, nothing copied): the domain brief
(`../shared/domain.md`); Vietnamese press on the card's QR ("Số CCCD, số CMND 9 số; họ và tên;
ngày sinh; giới tính; nơi thường trú; ngày cấp CCCD", baobariavungtau.com.vn 2022-12); public
kiosk and clinic code that splits the text at ``|`` in this order and reads the dates as
``ddmmyyyy`` (e.g. ``001090123456|012345678|NGUYEN VAN A|01011990|Nam|…|15042021``); and public
scanner demos whose USB scanners put a label before each field
(``CCCD:…|CMND:…|Họ tên:…|Ngày sinh:01/01/1990|Giới tính:Nam|Địa chỉ:…|Ngày cấp:…``).

Decisions and assumptions:

* At least 7 fields; fields after the 7th are ignored, so a later addition does not turn good
  cards into errors. A QR without the old-ID field (6 fields) is refused: the positions would
  shift and a name would be read as a date.
* A known label before a field ("CCCD:", "Họ tên:", "Ngày sinh:", ... with or without
  diacritics, either colon) is dropped; an unknown one is left, so the field is judged as is.
* Dates are ``ddmmyyyy``; ``dd/mm/yyyy`` (and ``-`` or ``.`` between) is tolerated because the
  labelled scanners print it; a birth date may be only the year (old records), as on BHYT cards.
* The old ID is 9 digits (CMND); 12 digits (the later 12-digit CMND) is accepted too.
* The number must agree with the birth year and gender (Circular 07/2016/TT-BCA art. 7: the 4th
  digit codes century and gender, the 5th-6th the year): a QR that disagrees with itself is misread
  or forged and is refused. Its province prefix is never used to refuse (newer law only promises
  12 digits).
* What the QR is not is named: a BHYT card QR (it ends in ``$``) or any other text is refused with
  a message that says so. Every refusal is one code, ``Q01``, naming the field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from verifier.chip.cccd import CccdNumber, cccd_inconsistencies
from verifier.domain.legacy_qr import MALFORMED, MAX_QR_LENGTH
from verifier.domain.participation import Gender

MIN_FIELDS = 7  # number … issue date
NUMBER, OLD_ID, NAME, BIRTH, GENDER, ADDRESS, ISSUED_ON = range(7)
MAX_NAME = 200  # as a typed claim (IdentityClaim)

_LABELS = {
    NUMBER: "number",
    OLD_ID: "old ID",
    NAME: "name",
    BIRTH: "date of birth",
    GENDER: "gender",
    ADDRESS: "address",
    ISSUED_ON: "issue date",
}
# Labels some scanners print before a field, compared as ASCII letters only (diacritics, case,
# spaces and punctuation dropped): "Số CCCD", "so cccd" and "SỐ CCCD" are all "socccd".
KNOWN_LABELS = frozenset(
    {
        *("cccd", "socccd", "cancuoc", "socancuoc", "cancuoccongdan", "socancuoccongdan"),
        *("sodinhdanh", "sodinhdanhcanhan", "id", "idnumber", "personalid", "number"),
        *("cmnd", "socmnd", "cmndcu", "socmndcu", "oldid", "sochungminhnhandan"),
        *("hoten", "hovaten", "ten", "name", "fullname"),
        *("ngaysinh", "ngaythangnamsinh", "dob", "dateofbirth", "birthdate"),
        *("gioitinh", "gender", "sex"),
        *("diachi", "noithuongtru", "thuongtru", "noicutru", "address", "residence", "placeofresidence"),
        *("ngaycap", "ngaycapcccd", "issuedate", "dateofissue", "issuedon"),
    }
)

# re.ASCII: \d would otherwise accept e.g. Arabic-Indic digits.
_SPACE = re.compile(r"\s+")
_PERSONAL_ID = re.compile(r"[0-9]{12}", re.ASCII)
_OLD_ID = re.compile(r"[0-9]{9}|[0-9]{12}", re.ASCII)
_DDMMYYYY = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{4})", re.ASCII)
_DMY = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})", re.ASCII)
_YEAR = re.compile(r"[0-9]{4}", re.ASCII)
_COLONS = ":\uff1a"  # ASCII and full-width, as Vietnamese keyboards type either
_LABEL = re.compile(rf"([^|{_COLONS}]{{1,40}}?)\s*[{_COLONS}]\s*")
_GENDERS = {"nam": Gender.MALE, "nữ": Gender.FEMALE, "nu": Gender.FEMALE}


class CccdQrProblem(ValueError):
    """The scanned text is not a well-formed chip ID card QR; `field` is its 1-based position."""

    def __init__(self, message: str, *, field: int | None = None) -> None:
        super().__init__(message)
        self.code = MALFORMED
        self.field = field
        self.message = message


@dataclass(frozen=True)
class CccdQr:
    """What a chip ID card's QR claims. Empty strings and None mean the card left the field out."""

    personal_id: str
    name: str
    date_of_birth: date
    gender: Gender
    old_id: str = ""
    address: str = ""
    issued_on: date | None = None
    birth_year_only: bool = False  # only the year is known; date_of_birth is then 1 January

    def to_json_dict(self) -> dict[str, str]:
        """Every field under a stable name, dates as ISO 8601, "" for what the card leaves out."""
        birth = f"{self.date_of_birth.year:04d}" if self.birth_year_only else self.date_of_birth.isoformat()
        return {
            "personal_id": self.personal_id,
            "old_id": self.old_id,
            "name": self.name,
            "date_of_birth": birth,
            "gender": self.gender.value,
            "address": self.address,
            "issued_on": self.issued_on.isoformat() if self.issued_on else "",
        }


def looks_like_cccd_qr(text: str) -> bool:
    """Whether a scan is meant as a chip ID card QR (so its problems are named as such): pipes, a
    first field of 12 digits once a label is dropped, and no BHYT QR's closing `$`."""
    if len(text) > MAX_QR_LENGTH or "|" not in text:
        return False
    body = _body(text)
    if body.endswith("$"):
        return False
    return _PERSONAL_ID.fullmatch(_SPACE.sub("", _unlabelled(body.split("|", 1)[0]))) is not None


def parse_cccd_qr(text: str) -> CccdQr:
    """Decode the scanned text of a chip ID card's QR; raise CccdQrProblem (Q01) if it is not one."""
    fields = _split(text)
    # In field order, so the message names the first field that is wrong.
    personal_id = _personal_id(fields[NUMBER])
    old_id = _old_id(fields[OLD_ID])
    name = _name(fields[NAME])
    birth, year_only = _date_of_birth(fields[BIRTH])
    gender = _gender(fields[GENDER])
    qr = CccdQr(
        personal_id=personal_id,
        old_id=old_id,
        name=name,
        date_of_birth=birth,
        birth_year_only=year_only,
        gender=gender,
        address=_text(fields[ADDRESS], ADDRESS),
        issued_on=_issued_on(fields[ISSUED_ON]),
    )
    _consistent(qr)
    return qr


def _body(text: str) -> str:
    return text.strip().lstrip("\ufeff").strip()


def _split(text: str) -> list[str]:
    """The fields between the pipes, labels dropped, once size and shape say it may be this QR."""
    if len(text) > MAX_QR_LENGTH:
        raise CccdQrProblem(f"QR text is {len(text)} characters; a CCCD QR has at most {MAX_QR_LENGTH}")
    body = _body(text)
    if not body:
        raise CccdQrProblem("QR text is empty")
    if body.endswith("$"):
        raise CccdQrProblem("QR text ends with '$': it is a BHYT card QR, not a chip ID card (CCCD) QR")
    fields = [_unlabelled(field).strip() for field in body.split("|")]
    if len(fields) < MIN_FIELDS:
        raise CccdQrProblem(
            f"QR has {len(fields)} field(s) separated by '|'; a CCCD QR has at least {MIN_FIELDS} "
            "(number, old ID or empty, name, date of birth, gender, address, issue date)"
        )
    return fields


def _unlabelled(field: str) -> str:
    """The field without a known label some scanners put before it ("Họ tên: ", "CCCD:")."""
    match = _LABEL.match(field.strip())
    if match is not None and _label_key(match[1]) in KNOWN_LABELS:
        return field.strip()[match.end() :]
    return field


def _label_key(label: str) -> str:
    """ASCII letters of a label: diacritics, đ, case, spaces and punctuation dropped."""
    decomposed = unicodedata.normalize("NFD", label.casefold().replace("đ", "d"))
    return "".join(char for char in decomposed if char.isascii() and char.isalpha())


def _problem(index: int, what: str) -> CccdQrProblem:
    return CccdQrProblem(f"field {index + 1} ({_LABELS[index]}) {what}", field=index + 1)


def _shown(value: str) -> str:
    """The offending value for a message: short, and repr so control characters stay visible."""
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _personal_id(raw: str) -> str:
    number = _SPACE.sub("", raw)
    if _PERSONAL_ID.fullmatch(number):
        return number
    if not number:
        raise _problem(NUMBER, "is empty")
    raise _problem(NUMBER, f"{_shown(raw)} is not a 12-digit personal identification number")


def _old_id(raw: str) -> str:
    number = _SPACE.sub("", raw)
    if not number or _OLD_ID.fullmatch(number):
        return number
    raise _problem(
        OLD_ID,
        f"{_shown(raw)} is not an old ID (9 digits) nor empty: a QR without this field has its "
        "name, dates and gender in the wrong places",
    )


def _text(raw: str, index: int) -> str:
    """Plain text, NFC, whitespace collapsed; control characters refused (a misread, not a name)."""
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise _problem(index, f"holds control characters: {_shown(text)}")
    return text


def _name(raw: str) -> str:
    name = _text(raw, NAME)
    if not name:
        raise _problem(NAME, "is empty")
    if len(name) > MAX_NAME:
        raise _problem(NAME, f"is {len(name)} characters; a name has at most {MAX_NAME}")
    if not any(char.isalpha() for char in name):
        raise _problem(NAME, f"{_shown(name)} has no letter: it is not a name")
    return name


def _gender(raw: str) -> Gender:
    gender = _GENDERS.get(unicodedata.normalize("NFC", raw.strip()).casefold())
    if gender is None:
        raise _problem(GENDER, f"is {_shown(raw)}; expected Nam or Nữ")
    return gender


def _date_of_birth(raw: str) -> tuple[date, bool]:
    compact = _SPACE.sub("", raw)
    if not compact:
        raise _problem(BIRTH, "is empty")
    if _YEAR.fullmatch(compact):
        if int(compact) < 1:
            raise _problem(BIRTH, f"year {compact} does not exist")
        return date(int(compact), 1, 1), True
    return _day(compact, BIRTH), False


def _issued_on(raw: str) -> date | None:
    compact = _SPACE.sub("", raw)
    return _day(compact, ISSUED_ON) if compact else None


def _day(compact: str, index: int) -> date:
    match = _DDMMYYYY.fullmatch(compact) or _DMY.fullmatch(compact)
    if match is None:
        raise _problem(index, f"{_shown(compact)} is not a date ddmmyyyy")
    day, month, year = int(match[1]), int(match[2]), int(match[3])
    try:
        return date(year, month, day)
    except ValueError as e:
        raise _problem(index, f"{compact} is not a calendar date ({e})") from e


def _consistent(qr: CccdQr) -> None:
    """The number's century/gender digit and year digits against the QR's own birth date and gender."""
    problems = cccd_inconsistencies(
        CccdNumber(qr.personal_id),
        date_of_birth=None if qr.birth_year_only else qr.date_of_birth,
        birth_year=qr.date_of_birth.year if qr.birth_year_only else None,
        gender=qr.gender,
    )
    if problems:
        raise _problem(NUMBER, f"disagrees with the QR itself: {'; '.join(problems)}")
