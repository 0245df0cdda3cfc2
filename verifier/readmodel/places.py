"""The misuse monitor's per-place record, as far as readers other than the monitor need it.

The monitor (`projections/monitor/worker.py`) keeps one hash per facility or kiosk: `s` holds its
whole state as JSON (`projections/monitor/engine.py` `PlaceState`), of which the staff dashboard
reads only the per-minute counters (`b`) and the newest event time (`n`).

Keys:
  m:places         set   every facility the monitor has seen
  m:p:{<place>}    hash  v: version (compare-and-set), s: the place state (JSON)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

PLACES_KEY = "m:places"
STATE_FIELD = "s"
BUCKETS, NEWEST = "b", "n"  # the counters' and the newest event time's names in the state JSON
MINUTE_MS = 60_000
# Per-minute counters: [check-ins, rejected check-ins, face matches, face mismatches]
CHECK_INS, REJECTED, FACES, MISMATCHES = range(4)


def place_key(subject: str) -> str:
    return f"m:p:{{{subject}}}"  # each place its own hash tag: places spread over a Redis Cluster


@dataclass(frozen=True)
class PlaceCounters:
    """The per-minute counters of one place: minute (epoch ms // MINUTE_MS) -> the four counts."""

    buckets: dict[int, list[int]] = field(default_factory=dict)
    newest: int = 0  # epoch ms of the newest event seen there

    @classmethod
    def from_json(cls, text: str | None) -> PlaceCounters:
        if not text:
            return cls()
        data = json.loads(text)
        return cls({int(m): c for m, c in data[BUCKETS].items()}, data[NEWEST])
