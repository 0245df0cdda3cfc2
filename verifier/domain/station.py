"""Who asks for a check-in: the facility and kiosk, the staff member at it, and the kiosk's certificate.

A verdict depends on the facility (the registered-facility check, the face-match threshold), and VSS
requires every lookup to name the person who performed it. With mTLS the facility and kiosk come
from the kiosk's client certificate, never from the request body; the certificate's fingerprint is
recorded so an audit can tell which issued certificate asked.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from verifier.domain.facilities import FacilityRegistry
from verifier.errors import BadRequest

_KIOSK_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# A staff id may be a name ("Nguyễn Thị Lan / NV042"), so any visible text; but no control, format
# (zero-width, bidi override), separator-other-than-space, private or unassigned characters, which
# would let an audit record look empty or read differently from what it holds.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})
MAX_STAFF_ID = 64


def valid_staff_id(text: str) -> bool:
    return (
        0 < len(text) <= MAX_STAFF_ID
        and not any(unicodedata.category(c) in _INVISIBLE for c in text)
        and any(c.isalnum() for c in text)
    )


def validate_place(facilities: FacilityRegistry, facility_id: str, kiosk_id: str) -> str:
    """The facility (normalised) when it is registered and the kiosk id is well formed."""
    facility = facilities.require(facility_id)
    if not _KIOSK_ID.fullmatch(kiosk_id or ""):
        raise BadRequest("kiosk_id: 1-64 letters, digits or . _ : -")
    return facility


@dataclass(frozen=True)
class Station:
    facility_id: str
    kiosk_id: str
    staff_id: str
    kiosk_certificate_sha256: str = ""  # empty only in development plaintext mode

    def validated(self, facilities: FacilityRegistry) -> Station:
        """This station with its facility normalised; BadRequest when a part is missing or malformed."""
        facility = validate_place(facilities, self.facility_id, self.kiosk_id)
        staff = unicodedata.normalize("NFC", self.staff_id.strip())
        if not valid_staff_id(staff):
            raise BadRequest("staff_id: who does the check-in, 1-64 characters (VSS requires it)")
        return replace(self, facility_id=facility, staff_id=staff)
