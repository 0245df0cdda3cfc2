"""The production manifests must only set settings the code reads, and pin the Kafka we test with."""

import re
from pathlib import Path

from infra.local.kafka import kafka_version
from verifier.settings import Settings

MANIFEST = Path(__file__).resolve().parents[2] / "infra" / "production" / "kubernetes.yaml"


def test_every_application_setting_in_the_manifest_is_read_by_settings() -> None:
    known = set(Settings().to_env())
    config = MANIFEST.read_text().split("kind: ConfigMap", 1)[1].split("---", 1)[0]
    named = set(re.findall(r"^\s+([A-Z_]+):", config, re.M))
    named |= set(re.findall(r"name: (BHYT_[A-Z_]+)", MANIFEST.read_text()))
    assert named, "no settings found in the ConfigMap"
    assert named <= known, f"not read by Settings: {sorted(named - known)}"


def test_manifest_runs_the_kafka_version_the_tests_run() -> None:
    assert f"apache/kafka:{kafka_version()}" in MANIFEST.read_text()
