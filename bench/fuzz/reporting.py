"""A saved reproducer replayed, and the table and text of a run's report."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from bench.fuzz.harness import Tally, decode
from bench.fuzz.runner import BATCH, HANG_SECONDS, MEMORY_CAP, TARGETS


def replay(path: Path) -> int:
    """Run a saved input again, without catching anything, so the traceback shows where it breaks."""
    saved = json.loads(path.read_text())
    target = TARGETS[saved["target"]]
    target.inputs()
    outcome = target.run(decode(saved["input"]))
    print(f"{target.name}: {outcome}")
    return 0


# --- the report ---------------------------------------------------------------------------------


def _codes(errors: Counter[str]) -> str:
    shown = [f"{code} {count:,}" for code, count in errors.most_common(4)]
    if len(errors) > 4:
        shown.append(f"+{len(errors) - 4} codes")
    return ", ".join(shown) or "-"


def table(tallies: Mapping[str, Tally]) -> list[str]:
    rows = [
        "| target | parser entry point | inputs | accepted | clean errors (by code) | crashes "
        "| CPU per input: mean / slowest |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, tally in tallies.items():
        mean = tally.busy_s / tally.inputs if tally.inputs else 0.0
        rows.append(
            f"| `{name}` | {TARGETS[name].entry} | {tally.inputs:,} | {tally.accepted:,} "
            f"| {_codes(tally.errors)} | {tally.crashes} "
            f"| {mean * 1000:.2f} / {tally.slowest_s * 1000:.0f} ms |"
        )
    total = sum(t.inputs for t in tallies.values())
    crashes = sum(t.crashes for t in tallies.values())
    accepted = sum(t.accepted for t in tallies.values())
    rows.append(f"| **all** | | **{total:,}** | {accepted:,} | | **{crashes}** | |")
    return rows


def report_body(tallies: Mapping[str, Tally], wall_s: float, jobs: int, seed: int, peak_kib: int) -> str:
    total = sum(t.inputs for t in tallies.values())
    crashes = sum(t.crashes for t in tallies.values())
    slowest = max((t.slowest_s for t in tallies.values()), default=0.0)
    lines = [
        *table(tallies),
        "",
        f"{total:,} inputs in {wall_s / 60:.1f} min ({total / wall_s:,.0f}/s) on {jobs} processes, "
        f"seed {seed}; "
        f"**{crashes} crashes**; peak worker RSS {peak_kib / 1024:.0f} MiB (cap: start-up + "
        f"{MEMORY_CAP >> 20} MiB of address space); slowest input {slowest * 1000:.0f} ms of CPU "
        f"(limit {HANG_SECONDS:.0f} s).",
        "",
        "Each target drives one parser with Hypothesis (generation only, seeded): random bytes or text and "
        "structure-aware mutations of valid inputs (signed tokens of three key kinds, chip reads with three "
        "signature schemes and RSA/EC active authentication, a master list, a CRL, certificates, legacy QR "
        f"texts); each Hypothesis example yields {BATCH} inputs, the drawn one and {BATCH - 1} mutations "
        "of it. "
        "*Accepted* counts inputs the parser took (for the verify targets: a valid verdict); every "
        "other input ended in the parser's documented error and code. A crash is any other exception "
        "(also one a library swallowed as unraisable), an input over the CPU limit or the memory cap, or "
        "a broken verdict property: a mutated token that verifies as "
        "signature-valid with changed signed bytes, a mutated chip read that passes passive authentication "
        "(or the check-in's gate) with a changed SOD content, data group or AA signature, a CRL or master "
        "list believed with a changed body. Reproducers go to `test-artifacts/fuzz/` "
        "(`python -m bench.fuzz --replay FILE`).",
    ]
    return "\n".join(lines)
