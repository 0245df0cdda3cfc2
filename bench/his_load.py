"""HIS gateway lookups at a fixed rate, driven by vegeta (an established load generator, not ours).

    python -m bench.his_load [--rate 300] [--duration 30s] [--ceiling 10s] [--write]
                             [--keep-logs DIR] [--profile FILE] [--note TEXT]

Issue 16's load target: `POST /api/egw/KQNhanLichSuKCB2024` at a fixed 300/s, p99 at most 20 ms.
Starts its own stack (bench/stack.py: Kafka, Redis, the verifier and one Faust worker) with the
gateway on over HTTPS with the local CA, as `infra/stack up` serves it; enrolls a population through
the bulk importer (bench/load.py's `enroll`); makes a HIS account and a registered staff member with
the admin CLI, as an operator would; takes one token, as a HIS does, and reuses it.

vegeta then attacks at the rate, open loop (arrivals on schedule whatever the answers do), with a
JSON targets file: each lookup a different card of the population (so the log check below can tell
a lost or doubled lookup from a repeated card), `maThe` as a card number or a 10-digit social
insurance number, `ngaySinh` as dd/MM/yyyy or only the year, the registered staff member's
`hoTenCb`/`cccdCb`. A short warm-up attack first opens the connections (a HIS keeps its own open).

What is reported, and why each:
- latency p50/p90/p99/max, success ratio and throughput from `vegeta report -type=json`;
- the share of answers whose body says `maKetQua` "000" (decoded from `vegeta encode`): the contract
  answers its errors with HTTP 200, so vegeta's success ratio alone would let a fast stream of 401s
  or 500s pass as a good figure;
- every answered lookup found once on the check-ins topic (kafka-python): each answer is given
  only after its event is durable, and this is where that is checked under load;
- CPU milliseconds per lookup of each process (verifier, worker, Kafka, Redis, vegeta), because on
  this machine they all share the same cores and the latency is mostly a statement about that.
- the verifier's own mean waits (Kafka append, Redis reads) from its /metrics, and a closed-loop
  ceiling after the attack (`--ceiling`), to say how near the rate is to what the stack can do;
- latency by second (printed only): a slow start shows there and not in whole-run percentiles.
"""

from __future__ import annotations

import argparse
import base64
import collections
import hashlib
import json
import os
import re
import resource
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bhyt.v1 import events_pb2 as ev
from prometheus_client.parser import text_string_to_metric_families

from bench.load import Person, enroll, stack_cpu_meter
from bench.report import write_section
from bench.stack import BenchStack, bench_stack
from infra.local.pki import ensure_local_pki
from infra.local.procs import free_port, wait_until
from infra.stack import local_tls
from tests.support.chip_fixtures import CITIZEN
from tests.support.kafka_state import all_records, group_caught_up
from tests.support.processes import admin_command
from verifier.service.his_lookup import his_kiosk_id

SECTION = "HIS gateway: lookups at a fixed rate (vegeta)"
VEGETA_INSTALL = "go install github.com/tsenart/vegeta/v12@latest"
FACILITY = "40-001"
ACCOUNT = "bench_his"
STAFF_CCCD = "040185000111"
STAFF_NAME = "Trần Thị Lan"
LOOKUP = "/api/egw/KQNhanLichSuKCB2024"
# The contract's refusals: nothing judged, nothing recorded (the rest are verdicts, on the log).
REFUSALS = frozenset({"401", "205", "054", "055", "500"})
CEILING_WORKERS = 16  # requests in flight for the closed-loop ceiling
PARTS = ("verifier", "worker", "Kafka", "Redis", "vegeta")
# The verifier's own timings of a lookup's waits (verifier/metrics.py), read from its /metrics.
TIMINGS = {
    "bhyt_event_log_append_duration_seconds": "Kafka append (acks=all)",
    "bhyt_read_model_duration_seconds": "Redis read",
}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)$")


class BenchError(SystemExit):
    """The bench cannot run as asked (no vegeta, a stack that did not come up); exits non-zero."""


def find_vegeta() -> str:
    """vegeta on PATH, else where `go install` puts it; the exact install command when missing."""
    found = shutil.which("vegeta")
    if found:
        return found
    gopath = Path(os.environ.get("GOPATH", Path.home() / "go"))
    for candidate in (gopath / "bin" / "vegeta", Path.home() / "go" / "bin" / "vegeta"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BenchError(f"vegeta not found on PATH or in ~/go/bin; install it with:\n    {VEGETA_INSTALL}")


def duration_arg(text: str) -> str:
    """argparse's check of a duration, so a typo is refused before a stack starts."""
    seconds_of(text)
    return text


def seconds_of(duration: str) -> float:
    """vegeta's duration syntax, as far as this bench takes it ("30s", "500ms", "2m")."""
    match = _DURATION.match(duration.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"duration like 30s, 500ms or 2m, not {duration!r}")
    value, unit = float(match[1]), match[2]
    return value * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]


@dataclass
class Outcome:
    """One attack: vegeta's own report and what the answers said."""

    report: dict[str, Any]
    codes: collections.Counter[str] = field(default_factory=collections.Counter)
    answered: collections.Counter[str] = field(default_factory=collections.Counter)  # maThe -> answers
    unreadable: int = 0  # HTTP answers whose body was not the contract's JSON
    # second of the attack -> (latency seconds, answered 000) of each request sent in it
    by_second: dict[int, list[tuple[float, bool]]] = field(
        default_factory=lambda: collections.defaultdict(list)
    )

    @property
    def requests(self) -> int:
        return int(self.report["requests"])

    def latency_ms(self, key: str) -> float:
        return float(self.report["latencies"][key]) / 1e6

    @property
    def ok_ratio(self) -> float:
        return self.codes["000"] / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class LogCheck:
    """Answered lookups against the HIS check-ins on the topic (by the participant's card)."""

    answered: int
    logged: int
    matched: int  # answered lookups found on the log (per card, the smaller of the two counts)
    missing: int  # answered, not on the log
    duplicated: int  # on the log more often than answered
    unanswered: int  # on the log, never answered (a request vegeta gave up on)


def admin_cli(stack: BenchStack, pki: Path, *args: str, stdin: str = "") -> dict[str, Any]:
    """The operator's command as its own process with the admin certificate (tests/e2e does the same)."""
    done = admin_command(stack.settings.grpc_listen, pki, *args, stdin=stdin)
    if done.returncode != 0:
        raise BenchError(f"`verifier {' '.join(args)}` failed:\n{done.stderr}")
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def take_token(base: str, ca: Path, password_md5: str) -> dict[str, Any]:
    """/api/token/take once, before the clock starts: a HIS takes a token and reuses it for an hour."""
    request = urllib.request.Request(
        base + "/api/token/take",
        data=json.dumps({"username": ACCOUNT, "password": password_md5}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    context = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:
        taken: dict[str, Any] = json.loads(answer.read())
    if taken.get("maKetQua") != "200":
        raise BenchError(f"no token: {taken}")
    key: dict[str, Any] = taken["APIKey"]
    return key


def lookup_body(i: int, person: Person) -> dict[str, str]:
    """Request shapes HIS systems send: mostly the card and the full birth date; some give the social
    insurance number, some only the year of birth."""
    the_card = person.sin if i % 10 in (7, 8) else person.card
    born = CITIZEN.date_of_birth
    birth = str(born.year) if i % 10 in (5, 6, 8) else born.strftime("%d/%m/%Y")
    return {
        "maThe": the_card,
        "hoTen": CITIZEN.full_name,
        "ngaySinh": birth,
        "hoTenCb": STAFF_NAME,
        "cccdCb": STAFF_CCCD,
    }


def write_targets(path: Path, url: str, people: Iterable[Person], start: int) -> None:
    """vegeta's JSON targets format: one object a line, the body base64."""
    with path.open("w") as f:
        for i, person in enumerate(people, start):
            body = json.dumps(lookup_body(i, person), ensure_ascii=False).encode()
            target = {
                "method": "POST",
                "url": url,
                "body": base64.b64encode(body).decode(),
                "header": {"Content-Type": ["application/json"]},
            }
            f.write(json.dumps(target) + "\n")


def attack(
    vegeta: str, targets: Path, ca: Path, rate: int, duration: str, out: Path, *, closed_loop: int = 0
) -> Outcome:
    """One attack, then vegeta's report and each answer's maKetQua: open loop at `rate`, or with
    `closed_loop` workers each sending its next request when the last is answered (the ceiling)."""
    pace = ["-rate=0", f"-max-workers={closed_loop}", f"-workers={closed_loop}"] if closed_loop else []
    subprocess.run(
        [
            vegeta,
            "attack",
            "-format=json",
            f"-targets={targets}",
            *(pace or [f"-rate={rate}/s"]),
            f"-duration={duration}",
            f"-root-certs={ca}",
            "-timeout=30s",
            f"-output={out}",
        ],
        check=True,
    )
    report = json.loads(
        subprocess.run(
            [vegeta, "report", "-type=json", str(out)], check=True, capture_output=True, text=True
        ).stdout
    )
    outcome = Outcome(report)
    encoded = subprocess.run(
        [vegeta, "encode", "--to=json", str(out)], check=True, capture_output=True, text=True
    ).stdout
    first: datetime | None = None
    for line in encoded.splitlines():
        result = json.loads(line)
        sent = datetime.fromisoformat(result["timestamp"])
        first = first or sent
        second = outcome.by_second[int((sent - first).total_seconds())]
        second.append((result["latency"] / 1e9, _said_000(result)))
        if result.get("code") != 200:
            outcome.codes[f"HTTP {result.get('code')}"] += 1
            continue
        try:
            answer = json.loads(base64.b64decode(result.get("body") or ""))
            code = str(answer["maKetQua"])
        except (ValueError, KeyError, TypeError):
            outcome.unreadable += 1
            outcome.codes["unreadable"] += 1
            continue
        outcome.codes[code] += 1
        if code not in REFUSALS:
            outcome.answered[str(answer.get("maThe", ""))] += 1
    return outcome


def _said_000(result: dict[str, Any]) -> bool:
    try:
        return bool(json.loads(base64.b64decode(result.get("body") or ""))["maKetQua"] == "000")
    except (ValueError, KeyError, TypeError):
        return False


def timeline(outcome: Outcome) -> list[str]:
    """Latency by second of the attack (printed, not written): a build-up shows when the stack
    falls behind, where the whole-run percentiles cannot."""
    rows = ["second | sent | p50 ms | p99 ms | not 000"]
    for second, results in sorted(outcome.by_second.items()):
        latencies = sorted(latency for latency, _ in results)
        p50, p99 = (
            latencies[len(latencies) // 2],
            latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        )
        bad = sum(1 for _, ok in results if not ok)
        rows.append(f"{second:>6} | {len(results):>4} | {p50 * 1000:>6.1f} | {p99 * 1000:>6.1f} | {bad}")
    return rows


def check_log(stack: BenchStack, answered: collections.Counter[str]) -> LogCheck:
    """Each judged answer should be on the check-ins topic exactly once (the gateway answers only
    after the event is durable); matched by the participant's card, which the answer's maThe names."""
    settings = stack.settings
    kiosk = his_kiosk_id(ACCOUNT)
    logged: collections.Counter[str] = collections.Counter()
    for value in all_records(settings, settings.topic_checkins):
        envelope = ev.EventEnvelope.FromString(value)
        if envelope.WhichOneof("payload") != "check_in_verified":
            continue
        check_in = envelope.check_in_verified
        if check_in.credential == ev.CREDENTIAL_KIND_HIS_LOOKUP and check_in.kiosk_id == kiosk:
            logged[check_in.card_number] += 1
    return LogCheck(
        answered=sum(answered.values()),
        logged=sum(logged.values()),
        matched=sum(min(n, logged[card]) for card, n in answered.items()),
        missing=sum((answered - logged).values()),
        duplicated=sum(max(0, logged[card] - n) for card, n in answered.items()),
        unanswered=sum(n for card, n in logged.items() if card not in answered),
    )


Timings = dict[str, tuple[float, float]]  # "what (label)" -> (seconds summed, count)


def scrape_timings(metrics_url: str) -> Timings:
    """Sums and counts of the verifier's wait histograms: where a lookup's time goes, as the
    verifier itself measured it (the difference of two scrapes is the attack's share)."""
    with urllib.request.urlopen(metrics_url, timeout=10) as answer:
        text = answer.read().decode()
    found: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])
    for family in text_string_to_metric_families(text):
        if family.name not in TIMINGS:
            continue
        for sample in family.samples:
            label = sample.labels.get("operation") or sample.labels.get("topic", "")
            what = f"{TIMINGS[family.name]} ({label})"
            if sample.name.endswith("_sum"):
                found[what][0] += sample.value
            elif sample.name.endswith("_count"):
                found[what][1] += sample.value
    return {what: (total, count) for what, (total, count) in found.items()}


def timing_delta(before: Timings, after: Timings) -> Timings:
    return {
        what: (total - before.get(what, (0.0, 0.0))[0], count - before.get(what, (0.0, 0.0))[1])
        for what, (total, count) in after.items()
        if count > before.get(what, (0.0, 0.0))[1]
    }


@dataclass(frozen=True)
class Measured:
    outcome: Outcome
    log: LogCheck
    cpu_ms: dict[str, float]  # CPU ms per lookup, by process
    timings: Timings  # the verifier's waits during the attack
    ceiling: Outcome | None  # closed loop after it, the stack's most lookups/s on this machine
    load_before: tuple[float, float, float]
    people: int
    warmup: str


def measure(
    rate: int,
    duration: str,
    *,
    warmup: str = "2s",
    people: int = 0,
    vegeta: str | None = None,
    keep_logs: Path | None = None,
    profile: Path | None = None,
    ceiling: str = "",
) -> Measured:
    """The whole bench: stack up, enroll, account and staff, warm-up, attack, log check, stack down."""
    vegeta = vegeta or find_vegeta()
    planned = int(rate * (seconds_of(duration) + seconds_of(warmup))) + 1
    people = max(people, planned + 100)  # each lookup a card of its own
    population = [Person(f"GD440{4300000000 + i:010d}") for i in range(people)]
    with tempfile.TemporaryDirectory(prefix="bench-his-") as tmp_dir:
        tmp = Path(tmp_dir)
        pki = ensure_local_pki(tmp / "pki").dir
        his_listen, metrics_listen = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
        overrides = {
            "insecure_plaintext": 0,
            "his_listen": his_listen,
            "metrics_listen": metrics_listen,
            **local_tls(pki),
        }
        with bench_stack(tmp, **overrides) as stack:
            started = time.perf_counter()
            enroll(stack.settings, population, {}, tmp)
            print(f"enrolled {len(population):,} people in {time.perf_counter() - started:.1f}s", flush=True)
            url = register_his_client(stack, pki, f"https://{his_listen}")
            ca = pki / "ca.pem"
            warm_count = int(rate * seconds_of(warmup)) + 1
            write_targets(tmp / "warmup.jsonl", url, population[:warm_count], 0)
            write_targets(tmp / "targets.jsonl", url, population[warm_count:], warm_count)
            warm = attack(vegeta, tmp / "warmup.jsonl", ca, rate, warmup, tmp / "warmup.bin")
            print(f"warm-up: {warm.requests} lookups, answers {dict(warm.codes)}", flush=True)
            wait_until(lambda: group_caught_up(stack.settings), timeout=60, what="warm-up projected")

            meter = stack_cpu_meter(stack, load_client=False)
            load_before = os.getloadavg()
            metrics_url = f"http://{metrics_listen}/metrics"
            timings_before = scrape_timings(metrics_url)
            cpu_before, vegeta_before = meter.sample(), _children_cpu()
            spy = start_profile(stack, profile, duration) if profile else None
            outcome = attack(vegeta, tmp / "targets.jsonl", ca, rate, duration, tmp / "results.bin")
            if spy is not None:
                spy.wait(60)
            cpu_after, vegeta_after = meter.sample(), _children_cpu()
            timings = timing_delta(timings_before, scrape_timings(metrics_url))
            done = max(1, outcome.requests)
            cpu_ms = {part: (cpu_after[part] - cpu_before[part]) * 1000 / done for part in cpu_after}
            cpu_ms["vegeta"] = (vegeta_after - vegeta_before) * 1000 / done
            answered = warm.answered + outcome.answered
            top = None
            if ceiling:  # after the figure, from a caught-up start; cards repeat here
                wait_until(lambda: group_caught_up(stack.settings), timeout=120, what="attack projected")
                write_targets(tmp / "all.jsonl", url, population, 0)
                top = attack(
                    vegeta, tmp / "all.jsonl", ca, 0, ceiling, tmp / "top.bin", closed_loop=CEILING_WORKERS
                )
                answered += top.answered
            print("attacks done; reading the check-ins topic", flush=True)
            log = check_log(stack, answered)
        if keep_logs is not None:  # the stack's own logs, before the temporary directory goes
            shutil.copytree(tmp / "logs", keep_logs, dirs_exist_ok=True)
    return Measured(outcome, log, cpu_ms, timings, top, load_before, people, warmup)


def register_his_client(stack: BenchStack, pki: Path, base: str) -> str:
    """A HIS account and a registered staff member made with the admin CLI, as an operator makes
    them; then one token, taken as a HIS takes it. Returns the lookup URL with its query string."""
    password = secrets.token_urlsafe(18)
    account = ["account", "add", ACCOUNT, "--role", "his", "--facility", FACILITY, "--password-stdin"]
    admin_cli(stack, pki, *account, stdin=password + "\n")
    staff = ["staff", "add", "--facility", FACILITY, "--personal-id", STAFF_CCCD, "--name", STAFF_NAME]
    admin_cli(stack, pki, *staff)
    wait_until(lambda: group_caught_up(stack.settings), timeout=60, what="account and staff projected")
    password_md5 = hashlib.md5(password.encode()).hexdigest()  # what HIS systems send
    key = take_token(base, pki / "ca.pem", password_md5)
    query = {
        "token": key["access_token"],
        "id_token": key["id_token"],
        "username": ACCOUNT,
        "password": password_md5,
    }
    return f"{base}{LOOKUP}?{urlencode(query)}"


def start_profile(stack: BenchStack, out: Path, duration: str) -> subprocess.Popen[bytes]:
    """py-spy sampling the verifier through the attack (raw collapsed stacks in `out`): where its
    time goes. Not for the figures: sampling (non-blocking, 100 Hz) takes some CPU of its own."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        raise BenchError("--profile needs py-spy: .venv/bin/pip install py-spy")
    seconds = max(1, int(seconds_of(duration)))
    pid = str(stack.verifier.process.pid)
    return subprocess.Popen(
        [
            spy,
            "record",
            "-p",
            pid,
            "-d",
            str(seconds),
            "-r",
            "100",
            "-f",
            "raw",
            "-o",
            str(out),
            "--nonblocking",
        ]
    )


def _children_cpu() -> float:
    """CPU seconds of this process's reaped children: vegeta, once its attack has exited."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def report_rows(m: Measured, rate: int, duration: str) -> list[str]:
    o, log = m.outcome, m.log
    success = float(o.report["success"])
    codes = ", ".join(f"{code}: {n:,}" for code, n in o.codes.most_common())
    errors = o.report.get("errors") or []
    rows = [
        f"vegeta, open loop at {rate}/s for {duration} against `POST {LOOKUP}` over HTTPS (keep-alive),"
        f" after a {m.warmup} warm-up at the same rate; one token, {m.people:,} people enrolled, each "
        "lookup a different card (maThe a card number or a social insurance number, ngaySinh dd/MM/yyyy "
        "or the year), the registered staff member's hoTenCb/cccdCb.",
        "",
        "| requests | throughput/s | HTTP success | maKetQua 000 | p50 ms | p90 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
        f"| {o.requests:,} | {float(o.report['throughput']):,.1f} | {success:.2%} | {o.ok_ratio:.2%} "
        f"| {o.latency_ms('50th'):.1f} | {o.latency_ms('90th'):.1f} | {o.latency_ms('99th'):.1f} "
        f"| {o.latency_ms('max'):.1f} |",
        "",
        f"Answers (maKetQua): {codes}." + (f" vegeta errors: {'; '.join(errors[:3])}." if errors else ""),
        "",
        f"On the check-ins topic (every attack of the run, warm-up included): {log.answered:,} lookups "
        f"answered with a verdict, {log.matched:,} of them found on the log; {log.missing} missing, "
        f"{log.duplicated} duplicated, {log.unanswered} logged but never answered "
        f"({log.logged:,} HIS check-ins logged).",
        "",
        "CPU ms per lookup: "
        + " / ".join(PARTS)
        + ": "
        + " / ".join(f"{m.cpu_ms.get(part, 0.0):.2f}" for part in PARTS)
        + f". Load average (1/5/15 min) before the attack: {' / '.join(f'{x:.2f}' for x in m.load_before)}.",
    ]
    if m.ceiling is not None:
        top = m.ceiling
        rows += [
            "",
            f"Ceiling, closed loop ({CEILING_WORKERS} requests in flight, after the attack): "
            f"{float(top.report['throughput']):,.0f} lookups/s answered, maKetQua 000 {top.ok_ratio:.1%}, "
            f"p50 {top.latency_ms('50th'):.1f} ms, p99 {top.latency_ms('99th'):.1f} ms.",
        ]
    if m.timings:
        waits = ", ".join(
            f"{what} {total * 1000 / count:.1f} ms x {count / max(1, o.requests):.2f}"
            for what, (total, count) in sorted(m.timings.items())
        )
        rows += ["", f"The verifier's waits per lookup (its /metrics, mean x calls per lookup): {waits}."]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=300, help="lookups per second (default 300)")
    parser.add_argument(
        "--duration", type=duration_arg, default="30s", help="attack duration, vegeta syntax (default 30s)"
    )
    parser.add_argument(
        "--warmup", type=duration_arg, default="2s", help="warm-up attack before it (default 2s)"
    )
    parser.add_argument("--people", type=int, default=0, help="participants (default: one per lookup)")
    parser.add_argument("--keep-logs", type=Path, help="copy the stack's logs (verifier, worker) here")
    parser.add_argument("--profile", type=Path, help="py-spy the verifier during the attack (raw stacks)")
    parser.add_argument(
        "--ceiling", type=duration_arg, default="10s", help="closed-loop ceiling after the attack (0s: none)"
    )
    parser.add_argument("--note", default="", help="a sentence for BENCHMARKS.md (what else was running)")
    parser.add_argument(
        "--write", action="store_true", help=f"write the section {SECTION!r} in BENCHMARKS.md"
    )
    args = parser.parse_args()
    vegeta = find_vegeta()
    started = time.perf_counter()
    measured = measure(
        args.rate,
        args.duration,
        warmup=args.warmup,
        people=args.people,
        vegeta=vegeta,
        keep_logs=args.keep_logs,
        profile=args.profile,
        ceiling="" if seconds_of(args.ceiling) == 0 else args.ceiling,
    )
    print("\n".join(timeline(measured.outcome)))
    rows = report_rows(measured, args.rate, args.duration)
    if args.note:
        rows += ["", args.note]
    print("\n".join(rows))
    print(f"whole run: {time.perf_counter() - started:.0f} s")
    if args.write:
        write_section(
            SECTION,
            f"python -m bench.his_load --rate {args.rate} --duration {args.duration}"
            + (f" --ceiling {args.ceiling}" if args.ceiling != "10s" else ""),
            "\n".join(rows),
        )


if __name__ == "__main__":
    main()
