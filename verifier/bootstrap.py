"""Wiring: build the adapters from settings, hand them to the service, start the gRPC server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from cryptography import x509
from grpc_health.v1 import health, health_pb2
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from verifier import metrics
from verifier.adapters.accounts import RedisAccountsReadModel, RedisSessions
from verifier.adapters.alert_feed import AlertFeed
from verifier.adapters.alert_store import AlertStore
from verifier.adapters.challenges import RedisChallengeStore
from verifier.adapters.command_receipts import RedisCommandReceipts
from verifier.adapters.facility_stats import RedisFacilityStats
from verifier.adapters.kafka_log import KafkaEventLog, ensure_topics
from verifier.adapters.read_model import RedisReadModel
from verifier.adapters.redis_client import REDIS_ERRORS, RedisClient, connect
from verifier.adapters.replay_guard import RedisReplayGuard
from verifier.adapters.trust_feed import TrustFeed
from verifier.chip import CscaTrustStore, TrustSources
from verifier.dashboard import RunningDashboard, start_dashboard
from verifier.domain.face_match import FacePolicy
from verifier.domain.facilities import FacilityRegistry
from verifier.entrypoints.grpc import SERVICE_NAMES, ServerTls, create_server
from verifier.entrypoints.his import RunningHisGateway, server_ssl_context, start_his_gateway
from verifier.monitor_rules import RulesConfig, RulesFileError, load_rules
from verifier.ports import EventLog
from verifier.service.accounts import AccountService, LoginPolicy
from verifier.service.checkin import CheckInService
from verifier.service.chip import ChipCheckIn
from verifier.service.his_lookup import HisGateway
from verifier.service.keys import KeyAdmin
from verifier.service.lifecycle import CardLifecycle
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
class _Grace:
    """How long the server lets in-flight requests finish: 0 when start-up fails, `stop`'s argument
    otherwise (known only then, after the server's clean-up was registered)."""

    seconds: float = 0.0


@dataclass
class RunningVerifier:
    server: grpc.aio.Server
    port: int
    event_log: KafkaEventLog
    redis: RedisClient
    health: health.aio.HealthServicer
    trust_feed: TrustFeed
    tokens: TokenAuthority
    chip_trust: CscaTrustStore
    alert_feed: AlertFeed
    monitoring: MonitoringService  # the alerts use cases, also served by the staff dashboard
    dashboard: RunningDashboard | None
    # The clean-ups `start_verifier` registered, run last-registered first by `stop`.
    _resources: contextlib.AsyncExitStack = field(repr=False)
    _grace: _Grace = field(repr=False)
    metrics_port: int = 0  # where /metrics is served (BHYT_METRICS_LISTEN); 0: not served
    accounts: AccountService | None = None  # logins and tokens (the HIS gateway, the dashboard)

    async def reload_trust(self) -> None:
        """SIGHUP: re-read token keys (a bad key file keeps the previous keys) and the CSCA trust
        files (an unusable file is logged and left out of the new set)."""
        try:
            self.tokens.reload()
        except KeyFileError as e:
            log.error("token keys not reloaded, the previous ones stay in use: %s", e)
        metrics.record_expiries(None, self.tokens.signing_expiries())
        await asyncio.get_running_loop().run_in_executor(None, self.chip_trust.reload)
        _log_trust_problems(self.chip_trust)

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop taking requests, let in-flight ones finish (their events flush), then disconnect.

        In this order (the reverse of `start_verifier`'s registrations): health says NOT_SERVING,
        the dashboard closes, the alert feed stops (ending the alert watchers' streams now, not at
        the grace's end), the server stops with `grace_s`, then the trust feed, the event log and
        Redis. A second call does nothing."""
        self._grace.seconds = grace_s
        await self._resources.aclose()


@dataclass(frozen=True)
class _Configuration:
    """What start-up reads from files and settings before it connects to anything."""

    facilities: FacilityRegistry
    tokens: TokenAuthority
    face_policy: FacePolicy
    rules: RulesConfig
    tls: ServerTls | None
    https: ssl.SSLContext | None  # the dashboard's and the HIS gateway's, see `https_context`


def _configuration(settings: Settings) -> _Configuration:
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
        log.warning(
            "BHYT_INSECURE_PLAINTEXT=1: gRPC without TLS, facility from requests, dashboard and HIS "
            "gateway in plain HTTP; development only"
        )
    return _Configuration(facilities, tokens, face_policy, rules, tls, https_context(settings))


def https_context(settings: Settings) -> ssl.SSLContext | None:
    """The server side of HTTPS for the dashboard and the HIS gateway: the gRPC server's certificate
    chain and key, so one certificate is issued and renewed for all three, and the dashboard's
    session cookie is Secure wherever gRPC is TLS. None (plain HTTP) only with
    BHYT_INSECURE_PLAINTEXT=1, as gRPC is plaintext only then."""
    if settings.insecure_plaintext:
        return None
    try:
        return server_ssl_context(settings.tls_cert_file, settings.tls_key_file)
    except (OSError, ValueError) as e:  # ssl.SSLError is an OSError
        raise StartupError(f"cannot use {settings.tls_cert_file} for HTTPS: {e}") from e


def account_service(
    settings: Settings,
    client: RedisClient,
    event_log: EventLog,
    facilities: FacilityRegistry,
    clock: Clock = utc_now,
) -> AccountService:
    """Accounts over the accounts projection, login state in the same Redis, changes on the log."""
    sessions = RedisSessions(client)
    policy = LoginPolicy(
        token_lifetime=timedelta(seconds=settings.account_token_lifetime_s),
        failure_limit=settings.login_failure_limit,
        address_failure_limit=settings.login_address_failure_limit,
        failure_window=timedelta(seconds=settings.login_failure_window_s),
        lockout=timedelta(seconds=settings.login_lockout_s),
    )
    return AccountService(
        directory=RedisAccountsReadModel(client), tokens=sessions, attempts=sessions, event_log=event_log,
        facilities=facilities, clock=clock, policy=policy,
    )  # fmt: skip


def _redis_client(settings: Settings) -> RedisClient:
    """The read model's client; it connects at its first command."""
    # One immediate retry on a broken connection: a pooled connection that sat idle through a Redis
    # restart fails on its next use, and without the retry a kiosk got UNAVAILABLE (or a
    # provisional verdict) long after Redis was back (found by bench/chaos.py, scenario d).
    return connect(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=2,
        socket_connect_timeout=2,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError],
    )


async def start_verifier(settings: Settings, *, clock: Clock = utc_now) -> RunningVerifier:
    """Connect, start the feeds and serve. Each resource's clean-up is registered as the resource
    is made, so a failure at any step (a StartupError saying which) unwinds exactly what was
    started, and `RunningVerifier.stop` unwinds all of it."""
    loop = asyncio.get_running_loop()
    config = _configuration(settings)
    chip_trust = await loop.run_in_executor(None, csca_trust_store, settings)
    grace = _Grace()
    certificate = x509.load_pem_x509_certificate(config.tls.certificate_chain) if config.tls else None
    metrics.record_expiries(
        certificate.not_valid_after_utc if certificate else None, config.tokens.signing_expiries()
    )
    async with contextlib.AsyncExitStack() as resources:
        metrics_port = 0
        if settings.metrics_listen:
            try:
                metrics_server, metrics_port = metrics.serve_metrics(settings.metrics_listen)
            except (OSError, ValueError) as e:
                raise StartupError(f"cannot serve metrics on {settings.metrics_listen}: {e}") from e
            resources.callback(metrics_server.server_close)
            resources.callback(metrics_server.shutdown)
        # Redis's clean-up is registered first so that it runs last, after the event log's; the
        # client connects only at the ping, once Kafka is known to be usable.
        client = _redis_client(settings)
        resources.push_async_callback(client.aclose)
        try:
            await loop.run_in_executor(None, ensure_topics, settings)
            event_log = await loop.run_in_executor(None, KafkaEventLog.connect, settings)
        except Exception as e:
            raise StartupError(f"Kafka at {settings.kafka_bootstrap} is not usable: {e}") from e

        async def close_event_log() -> None:  # flushes what is still buffered: blocking
            await loop.run_in_executor(None, event_log.close)

        resources.push_async_callback(close_event_log)
        try:
            await client.ping()
        except REDIS_ERRORS as e:
            raise StartupError(f"Redis at {settings.redis_url} is not reachable: {e}") from e

        trust_feed = TrustFeed(settings, config.tokens)
        resources.push_async_callback(trust_feed.stop)
        try:
            replayed = await trust_feed.start()
        except Exception as e:  # aiokafka raises many types; the message says what failed
            raise StartupError(f"cannot read the trust topic {settings.topic_trust}: {e!r}") from e
        alert_store = AlertStore(client)
        alert_feed = AlertFeed(settings, alert_store)
        resources.push_async_callback(alert_feed.stop)
        try:
            await alert_feed.start()
        except Exception as e:  # aiokafka raises many types; the message says what failed
            raise StartupError(f"cannot follow the alerts topic {settings.topic_alerts}: {e!r}") from e

        monitoring = MonitoringService(store=alert_store, feed=alert_feed, event_log=event_log, clock=clock)
        service = CheckInService(
            read_model=RedisReadModel(client),
            event_log=event_log,
            facilities=config.facilities,
            clock=clock,
            tokens=config.tokens,
            replays=RedisReplayGuard(client),
            recent_usage=settings.recent_usage_size,
            face_policy=config.face_policy,
        )
        key_admin = KeyAdmin(config.tokens, event_log, clock)
        accounts = account_service(settings, client, event_log, config.facilities, clock)
        chip = ChipCheckIn(
            read_model=RedisReadModel(client),
            event_log=event_log,
            facilities=config.facilities,
            challenges=RedisChallengeStore(client),
            trust=chip_trust,
            face_policy=config.face_policy,
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
                lifecycle=CardLifecycle(
                    read_model=RedisReadModel(client),
                    event_log=event_log,
                    receipts=RedisCommandReceipts(client),
                    facilities=config.facilities,
                    clock=clock,
                ),
                accounts=accounts,
                reuse_port=bool(settings.grpc_reuse_port),
                tls=config.tls,
            )
        except (RuntimeError, OSError) as e:  # grpcio raises RuntimeError when the port cannot be bound
            raise StartupError(f"cannot listen on {settings.grpc_listen}: {e}") from e
        resources.push_async_callback(lambda: server.stop(grace.seconds))  # `stop`'s grace; none on failure
        # The alert feed's stop again, so that it also runs before the server's: it ends the alert
        # watchers' streams now, not at the grace's end (a second stop does nothing).
        resources.push_async_callback(alert_feed.stop)
        await server.start()

        dashboard = None
        if settings.dashboard_listen:
            stats = RedisFacilityStats(client, window_minutes=config.rules.rate_jump.window_minutes)
            try:
                dashboard = await start_dashboard(
                    settings.dashboard_listen, monitoring, stats, accounts=accounts, ssl_context=config.https
                )
            except OSError as e:
                raise StartupError(f"cannot serve the dashboard on {settings.dashboard_listen}: {e}") from e
            resources.push_async_callback(dashboard.close)
            log.info("staff dashboard at %s", dashboard.url)

        if settings.his_listen:
            his = await start_his(
                settings, accounts, config.facilities, client, event_log, clock, config.https
            )
            resources.push_async_callback(his.close)

        for name in ("", *SERVICE_NAMES):
            await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        resources.push_async_callback(health_servicer.enter_graceful_shutdown)
        log.info(
            "verifier listening on %s (port %d), %d facilities, %d token keys (%d admin events)",
            settings.grpc_listen,
            port,
            len(config.facilities.codes),
            len(config.tokens.trust),
            replayed,
        )
        return RunningVerifier(
            server, port, event_log, client, health_servicer, trust_feed, config.tokens, chip_trust,
            alert_feed, monitoring, dashboard, _resources=resources.pop_all(), _grace=grace,
            metrics_port=metrics_port, accounts=accounts,
        )  # fmt: skip


async def start_his(
    settings: Settings,
    accounts: AccountService,
    facilities: FacilityRegistry,
    client: RedisClient,
    event_log: KafkaEventLog,
    clock: Clock,
    ssl_context: ssl.SSLContext | None,
) -> RunningHisGateway:
    """The HIS gateway on BHYT_HIS_LISTEN: HTTPS with `ssl_context` (`https_context`: the gRPC
    server certificate; None only with BHYT_INSECURE_PLAINTEXT=1); every process of
    `serve --processes N` shares the port."""
    gateway = HisGateway(
        accounts=accounts,
        read_model=RedisReadModel(client),
        event_log=event_log,
        facilities=facilities,
        clock=clock,
        recent=settings.recent_usage_size,
    )
    try:
        running = await start_his_gateway(
            settings.his_listen, gateway, ssl_context=ssl_context, reuse_port=bool(settings.grpc_reuse_port)
        )
    except (OSError, ValueError) as e:  # ssl.SSLError is an OSError
        raise StartupError(f"cannot serve the HIS gateway on {settings.his_listen}: {e}") from e
    log.info("HIS gateway at %s", running.url)
    return running
