"""An incident as the event on the alerts topic: AlertRaised when new, AlertUpdated as it grows.

The envelope's id is derived from the alert id and revision, so a revision published twice (the
monitor crashed between publishing and saving its state) is recognisably the same event.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from bhyt.v1.events_pb2 import Alert, EventEnvelope, Evidence
from google.protobuf.timestamp_pb2 import Timestamp

from projections.monitor.card_rules import (
    FACE_MISMATCH_STREAK,
    KNOWN_BAD_CARD,
    TOKEN_REPLAY,
    TWO_FACILITIES,
    VISITS_PER_DAY,
    VISITS_PER_WEEK,
)
from projections.monitor.incidents import Incident
from projections.monitor.rate_rules import MISMATCH_RATE_JUMP, REJECT_RATE_JUMP
from verifier.domain.geography import province_of
from verifier.events.envelopes import alert_published
from verifier.monitor_rules import Rule, RulesConfig

_ALERT_NAMESPACE = uuid.UUID("6f1c2a43-56a4-4c43-9d0e-7a1b3c5d9e21")


def rule_config(rules: RulesConfig, rule: str) -> Rule:
    """The rules-file section behind an alert's rule name."""
    sections: dict[str, Rule] = {
        TWO_FACILITIES: rules.two_facilities,
        VISITS_PER_DAY: rules.visit_frequency,
        VISITS_PER_WEEK: rules.visit_frequency,
        TOKEN_REPLAY: rules.token_replay,
        FACE_MISMATCH_STREAK: rules.face_mismatch_streak,
        KNOWN_BAD_CARD: rules.known_bad_card,
        REJECT_RATE_JUMP: rules.rate_jump,
        MISMATCH_RATE_JUMP: rules.rate_jump,
    }
    return sections[rule]


def subject_kind(subject: str, *, place: bool) -> str:
    if place:
        return "kiosk" if "/" in subject else "facility"
    return "card" if subject.startswith("card:") else "person"


def alert_of(incident: Incident, *, subject: str, kind: str, rules: RulesConfig) -> Alert:
    facilities = sorted({e.facility for e in incident.evidence if e.facility})
    alert = Alert(
        alert_id=incident.alert_id,
        revision=incident.revision,
        rule=incident.rule,
        severity=rule_config(rules, incident.rule).severity_value,
        subject_kind=kind,
        subject=subject,
        facility_ids=facilities,
        provinces=sorted({p for p in map(province_of, facilities) if p}),
        window_start=_timestamp(incident.start),
        window_end=_timestamp(incident.end),
        evidence_count=incident.evidence_count,
        summary=incident.summary,
        summary_vi=incident.summary_vi,
    )
    for e in incident.evidence[: rules.monitor.evidence_limit]:
        alert.evidence.append(
            Evidence(
                event_id=e.event_id,
                kind=e.kind,
                occurred_at=_timestamp(e.at),
                facility_id=e.facility,
                kiosk_id=e.kiosk,
                detail=e.detail,
            )
        )
    return alert


def alert_event(alert: Alert, *, raised: bool, producer: str, now: datetime) -> EventEnvelope:
    event_id = str(uuid.uuid5(_ALERT_NAMESPACE, f"{alert.alert_id}/{alert.revision}"))
    return alert_published(alert, raised=raised, at=now, producer=producer, event_id=event_id)


def _timestamp(at_ms: int) -> Timestamp:
    return Timestamp(seconds=at_ms // 1000, nanos=(at_ms % 1000) * 1_000_000)
