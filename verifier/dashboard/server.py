"""The staff dashboard's HTTP side: the page, JSON endpoints (alerts, facility statistics, the
result codes' texts in Vietnamese and English, the session), one Server-Sent Events stream, and the
two staff actions (acknowledge, close).

It runs inside the verifier's asyncio loop next to grpc.aio, so it must never block: every handler
only awaits the services it is given. Nothing but the login page and its static files is served
without the session of a `monitoring` account (`sessions.py`): the page redirects to `login`, the
API answers 401 JSON. Acknowledging or closing records the logged-in account's username as the
staff member, never an id the request names, and needs the session's CSRF token.

Server-Sent Events rather than WebSockets because the traffic is one-way, EventSource reconnects
by itself, and a plain `curl -N` shows the stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web
from bhyt.v1 import api_pb2, events_pb2
from google.protobuf import json_format
from google.protobuf.message import Message

from verifier.dashboard.sessions import (
    LoginFailed,
    NoSession,
    Session,
    StaffLogin,
    clear_session_cookie,
    csrf_ok,
    log_in,
    same_origin,
    session_of,
    set_session_cookie,
)
from verifier.domain.facilities import normalise_facility
from verifier.domain.reasons import OUR_REASONS, VSS_REASONS
from verifier.errors import BadRequest, NotFound, ReadModelUnavailable, Unauthenticated, VerifierError
from verifier.ports import FacilityStats, FacilityStatsReader

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"

DEFAULT_LIMIT = 50  # the Monitoring service's own default for ListAlerts and WatchAlerts
MAX_LIMIT = 1000  # ... and its ceiling
DEFAULT_STATS_INTERVAL_S = 2.0
DEFAULT_HEARTBEAT_S = 15.0  # below the 30-60 s idle timeouts of common proxies
DEFAULT_SESSION_CHECK_S = 30.0  # how soon an open stream notices its session expired or was revoked
MAX_ACTION_BODY = 8 * 1024  # a note of 1000 characters, in JSON, with room to spare
RECONNECT_MS = 2000  # tells EventSource how soon to come back after the stream drops

_PROVINCE = re.compile(r"[0-9]{2}")
_RULE = re.compile(r"[A-Za-z0-9_]{1,64}")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})
_FILTER_PARAMS = frozenset({"province", "facility", "rule", "min_severity", "include_closed"})
_SEVERITIES: dict[str, events_pb2.Severity] = {
    "low": events_pb2.SEVERITY_LOW,
    "medium": events_pb2.SEVERITY_MEDIUM,
    "high": events_pb2.SEVERITY_HIGH,
    "critical": events_pb2.SEVERITY_CRITICAL,
}
_SEVERITY_NUMBERS = {str(int(value)): value for value in _SEVERITIES.values()}

# Content-Security-Policy: the page loads nothing but its own three files and talks only to us,
# which also holds on a machine without internet access.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class AlertReader(Protocol):
    """What the dashboard needs from the monitor; `verifier.service.monitoring.MonitoringService` fits it.

    A Protocol, not an ABC, so the service satisfies it without importing the dashboard.
    """

    async def list_alerts(self, flt: api_pb2.AlertFilter, limit: int) -> list[api_pb2.AlertView]:
        """Alerts matching `flt`, newest change first, at most `limit`."""
        ...

    def watch_alerts(self, flt: api_pb2.AlertFilter, replay: int) -> AsyncIterator[api_pb2.AlertNotice]:
        """The `replay` most recent matching alerts (oldest of them first), then every change, forever."""
        ...

    async def acknowledge(self, alert_id: str, staff_id: str, note: str) -> api_pb2.AlertView:
        """Record that `staff_id` took the alert on; the view it produces."""
        ...

    async def close(self, alert_id: str, staff_id: str, resolution: str, note: str) -> api_pb2.AlertView:
        """Record that `staff_id` closed the alert; the view it produces."""
        ...


class BadQuery(BadRequest):
    """A query parameter the dashboard cannot use; answered with HTTP 400 naming the parameter."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class Query:
    """A dashboard request's filter and size, parsed once at the edge."""

    alerts: api_pb2.AlertFilter
    limit: int


def parse_query(params: Mapping[str, str], *, size_param: str | None) -> Query:
    """Turn the query string into an AlertFilter; BadQuery on anything unknown or malformed.

    Unknown parameters are refused rather than ignored: a misspelt `min_severty` that silently
    showed every alert would mislead the person watching.
    """
    for name in params:
        if name not in _FILTER_PARAMS and name != size_param:
            allowed = ", ".join(sorted(_FILTER_PARAMS | ({size_param} if size_param else set())))
            raise BadQuery(name, f"unknown query parameter {name!r} (allowed: {allowed})")
    province = params.get("province", "").strip()
    if province and not _PROVINCE.fullmatch(province):
        raise BadQuery("province", f"province must be a 2-digit code such as 79, not {province[:20]!r}")
    facility = params.get("facility", "").strip()
    if facility:
        try:
            facility = normalise_facility(facility)
        except BadRequest as e:
            raise BadQuery("facility", str(e)) from e
    rule = params.get("rule", "").strip()
    if rule and not _RULE.fullmatch(rule):
        raise BadQuery("rule", f"rule must be a rule name such as two_facilities, not {rule[:40]!r}")
    return Query(
        alerts=api_pb2.AlertFilter(
            province=province,
            facility_id=facility,
            rule=rule,
            min_severity=parse_severity(params.get("min_severity", "")),
            include_closed=_parse_bool("include_closed", params.get("include_closed", "")),
        ),
        limit=_parse_limit(size_param, params.get(size_param, "")) if size_param else DEFAULT_LIMIT,
    )


def parse_severity(text: str) -> events_pb2.Severity:
    """`high`, `HIGH`, `SEVERITY_HIGH` or `3`; empty means no minimum."""
    name = text.strip().lower().removeprefix("severity_")
    if not name:
        return events_pb2.SEVERITY_UNSPECIFIED
    for value in _SEVERITIES.get(name), _SEVERITY_NUMBERS.get(name):
        if value is not None:
            return value
    raise BadQuery(
        "min_severity", f"min_severity must be low, medium, high or critical, not {text.strip()[:20]!r}"
    )


def _parse_bool(parameter: str, text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadQuery(parameter, f"{parameter} must be true or false, not {text.strip()[:20]!r}")


def _parse_limit(parameter: str, text: str) -> int:
    value = text.strip()
    if not value:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise BadQuery(
            parameter, f"{parameter} must be a whole number from 1 to {MAX_LIMIT}, not {value[:20]!r}"
        )
    return int(value)


def message_json(message: Message) -> dict[str, Any]:
    """Proto field names and every field, so the page never has to guess a default (0, [], "")."""
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def stats_json(stats: list[FacilityStats], flt: api_pb2.AlertFilter) -> dict[str, Any]:
    """Facility statistics with the two rates worked out here, so the page and tests agree on them."""
    facilities = []
    for s in sorted(stats, key=lambda s: s.facility_id):
        if flt.province and s.province != flt.province:
            continue
        if flt.facility_id and s.facility_id != flt.facility_id:
            continue
        facilities.append(
            {
                "facility_id": s.facility_id,
                "province": s.province,
                "checkins_per_minute": list(s.checkins_per_minute),
                "checkins": s.checkins,
                "rejected": s.rejected,
                "reject_rate": _rate(s.rejected, s.checkins),
                "face_attempts": s.face_attempts,
                "face_mismatches": s.face_mismatches,
                "face_mismatch_rate": _rate(s.face_mismatches, s.face_attempts),
                "face_score_buckets": list(s.face_score_buckets),
                "latest_at": s.latest_at.isoformat() if s.latest_at else None,
            }
        )
    return {"facilities": facilities}


def _rate(part: int, whole: int) -> float | None:
    """None, not 0, when nothing happened: "no data" must not look like "all fine"."""
    return part / whole if whole else None


def sse_frame(event: str, data: Mapping[str, Any]) -> bytes:
    """One SSE message; the JSON is on one line, so one `data:` field always suffices.

    Never name an event "error": EventSource fires its own connection failures under that name.
    """
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


def reasons_json() -> dict[str, Any]:
    """Every result code's Vietnamese and English text, so the page names the codes in an alert's
    evidence in the language staff chose, from the one table the verifier answers with."""
    texts = {**VSS_REASONS, **OUR_REASONS}
    return {"reasons": {code: {"vi": vi, "en": en} for code, (en, vi) in sorted(texts.items())}}


def warning_frame(kind: str, message: str, *, detail: str = "") -> bytes:
    """A warning for the page: `kind` lets it say so in the chosen language, `message` is the English
    line (for curl and logs), `detail` the error's own words, which only exist in English."""
    return sse_frame("warning", {"kind": kind, "message": message, "detail": detail})


def _json_error(status: int, message: str, parameter: str | None = None) -> web.Response:
    body: dict[str, Any] = {"error": message, "status": status}
    if parameter:
        body["parameter"] = parameter
    return web.json_response(body, status=status)


@web.middleware
async def _errors_and_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every failure becomes a short JSON error: details go to the log, never to the browser."""
    try:
        response = await handler(request)
    except BadQuery as e:
        response = _json_error(400, e.message, e.parameter)
    except BadRequest as e:  # the reader refused the filter, or an action's note
        response = _json_error(400, str(e))
    except NotFound as e:
        response = _json_error(404, str(e))
    except ReadModelUnavailable as e:  # e.g. Redis, where sessions are checked, is unreachable
        log.warning("dashboard request %s %s: %s", request.method, request.path, e)
        response = _json_error(503, "temporarily unavailable; try again shortly")
    except web.HTTPException as e:
        if not request.path.startswith("/api/") or e.status < 400:
            raise
        response = _json_error(e.status, e.reason)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("dashboard request %s %s failed", request.method, request.path_qs)
        response = _json_error(500, "internal error; see the verifier's log")
    if not response.prepared:
        response.headers.update(_SECURITY_HEADERS)
    return response


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SESSION = web.RequestKey("dashboard_session", Session)


def _session_guard(accounts: StaffLogin) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Every request but the login page's and static files' needs a monitoring account's session;
    every request that changes something also a same-origin browser and the session's CSRF token."""

    @web.middleware
    async def guard(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path == "/login" or request.path.startswith("/static/"):
            if request.method not in _SAFE_METHODS and not same_origin(request):
                return _json_error(403, "cross-origin request refused")
            return await handler(request)
        try:
            session = await session_of(request, accounts)
        except NoSession as e:
            log.debug("dashboard %s %s without a session: %s", request.method, request.path, e)
            if request.path.startswith("/api/") or request.method not in _SAFE_METHODS:
                return _json_error(401, "log in first: no valid dashboard session")
            # Relative, so it works behind a prefix too; the query (a bookmarked filter) comes along.
            raise web.HTTPSeeOther(
                f"login?{request.query_string}" if request.query_string else "login"
            ) from None
        if request.method not in _SAFE_METHODS:
            if not same_origin(request):
                return _json_error(403, "cross-origin request refused")
            if not csrf_ok(request, session):
                return _json_error(403, "missing or wrong CSRF token (X-CSRF-Token)")
        request[_SESSION] = session
        return await handler(request)

    return guard


def _session(request: web.Request) -> Session:
    return request[_SESSION]


class _Dashboard:
    """The handlers, holding the services and the open event streams (so `close` and a logout can
    end them)."""

    def __init__(
        self,
        alerts: AlertReader,
        stats: FacilityStatsReader,
        accounts: StaffLogin,
        stats_interval_s: float,
        heartbeat_s: float,
        session_check_s: float,
    ) -> None:
        self.alerts = alerts
        self.stats = stats
        self.accounts = accounts
        self.stats_interval_s = stats_interval_s
        self.heartbeat_s = heartbeat_s
        self.session_check_s = session_check_s
        self.closing = asyncio.Event()
        self.open_streams = 0
        self.logged_out: dict[str, set[asyncio.Event]] = {}  # session token -> its streams' signals

    async def page(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    async def login_page(self, request: web.Request) -> web.StreamResponse:
        """The login form; someone logged in already goes straight to the dashboard."""
        try:
            await session_of(request, self.accounts)
        except NoSession:
            return web.FileResponse(STATIC_DIR / "login.html", headers={"Cache-Control": "no-cache"})
        raise web.HTTPSeeOther("./")

    async def log_in(self, request: web.Request) -> web.StreamResponse:
        """Form fields `username`, `password`; JSON either way, so the page says why in its language."""
        try:
            session, issued = await log_in(request, self.accounts)
        except LoginFailed as e:
            return web.json_response(
                {"error": e.kind, "message": str(e), "status": e.status}, status=e.status
            )
        response = web.json_response(
            {"username": session.username, "expires_at": issued.expires_at.isoformat()},
            headers={"Cache-Control": "no-store"},
        )
        set_session_cookie(request, response, issued)
        return response

    async def log_out(self, request: web.Request) -> web.StreamResponse:
        """Revoke the session's token (a copy of the cookie stops working too) and end its streams."""
        session = _session(request)
        await self.accounts.log_out(session.token)
        for ended in self.logged_out.pop(session.token, set()):
            ended.set()
        log.info("dashboard logout: %s", session.username)
        response = web.json_response({"logged_out": session.username}, headers={"Cache-Control": "no-store"})
        clear_session_cookie(request, response)
        return response

    async def session_info(self, request: web.Request) -> web.StreamResponse:
        """Who is logged in, and the CSRF token the page sends back on every action. Same-origin
        scripts only can read it: the dashboard sends no CORS headers."""
        session = _session(request)
        return web.json_response(
            {
                "username": session.username,
                "role": session.account.role.value,
                "csrf_token": session.csrf_token,
            },
            headers={"Cache-Control": "no-store"},
        )

    async def acknowledge(self, request: web.Request) -> web.StreamResponse:
        body = await _action_body(request)
        view = await self.alerts.acknowledge(
            request.match_info["alert_id"], _session(request).username, _text(body, "note")
        )
        return web.json_response(message_json(view))

    async def close_alert(self, request: web.Request) -> web.StreamResponse:
        body = await _action_body(request)
        view = await self.alerts.close(
            request.match_info["alert_id"],
            _session(request).username,
            _text(body, "resolution"),
            _text(body, "note"),
        )
        return web.json_response(message_json(view))

    async def reasons(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(reasons_json(), headers={"Cache-Control": "no-cache"})

    async def list_alerts(self, request: web.Request) -> web.StreamResponse:
        query = parse_query(request.query, size_param="limit")
        views = await self.alerts.list_alerts(query.alerts, query.limit)
        return web.json_response({"alerts": [message_json(v) for v in views]})

    async def facility_stats(self, request: web.Request) -> web.StreamResponse:
        """Statistics of the facilities the filter's province and facility allow (the same query
        string as the alerts, so the page can use one)."""
        query = parse_query(request.query, size_param=None)
        return web.json_response(stats_json(await self.stats.facility_stats(), query.alerts))

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Replayed then live alerts, stats every few seconds, heartbeats; until either side leaves.

        Three producers write to one response; the first to finish (the browser went away, the
        alert source ended or failed, the server is closing) ends the stream, and the others are
        cancelled and awaited here, so no task and no open watch outlives the request.
        """
        query = parse_query(request.query, size_param="replay")
        session = _session(request)
        response = web.StreamResponse(
            headers={
                **_SECURITY_HEADERS,
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",  # no proxy buffering: events must arrive as they happen
            }
        )
        await response.prepare(request)
        stream = _EventStream(response)
        logged_out = asyncio.Event()
        self.logged_out.setdefault(session.token, set()).add(logged_out)
        self.open_streams += 1
        try:
            if not await stream.send(f"retry: {RECONNECT_MS}\n: connected\n\n".encode()):
                return response
            producers = [
                asyncio.create_task(self._pump_alerts(stream, query), name="dashboard-alerts"),
                asyncio.create_task(self._pump_stats(stream, query.alerts), name="dashboard-stats"),
                asyncio.create_task(self._heartbeat(stream), name="dashboard-heartbeat"),
                asyncio.create_task(self.closing.wait(), name="dashboard-closing"),
                asyncio.create_task(
                    self._watch_session(stream, session, logged_out), name="dashboard-session"
                ),
            ]
            try:
                await asyncio.wait(producers, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in producers:
                    task.cancel()
                await asyncio.gather(*producers, return_exceptions=True)
        finally:
            self.open_streams -= 1
            streams = self.logged_out.get(session.token, set())
            streams.discard(logged_out)
            if not streams:
                self.logged_out.pop(session.token, None)
        return response

    async def _watch_session(self, stream: _EventStream, session: Session, logged_out: asyncio.Event) -> None:
        """End the stream when its session ends: at once on a logout here, otherwise within
        `session_check_s` of the token expiring or being revoked (a disabled account, a logout
        served by another process). The page then goes to the login page."""
        while True:
            try:
                await asyncio.wait_for(logged_out.wait(), self.session_check_s)
            except TimeoutError:
                try:
                    current = await self.accounts.authenticate(session.token)
                except Unauthenticated as e:
                    log.info("dashboard stream of %s ends: %s", session.username, e)
                except ReadModelUnavailable as e:
                    # Nothing can be revoked while the token store is down either: keep the alerts
                    # flowing rather than send staff to a login that cannot work now.
                    log.warning("dashboard session of %s not re-checked: %s", session.username, e)
                    continue
                else:
                    if current.role is session.account.role:
                        continue
            await stream.send(warning_frame("session_ended", "the session ended; log in again"))
            return

    async def _pump_alerts(self, stream: _EventStream, query: Query) -> None:
        """Forward notices as they come. The reader tells a watcher that leaves closed alerts out
        when an alert it shows is closed (MonitoringService does), and the page drops that row."""
        notices = self.alerts.watch_alerts(query.alerts, query.limit)
        try:
            async for notice in notices:
                if not await stream.send(sse_frame("alert", message_json(notice))):
                    return
        except asyncio.CancelledError:
            raise
        except VerifierError as e:
            # Expected ends (the feed stopped, this watcher fell behind): say why, and EventSource
            # reconnects after RECONNECT_MS with a fresh replay.
            log.warning("dashboard alert stream ended: %s", e)
            await stream.send(warning_frame("feed_ended", f"alert feed: {e}; reconnecting", detail=str(e)))
        except Exception:
            log.exception("dashboard alert stream failed")
            await stream.send(warning_frame("feed_failed", "the alert feed failed; reconnecting"))
        finally:
            close = getattr(notices, "aclose", None)
            if close is not None:
                await close()

    async def _pump_stats(self, stream: _EventStream, flt: api_pb2.AlertFilter) -> None:
        while True:
            try:
                frame = sse_frame("stats", stats_json(await self.stats.facility_stats(), flt))
            except asyncio.CancelledError:
                raise
            except Exception:
                # Statistics are a side panel: keep the alerts flowing and try again next tick.
                log.exception("dashboard facility statistics failed")
                frame = warning_frame("stats_unavailable", "facility statistics are unavailable")
            if not await stream.send(frame):
                return
            await asyncio.sleep(self.stats_interval_s)

    async def _heartbeat(self, stream: _EventStream) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            if not await stream.send(b": heartbeat\n\n"):
                return


async def _action_body(request: web.Request) -> Mapping[str, Any]:
    """An action's JSON object (or nothing). A `staff_id` in it is ignored on purpose: the staff
    member is the logged-in account, whatever the request says."""
    if not request.can_read_body:
        return {}
    if request.content_length is not None and request.content_length > MAX_ACTION_BODY:
        raise BadRequest(f"request body larger than {MAX_ACTION_BODY} bytes")
    raw = await request.content.read(MAX_ACTION_BODY + 1)
    if len(raw) > MAX_ACTION_BODY:
        raise BadRequest(f"request body larger than {MAX_ACTION_BODY} bytes")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadRequest("the request body must be a JSON object") from e
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise BadQuery(name, f"{name} must be a string")
    return value.strip()


WRITE_TIMEOUT_S = 30.0


class _EventStream:
    """Serialises writes from the producers; a write to a departed browser reports False, not an error."""

    def __init__(self, response: web.StreamResponse) -> None:
        self._response = response
        self._lock = asyncio.Lock()

    async def send(self, frame: bytes) -> bool:
        async with self._lock:
            try:
                # A browser that stops reading (but keeps the connection) must not hold us for ever.
                await asyncio.wait_for(self._response.write(frame), WRITE_TIMEOUT_S)
            except (ConnectionError, RuntimeError, TimeoutError):
                # ConnectionResetError when the peer is gone; RuntimeError once the response is closed.
                return False
            return True


class RunningDashboard:
    """A started dashboard: where it listens, and how to stop it."""

    def __init__(self, runner: web.AppRunner, dashboard: _Dashboard, url: str) -> None:
        self._runner = runner
        self._dashboard = dashboard
        self.url = url

    @property
    def open_streams(self) -> int:
        """Event streams being served now; 0 once every browser has gone (tests rely on it)."""
        return self._dashboard.open_streams

    async def close(self) -> None:
        """End the event streams first (they would otherwise hold shutdown up), then stop serving."""
        self._dashboard.closing.set()
        await self._runner.cleanup()


def create_app(
    alerts: AlertReader,
    stats: FacilityStatsReader,
    *,
    accounts: StaffLogin,
    stats_interval_s: float = DEFAULT_STATS_INTERVAL_S,
    heartbeat_s: float = DEFAULT_HEARTBEAT_S,
    session_check_s: float = DEFAULT_SESSION_CHECK_S,
) -> tuple[web.Application, _Dashboard]:
    """The aiohttp application, apart from any socket (aiohttp's test client can use it directly)."""
    dashboard = _Dashboard(alerts, stats, accounts, stats_interval_s, heartbeat_s, session_check_s)
    app = web.Application(middlewares=[_errors_and_headers, _session_guard(accounts)])
    app.router.add_get("/", dashboard.page)
    app.router.add_get("/login", dashboard.login_page)
    app.router.add_post("/login", dashboard.log_in)
    app.router.add_post("/logout", dashboard.log_out)
    app.router.add_get("/api/session", dashboard.session_info)
    app.router.add_post("/api/alerts/{alert_id}/acknowledge", dashboard.acknowledge)
    app.router.add_post("/api/alerts/{alert_id}/close", dashboard.close_alert)
    app.router.add_get("/api/alerts", dashboard.list_alerts)
    app.router.add_get("/api/stats", dashboard.facility_stats)
    app.router.add_get("/api/events", dashboard.events)
    app.router.add_get("/api/reasons", dashboard.reasons)
    app.router.add_static("/static/", STATIC_DIR, append_version=True)

    async def end_streams(_: web.Application) -> None:
        dashboard.closing.set()

    app.on_shutdown.append(end_streams)
    return app, dashboard


async def start_dashboard(
    listen: str,
    alerts: AlertReader,
    stats: FacilityStatsReader,
    *,
    accounts: StaffLogin,
    stats_interval_s: float = DEFAULT_STATS_INTERVAL_S,
    heartbeat_s: float = DEFAULT_HEARTBEAT_S,
    session_check_s: float = DEFAULT_SESSION_CHECK_S,
    ssl_context: ssl.SSLContext | None = None,
) -> RunningDashboard:
    """Serve the dashboard on `listen` ("host:port"; port 0 picks a free one) in the running loop;
    over HTTPS with `ssl_context` (the session cookie is then Secure), plain HTTP otherwise."""
    host, port = _split_listen(listen)
    app, dashboard = create_app(
        alerts, stats, accounts=accounts, stats_interval_s=stats_interval_s, heartbeat_s=heartbeat_s,
        session_check_s=session_check_s,
    )  # fmt: skip
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, shutdown_timeout=5.0, ssl_context=ssl_context)
        await site.start()
        if not runner.addresses:
            raise OSError(f"dashboard cannot listen on {listen}")
        bound_host, bound_port = runner.addresses[0][:2]
    except BaseException:
        await runner.cleanup()
        raise
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    url = f"{'https' if ssl_context else 'http'}://{shown}:{bound_port}/"
    log.info("dashboard: serving on %s", url)
    return RunningDashboard(runner, dashboard, url)


def _split_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"dashboard listen address must be host:port, not {listen!r}")
    return host, int(port)
