"""The HIS gateway's HTTP side: VSS's card-check contract, served by the verifier process.

Thin: each handler parses (token first, so nothing is read from a caller without a valid token),
calls `HisGateway`, and maps the answer (`answers.py`). Contract errors (401, 205, 054, 055, 500)
answer HTTP 200 with `maKetQua`, as VSS's gateway does: HIS code reads `maKetQua` from the body, and
common HIS HTTP clients (.NET's WebClient, for one) throw on a 4xx/5xx before the body is read.
What is not the contract (an unknown path, a wrong method, a body over `MAX_BODY_BYTES`) answers
its HTTP status with a short JSON `{"maKetQua", "ghiChu"}`; never an HTML page or a stack trace.

HTTPS with the verifier's server certificate (the same one gRPC uses); plaintext only with the
development flag (BHYT_INSECURE_PLAINTEXT=1).
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from verifier.domain.his_request import (
    HisCardQuery,
    HisParameterProblem,
    Shape,
    parse_form_body,
    parse_json_body,
)
from verifier.domain.reasons import reason_text_vi
from verifier.entrypoints.his.answers import card_answer, error_answer
from verifier.entrypoints.his.openapi import openapi_document
from verifier.errors import (
    BadRequest,
    EventLogUnavailable,
    ReadModelUnavailable,
    Unauthenticated,
    VerifierError,
)
from verifier.service.accounts import LoginRefused
from verifier.service.his_lookup import HisGateway, HisLookup, StaffNameMismatch, StaffNotRegistered

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024  # a card check is a few hundred bytes
FORM = "application/x-www-form-urlencoded"
LOCKED_NOTE = "Tài khoản tạm khóa do đăng nhập sai nhiều lần, đề nghị thử lại sau"  # account locked
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_HTTP_NOTES = {
    404: "Không tìm thấy đường dẫn (unknown path)",
    405: "Phương thức không được hỗ trợ (method not allowed)",
    413: f"Lỗi sai định dạng tham số: nội dung quá {MAX_BODY_BYTES} byte (body too large)",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, headers=_HEADERS, dumps=_dumps)


def _dumps(value: Any) -> str:
    """UTF-8 as is: names and ghiChu stay readable in logs and curl."""
    return json.dumps(value, ensure_ascii=False)


@web.middleware
async def _contract_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Whatever fails, the caller gets JSON; details go to the log only."""
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        code = "205" if e.status == 413 else str(e.status)
        return _json({"maKetQua": code, "ghiChu": _HTTP_NOTES.get(e.status, e.reason)}, e.status)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("HIS gateway: %s %s failed", request.method, request.path)
        if request.path.startswith("/api/egw/"):
            return _json(error_answer("500"))
        return _json({"maKetQua": "500", "ghiChu": reason_text_vi("500")})


class _Handlers:
    def __init__(self, gateway: HisGateway) -> None:
        self.gateway = gateway

    async def take_token(self, request: web.Request) -> web.StreamResponse:
        try:
            values = await _fields(request)
            username, password = values.get("username"), values.get("password")
            if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
                raise HisParameterProblem("username/password", "both are required strings")
        except HisParameterProblem as e:
            return _json({"maKetQua": "205", "ghiChu": f"{reason_text_vi('205')}: {e}"})
        try:
            token = await self.gateway.take_token(username, password, address=request.remote or "")
        except LoginRefused as e:
            log.info("HIS login refused for %r: %s", username[:64], e)
            return _json({"maKetQua": "401", "ghiChu": LOCKED_NOTE} if e.locked else {"maKetQua": "401"})
        except BadRequest as e:  # a username that cannot be one
            return _json({"maKetQua": "205", "ghiChu": f"{reason_text_vi('205')}: {e}"})
        except VerifierError as e:  # the accounts' Redis or the log is down
            log.warning("HIS login not answered: %s", e)
            return _json({"maKetQua": "500", "ghiChu": reason_text_vi("500")})
        expires = token.expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        api_key = {
            "access_token": token.access_token,
            "id_token": token.id_token,
            "token_type": "Bearer",
            "username": token.username,
            "expires_in": expires,
        }
        return _json({"maKetQua": "200", "APIKey": api_key})

    def lookup(self, shape: Shape) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                q = request.query
                account = await self.gateway.authenticate(
                    q.get("token", ""), id_token=q.get("id_token", ""), username=q.get("username", "")
                )
                query = await _card_query(request, shape)
                found = await self.gateway.look_up(HisLookup(account, query, shape))
            except Unauthenticated as e:
                log.info("HIS lookup refused: %s", e)
                return _json(error_answer("401"))
            except HisParameterProblem as e:
                return _json(error_answer("205", f"{reason_text_vi('205')}: {e}"))
            except (StaffNotRegistered, StaffNameMismatch) as e:
                return _json(error_answer(e.code))
            except BadRequest as e:  # the account's facility is not in the registry: a deployment fault
                log.error("HIS lookup could not be judged: %s", e)
                return _json(error_answer("500"))
            except (EventLogUnavailable, ReadModelUnavailable) as e:
                log.warning("HIS lookup not answered: %s", e)
                return _json(error_answer("500"))
            except VerifierError as e:
                log.error("HIS lookup failed: %s", e)
                return _json(error_answer("500"))
            return _json(card_answer(found))

        return handle

    async def openapi(self, request: web.Request) -> web.StreamResponse:
        return _json(openapi_document())


async def _fields(request: web.Request) -> dict[str, Any]:
    """A JSON object or a form, by Content-Type (JSON when it says nothing else)."""
    body = await request.read()
    if request.content_type == FORM:
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=8)
        except (UnicodeDecodeError, ValueError) as e:
            raise HisParameterProblem("body", "not a form in UTF-8") from e
        return dict(pairs)
    try:
        values = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise HisParameterProblem("body", "not a JSON object in UTF-8") from e
    if not isinstance(values, dict):
        raise HisParameterProblem("body", "not a JSON object")
    return values


async def _card_query(request: web.Request, shape: Shape) -> HisCardQuery:
    body = await request.read()
    if request.content_type == FORM:
        return parse_form_body(body, shape)
    return parse_json_body(body, shape)


def create_app(gateway: HisGateway) -> web.Application:
    """The aiohttp application, apart from any socket (aiohttp's test client can use it directly)."""
    handlers = _Handlers(gateway)
    app = web.Application(middlewares=[_contract_errors], client_max_size=MAX_BODY_BYTES)
    app.router.add_post("/api/token/take", handlers.take_token)
    app.router.add_post("/api/egw/KQNhanLichSuKCB2024", handlers.lookup(Shape.V2024))
    app.router.add_post("/api/egw/KQNhanLichSuKCB2019", handlers.lookup(Shape.V2019))
    app.router.add_get("/api/openapi.json", handlers.openapi)
    return app


def server_ssl_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """TLS 1.2+ with the verifier's certificate chain; HIS systems authenticate by token, not by a
    client certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context


class RunningHisGateway:
    def __init__(self, runner: web.AppRunner, url: str) -> None:
        self._runner = runner
        self.url = url

    async def close(self) -> None:
        await self._runner.cleanup()


async def start_his_gateway(
    listen: str, gateway: HisGateway, *, ssl_context: ssl.SSLContext | None, reuse_port: bool = False
) -> RunningHisGateway:
    """Serve on `listen` ("host:port"; port 0 picks a free one). `reuse_port` when several server
    processes share the port (BHYT_SERVER_PROCESSES), as the gRPC port is shared."""
    host, port = split_listen(listen)
    # No access log: the contract puts the tokens (and an MD5 password) in the query string.
    runner = web.AppRunner(create_app(gateway), handle_signals=False, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(
            runner, host, port, ssl_context=ssl_context, reuse_port=reuse_port or None, shutdown_timeout=5.0
        )
        await site.start()
        if not runner.addresses:
            raise OSError(f"HIS gateway cannot listen on {listen}")
        bound_host, bound_port = runner.addresses[0][:2]
    except BaseException:
        await runner.cleanup()
        raise
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    url = f"{'https' if ssl_context else 'http'}://{shown}:{bound_port}"
    log.info("HIS gateway: serving on %s", url)
    return RunningHisGateway(runner, url)


def split_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"HIS gateway listen address must be host:port, not {listen!r}")
    return host, int(port)
