"""The workers' Prometheus metrics: per projection throughput, batch time, dead letters and lag.

Two lags, because they answer different questions. Consumer lag (per topic and partition: the end
of the log minus what the group committed) says how much is waiting; projection lag (event time
to applied, per projection) says how stale the read model a kiosk reads is. A worker serves only
its own partitions' lag, so the sum over workers is the group's.

Labels are bounded: a projection name (the registry's), a topic and a partition number. Never a
card, a person or an event id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

log = logging.getLogger(__name__)

# From a batch's few milliseconds to a Redis outage waited out.
BATCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Event time to applied: tens of milliseconds normally, minutes behind after an outage or a rebuild.
LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)

EVENTS_TAKEN = Counter(
    "bhyt_projection_events", "Events a projection's agent took off the log (applied or not)", ["projection"]
)
EVENTS_APPLIED = Counter(
    "bhyt_projection_events_applied",
    "Events that changed the read model (a redelivered event is taken but not applied again)",
    ["projection"],
)
BATCH_DURATION = Histogram(
    "bhyt_projection_batch_duration_seconds",
    "Time to apply one batch, Redis outages waited out included",
    ["projection"],
    buckets=BATCH_BUCKETS,
)
DEAD_LETTERS = Counter(
    "bhyt_projection_dead_letters",
    "Events kept as dead letters (undecodable, or failing alone); see projection:dead-letters in Redis",
    ["projection"],
)
PROJECTION_LAG = Histogram(
    "bhyt_projection_lag_seconds",
    "From an event's own time (its envelope) to its batch being applied",
    ["projection"],
    buckets=LAG_BUCKETS,
)
CONSUMER_LAG = Gauge(
    "bhyt_projection_consumer_lag",
    "Events on the log not yet committed by this worker's consumer group, per partition it holds",
    ["topic", "partition"],
)
RECHECK_PENDING = Gauge(
    "bhyt_recheck_pending_checkins",
    "Provisional check-ins the re-check holds and has not finalised yet (waiting for the read model)",
)

EXPORTED = (
    EVENTS_TAKEN, EVENTS_APPLIED, BATCH_DURATION, DEAD_LETTERS, PROJECTION_LAG, CONSUMER_LAG, RECHECK_PENDING,
)  # fmt: skip


def record_consumer_lag(ends: Mapping[Any, int | None], committed: Mapping[Any, int | None]) -> None:
    """Set the consumer lag of every partition held (`ends`: TopicPartition -> end offset), replacing
    what was there: a partition handed to another worker must stop being reported here."""
    CONSUMER_LAG.clear()
    for tp, end in ends.items():
        if end is None:
            continue
        done = committed.get(tp) or 0  # nothing committed yet: the group starts at the earliest
        CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(max(0, end - done))


def lag_seconds(now_s: float, event_times_s: Iterable[float]) -> list[float]:
    """Each event's lag; a clock skew between hosts can make it negative, which counts as 0."""
    return [max(0.0, now_s - t) for t in event_times_s]
