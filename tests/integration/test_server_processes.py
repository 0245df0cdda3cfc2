"""Two verifier processes on one port: both answer, and a SIGTERM stops them all cleanly."""

from __future__ import annotations

import os
import signal
import socket
import urllib.request
from pathlib import Path

import grpc
import pytest
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc
from bhyt.v1 import events_pb2 as ev
from prometheus_client.parser import text_string_to_metric_families

from infra.local.procs import children_of, free_port, wait_until
from tests.support.client import Client
from tests.support.processes import ServiceProcess
from verifier.settings import Settings


def listening(proc: ServiceProcess) -> int:
    """How many server processes have said they listen (each prints one such line)."""
    return sum(line.startswith("verifier listening on") for line in proc.log_path.read_text().splitlines())


def two_free_ports() -> int:
    """A port p with p + 1 free too: `serve --processes 2` serves metrics on both."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports")


def counted_check_ins(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as page:
        families = text_string_to_metric_families(page.read().decode())
        return sum(
            s.value
            for f in families
            for s in f.samples
            if s.name == "bhyt_grpc_requests_total" and s.labels["method"] == "CheckIn/VerifyCard"
        )


def test_two_processes_share_the_port_and_stop_together(settings: Settings, log_dir: Path) -> None:
    metrics_port = two_free_ports()
    settings = settings.with_(metrics_listen=f"127.0.0.1:{metrics_port}")
    parent = ServiceProcess("verifier", ["-m", "verifier", "serve", "--processes", "2"], settings, log_dir)
    try:
        wait_until(lambda: listening(parent) == 2, timeout=60, what="both processes listening")
        children = children_of(parent.process.pid)
        assert len(children) == 2
        clients = [Client(settings.grpc_listen) for _ in range(8)]
        for (
            client
        ) in clients:  # one TCP connection each (gRPC shares one by default): the kernel spreads them
            client.channel.close()
            client.channel = grpc.insecure_channel(
                settings.grpc_listen, options=[("grpc.use_local_subchannel_pool", 1)]
            )
            client.checkin = api_grpc.CheckInStub(client.channel)

        def all_answer() -> bool:
            try:
                for client in clients:
                    api_grpc.DiagnosticsStub(client.channel).Echo(api.EchoRequest(payload=b"x"), timeout=2)
                return True
            except grpc.RpcError:
                return False

        wait_until(all_answer, timeout=60, what="both processes serving")
        decisions = [c.verify("GD4404016354956") for c in clients]
        assert {d.result_code for d in decisions} == {"050"}  # judged (nobody enrolled), and recorded
        assert all(d.verdict == ev.VERDICT_REJECTED for d in decisions)
        # Each process counts what it answered on its own metrics port (port, port + 1).
        assert counted_check_ins(metrics_port) + counted_check_ins(metrics_port + 1) == len(clients)
        for client in clients:
            client.close()

        parent.process.send_signal(signal.SIGTERM)
        assert parent.process.wait(60) == 0, parent.log_tail()
        assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]
    finally:
        parent.kill()


def test_a_dead_process_stops_the_set_so_it_is_restarted_whole(settings: Settings, log_dir: Path) -> None:
    parent = ServiceProcess("verifier", ["-m", "verifier", "serve", "--processes", "2"], settings, log_dir)
    try:
        wait_until(lambda: len(children_of(parent.process.pid)) == 2, timeout=30, what="two children")
        os.kill(children_of(parent.process.pid)[0], signal.SIGKILL)
        assert parent.process.wait(60) == 1
    finally:
        parent.kill()


def test_echo_answers_what_it_is_sent_and_refuses_a_large_payload(settings: Settings, log_dir: Path) -> None:
    server = ServiceProcess("verifier", ["-m", "verifier", "serve"], settings, log_dir)
    try:
        client = Client(settings.grpc_listen)
        echo = api_grpc.DiagnosticsStub(client.channel).Echo

        def serving() -> bool:
            try:
                return echo(api.EchoRequest(payload=b"ping"), timeout=2).payload == b"ping"
            except grpc.RpcError:
                return False

        wait_until(serving, timeout=60, what="verifier serving")
        with pytest.raises(grpc.RpcError) as refused:
            echo(api.EchoRequest(payload=b"x" * 2048), timeout=5)
        assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert refused.value.details().startswith("205 payload is 2048 bytes")
        client.close()
    finally:
        server.stop()
