"""Card usage as the usage projection reports it: how often and where a person checked in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class UsageEntry:
    check_in_id: str
    facility_id: str
    kiosk_id: str
    result_code: str
    at: datetime


@dataclass(frozen=True)
class Usage:
    check_ins_today: int = 0
    check_ins_total: int = 0
    accepted_total: int = 0
    last_facility_id: str = ""
    last_check_in_at: datetime | None = None
    recent: tuple[UsageEntry, ...] = ()
