"""The Docker-free local stack really works: real JVM brokers and a real redis-server.

These tests start processes on free ports under ``tmp_path``; every fixture stops what it
started (and non-detached children die with the test process anyway), so nothing lingers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager, suppress
from pathlib import Path

import grpc
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


@contextmanager
def _busy_grpc_client() -> Iterator[list[BaseException]]:
    """Make this process what a test process is: a gRPC client with calls in flight.

    Yields the errors its own calls met, which must stay empty: launching a service from here
    must not disturb the gRPC connections this process holds.
    """
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    echo = grpc.unary_unary_rpc_method_handler(lambda request, _context: request)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("bhyt.test.Echo", {"Ping": echo})])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    stop = threading.Event()
    errors: list[BaseException] = []

    def call_until_stopped() -> None:
        try:
            while not stop.is_set():
                with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                    ping = channel.unary_unary("/bhyt.test.Echo/Ping")
                    for _ in range(20):
                        ping(b"ping", timeout=30)
                # and a call that fails, like the test's own call to a verifier without broker
                with grpc.insecure_channel("127.0.0.1:1") as nobody, suppress(grpc.RpcError):
                    nobody.unary_unary("/bhyt.test.Echo/Ping")(b"ping", timeout=0.05)
        except BaseException as e:  # reported by the test, not lost in a thread
            errors.append(e)

    threads = [threading.Thread(target=call_until_stopped, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        yield errors
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        server.stop(grace=None)


def test_kafka_launch_from_a_grpc_client_process_always_reaches_exec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restarted node once "exited during start-up" with no log but a gRPC epoll error.

    The launcher forked from the test process (a gRPC client) with a ``preexec_fn``; gRPC's
    at-fork handlers then ran in the child and aborted it before exec, a few times in a hundred
    launches while calls are in flight (or deadlocked it, which the suite's timeout turns into a
    failure). A fake ``java`` that prints its pid makes each launch cheap and shows that the
    process behind ``node.process`` really is the program we started.
    """
    jdk = tmp_path / "jdk"
    (jdk / "bin").mkdir(parents=True)
    java = jdk / "bin" / "java"
    java.write_text('#!/bin/sh\necho "launched $$"\n')
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(jdk))
    cluster = KafkaCluster(tmp_path / "kafka", libs_dir=tmp_path)
    (node,) = cluster.nodes
    cluster._write_config(node)
    console = node.dir / "console.log"
    lost: list[str] = []
    with _busy_grpc_client() as grpc_errors:
        for attempt in range(300):
            cluster._launch(node)
            assert node.process is not None
            pid, code = node.process.pid, node.process.wait(timeout=30)
            output = console.read_text(errors="replace")
            console.unlink()
            cluster._reap(node)
            if code != 0 or output != f"launched {pid}\n":
                lost.append(f"launch {attempt}: exit {code}, console.log {output!r}")
    assert not lost, "\n".join(lost)
    assert not grpc_errors
