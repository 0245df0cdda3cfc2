"""The stack an end-to-end benchmark runs against: its own Kafka and Redis on free ports, the
verifier and one Faust worker as processes, all gone when the benchmark ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.local.kafka import KafkaCluster
from infra.local.procs import free_port
from infra.local.redis_server import RedisServer
from tests.support.processes import ServiceProcess, start_worker, verifier_process
from verifier.adapters.kafka_log import ensure_topics
from verifier.settings import Settings


@dataclass
class BenchStack:
    settings: Settings
    kafka: KafkaCluster
    redis: RedisServer
    verifier: ServiceProcess
    worker: ServiceProcess


@contextmanager
def bench_stack(tmp: Path, **overrides: Any) -> Iterator[BenchStack]:
    """`overrides` are settings (token keys, chip trust, server processes, ...); no dashboard."""
    kafka, redis_server = KafkaCluster(tmp / "kafka", nodes=1), RedisServer(tmp / "redis")
    try:
        settings = Settings.from_env(
            {},
            **{
                "kafka_bootstrap": kafka.start(),
                "redis_url": redis_server.start(),
                "grpc_listen": f"127.0.0.1:{free_port()}",
                "dashboard_listen": "",
                "his_listen": "",
                # Explicitly plaintext: the figures are the check-in path's; mTLS adds a handshake per
                # connection (kiosks keep theirs open), see BENCHMARKS.md.
                "insecure_plaintext": 1,
                **overrides,
            },
        )
        ensure_topics(settings)
        logs = tmp / "logs"
        logs.mkdir()
        with verifier_process(settings, logs) as verifier:
            worker = start_worker(settings, "bench", logs)
            try:
                yield BenchStack(settings, kafka, redis_server, verifier, worker)
            finally:
                worker.stop()
    finally:
        redis_server.stop()
        kafka.stop()
