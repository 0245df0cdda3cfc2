"""Settings that give a test (or a test module) its own topics, consumer group and gRPC port."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

from infra.local.procs import free_port
from verifier.adapters.kafka_log import ensure_topics
from verifier.adapters.key_encryption import add_key
from verifier.adapters.redis_client import connect_sync
from verifier.settings import Settings


def isolated_settings(
    kafka_bootstrap: str, redis_url: str, *, prefix: str = "test", **overrides: Any
) -> Settings:
    """Every topic named uniquely (so no two tests ever share one), Redis flushed, topics created."""
    run = f"{prefix}-{uuid.uuid4().hex[:8]}"
    client = connect_sync(redis_url)
    client.flushdb()
    client.close()
    values: dict[str, Any] = {
        "kafka_bootstrap": kafka_bootstrap,
        "redis_url": redis_url,
        "grpc_listen": f"127.0.0.1:{free_port()}",
        "topic_participation": f"{run}.participation.v1",
        "topic_checkins": f"{run}.checkins.v1",
        "topic_imports": f"{run}.imports.v1",
        "topic_trust": f"{run}.trust.v1",
        "topic_face_matches": f"{run}.face-matches.v1",
        "topic_alerts": f"{run}.alerts.v1",
        "topic_accounts": f"{run}.accounts.v1",
        "topic_data_keys": f"{run}.person-keys.v1",
        "dashboard_listen": "",
        "his_listen": "",
        "topic_partitions": 4,
        "projection_group": f"{run}-projections",
        "publish_timeout_s": 5.0,
        # The development flag, explicitly: tests of the check-in logic talk plaintext. The mTLS and
        # authorization tests (tests/integration/test_mtls.py) override it with real certificates.
        "insecure_plaintext": 1,
    }
    # A key-encryption key file of the run's own, made before any process starts.
    kek_file = Path(tempfile.mkdtemp(prefix="bhyt-kek-")) / "key-encryption-keys"
    add_key(kek_file)
    values["kek_file"] = kek_file
    settings = Settings(**{**values, **overrides})
    ensure_topics(settings)
    return settings
