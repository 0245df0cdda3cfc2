"""Vietnam's calendar: card validity is judged by the local date of the check-in."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


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
