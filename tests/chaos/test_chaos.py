"""Faults without loss, the reduced form of `python -m bench.chaos` (README, "Chaos testing").

Each scenario runs its own verifier(s) and Faust worker(s) on its own topics (a on a 3-node cluster
of its own; b, c and d take turns on one broker and one Redis; e, f and g on the cluster layout:
3 Kafka nodes, a Redis Cluster of 3 masters and 3 replicas, 2 verifiers sharing the port and 2
workers; each restoring what it killed), with check-in load over gRPC while
  a  one broker of a 3-node cluster (replication 3, min.insync.replicas 2) is SIGKILLed and restarted,
  b  the only broker is SIGKILLed and restarted,
  c  the Faust worker is SIGKILLed and replaced,
  d  Redis is SIGKILLed and restarted on its port and data,
  e  a Redis Cluster master is SIGKILLed (its replica takes over) and restarted as a replica,
  f  a third worker joins (partitions move),
  g  one of the two verifiers is SIGKILLed and restarted (its kiosks reconnect to the other).
Then every answered check-in must be on the log exactly once, every projection must equal a clean
rebuild, every provisional verdict must be finalised, and the only error allowed is UNAVAILABLE
while the verifier cannot record (b) or read (d, e), or for a request the killed verifier held (g).
The counts are printed at the end of the run (see conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.chaos import (
    SCENARIOS,
    Attempt,
    ChaosConfig,
    ScenarioResult,
    Services,
    differing_keys,
    run_scenario,
    services,
    unordered,
)

# Short and slow enough for CI on 2 cores; `python -m bench.chaos` runs the full form.
CI = ChaosConfig(duration_s=12, rate=15, threads=4, people=80, chip_people=10, publish_timeout_s=3)


@pytest.fixture(scope="module")
def cluster_layout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """3 Kafka nodes and a Redis Cluster of 6 nodes that e, f and g take turns on."""
    with services(tmp_path_factory.mktemp("chaos-cluster"), kafka_nodes=3, redis_nodes=6) as base:
        yield base


@pytest.fixture(scope="module")
def single_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """One Kafka broker and one Redis that b, c and d take turns on (each with its own topics,
    verifier and worker; each restores what it killed): one start-up instead of three."""
    with services(tmp_path_factory.mktemp("chaos-services"), kafka_nodes=1) as base:
        yield base


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_no_answered_check_in_is_lost_or_duplicated_and_projections_equal_a_rebuild(
    name: str, tmp_path: Path, request: pytest.FixtureRequest, chaos_results: list[ScenarioResult]
) -> None:
    scenario = SCENARIOS[name]
    base: Services | None = None  # a brings its own 3-node cluster
    if scenario.layout == "cluster":
        base = request.getfixturevalue("cluster_layout")
    elif scenario.kafka_nodes == 1:
        base = request.getfixturevalue("single_node")
    result = run_scenario(name, tmp_path, CI, base=base)
    chaos_results.append(result)

    assert len(result.answered) >= 50, "the load did not run"
    assert result.lost == 0
    assert result.log_duplicates == 0
    assert result.answered_otherwise == 0  # the verdict answered is the verdict recorded
    assert result.logged == len(result.answered) + result.unanswered_logged
    assert result.unanswered_logged <= len(result.errors)
    assert (result.projection_duplicates, result.projection_missing, result.dead_letters) == (0, 0, 0)
    assert all(result.keys_compared.values()), result.keys_compared
    assert {k: v for k, v in result.rebuild_differences.items() if v} == {}
    assert not result.other_errors
    if scenario.unavailable_allowed:
        assert all(result.in_fault(a) for a in result.errors)
    else:
        assert result.errors == []
    assert result.provisional_unfinalised == 0 and result.finalised_differently == 0
    assert result.stalls == []
    assert result.problems() == []


def test_the_verdict_on_a_run_catches_loss_duplicates_and_errors_out_of_place() -> None:
    """The checks above are only as good as `problems()`: it must name each broken promise."""
    answered = [
        Attempt("typed", 1.0, 1.1, check_in_id=f"id-{i}", verdict="VERDICT_ACCEPTED") for i in range(3)
    ]
    late_error = Attempt("typed", 30.0, 33.0, status="UNAVAILABLE", details="101 event log did not confirm")
    other_error = Attempt("token", 12.0, 12.5, status="INTERNAL", details="500")
    late_provisional = Attempt("token", 40.0, 40.1, check_in_id="id-9", verdict="VERDICT_PROVISIONAL")
    result = window(ScenarioResult(SCENARIOS["b"], [*answered, late_error, other_error, late_provisional]))
    result.lost, result.log_duplicates, result.projection_duplicates = 1, 1, 2
    result.rebuild_differences = {"usage": ["u:{4016354956}"]}
    result.keys_compared = {"usage": 3, "face": 0}
    result.provisional_unfinalised, result.stalls = 1, ["answers after the recovery not ready after 70s"]
    result.answered_otherwise = 1
    problems = "\n".join(result.problems())
    for expected in (
        "1 answered check-in(s) missing from the log",
        "1 answered check-in(s) on the log more than once",
        "2 too many",
        "usage differs from a rebuild in 1 key(s)",
        "nothing to compare with a rebuild in ['face']",
        "errors other than UNAVAILABLE",
        "1 UNAVAILABLE answer(s) outside the fault",
        "1 provisional verdict(s) outside the fault",
        "1 provisional check-in(s) never finalised",
        "stalled: answers after the recovery",
        "1 check-in(s) answered otherwise than recorded",
    ):
        assert expected in problems
    assert "where none is allowed" not in problems  # b allows UNAVAILABLE while the broker is down
    only_early = "\n".join(window(ScenarioResult(SCENARIOS["a"], [*answered, late_error])).problems())
    assert "where none is allowed" in only_early
    assert "no check-in was answered after the recovery" in only_early
    assert "no check-in was answered while the fault lasted" in only_early


def window(result: ScenarioResult) -> ScenarioResult:
    """Fault at 10 s, restore begun at 15 s and done at 20 s, 5 s of grace after it."""
    result.fault_at, result.restore_at, result.restored_at, result.grace_s = 10.0, 15.0, 20.0, 5.0
    return result


def test_a_rebuild_comparison_sees_order_aside_but_not_a_different_fact() -> None:
    """Monitor state is compared order aside (`unordered`); a different incident still differs."""
    live = {"m:c:{1}": {"s": unordered({"i": [{"id": "a", "rev": 2}, {"id": "b", "rev": 1}]})}}
    same = {"m:c:{1}": {"s": unordered({"i": [{"id": "b", "rev": 1}, {"id": "a", "rev": 2}]})}}
    other = {"m:c:{1}": {"s": unordered({"i": [{"id": "b", "rev": 1}, {"id": "a", "rev": 3}]})}}
    assert differing_keys(live, same) == []
    assert differing_keys(live, other) == ["m:c:{1}"]
    assert differing_keys(live, {}) == ["m:c:{1}"]
