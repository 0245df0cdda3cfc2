"""Who is looking at the staff dashboard: logins of `monitoring` accounts, the session cookie, CSRF.

The session cookie holds the access token `AccountService.log_in` issues (random, stored only as
its SHA-256, expiring, revocable), so there is no second session store to keep in step: every
request is `authenticate`d against the same token store as the HIS gateway's, a disabled account
is out at its next request, and logout revokes the token itself.

The cookie is HttpOnly (page scripts never see it), SameSite=Strict (no other site's page sends
it), expires with the token, and is Secure whenever the request came over HTTPS. The dashboard
listens in plaintext on loopback by default (BHYT_DASHBOARD_LISTEN), and a browser drops a Secure
cookie set over plain HTTP, so Secure follows the scheme rather than being forced on.

Requests that change something (acknowledge, close, logout) carry a CSRF token in the
`X-CSRF-Token` header: derived from the session's token with a one-way HMAC, so it is per session,
needs no storage, works in whichever verifier process answers, and does not reveal the cookie.
The page reads it from `api/session`, which only same-origin scripts can read. The `Origin` (or
`Sec-Fetch-Site`) header is checked too, on every POST including the login's.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Protocol

from aiohttp import web
from yarl import URL

from verifier.domain.accounts import Role, md5_hex
from verifier.errors import Unauthenticated
from verifier.service.accounts import Account, IssuedToken, LoginRefused

log = logging.getLogger(__name__)

SESSION_COOKIE = "bhyt_dashboard_session"
CSRF_HEADER = "X-CSRF-Token"
MAX_USERNAME_CHARS = 64
MAX_PASSWORD_CHARS = 128
_CSRF_LABEL = b"bhyt-dashboard-csrf-v1"


class StaffLogin(Protocol):
    """What the dashboard needs from `verifier.service.accounts.AccountService`."""

    async def log_in(self, username: str, password_md5: str, *, address: str) -> IssuedToken: ...

    async def authenticate(self, access_token: str, *, id_token: str = "") -> Account: ...

    async def log_out(self, access_token: str) -> None: ...


@dataclass(frozen=True)
class Session:
    """A request's logged-in monitoring account, and the token its cookie holds."""

    account: Account
    token: str

    @property
    def username(self) -> str:
        return self.account.username

    @property
    def csrf_token(self) -> str:
        return csrf_token(self.token)


def csrf_token(access_token: str) -> str:
    """HMAC keyed by the session's secret token: unguessable without the cookie, useless without it."""
    return hmac.new(access_token.encode(), _CSRF_LABEL, hashlib.sha256).hexdigest()


class NoSession(Exception):
    """No cookie, or one whose token is unknown, expired, revoked, or not a monitoring account's."""


async def session_of(request: web.Request, accounts: StaffLogin) -> Session:
    """The request's session; NoSession otherwise. Only `monitoring` accounts have one: a HIS
    account's token (issued by the gateway) does not open the dashboard even as a cookie."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        raise NoSession("no session cookie")
    try:
        account = await accounts.authenticate(token)
    except Unauthenticated as e:
        raise NoSession(str(e)) from e
    if account.role is not Role.MONITORING:
        raise NoSession(f"{account.username} is not a monitoring account")
    return Session(account, token)


class LoginFailed(Exception):
    """A login the page explains: `kind` picks its text (i18n.js `login.<kind>`), `status` the HTTP code."""

    def __init__(self, kind: str, message: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


async def log_in(request: web.Request, accounts: StaffLogin) -> tuple[Session, IssuedToken]:
    """Check a posted username and password. The password is hashed to the MD5 hex string here,
    since that is what AccountService stores hashes of (HIS clients send MD5); the client's address
    feeds the per-address rate limit."""
    form = await request.post()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    if not username or not password:
        raise LoginFailed("missing", "username and password are required", status=400)
    if len(username) > MAX_USERNAME_CHARS or len(password) > MAX_PASSWORD_CHARS:
        raise LoginFailed("wrong", "wrong username or password")
    try:
        issued = await accounts.log_in(username, md5_hex(password), address=request.remote or "")
    except LoginRefused as e:
        raise LoginFailed("locked" if e.locked else "wrong", str(e)) from e
    account = await accounts.authenticate(issued.access_token)
    if account.role is not Role.MONITORING:
        # The password was right, but this account checks cards for a HIS: no dashboard, no token.
        await accounts.log_out(issued.access_token)
        log.warning("dashboard login refused: %s is a %s account", account.username, account.role.value)
        raise LoginFailed("not_monitoring", "only monitoring accounts may use the dashboard", status=403)
    log.info("dashboard login: %s", account.username)
    return Session(account, issued.access_token), issued


def set_session_cookie(request: web.Request, response: web.StreamResponse, issued: IssuedToken) -> None:
    """No Path: the browser scopes the cookie to the directory of the login URL, so a dashboard
    behind a reverse proxy under a prefix does not send its token to the rest of the host."""
    response.set_cookie(
        SESSION_COOKIE,
        issued.access_token,
        expires=format_datetime(issued.expires_at, usegmt=True),
        httponly=True,
        secure=request.secure,
        samesite="Strict",
    )
    _drop_default_path(response)


def clear_session_cookie(request: web.Request, response: web.StreamResponse) -> None:
    response.set_cookie(
        SESSION_COOKIE, "", max_age=0, expires="Thu, 01 Jan 1970 00:00:00 GMT", httponly=True,
        secure=request.secure, samesite="Strict",
    )  # fmt: skip
    _drop_default_path(response)


def _drop_default_path(response: web.StreamResponse) -> None:
    # aiohttp's set_cookie always writes Path=/ (its default); take it out again.
    morsel = response.cookies[SESSION_COOKIE]
    morsel["path"] = ""


def same_origin(request: web.Request) -> bool:
    """A browser names where a POST comes from: `Origin` (every modern browser on POST), or
    `Sec-Fetch-Site`. Either must say this very host. A request with neither (curl, a script) is
    not a browser's cross-site request, so it is let through to the CSRF-token check."""
    origin = request.headers.get("Origin")
    if origin is not None:
        if origin == "null":
            return False
        url = URL(origin)
        return url.is_absolute() and url.raw_authority.lower() == request.host.lower()
    site = request.headers.get("Sec-Fetch-Site")
    return site is None or site in ("same-origin", "none")


def csrf_ok(request: web.Request, session: Session) -> bool:
    sent = request.headers.get(CSRF_HEADER, "")
    return bool(sent) and hmac.compare_digest(sent, session.csrf_token)
