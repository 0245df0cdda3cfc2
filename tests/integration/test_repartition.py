"""Changing a topic's partition count by copying it (`python -m verifier repartition`): on the real
broker, every record lands once, each key's records keep their order, and the source's retention
settings come along; a target that exists is refused, so a second run cannot double the log."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import uuid

from confluent_kafka.admin import AdminClient, ConfigResource
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.partitioner.default import murmur2

from verifier.adapters.kafka_log import scan_topic
from verifier.settings import Settings


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **settings.to_env()}
    return subprocess.run(
        [sys.executable, "-m", "verifier", "repartition", *args, "--no-progress"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_copy_keeps_every_record_once_and_each_key_in_order(settings: Settings) -> None:
    source, target = f"repart-{uuid.uuid4().hex[:8]}.v1", f"repart-{uuid.uuid4().hex[:8]}.v1-p5"
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        admin.create_topics(
            [NewTopic(source, num_partitions=2, replication_factor=1, topic_configs={"retention.ms": "-1"})]
        )
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    written = [(f"person-{i % 17}", f"person-{i % 17}:{i}") for i in range(600)]
    for key, value in written:
        producer.send(source, key=key.encode(), value=value.encode())
    producer.flush()
    producer.close()

    done = run_cli(settings, source, target, "--partitions", "5")
    assert done.returncode == 0, done.stderr
    assert '"records": 600' in done.stdout

    copied = list(scan_topic(settings.kafka_bootstrap, target))
    assert sorted(r.value.decode() for r in copied) == sorted(v for _, v in written)
    per_key: dict[str, list[int]] = collections.defaultdict(list)
    partitions_of: dict[str, set[int]] = collections.defaultdict(set)
    for r in sorted(copied, key=lambda r: (r.partition, r.offset)):
        key = r.key.decode()
        per_key[key].append(int(r.value.decode().split(":")[1]))
        partitions_of[key].add(r.partition)
    assert all(order == sorted(order) for order in per_key.values())  # each key in its written order
    # each key in one partition: the one Java's partitioner (and so every later producer) gives it
    assert {k: held for k, held in partitions_of.items()} == {
        k: {(murmur2(k.encode()) & 0x7FFFFFFF) % 5} for k in partitions_of
    }
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    assert len(consumer.partitions_for_topic(target) or ()) == 5
    consumer.close()
    assert _config(settings, target, "retention.ms") == "-1"

    again = run_cli(settings, source, target, "--partitions", "5")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert len(list(scan_topic(settings.kafka_bootstrap, target))) == 600


def test_a_missing_source_is_refused_by_name(settings: Settings) -> None:
    done = run_cli(settings, "no-such-topic.v1", "no-such-topic.v1-p3", "--partitions", "3")
    assert done.returncode == 2 and "no-such-topic.v1 does not exist" in done.stderr


def _config(settings: Settings, topic: str, name: str) -> str:
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return str(admin.describe_configs([resource])[resource].result(30)[name].value)
