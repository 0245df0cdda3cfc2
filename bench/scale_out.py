"""Projection rate with 1, 2 and 3 Faust workers, and rebuild times, in one run: the figures the
national sizing in README ("Sizing a national deployment") is worked from.

    python -m bench.scale_out [--count 200000] [--workers 1,2,3] [--no-write]

Starts its own Kafka (one node) and Redis on free ports, generates `--count` participants
(infra.population) and imports them with no worker running, so the participation topic holds a
backlog. Then, for each worker count k, k workers in a fresh consumer group project the whole
backlog into a Redis database of their own: the steady rate (from the group's first commit to its
last, Faust's start-up excluded) and the time from launch to the end. That is also a rebuild by k
workers. Last, `projections rebuild` (one process, the command an operator runs) rebuilds the
participation projection from offset zero.

Every process shares this machine's cores: with two cores, a third worker competes with the other
two and with Kafka and Redis. The figures say how the rate scales here, not on a cluster where each
worker has a core of its own; the README's sizing says which figure it uses and why.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.participation import start_worker, steady_rate, stop
from bench.report import write_section
from infra.local.kafka import KafkaCluster
from infra.local.redis_server import RedisServer
from infra.population import write as write_population
from projections.rebuild import rebuild
from verifier.adapters.kafka_log import ensure_topics
from verifier.imports.run import run_import
from verifier.settings import Settings

SECTION = "Scale-out: projection rate with 1, 2 and 3 workers, and rebuild time"


def measure(count: int, worker_counts: list[int], tmp: Path) -> list[str]:
    kafka, redis_server = KafkaCluster(tmp / "kafka", nodes=1), RedisServer(tmp / "redis")
    try:
        base = Settings.from_env(
            {}, kafka_bootstrap=kafka.start(), redis_url=redis_server.start(), topic_partitions=6
        )
        ensure_topics(base)
        people = tmp / "people.csv"
        write_population(people, count, seed=1)
        began = time.monotonic()
        report = run_import(people, base, progress=False, clock=lambda: datetime.now(UTC))
        print(f"imported {report.rows_accepted:,} rows as {report.events_written:,} events "
              f"in {time.monotonic() - began:.1f}s", flush=True)  # fmt: skip
        logs = tmp / "logs"
        logs.mkdir()
        rows = []
        for k in worker_counts:
            settings = base.with_(
                projection_group=f"scale-{k}", redis_url=f"{base.redis_url.rsplit('/', 1)[0]}/{k}"
            )
            launched = time.monotonic()
            workers = [
                start_worker(settings.with_(worker_id=f"scale-{k}-{i}"), f"scale-{k}-{i}", logs)
                for i in range(k)
            ]
            try:
                rate, _ = steady_rate(settings, settings.projection_group, settings.topic_participation)
            finally:
                for w in workers:
                    stop(w)
            total = time.monotonic() - launched
            rows.append((k, rate, total))
            print(f"{k} worker(s): {rate:,.0f} events/s steady, whole backlog in {total:.1f}s", flush=True)
        began = time.monotonic()
        rebuilt = rebuild(base, "participation", progress=False)
        rebuild_s = time.monotonic() - began
        print(f"projections rebuild: {rebuilt.events:,} events in {rebuild_s:.1f}s", flush=True)
    finally:
        redis_server.stop()
        kafka.stop()
    one = rows[0][1] or 1.0
    lines = [
        f"{count:,} participants imported first ({report.events_written:,} events on 6 partitions), then "
        "projected from offset zero by k workers in a fresh consumer group, each k into its own Redis "
        "database; one Kafka node and one Redis, all on this machine's cores.",
        "",
        "| workers | steady events/s | vs 1 worker | whole backlog (launch to last commit) s |",
        "|---|---|---|---|",
        *(f"| {k} | {rate:,.0f} | {rate / one:.2f} | {total:.1f} |" for k, rate, total in rows),
        "",
        f"`projections rebuild` (one process) of the participation projection: {rebuilt.events:,} events "
        f"in {rebuild_s:.1f} s ({rebuilt.events / rebuild_s:,.0f} events/s).",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=200_000, help="participants (default 200,000)")
    parser.add_argument("--workers", default="1,2,3", help="worker counts to measure (default 1,2,3)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    worker_counts = [int(k) for k in args.workers.split(",") if k]
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        lines = measure(args.count, worker_counts, Path(tmp))
    print("\n".join(lines))
    if not args.no_write:
        write_section(SECTION, f"python -m bench.scale_out --count {args.count} --workers {args.workers}",
                      "\n".join(lines))  # fmt: skip


if __name__ == "__main__":
    main()
