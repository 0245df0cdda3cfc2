"""One typed settings object for every process: defaults <- environment <- explicit overrides.

Built at start-up by the entry points, never at import, so tests and the local stack can run
several differently configured processes side by side.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

_DEFAULT_FACILITIES = Path(__file__).parent / "data" / "facilities.csv"
_DEFAULT_RULES = Path(__file__).parent / "data" / "rules.toml"
DEFAULT_KEK_FILE = (
    Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    / "bhyt"
    / "key-encryption-keys"
)

# Environment names that differ from BHYT_<FIELD>: the conventional names operators expect.
_ENV_ALIASES = {"kafka_bootstrap": "KAFKA_BOOTSTRAP", "redis_url": "REDIS_URL"}


@dataclass(frozen=True)
class Settings:
    kafka_bootstrap: str = "127.0.0.1:9092"
    redis_url: str = "redis://127.0.0.1:6379/0"
    grpc_listen: str = "127.0.0.1:50051"
    # mTLS for every gRPC client (see README "Security"): the server's certificate chain and key,
    # the CA that issues client certificates, and its CRL (re-read when the file changes).
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_client_ca_file: str = ""
    tls_crl_file: str = ""
    # 1 = serve gRPC without TLS and take facility and kiosk from the request body: development and
    # tests only. Without it, a verifier with no TLS files refuses to start.
    insecure_plaintext: int = 0
    topic_participation: str = "bhyt.participation.v1"
    topic_checkins: str = "bhyt.checkins.v1"
    topic_imports: str = "bhyt.imports.v1"  # bulk-import checkpoints (compacted), see verifier/imports
    topic_partitions: int = 6
    topic_replication: int = 1
    topic_min_insync_replicas: int = 1
    # Longest a kiosk waits for the broker's ack before it is told UNAVAILABLE.
    publish_timeout_s: float = 10.0
    producer_linger_ms: int = 2
    facilities_file: Path = _DEFAULT_FACILITIES
    projection_group: str = "bhyt-projections"
    projection_batch_size: int = 500
    projection_batch_window_s: float = 0.02
    # A worker's fetches wait for this much data, or this long: fewer, larger fetches cost the
    # worker and the broker less per event (BENCHMARKS.md), at up to the wait in projection lag.
    projection_fetch_min_bytes: int = 65536
    projection_fetch_max_wait_s: float = 0.03
    # How soon the group notices a crashed worker and hands its partitions to the others.
    projection_session_timeout_s: float = 10.0
    recent_usage_size: int = 20
    # Digital card tokens (see verifier/tokens). The keys directory holds `<name>.key.pem` +
    # `<name>.cert.pem` signing pairs and any further trusted certificates; empty = none.
    token_keys_dir: str = ""
    token_prefix: str = "BHYT1:"
    token_extra_prefixes: str = ""  # comma-separated further prefixes accepted at check-in
    token_issuer: str = "VN-BHXH"
    token_lifetime_s: int = 300
    token_clock_skew_s: int = 30
    token_max_chars: int = 4096
    token_max_decompressed_bytes: int = 16384
    topic_trust: str = "bhyt.trust.v1"  # signing keys trusted or revoked by administrators
    topic_face_matches: str = "bhyt.face-matches.v1"
    # Chip IDs (see verifier/chip): a directory of CSCA certificates, master lists and CRLs.
    chip_trust_dir: str = ""
    chip_challenge_ttl_s: int = 120
    chip_require_crl: int = 0  # 1: refuse a DS whose revocation status no current CRL covers
    # Face match: the facility's threshold decides, never the kiosk's. "40-001=0.85,01-C54=0.9".
    face_match_threshold: float = 0.8
    face_match_thresholds: str = ""
    # Misuse monitoring (see projections/monitor): rules, thresholds and windows from a TOML file.
    topic_alerts: str = "bhyt.alerts.v1"
    # Accounts (HIS gateway, dashboard) and registered staff, as events (see verifier/service/accounts.py).
    topic_accounts: str = "bhyt.accounts.v1"
    # Personal data (README "Personal data"): personal fields are sealed under per-person data keys,
    # kept on a compacted topic and wrapped by key-encryption keys from `kek_file` (created, 0600,
    # on first use when absent; in production a mounted secret). 0: written in clear, as schema 1.
    seal_personal_data: int = 1
    topic_data_keys: str = "bhyt.person-keys.v1"
    kek_file: Path = DEFAULT_KEK_FILE
    # How soon an erased key's records can be compacted away: the cleaner only cleans closed
    # segments, and a tombstone stays readable for `delete.retention.ms` so every reader sees it.
    data_keys_segment_ms: int = 3_600_000
    data_keys_delete_retention_ms: int = 86_400_000
    # The retention policy (`python -m verifier person retention`): people whose coverage ended (card
    # expired or participation reduced) more than this many years ago are erased.
    retention_years: int = 10
    account_token_lifetime_s: int = 3600  # access and id tokens of /api/token/take
    # Failed logins: `login_failure_limit` per account (or `login_address_failure_limit` per client
    # address: one hospital's HIS machines often share one address) within `login_failure_window_s`
    # lock that account (address) for `login_lockout_s`.
    login_failure_limit: int = 5
    login_address_failure_limit: int = 20
    login_failure_window_s: int = 900
    login_lockout_s: int = 900
    rules_file: Path = _DEFAULT_RULES
    # The staff dashboard, same process as the gRPC server: HTTPS with the gRPC server certificate
    # (plain HTTP with insecure_plaintext); empty = not served.
    dashboard_listen: str = "127.0.0.1:8080"
    # The HIS gateway (VSS's card-check HTTP contract, verifier/entrypoints/his), same process:
    # HTTPS with the gRPC server certificate (plaintext with insecure_plaintext); empty = not served.
    his_listen: str = "127.0.0.1:8443"
    alerts_recent_size: int = 10000  # how many alerts the read model lists, newest first
    # Server processes sharing the gRPC port (SO_REUSEPORT): Python runs one core per process, and a
    # check-in is CPU work (protobuf, crypto, the Kafka client). The kernel spreads connections.
    server_processes: int = 1
    grpc_reuse_port: int = 0  # set for each process by `serve` when there are several
    server_loop: str = "uvloop"  # "uvloop" or "asyncio"
    # Prometheus /metrics (README "Operations"), "host:port"; empty = not served. `serve --processes
    # N` gives process i the port + i; `infra/stack up` picks a free port per worker.
    metrics_listen: str = ""
    worker_metrics_listen: str = ""
    log_format: str = "text"  # "text", or "json": one JSON object per line (verifier/logs.py)
    # 1: a line per answered request (verifier.access) and per applied check-in (projections.applied),
    # how a check-in is followed through the logs; ~20 µs of CPU each (bench/metrics_overhead.py).
    access_log: int = 1
    worker_id: str = ""
    producer_name: str = "verifier"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then `BHYT_<FIELD>` (or the alias) from the environment, then `overrides`."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = _ENV_ALIASES.get(f.name, f"BHYT_{f.name.upper()}")
            if name in env:
                values[f.name] = _convert(f, env[name])
        values.update(overrides)
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """The environment that makes `from_env` rebuild these settings in a child process."""
        return {
            _ENV_ALIASES.get(f.name, f"BHYT_{f.name.upper()}"): str(getattr(self, f.name))
            for f in fields(self)
        }

    def with_(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @property
    def topics(self) -> tuple[str, ...]:
        """The partitioned topics the projection workers consume."""
        return (
            self.topic_participation,
            self.topic_checkins,
            self.topic_face_matches,
            self.topic_alerts,
            self.topic_accounts,
        )


def _convert(f: dataclasses.Field[Any], raw: str) -> Any:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "str")
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw)
    except ValueError as e:
        raise ValueError(f"setting {f.name}: cannot read {raw!r} as {kind}") from e
    return raw
