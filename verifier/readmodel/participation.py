"""The Redis read model's schema: its keys and its record encoding.

The projections write these keys and the verifier reads them, so both import this one module.
Every key of one person carries the person's id as a Redis hash tag (`{...}`), so all of them live
in one slot of a Redis Cluster (the CCCD index `i:` is the exception: a slot of its own; so is a
facility's `f:fac:`).

Keys (SIN = 10-digit social insurance number):
  p:{SIN}           hash   d: the participation record packed in one string (below);
                           @<partition>: last applied offset (the projection's idempotence guard)
  u:{SIN}           hash   usage totals: n (check-ins), a (accepted), lf (last facility), lt (last ms),
                           @<partition>: last applied offset
  u:{SIN}:d:YYYYMMDD string check-ins that Vietnam day
  u:{SIN}:r         list   recent check-ins, newest first: id|facility|kiosk|code|epoch-ms
  i:<personal id>   string SIN of the holder of a 12-digit CCCD number (index; its own slot)
  f:{SIN}, f:fac:{<facility>}  hash  face-match statistics (projections/face/model.py)
Usage of a card number that matched nobody is kept under the subject `card:<number>`.

The participation record is one packed string rather than a hash of named fields because there
are ~91 million of them: field names alone would cost more than the data (see BENCHMARKS.md).
Dates are packed YYYYMMDD; a birth date VSS holds only the year of is packed YYYY, and an
open-ended card's end (and any absent date) is empty. Entries written before those two existed
hold eight digits in both places, so they decode as they always did: no migration, no version.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from verifier.domain.participation import ERASED_BIRTH_DATE, CardValidity, Gender, Participation, Status
from verifier.domain.usage import UsageEntry

RECORD_FIELD = "d"  # the field of p:{SIN} holding the packed record


def participant_key(sin: str) -> str:
    return f"p:{{{sin}}}"


def usage_key(subject: str) -> str:
    return f"u:{{{subject}}}"


def usage_day_key(subject: str, day: date) -> str:
    return f"u:{{{subject}}}:d:{day:%Y%m%d}"


def usage_recent_key(subject: str) -> str:
    return f"u:{{{subject}}}:r"


def guard_field(partition: int) -> str:
    """The hash field holding the last offset applied from one partition."""
    return f"@{partition}"


def face_key(subject: str) -> str:
    return f"f:{{{subject}}}"


FACE_FACILITY_PREFIX = "f:fac:"


def face_facility_key(facility_id: str) -> str:
    return f"{FACE_FACILITY_PREFIX}{{{facility_id}}}"


def personal_id_key(personal_id: str) -> str:
    return f"i:{personal_id}"


def unknown_card_subject(presented_number: str) -> str:
    return f"card:{presented_number}"


_GENDER_CODES = {Gender.MALE: "m", Gender.FEMALE: "f", Gender.UNSPECIFIED: ""}
_GENDERS = {v: k for k, v in _GENDER_CODES.items()}
_STATUS_CODES = {
    Status.ACTIVE: "a",
    Status.REVOKED: "r",
    Status.LOST: "l",
    Status.REDUCED: "s",
    Status.ERASED: "e",
}
_STATUSES = {v: k for k, v in _STATUS_CODES.items()}
_SEP = "\x1f"  # ASCII unit separator: cannot occur in validated names, codes or dates


def _d(day: date | None) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}" if day else ""  # 3x faster than strftime


def _day(text: str) -> date | None:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if text else None


def _birth(text: str) -> tuple[date, bool]:
    """(date of birth, year only): YYYY is a year-only birth date, YYYYMMDD a full one, and an
    empty one an erased record's."""
    if not text:
        return ERASED_BIRTH_DATE, True
    if len(text) == 4:
        return date(int(text), 1, 1), True
    return _req(text), False


def _req(text: str) -> date:
    day = _day(text)
    if day is None:
        raise ValueError("packed participation record without a required date")
    return day


def _packed_birth(p: Participation) -> str:
    if p.status is Status.ERASED:
        return ""
    return f"{p.date_of_birth.year:04d}" if p.birth_year_only else _d(p.date_of_birth)


def encode_participation(p: Participation) -> str:
    previous = ";".join(f"{c.card_number},{_d(c.valid_from)},{_d(c.valid_to)}" for c in p.previous_cards)
    return _SEP.join(
        (
            p.card_number,
            p.full_name,
            _packed_birth(p),
            _GENDER_CODES[p.gender],
            p.registered_facility,
            _d(p.valid_from),
            _d(p.valid_to),
            p.personal_id,
            _d(p.five_years_from),
            _STATUS_CODES[p.status],
            p.reduction_code,
            _d(p.reduced_from),
            previous,
            ";".join(sorted(p.lost_cards)),
        )
    )


def decode_participation(sin: str, packed: str) -> Participation:
    (
        card,
        name,
        dob,
        gender,
        facility,
        start,
        end,
        pid,
        five,
        status,
        reduction,
        reduced_from,
        previous,
        lost,
    ) = packed.split(_SEP)
    born, year_only = _birth(dob)
    return Participation(
        social_insurance_number=sin,
        card_number=card,
        full_name=name,
        date_of_birth=born,
        gender=_GENDERS.get(gender, Gender.UNSPECIFIED),
        registered_facility=facility,
        valid_from=_req(start),
        valid_to=_day(end),  # None: open-ended
        personal_id=pid,
        five_years_from=_day(five),
        status=_STATUSES[status],
        reduction_code=reduction,
        reduced_from=_day(reduced_from),
        previous_cards=tuple(
            CardValidity(c, _req(f), _day(t))
            for c, f, t in (item.split(",") for item in previous.split(";") if item)
        ),
        lost_cards=frozenset(c for c in lost.split(";") if c),
        birth_year_only=year_only,
    )


def encode_usage_entry(e: UsageEntry) -> str:
    return "|".join((e.check_in_id, e.facility_id, e.kiosk_id, e.result_code, str(epoch_ms(e.at))))


def decode_usage_entry(text: str) -> UsageEntry:
    check_in_id, facility, kiosk, code, ms = text.split("|")
    return UsageEntry(check_in_id, facility, kiosk, code, from_epoch_ms(int(ms)))


def epoch_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def from_epoch_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
