"""The HIS gateway's use cases: a token for a hospital system, and a card check through VSS's contract.

A lookup is a check-in like any other: judged by the one `CheckInPipeline` (the same verdicts as a
kiosk's), recorded as a `CheckInVerified` with credential HIS lookup before it is answered, so usage
and the misuse rules see it. Its station is the account's facility, the kiosk `his:<username>`, and
the staff member by registry id (2024) or the account's username (2019, which names no one); the
staff member's CCCD number is used to find them and never recorded.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from verifier.domain.calendar import vietnam_date
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.his_request import HisCardQuery, Shape
from verifier.domain.identity import NAME_WITHOUT_DIACRITICS, name_mismatch
from verifier.domain.station import Station
from verifier.domain.usage import UsageEntry
from verifier.errors import ReadModelUnavailable, Unauthenticated, VerifierError
from verifier.ports import EventLog, ReadModel
from verifier.service.accounts import Account, IssuedToken, Role, StaffMember
from verifier.service.pipeline import CheckIn, CheckInPipeline, CheckInResult, Clock

log = logging.getLogger(__name__)

HIS_KIOSK_PREFIX = "his:"  # the kiosk id of a HIS lookup: his:<username>
_KIOSK_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")


class HisAccounts(Protocol):
    """What the gateway needs of accounts and staff: the three methods of
    `verifier.service.accounts.AccountService` it calls (a narrow port, faked in the tests). A
    Protocol, so the service fits it without knowing the gateway."""

    async def log_in(self, username: str, password_md5: str, *, address: str) -> IssuedToken:
        """A token, or LoginRefused (`locked` when rate-limited)."""
        ...

    async def authenticate(self, access_token: str, *, id_token: str = "") -> Account:
        """The token's account, or Unauthenticated."""
        ...

    async def staff_member(self, facility_id: str, personal_id: str) -> StaffMember | None:
        """The staff member the facility registered under that CCCD number, if any."""
        ...


class StaffNotRegistered(VerifierError):
    """VSS 054: the checking staff member's CCCD is not registered for the account's facility."""

    code = "054"
    grpc_status = "PERMISSION_DENIED"


class StaffNameMismatch(VerifierError):
    """VSS 055: the staff member's name does not match the one registered under that CCCD."""

    code = "055"
    grpc_status = "PERMISSION_DENIED"


@dataclass(frozen=True)
class HisLookup:
    """One request to `KQNhanLichSuKCB2019`/`2024`, from an authenticated HIS account."""

    account: Account
    query: HisCardQuery
    shape: Shape


@dataclass(frozen=True)
class HisLookupResult:
    check_in: CheckInResult
    query: HisCardQuery
    history: tuple[UsageEntry, ...]  # the card's recent checks (newest first), from the usage projection


def his_kiosk_id(username: str) -> str:
    """`his:<username>`, kept to what a kiosk id may hold (letters, digits, . _ : -; 64 characters)."""
    return (HIS_KIOSK_PREFIX + _KIOSK_UNSAFE.sub("_", username))[:64]


def history_user(entry: UsageEntry) -> str:
    """Who made a check, as `dsLichSuKT2018.userKT` shows it: the HIS account for a gateway lookup,
    else the facility and kiosk."""
    if entry.kiosk_id.startswith(HIS_KIOSK_PREFIX):
        return entry.kiosk_id.removeprefix(HIS_KIOSK_PREFIX)
    return f"{entry.facility_id}/{entry.kiosk_id}"


class HisGateway:
    def __init__(
        self,
        *,
        accounts: HisAccounts,
        read_model: ReadModel,
        event_log: EventLog,
        facilities: FacilityRegistry,
        clock: Clock,
        recent: int = 20,
    ) -> None:
        self._accounts = accounts
        self._read_model = read_model
        self._pipeline = CheckInPipeline(read_model=read_model, event_log=event_log)
        self._facilities = facilities
        self._clock = clock
        self._recent = recent

    async def take_token(self, username: str, password_md5: str, *, address: str) -> IssuedToken:
        """/api/token/take; raises LoginRefused (wrong login, disabled, or locked after failures)."""
        return await self._accounts.log_in(username, password_md5, address=address)

    async def authenticate(self, access_token: str, *, id_token: str = "", username: str = "") -> Account:
        """The HIS account a live token belongs to, checked before anything in the request is read:
        Unauthenticated (401) for no token, an unknown, expired or revoked one, an account that is
        not a HIS account, or a `username` that is not the token's."""
        if not access_token:
            raise Unauthenticated("no token")
        account = await self._accounts.authenticate(access_token, id_token=id_token)
        if account.role is not Role.HIS:
            raise Unauthenticated(f"account {account.username} is not a HIS account")
        if username and username.strip().lower() != account.username.lower():  # usernames fold case
            raise Unauthenticated("the token belongs to another account than `username`")
        return account

    async def look_up(self, lookup: HisLookup) -> HisLookupResult:
        """Check the staff member (054/055, 2024 only), judge and record the check-in
        (EventLogUnavailable when the log cannot confirm it: nothing is answered), then read the
        card's recent checks for the answer."""
        account = lookup.account
        staff_id = account.username
        if lookup.shape is Shape.V2024:
            staff_id = await self._staff_registry_id(account, lookup.query)
        station = Station(account.facility_id, his_kiosk_id(account.username), staff_id).validated(
            self._facilities
        )
        at = self._clock()
        result = await self._pipeline.run(CheckIn(lookup.query.presented(), station, at))
        return HisLookupResult(result, lookup.query, await self._history(result, at))

    async def _staff_registry_id(self, account: Account, query: HisCardQuery) -> str:
        """VSS 054 when the facility registered nobody under that CCCD, 055 when the name differs;
        names compare as `identity.name_mismatch` does: case, spacing and tone-mark placement do not
        matter, and a name typed without diacritics (its K03) still matches, as HIS systems send."""
        staff = await self._accounts.staff_member(account.facility_id, query.staff_personal_id)
        if staff is None:
            raise StaffNotRegistered(f"cccdCb is not registered for facility {account.facility_id}")
        if name_mismatch(query.staff_name, staff.full_name) not in (None, NAME_WITHOUT_DIACRITICS):
            raise StaffNameMismatch("hoTenCb does not match the name registered under cccdCb")
        return staff.registry_id

    async def _history(self, result: CheckInResult, at: datetime) -> tuple[UsageEntry, ...]:
        """The card's recent checks. The lookup is already recorded and will be answered: a read
        model that fails now costs the history, not the answer (a retry would record it twice)."""
        person = result.decision.participant
        if person is None:
            return ()
        try:
            usage = await self._read_model.usage(
                person.social_insurance_number, day=vietnam_date(at), recent=self._recent
            )
        except ReadModelUnavailable as e:
            log.warning("HIS lookup %s answered without its check history: %s", result.check_in_id, e)
            return ()
        return usage.recent
