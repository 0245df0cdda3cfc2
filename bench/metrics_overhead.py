"""What the operations instrumentation adds to one check-in in the verifier, in CPU microseconds.

    python -m bench.metrics_overhead [--calls 100000]

bench/checkin_service.py measures the use cases on in-memory ports, so it does not see what the
gRPC boundary, the Kafka adapter and the Redis adapter now add per request. This runs exactly
those additions for one typed check-in, as the verifier runs them: the boundary's count, latency
histogram and access line (JSON, to /dev/null, so formatting is paid but no disk), two read-model
round trips timed, one event-log append timed; and, for scale, prints them against the ~900 µs of
verifier CPU a typed check-in costs (issue 18, read from /proc under load). Then the worker's
additions per check-in event, against its ~400 µs per check-in.
"""

from __future__ import annotations

import argparse
import logging
import os
import time

from verifier import logs, metrics
from verifier.entrypoints.grpc.mappers import _answered

VERIFIER_CPU_PER_CHECK_IN_US = 900.0


def per_call_us(calls: int, fmt: str) -> float:
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115  # closed below
    handler.setFormatter(logs.formatter(fmt))
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    participant = metrics.READ_MODEL_DURATION.labels("participant")
    usage = metrics.READ_MODEL_DURATION.labels("usage")
    try:
        logs.check_in_id.set("7f1c2d3e-0000-4000-8000-000000000000")
        logs.set_station("40-001", "kiosk-1")
        started = time.process_time()
        for _ in range(calls):
            t = time.perf_counter()
            participant.observe(time.perf_counter() - t)
            usage.observe(time.perf_counter() - t)
            metrics.EVENT_LOG_APPEND.labels("bhyt.checkins.v1").observe(time.perf_counter() - t)
            _answered("CheckIn/VerifyCard", "OK", t, "ACCEPTED", "000")
        return (time.process_time() - started) / calls * 1e6
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        handler.close()


def worker_per_event_us(events: int, fmt: str) -> float:
    """The worker's additions per check-in event: its projection lag observed by the three agents
    that read check-ins (usage, monitor, re-check), and the usage projection's applied line."""
    from projections import metrics as worker

    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115  # closed below
    handler.setFormatter(logs.formatter(fmt))
    applied = logging.getLogger("projections.applied")
    applied.addHandler(handler)
    applied.propagate, applied.level = False, logging.INFO
    lags = [worker.PROJECTION_LAG.labels(name) for name in ("usage", "monitor", "recheck")]
    try:
        started = time.process_time()
        for _ in range(events):
            now = time.time()
            for lag in lags:
                for seconds in worker.lag_seconds(now, (now - 0.05,)):
                    lag.observe(seconds)
            applied.info(
                "%s: applied check-in", "usage", extra={"check_in_id": "7f1c2d3e", "facility": "40-001"}
            )
        return (time.process_time() - started) / events * 1e6
    finally:
        applied.removeHandler(handler)
        handler.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.metrics_overhead", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--calls", type=int, default=100_000)
    args = parser.parse_args()
    for fmt in ("text", "json"):
        us = min(per_call_us(args.calls, fmt) for _ in range(3))
        share = us / VERIFIER_CPU_PER_CHECK_IN_US
        print(f"{fmt:>4} logs: {us:.1f} µs per check-in, {share:.1%} of ~{VERIFIER_CPU_PER_CHECK_IN_US:.0f}")
    logging.getLogger("verifier.access").setLevel(logging.WARNING)
    us = min(per_call_us(args.calls, "json") for _ in range(3))
    print(f"metrics only (access log off): {us:.1f} µs per check-in")
    for fmt in ("text", "json"):
        us = min(worker_per_event_us(args.calls, fmt) for _ in range(3))
        print(f"worker, {fmt} logs: {us:.1f} µs per check-in event (lag x3 + applied line)")


if __name__ == "__main__":
    main()
