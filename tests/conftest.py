"""Shared fixtures: one real Kafka broker and one real Redis per test session, on free ports.

Set KAFKA_BOOTSTRAP to run the suite against an existing Kafka instead (topics are unique per
test, so a shared cluster is not disturbed). Redis is always our own instance, because tests
flush it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from infra.local.kafka import KafkaCluster
from infra.local.procs import free_port
from infra.local.redis_server import RedisServer
from verifier.adapters.kafka_log import ensure_topics
from verifier.settings import Settings


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("KAFKA_BOOTSTRAP")
    if external:
        yield external
        return
    cluster = KafkaCluster(tmp_path_factory.mktemp("kafka"), nodes=1)
    cluster.start()
    try:
        yield cluster.bootstrap
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(kafka_bootstrap: str, redis_server: RedisServer) -> Settings:
    """Fresh topics, consumer group and Redis contents for each test; a free port for gRPC."""
    run = uuid.uuid4().hex[:8]
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    client.close()
    s = Settings(
        kafka_bootstrap=kafka_bootstrap,
        redis_url=redis_server.url,
        grpc_listen=f"127.0.0.1:{free_port()}",
        topic_participation=f"test-{run}.participation.v1",
        topic_checkins=f"test-{run}.checkins.v1",
        topic_imports=f"test-{run}.imports.v1",
        topic_trust=f"test-{run}.trust.v1",
        topic_partitions=4,
        projection_group=f"test-{run}-projections",
        publish_timeout_s=5.0,
    )
    ensure_topics(s)
    return s


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path
