"""The facts the use cases record, as domain objects: what the `EventLog` port takes.

Past-tense names, one per event kind of `proto/bhyt/v1/events.proto`; each has its event id, its
key (the person or thing whose events stay ordered in one partition) and an aware UTC time. How a
fact becomes a protobuf envelope on a topic is `verifier.events.envelopes.to_envelope`, called by
the Kafka adapter: the service layer never builds wire messages.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

from verifier.domain.credentials import Assurance, Credential
from verifier.domain.face_match import FaceJudgement, FaceMatchReport
from verifier.domain.lifecycle import (
    Change,
    DetailsCorrection,
    Erasure,
    Extension,
    FacilityChange,
    LossReport,
    Reduction,
    Replacement,
    Revocation,
)
from verifier.domain.participation import Participation
from verifier.domain.presentation import Presentation
from verifier.domain.station import Station
from verifier.domain.verdicts import Decision
from verifier.tokens.card_token import TokenReport
from verifier.tokens.keys import TrustedKey


def new_event_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, kw_only=True)
class _Fact:
    at: datetime
    event_id: str = field(default_factory=new_event_id)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("event time must be timezone-aware")


@dataclass(frozen=True, kw_only=True)
class CheckInVerified(_Fact):
    """A check-in's decision; `event_id` is the check-in id the kiosk is given."""

    key: str
    station: Station
    decision: Decision
    presented_number: str
    credential: Credential = Credential.CARD_NUMBER
    assurance: Assurance = Assurance.UNAUTHENTICATED
    check_registered_facility: bool = False
    # Whom an authentic credential names when no record could be read (a provisional verdict).
    social_insurance_number: str = ""
    token: TokenReport | None = None
    first_presentation: Presentation | None = None  # a replayed token: where it was first shown
    chip_failed_checks: Sequence[str] = ()

    @property
    def check_in_id(self) -> str:
        return self.event_id


@dataclass(frozen=True, kw_only=True)
class FaceMatchRecorded(_Fact):
    key: str
    check_in_id: str
    report: FaceMatchReport
    judgement: FaceJudgement
    social_insurance_number: str
    personal_id: str
    station: Station
    credential: Credential = Credential.CHIP_ID  # the check-in's: a face is compared on every path


@dataclass(frozen=True, kw_only=True)
class ParticipantEnrolled(_Fact):
    participant: Participation

    @property
    def key(self) -> str:
        return self.participant.social_insurance_number


# ---- The card lifecycle: one fact per change (verifier.domain.lifecycle), keyed by the person ----


@dataclass(frozen=True, kw_only=True)
class _LifecycleFact(_Fact):
    change: Change

    @property
    def key(self) -> str:
        return self.change.social_insurance_number


@dataclass(frozen=True, kw_only=True)
class CardReplaced(_LifecycleFact):
    change: Replacement


@dataclass(frozen=True, kw_only=True)
class CoverageExtended(_LifecycleFact):
    change: Extension


@dataclass(frozen=True, kw_only=True)
class ParticipationReduced(_LifecycleFact):
    change: Reduction


@dataclass(frozen=True, kw_only=True)
class CardRevoked(_LifecycleFact):
    change: Revocation


@dataclass(frozen=True, kw_only=True)
class CardReportedLost(_LifecycleFact):
    change: LossReport


@dataclass(frozen=True, kw_only=True)
class RegisteredFacilityChanged(_LifecycleFact):
    change: FacilityChange


@dataclass(frozen=True, kw_only=True)
class PersonDetailsCorrected(_LifecycleFact):
    change: DetailsCorrection


@dataclass(frozen=True, kw_only=True)
class PersonErased(_LifecycleFact):
    change: Erasure


LifecycleFact: TypeAlias = (
    CardReplaced
    | CoverageExtended
    | ParticipationReduced
    | CardRevoked
    | CardReportedLost
    | RegisteredFacilityChanged
    | PersonDetailsCorrected
    | PersonErased
)
_RECORDED_AS: dict[type, type] = {
    Replacement: CardReplaced,
    Extension: CoverageExtended,
    Reduction: ParticipationReduced,
    Revocation: CardRevoked,
    LossReport: CardReportedLost,
    FacilityChange: RegisteredFacilityChanged,
    DetailsCorrection: PersonDetailsCorrected,
    Erasure: PersonErased,
}


def lifecycle_fact(change: Change, *, at: datetime, event_id: str = "") -> LifecycleFact:
    """The fact that records `change` (a fresh event id unless one is given, e.g. derived from a
    client request id so that a retry records the same fact)."""
    recorded_as = _RECORDED_AS[type(change)]
    fact: LifecycleFact = recorded_as(change=change, at=at, event_id=event_id or new_event_id())
    return fact


@dataclass(frozen=True, kw_only=True)
class SigningKeyTrusted(_Fact):
    signing_key: TrustedKey
    reason: str

    @property
    def key(self) -> str:
        return f"kid:{self.signing_key.kid_hex}"


@dataclass(frozen=True, kw_only=True)
class SigningKeyRevoked(_Fact):
    kid: bytes
    reason: str

    @property
    def key(self) -> str:
        return f"kid:{self.kid.hex()}"


@dataclass(frozen=True, kw_only=True)
class AlertAcknowledged(_Fact):
    """Keyed by the alert id, like the alert itself, so it follows the alert in its partition."""

    alert_id: str
    staff_id: str
    note: str

    @property
    def key(self) -> str:
        return self.alert_id


@dataclass(frozen=True, kw_only=True)
class AlertClosed(_Fact):
    alert_id: str
    staff_id: str
    resolution: str
    note: str

    @property
    def key(self) -> str:
        return self.alert_id


# ---- Accounts and registered staff (topic bhyt.accounts.v1) --------------------------------------


@dataclass(frozen=True, kw_only=True)
class AccountAdded(_Fact):
    username: str
    role: str
    facility_id: str
    password_hash: str  # "scrypt$..." of the MD5 string clients send: never the password
    added_by: str

    @property
    def key(self) -> str:
        return f"account:{self.username}"


@dataclass(frozen=True, kw_only=True)
class AccountDisabled(_Fact):
    username: str
    reason: str
    disabled_by: str

    @property
    def key(self) -> str:
        return f"account:{self.username}"


@dataclass(frozen=True, kw_only=True)
class StaffRegistered(_Fact):
    """Keyed by the facility: its staff list is folded in one order."""

    registry_id: str
    facility_id: str
    personal_id: str
    full_name: str

    @property
    def key(self) -> str:
        return f"staff:{self.facility_id}"


@dataclass(frozen=True, kw_only=True)
class StaffRemoved(_Fact):
    registry_id: str
    facility_id: str

    @property
    def key(self) -> str:
        return f"staff:{self.facility_id}"


AccountFact: TypeAlias = AccountAdded | AccountDisabled | StaffRegistered | StaffRemoved

Fact: TypeAlias = (
    CheckInVerified
    | FaceMatchRecorded
    | ParticipantEnrolled
    | LifecycleFact
    | SigningKeyTrusted
    | SigningKeyRevoked
    | AlertAcknowledged
    | AlertClosed
    | AccountFact
)
