"""The staff dashboard's login, in headless Chromium and over plain HTTP (over HTTPS for the Secure
cookie): nothing without the session of a `monitoring` account, the session cookie's attributes,
CSRF on every action, the logged-in account recorded as the staff member, logout.

The dashboard and its in-memory alert board are those of `test_dashboard_page.py`; logins go
through the real AccountService (see there).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import aiohttp
import pytest
from bhyt.v1 import api_pb2
from playwright.async_api import expect

from infra.local.pki import LocalCa
from tests.integration.test_dashboard_page import (
    HIS,
    MONITOR,
    Served,
    StaffAccounts,
    new_staff,
    next_event,
    serve,
)
from tests.support.browser import chromium_page, page_errors, save_screenshot
from tests.support.dashboard_login import CSRF_HEADER, logged_in_http
from verifier.domain.accounts import md5_hex

SESSION_COOKIE = "bhyt_dashboard_session"
ACK = api_pb2.ALERT_STATUS_ACKNOWLEDGED
CLOSED = api_pb2.ALERT_STATUS_CLOSED


@pytest.fixture
async def staff() -> StaffAccounts:
    return await new_staff()


@pytest.fixture
async def served(staff: StaffAccounts) -> AsyncIterator[Served]:
    async with serve(staff) as served:
        yield served


def anonymous() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def set_cookie(response: aiohttp.ClientResponse) -> SimpleCookie:
    cookie: SimpleCookie = SimpleCookie()
    for header in response.headers.getall("Set-Cookie", []):
        cookie.load(header)
    return cookie


# ---- nothing without a session ------------------------------------------------------------------


async def test_without_a_session_the_page_redirects_to_login_and_the_api_is_401(served: Served) -> None:
    async with anonymous() as http:
        async with http.get(served.dashboard.url, allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == "login"
        async with http.get(served.api("?province=79"), allow_redirects=False) as response:
            assert response.headers["Location"] == "login?province=79"  # the bookmark survives
        for path in ("api/alerts", "api/stats", "api/events", "api/reasons", "api/session", "api/nothing"):
            async with http.get(served.api(path)) as response:
                assert response.status == 401, path
                assert response.content_type == "application/json"
                assert (await response.json())["status"] == 401
        # A made-up cookie is no session either, and nothing is recorded.
        http.cookie_jar.update_cookies(
            {SESSION_COOKIE: "not-a-token"}, aiohttp.client.URL(served.dashboard.url)
        )
        async with http.get(served.api("api/events")) as response:
            assert response.status == 401
        async with http.post(served.api("api/alerts/al-0001/acknowledge"), json={}) as response:
            assert response.status == 401
    assert served.board.watchers == 0
    assert served.board.actions == []

    async with chromium_page("dashboard-no-session") as page:
        await page.goto(served.dashboard.url)
        await expect(page).to_have_url(served.api("login"))
        await expect(page.locator("html")).to_have_attribute("lang", "vi")
        await expect(page.get_by_role("heading", name="Đăng nhập bằng tài khoản giám sát")).to_be_visible()
        await expect(page.get_by_test_id("alert-row")).to_have_count(0)
        assert served.board.watchers == 0
        await save_screenshot(page, "dashboard-login")
        assert page_errors(page) == []


async def test_a_wrong_password_is_refused_in_vietnamese_then_in_english(served: Served) -> None:
    async with chromium_page("dashboard-wrong-password") as page:
        await page.goto(served.api("login"))
        await page.get_by_label("Tên đăng nhập", exact=True).fill(MONITOR)
        await page.get_by_label("Mật khẩu", exact=True).fill("not-the-password")
        await page.get_by_test_id("login-submit").click()
        error = page.get_by_test_id("login-error")
        await expect(error).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")
        await expect(page).to_have_url(served.api("login"))
        await page.get_by_test_id("lang-switch").click()
        await expect(error).to_have_text("Wrong username or password.")
        await expect(page.get_by_label("Password", exact=True)).to_have_value("")  # cleared for a retry
        assert await page.context.cookies() == []
        # The refused login shows up as 401 in the console; nothing else may.
        assert [e for e in page_errors(page) if "401" not in e] == []


async def test_a_his_account_cannot_use_the_dashboard(served: Served) -> None:
    async with chromium_page("dashboard-his-account") as page:
        await page.goto(served.api("login"))
        await page.get_by_label("Tên đăng nhập", exact=True).fill(HIS)
        await page.get_by_label("Mật khẩu", exact=True).fill(served.staff.passwords[HIS])
        await page.get_by_test_id("login-submit").click()
        await expect(page.get_by_test_id("login-error")).to_have_text(
            "Tài khoản này không phải tài khoản giám sát, không được dùng bảng theo dõi."
        )
        assert await page.context.cookies() == []
    assert served.staff.sessions.tokens == {}  # the token issued on the way was revoked
    # Nor does a token the HIS gateway issued open it when presented as the cookie.
    issued = await served.staff.service.log_in(HIS, md5_hex(served.staff.passwords[HIS]), address="10.0.0.9")
    async with anonymous() as http:
        http.cookie_jar.update_cookies(
            {SESSION_COOKIE: issued.access_token}, aiohttp.client.URL(served.dashboard.url)
        )
        async with http.get(served.api("api/alerts")) as response:
            assert response.status == 401


async def test_a_locked_account_says_so(served: Served) -> None:
    async with anonymous() as http:
        kinds = []
        for _ in range(5):  # LoginPolicy's default: locked at the fifth failure in the window
            async with http.post(served.api("login"), data={"username": MONITOR, "password": "x" * 12}) as r:
                assert r.status == 401
                kinds.append((await r.json())["error"])
        assert kinds == ["wrong"] * 4 + ["locked"]
    async with chromium_page("dashboard-locked") as page:
        await page.goto(served.api("login"))
        await page.get_by_label("Tên đăng nhập", exact=True).fill(MONITOR)
        await page.get_by_label("Mật khẩu", exact=True).fill(served.staff.passwords[MONITOR])  # right, but
        await page.get_by_test_id("login-submit").click()
        await expect(page.get_by_test_id("login-error")).to_have_text(
            "Tài khoản tạm bị khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau."
        )


# ---- a monitoring account's session ---------------------------------------------------------------


async def test_a_monitoring_login_shows_the_alerts_with_a_strict_session_cookie(served: Served) -> None:
    async with chromium_page("dashboard-login-ok") as page:
        await page.goto(served.dashboard.url + "?min_severity=medium")
        await expect(page).to_have_url(served.api("login?min_severity=medium"))
        await page.get_by_label("Tên đăng nhập", exact=True).fill(MONITOR)
        await page.get_by_label("Mật khẩu", exact=True).fill(served.staff.passwords[MONITOR])
        await page.get_by_test_id("login-submit").click()
        await expect(page.get_by_test_id("stream-status")).to_have_text("trực tuyến")
        await expect(page).to_have_url(served.dashboard.url + "?min_severity=medium")  # the filter kept
        await expect(page.get_by_test_id("alert-row")).to_have_count(2)
        await expect(page.get_by_test_id("signed-in-as")).to_have_text(f"Đăng nhập: {MONITOR}")

        [cookie] = await page.context.cookies()
        assert cookie["name"] == SESSION_COOKIE
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert cookie["secure"] is False  # plain HTTP here; see the HTTPS test
        [token] = served.staff.sessions.tokens.values()
        assert abs(cookie["expires"] - token.expires_at.timestamp()) <= 1  # expires with the token
        assert await page.evaluate("document.cookie") == ""  # out of the page scripts' reach
        await page.goto(served.api("login"))  # logged in already: straight back
        await expect(page.get_by_test_id("stream-status")).to_have_text("trực tuyến")
        assert page_errors(page) == []


async def test_acknowledge_and_close_record_the_logged_in_account(served: Served) -> None:
    async with chromium_page("dashboard-acknowledge") as page:
        await served.log_in(page)
        row = page.locator('[data-testid="alert-row"][data-alert-id="al-0003"]')
        await row.click()
        await expect(page.get_by_label("Ghi chú", exact=True)).to_be_visible()
        await expect(page.locator('[name*="staff"], [id*="staff"]')).to_have_count(0)  # no staff id to type
        await page.get_by_label("Ghi chú", exact=True).fill("đã gọi cơ sở 01-001")
        await page.get_by_test_id("acknowledge").click()
        await expect(row).to_contain_text(f"đã tiếp nhận bởi {MONITOR}")
        await expect(page.get_by_test_id("acknowledge")).to_be_disabled()
        await page.get_by_label("Kết luận khi đóng", exact=True).select_option("false_alarm")
        await page.get_by_test_id("close-alert").click()
        await expect(row).to_have_count(0)  # closed alerts leave the list
        await save_screenshot(page, "dashboard-acknowledged")
        assert page_errors(page) == []
    assert served.board.actions == [("al-0003", ACK, MONITOR), ("al-0003", CLOSED, MONITOR)]
    async with (
        served.http() as (http, _),
        http.get(served.api("api/alerts?include_closed=true&rule=rate_jump")) as response,
    ):
        [view] = (await response.json())["alerts"]
    assert view["status_by"] == MONITOR
    assert view["status_note"] == "false_alarm"


async def test_a_typed_staff_id_is_ignored(served: Served) -> None:
    async with (
        served.http() as (http, csrf),
        http.post(
            served.api("api/alerts/al-0001/acknowledge"),
            json={"staff_id": "someone-else", "note": "n"},
            headers={CSRF_HEADER: csrf},
        ) as response,
    ):
        assert response.status == 200
        assert (await response.json())["status_by"] == MONITOR
    assert served.board.actions == [("al-0001", ACK, MONITOR)]


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "CSRF token"),
        ({CSRF_HEADER: "0" * 64}, "CSRF token"),
        ({"Origin": "http://evil.example"}, "cross-origin"),  # with the right token added below
        ({"Origin": "null"}, "cross-origin"),
        ({"Sec-Fetch-Site": "cross-site"}, "cross-origin"),
    ],
)
async def test_an_action_without_the_csrf_token_or_from_another_site_is_refused(
    served: Served, headers: dict[str, str], why: str
) -> None:
    async with served.http() as (http, csrf):
        sent = {CSRF_HEADER: csrf, **headers} if why == "cross-origin" else headers
        for path in ("api/alerts/al-0001/acknowledge", "api/alerts/al-0001/close", "logout"):
            async with http.post(served.api(path), json={}, headers=sent) as response:
                assert response.status == 403, path
                assert why in (await response.json())["error"]
        async with http.get(served.api("api/session")) as response:
            assert response.status == 200  # the refused logout ended nothing
    assert served.board.actions == []


async def test_a_cross_site_login_post_is_refused(served: Served) -> None:
    password = served.staff.passwords[MONITOR]
    async with (
        anonymous() as http,
        http.post(
            served.api("login"),
            data={"username": MONITOR, "password": password},
            headers={"Origin": "http://evil.example"},
        ) as response,
    ):
        assert response.status == 403
        assert SESSION_COOKIE not in set_cookie(response)


async def test_logout_ends_the_session_its_cookie_and_its_open_streams(served: Served) -> None:
    async with chromium_page("dashboard-logout") as page:
        await served.log_in(page)
        [cookie] = await page.context.cookies()
        token = cookie["value"]
        await page.get_by_test_id("logout").click()
        await expect(page).to_have_url(served.api("login"))
        assert await page.context.cookies() == []
        await page.goto(served.dashboard.url)
        await expect(page).to_have_url(served.api("login"))
        assert page_errors(page) == []
    assert served.staff.sessions.tokens == {}  # revoked, not only forgotten by the browser
    async with anonymous() as http:
        http.cookie_jar.update_cookies({SESSION_COOKIE: token}, aiohttp.client.URL(served.dashboard.url))
        async with http.get(served.api("api/alerts")) as response:
            assert response.status == 401  # a copy of the cookie is dead too

    # Over HTTP: an open stream of the session ends at the logout.
    async with served.http() as (http, csrf):
        async with http.get(served.api("api/events")) as stream:
            await next_event(stream, "alert")
            async with http.post(served.api("logout"), headers={CSRF_HEADER: csrf}) as response:
                assert response.status == 200
                assert set_cookie(response)[SESSION_COOKIE]["max-age"] == "0"
            assert (await next_event(stream, "warning"))["kind"] == "session_ended"
        async with http.get(served.api("api/alerts")) as response:
            assert response.status == 401


async def test_a_stream_ends_when_its_session_is_revoked_elsewhere(served: Served) -> None:
    async with served.http() as (http, _), http.get(served.api("api/events")) as stream:
        await next_event(stream, "alert")
        await served.staff.sessions.revoke_all(MONITOR)  # e.g. the account disabled
        warning = await asyncio.wait_for(next_event(stream, "warning"), 10)
        assert warning["kind"] == "session_ended"


def local_https(directory: Path) -> tuple[ssl.SSLContext, LocalCa, Path]:
    """A server context with a new local CA's certificate for 127.0.0.1, as the verifier serves the
    dashboard in the local stack; the CA, and the server certificate (for Chromium's pin)."""
    ca = LocalCa(directory)
    ca.init()
    cert, key = ca.server(["127.0.0.1"])
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, ca, cert


async def test_the_session_cookie_is_secure_over_https(staff: StaffAccounts, tmp_path: Path) -> None:
    context, ca, _ = local_https(tmp_path)
    async with serve(staff, ssl_context=context) as served:
        assert served.dashboard.url.startswith("https://")
        client = ssl.create_default_context(cafile=str(ca.cert_path))
        connector = aiohttp.TCPConnector(ssl=client)
        async with aiohttp.ClientSession(connector=connector) as http:
            form = {"username": MONITOR, "password": staff.passwords[MONITOR]}
            async with http.post(served.api("login"), data=form) as response:
                assert response.status == 200
                morsel = set_cookie(response)[SESSION_COOKIE]
    assert morsel["secure"] is True
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Strict"
    assert morsel["path"] == ""  # scoped by the browser to where the dashboard is served
    expires = datetime.strptime(morsel["expires"], "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)


async def test_staff_log_in_over_https_in_chromium_and_the_secure_cookie_carries_the_session(
    staff: StaffAccounts, tmp_path: Path
) -> None:
    """A real browser keeps a Secure cookie only from an HTTPS page and sends it only back over
    HTTPS: the login, the page's API calls and its event stream all work with it."""
    context, _, certificate = local_https(tmp_path)
    async with (
        serve(staff, ssl_context=context) as served,
        chromium_page("dashboard-https", trust_certificate=certificate) as page,
    ):
        await page.goto(served.dashboard.url)
        await expect(page).to_have_url(served.dashboard.url + "login")  # nothing without a session
        await served.log_in(page)  # waits until the stream, opened with the cookie, is live
        await expect(page.get_by_test_id("alert-row")).to_have_count(3)  # the API answered too
        (cookie,) = [c for c in await page.context.cookies() if c["name"] == SESSION_COOKIE]
        assert (cookie["secure"], cookie["httpOnly"], cookie.get("sameSite")) == (True, True, "Strict")
        assert page_errors(page) == []


async def test_login_answers_stay_usable_when_logged_in_twice(served: Served) -> None:
    """Two browsers of the same person hold two sessions; logging out of one keeps the other."""
    password = served.staff.passwords[MONITOR]
    async with (
        logged_in_http(served.dashboard.url, MONITOR, password) as (first, csrf),
        logged_in_http(served.dashboard.url, MONITOR, password) as (second, _),
    ):
        async with first.post(served.api("logout"), headers={CSRF_HEADER: csrf}) as response:
            assert response.status == 200
        async with second.get(served.api("api/alerts")) as response:
            assert response.status == 200
