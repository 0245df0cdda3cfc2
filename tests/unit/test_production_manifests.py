"""The production manifests (infra/production/kubernetes.yaml and strimzi.yaml) must agree with the
code: only settings the code reads, the Kafka version the tests run, the topics `ensure_topics`
would create, a Redis Cluster that REDIS_URL seeds and that runs the local launcher's tuning, a
PodDisruptionBudget for every workload, an autoscaler on the verifier, and no more projection
workers than partitions. No cluster runs here: these read the files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from redis.asyncio import RedisCluster

from infra.local.kafka import kafka_version
from infra.local.redis_server import READ_MODEL_TUNING
from verifier.adapters import kafka_log
from verifier.adapters.redis_client import connect, is_cluster_url
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


def resource(path: Path, kind: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in resources(path, kind) if r["metadata"]["name"] == name]
    return found


def redis_container() -> dict[str, Any]:
    (container,) = workload("redis")["spec"]["template"]["spec"]["containers"]
    return container


def redis_node_options() -> dict[str, str]:
    """The redis-server arguments of each node, option -> value (every option takes one value)."""
    args = [str(a) for a in redis_container()["args"]]
    options = dict(zip(args[::2], args[1::2], strict=True))
    assert all(o.startswith("--") for o in options), f"not option/value pairs: {args}"
    assert len(options) == len(args) // 2, "an option given twice"
    return options


def redis_pods() -> set[str]:
    """host:port of every pod of the StatefulSet redis, by its DNS name under the headless Service."""
    redis = workload("redis")
    assert redis["kind"] == "StatefulSet"
    (port,) = [p["containerPort"] for p in redis_container()["ports"] if p["name"] == "redis"]
    name, service = redis["metadata"]["name"], redis["spec"]["serviceName"]
    return {f"{name}-{i}.{service}:{port}" for i in range(redis["spec"]["replicas"])}


def cluster_create_job() -> tuple[dict[str, Any], str]:
    """The Job that creates the Redis Cluster: its container and its shell script."""
    job = resource(KUBERNETES, "Job", "redis-cluster-create")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"][:2] == ["sh", "-c"], container["command"]
    return container, container["command"][2]


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
    app_containers = [
        container
        for w in workloads()
        for container in w["spec"]["template"]["spec"]["containers"]
        if container["image"].startswith("bhyt-checkin:")  # not Redis's own (POD_NAME)
    ]
    assert len(app_containers) >= 2, "no application containers found"
    for container in app_containers:
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


# --- Redis Cluster -------------------------------------------------------------------------------


def test_redis_url_seeds_every_node_of_the_redis_cluster() -> None:
    """REDIS_URL is a cluster URL whose seeds, as `connect` reads them, are exactly the StatefulSet's
    pods under its headless Service; each node announces that same name to clients."""
    url = Settings.from_env(production_settings()).redis_url
    assert is_cluster_url(url), f"REDIS_URL is not a Redis Cluster URL: {url}"
    client = connect(url)  # connects at its first command: none here
    assert isinstance(client, RedisCluster)
    assert set(client.nodes_manager.startup_nodes) == redis_pods()
    redis = workload("redis")
    service = resource(KUBERNETES, "Service", redis["spec"]["serviceName"])
    assert service["spec"].get("clusterIP") == "None", "per-pod DNS names need a headless Service"
    assert service["spec"]["selector"].items() <= redis["spec"]["template"]["metadata"]["labels"].items()
    config_map = only(KUBERNETES, "ConfigMap")
    assert service["metadata"]["namespace"] == config_map["metadata"]["namespace"], "short names"
    options = redis_node_options()
    assert options["--cluster-announce-hostname"] == f"$(POD_NAME).{service['metadata']['name']}"
    assert options["--cluster-preferred-endpoint-type"] == "hostname"
    pod_name = {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
    assert pod_name in redis_container()["env"]


def test_redis_nodes_run_in_cluster_mode_with_the_local_tuning() -> None:
    options = redis_node_options()
    assert options["--cluster-enabled"] == "yes"
    mounts = {m["mountPath"] for m in redis_container()["volumeMounts"]}
    config_file = Path(options["--cluster-config-file"])
    assert any(config_file.is_relative_to(m) for m in mounts), f"{config_file} is lost on restart"
    assert options["--appendonly"] == "yes"
    tuning = dict(zip(READ_MODEL_TUNING[::2], READ_MODEL_TUNING[1::2], strict=True))
    assert tuning, "no tuning to compare"
    assert {o: options.get(o) for o in tuning} == tuning


def test_the_creation_job_joins_every_pod_into_masters_with_replicas() -> None:
    """`--cluster create` with `--cluster-replicas r` makes n / (1 + r) masters: a Redis Cluster
    needs 3 to vote a failover, and each master needs a replica for the budget below."""
    container, script = cluster_create_job()
    assert container["image"] == redis_container()["image"], "redis-cli of another version"
    env = {e["name"]: e["value"] for e in container["env"]}
    nodes = env["NODES"].split()
    assert len(nodes) == len(set(nodes)) and set(nodes) == redis_pods()
    (per_master,) = [int(r) for r in re.findall(r"--cluster-replicas (\d+)", script)]
    assert "--cluster create $NODES " in script
    replicas = workload("redis")["spec"]["replicas"]
    assert per_master >= 1 and replicas % (1 + per_master) == 0, f"{replicas} pods, {per_master}"
    assert replicas // (1 + per_master) >= 3, f"{replicas // (1 + per_master)} masters"
    # Re-applied, it creates nothing: the check for an existing cluster comes before the create.
    assert 0 <= script.find("cluster_known_nodes") < script.find("--cluster create")


def test_the_redis_disruption_budget_lets_one_node_go_at_a_time() -> None:
    """An evicted master's replica takes over, so one node may go; two could be a master and its
    replica."""
    budget = resource(KUBERNETES, "PodDisruptionBudget", "redis")
    labels = workload("redis")["spec"]["template"]["metadata"]["labels"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert budget["spec"].get("maxUnavailable") == 1 and "minAvailable" not in budget["spec"]


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
