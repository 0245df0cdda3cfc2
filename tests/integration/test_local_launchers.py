"""The Docker-free local stack really works: real JVM brokers and a real redis-server.

These tests start processes on free ports under ``tmp_path``; every fixture stops what it
started (and non-detached children die with the test process anyway), so nothing lingers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient

from infra.local.kafka import KafkaCluster
from infra.local.procs import pid_alive
from infra.local.redis_server import RedisServer


@pytest.fixture
def kafka1(tmp_path: Path) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(tmp_path / "kafka1")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def kafka3(tmp_path: Path) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(tmp_path / "kafka3", nodes=3)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    try:
        yield server
    finally:
        server.stop()


def _create_topic(
    bootstrap: str, topic: str, *, partitions: int, replication: int, configs: dict[str, str] | None = None
) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","))
    try:
        admin.create_topics(
            {
                topic: {
                    "num_partitions": partitions,
                    "replication_factor": replication,
                    "configs": configs or {},
                }
            },
            wait_for_metadata=True,
        )
    finally:
        admin.close()


def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", delivery_timeout_ms=60_000)
    try:
        for value in values:
            producer.send(topic, value=value, key=b"card-1").get(timeout=60)
    finally:
        producer.close()


def _consume(bootstrap: str, topic: str, partitions: int, expected: int) -> list[bytes]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None, enable_auto_commit=False)
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
        consumer.seek_to_beginning()
        values: list[bytes] = []
        deadline = time.monotonic() + 30
        while len(values) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values.extend(r.value for r in records)
        return values
    finally:
        consumer.close()


def test_single_node_kafka_round_trip_survives_restart(kafka1: KafkaCluster) -> None:
    bootstrap = kafka1.start()
    assert kafka1.is_ready()
    _create_topic(bootstrap, "checkins", partitions=1, replication=1)
    _produce(bootstrap, "checkins", [b"verified"])
    assert _consume(bootstrap, "checkins", 1, 1) == [b"verified"]

    kafka1.stop()
    assert not any(s["alive"] for s in kafka1.status())
    again = KafkaCluster(kafka1.state_dir)  # a fresh object: state must come from disk
    assert again.start() == bootstrap  # same ports, same formatted log
    assert _consume(bootstrap, "checkins", 1, 1) == [b"verified"]
    again.stop()


def test_redis_ping_persistence_and_detached_attach(redis_server: RedisServer, tmp_path: Path) -> None:
    url = redis_server.start()
    client = redis.Redis.from_url(url)
    assert client.ping()
    client.set("card:1", "ok")
    redis_server.restart()  # graceful: the AOF keeps the read model
    assert client.get("card:1") == b"ok"
    client.close()

    detached = RedisServer(tmp_path / "redis-detached", detach=True)
    try:
        detached.start()
        attached = RedisServer.attach(tmp_path / "redis-detached")
        assert attached.status()["alive"] and attached.url == detached.url
        attached.stop()
        assert not detached.status()["alive"]
    finally:
        detached.stop()


def test_three_node_cluster_tolerates_one_dead_node(kafka3: KafkaCluster) -> None:
    bootstrap = kafka3.start()
    _create_topic(bootstrap, "events", partitions=3, replication=3, configs={"min.insync.replicas": "2"})
    _produce(bootstrap, "events", [b"before"])

    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","))
    try:
        (topic,) = admin.describe_topics(["events"])
    finally:
        admin.close()
    leader = next(p["leader_id"] for p in topic["partitions"] if p["partition_index"] == 0)
    pid = next(s["pid"] for s in kafka3.status() if s["node_id"] == leader)
    kafka3.kill_node(leader)  # the partition leader: forces a failover, not just ISR shrink
    assert isinstance(pid, int) and not pid_alive(pid)

    _produce(bootstrap, "events", [b"during"])  # acks=all with 2 of 3 replicas in sync

    kafka3.restart_node(leader)
    assert kafka3.is_ready()
    assert sorted(_consume(bootstrap, "events", 3, 2)) == [b"before", b"during"]
