"""`bench/his_load.py` at a low rate for a few seconds: the bench itself works (its own stack comes up,
vegeta attacks over HTTPS, the answers are decoded and found on the log), so the figure in
BENCHMARKS.md can be reproduced. It says nothing about speed: the real run is 300/s for 30 s.

vegeta is a Go tool, not a Python dependency: `infra/stack test` installs it; without it this test
fails with the command that installs it (never a skip counted as a pass).
"""

from __future__ import annotations

import pytest

from bench.his_load import BenchError, find_vegeta, measure


def test_the_his_load_bench_reports_a_p99_and_every_answer_000() -> None:
    try:
        vegeta = find_vegeta()
    except BenchError as e:
        pytest.fail(str(e))
    measured = measure(20, "3s", warmup="1s", vegeta=vegeta)
    outcome, log = measured.outcome, measured.log
    assert outcome.requests == 60
    assert 0 < outcome.latency_ms("99th") <= outcome.latency_ms("max")
    assert outcome.codes == {"000": 60} and outcome.ok_ratio == 1.0
    assert log.answered == 60 + 20 and log.matched == log.answered == log.logged  # and the 1 s warm-up
    assert (log.missing, log.duplicated, log.unanswered) == (0, 0, 0)
