"""What the rules see of an event: a small, flat record, kept in the monitor's state.

Rules never look at protobuf envelopes: `observe` reads the few fields they need once, and the
record travels to and from Redis as compact JSON (short keys, defaults left out) because a card
keeps a week of them.

Degraded mode: a provisional check-in (`VERDICT_PROVISIONAL`) is observed like any other: it is a
visit (the patient was admitted) and not a reject, so an outage never looks like a jump in a
facility's reject rate. Its later `CheckInFinalised` is not observed: it is no new presentation
(observing it would count the visit twice), and the rules judge what kiosks did and were told at
the time; a card found revoked only by the re-check is not raised as `known_bad_card`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from bhyt.v1.events_pb2 import VERDICT_REJECTED, EventEnvelope

CHECK_IN = "check_in"
FACE_MATCH = "face_match"


@dataclass(frozen=True)
class Seen:
    event_id: str
    kind: str  # CHECK_IN or FACE_MATCH
    at: int  # event time, epoch milliseconds
    facility: str
    kiosk: str
    # check-ins
    verdict: int = 0  # bhyt.v1.Verdict
    result_code: str = ""
    reasons: tuple[str, ...] = ()
    token_id: str = ""
    first_check_in_id: str = ""  # set by the verifier when the token was presented elsewhere first
    first_facility: str = ""
    first_kiosk: str = ""
    first_at: int = 0
    # face matches
    matched: bool = True
    score: float = 0.0
    liveness: str = ""

    @property
    def rejected(self) -> bool:
        return self.kind == CHECK_IN and self.verdict == VERDICT_REJECTED

    @property
    def place(self) -> tuple[str, str]:
        return self.facility, self.kiosk

    def detail(self) -> str:
        """One line a person reads in the evidence table."""
        if self.kind == FACE_MATCH:
            outcome = "match" if self.matched else "no match"
            liveness = f", liveness {self.liveness}" if self.liveness and self.liveness != "passed" else ""
            return f"face score {self.score:.2f}, {outcome}{liveness}"
        verdict = {1: "accepted", 2: "rejected", 3: "needs review", 4: "provisional"}.get(
            self.verdict, "no verdict"
        )
        codes = ", ".join(self.reasons) or self.result_code
        token = f", token {self.token_id[:8]}" if self.token_id else ""
        return f"{verdict} {codes}{token}".strip()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        out: dict[str, Any] = {}
        for f in fields(self):
            value = data[f.name]
            if value != f.default:
                out[_SHORT[f.name]] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Seen:
        values = {_LONG[k]: v for k, v in data.items()}
        if "reasons" in values:
            values["reasons"] = tuple(values["reasons"])
        return cls(**values)


_SHORT = {
    "event_id": "i",
    "kind": "k",
    "at": "t",
    "facility": "f",
    "kiosk": "q",
    "verdict": "v",
    "result_code": "rc",
    "reasons": "rs",
    "token_id": "tk",
    "first_check_in_id": "fi",
    "first_facility": "ff",
    "first_kiosk": "fq",
    "first_at": "ft",
    "matched": "m",
    "score": "s",
    "liveness": "l",
}
_LONG = {v: k for k, v in _SHORT.items()}


def millis(ts: Any) -> int:
    """A protobuf Timestamp as epoch milliseconds."""
    return int(ts.seconds) * 1000 + int(ts.nanos) // 1_000_000


def seen_from_event(event: EventEnvelope) -> Seen | None:
    """The rules' view of a check-in or face match; None for every other event."""
    kind = event.WhichOneof("payload")
    at = millis(event.occurred_at)
    if kind == "check_in_verified":
        c = event.check_in_verified
        t = c.token
        return Seen(
            event_id=event.event_id,
            kind=CHECK_IN,
            at=at,
            facility=c.facility_id,
            kiosk=c.kiosk_id,
            verdict=int(c.verdict),
            result_code=c.result_code,
            reasons=tuple(c.reason_codes),
            token_id=t.token_id,
            first_check_in_id=t.first_check_in_id,
            first_facility=t.first_facility_id,
            first_kiosk=t.first_kiosk_id,
            first_at=millis(t.first_presented_at) if t.first_check_in_id else 0,
        )
    if kind == "face_match_recorded":
        f = event.face_match_recorded
        return Seen(
            event_id=event.event_id,
            kind=FACE_MATCH,
            at=at,
            facility=f.facility_id,
            kiosk=f.kiosk_id,
            matched=f.matched,
            score=round(f.score, 4),
            liveness=f.liveness,
        )
    return None
