"""A realistic check-in load against the real stack, with the server's own ceiling as the yardstick.

    python -m bench.load [--rate 500] [--seconds 30] [--processes 1] [--people 2000]

Starts its own Kafka and Redis on free ports, the verifier (`--processes` server processes
sharing the port) and one Faust worker, enrolls a synthetic population over gRPC, then:

1. **Ceilings**, closed loop, `--concurrency` requests in flight over 8 connections, each path
   for `--ceiling-seconds`: the `Diagnostics.Echo` RPC (the ceiling of Python gRPC on this
   server stack), typed card numbers, digital card tokens (ES256), chip reads with passive
   authentication, and with passive + active authentication. Check-ins are reported as a
   **ratio of echo** measured in the same run, since absolute numbers vary between machines;
   and the raw token signature verification rate in this process, for scale.
2. **Steady load**, open loop at `--rate` check-ins per second for `--seconds`, then a
   **morning peak** (a ramp up to 1.5x the rate and down): a mix of digital tokens, legacy QR,
   typed numbers, chip reads (passive only and with active authentication) with face-match
   reports, and a share of bad input (unreadable tokens and QR), expired cards and replayed
   tokens. Latency p50/p95/p99/max per kind, outcomes by result code and gRPC status, and the
   **lag from an answer to its effect in the Redis projection** (a person's usage count),
   sampled on people who check in once.

Prints everything and writes it to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import csv
import itertools
import os
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc
from bhyt.v1 import events_pb2 as ev

from bench.report import write_section
from bench.stack import BenchStack, bench_stack
from infra.local.procs import children_of, read_pidfile
from infra.local.signing_keys import write_signing_key
from projections.lag import caught_up
from tests.support.chip_fixtures import CITIZEN, Chip, aa_sign_ec, make_chip, pem
from verifier.adapters.redis_client import RedisClient, connect
from verifier.client_channel import ClientTls, aio_channel
from verifier.imports.run import run_import
from verifier.readmodel.participation import usage_key
from verifier.settings import Settings
from verifier.tokens.card_token import CardClaims, issue_card_token, verify_token
from verifier.tokens.keys import SigningKey, TrustStore, load_signing_key

FACILITY = "40-001"
CHANNELS = 8
PARTS = ("verifier", "worker", "Kafka", "Redis", "load client")

# The steady mix: kind -> share of check-ins.
MIX = {
    "token": 0.40,
    "typed": 0.15,
    "legacy_qr": 0.10,
    "chip_pa": 0.13,
    "chip_aa": 0.10,
    "expired": 0.04,
    "replayed_token": 0.03,
    "bad_token": 0.03,
    "bad_qr": 0.02,
}


@dataclass(frozen=True)
class Person:
    card: str
    valid_to: str = "2099-12-31"

    @property
    def sin(self) -> str:
        return self.card[-10:]


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    lags: list[float] = field(default_factory=list)

    def record(self, kind: str, seconds: float, outcome: str) -> None:
        self.latencies[kind].append(seconds)
        self.outcomes[outcome] += 1

    @property
    def all_latencies(self) -> list[float]:
        return [x for values in self.latencies.values() for x in values]


class CpuMeter:
    """CPU seconds used by each part of the stack (from /proc), to say where a check-in's time goes
    on a machine where they all share the same cores."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups
        self.ticks = os.sysconf("SC_CLK_TCK")

    def sample(self) -> dict[str, float]:
        return {name: sum(self._cpu(pid) for pid in pids()) for name, pids in self.groups.items()}

    def _cpu(self, pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self.ticks  # utime + stime


def stack_cpu_meter(stack: BenchStack, *, load_client: bool = True) -> CpuMeter:
    """A meter of each part of a bench stack: the verifier (with its server processes), the worker,
    Kafka and Redis, and this process as the load client unless another tool is (`load_client`)."""
    verifier, worker = stack.verifier.process.pid, stack.worker.process.pid
    kafka_pid, redis_pid = read_pidfile(stack.kafka.nodes[0].pidfile), stack.redis.pid
    groups: dict[str, Callable[[], list[int]]] = {
        "verifier": lambda: [verifier, *children_of(verifier)],
        "worker": lambda: [worker],
        "Kafka": lambda: [kafka_pid] if kafka_pid else [],
        "Redis": lambda: [redis_pid] if redis_pid else [],
    }
    if load_client:
        groups["load client"] = lambda: [os.getpid()]
    return CpuMeter(groups)


def percentiles(values: list[float]) -> tuple[float, float, float, float]:
    ordered = sorted(values)
    if not ordered:
        return (0.0, 0.0, 0.0, 0.0)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    return at(0.50), at(0.95), at(0.99), ordered[-1] * 1000


def dmy(day: str) -> str:
    y, m, d = day.split("-")
    return f"{d}/{m}/{y}"


def legacy_qr(person: Person) -> str:
    name = CITIZEN.full_name.encode().hex()
    address = "Số 1 Phố Huế, Hà Nội".encode().hex()
    fields = [person.card, name, "05/01/1993", "1", address, "40 - C54", "01/01/2020", dmy(person.valid_to)]
    fields += ["15/12/2019", "40054016354956", "-", "4", "01/01/2028", "1f2fa22c47f0bd18-7102"]
    return "|".join(fields) + "|$"


class Load:
    """The kiosks: what they send, over several connections, and what came back."""

    def __init__(
        self,
        settings: Settings,
        key: SigningKey,
        chips: list[Chip],
        people: list[Person],
        tls: ClientTls | None = None,
    ) -> None:
        """`tls`: a kiosk certificate, to load a server that runs mTLS as production does; the
        certificate then names the facility and kiosk, so requests leave them empty."""
        self.settings = settings
        self.tls = tls
        self.key = key
        self.chips = chips
        self.people = [p for p in people if p.valid_to > "2030"]
        self.expired = [p for p in people if p.valid_to < "2030"]
        # Each channel its own TCP connection (gRPC would otherwise share one between channels to
        # the same target), as separate kiosks have: server processes get them spread by the kernel.
        self.channels = [
            aio_channel(settings.grpc_listen, tls, [("grpc.use_local_subchannel_pool", 1)])
            for _ in range(CHANNELS)
        ]
        self.checkin = [api_grpc.CheckInStub(c) for c in self.channels]
        self.echo_stubs = [api_grpc.DiagnosticsStub(c) for c in self.channels]
        self.turn = itertools.count()
        self.rng = random.Random(7)
        self.used_tokens: list[str] = []
        self.rng.shuffle(self.people)
        self.next_person = itertools.cycle(self.people)
        self.tokens: collections.deque[str] = collections.deque()

    def stub(self) -> api_grpc.CheckInStub:
        return self.checkin[next(self.turn) % CHANNELS]

    def where(self, kiosk: str) -> tuple[str, str]:
        """(facility_id, kiosk_id) for a request: with mTLS the certificate says both."""
        return ("", "") if self.tls else (FACILITY, kiosk)

    def issue_ahead(self, count: int) -> None:
        """Tokens are issued by the mobile app, not by kiosks: sign them before the clock starts, so
        the load client's own signing does not take CPU from the server it measures."""
        self.tokens = collections.deque(self.token_for(next(self.next_person)) for _ in range(count))

    def token_for(self, person: Person) -> str:
        claims = CardClaims(
            person.card, CITIZEN.full_name, "1993-01-05", "male", "40-C54", "2020-01-01", person.valid_to
        )
        now = datetime.now(UTC)
        return issue_card_token(
            claims, self.key, issuer="VN-BHXH", issued_at=now, lifetime=timedelta(hours=1)
        ).text

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()

    # --- one check-in of each kind; each returns an outcome label --------------------------------

    async def echo(self) -> str:
        stub = self.echo_stubs[next(self.turn) % CHANNELS]
        await stub.Echo(api.EchoRequest(payload=b"ping"), timeout=30)
        return "echo"

    async def typed(self, person: Person | None = None) -> str:
        person = person or next(self.next_person)
        facility, kiosk = self.where("k-typed")
        request = api.VerifyCardRequest(
            card_number=person.card, facility_id=facility, kiosk_id=kiosk, staff_id="bench"
        )
        return outcome(await self.stub().VerifyCard(request, timeout=30))

    async def scan(self, text: str, kiosk: str = "k-scan") -> str:
        facility, kiosk = self.where(kiosk)
        request = api.VerifyScanRequest(scanned=text, facility_id=facility, kiosk_id=kiosk, staff_id="bench")
        return outcome(await self.stub().VerifyScan(request, timeout=30))

    async def token(self, person: Person | None = None) -> str:
        if person is None and self.tokens:
            text = self.tokens.popleft()
        else:
            text = self.token_for(person or next(self.next_person))
        self.used_tokens.append(text)
        return await self.scan(text, kiosk=f"k-{self.rng.randrange(50)}")

    async def replayed_token(self) -> str:
        if not self.used_tokens:
            return await self.token()
        return await self.scan(self.rng.choice(self.used_tokens[-500:]), kiosk="k-elsewhere")

    async def chip(self, *, active: bool) -> str:
        chip = self.rng.choice(self.chips)
        stub = self.stub()
        session, signature = "", b""
        facility, kiosk = self.where("k-chip")
        if active:
            challenge = await stub.BeginChipCheck(
                api.BeginChipCheckRequest(facility_id=facility, kiosk_id=kiosk), timeout=30
            )
            session = challenge.session_id
            assert chip.aa_key is not None
            signature = aa_sign_ec(chip.aa_key, challenge.challenge)  # type: ignore[arg-type]
        score = self.rng.choice((0.97, 0.95, 0.93, 0.91, 0.62))
        request = api.VerifyChipRequest(
            facility_id=facility,
            kiosk_id=kiosk,
            staff_id="bench",
            session_id=session,
            sod=chip.sod,
            data_groups=chip.data_groups,
            active_auth_signature=signature,
            face_match=api.FaceMatch(score=score, threshold=0.8, liveness="passed", matcher="bench"),
        )
        return outcome(await stub.VerifyChip(request, timeout=30))

    def kinds(self) -> dict[str, Callable[[], Awaitable[str]]]:
        return {
            "token": self.token,
            "typed": self.typed,
            "legacy_qr": lambda: self.scan(legacy_qr(next(self.next_person))),
            "chip_pa": lambda: self.chip(active=False),
            "chip_aa": lambda: self.chip(active=True),
            "expired": lambda: self.token(self.rng.choice(self.expired)),
            "replayed_token": self.replayed_token,
            "bad_token": lambda: self.scan("BHYT1:" + "".join(self.rng.choices("ABC$%*+-./:", k=80))),
            "bad_qr": lambda: self.scan("GD4|not a card|$"),
        }


def outcome(decision: api.CheckInDecision) -> str:
    verdict = {
        ev.VERDICT_ACCEPTED: "accepted",
        ev.VERDICT_REJECTED: "rejected",
        ev.VERDICT_NEEDS_REVIEW: "review",
        ev.VERDICT_PROVISIONAL: "provisional",
    }
    return f"{verdict.get(decision.verdict, 'none')} {decision.result_code}"


async def timed(stats: Stats, kind: str, call: Callable[[], Awaitable[str]]) -> None:
    started = time.perf_counter()
    try:
        label = await call()
    except grpc.aio.AioRpcError as e:
        label = f"gRPC {e.code().name}"
    stats.record(kind, time.perf_counter() - started, label)


async def closed_loop(
    call: Callable[[], Awaitable[str]], seconds: float, concurrency: int
) -> tuple[float, Stats]:
    stats = Stats()
    deadline = time.perf_counter() + seconds

    async def kiosk() -> None:
        while time.perf_counter() < deadline:
            await timed(stats, "x", call)

    started = time.perf_counter()
    await asyncio.gather(*(kiosk() for _ in range(concurrency)))
    return len(stats.all_latencies) / (time.perf_counter() - started), stats


async def open_loop(
    load: Load, rate_at: Callable[[float], float], seconds: float, probes: list[Person]
) -> Stats:
    """Arrivals on schedule whatever the answers do (a queue of patients does not wait for the
    server); a sample of once-only people measures the answer-to-projection lag."""
    stats = Stats()
    kinds = load.kinds()
    names, weights = list(MIX), list(MIX.values())
    pending: dict[str, float] = {}  # SIN -> when its check-in was answered
    tasks: set[asyncio.Task[None]] = set()
    probe_every = max(1, int(rate_at(0) * seconds / max(1, len(probes))))
    probe_iter = iter(probes)

    async def probe(person: Person) -> None:
        await timed(stats, "typed", lambda: load.typed(person))
        pending[person.sin] = time.perf_counter()

    async def watch_lag(client: RedisClient, stop: asyncio.Event) -> None:
        while not stop.is_set() or pending:
            if pending:
                sins = list(pending)
                async with client.pipeline(transaction=False) as pipe:
                    for sin in sins:
                        pipe.hget(usage_key(sin), "n")
                    counts = await pipe.execute()
                for sin, n in zip(sins, counts, strict=True):
                    if n is not None and int(n) >= 1:
                        stats.lags.append(time.perf_counter() - pending.pop(sin))
            await asyncio.sleep(0.005)

    client = connect(load.settings.redis_url)
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_lag(client, stop))
    started = last = time.perf_counter()
    sent, due = 0, 0.0
    while (now := time.perf_counter()) - started < seconds:
        due += rate_at(now - started) * (now - last)  # arrivals owed: the rate integrated over time
        last = now
        while sent < int(due):
            sent += 1
            if sent % probe_every == 0 and (person := next(probe_iter, None)) is not None:
                task = asyncio.create_task(probe(person))
            else:
                kind = load.rng.choices(names, weights)[0]
                task = asyncio.create_task(timed(stats, kind, kinds[kind]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.sleep(0.002)
    await asyncio.gather(*tasks)
    stop.set()
    await asyncio.wait_for(watcher, 30)
    await client.aclose()
    return stats


def morning_peak(rate: float, seconds: float) -> Callable[[float], float]:
    """0.5x rising to 1.5x the rate at the middle, back to 0.5x: doors open, the queue peaks."""
    return lambda t: rate * (0.5 + 1.0 * (1 - abs(2 * t / seconds - 1)))


def enroll(settings: Settings, people: list[Person], chip_people: dict[str, str], tmp: Path) -> None:
    """The population through the bulk importer (the way VSS data arrives), then projected."""
    source = tmp / "people.csv"
    with source.open("w", newline="", encoding="utf-8") as f:
        rows = csv.writer(f)
        rows.writerow(["card_number", "full_name", "date_of_birth", "gender", "registered_facility",
                       "valid_from", "valid_to", "personal_id"])  # fmt: skip
        for person in people:
            rows.writerow([person.card, CITIZEN.full_name, "1993-01-05", "male", "40-C54", "2020-01-01",
                           person.valid_to, chip_people.get(person.card, "")])  # fmt: skip
    report = run_import(source, settings, progress=False, clock=lambda: datetime.now(UTC))
    if report.rows_accepted != len(people):
        raise SystemExit(f"import accepted {report.rows_accepted} of {len(people)} rows")
    deadline = time.monotonic() + 300
    while not caught_up(settings.kafka_bootstrap, settings.projection_group, settings.topics):
        if time.monotonic() > deadline:
            raise SystemExit("the enrolled population never reached the projection")
        time.sleep(0.5)


async def run(
    settings: Settings,
    args: argparse.Namespace,
    key: SigningKey,
    chips: list[Chip],
    population: list[Person],
    meter: CpuMeter,
) -> list[str]:
    probes = population[-400:]  # once-only people for the lag samples
    load = Load(settings, key, chips, population[:-400])
    try:
        ceilings: dict[str, tuple[float, Stats]] = {}
        cpu: dict[str, dict[str, float]] = {}
        paths: dict[str, Callable[[], Awaitable[str]]] = {
            "echo (Diagnostics.Echo)": load.echo,
            "typed card number (VerifyCard)": load.typed,
            "digital card token (VerifyScan)": load.token,
            "chip, passive authentication (VerifyChip)": lambda: load.chip(active=False),
            "chip, passive + active (BeginChipCheck + VerifyChip)": lambda: load.chip(active=True),
        }
        load.issue_ahead(int(args.ceiling_seconds * 1000 + args.rate * args.seconds * 2 * MIX["token"]))
        await closed_loop(load.echo, 2, args.concurrency)  # warm-up: connections, caches
        for name, call in paths.items():
            before = meter.sample()
            ceilings[name] = await closed_loop(call, args.ceiling_seconds, args.concurrency)
            after, done = meter.sample(), len(ceilings[name][1].all_latencies)
            cpu[name] = {part: (after[part] - before[part]) * 1000 / max(1, done) for part in after}
            print(f"{name}: {ceilings[name][0]:,.0f}/s", flush=True)
        # The ceilings left the workers a backlog; measure the lag from a caught-up start.
        waited = time.perf_counter()
        while not caught_up(settings.kafka_bootstrap, settings.projection_group, settings.topics):
            await asyncio.sleep(0.5)
        print(f"projections caught up with the ceilings' backlog in {time.perf_counter() - waited:.0f}s")
        steady = await open_loop(load, lambda t: float(args.rate), args.seconds, probes[:200])
        print("steady load done", flush=True)
        while not caught_up(settings.kafka_bootstrap, settings.projection_group, settings.topics):
            await asyncio.sleep(0.5)
        peak = await open_loop(load, morning_peak(args.rate, args.seconds), args.seconds, probes[200:])
        print("morning peak done", flush=True)
    finally:
        await load.close()
    return report(args, ceilings, cpu, steady, peak, key)


def report(
    args: argparse.Namespace,
    ceilings: dict[str, tuple[float, Stats]],
    cpu: dict[str, dict[str, float]],
    steady: Stats,
    peak: Stats,
    key: SigningKey,
) -> list[str]:
    echo = next(iter(ceilings.values()))[0]
    rows = [
        f"Ceilings, closed loop, {args.concurrency} in flight over {CHANNELS} connections, "
        f"{args.ceiling_seconds:g} s each, {args.processes} server process(es):",
        "",
        "| path | requests/s | share of echo | p50 ms | p99 ms | errors | CPU ms per request: "
        + " / ".join(PARTS)
        + " |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, (rps, stats) in ceilings.items():
        p50, _, p99, _ = percentiles(stats.all_latencies)
        errors = sum(n for label, n in stats.outcomes.items() if label.startswith("gRPC"))
        shares = " / ".join(f"{cpu[name][part]:.2f}" for part in PARTS)
        rows.append(
            f"| {name} | {rps:,.0f} | {rps / echo:.0%} | {p50:.1f} | {p99:.1f} | {errors} | {shares} |"
        )
    token = issue_card_token(
        CardClaims("GD4404300000001", "A", "1993-01-05", "male", "40-C54", "2020-01-01", "2099-12-31"),
        key,
        issuer="VN-BHXH",
        issued_at=datetime.now(UTC),
        lifetime=timedelta(hours=1),
    )
    store, now, n = TrustStore([key.trusted]), datetime.now(UTC), 0
    started = time.perf_counter()
    while time.perf_counter() - started < 2:
        verify_token(token.text, store, now)
        n += 1
    rows += [
        "",
        f"Raw token verification (ES256, `verify_token`) in the load process: {n / 2:,.0f}/s on one core.",
        "",
    ]
    low, high = args.rate * 0.5, args.rate * 1.5
    for title, stats in (
        (f"Steady mix at {args.rate} check-ins/s for {args.seconds:g} s", steady),
        (f"Morning peak: {low:g} → {high:g} → {low:g} check-ins/s over {args.seconds:g} s", peak),
    ):
        total = len(stats.all_latencies)
        p50, p95, p99, worst = percentiles(stats.all_latencies)
        lag50, _, lag99, _ = percentiles(stats.lags)
        rows += [
            f"**{title}**: {total:,} check-ins ({total / args.seconds:,.0f}/s), latency p50 {p50:.1f} ms, "
            f"p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {worst:.0f} ms; answer → Redis projection lag "
            f"p50 {lag50:.0f} ms, p99 {lag99:.0f} ms ({len(stats.lags)} samples).",
            "",
            "| kind | share | count | p50 ms | p99 ms |",
            "|---|---|---|---|---|",
        ]
        for kind in MIX:
            if kind in stats.latencies:
                k50, _, k99, _ = percentiles(stats.latencies[kind])
                count = len(stats.latencies[kind])
                rows.append(f"| {kind} | {MIX[kind]:.0%} | {count:,} | {k50:.1f} | {k99:.1f} |")
        outcomes = ", ".join(f"{label}: {n:,}" for label, n in stats.outcomes.most_common())
        rows += ["", f"Outcomes: {outcomes}.", ""]
    return rows


def chip_pool(count: int) -> list[Chip]:
    """Chip reads for `count` citizens (numbers consistent with a male born in 1993)."""
    chips = []
    for i in range(count):
        citizen = replace(CITIZEN, number=f"001093{100000 + i:06d}")
        chip = make_chip(citizen=citizen, aa="ec")
        chip.extra["personal_id"] = citizen.number
        chips.append(chip)
    return chips


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=150, help="steady check-ins per second (default 150)")
    parser.add_argument(
        "--seconds", type=float, default=30, help="steady phase, and again the peak (default 30)"
    )
    parser.add_argument(
        "--ceiling-seconds", type=float, default=8, help="each closed-loop ceiling (default 8)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="closed-loop requests in flight")
    parser.add_argument("--processes", type=int, default=1, help="verifier server processes (default 1)")
    parser.add_argument(
        "--people", type=int, default=60000, help="participants imported (default 60000: few visit twice)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    started = time.perf_counter()
    chips = chip_pool(300)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp_dir:
        tmp = Path(tmp_dir)
        keys_dir, trust_dir = tmp / "keys", tmp / "csca"
        trust_dir.mkdir()
        (trust_dir / "csca.pem").write_bytes(pem(chips[0].csca.cert))
        key = load_signing_key(*write_signing_key(keys_dir, "bench"))
        population = [
            Person(f"GD440{4300000000 + i:010d}", "2021-12-31" if i % 25 == 0 else "2099-12-31")
            for i in range(args.people)
        ]
        chip_people = {population[1 + i].card: str(c.extra["personal_id"]) for i, c in enumerate(chips)}
        overrides = {"token_keys_dir": str(keys_dir), "chip_trust_dir": str(trust_dir)}
        with bench_stack(tmp, server_processes=args.processes, **overrides) as stack:
            settings = stack.settings
            meter = stack_cpu_meter(stack)
            enrolling = time.perf_counter()
            enroll(settings, population, chip_people, tmp)
            print(f"enrolled {len(population):,} people in {time.perf_counter() - enrolling:.1f}s")
            rows = asyncio.run(run(settings, args, key, chips, population, meter))
    print("\n".join(rows))
    print(f"whole run: {time.perf_counter() - started:.0f} s")
    if not args.no_write:
        write_section(
            f"Check-in load: realistic mix, ceilings and lag ({args.processes} server process"
            f"{'es' if args.processes > 1 else ''})",
            f"python -m bench.load --rate {args.rate} --seconds {args.seconds:g} "
            f"--processes {args.processes}",
            "\n".join(rows),
        )


if __name__ == "__main__":
    main()
