"""The ghz cross-check end to end in its short form (`python -m bench.ghz_crosscheck` is the full one):
on one stack, ghz and our own load generator both got answers to every call, the answers to
check-ins were verdicts (one check-in on the log per OK answer), and the report tells them apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.ghz_crosscheck import ECHO, GHZ_INSTALL, TOKEN, TYPED, Config, find_ghz, main, report, run

GHZ = find_ghz()


def test_ghz_and_our_generator_get_verdicts_for_every_call(tmp_path: Path) -> None:
    # `infra/stack test` installs ghz; without it this fails with the command (never a skip).
    assert GHZ is not None, f"ghz is not installed: {GHZ_INSTALL}"
    # Low counts: 1 s per run, a few hundred cards and tokens, one fixed rate.
    config = Config(seconds=1, rates=(40,), typed_per_s=300, tokens_per_s=150, warmup_s=1)

    results = run(config, tmp_path, GHZ)

    by = {(r.phase.name, r.tool): r for r in results}
    assert set(by) == {
        (name, tool)
        for name in (ECHO, TYPED, TOKEN, f"{TYPED} at 40/s")
        for tool in ("ghz", "ours")
    }
    for (name, tool), result in by.items():
        assert result.count > 0, (name, tool)
        assert result.statuses == {"OK": result.count}, (name, tool, result.statuses)
        if name != ECHO:
            assert sum(result.logged.values()) == result.ok, (name, tool, result.logged)
            assert set(result.logged) == {"accepted 000"}, (name, tool, result.logged)
    assert by[(f"{TYPED} at 40/s", "ghz")].count == by[(f"{TYPED} at 40/s", "ours")].count == 40
    table = "\n".join(report(results, config))
    assert f"| {TYPED} at 40/s |" in table and "ours ÷ ghz" in table


def test_without_ghz_the_bench_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))

    assert main([]) == 2
    assert GHZ_INSTALL in capsys.readouterr().err
