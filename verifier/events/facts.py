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


@dataclass(frozen=True, kw_only=True)
class ParticipantEnrolled(_Fact):
    participant: Participation

    @property
    def key(self) -> str:
        return self.participant.social_insurance_number


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


Fact: TypeAlias = (
    CheckInVerified
    | FaceMatchRecorded
    | ParticipantEnrolled
    | SigningKeyTrusted
    | SigningKeyRevoked
    | AlertAcknowledged
    | AlertClosed
)
