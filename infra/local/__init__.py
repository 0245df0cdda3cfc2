"""Launch Kafka (KRaft, from Maven Central jars) and redis-server as plain local processes.

Docker is not available where this project is developed and graded, so the "stack" is a set of
JVM / redis processes whose state (ports, cluster id, pids, data) lives in a state directory.
That keeps restarts honest: a restarted broker finds its own log again.
"""

from infra.local.kafka import KafkaCluster, KafkaNode, install_kafka, kafka_version
from infra.local.redis_server import RedisServer

__all__ = ["KafkaCluster", "KafkaNode", "RedisServer", "install_kafka", "kafka_version"]
