"""From violations to alerts: one incident is one alert, however its evidence arrives.

Rules are re-evaluated over everything a subject's state holds and report *violations* (a rule,
the events that break it, optionally a grouping key such as a date or a token id). `reconcile`
matches them with the incidents already open: a violation sharing an event (or the key) with an
incident is that incident, and new events in it make a new revision; anything else is a new
incident. Re-evaluating from the whole state, rather than reacting to the newest event, is what
makes the outcome the same for exact, late and out-of-order arrival, and a redelivered event adds
nothing, so it makes no revision.

The revision is the number of events behind the incident, so it is the same however the events
were batched (live, one at a time, or all at once in a rebuild). A late event that bridges two
incidents already raised grows the first one; the two alerts stay.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from projections.monitor.observations import Seen

# Per incident. Past it, the latest are kept (and the full count): an older event not kept is
# taken as already counted, so a long incident does not grow again on every evaluation.
MAX_KEPT_EVIDENCE = 200


@dataclass(frozen=True)
class EvidenceItem:
    event_id: str
    kind: str
    at: int
    facility: str
    kiosk: str
    detail: str

    @classmethod
    def of(cls, seen: Seen) -> EvidenceItem:
        return cls(seen.event_id, seen.kind, seen.at, seen.facility, seen.kiosk, seen.detail())

    def to_json(self) -> list[Any]:
        return [self.event_id, self.kind, self.at, self.facility, self.kiosk, self.detail]

    @classmethod
    def from_json(cls, data: list[Any]) -> EvidenceItem:
        return cls(*data)


@dataclass(frozen=True)
class Violation:
    rule: str
    evidence: tuple[EvidenceItem, ...]
    summary: str
    summary_vi: str  # the same line in Vietnamese, what VSS staff read first
    key: str = ""  # when set, the violation is the incident with this key (a date, a token id)


@dataclass(frozen=True)
class Incident:
    alert_id: str
    rule: str
    revision: int  # = evidence_count: grows with the evidence, whatever the batching
    evidence: tuple[EvidenceItem, ...]  # earliest first, at most MAX_KEPT_EVIDENCE
    evidence_count: int
    summary: str
    key: str = ""
    summary_vi: str = ""  # empty in incidents stored before the monitor wrote Vietnamese
    evidence_ids: frozenset[str] = field(default=frozenset(), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "evidence_ids", frozenset(e.event_id for e in self.evidence))

    @property
    def start(self) -> int:
        return self.evidence[0].at

    @property
    def end(self) -> int:
        return max(e.at for e in self.evidence)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.alert_id,
            "rule": self.rule,
            "rev": self.revision,
            "ev": [e.to_json() for e in self.evidence],
            "n": self.evidence_count,
            "sum": self.summary,
            "sum_vi": self.summary_vi,
            "key": self.key,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Incident:
        return cls(
            alert_id=data["id"],
            rule=data["rule"],
            revision=data["rev"],
            evidence=tuple(EvidenceItem.from_json(e) for e in data["ev"]),
            evidence_count=data["n"],
            summary=data["sum"],
            summary_vi=data.get("sum_vi", ""),  # stored before the Vietnamese: filled on its next revision
            key=data.get("key", ""),
        )


def reconcile(
    subject: str, incidents: Sequence[Incident], violations: Iterable[Violation]
) -> tuple[list[Incident], list[Incident], set[str]]:
    """Return (every incident now, the ones that are new or grew, the ids of the new ones);
    incidents never shrink."""
    current = list(incidents)
    changed: dict[str, Incident] = {}
    new: set[str] = set()
    for violation in violations:
        index = _matching(current, violation)
        if index is None:
            incident = _new_incident(subject, violation)
            current.append(incident)
            changed[incident.alert_id] = incident
            new.add(incident.alert_id)
            continue
        grown = _grow(current[index], violation)
        if grown is not None:
            current[index] = grown
            changed[grown.alert_id] = grown
    return current, list(changed.values()), new


def _matching(incidents: Sequence[Incident], violation: Violation) -> int | None:
    ids = {e.event_id for e in violation.evidence}
    for i, incident in enumerate(incidents):
        if incident.rule != violation.rule:
            continue
        if violation.key and incident.key == violation.key:
            return i
        if not violation.key and not incident.key and incident.evidence_ids & ids:
            return i
    return None


def _new_incident(subject: str, violation: Violation) -> Incident:
    evidence = _ordered(violation.evidence)
    anchor = violation.key or evidence[0].event_id
    digest = hashlib.sha256(f"{violation.rule}|{subject}|{anchor}".encode()).hexdigest()[:24]
    return Incident(
        alert_id=f"{violation.rule}-{digest}",
        rule=violation.rule,
        revision=len(evidence),
        evidence=evidence[-MAX_KEPT_EVIDENCE:],
        evidence_count=len(evidence),
        summary=violation.summary,
        summary_vi=violation.summary_vi,
        key=violation.key,
    )


def _grow(incident: Incident, violation: Violation) -> Incident | None:
    full = len(incident.evidence) >= MAX_KEPT_EVIDENCE
    new = [
        e
        for e in _ordered(violation.evidence)
        if e.event_id not in incident.evidence_ids and not (full and e.at <= incident.start)
    ]
    if not new:
        return None
    evidence = _ordered((*incident.evidence, *new))
    return replace(
        incident,
        revision=incident.evidence_count + len(new),
        evidence=evidence[-MAX_KEPT_EVIDENCE:],
        evidence_count=incident.evidence_count + len(new),
        summary=violation.summary,
        summary_vi=violation.summary_vi,
    )


def _ordered(evidence: Iterable[EvidenceItem]) -> tuple[EvidenceItem, ...]:
    unique = {e.event_id: e for e in evidence}
    return tuple(sorted(unique.values(), key=lambda e: (e.at, e.event_id)))
