"""Domain facts <-> protobuf events: the only place that builds event messages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeAlias

from bhyt.v1 import events_pb2 as ev
from google.protobuf.timestamp_pb2 import Timestamp

from verifier.domain.calendar import birth_date_text, iso_or_empty, optional_iso_date, parse_birth_date
from verifier.domain.credentials import Assurance, Credential
from verifier.domain.face_match import FaceJudgement, FaceMatchReport
from verifier.domain.participation import CardValidity, Gender, Participation
from verifier.domain.presentation import Presentation
from verifier.domain.station import Station
from verifier.domain.verdicts import Decision, Verdict
from verifier.events import facts
from verifier.events.version import SCHEMA_VERSION
from verifier.tokens.card_token import TokenReport
from verifier.tokens.keys import TrustedKey

GENDER_TO_PB: dict[Gender, ev.Gender] = {
    Gender.MALE: ev.GENDER_MALE,
    Gender.FEMALE: ev.GENDER_FEMALE,
    Gender.UNSPECIFIED: ev.GENDER_UNSPECIFIED,
}
GENDER_FROM_PB: dict[int, Gender] = {v: k for k, v in GENDER_TO_PB.items()}
VERDICT_TO_PB = {
    Verdict.ACCEPTED: ev.VERDICT_ACCEPTED,
    Verdict.REJECTED: ev.VERDICT_REJECTED,
    Verdict.NEEDS_REVIEW: ev.VERDICT_NEEDS_REVIEW,
    Verdict.PROVISIONAL: ev.VERDICT_PROVISIONAL,
}
CREDENTIAL_TO_PB = {
    Credential.CARD_NUMBER: ev.CREDENTIAL_KIND_CARD_NUMBER,
    Credential.DIGITAL_TOKEN: ev.CREDENTIAL_KIND_DIGITAL_TOKEN,
    Credential.LEGACY_QR: ev.CREDENTIAL_KIND_LEGACY_QR,
    Credential.CHIP_ID: ev.CREDENTIAL_KIND_CHIP_ID,
    Credential.CCCD_QR: ev.CREDENTIAL_KIND_CCCD_QR,
    Credential.HIS_LOOKUP: ev.CREDENTIAL_KIND_HIS_LOOKUP,
}
ASSURANCE_TO_PB = {
    Assurance.UNAUTHENTICATED: ev.ASSURANCE_UNAUTHENTICATED,
    Assurance.SIGNED_TOKEN: ev.ASSURANCE_SIGNED_TOKEN,
    Assurance.CHIP_PASSIVE: ev.ASSURANCE_CHIP_PASSIVE,
    Assurance.CHIP_ACTIVE: ev.ASSURANCE_CHIP_ACTIVE,
}


def envelope(*, key: str, at: datetime, producer: str, event_id: str = "") -> ev.EventEnvelope:
    """A new envelope (fresh event id unless given); the caller sets exactly one payload."""
    if at.tzinfo is None:
        raise ValueError("event time must be timezone-aware")
    env = ev.EventEnvelope(
        event_id=event_id or str(uuid.uuid4()), key=key, schema_version=SCHEMA_VERSION, producer=producer
    )
    set_time(env.occurred_at, at)
    return env


def participant_enrolled(
    p: Participation, *, at: datetime, producer: str, event_id: str = ""
) -> ev.EventEnvelope:
    env = envelope(key=p.social_insurance_number, at=at, producer=producer, event_id=event_id)
    env.participant_enrolled.CopyFrom(
        ev.ParticipantEnrolled(
            social_insurance_number=p.social_insurance_number,
            card_number=p.card_number,
            personal_id=p.personal_id,
            full_name=p.full_name,
            date_of_birth=birth_date_text(p.date_of_birth, p.birth_year_only),  # "YYYY" when year only
            gender=GENDER_TO_PB[p.gender],
            registered_facility=p.registered_facility,
            valid_from=p.valid_from.isoformat(),
            valid_to=iso_or_empty(p.valid_to),  # "": open-ended
            five_years_from=p.five_years_from.isoformat() if p.five_years_from else "",
        )
    )
    return env


def participation_from(e: ev.ParticipantEnrolled) -> Participation:
    """The record an enrollment makes. Events written before year-only birth dates and open-ended
    cards existed always hold YYYY-MM-DD in both fields, so they decode as they always did."""
    born, year_only = parse_birth_date(e.date_of_birth)
    return Participation(
        social_insurance_number=e.social_insurance_number,
        card_number=e.card_number,
        full_name=e.full_name,
        date_of_birth=born,
        gender=GENDER_FROM_PB.get(e.gender, Gender.UNSPECIFIED),
        registered_facility=e.registered_facility,
        valid_from=date.fromisoformat(e.valid_from),
        valid_to=optional_iso_date(e.valid_to, field="valid_to"),
        personal_id=e.personal_id,
        five_years_from=date.fromisoformat(e.five_years_from) if e.five_years_from else None,
        birth_year_only=year_only,
    )


def validity_from(c: ev.CardValidity) -> CardValidity:
    """The inverse of `card_validity`: valid_to "" is an open-ended card."""
    return CardValidity(
        c.card_number,
        date.fromisoformat(c.valid_from),
        optional_iso_date(c.valid_to, field="valid_to"),
    )


def check_in_verified(
    decision: Decision,
    *,
    key: str,
    presented_number: str,
    station: Station,
    at: datetime,
    producer: str,
    event_id: str = "",
    credential: Credential = Credential.CARD_NUMBER,
    assurance: Assurance = Assurance.UNAUTHENTICATED,
    token: TokenReport | None = None,
    first_presentation: Presentation | None = None,
    chip_failed_checks: Sequence[str] = (),
    check_registered_facility: bool = False,
    social_insurance_number: str = "",
) -> ev.EventEnvelope:
    """`social_insurance_number`: whom an authentic credential names when no participant record could
    be read (a provisional verdict), so the re-check knows whom to judge."""
    env = envelope(key=key, at=at, producer=producer, event_id=event_id)
    env.check_in_verified.CopyFrom(
        ev.CheckInVerified(
            check_in_id=env.event_id,
            credential=CREDENTIAL_TO_PB[credential],
            presented_number=_kept_number(presented_number, decision.participant is not None),
            **_decided(decision, station, named=social_insurance_number),
            assurance=ASSURANCE_TO_PB[assurance],
            token=token_presented(token, first_presentation) if token else None,
            chip_failed_checks=list(chip_failed_checks),
            staff_id=station.staff_id,
            kiosk_certificate_sha256=station.kiosk_certificate_sha256,
            check_registered_facility=check_registered_facility,
        )
    )
    return env


def _kept_number(presented_number: str, found: bool) -> str:
    """What a check-in keeps of the number presented. A 12-digit CCCD number is personal data: when
    it found a participant, their record holds it and the event names them by key and card, so it
    is not written (an erasure could not reach it on the log). One that found nobody is kept: the
    re-check of a provisional check-in needs it to find the person later."""
    if found and len(presented_number) == PERSONAL_NUMBER_LENGTH and presented_number.isdigit():
        return ""
    return presented_number


PERSONAL_NUMBER_LENGTH = 12  # the CCCD number; card numbers have 15 characters, SINs 10 digits


def check_in_finalised(
    decision: Decision,
    *,
    check_in_id: str,
    key: str,
    named: str,
    station: Station,
    checked_in_at: datetime,
    at: datetime,
    producer: str,
    event_id: str,
) -> ev.EventEnvelope:
    """The final verdict of a provisional check-in, under the check-in's key. `named`: whom the
    check-in named when no participant was judged."""
    if decision.verdict is Verdict.PROVISIONAL:
        raise ValueError("a final verdict cannot be provisional")
    env = envelope(key=key, at=at, producer=producer, event_id=event_id)
    finalised = ev.CheckInFinalised(check_in_id=check_in_id, **_decided(decision, station, named=named))
    set_time(finalised.checked_in_at, checked_in_at)
    env.check_in_finalised.CopyFrom(finalised)
    return env


def _decided(decision: Decision, station: Station, *, named: str) -> dict[str, Any]:
    """The fields a check-in and its final verdict share: who was judged where, and how."""
    person = decision.participant
    return {
        "social_insurance_number": person.social_insurance_number if person else named,
        "card_number": person.card_number if person else "",
        "facility_id": station.facility_id,
        "kiosk_id": station.kiosk_id,
        "verdict": VERDICT_TO_PB[decision.verdict],
        "result_code": decision.result_code,
        "reason_codes": list(decision.reasons),
    }


def alert_published(
    alert: ev.Alert, *, raised: bool, at: datetime, producer: str, event_id: str
) -> ev.EventEnvelope:
    """AlertRaised for a new alert, AlertUpdated for a later revision, keyed by the alert id."""
    env = envelope(key=alert.alert_id, at=at, producer=producer, event_id=event_id)
    if raised:
        env.alert_raised.CopyFrom(ev.AlertRaised(alert=alert))
    else:
        env.alert_updated.CopyFrom(ev.AlertUpdated(alert=alert))
    return env


def import_checkpointed(totals: ev.ImportCheckpointed, *, at: datetime, producer: str) -> ev.EventEnvelope:
    """An import's progress, keyed by the file's SHA-256 (a compacted topic keeps the latest)."""
    env = envelope(key=totals.file_sha256, at=at, producer=producer)
    env.import_checkpointed.CopyFrom(totals)
    return env


def face_match_recorded(
    report: FaceMatchReport,
    judgement: FaceJudgement,
    *,
    key: str,
    check_in_id: str,
    social_insurance_number: str,
    personal_id: str,
    facility_id: str,
    kiosk_id: str,
    at: datetime,
    producer: str,
    event_id: str = "",
    credential: Credential = Credential.CHIP_ID,
) -> ev.EventEnvelope:
    env = envelope(key=key, at=at, producer=producer, event_id=event_id)
    env.face_match_recorded.CopyFrom(
        ev.FaceMatchRecorded(
            check_in_id=check_in_id,
            social_insurance_number=social_insurance_number,
            # Not written once the person is known (their record holds it; see `_kept_number`).
            personal_id="" if social_insurance_number else personal_id,
            facility_id=facility_id,
            kiosk_id=kiosk_id,
            score=report.score,
            kiosk_threshold=report.kiosk_threshold,
            applied_threshold=judgement.applied_threshold,
            matched=judgement.matched,
            liveness=report.liveness,
            matcher=report.matcher,
            compared_with=report.compared_with,
            credential=CREDENTIAL_TO_PB[credential],
        )
    )
    return env


def token_presented(r: TokenReport, first: Presentation | None) -> ev.TokenPresented:
    return ev.TokenPresented(
        token_id=r.token_id,
        kid=r.kid,
        alg=r.alg,
        issued_at=timestamp(r.issued_at),
        expires_at=timestamp(r.expires_at),
        signature_valid=r.signature_valid,
        first_check_in_id=first.check_in_id if first else "",
        first_facility_id=first.facility_id if first else "",
        first_kiosk_id=first.kiosk_id if first else "",
        first_presented_at=timestamp(first.at) if first else None,
    )


def timestamp(at: datetime | None) -> Timestamp | None:
    if at is None:
        return None
    ts = Timestamp()
    set_time(ts, at)
    return ts


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def set_time(ts: Timestamp, at: datetime) -> None:
    """`ts.FromDatetime(at)` in integer arithmetic: protobuf's pure-Python version goes through a
    time tuple and `calendar.timegm`: 1-1.5% of the verifier's samples per check-in under py-spy.
    A naive time is taken as UTC, as FromDatetime does; the result is the same to the microsecond
    (tests/unit/test_event_times.py)."""
    delta = (at if at.tzinfo is not None else at.replace(tzinfo=UTC)) - _EPOCH
    ts.seconds = delta.days * 86400 + delta.seconds
    ts.nanos = delta.microseconds * 1000


def signing_key_trusted(
    key: TrustedKey, *, reason: str, at: datetime, producer: str, event_id: str = ""
) -> ev.EventEnvelope:
    env = envelope(key=f"kid:{key.kid_hex}", at=at, producer=producer, event_id=event_id)
    env.signing_key_trusted.CopyFrom(
        ev.SigningKeyTrusted(
            kid=key.kid_hex, certificate_der=key.certificate_der, subject=key.subject, reason=reason
        )
    )
    return env


def signing_key_revoked(
    kid: bytes, *, reason: str, at: datetime, producer: str, event_id: str = ""
) -> ev.EventEnvelope:
    env = envelope(key=f"kid:{kid.hex()}", at=at, producer=producer, event_id=event_id)
    env.signing_key_revoked.CopyFrom(ev.SigningKeyRevoked(kid=kid.hex(), reason=reason))
    return env


def alert_acknowledged(
    alert_id: str, *, staff_id: str, note: str, at: datetime, producer: str, event_id: str = ""
) -> ev.EventEnvelope:
    """Keyed by the alert id, like the alert itself, so it follows the alert in its partition."""
    env = envelope(key=alert_id, at=at, producer=producer, event_id=event_id)
    env.alert_acknowledged.CopyFrom(ev.AlertAcknowledged(alert_id=alert_id, staff_id=staff_id, note=note))
    return env


def alert_closed(
    alert_id: str,
    *,
    staff_id: str,
    resolution: str,
    note: str,
    at: datetime,
    producer: str,
    event_id: str = "",
) -> ev.EventEnvelope:
    env = envelope(key=alert_id, at=at, producer=producer, event_id=event_id)
    env.alert_closed.CopyFrom(
        ev.AlertClosed(alert_id=alert_id, staff_id=staff_id, resolution=resolution, note=note)
    )
    return env


ACCOUNT_PAYLOADS = ("account_added", "account_disabled", "staff_registered", "staff_removed")


def account_event(fact: facts.AccountFact, *, producer: str) -> ev.EventEnvelope:
    """Accounts and staff on bhyt.accounts.v1, keyed "account:<username>" or "staff:<facility>"."""
    env = envelope(key=fact.key, at=fact.at, producer=producer, event_id=fact.event_id)
    match fact:
        case facts.AccountAdded():
            env.account_added.CopyFrom(
                ev.AccountAdded(
                    username=fact.username,
                    role=fact.role,
                    facility_id=fact.facility_id,
                    password_hash=fact.password_hash,
                    added_by=fact.added_by,
                )
            )
        case facts.AccountDisabled():
            env.account_disabled.CopyFrom(
                ev.AccountDisabled(username=fact.username, reason=fact.reason, disabled_by=fact.disabled_by)
            )
        case facts.StaffRegistered():
            env.staff_registered.CopyFrom(
                ev.StaffRegistered(
                    registry_id=fact.registry_id,
                    facility_id=fact.facility_id,
                    personal_id=fact.personal_id,
                    full_name=fact.full_name,
                )
            )
        case facts.StaffRemoved():
            removed = ev.StaffRemoved(registry_id=fact.registry_id, facility_id=fact.facility_id)
            env.staff_removed.CopyFrom(removed)
    return env


def card_validity(c: CardValidity) -> ev.CardValidity:
    return ev.CardValidity(
        card_number=c.card_number, valid_from=c.valid_from.isoformat(), valid_to=iso_or_empty(c.valid_to)
    )


LifecyclePayload: TypeAlias = (
    ev.CardIssued
    | ev.CardReplaced
    | ev.CoverageExtended
    | ev.ParticipationReduced
    | ev.CardRevoked
    | ev.CardReportedLost
    | ev.RegisteredFacilityChanged
    | ev.PersonDetailsCorrected
    | ev.PersonErased
)
_PAYLOAD_FIELDS: dict[type, str] = {
    ev.CardIssued: "card_issued",
    ev.CardReplaced: "card_replaced",
    ev.CoverageExtended: "coverage_extended",
    ev.ParticipationReduced: "participation_reduced",
    ev.CardRevoked: "card_revoked",
    ev.CardReportedLost: "card_reported_lost",
    ev.RegisteredFacilityChanged: "registered_facility_changed",
    ev.PersonDetailsCorrected: "person_details_corrected",
    ev.PersonErased: "person_erased",
}
LIFECYCLE_PAYLOADS = tuple(_PAYLOAD_FIELDS.values())  # the oneof names, e.g. "card_revoked"


def lifecycle(
    sin: str, payload: LifecyclePayload, *, at: datetime, producer: str, event_id: str = ""
) -> ev.EventEnvelope:
    """Wrap a lifecycle payload (CardReplaced, CardRevoked, ...) for person `sin`."""
    env = envelope(key=sin, at=at, producer=producer, event_id=event_id)
    getattr(env, _PAYLOAD_FIELDS[type(payload)]).CopyFrom(payload)
    return env


def lifecycle_payload(fact: facts.LifecycleFact) -> LifecyclePayload:
    """The payload of a card lifecycle fact; the importer's rows and the staff commands both come here."""
    sin = fact.key
    match fact:
        case facts.CardReplaced(change=c):
            return ev.CardReplaced(
                social_insurance_number=sin,
                old_card=card_validity(c.old_card),
                new_card=card_validity(c.new_card),
                registered_facility=c.registered_facility,
            )
        case facts.CoverageExtended(change=c):
            return ev.CoverageExtended(
                social_insurance_number=sin, card_number=c.card_number, valid_to=c.valid_to.isoformat()
            )
        case facts.ParticipationReduced(change=c):
            return ev.ParticipationReduced(
                social_insurance_number=sin,
                reason_code=c.reason_code,
                effective_on=iso_or_empty(c.effective_on),
            )
        case facts.CardRevoked(change=c):
            return ev.CardRevoked(social_insurance_number=sin, card_number=c.card_number, reason=c.reason)
        case facts.CardReportedLost(change=c):
            return ev.CardReportedLost(
                social_insurance_number=sin,
                card_number=c.card_number,
                reported_on=iso_or_empty(c.reported_on),
            )
        case facts.RegisteredFacilityChanged(change=c):
            return ev.RegisteredFacilityChanged(
                social_insurance_number=sin,
                registered_facility=c.registered_facility,
                effective_on=iso_or_empty(c.effective_on),
            )
        case facts.PersonDetailsCorrected(change=c):
            born = c.date_of_birth
            return ev.PersonDetailsCorrected(
                social_insurance_number=sin,
                full_name=c.full_name,
                date_of_birth=birth_date_text(born, c.birth_year_only) if born else "",
                gender=GENDER_TO_PB[c.gender],
                reason=c.reason,
            )
        case facts.PersonErased(change=c):
            return ev.PersonErased(social_insurance_number=sin, reason=c.reason, erased_by=c.erased_by)


def to_envelope(fact: facts.Fact, *, producer: str) -> ev.EventEnvelope:
    """The envelope of a recorded fact: what the Kafka adapter writes for `EventLog.append`."""
    at, event_id = fact.at, fact.event_id
    match fact:
        case facts.CheckInVerified():
            return check_in_verified(
                fact.decision,
                key=fact.key,
                presented_number=fact.presented_number,
                station=fact.station,
                at=at,
                producer=producer,
                event_id=event_id,
                credential=fact.credential,
                assurance=fact.assurance,
                token=fact.token,
                first_presentation=fact.first_presentation,
                chip_failed_checks=fact.chip_failed_checks,
                check_registered_facility=fact.check_registered_facility,
                social_insurance_number=fact.social_insurance_number,
            )
        case facts.FaceMatchRecorded():
            return face_match_recorded(
                fact.report,
                fact.judgement,
                key=fact.key,
                check_in_id=fact.check_in_id,
                social_insurance_number=fact.social_insurance_number,
                personal_id=fact.personal_id,
                facility_id=fact.station.facility_id,
                kiosk_id=fact.station.kiosk_id,
                at=at,
                producer=producer,
                event_id=event_id,
                credential=fact.credential,
            )
        case facts.ParticipantEnrolled():
            return participant_enrolled(fact.participant, at=at, producer=producer, event_id=event_id)
        case (
            facts.CardReplaced()
            | facts.CoverageExtended()
            | facts.ParticipationReduced()
            | facts.CardRevoked()
            | facts.CardReportedLost()
            | facts.RegisteredFacilityChanged()
            | facts.PersonDetailsCorrected()
            | facts.PersonErased()
        ):
            return lifecycle(fact.key, lifecycle_payload(fact), at=at, producer=producer, event_id=event_id)
        case facts.SigningKeyTrusted():
            return signing_key_trusted(
                fact.signing_key, reason=fact.reason, at=at, producer=producer, event_id=event_id
            )
        case facts.SigningKeyRevoked():
            return signing_key_revoked(
                fact.kid, reason=fact.reason, at=at, producer=producer, event_id=event_id
            )
        case facts.AlertAcknowledged():
            return alert_acknowledged(
                fact.alert_id,
                staff_id=fact.staff_id,
                note=fact.note,
                at=at,
                producer=producer,
                event_id=event_id,
            )
        case facts.AccountAdded() | facts.AccountDisabled() | facts.StaffRegistered() | facts.StaffRemoved():
            return account_event(fact, producer=producer)
        case facts.AlertClosed():
            return alert_closed(
                fact.alert_id,
                staff_id=fact.staff_id,
                resolution=fact.resolution,
                note=fact.note,
                at=at,
                producer=producer,
                event_id=event_id,
            )
