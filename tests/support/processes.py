"""The verifier and Faust workers as their own processes, started the way a user starts them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from infra.local.procs import wait_until
from infra.stack import grpc_serving, probe_tls
from projections.app import WORKERS_KEY
from verifier.adapters.redis_client import connect_sync
from verifier.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


class ServiceProcess:
    def __init__(self, name: str, args: list[str], settings: Settings, log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        env = {**os.environ, **settings.to_env(), "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 30) -> None:
        """Graceful stop (SIGTERM), as an operator would."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL: a crash, no chance to commit offsets or flush anything."""
        if self.alive():
            self.process.kill()
        self.process.wait(10)


@contextmanager
def verifier_process(settings: Settings, log_dir: Path, name: str = "verifier") -> Iterator[ServiceProcess]:
    proc = start_verifier_process(settings, log_dir, name)
    try:
        yield proc
    finally:
        proc.stop()


def start_verifier_process(settings: Settings, log_dir: Path, name: str = "verifier") -> ServiceProcess:
    """Start `verifier serve` and wait until its gRPC health answers SERVING."""
    proc = ServiceProcess(name, ["-m", "verifier", "serve"], settings, log_dir)
    wait_until(
        lambda: _alive_or_fail(proc) and grpc_serving(settings.grpc_listen, probe_tls(settings)),
        timeout=60,
        what=f"{name} health check",
    )
    return proc


def start_worker(settings: Settings, worker_id: str, log_dir: Path) -> ServiceProcess:
    """Start a Faust worker and wait until it holds partitions (its rebalance has completed)."""
    worker_settings = settings.with_(worker_id=worker_id)
    proc = ServiceProcess(
        f"worker-{worker_id}", ["-m", "projections", "worker", "-l", "info"], worker_settings, log_dir
    )
    wait_until(
        lambda: _alive_or_fail(proc) and bool(held_partitions(settings).get(worker_id)),
        timeout=90,
        what=f"worker {worker_id} partition assignment",
    )
    return proc


def held_partitions(settings: Settings) -> dict[str, list[str]]:
    """worker id -> partitions it reported on its last rebalance."""
    client = connect_sync(settings.redis_url, decode_responses=True)
    try:
        held = cast(dict[str, str], client.hgetall(WORKERS_KEY))
        return {k: json.loads(v) for k, v in held.items()}
    finally:
        client.close()


def _alive_or_fail(proc: ServiceProcess) -> bool:
    if not proc.alive():
        raise RuntimeError(f"{proc.name} exited with {proc.process.returncode}:\n{proc.log_tail()}")
    return True


def admin_command(
    target: str, pki_dir: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """`python -m verifier ARGS` as an operator runs it: its own process, the admin certificate from
    `pki_dir`, against the verifier at `target`. The caller judges the exit code."""
    return subprocess.run(
        [sys.executable, "-m", "verifier", *args, "--target", target, "--pki-dir", str(pki_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
