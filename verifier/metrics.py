"""The verifier's Prometheus metrics, and the /metrics HTTP port that serves them.

Process-local counters and histograms (prometheus-client; no I/O until scraped), defined once here
so that the names the alert rules and the dashboard in infra/production/ query are written in one
place (a test checks every query names one of `EXPORTED`). Labels stay bounded: a method, a gRPC
status, a verdict, a result code (a fixed table), a topic, a credential kind, a key id. Never a card
number, a person or a check-in id: those belong in the logs (verifier/logs.py).

Cost: a handful of lock-protected float additions per check-in, against about a millisecond of
CPU the check-in takes (measured in BENCHMARKS.md's terms by bench/checkin_service.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from wsgiref.simple_server import WSGIServer

from prometheus_client import Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)

# From 0.5 ms (an echo) to the 10 s publish timeout (an UNAVAILABLE answer).
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)
# CPU work in the verifier: a token is ~0.1-0.5 ms, a chip read a few ms.
CPU_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)

GRPC_REQUESTS = Counter(
    "bhyt_grpc_requests",
    "gRPC requests answered, by method, status, and (for check-ins) verdict and result code",
    ["method", "grpc_code", "verdict", "result_code"],
)
GRPC_DURATION = Histogram(
    "bhyt_grpc_request_duration_seconds",
    "Time from the request reaching the servicer to its answer (what the kiosk waits, minus the network)",
    ["method", "grpc_code"],
    buckets=LATENCY_BUCKETS,
)
EVENT_LOG_APPEND = Histogram(
    "bhyt_event_log_append_duration_seconds",
    "Time from handing an event to the Kafka producer to the broker's ack (acks=all)",
    ["topic"],
    buckets=LATENCY_BUCKETS,
)
EVENT_LOG_FAILURES = Counter(
    "bhyt_event_log_append_failures",
    "Events the log refused or did not confirm within the publish timeout (answered UNAVAILABLE)",
    ["topic"],
)
READ_MODEL_DURATION = Histogram(
    "bhyt_read_model_duration_seconds",
    "Redis round trips of the verifier's read model",
    ["operation"],
    buckets=LATENCY_BUCKETS,
)
READ_MODEL_FAILURES = Counter(
    "bhyt_read_model_failures", "Read-model calls that failed because Redis was unreachable", ["operation"]
)
TOKEN_VERIFY = Histogram(
    "bhyt_token_verify_duration_seconds",
    "CPU time to check a digital card token (framing, COSE signature, claims)",
    buckets=CPU_BUCKETS,
)
CHIP_VERIFY = Histogram(
    "bhyt_chip_verify_duration_seconds",
    "Time to verify a chip read (passive and active authentication, in a thread)",
    buckets=CPU_BUCKETS,
)
PROVISIONAL_VERDICTS = Counter(
    "bhyt_provisional_verdicts",
    "Check-ins admitted provisionally (read model down, credential authentic): the re-check finalises them",
    ["credential"],
)
TLS_NOT_AFTER = Gauge(
    "bhyt_tls_certificate_not_after_timestamp_seconds",
    "When the gRPC server's certificate expires (Unix time); absent when serving plaintext",
)
SIGNING_KEY_NOT_AFTER = Gauge(
    "bhyt_token_signing_key_not_after_timestamp_seconds",
    "When each card-token signing key's certificate expires (Unix time)",
    ["kid"],
)

# Every series name a query may use (counters get `_total`, histograms `_bucket`/`_sum`/`_count`).
EXPORTED = (
    GRPC_REQUESTS, GRPC_DURATION, EVENT_LOG_APPEND, EVENT_LOG_FAILURES, READ_MODEL_DURATION,
    READ_MODEL_FAILURES, TOKEN_VERIFY, CHIP_VERIFY, PROVISIONAL_VERDICTS, TLS_NOT_AFTER,
    SIGNING_KEY_NOT_AFTER,
)  # fmt: skip


def serve_metrics(listen: str) -> tuple[WSGIServer, int]:
    """Serve /metrics on `host:port` in a daemon thread (port 0: a free one); returns the server
    (to shut down) and its port. OSError when the port is taken, ValueError when `listen` is not
    host:port: the caller reports either as a start-up error naming the setting."""
    host, _, port = listen.rpartition(":")
    server, _thread = start_http_server(int(port), addr=host or "0.0.0.0")
    bound = int(server.server_port)
    log.info("metrics on http://%s:%d/metrics", host or "0.0.0.0", bound)
    return server, bound


def record_expiries(
    certificate_not_after: datetime | None, signing_keys: Iterable[tuple[str, datetime]]
) -> None:
    """Export what the expiry alerts watch: the server certificate and the signing keys in use.
    Called at start-up and after every key reload (a removed key's series goes away)."""
    if certificate_not_after is not None:
        TLS_NOT_AFTER.set(certificate_not_after.timestamp())
    SIGNING_KEY_NOT_AFTER.clear()
    for kid, not_after in signing_keys:
        SIGNING_KEY_NOT_AFTER.labels(kid).set(not_after.timestamp())
