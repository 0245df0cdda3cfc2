"""Hostile input to every parser of the pure core: 1 M generated inputs, and not one crash.

    python -m bench.fuzz [--inputs 1000000] [--target NAME ...] [--seed 0] [--jobs N]
    python -m bench.fuzz --list                      # the targets and the entry point each drives
    python -m bench.fuzz --replay test-artifacts/fuzz/<reproducer>.json
    python -m bench.fuzz --engine atheris --target cose --inputs 100000   # coverage-guided, optional

Why: a kiosk's scanner and chip reader pass on whatever they read, so every parser meets input
written by an attacker. Each target drives one parser entry point with Hypothesis-generated inputs:
random bytes or text, and structure-aware mutations of *valid* inputs (real signed tokens, chip
reads, master lists, CRLs, legacy BHYT and CCCD QR texts): bit flips, truncation, length fields that lie,
re-tagged and re-filled ASN.1 nodes (with their parents' lengths fixed so the mutation goes deep),
grafts between samples, CBOR maps with hostile values, deep nesting and oversized repetition.

A failure ("crash") is any of:
  - an exception other than the parser's documented error (TokenProblem, ChipError, LegacyQrProblem,
    CccdQrProblem, BadRequest/CardNumberProblem, KeyFileError), or a documented error whose code is
    not in its table;
  - an input using more than HANG_SECONDS of CPU, stuck for KILL_SECONDS, or allocating beyond the
    worker's address-space cap;
  - a broken verdict property: a mutated token verifies as signature-valid although the bytes it
    signs changed; a mutated chip read passes passive authentication (or the check-in's gate) with
    a changed SOD content or data group; a forged AA signature or CRL or master list is believed.
Every crash is saved as a JSON reproducer under test-artifacts/fuzz/ (run it again with --replay).
Prints a table, writes the figures to BENCHMARKS.md, and exits 1 if anything crashed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.fuzz.atheris_engine import atheris_child, run_atheris
from bench.fuzz.reporting import replay, report_body
from bench.fuzz.runner import CHUNK, TARGETS, fuzz, plan, save_reproducer
from bench.report import write_section

DEFAULT_INPUTS = 1_000_000
SECTION = "Fuzzing: hostile input to every parser"


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["--atheris-child"]:
        atheris_child(args_list[1], Path(args_list[2]), args_list[3:])
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m bench.fuzz",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="targets: " + ", ".join(TARGETS),
    )
    parser.add_argument(
        "--inputs",
        type=int,
        default=DEFAULT_INPUTS,
        help="inputs in all, split evenly over the targets (default 1,000,000)",
    )
    parser.add_argument(
        "--target",
        action="append",
        choices=sorted(TARGETS),
        metavar="NAME",
        help="only this target (repeatable; default: all)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of every Hypothesis run (default 0): the same seed generates the same inputs",
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: one per core)"
    )
    parser.add_argument(
        "--chunk", type=int, default=CHUNK, help=f"inputs per Hypothesis run (default {CHUNK})"
    )
    parser.add_argument(
        "--engine",
        choices=("hypothesis", "atheris"),
        default="hypothesis",
        help="atheris: coverage-guided libFuzzer, if installed",
    )
    parser.add_argument("--no-report", action="store_true", help="do not write BENCHMARKS.md")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    parser.add_argument(
        "--replay", type=Path, metavar="FILE", help="run a saved reproducer again and show its traceback"
    )
    args = parser.parse_args(args_list)
    if args.list:
        for target in TARGETS.values():
            print(f"{target.name:14} {target.entry}")
        return 0
    if args.replay:
        return replay(args.replay)
    names = args.target or list(TARGETS)
    counts = plan(args.inputs, names)
    if args.engine == "atheris":
        return run_atheris(names, counts, args.seed)
    print(
        f"fuzzing {len(names)} targets, {args.inputs:,} inputs, {args.jobs} processes, seed {args.seed}",
        file=sys.stderr,
    )
    started = time.perf_counter()
    tallies, peak = fuzz(counts, args.seed, args.jobs, args.chunk)
    wall = time.perf_counter() - started
    body = report_body(tallies, wall, args.jobs, args.seed, peak)
    print(body)
    for tally in tallies.values():
        for crash in tally.samples:
            print(f"crash {crash.target} {crash.kind} at {crash.where}: {save_reproducer(crash, args.seed)}")
            print(crash.trace.rstrip().splitlines()[-1])
    if not args.no_report:
        write_section(SECTION, " ".join(["python -m bench.fuzz", *args_list]), body)
    return 1 if any(t.crashes for t in tallies.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
