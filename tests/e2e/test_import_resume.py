"""The import command as an operator runs it: Ctrl-C stops at a batch, the same command resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from bhyt.v1.events_pb2 import EventEnvelope

from infra.local.procs import wait_until
from infra.population import write as write_population
from tests.support.kafka_state import all_records
from verifier.imports.ledger import latest_checkpoint
from verifier.imports.run import file_sha256
from verifier.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ROWS = 100_000


def test_interrupted_import_resumes_without_loss_or_duplicates(settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    write_population(source, ROWS, seed=7, progress=False)
    sha = file_sha256(source)
    env = {**os.environ, **settings.to_env()}
    command = [sys.executable, "-m", "verifier", "import", str(source), "--batch", "500", "--no-progress"]

    first = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )

    def checkpointed() -> bool:
        cp = latest_checkpoint(settings.kafka_bootstrap, settings.topic_imports, sha)
        return cp is not None and cp.lines_done > 0

    wait_until(checkpointed, timeout=120, interval=0.5, what="first checkpoint")
    first.send_signal(signal.SIGINT)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 130, err
    assert "run the same command to resume" in err
    stopped = latest_checkpoint(settings.kafka_bootstrap, settings.topic_imports, sha)
    assert stopped is not None and 0 < stopped.lines_done < ROWS and not stopped.completed
    assert stopped.lines_done % 500 == 0  # stopped at a batch boundary

    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout.splitlines()[-1])
    assert report["rows_done"] == ROWS and report["rows_rejected"] == 0

    ids = [EventEnvelope.FromString(v).event_id for v in all_records(settings, settings.topic_participation)]
    assert len(ids) == len(set(ids)) == report["events_written"]  # nothing lost, nothing twice

    third = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert third.returncode == 0 and "already imported" in third.stderr
    assert len(all_records(settings, settings.topic_participation)) == len(ids)
