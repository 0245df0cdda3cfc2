"""Accounts and registered staff: who may use the HIS gateway and the staff dashboard.

INTERFACE FIRST (issue 16): the signatures below are the agreement between the gateway and the
accounts work; the implementation replaces every NotImplementedError.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from verifier.errors import VerifierError


class Role(StrEnum):
    HIS = "his"  # a hospital information system: the card-check gateway
    MONITORING = "monitoring"  # fraud-monitoring staff: the dashboard


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    facility_id: str  # the facility a HIS account checks cards for ("" for monitoring accounts)


@dataclass(frozen=True)
class IssuedToken:
    """What /api/token/take answers: both tokens are random, short-lived and revocable."""

    access_token: str
    id_token: str
    username: str
    expires_at: datetime  # UTC


@dataclass(frozen=True)
class StaffMember:
    registry_id: str  # what check-in events name: never the CCCD
    facility_id: str
    full_name: str


class LoginRefused(VerifierError):
    """Wrong username or password, a disabled account, or too many failed attempts (`locked`)."""

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


class AccountService:
    async def log_in(self, username: str, password_md5: str, *, address: str) -> IssuedToken:
        """Check the password (the MD5 hex string clients send) against the slow salted hash; rate
        limited per account and per address. Raises LoginRefused."""
        raise NotImplementedError

    async def authenticate(self, access_token: str, *, id_token: str = "") -> Account:
        """The account a live token belongs to; raises verifier.errors.Unauthenticated for an
        unknown, expired or revoked token, or a disabled account."""
        raise NotImplementedError

    async def staff_member(self, facility_id: str, personal_id: str) -> StaffMember | None:
        """The staff member `facility_id` registered under that CCCD number, if any (VSS 054)."""
        raise NotImplementedError
