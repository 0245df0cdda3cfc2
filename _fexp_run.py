import os, subprocess, sys, tempfile
from pathlib import Path
from datetime import UTC, datetime
from infra.local.kafka import KafkaCluster
from verifier.adapters.kafka_log import ensure_topics
from verifier.imports.run import run_import
from verifier.settings import Settings
tmp = Path(tempfile.mkdtemp())
k = KafkaCluster(tmp / "k", nodes=1); b = k.start()
s = Settings.from_env({}, kafka_bootstrap=b)
ensure_topics(s)
r = run_import(Path("/tmp/p100k.csv"), s, progress=False, clock=lambda: datetime.now(UTC))
for mode in ("take", "events"):
    env = {**os.environ, "MODE": mode, "B": b, "N": str(r.events_written - 1000)}
    out = subprocess.run([sys.executable, "_fexp.py", "-L", "uvloop", "worker", "-l", "warn", "--without-web"], env=env, capture_output=True, text=True, timeout=300)
    print([l for l in out.stdout.splitlines() if "events/s" in l] or out.stderr[-2000:])
k.stop()
