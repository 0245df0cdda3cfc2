"""`bench/scale_out.py` and `bench/sizing.py` at a small size: each bench runs on a stack of its own
and reports its table, so the figures the national sizing uses can be reproduced. Nothing about
speed is asserted (the real runs are 300,000 participants and 2,000 people)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from bench import scale_out, sizing


def _table(lines: list[str]) -> dict[str, str]:
    return {cells[1]: cells[2] for line in lines if len(cells := [c.strip() for c in line.split("|")]) > 3}


def test_the_scale_out_bench_projects_the_whole_backlog_with_each_worker_count() -> None:
    with tempfile.TemporaryDirectory(prefix="test-scale-") as tmp:
        lines = scale_out.measure(3000, [1, 2], Path(tmp))
    rows = _table(lines)
    assert set(rows) >= {"1", "2"}
    rebuilt = re.search(
        r"rebuild` \(one process\) of the participation projection: ([\d,]+) events", "\n".join(lines)
    )
    assert rebuilt is not None and int(rebuilt.group(1).replace(",", "")) >= 3000


def test_the_sizing_bench_measures_events_and_redis_bytes_per_person() -> None:
    with tempfile.TemporaryDirectory(prefix="test-sizing-") as tmp:
        lines = sizing.measure(80, Path(tmp))
    rows = _table(lines)
    check_in = rows["check-in event, mean bytes"]
    assert (
        int(check_in.split()[0].replace(",", "")) > 50 and "(740 events)" in check_in
    )  # 40x1 + 20x5 + 20x30
    usage = [int(v.replace(",", "")) for k, v in rows.items() if k.startswith("usage keys")]
    assert len(usage) == 3 and usage == sorted(usage) and usage[0] > 0  # more check-ins, more bytes
