"""A local Redis Cluster (masters with replicas) from Debian's redis-server, no Docker needed.

Each node is a `RedisServer` in cluster mode in its own directory; the first start joins them with
`redis-cli --cluster create` (3 masters and 3 replicas for 6 nodes), later starts reuse the
cluster each node saved in its `nodes.conf`. The node timeout is short (2 s) so a killed master's
replica takes over within seconds, as the failover tests need; production keeps Redis's default.

The read model reaches it through one URL, `redis+cluster://host:port,host:port,...`
(`verifier/adapters/redis_client.py`): every node is a seed, so a client that starts while one
node is down still finds the cluster.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from infra.local.procs import free_ports, wait_until
from infra.local.redis_server import Log, RedisServer, _stderr

NODE_TIMEOUT_MS = 2000


@dataclass(frozen=True)
class NodeRole:
    """One node as `CLUSTER NODES` describes it, for `infra/stack status` and the failover tests."""

    port: int
    role: str  # "master", "replica", or "down"
    slots: str  # the slot ranges a master serves ("0-5460"), "" otherwise


class RedisClusterNodes:
    """Start/stop the nodes of one local Redis Cluster whose ports live in `state_dir`."""

    def __init__(
        self, state_dir: Path, *, nodes: int = 6, replicas: int = 1, detach: bool = False, log: Log = _stderr
    ) -> None:
        if nodes < 3 * (1 + replicas):
            raise ValueError(f"a Redis Cluster with {replicas} replica(s) per master needs at least "
                             f"{3 * (1 + replicas)} nodes, not {nodes}")  # fmt: skip
        self.state_dir = Path(state_dir)
        self.replicas = replicas
        self.log = log
        saved = self._load_ports()
        # Each node also listens on a cluster bus port (by default its port + 10000, which a free
        # port above 55535 cannot have): chosen free as well, and saved with the port.
        ports = saved if saved and len(saved) == 2 * nodes else free_ports(2 * nodes)
        self._bus_ports = ports[nodes:]
        self.nodes = [
            RedisServer(
                self.state_dir / f"node-{i}",
                port=port,
                detach=detach,
                extra_args=(
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-port",
                    str(ports[nodes + i]),
                    "--cluster-node-timeout",
                    str(NODE_TIMEOUT_MS),
                    # A replica whose master died takes over however long it was disconnected.
                    "--cluster-replica-validity-factor",
                    "0",
                ),
                log=lambda _m: None,
            )
            for i, port in enumerate(ports[:nodes])
        ]

    @property
    def _state_file(self) -> Path:
        return self.state_dir / "cluster.json"

    def _load_ports(self) -> list[int] | None:
        try:
            return [int(p) for p in json.loads(self._state_file.read_text())["ports"]]
        except FileNotFoundError:
            return None

    @classmethod
    def attach(cls, state_dir: Path, *, log: Log = _stderr) -> RedisClusterNodes:
        """Re-open a cluster started earlier (typically detached) from its saved ports."""
        state = Path(state_dir) / "cluster.json"
        if not state.exists():
            raise FileNotFoundError(f"no Redis Cluster state in {state_dir}")
        ports = json.loads(state.read_text())["ports"]
        return cls(Path(state_dir), nodes=len(ports) // 2, detach=True, log=log)

    @property
    def ports(self) -> list[int]:
        return [n.port for n in self.nodes]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def start(self, *, timeout: float = 60) -> str:
        """Start every node, create the cluster on first start, wait until it serves every slot."""
        if shutil.which("redis-cli") is None:
            raise RuntimeError("redis-cli not found: apt-get install redis-tools")
        started = time.monotonic()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._state_file.write_text(json.dumps({"ports": self.ports + self._bus_ports}) + "\n")
        for node in self.nodes:
            node.start(timeout=timeout)
        if not self._created():
            self._create()
        wait_until(self.is_ready, timeout=timeout, what=f"Redis Cluster on ports {self.ports}")
        masters = sum(1 for r in self.roles() if r.role == "master")
        self.log(f"redis cluster: ready at {self.url} ({masters} masters, "
                 f"{len(self.nodes) - masters} replicas) in {time.monotonic() - started:.2f}s")  # fmt: skip
        return self.url

    def _created(self) -> bool:
        """Whether the nodes already know each other (a restart: each kept its `nodes.conf`)."""
        return self._cluster_info(self.nodes[0].port).get("cluster_known_nodes") == str(len(self.nodes))

    def _create(self) -> None:
        cmd = ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
               "--cluster-replicas", str(self.replicas), "--cluster-yes"]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed:\n{done.stdout}\n{done.stderr}")

    @staticmethod
    def _cluster_info(port: int) -> dict[str, str]:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1)
        try:
            text = client.execute_command("CLUSTER INFO")
        except redis.RedisError:
            return {}
        finally:
            client.close()
        if isinstance(text, bytes):
            text = text.decode()
        if isinstance(text, dict):
            return {str(k): str(v) for k, v in text.items()}
        return dict(line.split(":", 1) for line in str(text).split() if ":" in line)

    def is_ready(self) -> bool:
        """Every live node says the cluster is ok (all 16384 slots served), and each master has its
        replicas (right after `--cluster create` they join a moment later)."""
        live = [n for n in self.nodes if n.is_ready()]
        if not live or not all(
            info.get("cluster_state") == "ok" and info.get("cluster_slots_assigned") == "16384"
            for info in (self._cluster_info(n.port) for n in live)
        ):
            return False
        replicas = sum(1 for r in self.roles() if r.role == "replica")
        expected = len(self.nodes) * self.replicas // (1 + self.replicas)
        return len(live) < len(self.nodes) or replicas == expected

    def roles(self) -> list[NodeRole]:
        """Each node's role as the live nodes see it (a killed node shows as "down")."""
        import redis

        seen: dict[int, NodeRole] = {}
        for node in self.nodes:
            if not node.is_ready():
                continue
            client = redis.Redis(host="127.0.0.1", port=node.port, socket_timeout=1, decode_responses=True)
            try:
                text = client.execute_command("CLUSTER NODES")
            except redis.RedisError:
                continue
            finally:
                client.close()
            for port, role in _parse_nodes(text).items():
                seen.setdefault(port, role)
            break
        alive = {n.port for n in self.nodes if n.is_ready()}
        return [
            seen.get(p, NodeRole(p, "down", "")) if p in alive else NodeRole(p, "down", "")
            for p in self.ports
        ]

    def master_ports(self) -> list[int]:
        return [r.port for r in self.roles() if r.role == "master"]

    def node_on(self, port: int) -> RedisServer:
        return next(n for n in self.nodes if n.port == port)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def status(self) -> list[dict[str, object]]:
        """Port, pid, role and slots of each node, for `infra/stack status`."""
        roles = {r.port: r for r in self.roles()}
        return [{**n.status(), "role": roles[n.port].role, "slots": roles[n.port].slots} for n in self.nodes]


def _parse_nodes(nodes: object) -> dict[int, NodeRole]:
    """`CLUSTER NODES` as redis-py parses it ({"host:port": {"flags": ..., "slots": ...}}) by port."""
    roles: dict[int, NodeRole] = {}
    for address, node in dict(nodes).items():  # type: ignore[call-overload]
        port = int(str(address).split("@")[0].rsplit(":", 1)[1])
        flags = str(node["flags"]).split(",")
        if "fail" in flags or "fail?" in flags or not node.get("connected", True):
            role = "down"
        else:
            role = "master" if "master" in flags else "replica"
        slots = " ".join("-".join(s) for s in node.get("slots", [])) if role == "master" else ""
        roles[port] = NodeRole(port, role, slots)
    return roles
