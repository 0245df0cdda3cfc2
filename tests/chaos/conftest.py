"""The chaos tests' counts, printed together at the end of the run (`-s` not needed)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.chaos import ScenarioResult, details, table

RESULTS: list[ScenarioResult] = []


@pytest.fixture
def chaos_results() -> list[ScenarioResult]:
    """Where a chaos test leaves its result for the summary."""
    return RESULTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if RESULTS:
        terminalreporter.section("chaos: faults under load")
        for line in [*table(RESULTS), "", *details(RESULTS)]:
            terminalreporter.write_line(line)
