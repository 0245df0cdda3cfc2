"""Logging in to the staff dashboard, as staff do: in Chromium through the login form, or over
HTTP with the same form post (aiohttp keeps the session cookie), for the JSON and stream tests.

    async with chromium_page("x") as page:
        await log_in_page(page, url, "giam-sat", password)      # the page is live afterwards
    async with logged_in_http(url, "giam-sat", password) as (http, csrf):
        await http.get(url + "api/alerts")
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from playwright.async_api import Page, expect

CSRF_HEADER = "X-CSRF-Token"


async def log_in_page(page: Page, url: str, username: str, password: str) -> None:
    """Open `url`'s login page, log in, and wait for the dashboard's stream to be live."""
    await page.goto(url + "login")
    await page.get_by_label("Tên đăng nhập", exact=True).fill(username)
    await page.get_by_label("Mật khẩu", exact=True).fill(password)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("stream-status")).to_have_attribute("data-state", "live")


@asynccontextmanager
async def logged_in_http(
    url: str, username: str, password: str
) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    """An HTTP client holding the session cookie, and the session's CSRF token.

    `unsafe=True`: aiohttp's cookie jar otherwise ignores cookies from an IP address (127.0.0.1)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(url + "login", data={"username": username, "password": password}) as response:
            assert response.status == 200, await response.text()
        async with http.get(url + "api/session") as response:
            assert response.status == 200, await response.text()
            csrf = str((await response.json())["csrf_token"])
        yield http, csrf
