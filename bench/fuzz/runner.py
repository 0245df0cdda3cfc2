"""The harness that runs the targets: the registry, one input at a time under the watchdogs, chunks of
Hypothesis-generated inputs over worker processes, and the reproducer each crash leaves behind."""

from __future__ import annotations

import ctypes
import json
import os
import pickle
import resource
import signal
import struct
import sys
import time
import zlib
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import suppress
from dataclasses import replace
from hashlib import sha256
from pathlib import Path
from random import Random
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from tqdm import tqdm

from bench.fuzz.cards import CARD_TARGETS
from bench.fuzz.chip import CHIP_TARGETS, chip_world
from bench.fuzz.chip_verify import CHIP_VERIFY_TARGETS
from bench.fuzz.der import mutate_der
from bench.fuzz.harness import ARTIFACTS, WORLD, Crash, Hang, Tally, Target, encode
from bench.fuzz.his import HIS_TARGETS
from bench.fuzz.mutations import RANDOMS, mutate_text
from bench.fuzz.tokens import TOKEN_TARGETS, token_world
from bench.fuzz.trust import TRUST_TARGETS

CHUNK = 2_000  # inputs per Hypothesis run: bounds its memory, and each run gets its own seed
BATCH = 4  # inputs per Hypothesis example: the drawn one and mutations of it (see run_chunk)
HANG_SECONDS = 2.0  # CPU time over which an input is a failure (a parser must never stall a kiosk)
KILL_SECONDS = 20.0  # in worker processes an input stuck this long is interrupted by SIGALRM
MEMORY_CAP = 1536 * 1024 * 1024  # address space a worker may add to its start-up size (zlib bombs)
PROGRESS_EVERY_S = 15.0  # without a terminal, one progress line this often
PR_SET_PDEATHSIG = 1  # prctl(2)
RECURSION_LIMIT = 1000  # Python's default: what the verifier's threads run with

TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        *TOKEN_TARGETS,
        *CARD_TARGETS,
        *HIS_TARGETS,
        *CHIP_TARGETS,
        *TRUST_TARGETS,
        *CHIP_VERIFY_TARGETS,
    )
}


# --- running ------------------------------------------------------------------------------------


def execute(target: Target, value: Any, tally: Tally, *, alarm: bool) -> None:
    """Run one input; any exception is recorded as a crash with its input, never raised.

    "Slow" is judged on the CPU time the input used, not the wall clock: on a shared machine a
    descheduled process would otherwise turn a 50 ms input into a false finding. A real hang (an
    endless loop) is still cut by the wall-clock alarm. An exception a library swallowed and
    reported as "unraisable" (to stderr, where an attacker's input would fill the logs) counts too.
    Hypothesis raises the recursion limit for its own needs; the parser runs under Python's default,
    as in the verifier, or a deeply nested input would pass here and crash there.
    """
    started = time.process_time()
    outcome: str | None = None
    unraisable: list[sys.UnraisableHookArgs] = []
    previous_hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(RECURSION_LIMIT)
    _announce(target.name, value)
    if alarm:
        signal.setitimer(signal.ITIMER_REAL, KILL_SECONDS)
    try:
        outcome = target.run(value)
    except (Exception, Hang) as error:  # every exception is a finding, kept with its input
        tally.crashed(Crash.of(target.name, error, value))
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
        sys.setrecursionlimit(previous_limit)
        sys.unraisablehook = previous_hook
        _finished()
    cpu = time.process_time() - started
    tally.inputs += 1
    tally.busy_s += cpu
    tally.slowest_s = max(tally.slowest_s, cpu)
    if outcome is not None:
        tally.record(outcome)
    for report in unraisable[:1]:
        if report.exc_value is not None:
            crash = Crash.of(target.name, report.exc_value, value)
            tally.crashed(replace(crash, kind=f"unraisable {crash.kind}"))
    if cpu > HANG_SECONDS:
        message = f"one input took {cpu:.1f} s of CPU (limit {HANG_SECONDS} s)"
        tally.crashed(Crash(target.name, "slow", "slow input", message, message, value))


def _raise_hang(signum: int, frame: object) -> None:
    raise Hang(f"input still running after {KILL_SECONDS} s")


def run_chunk(name: str, count: int, seed: int, alarm: bool = False) -> Tally:
    """`count` generated inputs for one target (Hypothesis generation only: no shrinking, no database).

    Each Hypothesis example is a batch: the drawn input, then BATCH - 1 siblings, each one further
    mutation of it by a seeded `random.Random`. Hypothesis's own cost per example (about a millisecond here)
    would otherwise be most of the run; a batch keeps its choice of starting points and spreads it.
    """
    target = TARGETS[name]
    strategy = st.tuples(target.inputs(), RANDOMS)  # builds the samples before anything is timed
    tally = Tally(name)
    if alarm:
        signal.signal(signal.SIGALRM, _raise_hang)

    @hypothesis_seed(seed)
    @settings(
        max_examples=-(-count // BATCH),
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        print_blob=False,
    )
    @given(strategy)
    def drive(drawn: tuple[Any, Random]) -> None:
        value, rng = drawn
        for index in range(min(BATCH, count - tally.inputs)):
            execute(target, mutate_value(rng, value) if index else value, tally, alarm=alarm)

    drive()
    return tally


def mutate_value(rng: Random, value: Any) -> Any:
    """One more mutation of an input of any target: bytes structure-aware, text by character, and
    in a structured input (a chip read, trust sources) one of its parts."""
    if isinstance(value, bytes):
        return mutate_der(rng, value, (value,))
    if isinstance(value, str):
        return mutate_text(rng, value, (value,), value or "a")
    if isinstance(value, Mapping):
        parts = [key for key, part in value.items() if isinstance(part, bytes | str | Mapping)]
        if parts:
            key = rng.choice(parts)
            return {**value, key: mutate_value(rng, value[key])}
    return value


def run_target(name: str, count: int, seed: int = 0, *, chunk: int = CHUNK) -> Tally:
    """One target in this process (the unit tests' entry point)."""
    tally = Tally(name)
    for index, size in enumerate(_sizes(count, chunk)):
        tally.merge(run_chunk(name, size, chunk_seed(seed, name, index)))
    return tally


def chunk_seed(seed: int, name: str, index: int) -> int:
    return zlib.crc32(f"{seed}:{name}:{index}".encode())


def _sizes(count: int, chunk: int) -> list[int]:
    return [min(chunk, count - start) for start in range(0, count, chunk)]


def plan(total: int, names: Sequence[str]) -> dict[str, int]:
    """`total` inputs split evenly over the targets (the first ones take the remainder)."""
    share, extra = divmod(total, len(names))
    return {name: share + (i < extra) for i, name in enumerate(names)}


def _worker_start() -> None:
    """Worker start-up: cap the address space, so a decompression bomb fails as MemoryError (a
    crash), and ask Linux to end this worker with its parent (a killed run leaves no orphans)."""
    size = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            size = int(line.split()[1]) * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = size + MEMORY_CAP
    if hard == resource.RLIM_INFINITY or cap < hard:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    global _inflight
    INFLIGHT.mkdir(parents=True, exist_ok=True)
    _inflight = os.open(INFLIGHT / str(os.getpid()), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)


# --- hangs inside C code ---------------------------------------------------------------------------
# SIGALRM only interrupts Python code: a loop inside a C extension (cbor2 hashing a shared structure,
# say) holds the interpreter and never returns. So each worker announces the input it is running in
# a small file, and the parent kills a worker whose input has been running for WATCHDOG_SECONDS,
# saving that input as a "hang" reproducer.

INFLIGHT = ARTIFACTS / "inflight"
WATCHDOG_SECONDS = 60.0
POLL_SECONDS = 5.0  # how often the parent looks at its workers
_HEADER = struct.Struct("<dI")  # when the input started (monotonic clock, 0 = none running), its size
_inflight: int | None = None  # this worker's announcement file (None outside worker processes)


def _announce(target: str, value: Any) -> None:
    if _inflight is not None:
        payload = pickle.dumps((target, value))
        os.pwrite(_inflight, _HEADER.pack(time.monotonic(), len(payload)) + payload, 0)


def _finished() -> None:
    if _inflight is not None:
        os.pwrite(_inflight, _HEADER.pack(0.0, 0), 0)


def _stuck_inputs(workers: set[int]) -> list[Crash]:
    """The inputs a worker has been running for WATCHDOG_SECONDS, each as a "hang" crash."""
    stuck: list[Crash] = []
    for pid in workers:
        try:
            data = (INFLIGHT / str(pid)).read_bytes()
            started, size = _HEADER.unpack_from(data)
        except (OSError, struct.error):
            continue
        running = time.monotonic() - started
        if started and running > WATCHDOG_SECONDS and len(data) >= _HEADER.size + size:
            target, value = pickle.loads(data[_HEADER.size : _HEADER.size + size])
            message = f"one input still running after {running:.0f} s (inside C code: no alarm reached it)"
            stuck.append(Crash(target, "hang", "no return", message, message, value))
    return stuck


def _worker(name: str, count: int, seed: int) -> tuple[Tally, int]:
    tally = run_chunk(name, count, seed, alarm=True)
    return tally, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def fuzz(counts: Mapping[str, int], seed: int, jobs: int, chunk: int) -> tuple[dict[str, Tally], int]:
    """Every target's inputs in chunks over `jobs` processes; the tallies and the peak worker RSS (KiB)."""
    tallies = {name: Tally(name) for name in counts}
    token_world(), chip_world()  # stored once, before the workers start (they read the same samples)
    tasks = [
        (name, size, chunk_seed(seed, name, i))
        for name, n in counts.items()
        for i, size in enumerate(_sizes(n, chunk))
    ]
    tasks.sort(key=lambda task: chunk_seed(seed, task[0], task[2]) % 9973)  # mix targets: steady progress
    peak, total = 0, sum(counts.values())
    reported: set[tuple[str, str, str]] = set()
    tty = sys.stderr.isatty()
    started = last = time.perf_counter()
    with (
        tqdm(total=total, unit=" inputs", unit_scale=True, file=sys.stderr, disable=not tty) as bar,
        ProcessPoolExecutor(max_workers=jobs, initializer=_worker_start) as pool,
    ):
        pending = {pool.submit(_worker, *task) for task in tasks}
        workers: set[int] = set()
        while pending:
            completed, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in completed:
                tally, rss = future.result()
                tallies[tally.target].merge(tally)
                peak = max(peak, rss)
                for crash in tally.samples:  # shown (and saved) at once: a long run need not be waited out
                    if crash.signature not in reported:
                        reported.add(crash.signature)
                        path = save_reproducer(crash, seed)
                        bar.write(
                            f"crash: {crash.target} {crash.kind} at {crash.where}: {path}", file=sys.stderr
                        )
                bar.update(tally.inputs)
            crashes = sum(t.crashes for t in tallies.values())
            bar.set_postfix(crashes=crashes)
            workers = {process.pid for process in pool._processes.values() if process.pid is not None}
            stuck = _stuck_inputs(workers)
            if stuck:  # the run cannot go on without the pool: report the hang and what was done
                for crash in stuck:
                    tallies[crash.target].crashed(crash)
                    bar.write(f"hang: {crash.target}: {save_reproducer(crash, seed)}", file=sys.stderr)
                for pid in workers:
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                pool.shutdown(wait=False, cancel_futures=True)
                break
            now = time.perf_counter()
            if not tty and now - last >= PROGRESS_EVERY_S:  # a log file gets a line now and then
                last, done = now, sum(t.inputs for t in tallies.values())
                eta = (now - started) / max(done, 1) * (total - done)
                print(
                    f"{done:,}/{total:,} inputs, {done / (now - started):,.0f}/s, "
                    f"{crashes} crashes, ETA {eta / 60:.1f} min",
                    file=sys.stderr,
                    flush=True,
                )
        for pid in workers:
            (INFLIGHT / str(pid)).unlink(missing_ok=True)
    return tallies, peak


# --- reproducers --------------------------------------------------------------------------------


def save_reproducer(crash: Crash, seed: int) -> Path:
    body = {
        "target": crash.target,
        "kind": crash.kind,
        "where": crash.where,
        "message": crash.message,
        "seed": seed,
        "samples": {p.name: sha256(p.read_bytes()).hexdigest()[:16] for p in sorted(WORLD.glob("*.json"))},
        "replay": "python -m bench.fuzz --replay <this file>",
        "input": encode(crash.value),
        "traceback": crash.trace,
    }
    text = json.dumps(body, indent=2, ensure_ascii=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{crash.target}-{sha256(text.encode()).hexdigest()[:12]}.json"
    path.write_text(text)
    return path
