"""The optional coverage-guided engine: the byte and text targets under libFuzzer (`atheris`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.fuzz.harness import ARTIFACTS, ROOT
from bench.fuzz.runner import KILL_SECONDS, TARGETS


def run_atheris(names: Sequence[str], counts: Mapping[str, int], seed: int) -> int:
    """Each byte- or text-input target under libFuzzer, one process each; structured targets are skipped."""
    try:
        import atheris  # noqa: F401 - only to tell the user early that the engine is missing
    except ImportError:
        print(
            "atheris is not installed: pip install atheris (optional, not a project dependency)",
            file=sys.stderr,
        )
        return 2
    failures = 0
    for name in names:
        if TARGETS[name].raw is None:
            print(f"{name}: structured input, skipped under atheris (the hypothesis engine covers it)")
            continue
        corpus = Path(tempfile.mkdtemp(prefix=f"bhyt-fuzz-{name}-"))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "bench.fuzz",
            "--atheris-child",
            name,
            str(corpus),
            f"-runs={counts[name]}",
            f"-seed={seed + 1}",
            f"-timeout={int(KILL_SECONDS)}",
            "-rss_limit_mb=2048",
            f"-artifact_prefix={ARTIFACTS}/{name}-atheris-",
            "-print_final_stats=1",
        ]
        print(f"{name}: {' '.join(command[2:])}", flush=True)
        try:
            done = subprocess.run(command, cwd=ROOT, check=False)
        finally:
            shutil.rmtree(corpus, ignore_errors=True)
        failures += done.returncode != 0
        print(f"{name}: {'CRASH' if done.returncode else 'no crash'} (exit {done.returncode})", flush=True)
    return 1 if failures else 0


def atheris_child(name: str, corpus: Path, libfuzzer_args: Sequence[str]) -> None:
    """Inside the child: seed the corpus with valid samples, instrument the loaded code, fuzz."""
    import atheris

    target = TARGETS[name]
    raw = target.raw
    assert raw is not None
    strategy = target.inputs()
    for index in range(64):  # a few generated inputs (valid samples mutated) as the starting corpus
        value = strategy.example() if index else None
        if isinstance(value, str):
            (corpus / f"seed-{index}").write_bytes(value.encode("utf-8", "surrogateescape"))
        elif isinstance(value, bytes):
            (corpus / f"seed-{index}").write_bytes(value)

    def one_input(data: bytes) -> None:
        target.run(raw(data))

    atheris.instrument_all()
    atheris.Setup([sys.argv[0], *libfuzzer_args, str(corpus)], one_input)
    atheris.Fuzz()
