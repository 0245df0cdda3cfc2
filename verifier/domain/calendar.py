"""Vietnam's calendar: card validity is judged by the local date of the check-in."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST_BIRTH_YEAR = 1900  # a year-only birth date before this is a typo, not a living person
_YEAR = re.compile(r"[0-9]{4}")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def vietnam_date(at: datetime) -> date:
    """The calendar date in Vietnam at instant `at` (which must be timezone-aware)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: pass an aware (UTC) instant")
    return at.astimezone(VIETNAM).date()


def parse_iso_date(text: str, *, field: str) -> date:
    """Parse YYYY-MM-DD, naming the field in the error so a caller can tell the user which one."""
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise ValueError(f"{field}: expected a date as YYYY-MM-DD, got {text!r}") from e


def iso_or_empty(day: date | None) -> str:
    """YYYY-MM-DD, or "" for no date (an open-ended card, a date not known)."""
    return day.isoformat() if day is not None else ""


def optional_iso_date(text: str, *, field: str) -> date | None:
    """YYYY-MM-DD, or None for "": how an open-ended card's end travels in events and requests."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise ValueError(f"{field}: expected a date as YYYY-MM-DD, or empty for no end, got {text!r}") from e


def parse_birth_date(text: str, *, field: str = "date_of_birth") -> tuple[date, bool]:
    """YYYY-MM-DD, or YYYY when VSS holds only the year of birth (older people, old cards).

    Returns (date, year_only); a year alone gives 1 January of that year, which is what
    `Participation.date_of_birth` holds then. Strict on shape: the record must say which one it is.
    """
    if _YEAR.fullmatch(text) and int(text) >= FIRST_BIRTH_YEAR:
        return date(int(text), 1, 1), True
    if _ISO_DAY.fullmatch(text):
        try:
            return date.fromisoformat(text), False
        except ValueError:
            pass
    raise ValueError(f"{field}: expected a date as YYYY-MM-DD, or the year alone as YYYY, got {text!r}")


def birth_date_text(day: date, year_only: bool) -> str:
    """The inverse of `parse_birth_date`: "YYYY" when only the year is known, else YYYY-MM-DD."""
    return f"{day.year:04d}" if year_only else day.isoformat()
