"""Unit costs a national sizing multiplies: bytes per event on Kafka and Redis bytes per person with
check-ins, measured on a stack of its own (README "Sizing a national deployment").

    python -m bench.sizing [--people 2000] [--no-write]

Enrolls `--people` through the bulk importer, then checks each in over gRPC (typed numbers): half
of them once, a quarter 5 times, a quarter 30 times (beyond the usage projection's recent list, so
its capped size shows). Reports the mean key+value bytes of a participation event and of a check-in
event as Kafka holds them (before replication and before the broker's own per-batch overhead), and
Redis's MEMORY USAGE of a person's usage record (`u:{SIN}`) by how many check-ins it holds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from pathlib import Path

from bench.load import Load, Person, enroll
from bench.report import write_section
from bench.stack import bench_stack
from infra.local.procs import wait_until
from infra.local.signing_keys import write_signing_key
from projections.lag import caught_up
from verifier.adapters.kafka_log import scan_topic
from verifier.adapters.redis_client import connect_sync
from verifier.tokens.keys import load_signing_key

SECTION = "Sizing: bytes per event and per usage record"
GROUPS = ((0.5, 1), (0.25, 5), (0.25, 30))  # (share of the people, check-ins each)


def measure(people_count: int, tmp: Path) -> list[str]:
    people = [Person(f"GD440{4500000000 + i:010d}") for i in range(people_count)]
    plan: list[tuple[Person, int]] = []
    start = 0
    for share, times in GROUPS:
        end = start + round(share * people_count)
        plan += [(p, times) for p in people[start:end]]
        start = end
    key = load_signing_key(*write_signing_key(tmp / "keys", "sizing"))
    with bench_stack(tmp) as stack:
        s = stack.settings
        enroll(s, people, {}, tmp)

        async def check_in() -> None:
            load = Load(s, key, [], people)
            try:
                for times in sorted({t for _, t in plan}):
                    group = [p for p, t in plan if t == times]
                    for _ in range(times):
                        for i in range(0, len(group), 64):
                            await asyncio.gather(*(load.typed(p) for p in group[i : i + 64]))
            finally:
                await load.close()

        asyncio.run(check_in())
        wait_until(lambda: caught_up(s.kafka_bootstrap, s.projection_group, s.topics), timeout=300,
                   what="projections caught up")  # fmt: skip
        enrolled = record_bytes(s.kafka_bootstrap, s.topic_participation)
        checkins = record_bytes(s.kafka_bootstrap, s.topic_checkins)
        per_person, by_prefix = redis_bytes(s.redis_url)
    usage: dict[int, list[int]] = {}
    monitor: dict[int, list[int]] = {}
    for person, times in plan:
        sin = person.card[-10:]  # the card's 10-digit social insurance number
        usage.setdefault(times, []).append(per_person.get(("u", sin), 0))
        monitor.setdefault(times, []).append(per_person.get(("m", sin), 0))
    lines = [
        f"{people_count:,} people enrolled through the importer, then checked in over gRPC (typed numbers); "
        "key + value bytes as Kafka stores each record, Redis MEMORY USAGE per key.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| participation event (enrolment), mean bytes | {statistics.fmean(enrolled):,.0f} |",
        f"| check-in event, mean bytes | {statistics.fmean(checkins):,.0f} ({len(checkins):,} events) |",
        *(
            f"| usage keys (`u:{{SIN}}*`) of a person with {times} check-in(s), mean bytes | "
            f"{statistics.fmean(sizes):,.0f} |"
            for times, sizes in sorted(usage.items())
        ),
        *(
            f"| misuse monitor state of the card (`m:c:{{SIN}}`, kept ~8 days after its last check-in) "
            f"with {times} check-in(s), mean bytes | {statistics.fmean(sizes):,.0f} |"
            for times, sizes in sorted(monitor.items())
        ),
        f"| participation (`p:*`, `i:*`), bytes per person | "
        f"{(by_prefix.get('p', 0) + by_prefix.get('i', 0)) / len(plan):,.0f} |",
    ]
    return lines


def record_bytes(bootstrap: str, topic: str) -> list[int]:
    return [len(r.key or b"") + len(r.value) for r in scan_topic(bootstrap, topic)]


def redis_bytes(url: str) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """MEMORY USAGE of every key, once: per key prefix (the part before the first colon), and per
    (prefix, person) for a person's usage (`u`) and monitor (`m`) keys, by the SIN in their hash tag."""
    client = connect_sync(url, decode_responses=True)
    per_person: dict[tuple[str, str], int] = {}
    by_prefix: dict[str, int] = {}
    try:
        keys = list(client.scan_iter(count=10000))
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.memory_usage(key, samples=0)
        for key, size in zip(keys, pipe.execute(), strict=True):
            prefix = key.split(":", 1)[0]
            by_prefix[prefix] = by_prefix.get(prefix, 0) + int(size or 0)
            if key.startswith(("u:{", "m:c:{")):  # a person's usage and misuse-monitor state
                tagged = key[key.index("{") + 1 : key.index("}")]
                per_person[(prefix, tagged)] = per_person.get((prefix, tagged), 0) + int(size or 0)
    finally:
        client.close()
    return per_person, by_prefix


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--people", type=int, default=2000, help="people enrolled and checked in (default 2000)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sizing-") as tmp:
        lines = measure(args.people, Path(tmp))
    print("\n".join(lines))
    if not args.no_write:
        write_section(SECTION, f"python -m bench.sizing --people {args.people}", "\n".join(lines))


if __name__ == "__main__":
    main()
