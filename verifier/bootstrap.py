"""Wiring: build the adapters from settings, hand them to the service, start the gRPC server."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import redis.asyncio as aioredis
from grpc_health.v1 import health, health_pb2
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from verifier.adapters.alert_feed import AlertFeed
from verifier.adapters.alert_store import AlertStore
from verifier.adapters.challenges import RedisChallengeStore
from verifier.adapters.facility_stats import RedisFacilityStats
from verifier.adapters.kafka_log import KafkaEventLog, ensure_topics
from verifier.adapters.read_model import RedisReadModel
from verifier.adapters.replay_guard import RedisReplayGuard
from verifier.adapters.trust_feed import TrustFeed
from verifier.chip import CscaTrustStore, TrustSources
from verifier.dashboard import RunningDashboard, start_dashboard
from verifier.domain.face_match import FacePolicy
from verifier.domain.facilities import FacilityRegistry
from verifier.monitor_rules import RulesFileError, load_rules
from verifier.server import SERVICE_NAMES, ServerTls, create_server
from verifier.service.checkin import CheckInService
from verifier.service.chip import ChipCheckIn
from verifier.service.keys import KeyAdmin
from verifier.service.monitoring import MonitoringService
from verifier.service.pipeline import Clock
from verifier.settings import Settings
from verifier.tokens.authority import TokenAuthority
from verifier.tokens.keys import KeyFileError

log = logging.getLogger(__name__)


def csca_trust_store(settings: Settings) -> CscaTrustStore:
    """The chip trust store from BHYT_CHIP_TRUST_DIR (CSCA certificates, master lists, CRLs)."""
    directories = (Path(settings.chip_trust_dir),) if settings.chip_trust_dir else ()
    store = CscaTrustStore(TrustSources(directories=directories))
    _log_trust_problems(store)
    return store


def _log_trust_problems(store: CscaTrustStore) -> None:
    status = store.status()
    for problem in status.get("problems", []):
        log.warning("chip trust: %s", problem)
    log.info("chip trust: %s", {k: v for k, v in status.items() if k != "problems"})


def utc_now() -> datetime:
    return datetime.now(UTC)


class StartupError(RuntimeError):
    """A dependency is missing at start-up; the message says which and how to fix it."""


@dataclass
class RunningVerifier:
    server: grpc.aio.Server
    port: int
    event_log: KafkaEventLog
    redis: aioredis.Redis
    health: health.aio.HealthServicer
    trust_feed: TrustFeed
    tokens: TokenAuthority
    chip_trust: CscaTrustStore
    alert_feed: AlertFeed
    monitoring: MonitoringService  # the alerts use cases, also served by the staff dashboard
    dashboard: RunningDashboard | None = None

    async def reload_trust(self) -> None:
        """SIGHUP: re-read token keys (a bad key file keeps the previous keys) and the CSCA trust
        files (an unusable file is logged and left out of the new set)."""
        try:
            self.tokens.reload()
        except KeyFileError as e:
            log.error("token keys not reloaded, the previous ones stay in use: %s", e)
        await asyncio.get_running_loop().run_in_executor(None, self.chip_trust.reload)
        _log_trust_problems(self.chip_trust)

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop taking requests, let in-flight ones finish (their events flush), then disconnect."""
        await self.health.enter_graceful_shutdown()
        if self.dashboard is not None:
            await self.dashboard.close()
        await self.alert_feed.stop()  # ends the alert watchers' streams now, not at the grace's end
        await self.server.stop(grace_s)
        await self.trust_feed.stop()
        await asyncio.get_running_loop().run_in_executor(None, self.event_log.close)
        await self.redis.aclose()


async def start_verifier(settings: Settings, *, clock: Clock = utc_now) -> RunningVerifier:
    loop = asyncio.get_running_loop()
    facilities = FacilityRegistry.from_lines(
        settings.facilities_file.read_text(encoding="utf-8").splitlines()
    )
    try:
        tokens = TokenAuthority.from_settings(settings)
        face_policy = FacePolicy.parse(settings.face_match_threshold, settings.face_match_thresholds)
        rules = load_rules(settings.rules_file)
    except KeyFileError as e:
        raise StartupError(f"token keys (BHYT_TOKEN_KEYS_DIR): {e}") from e
    except RulesFileError as e:
        raise StartupError(f"BHYT_RULES_FILE: {e}") from e
    except ValueError as e:
        raise StartupError(f"BHYT_FACE_MATCH_THRESHOLDS: {e}") from e
    try:
        tls = ServerTls.from_settings(settings)
    except ValueError as e:
        raise StartupError(str(e)) from e
    if tls is None:
        log.warning("BHYT_INSECURE_PLAINTEXT=1: gRPC without TLS, facility from requests; development only")
    chip_trust = await loop.run_in_executor(None, csca_trust_store, settings)
    try:
        await loop.run_in_executor(None, ensure_topics, settings)
        event_log = await loop.run_in_executor(None, KafkaEventLog.connect, settings)
    except Exception as e:
        raise StartupError(f"Kafka at {settings.kafka_bootstrap} is not usable: {e}") from e
    # One immediate retry on a broken connection: a pooled connection that sat idle through a Redis
    # restart fails on its next use, and without the retry a kiosk got UNAVAILABLE (or a
    # provisional verdict) long after Redis was back (found by bench/chaos.py, scenario d).
    client = aioredis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=2,
        socket_connect_timeout=2,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError],
    )
    try:
        await client.ping()
    except RedisError as e:
        event_log.close()
        raise StartupError(f"Redis at {settings.redis_url} is not reachable: {e}") from e
    trust_feed = TrustFeed(settings, tokens)
    try:
        replayed = await trust_feed.start()
    except Exception as e:  # aiokafka raises many types; the message says what failed
        event_log.close()
        await client.aclose()
        await trust_feed.stop()
        raise StartupError(f"cannot read the trust topic {settings.topic_trust}: {e!r}") from e
    alert_store = AlertStore(client)
    alert_feed = AlertFeed(settings, alert_store)
    try:
        await alert_feed.start()
    except Exception as e:  # aiokafka raises many types; the message says what failed
        event_log.close()
        await client.aclose()
        await trust_feed.stop()
        await alert_feed.stop()
        raise StartupError(f"cannot follow the alerts topic {settings.topic_alerts}: {e!r}") from e
    monitoring = MonitoringService(
        store=alert_store,
        feed=alert_feed,
        event_log=event_log,
        clock=clock,
    )
    service = CheckInService(
        read_model=RedisReadModel(client),
        event_log=event_log,
        facilities=facilities,
        clock=clock,
        tokens=tokens,
        replays=RedisReplayGuard(client),
        recent_usage=settings.recent_usage_size,
    )
    key_admin = KeyAdmin(tokens, event_log, clock)
    chip = ChipCheckIn(
        read_model=RedisReadModel(client),
        event_log=event_log,
        facilities=facilities,
        challenges=RedisChallengeStore(client),
        trust=chip_trust,
        face_policy=face_policy,
        clock=clock,
        challenge_ttl=timedelta(seconds=settings.chip_challenge_ttl_s),
        require_crl=bool(settings.chip_require_crl),
    )
    health_servicer = health.aio.HealthServicer()
    try:
        server, port = create_server(
            service,
            key_admin,
            chip,
            settings.grpc_listen,
            health_servicer=health_servicer,
            monitoring=monitoring,
            reuse_port=bool(settings.grpc_reuse_port),
            tls=tls,
        )
    except (RuntimeError, OSError) as e:  # grpcio raises RuntimeError when the port cannot be bound
        event_log.close()
        await client.aclose()
        await trust_feed.stop()
        await alert_feed.stop()
        raise StartupError(f"cannot listen on {settings.grpc_listen}: {e}") from e
    await server.start()
    dashboard = None
    if settings.dashboard_listen:
        stats = RedisFacilityStats(client, window_minutes=rules.rate_jump.window_minutes)
        try:
            dashboard = await start_dashboard(settings.dashboard_listen, monitoring, stats)
        except OSError as e:
            await server.stop(0)
            event_log.close()
            await client.aclose()
            await trust_feed.stop()
            await alert_feed.stop()
            raise StartupError(f"cannot serve the dashboard on {settings.dashboard_listen}: {e}") from e
        log.info("staff dashboard at %s", dashboard.url)
    for name in ("", *SERVICE_NAMES):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info(
        "verifier listening on %s (port %d), %d facilities, %d token keys (%d admin events)",
        settings.grpc_listen,
        port,
        len(facilities.codes),
        len(tokens.trust),
        replayed,
    )
    return RunningVerifier(
        server, port, event_log, client, health_servicer, trust_feed, tokens, chip_trust,
        alert_feed=alert_feed, monitoring=monitoring, dashboard=dashboard,
    )  # fmt: skip
