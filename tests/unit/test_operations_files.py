"""The operators' files in infra/production/: the alert rules pass Prometheus's own checker and
their unit tests, the scrape configuration loads, and the rules and the Grafana dashboard query
only metrics the verifier and the workers export (a renamed metric would silently empty a panel
or never fire an alert).

promtool comes from Debian's `prometheus` package, which `infra/stack test` installs: a missing
promtool fails these tests, it does not skip them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from projections import metrics as worker_metrics
from verifier import metrics as verifier_metrics

PRODUCTION = Path(__file__).resolve().parents[2] / "infra" / "production"
RULES = PRODUCTION / "prometheus-rules.yml"
DASHBOARD = PRODUCTION / "grafana-dashboard.json"
METRIC_NAME = re.compile(r"\bbhyt_[a-z0-9_]+")

# The series names each metric type exposes (prometheus-client's text format).
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
}


def exported_series() -> set[str]:
    names = set()
    for metric in (*verifier_metrics.EXPORTED, *worker_metrics.EXPORTED):
        for family in metric.describe():
            names |= {family.name + suffix for suffix in SUFFIXES[family.type]}
    return names


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool not found: install Debian's prometheus package (`infra/stack test` does)")
    return subprocess.run([path, *args], cwd=PRODUCTION, capture_output=True, text=True, timeout=60)


def test_alert_rules_pass_promtool() -> None:
    checked = promtool("check", "rules", RULES.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def test_alert_rules_fire_on_their_series_and_not_otherwise() -> None:
    tested = promtool("test", "rules", "prometheus-rules.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_scrape_configuration_loads_with_its_rules() -> None:
    checked = promtool("check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_rules_cover_what_operators_are_told_to_watch() -> None:
    text = RULES.read_text()
    for metric in (
        "bhyt_projection_consumer_lag",
        "bhyt_projection_lag_seconds_bucket",
        'bhyt_grpc_requests_total{grpc_code="UNAVAILABLE"}',
        "bhyt_projection_dead_letters_total",
        "bhyt_recheck_pending_checkins",
        "bhyt_provisional_verdicts_total",
        "bhyt_tls_certificate_not_after_timestamp_seconds",
        "bhyt_token_signing_key_not_after_timestamp_seconds",
    ):
        assert metric in text, f"no alert rule uses {metric}"


def test_every_alert_rule_names_only_exported_metrics() -> None:
    exported = exported_series()
    expressions = re.findall(r"expr: (?:>-\n)?((?:.+\n)+?)\s+(?:for|labels):", RULES.read_text())
    assert len(expressions) >= 10
    for expr in expressions:
        names = set(METRIC_NAME.findall(expr))
        assert names, f"a rule names no metric of ours: {expr}"
        assert names <= exported, f"not exported: {sorted(names - exported)} in {expr}"


def _targets(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    panels = list(dashboard["panels"])
    for row in dashboard["panels"]:  # panels folded into rows keep their own list
        panels.extend(row.get("panels", []))
    return [t for p in panels for t in p.get("targets", [])]


def test_dashboard_loads_and_every_query_names_an_exported_metric() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 30
    targets = _targets(dashboard)
    assert len(targets) >= 14
    exported = exported_series()
    for target in targets:
        names = set(METRIC_NAME.findall(target["expr"]))
        assert names, f"a panel query names no metric: {target['expr']}"
        assert names <= exported, f"not exported: {sorted(names - exported)} in {target['expr']}"
    shown = {n for t in targets for n in METRIC_NAME.findall(t["expr"])}
    families = {f.name for m in (*verifier_metrics.EXPORTED, *worker_metrics.EXPORTED) for f in m.describe()}
    unshown = {f for f in families if not any(s.startswith(f) for s in shown)}
    assert not unshown, f"exported but on no panel: {sorted(unshown)}"


def test_panel_ids_are_unique() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_consumer_lag_is_reported_for_the_partitions_held_only() -> None:
    """A partition handed to another worker must stop being reported here, or the sum over workers
    (what the alert adds up) would count it twice."""

    @dataclass(frozen=True)
    class TP:
        topic: str
        partition: int

    worker_metrics.record_consumer_lag({TP("c", 0): 120, TP("c", 1): 7}, {TP("c", 0): 100})
    assert _lag("c", "0") == 20 and _lag("c", "1") == 7  # nothing committed: from the start
    worker_metrics.record_consumer_lag({TP("c", 1): 9}, {TP("c", 1): 9})
    assert _lag("c", "0") is None and _lag("c", "1") == 0


def _lag(topic: str, partition: str) -> float | None:
    return REGISTRY.get_sample_value("bhyt_projection_consumer_lag", {"topic": topic, "partition": partition})
