"""The monitor's state per subject and how new events change it: pure, so every rule and every
arrival order is testable without a broker.

Two kinds of subject:
- a card (the person's SIN, or `card:<number>` when nobody matched): its recent observations,
  judged by `card_rules`;
- a place (a facility, or `<facility>/<kiosk>`): counters per event-time minute and its recent
  bad events, judged by `rate_rules`.

Delivery is at least once, so `observe` is idempotent: the state remembers the last offset it took
from each partition (`topic/partition`) and skips what it has seen. Event time decides: an event
more than the grace period behind the newest one *from its own partition* is counted as late and
left out (judged per partition, so a lagging consumer or a rebuild reading partitions one after
another is not mistaken for late events); an event dated further ahead of the monitor's clock than
`clock_skew_minutes` (a kiosk or server with a wrong clock) is counted as from the future and left
out, so it cannot make every real event look late; what falls out of every window is forgotten.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from projections.monitor.card_rules import card_violations
from projections.monitor.incidents import EvidenceItem, Incident, reconcile
from projections.monitor.observations import CHECK_IN, Seen
from projections.monitor.rate_rules import rate_violations
from verifier.domain.geography import Geography
from verifier.monitor_rules import RulesConfig
from verifier.readmodel.places import BUCKETS, CHECK_INS, FACES, MINUTE_MS, MISMATCHES, NEWEST, REJECTED

MAX_BAD_KEPT = 500  # a place's recent rejects and mismatches kept as evidence
MAX_SEEN_PER_CARD = 200  # a card's observations: a week of real visits is a handful; a hot card stays cheap


@dataclass(frozen=True)
class Delivered:
    """An observation and where it sits in the log (its partition stream and offset)."""

    stream: str
    offset: int
    seen: Seen


@dataclass
class Outcome:
    changed: list[Incident] = field(default_factory=list)  # new or grown incidents, to publish
    raised: set[str] = field(default_factory=set)  # ids of the new ones among them
    taken: int = 0
    duplicates: int = 0
    late: int = 0
    future: int = 0


@dataclass
class CardState:
    seen: list[Seen] = field(default_factory=list)  # sorted by (event time, id)
    incidents: list[Incident] = field(default_factory=list)
    offsets: dict[str, int] = field(default_factory=dict)
    newest: int = 0
    stream_newest: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "s": [s.to_json() for s in self.seen],
                "i": [i.to_json() for i in self.incidents],
                "o": self.offsets,
                NEWEST: self.newest,
                "w": self.stream_newest,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> CardState:
        if not text:
            return cls()
        data: dict[str, Any] = json.loads(text)
        return cls(
            seen=[Seen.from_json(s) for s in data["s"]],
            incidents=[Incident.from_json(i) for i in data["i"]],
            offsets=data["o"],
            newest=data[NEWEST],
            stream_newest=data.get("w", {}),
        )


@dataclass
class PlaceState:
    buckets: dict[int, list[int]] = field(default_factory=dict)  # minute -> counters (rate_rules)
    bad: list[EvidenceItem] = field(default_factory=list)  # sorted by (event time, id)
    incidents: list[Incident] = field(default_factory=list)
    offsets: dict[str, int] = field(default_factory=dict)
    newest: int = 0
    stream_newest: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                BUCKETS: {str(m): c for m, c in self.buckets.items()},
                "x": [e.to_json() for e in self.bad],
                "i": [i.to_json() for i in self.incidents],
                "o": self.offsets,
                NEWEST: self.newest,
                "w": self.stream_newest,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> PlaceState:
        if not text:
            return cls()
        data: dict[str, Any] = json.loads(text)
        return cls(
            buckets={int(m): c for m, c in data[BUCKETS].items()},
            bad=[EvidenceItem.from_json(e) for e in data["x"]],
            incidents=[Incident.from_json(i) for i in data["i"]],
            offsets=data["o"],
            newest=data[NEWEST],
            stream_newest=data.get("w", {}),
        )


def observe_card(
    subject: str,
    state: CardState,
    delivered: Sequence[Delivered],
    rules: RulesConfig,
    geography: Geography,
    *,
    now: int,
) -> Outcome:
    """Take new observations into a card's state (in place) and re-run the card rules.

    `now` (epoch ms) is the monitor's clock, used only to refuse events dated in the future."""
    outcome = Outcome()
    for d in _admitted(state, delivered, rules, now, outcome):
        keys = [(s.at, s.event_id) for s in state.seen]
        position = bisect.bisect_left(keys, (d.seen.at, d.seen.event_id))
        if position < len(keys) and keys[position] == (d.seen.at, d.seen.event_id):
            outcome.duplicates += 1  # the same event written twice to the log
            continue
        state.seen.insert(position, d.seen)
        state.newest = max(state.newest, d.seen.at)
        outcome.taken += 1
    if not outcome.taken:
        return outcome
    horizon = state.newest - rules.card_retention_ms
    state.seen = [s for s in state.seen if s.at >= horizon][-MAX_SEEN_PER_CARD:]
    state.incidents = [i for i in state.incidents if i.end >= horizon]
    state.incidents, outcome.changed, outcome.raised = reconcile(
        subject, state.incidents, card_violations(state.seen, rules, geography)
    )
    return outcome


def observe_place(
    subject: str, state: PlaceState, delivered: Sequence[Delivered], rules: RulesConfig, *, now: int
) -> Outcome:
    """Count new observations into a place's minute buckets (in place) and re-run the rate rules."""
    outcome = Outcome()
    for d in _admitted(state, delivered, rules, now, outcome):
        s = d.seen
        counts = state.buckets.setdefault(s.at // MINUTE_MS, [0, 0, 0, 0])
        if s.kind == CHECK_IN:
            counts[CHECK_INS] += 1
            counts[REJECTED] += s.rejected
        else:
            counts[FACES] += 1
            counts[MISMATCHES] += not s.matched
        if s.rejected or not s.matched:
            bisect.insort(state.bad, EvidenceItem.of(s), key=lambda e: (e.at, e.event_id))
        state.newest = max(state.newest, s.at)
        outcome.taken += 1
    if not outcome.taken:
        return outcome
    horizon = state.newest - rules.facility_retention_ms
    state.buckets = {m: c for m, c in state.buckets.items() if m * MINUTE_MS >= horizon - MINUTE_MS}
    state.bad = [e for e in state.bad if e.at >= horizon][-MAX_BAD_KEPT:]
    state.incidents = [i for i in state.incidents if i.end >= horizon]
    state.incidents, outcome.changed, outcome.raised = reconcile(
        subject, state.incidents, rate_violations(state.buckets, state.bad, state.newest, rules.rate_jump)
    )
    return outcome


def _admitted(
    state: CardState | PlaceState,
    delivered: Sequence[Delivered],
    rules: RulesConfig,
    now: int,
    outcome: Outcome,
) -> list[Delivered]:
    """The deliveries to take: not taken before (by offset), not from the future, not later than
    the grace period behind their own partition. Records offsets and each partition's newest."""
    fresh = []
    for d in delivered:
        if d.offset <= state.offsets.get(d.stream, -1):
            outcome.duplicates += 1
            continue
        state.offsets[d.stream] = d.offset
        if d.seen.at > now + rules.clock_skew_ms:
            outcome.future += 1
            continue
        newest = state.stream_newest.get(d.stream, d.seen.at)
        if d.seen.at < newest - rules.grace_ms:
            outcome.late += 1
            continue
        state.stream_newest[d.stream] = max(newest, d.seen.at)
        fresh.append(d)
    return fresh
