"""Chaos: check-in load while a broker, the only broker, a Faust worker, Redis, a Redis Cluster
master or a verifier dies and comes back, or a worker joins.

    python -m bench.chaos [--scenario a b c d e f g] [--duration 60] [--rate 40] [--threads 6]

Each scenario brings up a stack of its own on free ports (never the standard ones, never a running
service): Kafka (3 nodes with replication 3 and min.insync.replicas 2 for `a`, else 1 node), Redis,
the verifier and one Faust worker. It enrolls a population over gRPC, then kiosk threads send a mix
of check-ins (typed card numbers, unknown and expired cards, digital card tokens, the legacy QR,
chip reads with a face match) at `--rate` per second, while the fault is injected and later undone:

  a  SIGKILL the node leading a check-ins partition of a 3-node cluster, restart it: no error at all
  b  SIGKILL the only broker, restart it: UNAVAILABLE while it is down, nothing else
  c  SIGKILL the Faust worker, start a new one (what a supervisor does): no error at all
  d  SIGKILL Redis, start it again on its port and data: UNAVAILABLE while it is down, nothing else
On the cluster layout (3 Kafka nodes, a Redis Cluster of 3 masters and 3 replicas, 2 verifiers
sharing the gRPC port, 2 workers):
  e  SIGKILL a Redis master, its replica takes over; the old master restarts as a replica:
     UNAVAILABLE or a provisional verdict (finalised later) during the failover, nothing else
  f  a third worker joins under load (partitions move): no error at all
  g  SIGKILL one verifier, start it again: its kiosks reconnect to the other; UNAVAILABLE only for
     a request the killed one held

Afterwards, with the load stopped and the worker caught up and stopped:

- every check-in answered with a verdict is on the check-ins topic exactly once (the whole topic
  is read), with the verdict and code the kiosk got; a logged check-in nobody got an answer for is
  allowed only for a request that failed; every provisional answer is finalised once;
- every projection (participation, usage, face, monitor, alerts, accounts) equals a clean rebuild from the
  log into a fresh keyspace (Redis database 1; a Redis of its own for a cluster, which has only
  database 0), key by key and value by value; nothing is
  dead-lettered; usage and face counters equal the events on the log for each person.

Prints a table of counts per scenario (answered, logged, lost, duplicated, UNAVAILABLE, other
errors), writes it to BENCHMARKS.md, and exits 1 if anything was lost, duplicated or refused when it
must not be. `tests/chaos/test_chaos.py` runs the same scenarios, shorter.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc
from bhyt.v1 import events_pb2 as ev
from kafka import KafkaAdminClient

from bench.load import Person, chip_pool, legacy_qr
from bench.report import write_section
from infra.local.kafka import KafkaCluster
from infra.local.procs import wait_until
from infra.local.redis_cluster import RedisClusterNodes
from infra.local.redis_server import RedisServer
from infra.local.signing_keys import write_signing_key
from projections.monitor.worker import STATS_KEY
from projections.rebuild import rebuild
from projections.registry import NAMES, projection
from projections.store import DEAD_LETTERS_KEY
from tests.support.chip_fixtures import CITIZEN, Chip, pem
from tests.support.client import Client
from tests.support.isolation import isolated_settings
from tests.support.kafka_state import all_records, group_caught_up
from tests.support.processes import ServiceProcess, start_verifier_process, start_worker
from verifier.adapters.redis_client import connect_sync
from verifier.processes import child_settings
from verifier.readmodel.participation import FACE_FACILITY_PREFIX
from verifier.settings import Settings
from verifier.tokens.card_token import CardClaims, issue_card_token
from verifier.tokens.keys import SigningKey, load_signing_key

Log = Callable[[str], None]

FACILITY = "40-001"
DOB = "1993-01-05"  # the chip citizens' birth date (their CCCD numbers say male, born 1993)
# What the kiosks send: kind -> share. Unknown and expired cards are rejected verdicts, still events.
MIX = {"typed": 0.50, "unknown": 0.08, "token": 0.17, "legacy_qr": 0.10, "chip": 0.15}
UNKNOWN_CARDS = [f"DN479{9000000000 + i:010d}" for i in range(20)]  # well-formed, enrolled by nobody
CALL_TIMEOUT_S = 15  # the client's deadline (tests/support/client.py): above any server-side timeout
# What a live projection may hold differently from a rebuild without holding different facts; every
# other byte must be equal.
# - Monitor state (m:c:*, m:p:*) carries a version bumped on every save: how often a card was saved
#   depends on how events were batched. The state is JSON whose maps and lists (offsets per
#   partition, incidents, seen events) come in the order events arrived, and a card is fed from two
#   topics whose interleaving differs between a live run and a replay: compared as values, order aside.
# - The monitor's running totals (m:stats) count redelivered events as duplicates and changed
#   incidents per batch: only the counts of distinct events (late, future) compare exactly; taken
#   may fall short of the rebuild's (never exceed it) when Redis fails mid-batch: see
#   `monitor_taken_short`.
# - The face projection's per-facility hash (f:fac:*) has a mismatch streak `s` and last score `ls`
#   over events of every partition, so they depend on how partitions interleaved: no rebuild can
#   reproduce them. Nothing reads them (the dashboard reads n, m and the buckets); reported to drop.
_MONITOR_STATE = re.compile(r"^m:[cp]:")
TAKEN = "taken (compared apart)"


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------ scenarios
@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    kafka_nodes: int
    # UNAVAILABLE ("101", no verdict given, nothing recorded) is the right answer while the fault
    # lasts, because the verifier cannot record (b) or read (d); in a and c it never is.
    unavailable_allowed: bool
    # a: a check-in caught by the broker's death waits for the cluster to fail over (fence the dead
    # node, elect leaders, shrink the ISRs): seconds. It must not be cut short, so `a` runs with the
    # production publish timeout (10 s, infra/production/kubernetes.yaml) however short the others.
    min_publish_timeout_s: float = 0.0
    # "cluster": 3 Kafka nodes, a Redis Cluster of 6 nodes, 2 verifiers and 2 workers.
    layout: str = "single"
    # Whether the fault must show as an error or a provisional verdict: a failover of a third of
    # the slots, or a verifier killed between two requests of its kiosks, may pass unnoticed.
    must_be_felt: bool = True


SCENARIOS = {
    "a": Scenario(
        "a", "1 of 3 brokers killed and restarted", 3, unavailable_allowed=False, min_publish_timeout_s=10
    ),
    "b": Scenario("b", "the only broker killed and restarted", 1, unavailable_allowed=True),
    "c": Scenario("c", "the Faust worker killed (-9) and replaced", 1, unavailable_allowed=False),
    "d": Scenario("d", "Redis killed and restarted", 1, unavailable_allowed=True),
    "e": Scenario(
        "e", "a Redis Cluster master killed, its replica takes over", 3, unavailable_allowed=True,
        layout="cluster", must_be_felt=False,
    ),
    "f": Scenario("f", "a third worker joins", 3, unavailable_allowed=False, layout="cluster"),
    "g": Scenario(
        "g", "1 of 2 verifiers killed and restarted", 3, unavailable_allowed=True, layout="cluster",
        must_be_felt=False,
    ),
}  # fmt: skip
CLUSTER_REDIS_NODES, CLUSTER_VERIFIERS, CLUSTER_WORKERS = 6, 2, 2


@dataclass(frozen=True)
class ChaosConfig:
    """The load and its timeline: `duration_s` of load, the fault injected after a quarter of it and
    held for about a third (at least until every kiosk has sent something into it)."""

    duration_s: float = 60.0
    rate: float = 40.0
    threads: int = 6
    people: int = 300
    chip_people: int = 20
    publish_timeout_s: float = 5.0

    @property
    def before_s(self) -> float:
        return self.duration_s * 0.25

    @property
    def down_s(self) -> float:
        return max(self.duration_s * 0.35, self.publish_timeout_s + 2)

    def grace_s(self, scenario: Scenario) -> float:
        """After a restore, how long a request may still fail where failing is allowed at all: one
        already waiting for the broker runs out its publish timeout, and the producer reconnects
        within a second or two."""
        return self.publish_timeout_s + 3 if scenario.unavailable_allowed else 0.0

    def after_s(self, scenario: Scenario) -> float:
        """Load after the restore: past the grace, long enough to show the recovery."""
        return max(self.duration_s * 0.4, self.grace_s(scenario) + 4)


# ------------------------------------------------------------------------------------ the kiosks
@dataclass(frozen=True)
class Attempt:
    """One check-in request and what came back: a verdict with its id, or a gRPC status."""

    kind: str
    started: float  # time.monotonic()
    ended: float
    check_in_id: str = ""
    verdict: str = ""  # the Verdict enum's name; new values (VERDICT_PROVISIONAL, ...) count as they come
    result_code: str = ""
    status: str = "OK"
    details: str = ""

    @property
    def answered(self) -> bool:
        return self.status == "OK"


def verdict_name(value: int) -> str:
    try:
        return ev.Verdict.Name(value)
    except ValueError:
        return f"VERDICT_{value}"


@dataclass
class World:
    """What the kiosks present: enrolled people (some expired), chips of enrolled citizens, a key."""

    people: list[Person]
    chips: list[Chip]
    key: SigningKey

    def token(self, person: Person) -> str:
        claims = CardClaims(
            person.card, CITIZEN.full_name, DOB, "male", "40-C54", "2020-01-01", person.valid_to
        )
        now = datetime.now(UTC)
        return issue_card_token(
            claims, self.key, issuer="VN-BHXH", issued_at=now, lifetime=timedelta(hours=1)
        ).text


class Kiosks:
    """`threads` kiosks, each with its own connection, together sending `rate` check-ins a second.

    Each thread paces itself on a schedule (a kiosk whose answer is late sends its next request at
    once, it does not skip it) and keeps its own list of attempts, so recording needs no lock.
    """

    def __init__(self, target: str, world: World, *, rate: float, threads: int, seed: int = 7) -> None:
        self._target = target
        self._world = world
        self._interval = threads / rate
        self._stop = threading.Event()
        self._records: list[list[Attempt]] = [[] for _ in range(threads)]
        self._threads = [
            threading.Thread(
                target=self._run, args=(i, random.Random(seed + i)), name=f"kiosk-{i}", daemon=True
            )
            for i in range(threads)
        ]
        self._failures: list[BaseException] = []

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> list[Attempt]:
        self._stop.set()
        for thread in self._threads:
            thread.join(CALL_TIMEOUT_S + 10)
            if thread.is_alive():
                raise RuntimeError(f"{thread.name} did not stop")
        if self._failures:  # a bug in the load itself, not an answer: never hide it in the counts
            raise RuntimeError("a kiosk thread failed") from self._failures[0]
        return self.attempts()

    def attempts(self) -> list[Attempt]:
        return [a for records in self._records for a in list(records)]

    def count(self, predicate: Callable[[Attempt], bool]) -> int:
        return sum(1 for a in self.attempts() if predicate(a))

    def _run(self, index: int, rng: random.Random) -> None:
        client = Client(self._target, own_connection=True)  # kiosks spread over the verifiers
        kiosk = f"chaos-{index}"
        names, weights = list(MIX), list(MIX.values())
        next_at = time.monotonic() + rng.random() * self._interval
        try:
            while not self._stop.is_set():
                if (delay := next_at - time.monotonic()) > 0 and self._stop.wait(delay):
                    break
                next_at += self._interval
                kind = rng.choices(names, weights)[0]
                self._records[index].append(self._attempt(client, kind, kiosk, rng))
        except BaseException as e:
            self._failures.append(e)
        finally:
            client.close()

    def _attempt(self, client: Client, kind: str, kiosk: str, rng: random.Random) -> Attempt:
        person = rng.choice(self._world.people)
        started = time.monotonic()
        try:
            if kind == "typed":
                decision = client.verify(person.card, FACILITY, kiosk)
            elif kind == "unknown":
                decision = client.verify(rng.choice(UNKNOWN_CARDS), FACILITY, kiosk)
            elif kind == "token":
                decision = client.scan(self._world.token(person), FACILITY, kiosk)
            elif kind == "legacy_qr":
                decision = client.scan(legacy_qr(person), FACILITY, kiosk)
            else:
                chip = rng.choice(self._world.chips)
                score = rng.choice((0.97, 0.93, 0.91, 0.62))
                face = api.FaceMatch(score=score, threshold=0.8, liveness="passed", matcher="chaos")
                decision = client.verify_chip(
                    chip.sod, chip.data_groups, face_match=face, facility_id=FACILITY, kiosk_id=kiosk
                )
        except grpc.RpcError as e:
            ended, status = time.monotonic(), e.code().name
            return Attempt(kind, started, ended, status=status, details=e.details() or "")
        return Attempt(
            kind,
            started,
            time.monotonic(),
            check_in_id=decision.check_in_id,
            verdict=verdict_name(decision.verdict),
            result_code=decision.result_code,
        )


# ------------------------------------------------------------------------------------ the stack
@dataclass
class Services:
    """Kafka and Redis (one server, or a Redis Cluster), which a scenario kills; several scenarios
    may take turns on the same ones (each with its own topics and a flushed Redis), provided each
    restores what it killed."""

    kafka: KafkaCluster
    redis: RedisServer | None = None
    redis_cluster: RedisClusterNodes | None = None

    @property
    def redis_url(self) -> str:
        if self.redis_cluster is not None:
            return self.redis_cluster.url
        assert self.redis is not None
        return self.redis.url


@dataclass
class ChaosStack:
    settings: Settings
    base: Services
    logs: Path
    workers: list[ServiceProcess] = field(default_factory=list)
    verifiers: list[ServiceProcess] = field(default_factory=list)
    workers_started: int = 0

    @property
    def kafka(self) -> KafkaCluster:
        return self.base.kafka

    def start_worker(self) -> None:
        self.workers_started += 1
        self.workers.append(start_worker(self.settings, f"chaos-w{self.workers_started}", self.logs))

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers = []

    def verifier_settings(self, index: int) -> Settings:
        """One verifier alone, or verifier `index` of several sharing the port (SO_REUSEPORT)."""
        return self.settings if self.base.redis_cluster is None else child_settings(self.settings, index)

    def start_verifier(self, index: int) -> None:
        name = f"verifier-{index + 1}"
        self.verifiers.insert(index, start_verifier_process(self.verifier_settings(index), self.logs, name))


@contextlib.contextmanager
def services(tmp: Path, kafka_nodes: int, log: Log = _stderr, *, redis_nodes: int = 1) -> Iterator[Services]:
    """Kafka (`kafka_nodes` nodes) and Redis (one, or a cluster of `redis_nodes`) on free ports
    under `tmp`, stopped at the end."""
    kafka = KafkaCluster(tmp / "kafka", nodes=kafka_nodes, log=log)
    base = Services(kafka)
    if redis_nodes > 1:
        base.redis_cluster = RedisClusterNodes(tmp / "redis-cluster", nodes=redis_nodes, log=log)
    else:
        base.redis = RedisServer(tmp / "redis", log=log)
    try:
        kafka.start()
        if base.redis_cluster is not None:
            base.redis_cluster.start()
        else:
            assert base.redis is not None
            base.redis.start()
        yield base
    finally:
        if base.redis_cluster is not None:
            base.redis_cluster.stop()
        if base.redis is not None:
            base.redis.stop()
        kafka.stop()


def layout_services(
    scenario: Scenario, tmp: Path, log: Log = _stderr
) -> contextlib.AbstractContextManager[Services]:
    redis_nodes = CLUSTER_REDIS_NODES if scenario.layout == "cluster" else 1
    return services(tmp, scenario.kafka_nodes, log, redis_nodes=redis_nodes)


@contextlib.contextmanager
def chaos_stack(
    scenario: Scenario,
    base: Services,
    tmp: Path,
    config: ChaosConfig,
    world_dirs: tuple[Path, Path],
) -> Iterator[ChaosStack]:
    """This scenario's topics, verifier and worker on `base`, stopped at the end."""
    if len(base.kafka.nodes) != scenario.kafka_nodes:
        raise ValueError(f"scenario {scenario.name} needs {scenario.kafka_nodes} Kafka node(s)")
    if (base.redis_cluster is not None) != (scenario.layout == "cluster"):
        raise ValueError(f"scenario {scenario.name} runs on the {scenario.layout} layout")
    keys_dir, trust_dir = world_dirs
    logs = tmp / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    replicas = min(3, scenario.kafka_nodes)
    settings = isolated_settings(
        base.kafka.bootstrap,
        base.redis_url,
        prefix=f"chaos-{scenario.name}",
        topic_replication=replicas,
        topic_min_insync_replicas=min(2, replicas),
        publish_timeout_s=max(config.publish_timeout_s, scenario.min_publish_timeout_s),
        token_keys_dir=str(keys_dir),
        chip_trust_dir=str(trust_dir),
        # A killed worker's partitions go to its replacement once the group notices it is gone.
        projection_session_timeout_s=6.0,
        # Faust's assignor moves a partition to a joining worker only from one holding more than
        # its share (partitions / workers, rounded up): with 4, 2 workers hold 2 each and a third
        # would get none. 6 gives the third worker of scenario f two.
        **({"topic_partitions": 6} if scenario.layout == "cluster" else {}),
    )
    stack = ChaosStack(settings, base, logs)
    clustered = scenario.layout == "cluster"
    try:
        for index in range(CLUSTER_VERIFIERS if clustered else 1):
            stack.start_verifier(index)
        for _ in range(CLUSTER_WORKERS if clustered else 1):
            stack.start_worker()
        yield stack
    finally:
        for worker in stack.workers:
            worker.kill()  # an exception got here: its state no longer matters
        for verifier in stack.verifiers:
            verifier.stop()


def make_world(tmp: Path, config: ChaosConfig) -> tuple[World, tuple[Path, Path]]:
    """The population, chips and a token signing key; the directories the verifier reads them from."""
    chips = chip_pool(config.chip_people)
    keys_dir, trust_dir = tmp / "keys", tmp / "csca"
    trust_dir.mkdir(parents=True, exist_ok=True)
    (trust_dir / "csca.pem").write_bytes(pem(chips[0].csca.cert))
    key = load_signing_key(*write_signing_key(keys_dir, "chaos"))
    people = [
        Person(f"GD440{7700000000 + i:010d}", "2021-12-31" if i % 10 == 9 else "2099-12-31")
        for i in range(config.people)
    ]
    return World(people, chips, key), (keys_dir, trust_dir)


def enroll(stack: ChaosStack, world: World) -> None:
    """Everyone over gRPC (the chip citizens with their CCCD number), then wait until projected."""
    client = Client(stack.settings.grpc_listen)
    try:
        for i, person in enumerate(world.people):
            fields = {"date_of_birth": DOB, "valid_to": person.valid_to}
            if i < len(world.chips):
                fields["personal_id"] = str(world.chips[i].extra["personal_id"])
            client.enroll(person.card, **fields)
        # A HIS account and a registered staff member, so the accounts projection has state a rebuild
        # must reproduce too.
        accounts = api_grpc.AccountsStub(client.channel)
        accounts.AddAccount(api.AddAccountRequest(username="chaos_his", role="his", facility_id=FACILITY))
        staff = api.RegisterStaffRequest(
            facility_id=FACILITY, personal_id="040185000111", full_name="Trần Thị Lan"
        )
        accounts.RegisterStaff(staff)
    finally:
        client.close()
    wait_until(lambda: group_caught_up(stack.settings), timeout=120, what="enrollments projected")


# ------------------------------------------------------------------------------------ the faults
@dataclass
class Fault:
    inject: Callable[[], None]
    restore: Callable[[], None]
    victim: str


def make_fault(scenario: Scenario, stack: ChaosStack) -> Fault:
    if scenario.name == "a":
        node = checkins_leader(stack.settings)
        what = f"kafka node {node} (leading check-ins partition 0)"
        return Fault(lambda: stack.kafka.kill_node(node), lambda: stack.kafka.restart_node(node), what)
    if scenario.name == "b":
        return Fault(lambda: stack.kafka.kill_node(1), lambda: stack.kafka.restart_node(1), "kafka node 1")
    if scenario.name == "c":

        def kill_worker() -> None:
            stack.workers.pop().kill()

        return Fault(kill_worker, stack.start_worker, "faust worker")
    if scenario.name == "d":
        redis = stack.base.redis
        assert redis is not None

        def start_redis() -> None:
            redis.start()

        return Fault(redis.kill, start_redis, "redis")
    if scenario.name == "e":
        assert stack.base.redis_cluster is not None
        return _master_killed(stack.base.redis_cluster)
    if scenario.name == "f":

        def nothing() -> None:
            pass

        return Fault(stack.start_worker, nothing, f"nothing: worker {len(stack.workers) + 1} joined")
    if scenario.name == "g":
        return _verifier_killed(stack)
    raise ValueError(f"unknown scenario {scenario.name!r}")


def _verifier_killed(stack: ChaosStack) -> Fault:
    """Kill the verifier holding the most kiosk connections (the kernel may have given all of them
    to one), and start it again."""
    killed: list[int] = []

    def kill() -> None:
        held = kiosk_connections(stack.settings.grpc_listen)
        index = max(range(len(stack.verifiers)), key=lambda i: held[stack.verifiers[i].process.pid])
        killed.append(index)
        stack.verifiers.pop(index).kill()

    return Fault(kill, lambda: stack.start_verifier(killed[0]), "the verifier holding most kiosks")


def kiosk_connections(listen: str) -> Counter[int]:
    """Established connections to the gRPC port, by the pid of the process serving them (`ss`)."""
    port = listen.rpartition(":")[2]
    done = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
        capture_output=True, text=True, timeout=10, check=True,
    )  # fmt: skip
    return Counter(int(pid) for pid in re.findall(r"pid=(\d+)", done.stdout))


def _master_killed(cluster: RedisClusterNodes) -> Fault:
    """Kill the first master; a replica takes its slots; the old master comes back as a replica."""
    port = cluster.master_ports()[0]
    node = cluster.node_on(port)

    def kill() -> None:
        node.kill()

    def restore() -> None:
        # Its replica serves the slots first (so every check-in after the restore has all of them),
        # then the old master starts on its data and rejoins as a replica.
        wait_until(cluster.is_ready, timeout=30, what="a replica taking over the killed master's slots")
        node.start()
        wait_until(cluster.is_ready, timeout=30, what="the cluster with the old master back")

    return Fault(kill, restore, f"redis master on port {port}")


def checkins_leader(settings: Settings) -> int:
    """The node leading check-ins partition 0: killing it forces the producer to fail over."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","))
    try:
        (topic,) = admin.describe_topics([settings.topic_checkins])
    finally:
        admin.close()
    return int(next(p["leader_id"] for p in topic["partitions"] if p["partition_index"] == 0))


# ------------------------------------------------------------------------------------ the result
@dataclass
class ScenarioResult:
    scenario: Scenario
    attempts: list[Attempt] = field(default_factory=list)
    fault_at: float = 0.0
    restore_at: float = 0.0
    restored_at: float = 0.0
    grace_s: float = 0.0
    logged: int = 0  # check-in events on the log
    lost: int = 0  # answered, not on the log
    log_duplicates: int = 0  # answered, on the log more than once
    unanswered_logged: int = 0  # on the log, never answered with a verdict (a request that failed)
    projection_duplicates: int = 0  # counted more often in a projection than on the log
    projection_missing: int = 0  # counted less often in a projection than on the log
    dead_letters: int = 0
    # The monitor's running total of events taken, rebuilt minus live: a Redis failure between a
    # batch's saved states and its counted totals leaves the batch's events counted as redelivered
    # duplicates instead (README "Chaos testing"); below zero would be events counted twice.
    monitor_taken_short: int = 0
    other_events: Counter[str] = field(default_factory=Counter)  # not check-ins, on the check-ins topic
    keys_compared: dict[str, int] = field(default_factory=dict)  # per projection, live keys compared
    provisional_unfinalised: int = 0  # answered provisional, no CheckInFinalised after catching up
    finalised_differently: int = 0  # check-ins finalised by two different events (envelope ids)
    finalisation_repeats: int = 0  # the same finalisation event on the log again (allowed)
    stalls: list[str] = field(default_factory=list)  # timeline waits that ran out
    answered_otherwise: int = 0  # answered with a verdict or result code other than the one recorded
    victim: str = ""  # what was killed
    subjects: Counter[str] = field(default_factory=Counter)  # check-ins on the log per key
    producers: Counter[str] = field(default_factory=Counter)  # check-ins on the log per verifier
    rebuild_differences: dict[str, list[str]] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)

    @property
    def answered(self) -> list[Attempt]:
        return [a for a in self.attempts if a.answered]

    @property
    def errors(self) -> list[Attempt]:
        return [a for a in self.attempts if not a.answered]

    @property
    def unavailable(self) -> int:
        return sum(1 for a in self.errors if a.status == "UNAVAILABLE")

    def in_fault(self, a: Attempt) -> bool:
        """The request overlapped the fault or the grace after it."""
        return a.ended >= self.fault_at and a.started <= self.restored_at + self.grace_s

    @property
    def other_errors(self) -> Counter[str]:
        return Counter(f"{a.status} {a.details[:40]}" for a in self.errors if a.status != "UNAVAILABLE")

    @property
    def duplicated(self) -> int:
        return self.log_duplicates + self.projection_duplicates

    def problems(self) -> list[str]:
        """Every broken promise, in words; empty when the scenario passed."""
        found = [f"stalled: {stall}" for stall in self.stalls]
        if self.lost:
            found.append(f"{self.lost} answered check-in(s) missing from the log")
        if self.log_duplicates:
            found.append(f"{self.log_duplicates} answered check-in(s) on the log more than once")
        if self.unanswered_logged > len(self.errors):
            found.append(f"{self.unanswered_logged} logged check-ins nobody asked for or was answered")
        if self.projection_duplicates or self.projection_missing:
            found.append(
                f"projection counters: {self.projection_duplicates} too many, "
                f"{self.projection_missing} too few"
            )
        if self.answered_otherwise:
            found.append(f"{self.answered_otherwise} check-in(s) answered otherwise than recorded")
        if self.provisional_unfinalised:
            found.append(f"{self.provisional_unfinalised} provisional check-in(s) never finalised")
        if self.finalised_differently:
            found.append(f"{self.finalised_differently} check-in(s) finalised by two different events")
        if self.monitor_taken_short < 0:
            found.append(f"the monitor counted {-self.monitor_taken_short} event(s) taken twice")
        if self.dead_letters:
            found.append(f"{self.dead_letters} dead-lettered event(s)")
        if empty := [name for name, n in self.keys_compared.items() if not n]:
            found.append(f"nothing to compare with a rebuild in {empty}: the load never reached them")
        for name, keys in self.rebuild_differences.items():
            if keys:
                found.append(f"{name} differs from a rebuild in {len(keys)} key(s), e.g. {keys[:3]}")
        if self.other_errors:
            found.append(f"errors other than UNAVAILABLE: {dict(self.other_errors)}")
        unavailable = [a for a in self.errors if a.status == "UNAVAILABLE"]
        if unavailable and not self.scenario.unavailable_allowed:
            found.append(f"{len(unavailable)} UNAVAILABLE answer(s) where none is allowed")
        late = [a for a in unavailable if not self.in_fault(a)]
        if late:
            found.append(
                f"{len(late)} UNAVAILABLE answer(s) outside the fault and {self.grace_s:.0f}s after it, "
                f"e.g. {late[0].kind} sent {late[0].started - self.restored_at:+.1f}s after the restore: "
                f"{late[0].details!r}"
            )
        degraded = [a for a in self.answered if a.verdict == "VERDICT_PROVISIONAL" and not self.in_fault(a)]
        if degraded:  # degraded mode is for while Redis is down, not for long after
            found.append(
                f"{len(degraded)} provisional verdict(s) outside the fault and {self.grace_s:.0f}s after it"
            )
        if (
            self.scenario.unavailable_allowed
            and self.scenario.must_be_felt
            and not unavailable
            and not self.verdicts.get("VERDICT_PROVISIONAL")
        ):
            found.append("the fault was never felt: no UNAVAILABLE (nor provisional) answer while it lasted")
        during = sum(1 for a in self.answered if self.fault_at <= a.started <= self.restore_at)
        if not self.scenario.unavailable_allowed and not during:
            found.append("no check-in was answered while the fault lasted")
        if self.scenario.name == "g" and len(self.producers) < CLUSTER_VERIFIERS:
            found.append(f"check-ins written by {dict(self.producers)}: the kiosks never moved")
        if not any(a.started > self.restored_at + self.grace_s for a in self.answered):
            found.append("no check-in was answered after the recovery")
        return found

    @property
    def verdicts(self) -> Counter[str]:
        return Counter(a.verdict for a in self.answered)

    def latency_ms(self, during_fault: bool) -> tuple[float, float]:
        """(p99, max) answer latency in ms, of the answers during the fault or of all of them."""
        values = sorted(a.ended - a.started for a in self.answered if not during_fault or self.in_fault(a))
        if not values:
            return 0.0, 0.0
        return values[min(len(values) - 1, int(len(values) * 0.99))] * 1000, values[-1] * 1000


# ------------------------------------------------------------------------------------ verification
@dataclass
class CheckInLog:
    """What the check-ins topic holds. Only `check_in_verified` is a check-in; a provisional
    verdict's `check_in_finalised` follows under the same check-in id; other kinds are counted."""

    ids: Counter[str] = field(default_factory=Counter)  # check-in id -> times on the log
    verdicts: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (verdict, result code)
    subjects: Counter[str] = field(default_factory=Counter)  # key -> check-ins
    producers: Counter[str] = field(default_factory=Counter)  # verifier process -> check-ins it wrote
    finalised: dict[str, Counter[str]] = field(default_factory=dict)  # check-in id -> envelope ids
    others: Counter[str] = field(default_factory=Counter)


def logged_check_ins(settings: Settings) -> CheckInLog:
    logged = CheckInLog()
    for value in all_records(settings, settings.topic_checkins):
        event = ev.EventEnvelope.FromString(value)
        kind = event.WhichOneof("payload") or "none"
        if kind == "check_in_verified":
            c = event.check_in_verified
            logged.ids[c.check_in_id] += 1
            logged.verdicts[c.check_in_id] = (verdict_name(c.verdict), c.result_code)
            logged.subjects[event.key] += 1
            logged.producers[event.producer] += 1
            continue
        if kind == "check_in_finalised":
            logged.finalised.setdefault(event.check_in_finalised.check_in_id, Counter())[event.event_id] += 1
        logged.others[kind] += 1
    return logged


def logged_face_matches(settings: Settings) -> Counter[str]:
    subjects: Counter[str] = Counter()
    for value in all_records(settings, settings.topic_face_matches):
        event = ev.EventEnvelope.FromString(value)
        if event.WhichOneof("payload") == "face_match_recorded":
            subjects[event.key] += 1
    return subjects


def read_keyspace(redis_url: str, patterns: tuple[str, ...]) -> dict[str, Any]:
    """Every key matching `patterns` with its value decoded by type (hash, list, set, zset, string)."""
    client = connect_sync(redis_url, decode_responses=True)
    try:
        keys = sorted({k for p in patterns for k in client.scan_iter(match=p, count=5000)})
        values: dict[str, Any] = {}
        for key in keys:
            kind = client.type(key)
            if kind == "hash":
                value: Any = client.hgetall(key)
                if _MONITOR_STATE.match(key):
                    value.pop("v", None)
                    value["s"] = unordered(json.loads(value.get("s") or "null"))
                elif key == STATS_KEY:
                    taken = int(value.get("taken", 0))
                    value = {k: v for k, v in value.items() if k not in ("duplicates", "alerts", "taken")}
                    value[TAKEN] = taken
                elif key.startswith(FACE_FACILITY_PREFIX):
                    value = {k: v for k, v in value.items() if k not in ("s", "ls")}
            elif kind == "list":
                value = client.lrange(key, 0, -1)
            elif kind == "set":
                value = sorted(client.smembers(key))
            elif kind == "zset":
                value = client.zrange(key, 0, -1, withscores=True)
            else:
                value = client.get(key)
            values[key] = value
        return values
    finally:
        client.close()


def unordered(value: Any) -> Any:
    """`value` with every list sorted (by its items' canonical JSON) and maps in key order."""
    if isinstance(value, dict):
        return {k: unordered(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return sorted((unordered(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def differing_keys(live: dict[str, Any], rebuilt: dict[str, Any]) -> list[str]:
    return sorted(k for k in live.keys() | rebuilt.keys() if live.get(k) != rebuilt.get(k))


def other_database(redis_url: str, db: int) -> str:
    base, _, _ = redis_url.rpartition("/")
    return f"{base}/{db}"


def group_members(settings: Settings) -> int:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","))
    try:
        group = admin.describe_groups([settings.projection_group]).get(settings.projection_group, {})
    finally:
        admin.close()
    return len(group.get("members") or [])


def verify_log(settings: Settings, result: ScenarioResult) -> None:
    """Every answered check-in on the log exactly once; every provisional one finalised, once."""
    logged = logged_check_ins(settings)
    ids, result.other_events = logged.ids, logged.others
    answered = Counter(a.check_in_id for a in result.answered)
    result.logged = sum(ids.values())
    result.lost = sum(1 for i in answered if ids[i] == 0)
    result.log_duplicates = sum(1 for i in answered if ids[i] > 1) + sum(
        n - 1 for n in answered.values() if n > 1
    )
    result.unanswered_logged = sum(n for i, n in ids.items() if i not in answered)
    result.answered_otherwise = sum(
        1
        for a in result.answered
        if a.check_in_id in logged.verdicts and logged.verdicts[a.check_in_id] != (a.verdict, a.result_code)
    )
    provisional = {a.check_in_id for a in result.answered if a.verdict == "VERDICT_PROVISIONAL"}
    result.provisional_unfinalised = len(provisional - logged.finalised.keys())
    result.finalised_differently = sum(1 for envelopes in logged.finalised.values() if len(envelopes) > 1)
    result.finalisation_repeats = sum(n - 1 for e in logged.finalised.values() for n in e.values())
    result.subjects = logged.subjects
    result.producers = logged.producers


def verify_projections(stack: ChaosStack, result: ScenarioResult, log: Log) -> None:
    """Projections against the log and against a clean rebuild (with the worker stopped)."""
    settings = stack.settings
    stack.stop_workers()
    wait_until(lambda: group_members(settings) == 0, timeout=60, what="projection group empty")
    live = {name: read_keyspace(settings.redis_url, projection(name).patterns) for name in NAMES}
    with contextlib.ExitStack() as owned:
        if stack.base.redis_cluster is not None:  # a cluster has database 0 only: a Redis of its own
            elsewhere = RedisServer(stack.logs.parent / "rebuilt-redis", log=log)
            fresh = settings.with_(redis_url=owned.enter_context(elsewhere).url)
        else:
            fresh = settings.with_(redis_url=other_database(settings.redis_url, 1))
        rebuilt = _rebuilt_keyspaces(fresh, log)
    for name in NAMES:
        rebuilt_keys = rebuilt[name]
        if STATS_KEY in live[name] and STATS_KEY in rebuilt_keys:
            # Moved aside: compared below, as a count that may fall short, never exceed.
            result.monitor_taken_short = rebuilt_keys[STATS_KEY].pop(TAKEN) - live[name][STATS_KEY].pop(TAKEN)
        result.rebuild_differences[name] = differing_keys(live[name], rebuilt_keys)
        result.keys_compared[name] = len(live[name])
        for key in result.rebuild_differences[name][:2]:  # enough to start looking
            log(f"chaos: {key} live {live[name].get(key)!r}\n       rebuilt {rebuilt_keys.get(key)!r}")

    face = logged_face_matches(settings)
    counted = {**_counters(live["usage"], "u"), **_counters(live["face"], "f")}
    expected = {
        **{f"u:{{{s}}}": n for s, n in result.subjects.items()},
        **{f"f:{{{s}}}": n for s, n in face.items()},
    }
    for key in counted.keys() | expected.keys():
        difference = counted.get(key, 0) - expected.get(key, 0)
        result.projection_duplicates += max(0, difference)
        result.projection_missing += max(0, -difference)
    for key, entries in live["usage"].items():
        if key.endswith(":r"):  # the recent list: one entry per check-in id
            recent = Counter(entry.split("|", 1)[0] for entry in entries)
            result.projection_duplicates += sum(n - 1 for n in recent.values())
    client = connect_sync(settings.redis_url)
    try:
        result.dead_letters = int(client.hlen(DEAD_LETTERS_KEY))
    finally:
        client.close()


def _rebuilt_keyspaces(fresh: Settings, log: Log) -> dict[str, dict[str, Any]]:
    for name in NAMES:  # in NAMES' order: the monitor before the alerts it may publish again
        report = rebuild(fresh, name, progress=False)
        log(f"chaos: rebuilt {name} from {report.events} events in {report.seconds:.1f}s")
    return {name: read_keyspace(fresh.redis_url, projection(name).patterns) for name in NAMES}


def _counters(keyspace: dict[str, Any], prefix: str) -> dict[str, int]:
    """The `n` counter of each person's main hash (u:{SIN}, f:{SIN})."""
    main = re.compile(rf"^{prefix}:\{{[^}}]+\}}$")
    return {k: int(v.get("n", 0)) for k, v in keyspace.items() if main.match(k) and isinstance(v, dict)}


# ------------------------------------------------------------------------------------ one scenario
def _soft_wait(result: ScenarioResult, predicate: Callable[[], bool], timeout: float, what: str) -> bool:
    """Poll like `wait_until`, but a timeout is one of the run's problems, not the end of it: the
    counts of a run whose verifier never recovered are the report that matters most."""
    try:
        wait_until(predicate, timeout=timeout, what=what)
    except TimeoutError as e:
        result.stalls.append(str(e))
        return False
    return True


def run_scenario(
    name: str, tmp: Path, config: ChaosConfig, *, base: Services | None = None, log: Log = _stderr
) -> ScenarioResult:
    """Bring up a stack (on `base`, or on Kafka and Redis of its own), load it, inject and undo the
    fault, verify; the verifier and worker are gone afterwards, and so are Kafka and Redis unless
    they were given."""
    scenario = SCENARIOS[name]
    result = ScenarioResult(scenario, grace_s=config.grace_s(scenario))
    began = time.monotonic()
    world, dirs = make_world(tmp, config)
    with contextlib.ExitStack() as owned:
        if base is None:
            base = owned.enter_context(layout_services(scenario, tmp, log))
        stack = owned.enter_context(chaos_stack(scenario, base, tmp, config, dirs))
        result.durations["stack up"] = time.monotonic() - began
        enroll(stack, world)
        fault = make_fault(scenario, stack)
        kiosks = Kiosks(stack.settings.grpc_listen, world, rate=config.rate, threads=config.threads)
        load_began = time.monotonic()
        kiosks.start()
        try:
            _soft_wait(
                result,
                lambda: (
                    time.monotonic() - load_began >= config.before_s
                    and kiosks.count(lambda a: a.answered) > 0
                ),
                config.before_s + 60,
                "load under way",
            )
            log(f"chaos {name}: killing {fault.victim} under load")
            result.victim = fault.victim
            result.fault_at = time.monotonic()
            fault.inject()
            # Held until its time is up and every kiosk has sent a request into it.
            _soft_wait(
                result,
                lambda: (
                    time.monotonic() - result.fault_at >= config.down_s
                    and kiosks.count(lambda a: a.started >= result.fault_at) >= config.threads
                ),
                config.down_s + 60,
                "requests during the fault",
            )
            log(f"chaos {name}: restoring {fault.victim}")
            result.restore_at = time.monotonic()
            fault.restore()
            result.restored_at = time.monotonic()
            log(f"chaos {name}: {fault.victim} back in {result.restored_at - result.restore_at:.1f}s")
            settled = result.restored_at + result.grace_s
            _soft_wait(
                result,
                lambda: (
                    time.monotonic() - result.restored_at >= config.after_s(scenario)
                    and kiosks.count(lambda a: a.answered and a.started > settled) >= config.threads
                ),
                config.after_s(scenario) + 60,
                "answers after the recovery",
            )
        finally:
            result.attempts = kiosks.stop()
        result.durations["load"] = time.monotonic() - load_began
        caught_up_began = time.monotonic()
        caught_up = _soft_wait(result, lambda: group_caught_up(stack.settings), 180, "projections caught up")
        result.durations["catch-up"] = time.monotonic() - caught_up_began
        verify_began = time.monotonic()
        verify_log(stack.settings, result)
        if caught_up:  # else what the projections hold says nothing yet; the stall is the problem
            verify_projections(stack, result, log)
        result.durations["verify"] = time.monotonic() - verify_began
    result.durations["fault"] = result.restore_at - result.fault_at
    result.durations["restore"] = result.restored_at - result.restore_at
    result.durations["total"] = time.monotonic() - began
    return result


# ------------------------------------------------------------------------------------ reporting
def table(results: list[ScenarioResult]) -> list[str]:
    rows = [
        "| scenario | answered | logged | lost | duplicated | UNAVAILABLE | other errors | "
        "equals rebuild | fault s | restore s | p99 / max ms in fault | total s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        p99, worst = r.latency_ms(during_fault=True)
        equal = "yes" if not any(r.rebuild_differences.values()) else "NO"
        rows.append(
            f"| {r.scenario.name}: {r.scenario.title} | {len(r.answered):,} | {r.logged:,} | {r.lost} | "
            f"{r.duplicated} | {r.unavailable} | {sum(r.other_errors.values())} | {equal} | "
            f"{r.durations.get('fault', 0):.1f} | {r.durations.get('restore', 0):.1f} | "
            f"{p99:.0f} / {worst:.0f} | {r.durations.get('total', 0):.0f} |"
        )
    return rows


def details(results: list[ScenarioResult]) -> list[str]:
    """One paragraph per scenario: what was sent and answered, what the log and projections hold."""
    lines = []
    for r in results:
        verdicts = ", ".join(
            f"{k.removeprefix('VERDICT_').lower()} {n}" for k, n in sorted(r.verdicts.items())
        )
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(Counter(a.kind for a in r.attempts).items()))
        others = ", ".join(f"{k} {n}" for k, n in sorted(r.other_events.items())) or "none"
        compared = ", ".join(f"{k} {n}" for k, n in r.keys_compared.items())
        writers = ", ".join(f"{k} {n}" for k, n in sorted(r.producers.items()))
        timings = ", ".join(f"{k} {v:.1f}" for k, v in r.durations.items())
        problems = "; ".join(r.problems()) or "none"
        lines.append(
            f"- **{r.scenario.name}** ({r.scenario.title}; killed: {r.victim}): sent {kinds}; "
            f"verdicts {verdicts}; written by {writers}; "
            f"logged but never answered (a failed request that reached the log) {r.unanswered_logged}; "
            f"other events on the check-ins topic: {others} (provisional never finalised "
            f"{r.provisional_unfinalised}, finalisation events repeated {r.finalisation_repeats}); "
            f"projection counters over/under the log "
            f"{r.projection_duplicates}/{r.projection_missing}; monitor's taken total short of the "
            f"rebuild's by {r.monitor_taken_short}; dead letters {r.dead_letters}; keys "
            f"compared with the rebuild: {compared}; seconds: {timings}. Problems: {problems}."
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.chaos",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scenario", nargs="+", choices=sorted(SCENARIOS), default=sorted(SCENARIOS))
    parser.add_argument(
        "--duration", type=float, default=60, help="seconds of load per scenario (default 60)"
    )
    parser.add_argument("--rate", type=float, default=40, help="check-ins per second (default 40)")
    parser.add_argument("--threads", type=int, default=6, help="kiosk threads (default 6)")
    parser.add_argument("--people", type=int, default=300, help="people enrolled (default 300)")
    parser.add_argument("--publish-timeout", type=float, default=5, help="BHYT_PUBLISH_TIMEOUT_S (default 5)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    parser.add_argument(
        "--keep", type=Path, help="keep each scenario's data and logs under this directory (default: deleted)"
    )
    args = parser.parse_args(argv)
    config = ChaosConfig(
        duration_s=args.duration,
        rate=args.rate,
        threads=args.threads,
        people=args.people,
        publish_timeout_s=args.publish_timeout,
    )
    results = []
    for name in args.scenario:
        with contextlib.ExitStack() as cleanup:
            if args.keep is not None:
                tmp = args.keep / f"chaos-{name}-{time.strftime('%Y%m%d-%H%M%S')}"
                print(f"chaos {name}: data and logs in {tmp}", file=sys.stderr)
            else:
                tmp = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix=f"bench-chaos-{name}-")))
            results.append(run_scenario(name, tmp, config))
        print("\n".join(table(results[-1:])), flush=True)
    rows = [*table(results), "", *details(results)]
    print("\n".join(rows))
    shares = ", ".join(f"{kind} {share:.0%}" for kind, share in MIX.items())
    intro = [
        f"{config.rate:g} check-ins/s from {config.threads} kiosk threads ({shares}), "
        f"{config.people} people enrolled; each victim down {config.down_s:.0f} s plus its restart; "
        f"publish timeout {config.publish_timeout_s:g} s (scenario a: 10 s, production's). "
        "*lost*: answered check-ins missing from the check-ins topic; "
        "*duplicated*: answered check-ins on it more than once, plus check-ins counted more often in a "
        "projection than the log holds them; *equals rebuild*: every projection (participation, usage, "
        "face, monitor, alerts, accounts) equal to a rebuild from offset 0 into a fresh Redis database; "
        "*p99 / max in fault*: latency of the answers given from the kill until the grace after the restore.",
        "",
    ]
    failed = [r for r in results if r.problems()]
    if not args.no_write:
        write_section(
            "Chaos: faults under load without loss",
            f"python -m bench.chaos --scenario {' '.join(args.scenario)} --duration {args.duration:g} "
            f"--rate {args.rate:g} --threads {args.threads}",
            "\n".join(intro + rows),
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
