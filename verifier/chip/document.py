"""One chip read, judged: passive authentication, identity checks and (optionally) active authentication.

This is what the check-in service calls. It takes its whole world as arguments (bytes read from
the chip, a trust snapshot, the verification time) and returns a report whose checks, codes and
identity fields can become a verdict and an event. Ethnicity, religion and the face image are
never part of `to_dict()`; the image is on `face_image` for a face matcher and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from verifier.chip.active import verify_active_authentication
from verifier.chip.checks import Check, error_codes, fail
from verifier.chip.codes import DG_NOT_COVERED
from verifier.chip.dg2 import FaceImage
from verifier.chip.identity import IdentityReport, check_identity
from verifier.chip.passive import PassiveReport, verify_passive
from verifier.chip.trust import TrustAnchors
from verifier.chip.views import identity_view
from verifier.domain.calendar import vietnam_date

CCCD_REQUIRED_DATA_GROUPS = (1, 13)  # what a check-in needs: MRZ and personal data


@dataclass(frozen=True)
class ActiveAuthInput:
    """What the session layer collected: our challenge and the chip's INTERNAL AUTHENTICATE answer."""

    challenge: bytes
    signature: bytes


@dataclass(frozen=True)
class ChipReport:
    passive: PassiveReport
    identity: IdentityReport
    active: Check | None = None
    verified_at: datetime | None = None

    @property
    def checks(self) -> tuple[Check, ...]:
        return (*self.passive.checks, *self.identity.checks, *((self.active,) if self.active else ()))

    @property
    def errors(self) -> list[str]:
        return error_codes(self.checks)

    @property
    def valid(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def face_image(self) -> FaceImage | None:
        return self.identity.face_image

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view for operators (no ethnicity, religion, image bytes or key material)."""
        passive = self.passive.to_dict()
        passive.pop("checks")
        passive.pop("errors")
        passive.pop("valid")
        return {
            "valid": self.valid,
            "verified_at": self.verified_at.isoformat() if self.verified_at else None,
            **passive,
            "active_authentication": self.active.to_dict() if self.active else None,
            "errors": self.errors,
            "checks": [c.to_dict() for c in self.checks],
            "identity": identity_view(self.identity),
        }


def verify_chip(
    sod: bytes,
    data_groups: Mapping[int, bytes],
    trust: TrustAnchors,
    at: datetime,
    *,
    required_data_groups: Iterable[int] = CCCD_REQUIRED_DATA_GROUPS,
    require_crl: bool = False,
    active_auth: ActiveAuthInput | None = None,
) -> ChipReport:
    """Judge one chip read at time `at` (aware). Never raises for bad chip data.

    Identity dates (document expiry) are judged on the calendar day in Vietnam (UTC+7), like card
    validity. With `active_auth`, DG15 (and DG14 for ECDSA keys) must have been read; they are
    then required data groups too, so their hashes are checked against the SOD.
    """
    required = set(required_data_groups)
    active: Check | None = None
    if active_auth is not None:
        required.add(15)
        if 15 not in data_groups:
            active = fail(
                "active_authentication", "ICAO 9303-11 §6.1", DG_NOT_COVERED, "DG15 (AA public key) not read"
            )
        else:
            active = verify_active_authentication(
                data_groups[15], active_auth.challenge, active_auth.signature, data_groups.get(14)
            )
            if 14 in data_groups:
                required.add(14)
    passive = verify_passive(
        sod, data_groups, trust, at, required_data_groups=required, require_crl=require_crl
    )
    identity = check_identity(data_groups, vietnam_date(at))
    return ChipReport(passive, identity, active, at)
