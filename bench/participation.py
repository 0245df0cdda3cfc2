"""Participation at national scale: import N synthetic participants end to end and measure it.

    python -m bench.participation --count 1000000

Starts its own Kafka and Redis on free ports (nothing already running is touched), then:
1. generates N participants (infra.population) to CSV;
2. imports them with one Faust worker projecting live: import events/s, and the end-to-end time
   until the worker's committed offsets reach the log end (imported *and* projected);
3. measures a worker's own projection rate: a second worker in a fresh consumer group projects
   the whole backlog into another Redis database;
4. rebuilds the participation projection from offset zero (`projections rebuild`) and checks the
   rebuilt state's digest equals the live one;
5. Redis bytes per participant: used memory of the participation keys divided by N.
Prints the figures and writes them to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.report import write_section
from infra.local.kafka import KafkaCluster
from infra.local.procs import wait_until
from infra.local.redis_server import RedisServer
from infra.population import write as write_population
from projections.lag import group_progress
from projections.rebuild import digest, rebuild
from verifier.adapters.kafka_log import ensure_topics
from verifier.adapters.redis_client import connect_sync
from verifier.imports.run import run_import
from verifier.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def progress(settings: Settings, group: str, topic: str) -> tuple[int, int]:
    return group_progress(settings.kafka_bootstrap, group, [topic])


def caught_up(settings: Settings, group: str, topic: str) -> bool:
    done, total = progress(settings, group, topic)
    return done >= total


def steady_rate(settings: Settings, group: str, topic: str) -> tuple[float, float]:
    """Wait until the group has committed the whole topic; return (events/s from its first commit
    on, seconds in all). Faust's boot and rebalance are excluded from the rate, as they are from
    the Faust ceiling it is compared with."""
    started = time.monotonic()
    first: tuple[float, int] | None = None
    while True:
        done, total = progress(settings, group, topic)
        now = time.monotonic()
        if done and first is None:
            first = (now, done)
        if done >= total:
            break
        time.sleep(0.5)
    if first is None or now <= first[0]:
        return 0.0, now - started
    return (done - first[1]) / (now - first[0]), now - started


def start_worker(settings: Settings, name: str, logs: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **settings.to_env(), "PYTHONUNBUFFERED": "1"}
    with (logs / f"{name}.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "projections", "worker", "-l", "warn"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()


NO_WEB = ("--without-web",)


def faust_ceiling(settings: Settings, events: int) -> float:
    """Events/s of a do-nothing agent over the same backlog: the most any Faust projection gets here."""
    env = {**os.environ, **settings.to_env(), "BENCH_TOPIC": settings.topic_participation,
           "BENCH_EVENTS": str(events), "BENCH_GROUP": "bench-ceiling"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "bench.faust_ceiling", "--loop", "uvloop", "worker", "-l", "warn", *NO_WEB],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    # Faust's worker routes print() through its logger, so the line may be on either stream.
    found = re.search(r"ceiling: (\d+) events/s", done.stdout + done.stderr)
    if found is None:
        raise RuntimeError(f"Faust ceiling run failed:\n{done.stderr[-2000:]}")
    return float(found.group(1))


def participation_bytes(url: str) -> int:
    """Memory of the participation projection's keys (MEMORY USAGE, summed over a full scan)."""
    client = connect_sync(url)
    total = 0
    try:
        for pattern in ("p:*", "i:*"):
            keys = list(client.scan_iter(match=pattern, count=10000))
            for start in range(0, len(keys), 5000):
                pipe = client.pipeline(transaction=False)
                for key in keys[start : start + 5000]:
                    pipe.memory_usage(key, samples=0)
                total += sum(int(v or 0) for v in pipe.execute())
    finally:
        client.close()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    n = args.count
    with tempfile.TemporaryDirectory(prefix="bench-participation-") as tmp_dir:
        tmp = Path(tmp_dir)
        logs = tmp / "logs"
        logs.mkdir()
        kafka = KafkaCluster(tmp / "kafka", nodes=1, heap="1g")
        redis_server = RedisServer(tmp / "redis")
        try:
            bootstrap = kafka.start()
            url = redis_server.start()
            settings = Settings.from_env(
                {}, kafka_bootstrap=bootstrap, redis_url=url, projection_batch_size=2000
            )
            ensure_topics(settings)
            figures = run(settings, n, args.seed, tmp, logs)
        finally:
            redis_server.stop()
            kafka.stop()
    lines = [f"| {k} | {v} |" for k, v in figures.items()]
    table = "| figure | value |\n|---|---|\n" + "\n".join(lines)
    print(table)
    if not args.no_write:
        write_section(
            f"Participation at scale ({n:,} participants)",
            f"python -m bench.participation --count {n}",
            table + "\n\n" + NOTES,
        )


NOTES = """
One Kafka broker (replication 1), one Redis, one Faust worker, all on this machine alongside the
importer: the two cores are shared by everything, so each rate is a floor for a dedicated machine.
Targets (issue 3): projection >= 10,000 events/s per worker; <= 300 bytes per participant;
1 M participants imported and projected in under 5 minutes.
"""


def run(settings: Settings, n: int, seed: int, tmp: Path, logs: Path) -> dict[str, str]:
    figures: dict[str, str] = {}
    source = tmp / "population.csv"
    started = time.monotonic()
    write_population(source, n, seed=seed, progress=False)
    figures["generate participants"] = f"{time.monotonic() - started:.1f} s"

    worker = start_worker(settings.with_(worker_id="live"), "live", logs)
    try:
        started = time.monotonic()
        report = run_import(
            source, settings, progress=True, batch_rows=20000, clock=lambda: datetime.now(UTC)
        )
        imported = time.monotonic() - started
        wait_until(
            lambda: caught_up(settings, settings.projection_group, settings.topic_participation),
            timeout=3600, interval=1.0, what="live projection",
        )  # fmt: skip
        end_to_end = time.monotonic() - started
    finally:
        stop(worker)
    events = report.events_written
    figures["rows imported / rejected"] = f"{report.rows_accepted:,} / {report.rows_rejected:,}"
    figures["events written"] = f"{events:,}"
    figures["import: events/s produced"] = f"{events / imported:,.0f} ({imported:.1f} s)"
    figures["imported and projected (end to end, live worker)"] = f"{end_to_end:.1f} s"

    replay = settings.with_(
        redis_url=settings.redis_url.rsplit("/", 1)[0] + "/1", projection_group="bench-replay"
    )
    worker = start_worker(replay.with_(worker_id="replay"), "replay", logs)
    try:
        rate, replayed = steady_rate(replay, replay.projection_group, replay.topic_participation)
    finally:
        stop(worker)
    figures["projection: events/s per Faust worker (backlog, steady)"] = f"{rate:,.0f}"
    figures["projection: whole backlog incl. worker start"] = f"{replayed:.1f} s"
    connect_sync(replay.redis_url).flushdb()
    ceiling = faust_ceiling(settings, events)
    figures["Faust ceiling: an agent that only takes batches (same machine, same run)"] = f"{ceiling:,.0f}"
    figures["projection rate / Faust ceiling"] = f"{rate / ceiling:.2f}"

    live_digest = digest(settings, ["participation"])
    rebuilt = rebuild(settings, "participation", progress=True)
    figures["rebuild participation from offset 0"] = (
        f"{rebuilt.seconds:.1f} s ({rebuilt.events_per_second:,.0f} events/s)"
    )
    same = digest(settings, ["participation"]) == live_digest
    figures["rebuilt state equals live state (digest)"] = "yes" if same else "NO"
    per_person = participation_bytes(settings.redis_url) / max(report.rows_accepted, 1)
    figures["Redis bytes per participant (MEMORY USAGE of p:* and i:*)"] = f"{per_person:.0f}"
    info = connect_sync(settings.redis_url).info("memory")
    figures["Redis used_memory / participant (whole instance)"] = (
        f"{int(info['used_memory']) / max(report.rows_accepted, 1):.0f}"
    )
    return figures


if __name__ == "__main__":
    main()
