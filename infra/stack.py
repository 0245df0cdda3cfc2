"""`infra/stack up|down|status`: the whole local stack on one machine, no Docker.

up      installs Kafka from Maven Central on first use, then starts (detached) a KRaft Kafka
        (--kafka-nodes 3: a cluster), a Redis server (--redis-nodes 6: a Redis Cluster of 3 masters
        and 3 replicas), the gRPC verifier(s) (--verifiers N: N processes sharing the port, each its
        own producer) and the Faust worker(s), each waiting for the previous one to be *ready*
        (metadata answers, PING or all slots served, gRPC health SERVING, partitions assigned).
down    stops them in reverse order (SIGTERM, then SIGKILL after a grace period).
status  says what runs, where, and whether it answers; exit 1 if anything is down.

Everything (data, logs, pids, the chosen ports) lives under one state directory, `.state/` by
default, so `up` after `down` keeps the event log and the read model.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from infra.local.dashboard_account import (
    LOCAL_MONITOR,
    DashboardAccountError,
    ensure_dashboard_account,
    login_file,
)
from infra.local.kafka import KafkaCluster
from infra.local.pki import LOCAL_KIOSK_FACILITY, ensure_local_pki
from infra.local.procs import free_port, pid_alive, read_pidfile, stop_pid, wait_until, write_pidfile
from infra.local.redis_cluster import RedisClusterNodes
from infra.local.redis_server import RedisServer
from infra.local.signing_keys import write_signing_key
from projections.registry import NAMES as PROJECTIONS
from verifier.adapters.kafka_log import ensure_topics
from verifier.adapters.redis_client import REDIS_ERRORS, connect_sync
from verifier.client_channel import ClientTls, channel
from verifier.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STATE = ROOT / ".state"
DEFAULT_GRPC_PORT = 50051
DEFAULT_DASHBOARD_PORT = 8080
DEFAULT_HIS_PORT = 8443  # the HIS gateway (VSS card-check contract), HTTPS
DEFAULT_METRICS_PORT = 9464  # the verifier's /metrics; workers take the next free ones


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Stack:
    state: Path

    @property
    def config_file(self) -> Path:
        return self.state / "stack.json"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    def config(self) -> dict[str, object]:
        try:
            loaded: dict[str, object] = json.loads(self.config_file.read_text())
            return loaded
        except FileNotFoundError:
            return {}

    def save(self, config: dict[str, object]) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(json.dumps(config, indent=2) + "\n")

    @property
    def verifiers(self) -> int:
        return int(str(self.config().get("verifiers", 1)))

    def pidfile(self, name: str) -> Path:
        return self.state / "pids" / f"{name}.pid"

    def spawn(self, name: str, args: list[str], settings: Settings) -> int:
        """Start a Python service detached from this shell, logging to logs/<name>.log."""
        self.logs.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **settings.to_env(), "PYTHONUNBUFFERED": "1"}
        with (self.logs / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, *args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        write_pidfile(self.pidfile(name), proc.pid)
        return proc.pid

    def running(self, name: str) -> int | None:
        """The pid of our service `name` if it runs; a pidfile naming another process is ignored."""
        pid = read_pidfile(self.pidfile(name))
        if pid is None or not pid_alive(pid):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return pid  # no procfs: trust the pid
        if not any(cmdline):
            # Popen returns once exec has begun, but the kernel fills in the new argv a moment
            # later: an empty cmdline is our child being born, not a stranger's process.
            return pid
        module = b"verifier" if name.startswith("verifier") else b"projections"
        return pid if module in cmdline else None


def up(
    stack: Stack,
    *,
    grpc_port: int | None,
    workers: int,
    kafka_nodes: int,
    redis_nodes: int = 1,
    verifiers: int = 1,
) -> None:
    started = time.monotonic()
    config = stack.config()
    kafka = KafkaCluster(stack.state / "kafka", nodes=kafka_nodes, detach=True, log=say)
    bootstrap = kafka.start(timeout=120)
    if redis_nodes > 1:
        cluster = RedisClusterNodes(stack.state / "redis-cluster", nodes=redis_nodes, detach=True, log=say)
        redis_url = cluster.start()
    else:
        redis_url = RedisServer(stack.state / "redis", detach=True, log=say).start()
    port = grpc_port or int(str(config.get("grpc_port", 0))) or _preferred_port(DEFAULT_GRPC_PORT)
    dashboard_port = int(str(config.get("dashboard_port", 0))) or _preferred_port(DEFAULT_DASHBOARD_PORT)
    his_port = int(str(config.get("his_port", 0))) or _preferred_port(DEFAULT_HIS_PORT)
    metrics_port = int(str(config.get("metrics_port", 0))) or _preferred_port(DEFAULT_METRICS_PORT)
    replication = min(3, kafka_nodes)
    settings = Settings.from_env(
        kafka_bootstrap=bootstrap,
        redis_url=redis_url,
        grpc_listen=f"127.0.0.1:{port}",
        dashboard_listen=f"127.0.0.1:{dashboard_port}",
        his_listen=f"127.0.0.1:{his_port}",
        metrics_listen=f"127.0.0.1:{metrics_port}",
        topic_replication=replication,
        topic_min_insync_replicas=max(1, replication - 1),
    )
    if not settings.token_keys_dir:
        settings = settings.with_(token_keys_dir=str(development_signing_key(stack.state / "token-keys")))
    if not settings.insecure_plaintext and not settings.tls_cert_file:
        settings = settings.with_(**local_tls(stack.state / "pki"))
    stack.save(
        {
            "grpc_port": port,
            "dashboard_port": dashboard_port,
            "his_port": his_port,
            "metrics_port": metrics_port,
            "worker_metrics_ports": config.get("worker_metrics_ports", {}),
            "workers": workers,
            "verifiers": verifiers,
            "kafka_nodes": kafka_nodes,
            "redis_nodes": redis_nodes,
            "settings": settings.to_env(),
        }
    )
    ensure_topics(settings)

    start_verifiers(stack, settings, verifiers)

    start_workers(stack, settings, workers)
    if settings.dashboard_listen:  # the dashboard needs a login: a monitoring account for this stack
        try:
            ensure_dashboard_account(settings, stack.state)
        except DashboardAccountError as e:
            say(f"dashboard login: {e}")
    say(f"stack up in {time.monotonic() - started:.1f}s; state and logs in {stack.state}")
    print(_summary(settings, stack))


def development_signing_key(keys_dir: Path) -> Path:
    """A card-token signing key for the local stack, made once; production sets BHYT_TOKEN_KEYS_DIR."""
    if not any(keys_dir.glob("*.key.pem")):
        write_signing_key(keys_dir, "development")
        say(f"token keys: created a development signing key in {keys_dir}")
    return keys_dir


def local_tls(pki: Path) -> dict[str, str]:
    """mTLS settings from the local CA (made once): the stack serves what production serves."""
    ensure_local_pki(pki)
    say(f"mTLS: local CA and client certificates in {pki}")
    return {
        "tls_cert_file": str(pki / "server.pem"),
        "tls_key_file": str(pki / "server.key"),
        "tls_client_ca_file": str(pki / "ca.pem"),
        "tls_crl_file": str(pki / "crl.pem"),
    }


def probe_tls(settings: Settings) -> ClientTls | None:
    """The admin certificate of the local CA, for health probes; None when serving plaintext."""
    if not settings.tls_client_ca_file:
        return None
    return ClientTls.from_pki(Path(settings.tls_client_ca_file).parent, "admin-local")


def _wait_serving(stack: Stack, name: str, settings: Settings) -> None:
    wait_until(
        lambda: _alive(stack, name) and grpc_serving(settings.grpc_listen, probe_tls(settings)),
        timeout=60,
        what=name,
    )


def verifier_names(count: int) -> list[str]:
    """ "verifier" alone; "verifier-1".."verifier-N" when several share the port."""
    return ["verifier"] if count == 1 else [f"verifier-{n}" for n in range(1, count + 1)]


def start_verifiers(stack: Stack, settings: Settings, count: int) -> None:
    """Each verifier its own process (its own producer, restartable alone), all on one gRPC and
    HIS port with SO_REUSEPORT: the kernel spreads connections, and a client of a verifier that
    dies reconnects to another. Only the first serves the dashboard (`serve --processes`' rule)."""
    from verifier.processes import child_settings

    ports = verifier_metrics_ports(stack, settings, count)
    for index, name in enumerate(verifier_names(count)):
        if stack.running(name) is None:
            own = settings
            if count > 1:
                own = child_settings(settings, index).with_(metrics_listen=f"127.0.0.1:{ports[name]}")
            stack.spawn(name, ["-m", "verifier", "serve"], own)
        _wait_serving(stack, name, settings)
    say(f"verifier: {count} process(es) serving gRPC on {settings.grpc_listen}")


def start_workers(stack: Stack, settings: Settings, workers: int) -> None:
    ports = worker_metrics_ports(stack, workers)
    for n in range(1, workers + 1):
        name = f"worker-{n}"
        if stack.running(name) is None:
            _forget_worker(settings, name)  # a crashed worker's stale entry must not count as ready
            worker = settings.with_(worker_id=name, worker_metrics_listen=f"127.0.0.1:{ports[name]}")
            stack.spawn(name, ["-m", "projections", "worker", "-l", "info"], worker)
    wait_until(
        lambda: (
            all(_alive(stack, f"worker-{n}") for n in range(1, workers + 1)) and _workers_hold_all(settings)
        ),
        timeout=120,
        what="Faust workers",
    )
    say(f"projections: {workers} Faust worker(s) hold all partitions")


def worker_metrics_ports(stack: Stack, workers: int) -> dict[str, int]:
    """Each worker's /metrics port: kept in stack.json, so a restarted worker (and Prometheus's
    scrape config) keeps its port; a new worker takes the next free one after the verifier's."""
    return _metrics_ports(stack, "worker_metrics_ports", [f"worker-{n}" for n in range(1, workers + 1)])


def verifier_metrics_ports(stack: Stack, settings: Settings, count: int) -> dict[str, int]:
    """The first verifier's /metrics port is the settings'; each further one's is kept in
    stack.json as the workers' are, never one a worker holds."""
    first = {"verifier-1": int(settings.metrics_listen.rpartition(":")[2] or 0)} if count > 1 else {}
    return {**first, **_metrics_ports(stack, "verifier_metrics_ports", verifier_names(count)[1:])}


def _metrics_ports(stack: Stack, key: str, names: list[str]) -> dict[str, int]:
    config = stack.config()
    saved = {
        k: {name: int(port) for name, port in cast(dict[str, int], config.get(k, {})).items()}
        for k in ("worker_metrics_ports", "verifier_metrics_ports")
    }
    ports = saved[key]
    taken = {port for group in saved.values() for port in group.values()} | {DEFAULT_METRICS_PORT}
    for n, name in enumerate(names, start=1):
        if name not in ports:
            ports[name] = _preferred_port(DEFAULT_METRICS_PORT + n, taken=taken)
            taken.add(ports[name])
    stack.save({**config, key: ports})
    return ports


def stop_processes(stack: Stack, prefix: str = "") -> None:
    """Stop our Python services whose names start with `prefix`: workers first, then the verifier."""
    names = sorted((p.stem for p in (stack.state / "pids").glob(f"{prefix}*.pid")), reverse=True)
    for name in names:  # the verifier flushes its producer on SIGTERM
        pid = stack.running(name)
        if pid is not None:
            stop_pid(pid, timeout=30)
            say(f"{name}: stopped")
        stack.pidfile(name).unlink(missing_ok=True)


def down(stack: Stack) -> None:
    stop_processes(stack)
    if (stack.state / "redis").exists():
        RedisServer.attach(stack.state / "redis", log=say).stop()
        say("redis: stopped")
    if (stack.state / "redis-cluster" / "cluster.json").exists():
        RedisClusterNodes.attach(stack.state / "redis-cluster", log=say).stop()
        say("redis cluster: stopped")
    if (stack.state / "kafka" / "cluster.json").exists():
        KafkaCluster.attach(stack.state / "kafka", log=say).stop()
        say("kafka: stopped")


def settings_of(stack: Stack) -> Settings:
    config = stack.config()
    if not config:
        raise FileNotFoundError(f"no stack in {stack.state}: run `infra/stack up`")
    return Settings.from_env(cast(dict[str, str], config["settings"]))


def rebuild(stack: Stack, names: list[str]) -> None:
    """Stop the workers, rebuild the projections from offset zero, start the workers again."""
    from projections.rebuild import rebuild as rebuild_projection
    from projections.rebuild import workers_in_group

    settings = settings_of(stack)
    stop_processes(stack)  # the verifier too: it must not judge check-ins against a half-built model
    try:
        # A stopped worker leaves the consumer group as it shuts down, but the broker may take up to
        # a session timeout to drop one that was mid-rebalance when several stopped at once.
        wait_until(
            lambda: workers_in_group(settings) == 0,
            timeout=settings.projection_session_timeout_s + 30,
            what="the stopped workers out of their consumer group",
        )
        for name in names:
            report = rebuild_projection(settings, name)
            rate = f"{report.events_per_second:,.0f}/s"
            say(f"rebuilt {name}: {report.events} events in {report.seconds:.1f}s ({rate})")
    finally:
        start_verifiers(stack, settings, stack.verifiers)
        start_workers(stack, settings, int(str(stack.config().get("workers", 1))))


def status(stack: Stack) -> bool:
    config = stack.config()
    if not config:
        print(f"no stack in {stack.state}: run `infra/stack up`")
        return False
    settings = settings_of(stack)
    rows: list[tuple[str, str, bool]] = []
    kafka = KafkaCluster.attach(stack.state / "kafka", log=say)
    rows.append(("kafka", settings.kafka_bootstrap, kafka.is_ready()))
    rows += _redis_rows(stack, settings)
    serving = grpc_serving(settings.grpc_listen, probe_tls(settings))
    for name in verifier_names(stack.verifiers):
        rows.append((name, f"grpc {settings.grpc_listen}", serving and stack.running(name) is not None))
    held = _held(settings)
    for n in range(1, int(str(config.get("workers", 1))) + 1):
        name = f"worker-{n}"
        rows.append((name, f"{len(held.get(name, []))} partitions", stack.running(name) is not None))
    for name, where, ok in rows:
        print(f"{name:<10} {'up' if ok else 'DOWN':<5} {where}")
    return all(ok for _, _, ok in rows)


def _redis_rows(stack: Stack, settings: Settings) -> list[tuple[str, str, bool]]:
    """One row for one Redis; one per node of a Redis Cluster, with its role and slots. A node that
    is down is a DOWN row; the cluster still serves while each master or its replica is up."""
    if int(str(stack.config().get("redis_nodes", 1))) == 1:
        return [("redis", settings.redis_url, RedisServer.attach(stack.state / "redis", log=say).is_ready())]
    cluster = RedisClusterNodes.attach(stack.state / "redis-cluster", log=say)
    rows = [("redis", f"cluster of {len(cluster.nodes)} nodes", cluster.is_ready())]
    for n, role in enumerate(cluster.roles(), start=1):
        where = f"127.0.0.1:{role.port} {role.role}" + (f" slots {role.slots}" if role.slots else "")
        rows.append((f"redis-{n}", where, role.role != "down"))
    return rows


def dashboard_url(settings: Settings) -> str:
    """The staff dashboard's URL: HTTPS, like the HIS gateway, unless the stack runs plaintext."""
    scheme = "http" if settings.insecure_plaintext else "https"
    return f"{scheme}://{settings.dashboard_listen}/" if settings.dashboard_listen else ""


def his_url(settings: Settings) -> str:
    """The HIS gateway's base URL (BHYT_HIS_URL): HTTPS unless the stack runs plaintext."""
    scheme = "http" if settings.insecure_plaintext else "https"
    return f"{scheme}://{settings.his_listen}" if settings.his_listen else ""


def _summary(settings: Settings, stack: Stack) -> str:
    return "\n".join(
        [
            "",
            f"  gRPC verifier   {settings.grpc_listen}   (CheckIn, Cards, Participation, Accounts, "
            "TokenKeys, Monitoring, health)",
            f"  staff dashboard {dashboard_url(settings)}   (live misuse alerts)",
            *_dashboard_ca_lines(settings),
            *_dashboard_login_lines(stack),
            f"  HIS gateway     {his_url(settings)}   (VSS card-check contract: /api/token/take, "
            "/api/egw/KQNhanLichSuKCB2024)",
            *_metrics_lines(settings, stack),
            f"  token keys      {settings.token_keys_dir}",
            *_tls_lines(settings),
            f"  Kafka           {settings.kafka_bootstrap}",
            f"  Redis           {settings.redis_url}",
            f"  logs            {stack.logs}/ and {stack.state}/kafka/node-*/server.log",
            "",
            "  try:  .venv/bin/python -m verifier --help      stop:  infra/stack down",
        ]
    )


def _dashboard_login_lines(stack: Stack) -> list[str]:
    """Where the local monitoring account's password is (never the password itself: it would stay
    in terminal scroll-back and CI logs)."""
    path = login_file(stack.state)
    if not path.exists():
        return []
    return [f"  dashboard login {LOCAL_MONITOR}, password in {path}"]


def _dashboard_ca_lines(settings: Settings) -> list[str]:
    """The dashboard's certificate is the local CA's, which no browser trusts by default: say which
    file to trust (or expect the browser's warning), rather than leave a surprise."""
    if settings.insecure_plaintext or not settings.dashboard_listen or not settings.tls_client_ca_file:
        return []
    ca = settings.tls_client_ca_file
    return [f"                  (its certificate is from the local CA {ca}: trust it, or the browser warns)"]


def _metrics_lines(settings: Settings, stack: Stack) -> list[str]:
    """Where Prometheus scrapes (README "Operations"; rules and dashboard in infra/production/)."""
    ports = cast(dict[str, int], stack.config().get("worker_metrics_ports", {}))
    workers = int(str(stack.config().get("workers", 1)))
    lines = [f"  metrics         http://{settings.metrics_listen}/metrics   (verifier)"]
    extra = cast(dict[str, int], stack.config().get("verifier_metrics_ports", {}))
    lines += [
        f"                  http://127.0.0.1:{port}/metrics   ({name})"
        for name, port in sorted(extra.items())
        if name in verifier_names(stack.verifiers)
    ]
    lines += [
        f"                  http://127.0.0.1:{ports[name]}/metrics   ({name})"
        for name in (f"worker-{n}" for n in range(1, workers + 1))
        if name in ports
    ]
    return lines


def _tls_lines(settings: Settings) -> list[str]:
    if not settings.tls_client_ca_file:
        return ["  gRPC            PLAINTEXT (BHYT_INSECURE_PLAINTEXT=1): development only"]
    pki = Path(settings.tls_client_ca_file).parent
    return [
        f"  mTLS            client certificates in {pki}: kiosk-local (facility {LOCAL_KIOSK_FACILITY}), "
        "app-local, monitoring-local, admin-local",
        f"                  for the CLI: export BHYT_CLIENT_PKI_DIR={pki}",
    ]


def _preferred_port(port: int, taken: set[int] | None = None) -> int:
    """The conventional port when free, otherwise any free one (never disturb what already runs).
    `taken`: ports promised to services not started yet."""
    import socket

    with socket.socket() as s:
        try:
            if port in (taken or set()):
                raise OSError(f"port {port} is promised to another service")
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            return free_port()


def _alive(stack: Stack, name: str) -> bool:
    """True while `name` runs; raises with its log tail if it died, so `up` fails fast and says why."""
    if stack.running(name) is None:
        log = stack.logs / f"{name}.log"
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.exists() else ""
        raise RuntimeError(f"{name} is not running; last lines of {log}:\n{tail}")
    return True


def grpc_serving(target: str, tls: ClientTls | None = None) -> bool:
    """True when the gRPC health service at `target` answers SERVING (readiness, never a sleep)."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    try:
        with channel(target, tls) as probe:
            answer = health_pb2_grpc.HealthStub(probe).Check(health_pb2.HealthCheckRequest(), timeout=1)
            return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)
    except grpc.RpcError:
        return False


def _held(settings: Settings) -> dict[str, list[str]]:
    from projections.app import WORKERS_KEY

    try:
        client = connect_sync(settings.redis_url, decode_responses=True, socket_timeout=2)
        held = cast(dict[str, str], client.hgetall(WORKERS_KEY))
        return {k: json.loads(v) for k, v in held.items()}
    except REDIS_ERRORS:
        return {}


def _forget_worker(settings: Settings, name: str) -> None:
    from projections.app import WORKERS_KEY

    client = connect_sync(settings.redis_url, socket_timeout=2)
    try:
        client.hdel(WORKERS_KEY, name)
    finally:
        client.close()


def _workers_hold_all(settings: Settings) -> bool:
    held = {p for parts in _held(settings).values() for p in parts}
    return held == {f"{t}/{p}" for t in settings.topics for p in range(settings.topic_partitions)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="infra/stack", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--state-dir", type=Path, default=Path(os.environ.get("BHYT_STATE_DIR", DEFAULT_STATE))
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start Kafka, Redis, the verifier and the Faust worker(s)")
    p_up.add_argument(
        "--grpc-port", type=int, help=f"verifier port (default {DEFAULT_GRPC_PORT}, or a free one if taken)"
    )
    p_up.add_argument("--workers", type=int, default=1, help="Faust workers to run (default 1)")
    p_up.add_argument(
        "--verifiers", type=int, default=1, help="verifier processes sharing the gRPC port (default 1)"
    )
    p_up.add_argument(
        "--redis-nodes",
        type=int,
        default=1,
        choices=[1, 6],
        help="1 Redis, or 6: a Redis Cluster of 3 masters and 3 replicas (default 1)",
    )
    p_up.add_argument(
        "--kafka-nodes", type=int, default=1, choices=[1, 3], help="1 node, or 3 with replication 3"
    )
    sub.add_parser("down", help="stop everything; data stays in the state directory")
    sub.add_parser("status", help="what runs and whether it answers (exit 1 if anything is down)")
    sub.add_parser(
        "env", help='print `export ...` lines that point the CLIs at this stack: eval "$(infra/stack env)"'
    )
    p_rebuild = sub.add_parser(
        "rebuild", help="stop the workers, rebuild projections from offset zero, restart"
    )
    p_rebuild.add_argument("--projection", choices=[*PROJECTIONS, "all"], default="all")
    args = parser.parse_args(argv)
    stack = Stack(args.state_dir.resolve())
    try:
        if args.command == "up":
            up(
                stack,
                grpc_port=args.grpc_port,
                workers=args.workers,
                kafka_nodes=args.kafka_nodes,
                redis_nodes=args.redis_nodes,
                verifiers=args.verifiers,
            )
        elif args.command == "down":
            down(stack)
        elif args.command == "env":
            settings = settings_of(stack)
            for name, value in settings.to_env().items():
                print(f"export {name}={shlex.quote(value)}")
            if settings.tls_client_ca_file:  # the CLI's client certificates
                pki = str(Path(settings.tls_client_ca_file).parent)
                print(f"export BHYT_CLIENT_PKI_DIR={shlex.quote(pki)}")
            if settings.his_listen:  # for HIS developers' curl: the gateway's base URL
                print(f"export BHYT_HIS_URL={shlex.quote(his_url(settings))}")
        elif args.command == "rebuild":
            names = list(PROJECTIONS) if args.projection == "all" else [args.projection]
            rebuild(stack, names)
        elif not status(stack):
            sys.exit(1)
    except (RuntimeError, TimeoutError, FileNotFoundError) as e:
        say(f"error: {e}")
        sys.exit(1)


if __name__ == "__main__":
    main()
