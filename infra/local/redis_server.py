"""A local redis-server process for the read model (projections), no Docker needed.

Configuration goes on the command line so no config file can drift from the code. Append-only
persistence is on: a restarted Redis comes back with the read model, although the projections
can always rebuild it from Kafka. The chosen port is saved in ``state_dir`` so restarts and a
later ``attach`` find the same server.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from infra.local.procs import (
    free_port,
    kill_pid,
    pid_alive,
    read_pidfile,
    spawn,
    stop_pids,
    wait_until,
    write_pidfile,
)

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    """Default progress logger: stderr, so stdout stays free for machine-readable output."""
    print(message, file=sys.stderr, flush=True)


READ_MODEL_TUNING = ("--hash-max-listpack-value", "256")


class RedisServer:
    """Start/stop/crash/restart one redis-server whose data, log, port and pid live in state_dir."""

    def __init__(
        self,
        state_dir: Path,
        *,
        port: int | None = None,
        detach: bool = False,
        executable: str = "redis-server",
        extra_args: tuple[str, ...] = (),
        log: Log = _stderr,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.extra_args = extra_args  # e.g. cluster mode (infra/local/redis_cluster.py)
        self.detach = detach
        self.executable = executable
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        saved = self._load_port()
        self.port: int = port or saved or free_port()

    @property
    def _state_file(self) -> Path:
        return self.state_dir / "redis.json"

    @property
    def pidfile(self) -> Path:
        return self.state_dir / "redis.pid"

    @property
    def logfile(self) -> Path:
        return self.state_dir / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _load_port(self) -> int | None:
        try:
            return int(json.loads(self._state_file.read_text())["port"])
        except FileNotFoundError:
            return None

    @classmethod
    def attach(cls, state_dir: Path, *, log: Log = _stderr) -> RedisServer:
        """Re-open a server started earlier (typically detached) from its saved state."""
        if not (Path(state_dir) / "redis.json").exists():
            raise FileNotFoundError(f"no Redis state in {state_dir}")
        return cls(Path(state_dir), detach=True, log=log)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else read_pidfile(self.pidfile)

    def _alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None and pid_alive(self.process.pid)
        pid = read_pidfile(self.pidfile)
        return pid is not None and pid_alive(pid) and self._is_ours(pid)

    def _is_ours(self, pid: int) -> bool:
        """Guard against pid reuse: the process must be a redis-server on our port."""
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            return False
        except OSError:
            return True  # no procfs: trust the pid
        return b"redis" in cmdline and str(self.port).encode() in cmdline

    def is_ready(self) -> bool:
        """Redis answers PING (it refuses commands while still loading the AOF)."""
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def start(self, *, timeout: float = 20) -> str:
        """Launch redis-server unless it already runs, wait until PING answers, return the URL."""
        exe = shutil.which(self.executable)
        if exe is None:
            raise RuntimeError("redis-server not found: apt-get install redis-server")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._state_file.write_text(json.dumps({"port": self.port}) + "\n")
        started = time.monotonic()
        if not self._alive():
            cmd = [
                exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.state_dir),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--daemonize",
                "no",
                "--logfile",
                str(self.logfile),
                "--protected-mode",
                "yes",
                # Participation records (~100-140 bytes packed) must stay in the compact listpack
                # encoding: at the default 64-byte limit each hash becomes a hashtable, ~2x the memory.
                *READ_MODEL_TUNING,
                *self.extra_args,
            ]
            self.process = spawn(
                cmd, cwd=self.state_dir, console=self.state_dir / "console.log", detach=self.detach
            )
            write_pidfile(self.pidfile, self.process.pid)

        def ready() -> bool:
            if not self._alive():
                tail = (
                    "\n".join(self.logfile.read_text(errors="replace").splitlines()[-20:])
                    if self.logfile.exists()
                    else ""
                )
                raise RuntimeError(f"redis-server exited during start-up; {self.logfile}:\n{tail}")
            return self.is_ready()

        try:
            wait_until(ready, timeout=timeout, what=f"redis on port {self.port}")
        except BaseException:
            self.stop()
            raise
        self.log(f"redis: ready at {self.url} in {time.monotonic() - started:.2f}s")
        return self.url

    def __enter__(self) -> RedisServer:
        """`with RedisServer(dir) as server:` started now, stopped at the end of the block."""
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _reap(self) -> None:
        if self.process is not None:
            self.process.wait(timeout=10)
            self.process = None
        self.pidfile.unlink(missing_ok=True)

    def stop(self) -> None:
        """SIGTERM (redis flushes the AOF and exits), SIGKILL if it lingers."""
        pid = self.pid
        if pid is not None and self._alive():
            stop_pids([pid])
        self._reap()

    def kill(self) -> None:
        """SIGKILL: a crash, to prove the read model is rebuilt or recovered."""
        pid = self.pid
        if pid is not None and self._alive():
            kill_pid(pid)
        self._reap()

    def restart(self) -> None:
        """Stop then start on the same port and data directory."""
        self.stop()
        self.start()

    def status(self) -> dict[str, object]:
        """Port, pid (if known), liveness and URL, for a ``status`` command."""
        return {"port": self.port, "pid": self.pid, "alive": self._alive(), "url": self.url}
