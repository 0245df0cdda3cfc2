"""Shared fixtures: one real Kafka broker and one real Redis per test session, on free ports (and
a Redis Cluster of six nodes for the tests that ask for one).

Set KAFKA_BOOTSTRAP to run the suite against an existing Kafka instead (topics are unique per
test, so a shared cluster is not disturbed). Redis is always our own instance, because tests
flush it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.kafka import KafkaCluster
from infra.local.redis_cluster import RedisClusterNodes
from infra.local.redis_server import RedisServer
from tests.support.isolation import isolated_settings
from tests.support.stack import StackFactory
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
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterNodes]:
    """A Redis Cluster of 3 masters and 3 replicas, for the contract tests' third side."""
    cluster = RedisClusterNodes(tmp_path_factory.mktemp("redis-cluster"))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["one", "cluster"])
def any_redis_url(request: pytest.FixtureRequest) -> str:
    """The URL of this session's one Redis, then of its Redis Cluster (flushed): for the tests of
    what the projections write, which must hold on both."""
    from verifier.adapters.redis_client import connect_sync

    fixture = "redis_server" if request.param == "one" else "redis_cluster"
    url: str = request.getfixturevalue(fixture).url
    client = connect_sync(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture(scope="session")
def stacks(
    kafka_bootstrap: str, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> StackFactory:
    """Builds a module's stack (tests/support/stack.py): its settings, directories, processes."""
    return StackFactory(kafka_bootstrap, redis_server.url, tmp_path_factory)


@pytest.fixture
def settings(kafka_bootstrap: str, redis_server: RedisServer) -> Settings:
    """Fresh topics, consumer group and Redis contents for each test; a free port for gRPC."""
    return isolated_settings(kafka_bootstrap, redis_server.url)


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path
