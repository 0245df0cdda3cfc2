"""A local KRaft Kafka cluster made of plain JVM processes (no Docker, no tarball download).

The broker jars come from Maven Central through ``infra/kafka/pom.xml`` and are cached per Kafka
version. Every node runs in combined mode (broker + controller) so one to three processes give a
real quorum: a 3-node cluster survives the loss of any one node, which the fault tests rely on.

Everything a restart needs (cluster id, ports, formatted logs, pids) lives in ``state_dir``, so a
restarted node comes back with its log intact and on the same port, and a detached cluster can be
found again by a later ``stop``/``status`` command through :meth:`KafkaCluster.attach`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.local.procs import (
    free_ports,
    kill_pid,
    pid_alive,
    read_pidfile,
    signal_pid,
    spawn,
    stop_pids,
    wait_until,
    write_pidfile,
)

POM_PATH = Path(__file__).resolve().parents[1] / "kafka" / "pom.xml"
_MARKER = ".complete"
_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    """Default progress logger: stderr, so stdout stays free for machine-readable output."""
    print(message, file=sys.stderr, flush=True)


def kafka_version() -> str:
    """The Kafka version pinned in the pom; the single source of truth for the cache key."""
    node = ET.parse(POM_PATH).getroot().find("m:properties/m:kafka.version", _POM_NS)
    if node is None or not (node.text or "").strip():
        raise RuntimeError(f"<kafka.version> missing from {POM_PATH}")
    return (node.text or "").strip()


def _cache_root(cache_dir: Path | None) -> Path:
    env = os.environ.get("BHYT_CACHE_DIR")
    return Path(cache_dir or env or Path.home() / ".cache" / "bhyt-checkin")


def install_kafka(cache_dir: Path | None = None, *, log: Log = _stderr) -> Path:
    """Return a directory holding every jar the broker needs, fetching them once with Maven.

    Jars are copied into a temporary sibling directory and renamed into place only after Maven
    succeeded and a marker file was written, so an interrupted install is never mistaken for a
    complete one.
    """
    version = kafka_version()
    home = _cache_root(cache_dir) / f"kafka-{version}"
    libs = home / "libs"
    if (libs / _MARKER).exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("mvn not found: apt-get install maven (it fetches the Kafka jars once)")
    home.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="libs.partial-", dir=home))
    try:
        started = time.monotonic()
        log(f"kafka: fetching Kafka {version} jars with Maven into {libs}")
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(POM_PATH),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={tmp}",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not any(tmp.glob("kafka_*.jar")):
            raise RuntimeError(
                f"installing Kafka {version} failed: {' '.join(cmd)} exited {proc.returncode}\n"
                f"{proc.stdout}{proc.stderr}"
            )
        (tmp / _MARKER).write_text(version + "\n")
        if libs.exists():  # a leftover without marker: an older, interrupted layout
            shutil.rmtree(libs)
        try:
            tmp.rename(libs)
        except OSError:
            if not (libs / _MARKER).exists():  # not a concurrent installer winning the race
                raise
        log(f"kafka: installed Kafka {version} in {time.monotonic() - started:.1f}s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return libs


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java not found: apt-get install openjdk-17-jre-headless")
    return java


def new_cluster_id() -> str:
    """A KRaft cluster id: a random UUID as 22 urlsafe base64 chars (no padding).

    Ids starting with '-' are redrawn, like Kafka's own ``Uuid.randomUuid`` does, because the
    storage tool would parse them as an option.
    """
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid


@dataclass
class KafkaNode:
    """One combined broker+controller process and the directory holding its config and log."""

    node_id: int
    broker_port: int
    controller_port: int
    dir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.broker_port}"

    @property
    def pidfile(self) -> Path:
        return self.dir / "kafka.pid"

    @property
    def properties(self) -> Path:
        return self.dir / "server.properties"

    @property
    def logfile(self) -> Path:
        return self.dir / "server.log"

    @property
    def data(self) -> Path:
        return self.dir / "data"


class KafkaCluster:
    """Start, stop, crash and restart a 1..n node local KRaft cluster rooted at ``state_dir``."""

    def __init__(
        self,
        state_dir: Path,
        *,
        nodes: int = 1,
        libs_dir: Path | None = None,
        ports: list[tuple[int, int]] | None = None,
        detach: bool = False,
        heap: str = "512m",
        log: Log = _stderr,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.detach = detach
        self.heap = heap
        self.log = log
        self._libs_dir = libs_dir
        saved = self._load_state()
        if saved is not None:
            self.cluster_id: str = saved["cluster_id"]
            saved_ports = [(n["broker_port"], n["controller_port"]) for n in saved["nodes"]]
            if len(saved_ports) != nodes:
                raise ValueError(f"{state_dir} holds {len(saved_ports)} nodes, not {nodes}")
            if ports is not None and list(map(tuple, ports)) != saved_ports:
                raise ValueError(f"{state_dir} was formatted with ports {saved_ports}, not {ports}")
            ports = saved_ports
        else:
            self.cluster_id = new_cluster_id()
            if ports is None:
                flat = free_ports(2 * nodes)
                ports = list(zip(flat[::2], flat[1::2], strict=True))
            elif len(ports) != nodes:
                raise ValueError(f"{nodes} nodes need {nodes} port pairs, got {len(ports)}")
        self.nodes = [
            KafkaNode(i, bp, cp, self.state_dir / f"node-{i}") for i, (bp, cp) in enumerate(ports, start=1)
        ]

    # ----------------------------------------------------------------- state on disk
    @property
    def _state_file(self) -> Path:
        return self.state_dir / "cluster.json"

    def _load_state(self) -> dict[str, Any] | None:
        try:
            state: dict[str, Any] = json.loads(self._state_file.read_text())
            return state
        except FileNotFoundError:
            return None

    def _save_state(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        state = {
            "cluster_id": self.cluster_id,
            "kafka_version": kafka_version(),
            "nodes": [
                {"node_id": n.node_id, "broker_port": n.broker_port, "controller_port": n.controller_port}
                for n in self.nodes
            ],
        }
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n")
        tmp.replace(self._state_file)

    @classmethod
    def attach(cls, state_dir: Path, *, log: Log = _stderr) -> KafkaCluster:
        """Re-open a cluster started earlier (typically detached) from its ``cluster.json``."""
        path = Path(state_dir) / "cluster.json"
        if not path.exists():
            raise FileNotFoundError(f"no Kafka cluster state at {path}")
        nodes = len(json.loads(path.read_text())["nodes"])
        return cls(Path(state_dir), nodes=nodes, detach=True, log=log)

    # ----------------------------------------------------------------- configuration
    @property
    def bootstrap(self) -> str:
        return ",".join(n.bootstrap for n in self.nodes)

    def _config(self, node: KafkaNode) -> dict[str, object]:
        """server.properties for ``node``; replication settings scale with the cluster size."""
        n = len(self.nodes)
        rf, isr = min(3, n), min(2, n)
        quorum: dict[str, object]
        if n == 1:  # dynamic single-voter quorum, formatted with --standalone
            quorum = {"controller.quorum.bootstrap.servers": f"127.0.0.1:{node.controller_port}"}
        else:  # static voter set (kraft.version 0): formatted without any quorum flag
            quorum = {
                "controller.quorum.voters": ",".join(
                    f"{m.node_id}@127.0.0.1:{m.controller_port}" for m in self.nodes
                )
            }
        return {
            "process.roles": "broker,controller",
            "node.id": node.node_id,
            "listeners": f"PLAINTEXT://127.0.0.1:{node.broker_port},"
            f"CONTROLLER://127.0.0.1:{node.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.broker_port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            **quorum,
            "log.dirs": node.data,
            "num.partitions": 4,
            "default.replication.factor": rf,
            "min.insync.replicas": isr,
            "offsets.topic.replication.factor": rf,
            "transaction.state.log.replication.factor": rf,
            "transaction.state.log.min.isr": isr,
            "share.coordinator.state.topic.replication.factor": rf,
            "share.coordinator.state.topic.min.isr": isr,
            "group.initial.rebalance.delay.ms": 0,
            "auto.create.topics.enable": "false",
            # How long the controller waits before it fences a broker that stopped heartbeating.
            # Until then a dead broker still leads its partitions and every ISR waits for it, so
            # acks=all writes stall: at Kafka's 9 s default, check-ins timed out (UNAVAILABLE) while
            # two of three brokers served (bench/chaos.py, scenario a). A SIGKILLed broker restarted
            # in place is also refused (DUPLICATE_BROKER_REGISTRATION) until its old session expires.
            "broker.session.timeout.ms": 4000,
            "broker.heartbeat.interval.ms": 1000,
        }

    def _write_config(self, node: KafkaNode) -> None:
        node.dir.mkdir(parents=True, exist_ok=True)
        lines = [f"{k}={v}" for k, v in self._config(node).items()]
        node.properties.write_text("\n".join(lines) + "\n")
        (node.dir / "log4j2.properties").write_text(
            "status = warn\n"
            "appender.file.type = File\n"
            "appender.file.name = FILE\n"
            f"appender.file.fileName = {node.logfile}\n"
            "appender.file.layout.type = PatternLayout\n"
            "appender.file.layout.pattern = [%d] %p %m (%c)%n\n"
            "rootLogger.level = INFO\n"
            "rootLogger.appenderRefs = file\n"
            "rootLogger.appenderRef.file.ref = FILE\n"
        )

    def _libs(self) -> Path:
        if self._libs_dir is None:
            started = time.monotonic()
            self._libs_dir = install_kafka(log=self.log)
            self.log(f"kafka: jars ready at {self._libs_dir} ({time.monotonic() - started:.1f}s)")
        return self._libs_dir

    def _format(self, nodes: list[KafkaNode]) -> None:
        """Format the log dirs of ``nodes`` in parallel (each run is a ~1 s JVM start)."""
        if not nodes:
            return
        started = time.monotonic()
        extra = ["--standalone"] if len(self.nodes) == 1 else []
        procs = []
        for node in nodes:
            shutil.rmtree(node.data, ignore_errors=True)  # no meta.properties: a torn format
            cmd = [
                _java(),
                "-cp",
                f"{self._libs()}/*",
                "kafka.tools.StorageTool",
                "format",
                "-t",
                self.cluster_id,
                "-c",
                str(node.properties),
                *extra,
            ]
            procs.append(
                (
                    node,
                    cmd,
                    subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
                )
            )
        for node, cmd, proc in procs:
            out, _ = proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError(f"formatting kafka node {node.node_id} failed: {' '.join(cmd)}\n{out}")
        self.log(f"kafka: formatted {len(nodes)} node(s) in {time.monotonic() - started:.1f}s")

    # ----------------------------------------------------------------- processes
    def _node(self, node_id: int) -> KafkaNode:
        for node in self.nodes:
            if node.node_id == node_id:
                return node
        raise KeyError(f"no kafka node {node_id}; nodes are {[n.node_id for n in self.nodes]}")

    def _pid(self, node: KafkaNode) -> int | None:
        return node.process.pid if node.process is not None else read_pidfile(node.pidfile)

    def _alive(self, node: KafkaNode) -> bool:
        if node.process is not None:
            return node.process.poll() is None and pid_alive(node.process.pid)
        pid = read_pidfile(node.pidfile)
        return pid is not None and pid_alive(pid) and _is_our_broker(pid, node)

    def _launch(self, node: KafkaNode) -> None:
        cmd = [
            _java(),
            f"-Xmx{self.heap}",
            f"-Dlog4j2.configurationFile={node.dir / 'log4j2.properties'}",
            "-cp",
            f"{self._libs()}/*",
            "kafka.Kafka",
            str(node.properties),
        ]
        node.process = spawn(cmd, cwd=node.dir, console=node.dir / "console.log", detach=self.detach)
        write_pidfile(node.pidfile, node.process.pid)

    def _reap(self, node: KafkaNode) -> None:
        if node.process is not None:
            node.process.wait(timeout=10)
            node.process = None
        node.pidfile.unlink(missing_ok=True)

    def _wait_unfenced(self, nodes: list[KafkaNode], *, timeout: float, what: str) -> None:
        """Wait until every node in ``nodes`` is an unfenced broker.

        A node that dies meanwhile fails the wait at once, with its log tail, instead of
        letting the caller sit out the whole timeout.
        """

        def ready() -> bool:
            for node in nodes:
                if not self._alive(node):
                    raise RuntimeError(
                        f"kafka node {node.node_id} exited during start-up; "
                        f"last lines of {node.logfile}:\n{_tail(node.logfile)}"
                        f"{_tail(node.dir / 'console.log')}"
                    )
            return {n.node_id for n in nodes} <= self._unfenced(nodes)

        wait_until(ready, timeout=timeout, interval=0.25, what=what)

    def _unfenced(self, nodes: list[KafkaNode]) -> set[int]:
        """Ids among ``nodes`` that serve requests and that the quorum reports as unfenced.

        A KRaft broker enables its client listener only after the controller unfenced it, so
        an ApiVersions answer from the node itself is the signal that *this* process is up; the
        controller's view alone could still show a SIGKILLed predecessor whose session has not
        expired yet. The admin client is only built once the probe passes, because a failed
        bootstrap leaks its IO thread.
        """
        from kafka.admin import KafkaAdminClient

        serving = [n for n in nodes if _answers_api_versions(n.broker_port)]
        if not serving:
            return set()
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=[n.bootstrap for n in serving],
                request_timeout_ms=2000,
                bootstrap_timeout_ms=5000,
                client_id="bhyt-local-launcher",
            )
        except Exception:  # e.g. the node began shutting down between probe and bootstrap
            return set()
        try:
            brokers = admin.describe_cluster()["brokers"]
        except Exception:
            return set()
        finally:
            admin.close()
        unfenced = {int(b["broker_id"]) for b in brokers if not b.get("is_fenced", False)}
        return unfenced & {n.node_id for n in serving}

    def is_ready(self) -> bool:
        """All brokers are reachable, registered with the quorum and unfenced."""
        ids = {n.node_id for n in self.nodes}
        return ids <= self._unfenced(self.nodes)

    def start(self, *, timeout: float = 90) -> str:
        """Format (first time only), launch every node not already running, wait until ready.

        On failure the nodes launched by this call are stopped again so nothing half-started
        keeps running. Returns the bootstrap string.
        """
        started = time.monotonic()
        self._libs()
        self._save_state()
        for node in self.nodes:
            self._write_config(node)
        self._format([n for n in self.nodes if not (n.data / "meta.properties").exists()])
        launched = [n for n in self.nodes if not self._alive(n)]
        launch_at = time.monotonic()
        try:
            for node in launched:
                self._launch(node)
            self._wait_unfenced(self.nodes, timeout=timeout, what=f"kafka cluster ({len(self.nodes)} nodes)")
        except BaseException:
            stop_pids([p for n in launched if (p := self._pid(n)) is not None], timeout=10)
            for node in launched:
                self._reap(node)
            raise
        now = time.monotonic()
        self.log(
            f"kafka: {len(self.nodes)} node(s) ready at {self.bootstrap} in "
            f"{now - launch_at:.1f}s after launch ({now - started:.1f}s total)"
        )
        return self.bootstrap

    def stop(self, *, timeout: float = 20.0, quorum_grace: float = 10.0) -> None:
        """Graceful stop of all nodes together (SIGTERM), SIGKILL after ``timeout``.

        A broker's controlled shutdown must be committed by a controller majority, and Kafka
        waits up to five minutes for it. Once fewer than a majority of nodes are left, the
        survivors can never get that approval, so they only get ``quorum_grace`` seconds before
        SIGKILL (safe for acknowledged data: it is in the page cache and on the replicas). A
        last node that is not stuck needs ~5 s anyway: its Raft client waits that long for a
        graceful leader resignation nobody can acknowledge.
        """
        started = time.monotonic()
        pids = [p for n in self.nodes if self._alive(n) and (p := self._pid(n)) is not None]
        majority = len(self.nodes) // 2 + 1
        for pid in pids:
            signal_pid(pid, signal.SIGTERM)

        def done_or_hopeless() -> bool:
            left = sum(map(pid_alive, pids))
            return left == 0 or (len(self.nodes) > 1 and left < majority)

        with contextlib.suppress(TimeoutError):
            wait_until(done_or_hopeless, timeout=timeout, what="kafka shutdown")
        stuck = [p for p in pids if pid_alive(p)]
        if stuck:
            self.log(f"kafka: controller quorum gone; pid(s) {stuck} get {quorum_grace:.0f}s more")
        stop_pids(stuck, timeout=quorum_grace)
        for node in self.nodes:
            self._reap(node)
        if pids:
            self.log(f"kafka: stopped {len(pids)} node(s) in {time.monotonic() - started:.1f}s")

    def kill_node(self, node_id: int) -> None:
        """SIGKILL one node, no clean shutdown: the crash a fault test wants to survive."""
        node = self._node(node_id)
        pid = self._pid(node)
        if pid is not None and self._alive(node):
            kill_pid(pid)
        self._reap(node)

    def restart_node(self, node_id: int, *, timeout: float = 90) -> None:
        """(Re)launch one node on its old ports and log, wait until it is unfenced again."""
        node = self._node(node_id)
        if self._alive(node) and (pid := self._pid(node)) is not None:
            stop_pids([pid])
        self._reap(node)
        started = time.monotonic()
        self._write_config(node)
        self._launch(node)
        self._wait_unfenced([node], timeout=timeout, what=f"kafka node {node_id}")
        self.log(f"kafka: node {node_id} back in {time.monotonic() - started:.1f}s")

    def status(self) -> list[dict[str, object]]:
        """Per node: id, broker port, pid (if known) and whether that process is alive."""
        return [
            {"node_id": n.node_id, "port": n.broker_port, "pid": self._pid(n), "alive": self._alive(n)}
            for n in self.nodes
        ]


def _is_our_broker(pid: int, node: KafkaNode) -> bool:
    """Guard against pid reuse: the process must be the JVM started with this node's config."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:
        return True  # no procfs: trust the pid
    return str(node.properties).encode() in cmdline


def _answers_api_versions(port: int) -> bool:
    """Send a raw ApiVersions v0 request; True if the broker answers it without error."""
    client_id = b"bhyt-probe"
    request = struct.pack(">hhih", 18, 0, 1, len(client_id)) + client_id
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(struct.pack(">i", len(request)) + request)
            header = b""
            while len(header) < 10:
                chunk = sock.recv(10 - len(header))
                if not chunk:
                    return False
                header += chunk
    except OSError:
        return False
    _size, correlation_id, error_code = struct.unpack(">iih", header)
    return correlation_id == 1 and error_code == 0


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
    except FileNotFoundError:
        return ""
