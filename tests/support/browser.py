"""Headless Chromium for page tests: Debian's /usr/bin/chromium driven through Playwright.

Playwright's own browsers are never downloaded (`playwright install` needs the internet, which CI
here does not have); Debian's Chromium is used instead, with a fresh profile per page so no test
sees another's cookies, cache or service workers. `infra/stack test` installs it when missing.

    async with chromium_page("dashboard") as page:
        await page.goto(url)
        await expect(page.get_by_test_id("stream-status")).to_have_attribute("data-state", "live")
        await save_screenshot(page, "dashboard")

A page over HTTPS from the local CA names the server's certificate (`trust_certificate=`): trusting
a CA in headless Chromium means an NSS database per profile, so instead exactly that certificate's
public key is accepted; any other certificate still fails, as it would for staff.

A failing test leaves `test-artifacts/<name>-failure.png` behind, and `page_errors(page)` lists the
page's uncaught JavaScript errors and console errors, so a test can insist there were none.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from playwright.async_api import ConsoleMessage, Error, Page, async_playwright, expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",  # tests run as root in containers, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",  # no update checks, safe-browsing lists, ... (no internet)
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
)
DEFAULT_TIMEOUT_MS = 10_000

_ERRORS_ATTR = "_bhyt_page_errors"


class ChromiumMissing(RuntimeError):
    """The browser tests cannot run: a setup fault to fix, never a reason to skip them."""


def chromium_path() -> Path:
    """Debian's Chromium, or ChromiumMissing saying how to get it (never a download)."""
    if CHROMIUM.exists():
        return CHROMIUM
    found = shutil.which("chromium")
    if found:
        return Path(found)
    raise ChromiumMissing(
        f"{CHROMIUM} not found: run `apt-get install -y chromium` (infra/stack test does it for you)"
    )


@asynccontextmanager
async def chromium_page(
    name: str = "page",
    *,
    width: int = 1400,
    height: int = 1000,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    trust_certificate: Path | None = None,
) -> AsyncIterator[Page]:
    """A page in a fresh headless Chromium; the browser and its profile are gone on exit.

    `name` names the failure screenshot. Every Playwright wait on this page defaults to
    `timeout_ms`, so a test waits on conditions (expect, wait_for_selector), never on sleeps;
    `expect` is Playwright's global, so its default is set here too. `trust_certificate`: a PEM
    server certificate this browser accepts though no CA it trusts issued it (the local CA's).
    """
    executable = chromium_path()
    args = list(CHROMIUM_ARGS)
    if trust_certificate is not None:
        # Test launcher only: Chromium skips certificate errors for a chain holding this public key
        # (SHA-256 of its SubjectPublicKeyInfo), and only this one; the flag needs --user-data-dir,
        # which launch_persistent_context passes. A CA's key does not work here: the server sends
        # only its own certificate, so the pin is the server's.
        args.append(f"--ignore-certificate-errors-spki-list={spki_pin(trust_certificate)}")
    expect.set_options(timeout=timeout_ms)
    with tempfile.TemporaryDirectory(prefix="bhyt-chromium-") as profile:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                profile,
                executable_path=str(executable),
                headless=True,
                args=args,
                viewport={"width": width, "height": height},
                locale="en-GB",
                timezone_id="Asia/Ho_Chi_Minh",
            )
            try:
                context.set_default_timeout(timeout_ms)
                page = context.pages[0] if context.pages else await context.new_page()
                _record_errors(page)
                try:
                    yield page
                except BaseException:
                    await _failure_screenshot(page, name)
                    raise
            finally:
                await context.close()


def spki_pin(certificate: Path) -> str:
    """Base64 SHA-256 of the certificate's SubjectPublicKeyInfo: how Chromium names a pinned key."""
    key = x509.load_pem_x509_certificate(certificate.read_bytes()).public_key()
    digest = hashlib.sha256(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).digest()
    return base64.b64encode(digest).decode()


def page_errors(page: Page) -> list[str]:
    """Uncaught exceptions and console errors seen on `page` so far (a live list)."""
    errors: list[str] = getattr(page, _ERRORS_ATTR, [])
    return errors


async def save_screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save `test-artifacts/<name>.png` at the repository root (gitignored) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{_safe_name(name)}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path


def _record_errors(page: Page) -> None:
    errors: list[str] = []
    setattr(page, _ERRORS_ATTR, errors)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text}")

    def on_page_error(error: Error) -> None:
        errors.append(f"uncaught: {error.message}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)


async def _failure_screenshot(page: Page, name: str) -> None:
    """Best effort: a page that already crashed must not hide the test's own failure."""
    with contextlib.suppress(Exception):
        await save_screenshot(page, f"{name}-failure")


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "page"
