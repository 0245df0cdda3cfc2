"""The staff dashboard of a TLS verifier is served over HTTPS only, so its session cookie is Secure.

The verifier runs as its own process with the local CA's certificates (as `infra/stack up` runs
it) and serves the dashboard with the gRPC server's certificate. curl, a plain HTTP client that is
not our code, verifies the server against the local CA alone (`--cacert`, as the README tells
staff to), logs in with a monitoring account made through the real Accounts path and projected by
a Faust worker, and reads the `Set-Cookie` header itself: Secure, HttpOnly, SameSite=Strict. Plain
HTTP to the same port gets no page at all.
"""

from __future__ import annotations

import json
import subprocess
import urllib.parse
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from infra.local.dashboard_account import add_monitoring_account
from infra.local.pki import LocalCa, ensure_local_pki
from infra.local.procs import free_port
from infra.stack import local_tls
from tests.e2e.test_dashboard_misuse import MONITOR
from tests.support.stack import Stack, StackFactory
from verifier.client_channel import ClientTls

SESSION_COOKIE = "bhyt_dashboard_session"
PAGE_TITLE = "Giám sát lạm dụng thẻ BHYT"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LocalCa:
    return ensure_local_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def stack(stacks: StackFactory, pki: LocalCa) -> Iterator[Stack]:
    settings = stacks.settings(
        "dashtls", insecure_plaintext=0, dashboard_listen=f"127.0.0.1:{free_port()}", **local_tls(pki.dir)
    )
    admin = ClientTls.from_pki(pki.dir, "admin-local")
    with Stack.running(settings, stacks.log_dir(), worker=True, client_tls=admin) as running:
        yield running


def curl(*args: str) -> subprocess.CompletedProcess[str]:
    """curl's own exit code and output; `%{http_code}` on the last line (000: no HTTP answer)."""
    return subprocess.run(
        ["curl", "-sS", "-w", "\n%{http_code}", *args], capture_output=True, text=True, timeout=30
    )


def headers_of(dump: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of a `curl -D -` header dump."""
    pairs = []
    for line in dump.splitlines():
        name, sep, value = line.partition(":")
        if sep and not name.startswith("HTTP/"):
            pairs.append((name.strip().lower(), value.strip()))
    return pairs


async def test_a_login_over_the_verifiers_https_dashboard_sets_a_secure_httponly_strict_cookie(
    stack: Stack, pki: LocalCa, tmp_path: Path
) -> None:
    base = f"https://{stack.settings.dashboard_listen}/"
    ca = str(pki.dir / "ca.pem")
    password = await add_monitoring_account(stack.settings, MONITOR, by="test")

    # Before logging in: the page is served over HTTPS, verified with the local CA, and says log in.
    page = curl("--cacert", ca, "-L", base)
    assert page.returncode == 0, page.stderr
    body, status = page.stdout.rsplit("\n", 1)
    assert status == "200" and PAGE_TITLE in body

    # The password from a file, so it is not on curl's command line for `ps` to show.
    form = tmp_path / "login-form"
    form.write_text(urllib.parse.urlencode({"username": MONITOR, "password": password}))
    login = curl("--cacert", ca, "-D", "-", "-o", "/dev/null", "--data", f"@{form}", base + "login")
    assert login.returncode == 0, login.stderr
    dump, status = login.stdout.rsplit("\n", 1)
    assert status == "200", dump
    cookies = [value for name, value in headers_of(dump) if name == "set-cookie"]
    assert len(cookies) == 1, dump
    jar: SimpleCookie = SimpleCookie()
    jar.load(cookies[0])
    morsel = jar[SESSION_COOKIE]
    assert morsel["secure"] is True
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Strict"

    # The cookie is the session: the API answers with it, over HTTPS.
    session = curl("--cacert", ca, "-b", f"{SESSION_COOKIE}={morsel.value}", base + "api/session")
    assert session.returncode == 0, session.stderr
    answer, status = session.stdout.rsplit("\n", 1)
    assert status == "200", answer
    assert json.loads(answer)["username"] == MONITOR


def test_plain_http_to_the_dashboard_port_gets_no_page(stack: Stack) -> None:
    for path in ("", "login", "api/session"):
        plain = curl(f"http://{stack.settings.dashboard_listen}/{path}")
        assert plain.returncode != 0, plain.stdout  # the TLS server drops the plaintext request
        assert plain.stdout.endswith("000"), plain.stdout  # ...before any HTTP answer
        assert PAGE_TITLE not in plain.stdout
