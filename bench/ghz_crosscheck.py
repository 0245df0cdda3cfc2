"""Load figures a second tool confirms: ghz and our own load generator, one stack, one run.

    python -m bench.ghz_crosscheck [--seconds 10] [--rates 300,500,800] [--write]

Our load generator (`bench/load.py`) is Python running on the same cores as the server it
measures, so its figures could be its own limits rather than the server's (issue 18). This runs
an independent gRPC load tool written in Go, ghz (`go install github.com/bojand/ghz/cmd/ghz@latest`;
found on PATH or in ~/go/bin), and our generator against ONE stack started here: Kafka, Redis, the
verifier served with mTLS as in production, and one Faust worker. A population is enrolled through
the bulk importer; digital card tokens are issued beforehand through `Cards.IssueCardToken` with
the local CA's app certificate; both tools call with its kiosk certificate (`infra/local/pki.py`).

Calls, each with both tools in turn (who goes first alternates; projections catch up in between,
so each run starts from an idle stack), 32 requests in flight over 8 connections:

- `Diagnostics.Echo`, `CheckIn.VerifyCard` (typed numbers of enrolled people, each card once) and
  `CheckIn.VerifyScan` (each token once: a second use would be a replay, T06) at full speed for
  `--seconds`;
- `VerifyCard` at each fixed rate of `--rates` for `--seconds`: arrivals on schedule, at most 32 in
  flight, as ghz's `--rps` does.

ghz reads the protos in `proto/` (`--proto`, `--import-paths`); its JSON report gives the count,
the latency percentiles and the status codes. Ours are `bench/load.py`'s `Load`, `closed_loop` and
`timed`. Each run also gets the CPU every part of the stack spent per request (from /proc; ghz's
from its rusage) and what other processes on the machine took meanwhile. At the end the check-ins
topic is read back: every OK answer to a check-in must be exactly one check-in on the log, and its
verdicts are tabulated (ghz sees only status codes; the log shows they were verdicts).
Prints the table; `--write` puts it in BENCHMARKS.md ("Cross-checked with ghz").
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import dataclasses
import itertools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc
from bhyt.v1 import events_pb2 as ev

from bench.load import (
    CHANNELS,
    CpuMeter,
    Load,
    Person,
    Stats,
    closed_loop,
    enroll,
    percentiles,
    stack_cpu_meter,
    timed,
)
from bench.report import write_section
from bench.stack import bench_stack
from infra.stack import local_tls
from projections.lag import caught_up
from verifier.adapters.kafka_log import scan_topic
from verifier.client_channel import ClientTls, aio_channel
from verifier.settings import Settings

GHZ_INSTALL = "go install github.com/bojand/ghz/cmd/ghz@latest"
ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = ROOT / "proto"
API_PROTO = PROTO_ROOT / "bhyt" / "v1" / "api.proto"
CONCURRENCY = 32
TOOLS = ("ghz", "ours")
PARTS = ("load client", "verifier", "worker", "Kafka", "Redis", "other processes")
SERVER_PARTS = ("verifier", "worker", "Kafka", "Redis")
ECHO, TYPED, TOKEN = "echo (Diagnostics.Echo)", "typed (VerifyCard)", "token (VerifyScan)"
METHODS = {
    ECHO: "bhyt.v1.Diagnostics/Echo",
    TYPED: "bhyt.v1.CheckIn/VerifyCard",
    TOKEN: "bhyt.v1.CheckIn/VerifyScan",
}
WARMUP = "warm-up"
AGREE = 0.15  # two figures within 15% of each other are taken to agree
CORES = os.cpu_count() or 1


def find_ghz() -> Path | None:
    """ghz on PATH, else where `go install` puts it (~/go/bin is often not on PATH)."""
    found = shutil.which("ghz")
    if found:
        return Path(found)
    default = Path.home() / "go" / "bin" / "ghz"
    return default if os.access(default, os.X_OK) else None


@dataclass(frozen=True)
class Config:
    seconds: float = 10.0
    rates: tuple[int, ...] = (300, 500, 800)
    # Data prepared per tool for a full-speed run of `seconds`: a card is typed once and a token
    # scanned once, so these bound the rate a full-speed run can show before its data runs out
    # (then the run is shorter, and says so); ghz measured ~1,000 typed and ~550 token/s here.
    typed_per_s: int = 2000
    tokens_per_s: int = 800
    # Typed check-ins before any run is measured: the broker is a JVM, and its first few thousand
    # writes run slower than the rest (a cold start measured as the first call's figures).
    warmup_s: float = 5.0
    calls: tuple[str, ...] = ("echo", "typed", "token")  # which full-speed runs (echo always runs)
    profile: Path | None = None  # py-spy the verifier and the worker through each ghz run, into here
    settings: tuple[tuple[str, str], ...] = ()  # --setting FIELD=VALUE: the stack's settings, for A/B runs

    def count(self, per_s: float) -> int:
        """Requests (and so cards or tokens) for `per_s` over a run."""
        return max(1, round(per_s * self.seconds))


@dataclass(frozen=True)
class Phase:
    call: str  # one of METHODS
    rate: int | None = None  # None: full speed, closed loop

    @property
    def name(self) -> str:
        return self.call if self.rate is None else f"{self.call} at {self.rate}/s"


@dataclass
class Result:
    phase: Phase
    tool: str
    count: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: collections.Counter[str]  # gRPC status code name -> answers
    data: int  # cards or tokens prepared for the run (0: not data-bound)
    # part -> CPU seconds from the run's start until the projections caught up with it (what the
    # requests cost, the worker's backlog included), and during the run only (how busy it was)
    cpu_s: dict[str, float] = field(default_factory=dict)
    run_cpu_s: dict[str, float] = field(default_factory=dict)
    run_wall_s: float = 0.0  # the run as the meter saw it: ghz's start-up and exit included
    logged: collections.Counter[str] = field(default_factory=collections.Counter)  # verdict -> n

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> int:
        return self.statuses.get("OK", 0)

    @property
    def errors(self) -> int:
        return self.count - self.ok

    def cpu_ms(self, part: str) -> float:
        """The load client during the run only (afterwards this process polls Kafka for the
        projections' progress); the stack until it had caught up with the run."""
        used = self.run_cpu_s if part == "load client" else self.cpu_s
        return used.get(part, 0.0) * 1000 / max(1, self.count)

    @property
    def server_cpu_ms(self) -> float:
        return sum(self.cpu_ms(part) for part in SERVER_PARTS)

    @property
    def machine_busy(self) -> float:
        """Share of all cores busy during the run, whoever used them."""
        return sum(self.run_cpu_s.values()) / (self.run_wall_s * CORES) if self.run_wall_s else 0.0

    def cores(self, part: str) -> float:
        """Cores `part` kept busy during the run, on average."""
        return self.run_cpu_s.get(part, 0.0) / self.run_wall_s if self.run_wall_s else 0.0


# ------------------------------------------------------------------------------------ measuring
def machine_cpu_s() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: everything but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def children_cpu_s() -> float:
    """CPU of reaped child processes: how ghz's own CPU is read once it has exited."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Meter:
    """CPU seconds per part of the stack, the load client and the rest of the machine ("other"),
    read at moments of a run and subtracted."""

    def __init__(self, server: CpuMeter) -> None:
        self.server = server

    def snapshot(self) -> dict[str, float]:
        return {
            **self.server.sample(),
            "ghz": children_cpu_s(),
            "machine": machine_cpu_s(),
            "wall": time.perf_counter(),
        }

    @staticmethod
    def used(before: dict[str, float], after: dict[str, float], tool: str) -> dict[str, float]:
        """Per part; the load client is ghz (a reaped child) or this process. This process's own
        CPU while ghz runs counts as other."""
        delta = {k: after[k] - before[k] for k in after}
        client = "ghz" if tool == "ghz" else "load client"
        parts = {part: delta[client if part == "load client" else part] for part in PARTS[:-1]}
        parts["other processes"] = max(0.0, delta["machine"] - sum(parts.values()))
        return parts


def ghz_command(
    ghz: Path, target: str, pki: Path, call: str, data_file: Path, out: Path, *, count: int, rate: int | None
) -> list[str]:
    command = [
        str(ghz),
        "--proto", str(API_PROTO), "--import-paths", str(PROTO_ROOT),
        "--cacert", str(pki / "ca.pem"), "--cert", str(pki / "kiosk-local.pem"),
        "--key", str(pki / "kiosk-local.key"),
        "--call", call, "--data-file", str(data_file),
        "-c", str(CONCURRENCY), "--connections", str(CHANNELS), "-n", str(count), "-t", "30s",
        # A stopped run waits for the answers in flight: each is counted, none is cut off after the
        # server may already have logged its check-in.
        "--duration-stop", "wait",
        "--format", "json", "--output", str(out),
    ]  # fmt: skip
    if rate:
        command += ["--rps", str(rate)]
    return [*command, target]


def run_ghz(command: list[str], out: Path, seconds: float) -> dict[str, Any]:
    """Run ghz for at most `seconds`, then stop it with SIGINT (it reports what it did).

    Not ghz's `-z`/`-x`: with a duration, ghz 0.93 ignores `-n` and wraps round its data, which
    would scan each token again (a replay) once the tokens ran out; `-n` is the data's size."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, err = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"ghz exited {proc.returncode}: {err.strip()}")
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def ghz_result(phase: Phase, report: dict[str, Any], data: int) -> Result:
    latencies = {row["percentage"]: row["latency"] / 1e6 for row in report.get("latencyDistribution") or []}
    return Result(
        phase=phase,
        tool="ghz",
        count=int(report["count"]),
        seconds=report["total"] / 1e9,
        p50_ms=latencies.get(50, 0.0),
        p99_ms=latencies.get(99, 0.0),
        statuses=collections.Counter(report.get("statusCodeDistribution") or {}),
        data=data,
    )


def ours_result(phase: Phase, stats: Stats, seconds: float, data: int) -> Result:
    p50, _, p99, _ = percentiles(stats.all_latencies)
    statuses: collections.Counter[str] = collections.Counter()
    for label, n in stats.outcomes.items():
        statuses[label.removeprefix("gRPC ") if label.startswith("gRPC ") else "OK"] += n
    return Result(phase, "ours", len(stats.all_latencies), seconds, p50, p99, statuses, data)


async def paced(call: Callable[[], Awaitable[str]], rate: float, count: int) -> tuple[float, Stats]:
    """`count` calls starting on a schedule of `rate` per second, at most CONCURRENCY in flight: a
    late call goes as soon as one returns and the schedule catches up, as ghz's `--rps` pacer does.
    Latency is measured from the send, as ghz does."""
    stats, slots = Stats(), asyncio.Semaphore(CONCURRENCY)
    tasks: set[asyncio.Task[None]] = set()

    async def one() -> None:
        try:
            await timed(stats, "x", call)
        finally:
            slots.release()

    started = time.perf_counter()
    for i in range(count):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await slots.acquire()
        task = asyncio.create_task(one())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    return time.perf_counter() - started, stats


# ------------------------------------------------------------------------------------ the run
@dataclass
class Bench:
    """One stack and what both tools get: per phase and tool, its own cards or tokens."""

    ghz: Path
    settings: Settings
    pki: Path
    work: Path
    meter: Meter
    config: Config
    load: Load
    cards: dict[tuple[str, str], list[str]]  # (phase name, tool) -> card numbers
    tokens: dict[str, list[str]] = field(default_factory=dict)  # tool -> token texts
    results: list[Result] = field(default_factory=list)
    profiled: dict[str, int] = field(default_factory=dict)  # part -> pid py-spy samples (--profile)

    async def settle(self) -> None:
        """Let the worker finish the previous run's backlog: each run starts from an idle stack."""
        s = self.settings
        deadline = time.monotonic() + 300
        while not caught_up(s.kafka_bootstrap, s.projection_group, s.topics):
            if time.monotonic() > deadline:
                raise RuntimeError("projections did not catch up within 300 s")
            await asyncio.sleep(0.5)

    def ghz_data(self, phase: Phase) -> tuple[Any, int]:
        if phase.call == ECHO:
            return {"payload": base64.b64encode(b"ping").decode()}, 0
        if phase.call == TOKEN:
            return [{"scanned": t, "staff_id": "bench"} for t in self.tokens["ghz"]], len(self.tokens["ghz"])
        cards = self.cards[(phase.name, "ghz")]
        return [{"card_number": c, "staff_id": "bench"} for c in cards], len(cards)

    async def run_ghz(self, phase: Phase) -> Result:
        data, size = self.ghz_data(phase)
        slug = f"{len(self.results):02d}-ghz"
        data_file, out = self.work / f"{slug}.json", self.work / f"{slug}-report.json"
        data_file.write_text(json.dumps(data))
        count = self.config.count(phase.rate) if phase.rate else (size or 10**8)
        command = ghz_command(
            self.ghz, self.settings.grpc_listen, self.pki, METHODS[phase.call], data_file, out,
            count=count, rate=phase.rate,
        )  # fmt: skip
        # A fixed rate ends by its count; should the stack fall behind, it gets 3x the time.
        limit = self.config.seconds * (3 if phase.rate else 1) + (10 if phase.rate else 0)
        spies = self.start_profiles(slug, limit) if self.config.profile else []
        try:
            report = await asyncio.to_thread(run_ghz, command, out, limit)
        finally:
            for spy in spies:
                spy.send_signal(signal.SIGINT)  # py-spy writes what it has sampled and exits
                await asyncio.to_thread(spy.wait, 60)
        return ghz_result(phase, report, size)

    def start_profiles(self, slug: str, seconds: float) -> list[subprocess.Popen[bytes]]:
        """py-spy on each profiled part through a ghz run, raw collapsed stacks in `--profile`
        (`<run>-<part>.txt`). Sampling costs CPU of its own: these runs are for where the time goes,
        not for the figures."""
        assert self.config.profile is not None
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        self.config.profile.mkdir(parents=True, exist_ok=True)
        return [
            subprocess.Popen(
                [
                    spy,
                    "record",
                    "-p",
                    str(pid),
                    "-d",
                    str(int(seconds) + 1),
                    "-r",
                    "100",
                    "-f",
                    "raw",
                    "--nonblocking",
                    "-o",
                    str(self.config.profile / f"{slug}-{part}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for part, pid in self.profiled.items()
        ]

    async def run_ours(self, phase: Phase) -> Result:
        load, size = self.load, 0
        call: Callable[[], Awaitable[str]] = load.echo
        if phase.call == TYPED:
            cards = self.cards[(phase.name, "ours")]
            call, size = load.typed, len(cards)
        elif phase.call == TOKEN:
            # Should the tokens run out, Load signs more itself, for this run's cards (the log
            # must still tell the runs apart); the table then shows more requests than data.
            cards = self.cards[(phase.name, "ours")]
            load.tokens = collections.deque(self.tokens["ours"])
            call, size = load.token, len(self.tokens["ours"])
        if phase.call != ECHO:
            load.next_person = itertools.cycle([Person(c) for c in cards])
        if phase.rate:
            seconds, stats = await paced(call, phase.rate, self.config.count(phase.rate))
        else:
            began = time.perf_counter()
            _, stats = await closed_loop(call, self.config.seconds, CONCURRENCY)
            seconds = time.perf_counter() - began
        return ours_result(phase, stats, seconds, size)

    async def measure(self, phases: Sequence[Phase]) -> None:
        await closed_loop(self.load.echo, 2, CONCURRENCY)  # warm-up: our connections, caches
        self.load.next_person = itertools.cycle([Person(c) for c in self.cards[(WARMUP, "ours")]])
        rate, _ = await closed_loop(self.load.typed, self.config.warmup_s, CONCURRENCY)
        print(f"warm-up: typed check-ins for {self.config.warmup_s:g}s at {rate:,.0f}/s", flush=True)
        for i, phase in enumerate(phases):
            if phase.call == TOKEN and not self.tokens:
                await self.issue_tokens()
            order = TOOLS if i % 2 == 0 else TOOLS[::-1]
            for tool in order:
                await self.settle()
                before = self.meter.snapshot()
                result = await (self.run_ghz(phase) if tool == "ghz" else self.run_ours(phase))
                during = self.meter.snapshot()
                result.run_cpu_s = self.meter.used(before, during, tool)
                result.run_wall_s = during["wall"] - before["wall"]
                await self.settle()
                result.cpu_s = self.meter.used(before, self.meter.snapshot(), tool)
                self.results.append(result)
                print(
                    f"{phase.name}, {tool}: {result.count:,} in {result.seconds:.1f}s = {result.rps:,.0f}/s, "
                    f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, {dict(result.statuses)}, "
                    f"client {result.cpu_ms('load client'):.2f} ms/request, machine busy "
                    f"{result.machine_busy:.0%}, other processes {result.cores('other processes'):.2f} cores",
                    flush=True,
                )

    async def issue_tokens(self) -> None:
        """Tokens as the app gets them (`Cards.IssueCardToken`, app certificate), before the clock
        starts: a distinct card per token, so no scan is a replay and no card repeats."""
        per_tool = self.config.count(self.config.tokens_per_s)
        app = ClientTls.from_pki(self.pki, "app-local")
        channels = [aio_channel(self.settings.grpc_listen, app) for _ in range(4)]
        stubs = [api_grpc.CardsStub(c) for c in channels]
        began = time.perf_counter()
        try:
            for tool in TOOLS:
                cards = self.cards[(TOKEN, tool)][:per_tool]
                texts: list[str] = [""] * len(cards)

                async def issue(n: int, cards: list[str] = cards, texts: list[str] = texts) -> None:
                    for i in range(n, len(cards), CONCURRENCY):
                        request = api.IssueCardTokenRequest(card_number=cards[i])
                        texts[i] = (await stubs[i % len(stubs)].IssueCardToken(request, timeout=30)).token

                await asyncio.gather(*(issue(n) for n in range(CONCURRENCY)))
                self.tokens[tool] = texts
        finally:
            for c in channels:
                await c.close()
        issued = sum(len(t) for t in self.tokens.values())
        print(f"issued {issued:,} tokens in {time.perf_counter() - began:.1f}s", flush=True)


def check_the_log(settings: Settings, results: list[Result], cards: dict[tuple[str, str], list[str]]) -> None:
    """Every check-in on the log, attributed to its run by card (each run has its own cards), with
    its verdict: an OK answer must be one check-in, and a check-in an OK answer."""
    owner = {card: key for key, numbers in cards.items() for card in numbers}
    logged: dict[tuple[str, str], collections.Counter[str]] = collections.defaultdict(collections.Counter)
    names = {v: ev.Verdict.Name(v).removeprefix("VERDICT_").lower() for v in ev.Verdict.values()}
    for record in scan_topic(settings.kafka_bootstrap, settings.topic_checkins):
        event = ev.EventEnvelope.FromString(record.value)
        if event.WhichOneof("payload") != "check_in_verified":
            continue
        c = event.check_in_verified
        key = owner.get(c.card_number) or owner.get(c.presented_number)
        if key is not None:
            logged[key][f"{names.get(c.verdict, '?')} {c.result_code}"] += 1
    for result in results:
        result.logged = logged[(result.phase.name, result.tool)]


# ------------------------------------------------------------------------------------ reporting
def _pair(values: Sequence[float], spec: str) -> str:
    return " / ".join(format(v, spec) for v in values)


def report(results: list[Result], config: Config) -> list[str]:
    by = {(r.phase.name, r.tool): r for r in results}
    echo = {tool: by[(ECHO, tool)].rps for tool in TOOLS}
    phases = list(dict.fromkeys(r.phase.name for r in results))
    rows = [
        f"Each call with both tools on the same stack, {CONCURRENCY} requests in flight over {CHANNELS} "
        f"connections, {config.seconds:g} s each (fixed rates: {config.seconds:g} s of arrivals), mTLS "
        "with the local CA's kiosk certificate; figures are **ghz / ours**.",
        "",
        "| call | requests/s | ours ÷ ghz | share of echo | p50 ms | p99 ms | errors | "
        "check-ins on the log per OK answer |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in phases:
        g, o = by[(name, "ghz")], by[(name, "ours")]
        share = _pair([g.rps / echo["ghz"], o.rps / echo["ours"]], ".0%")
        logged = (
            "-"
            if g.phase.call == ECHO
            else _pair([sum(r.logged.values()) / max(1, r.ok) for r in (g, o)], ".3f")
        )
        errors = _pair([r.errors / max(1, r.count) for r in (g, o)], ".1%")
        rows.append(
            f"| {name} | {_pair([g.rps, o.rps], ',.0f')} | {o.rps / g.rps:.2f} | {share} "
            f"| {_pair([g.p50_ms, o.p50_ms], '.1f')} | {_pair([g.p99_ms, o.p99_ms], '.1f')} | {errors} "
            f"| {logged} |"
        )
    rows += [
        "",
        "Requests, answers and CPU per request (ms, from /proc; ghz's from its rusage) of each part, "
        "from the run's start until the projections had caught up with it; *other processes*: cores "
        "the rest of the machine kept busy during the run; *machine busy*: all cores, whoever used them.",
        "",
        "| call | tool | requests (data) | status codes | verdicts on the log | CPU ms per request: "
        + " / ".join(PARTS[:-1])
        + " | other processes | machine busy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        data = f" ({r.data:,})" if r.data else ""
        statuses = ", ".join(f"{k} {v:,}" for k, v in r.statuses.most_common())
        verdicts = ", ".join(f"{k}: {v:,}" for k, v in r.logged.most_common()) or "-"
        cpu = " / ".join(f"{r.cpu_ms(part):.2f}" for part in PARTS[:-1])
        rows.append(
            f"| {r.phase.name} | {r.tool} | {r.count:,}{data} | {statuses} | {verdicts} | {cpu} "
            f"| {r.cores('other processes'):.2f} | {r.machine_busy:.0%} |"
        )
    return [*rows, "", *explain(results, by)]


def explain(results: list[Result], by: dict[tuple[str, str], Result]) -> list[str]:
    """Where the tools agree and, where they do not, the measured reason: on a machine whose cores
    the load client shares with the stack, a client that costs more CPU per request leaves less
    for the server; the CPU each tool and each part spent says how much of a gap that explains."""
    lines = []
    for call in (c for c in (ECHO, TYPED, TOKEN) if (c, "ghz") in by):
        g, o = by[(call, "ghz")], by[(call, "ours")]
        ratio = o.rps / g.rps
        verdict = "agree" if abs(ratio - 1) <= AGREE else f"differ: ours is {ratio:.0%} of ghz"
        # When the cores are the limit, a rate is the CPU left by other processes divided by what a
        # request costs the stack and its load client together.
        capacity = {
            r.tool: (CORES - r.cores("other processes")) / (r.server_cpu_ms + r.cpu_ms("load client"))
            for r in (g, o)
        }
        predicted = capacity["ours"] / capacity["ghz"]
        # The share of the gap the load clients explain: ghz's stack cost with each tool's client.
        by_client = (g.server_cpu_ms + g.cpu_ms("load client")) / (g.server_cpu_ms + o.cpu_ms("load client"))
        lines.append(
            f"- **{call}**: {g.rps:,.0f}/s (ghz) and {o.rps:,.0f}/s (ours), {verdict}. Load client "
            f"{g.cpu_ms('load client'):.2f} ms of CPU per request for ghz, {o.cpu_ms('load client'):.2f} ms "
            f"for ours ({g.cores('load client'):.2f} and {o.cores('load client'):.2f} of the {CORES} cores): "
            f"alone it would put ours at {by_client:.0%} of ghz. The stack spent {g.server_cpu_ms:.2f} and "
            f"{o.server_cpu_ms:.2f} ms per request; stack and client together predict ours at "
            f"{predicted:.0%} of ghz with the cores as the limit (machine busy {g.machine_busy:.0%} and "
            f"{o.machine_busy:.0%})."
        )
    fixed = [r for r in results if r.phase.rate]
    for rate in dict.fromkeys(r.phase.rate for r in fixed):
        g = next(r for r in fixed if r.phase.rate == rate and r.tool == "ghz")
        o = next(r for r in fixed if r.phase.rate == rate and r.tool == "ours")
        lines.append(
            f"- **typed at {rate}/s**: delivered {g.rps:,.0f} and {o.rps:,.0f}/s, p99 {g.p99_ms:.1f} ms "
            f"(ghz) and {o.p99_ms:.1f} ms (ours); load client {g.cpu_ms('load client'):.2f} and "
            f"{o.cpu_ms('load client'):.2f} ms per request."
        )
    other = [r.cores("other processes") for r in results]
    lines += [
        "",
        f"Other processes on the machine during the runs: {sum(other) / len(other):.2f} cores on average, "
        f"at most {max(other):.2f} (of {CORES}).",
    ]
    return lines


# ------------------------------------------------------------------------------------ entry
CALLS = {"echo": ECHO, "typed": TYPED, "token": TOKEN}


def phases(config: Config) -> list[Phase]:
    """Echo first (every share is of echo), then the chosen calls at full speed, then the rates."""
    chosen = [CALLS[c] for c in config.calls if c != "echo"]
    return [Phase(ECHO), *(Phase(c) for c in chosen), *(Phase(TYPED, rate) for rate in config.rates)]


def allot(config: Config) -> tuple[dict[tuple[str, str], list[str]], list[str]]:
    """Cards for each run, disjoint: no card checks in twice, and the log tells the runs apart."""
    sizes = {}
    for phase in phases(config):
        if phase.call == TYPED:
            per_s = phase.rate or config.typed_per_s
        elif phase.call == TOKEN:
            per_s = config.tokens_per_s
        else:
            continue
        sizes[phase.name] = config.count(per_s)
    numbers = (f"GD440{4300000000 + i:010d}" for i in itertools.count())
    cards = {
        (name, tool): list(itertools.islice(numbers, size)) for name, size in sizes.items() for tool in TOOLS
    }
    # The warm-up cycles through its cards; at most 1,000 a second would check in once each.
    cards[(WARMUP, "ours")] = list(itertools.islice(numbers, max(1, round(1000 * config.warmup_s))))
    return cards, [c for numbers_ in cards.values() for c in numbers_]


def run(config: Config, tmp: Path, ghz: Path) -> list[Result]:
    """The whole cross-check on a stack of its own; returns every run's result."""
    from infra.local.signing_keys import write_signing_key
    from verifier.tokens.keys import load_signing_key

    cards, everyone = allot(config)
    key = load_signing_key(*write_signing_key(tmp / "keys", "bench"))
    overrides = {
        "insecure_plaintext": 0,
        **local_tls(tmp / "pki"),
        "token_keys_dir": str(tmp / "keys"),
        "token_lifetime_s": 3600,  # issued before the runs; a long run must not outlive them
        **{name: setting_value(name, value) for name, value in config.settings},
    }
    work = tmp / "ghz"
    work.mkdir()
    with bench_stack(tmp, **overrides) as stack:
        verifier, worker, settings = stack.verifier, stack.worker, stack.settings
        server = stack_cpu_meter(stack)
        began = time.perf_counter()
        enroll(settings, [Person(c) for c in everyone], {}, tmp)
        print(f"enrolled {len(everyone):,} people in {time.perf_counter() - began:.1f}s", flush=True)

        async def main() -> list[Result]:
            kiosk = ClientTls.from_pki(tmp / "pki", "kiosk-local")
            load = Load(settings, key, [], [Person(everyone[0])], tls=kiosk)
            bench = Bench(ghz, settings, tmp / "pki", work, Meter(server), config, load, cards)
            bench.profiled = {"verifier": verifier.process.pid, "worker": worker.process.pid}
            try:
                await bench.measure(phases(config))
            finally:
                await load.close()
            return bench.results

        results = asyncio.run(main())
        check_the_log(settings, results, cards)
    return results


def setting_value(name: str, text: str) -> Any:
    """`--setting FIELD=VALUE` as the field's type, as `BHYT_FIELD=VALUE` would be read."""
    field_ = next((f for f in dataclasses.fields(Settings) if f.name == name), None)
    if field_ is None:
        raise SystemExit(f"--setting: no setting {name!r} (see verifier/settings.py)")
    return getattr(Settings.from_env({f"BHYT_{name.upper()}": text}), name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="each run (default 10)")
    parser.add_argument(
        "--rates", default="300,500,800", help="fixed typed check-in rates per second (default 300,500,800)"
    )
    parser.add_argument(
        "--warmup-seconds", type=float, default=5.0, help="typed check-ins before measuring (default 5)"
    )
    parser.add_argument(
        "--calls", default="echo,typed,token", help="full-speed runs, of echo,typed,token (default all)"
    )
    parser.add_argument(
        "--profile", type=Path, help="py-spy the verifier and the worker through each ghz run into DIR"
    )
    parser.add_argument(
        "--setting", action="append", default=[], metavar="FIELD=VALUE",
        help="a setting of the stack (verifier/settings.py field), for A/B runs; repeatable",
    )  # fmt: skip
    parser.add_argument("--write", action="store_true", help="write the section into BENCHMARKS.md")
    args = parser.parse_args(argv)
    ghz = find_ghz()
    if ghz is None:
        print(f"ghz not found on PATH or in ~/go/bin; install it with:\n    {GHZ_INSTALL}", file=sys.stderr)
        return 2
    rates = tuple(int(r) for r in args.rates.split(",") if r)
    calls = tuple(c for c in args.calls.split(",") if c)
    unknown = set(calls) - set(CALLS)
    if unknown:
        parser.error(f"--calls: unknown {sorted(unknown)}; choose from {sorted(CALLS)}")
    config = Config(
        seconds=args.seconds,
        rates=rates,
        warmup_s=args.warmup_seconds,
        calls=calls,
        profile=args.profile,
        settings=tuple((name, value) for name, _, value in (s.partition("=") for s in args.setting)),
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-ghz-") as tmp:
        results = run(config, Path(tmp), ghz)
    rows = report(results, config)
    print("\n".join(rows))
    print(f"whole run: {time.perf_counter() - started:.0f} s")
    bad = [r for r in results if r.errors or (r.phase.call != ECHO and sum(r.logged.values()) != r.ok)]
    for r in bad:
        print(f"problem: {r.phase.name}, {r.tool}: {r.errors} errors, {sum(r.logged.values())} "
              f"logged for {r.ok} OK answers", file=sys.stderr)  # fmt: skip
    if args.write:
        command = f"python -m bench.ghz_crosscheck --seconds {args.seconds:g} --rates {args.rates} --write"
        write_section("Cross-checked with ghz", command, "\n".join(rows))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
