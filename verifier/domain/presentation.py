"""Where and when a digital card token was shown: what the replay check compares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Presentation:
    check_in_id: str
    facility_id: str
    kiosk_id: str
    at: datetime
