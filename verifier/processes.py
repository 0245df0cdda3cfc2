"""`serve --processes N`: N verifier processes sharing one gRPC port.

A check-in is CPU work in Python (protobuf, signatures, the Kafka client's sender thread), so one
process uses at most one core. Several processes bind the same port with SO_REUSEPORT and the
kernel spreads incoming connections between them (one kiosk connection stays with one process).
Each process is a complete verifier with its own Kafka producer and Redis connections; only the
first serves the staff dashboard, which needs one port of its own.

This parent only supervises: it starts the children, forwards SIGTERM/SIGINT/SIGHUP to them, and
if one dies it stops the others and exits non-zero, so the service manager (systemd, Kubernetes,
`infra/stack`) restarts the whole set rather than running silently at reduced capacity.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from verifier.settings import Settings

log = logging.getLogger(__name__)


class ProcessesError(ValueError):
    """The settings cannot run several processes."""


def child_settings(settings: Settings, index: int) -> Settings:
    """What child `index` (0-based) runs with: the shared port, and the dashboard on the first."""
    port = settings.grpc_listen.rpartition(":")[2]
    if not port.isdigit() or int(port) == 0:
        raise ProcessesError(
            f"BHYT_GRPC_LISTEN={settings.grpc_listen}: several processes need a fixed port to share"
        )
    return settings.with_(
        server_processes=1,
        grpc_reuse_port=1,
        dashboard_listen=settings.dashboard_listen if index == 0 else "",
        metrics_listen=_nth_port(settings.metrics_listen, index),
        producer_name=f"{settings.producer_name}-{index + 1}",
    )


def _nth_port(listen: str, index: int) -> str:
    """Process `index`'s metrics address: each process has its own counters, so its own port
    (port + index; port 0 stays 0, any free one). Empty stays empty (not served)."""
    if not listen:
        return ""
    host, _, port = listen.rpartition(":")
    return f"{host}:{int(port) + index if int(port) else 0}"


def serve_processes(settings: Settings) -> int:
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "verifier", "serve"],
            env={**os.environ, **child_settings(settings, i).to_env()},
        )
        for i in range(settings.server_processes)
    ]
    stopping = False

    def forward(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if signum != signal.SIGHUP:
            stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    while True:
        exited = [c for c in children if c.poll() is not None]
        if stopping or exited:
            break
        time.sleep(0.2)
    if exited and not stopping:
        log.error(
            "verifier process %d exited with %s; stopping the others", exited[0].pid, exited[0].returncode
        )
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    # A child still importing when the signal came dies of it: that too is the stop we asked for.
    stopped = all(c.returncode in (0, -signal.SIGTERM, -signal.SIGINT) for c in children)
    return 0 if stopping and stopped else 1
