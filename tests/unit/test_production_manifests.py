"""The production manifests (infra/production/kubernetes.yaml and strimzi.yaml) must agree with the
code: only settings the code reads, the Kafka version the tests run, the topics `ensure_topics`
would create, a PodDisruptionBudget for every workload, an autoscaler on the verifier, and no more
projection workers than partitions. No cluster runs here: these read the files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from infra.local.kafka import kafka_version
from verifier.adapters import kafka_log
from verifier.settings import Settings

PRODUCTION = Path(__file__).resolve().parents[2] / "infra" / "production"
KUBERNETES = PRODUCTION / "kubernetes.yaml"
STRIMZI = PRODUCTION / "strimzi.yaml"
MANIFESTS = (KUBERNETES, STRIMZI)

# Strimzi refuses these in a Kafka's spec.kafka.config and drops them with only a warning
# (KafkaClusterSpec.FORBIDDEN_PREFIXES and FORBIDDEN_PREFIX_EXCEPTIONS, Strimzi 0.4x).
STRIMZI_FORBIDDEN_PREFIXES = (
    "listeners", "advertised.", "broker.", "listener.", "host.name", "port", "inter.broker.listener.name",
    "sasl.", "ssl.", "security.", "password.", "log.dir", "zookeeper.connect", "zookeeper.set.acl",
    "zookeeper.ssl", "zookeeper.clientCnxnSocket", "authorizer.", "super.user",
    "cruise.control.metrics.topic", "cruise.control.metrics.reporter.bootstrap.servers",
    "node.id", "process.roles", "controller.", "metadata.log.dir",
)  # fmt: skip
STRIMZI_FORBIDDEN_EXCEPTIONS = (
    "zookeeper.connection.timeout.ms", "sasl.server.max.receive.size",
    "ssl.cipher.suites", "ssl.protocol", "ssl.enabled.protocols", "ssl.secure.random.implementation",
    "cruise.control.metrics.topic.num.partitions", "cruise.control.metrics.topic.replication.factor",
    "cruise.control.metrics.topic.retention.ms", "cruise.control.metrics.topic.auto.create.retries",
    "cruise.control.metrics.topic.auto.create.timeout.ms", "cruise.control.metrics.topic.min.insync.replicas",
    "controller.quorum.election.backoff.max.ms", "controller.quorum.election.timeout.ms",
    "controller.quorum.fetch.timeout.ms",
)  # fmt: skip


# --- the manifests -------------------------------------------------------------------------------


def resources(path: Path, kind: str) -> list[dict[str, Any]]:
    return [doc for doc in load_manifest(path.read_text()) if doc.get("kind") == kind]


def only(path: Path, kind: str) -> dict[str, Any]:
    found = resources(path, kind)
    assert len(found) == 1, f"{path.name}: expected one {kind}, found {len(found)}"
    return found[0]


def production_settings() -> dict[str, str]:
    """The ConfigMap every application pod takes its environment from."""
    data = only(KUBERNETES, "ConfigMap")["data"]
    assert all(isinstance(v, str) for v in data.values()), "ConfigMap values must be strings: quote them"
    return data


def workloads() -> list[dict[str, Any]]:
    return [*resources(KUBERNETES, "Deployment"), *resources(KUBERNETES, "StatefulSet")]


def workload(name: str) -> dict[str, Any]:
    (found,) = [w for w in workloads() if w["metadata"]["name"] == name]
    return found


def strimzi_topics() -> dict[str, tuple[int, int, dict[str, str]]]:
    """Each KafkaTopic: its topic name -> (partitions, replicas, configs as Kafka strings)."""
    topics = {}
    for topic in resources(STRIMZI, "KafkaTopic"):
        spec = topic["spec"]
        name = spec.get("topicName", topic["metadata"]["name"])
        configs = {k: str(v) for k, v in (spec.get("config") or {}).items()}
        topics[name] = (spec["partitions"], spec["replicas"], configs)
    return topics


def topics_ensure_topics_creates(settings: Settings) -> dict[str, tuple[int, int, dict[str, str]]]:
    """What `ensure_topics` creates on an empty cluster (`kafka_log.topic_specs`)."""
    return {
        t.name: (t.num_partitions, t.replication_factor, dict(t.topic_configs))
        for t in kafka_log.topic_specs(settings)
    }


# --- settings ------------------------------------------------------------------------------------


def test_every_application_setting_in_the_manifests_is_read_by_settings() -> None:
    known = set(Settings().to_env())
    named = set(production_settings())
    for w in workloads():
        for container in w["spec"]["template"]["spec"]["containers"]:
            named |= {e["name"] for e in container.get("env", ())}
    # Settings mentioned anywhere, comments too: a renamed setting leaves no stale name behind.
    for path in MANIFESTS:
        named |= set(re.findall(r"\bBHYT_[A-Z0-9_]+", path.read_text()))
    assert "BHYT_TOPIC_PARTITIONS" in named and "KAFKA_BOOTSTRAP" in named, "no settings found"
    assert named <= known, f"not read by Settings: {sorted(named - known)}"


def test_the_application_connects_to_the_strimzi_cluster_on_its_plaintext_listener() -> None:
    """The application has no Kafka TLS setting: KAFKA_BOOTSTRAP must be the Strimzi bootstrap
    Service on a listener without TLS."""
    kafka = only(STRIMZI, "Kafka")
    plain_ports = {
        listener["port"]
        for listener in kafka["spec"]["kafka"]["listeners"]
        if listener["type"] == "internal" and not listener["tls"]
    }
    service = f"{kafka['metadata']['name']}-kafka-bootstrap"
    for address in Settings.from_env(production_settings()).kafka_bootstrap.split(","):
        host, _, port = address.rpartition(":")
        assert host in (service, f"{service}.{kafka['metadata']['namespace']}.svc"), address
        assert int(port) in plain_ports, f"{address}: not a plaintext listener of {sorted(plain_ports)}"


# --- Kafka under Strimzi -------------------------------------------------------------------------


def test_strimzi_runs_the_kafka_version_the_tests_run() -> None:
    assert only(STRIMZI, "Kafka")["spec"]["kafka"]["version"] == kafka_version()
    for path in MANIFESTS:  # and no hand-made broker on another version
        for image in re.findall(r"apache/kafka:(\S+)", path.read_text()):
            assert image == kafka_version(), f"{path.name} runs apache/kafka:{image}"


def test_the_kafka_cluster_is_kraft_with_three_nodes_and_durable_defaults() -> None:
    kafka = only(STRIMZI, "Kafka")
    assert kafka["apiVersion"] == "kafka.strimzi.io/v1beta2"
    assert kafka["metadata"]["annotations"] == {
        "strimzi.io/node-pools": "enabled",
        "strimzi.io/kraft": "enabled",
    }
    config = kafka["spec"]["kafka"]["config"]
    assert (config["default.replication.factor"], config["min.insync.replicas"]) == (3, 2)
    assert any(listener["tls"] for listener in kafka["spec"]["kafka"]["listeners"]), "no TLS listener"
    pools = resources(STRIMZI, "KafkaNodePool")
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"] for p in pools)
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    controllers = sum(p["spec"]["replicas"] for p in pools if "controller" in p["spec"]["roles"])
    assert brokers >= 3, "replication 3 needs 3 brokers"
    assert controllers >= 3 and controllers % 2 == 1, "a KRaft quorum that survives one loss: 3, 5, ..."
    for pool in pools:
        assert pool["spec"]["storage"]["type"] == "persistent-claim"
        assert pool["spec"]["storage"]["deleteClaim"] is False


def test_the_kafka_config_sets_no_option_strimzi_drops() -> None:
    config = only(STRIMZI, "Kafka")["spec"]["kafka"]["config"]
    dropped = [
        key
        for key in config
        if key.startswith(STRIMZI_FORBIDDEN_PREFIXES) and key not in STRIMZI_FORBIDDEN_EXCEPTIONS
    ]
    assert not dropped, f"Strimzi ignores these options: {dropped}"


def test_every_kafka_topic_is_the_one_ensure_topics_creates() -> None:
    """With the production settings, `ensure_topics` would create exactly the KafkaTopics: the same
    names, partitions, replication and configs (so the verifier finds them and creates nothing)."""
    kafka_name = only(STRIMZI, "Kafka")["metadata"]["name"]
    for topic in resources(STRIMZI, "KafkaTopic"):
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka_name, topic["metadata"]["name"]
    settings = Settings.from_env(production_settings())
    assert strimzi_topics() == topics_ensure_topics_creates(settings)


def test_the_kafka_topics_carry_the_default_topic_names() -> None:
    """The ConfigMap renames no topic: the KafkaTopics are the names of `Settings()` defaults."""
    assert set(strimzi_topics()) == set(topics_ensure_topics_creates(Settings()))


# --- the application -----------------------------------------------------------------------------


def test_projection_workers_do_not_outnumber_partitions() -> None:
    """Faust gives each partition to one worker of the group: a worker beyond the partition count
    of the topics it consumes idles."""
    settings = Settings.from_env(production_settings())
    topics = strimzi_topics()
    partitions = min([settings.topic_partitions, *(topics[name][0] for name in settings.topics)])
    replicas = workload("projections")["spec"]["replicas"]
    assert 1 <= replicas <= partitions, f"{replicas} projection workers, {partitions} partitions"


def test_every_workload_has_a_disruption_budget_selecting_its_pods() -> None:
    budgets = resources(KUBERNETES, "PodDisruptionBudget")
    for w in workloads():
        labels = w["spec"]["template"]["metadata"]["labels"]
        selecting = [
            b
            for b in budgets
            if b["metadata"]["namespace"] == w["metadata"]["namespace"]
            and b["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(selecting) == 1, f"{w['kind']} {w['metadata']['name']}: {len(selecting)} budgets"
    for b in budgets:
        assert ("minAvailable" in b["spec"]) != ("maxUnavailable" in b["spec"]), b["metadata"]["name"]


def test_the_autoscaler_scales_the_verifier_on_cpu() -> None:
    hpa = only(KUBERNETES, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == ("apps/v1", "Deployment", "verifier")
    verifier = workload("verifier")
    assert verifier["kind"] == "Deployment"
    assert verifier["metadata"]["namespace"] == hpa["metadata"]["namespace"]
    assert "replicas" not in verifier["spec"], "the autoscaler owns the count; apply would reset it"
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    for container in verifier["spec"]["template"]["spec"]["containers"]:  # utilisation is of requests
        assert container["resources"]["requests"]["cpu"], container["name"]
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def load_manifest(text: str) -> list[dict[str, Any]]:
    """The documents of a multi-document YAML file (empty ones left out)."""
    return [doc for doc in yaml.safe_load_all(text) if doc]
