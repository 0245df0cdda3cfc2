"""The README's first command, as a user runs it: `infra/stack up`, use it, `status`, `down`."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from infra.local.procs import free_port, wait_until
from infra.stack import Stack, settings_of
from projections.rebuild import digest as projection_digest

ROOT = Path(__file__).resolve().parents[2]


def stack(state: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "infra" / "stack"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "BHYT_STATE_DIR": str(state)},
    )


def cli(target: str, state: Path, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "verifier", *args, "--target", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "BHYT_CLIENT_PKI_DIR": str(state / "pki")},
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def scraped_value(url: str, name: str, labels: dict[str, str]) -> float:
    """The value of one series at a /metrics URL (0 when absent)."""
    with urllib.request.urlopen(url, timeout=10) as page:
        families = text_string_to_metric_families(page.read().decode())
        return sum(s.value for f in families for s in f.samples if s.name == name and s.labels == labels)


def test_stack_up_serves_check_ins_and_down_stops_everything(tmp_path: Path) -> None:
    state = tmp_path / "state"
    port = free_port()
    try:
        started = stack(state, "up", "--grpc-port", str(port))
        assert started.returncode == 0, started.stderr
        assert f"127.0.0.1:{port}" in started.stdout

        target = f"127.0.0.1:{port}"
        enrolled = cli(
            target,
            state,
            "enroll",
            "GD4404016354956",
            "--name",
            "Nguyễn Văn An",
            "--dob",
            "1990-05-01",
            "--gender",
            "male",
            "--facility",
            "40-C54",
            "--valid-from",
            "2020-01-01",
            "--valid-to",
            "2099-12-31",
        )
        assert enrolled["topic"] == "bhyt.participation.v1"

        status = stack(state, "status")
        assert status.returncode == 0, status.stdout + status.stderr
        assert "verifier   up" in status.stdout

        # The dashboard is HTTPS with the local CA's server certificate, as the README says to open it.
        dashboard = re.search(r"staff dashboard (https://\S+)", started.stdout)
        assert dashboard, started.stdout
        local_ca = ssl.create_default_context(cafile=str(state / "pki" / "ca.pem"))
        assert f"local CA {state / 'pki' / 'ca.pem'}" in started.stdout  # which CA to trust
        with urllib.request.urlopen(dashboard.group(1), timeout=10, context=local_ca) as page:
            assert "Giám sát lạm dụng thẻ BHYT" in page.read().decode()  # Vietnamese by default
            assert page.url == dashboard.group(1) + "login"  # nothing without a session
        # `up` made a monitoring account for the dashboard and says where its password is.
        login = re.search(r"dashboard login (\S+), password in (\S+)", started.stdout)
        assert login, started.stdout
        assert (Path(login.group(2)).stat().st_mode & 0o777) == 0o600
        account = json.loads(Path(login.group(2)).read_text())
        assert account["username"] == login.group(1) == "monitor-local"
        browser = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(), urllib.request.HTTPSHandler(context=local_ca)
        )
        form = urllib.parse.urlencode({"username": account["username"], "password": account["password"]})
        with browser.open(dashboard.group(1) + "login", data=form.encode(), timeout=10) as answer:
            assert json.load(answer)["username"] == "monitor-local"
        with browser.open(dashboard.group(1) + "api/alerts", timeout=10) as answer:
            assert json.load(answer)["alerts"] == []
        # The HIS gateway: `up` prints its HTTPS URL, `env` exports it, curl with the local CA reaches it.
        his = re.search(r"HIS gateway\s+(https://\S+)", started.stdout)
        assert his, started.stdout
        assert f"export BHYT_HIS_URL={his.group(1)}" in stack(state, "env").stdout.splitlines()
        ca = str(state / "pki" / "ca.pem")
        served = subprocess.run(
            ["curl", "-sS", "--cacert", ca, f"{his.group(1)}/api/openapi.json"],
            capture_output=True,
            timeout=30,
        )
        assert json.loads(served.stdout)["openapi"].startswith("3."), served.stderr

        # The stack serves mTLS: the app's certificate reads the card once the worker projected it...
        wait_until(
            lambda: cli(target, state, "status", "GD4404016354956")["found"] is True,
            timeout=60,
            what="the enrollment projected",
        )
        # ...and the local kiosk certificate checks in for its own facility...
        accepted = cli(target, state, "checkin", "GD4404016354956", "--staff", "nv-01")
        assert accepted["result_code"] == "000", accepted
        # `up` printed where Prometheus scrapes: the verifier counted the check-in, the worker applied it.
        scraped = {who: url for url, who in re.findall(r"(http://\S+/metrics)\s+\((\S+)\)", started.stdout)}
        assert scraped.keys() == {"verifier", "worker-1"}, started.stdout
        answered = {
            "method": "CheckIn/VerifyCard",
            "grpc_code": "OK",
            "verdict": "ACCEPTED",
            "result_code": "000",
        }
        assert scraped_value(scraped["verifier"], "bhyt_grpc_requests_total", answered) == 1
        wait_until(
            lambda: (
                scraped_value(
                    scraped["worker-1"], "bhyt_projection_events_applied_total", {"projection": "usage"}
                )
                >= 1
            ),
            timeout=60,
            what="the worker's metrics show the check-in applied",
        )
        checkin = [sys.executable, "-m", "verifier", "checkin", "--target", target, "--staff", "nv-01"]
        with_pki = {**os.environ, "BHYT_CLIENT_PKI_DIR": str(state / "pki")}
        bad = subprocess.run(
            [*checkin, "", "--facility", "40-001"], cwd=ROOT, capture_output=True, text=True, env=with_pki
        )
        assert bad.returncode == 2
        assert bad.stderr.strip() == "error: INVALID_ARGUMENT: 205 card number is empty"
        # ...and a plaintext client gets no answer at all.
        plain = subprocess.run(
            [*checkin, "GD4404016354956", "--plaintext", "--timeout", "5"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert plain.returncode == 2 and "UNAVAILABLE" in plain.stderr, plain.stderr
    finally:
        stopped = stack(state, "down")
    assert stopped.returncode == 0, stopped.stderr
    after = stack(state, "status")
    assert after.returncode == 1
    assert "DOWN" in after.stdout and " up " not in after.stdout


# What a rebuild reproduces byte for byte (the monitor's states carry save counts, which depend on
# how events were batched: bench/chaos.py compares those by value).
REPRODUCED = ("participation", "usage", "accounts")


def digest(state: Path) -> dict[str, tuple[str, int]]:
    """`projections.rebuild.digest` of each reproduced projection, with the stack's own settings."""
    settings = settings_of(Stack(state))
    return {name: projection_digest(settings, [name]) for name in REPRODUCED}


@pytest.mark.timeout(600)
def test_the_cluster_layout_serves_check_ins_and_a_rebuild_equals_the_live_read_model(tmp_path: Path) -> None:
    """3 Kafka nodes, a Redis Cluster of 6 nodes, 2 verifiers sharing the port, 2 workers."""
    state = tmp_path / "state"
    port = free_port()
    layout = ["--kafka-nodes", "3", "--redis-nodes", "6", "--workers", "2", "--verifiers", "2"]
    try:
        started = stack(state, "up", "--grpc-port", str(port), *layout, timeout=400)
        assert started.returncode == 0, started.stderr
        assert "Redis           redis+cluster://" in started.stdout
        status = stack(state, "status")
        assert status.returncode == 0, status.stdout + status.stderr
        roles = re.findall(r"^redis-\d\s+up\s+\S+ (master|replica)", status.stdout, re.MULTILINE)
        assert sorted(roles) == ["master"] * 3 + ["replica"] * 3, status.stdout
        assert re.search(r"^verifier-1\s+up", status.stdout, re.MULTILINE), status.stdout
        assert re.search(r"^verifier-2\s+up", status.stdout, re.MULTILINE), status.stdout

        target = f"127.0.0.1:{port}"
        cards = [f"GD440401635{i:04d}" for i in range(3)]
        for card in cards:
            cli(target, state, "enroll", card, "--name", "Nguyễn Văn An", "--dob", "1990-05-01",
                "--gender", "male", "--facility", "40-C54", "--valid-from", "2020-01-01",
                "--valid-to", "2099-12-31")  # fmt: skip
        for card in cards:
            wait_until(lambda c=card: cli(target, state, "status", c)["found"] is True,  # type: ignore[misc]
                       timeout=60, what=f"{card} projected")  # fmt: skip
            assert cli(target, state, "checkin", card, "--staff", "nv-01")["result_code"] == "000"

        def counted(card: str) -> bool:
            usage = cli(target, state, "status", card).get("usage")
            return isinstance(usage, dict) and usage.get("check_ins_total") == 1

        wait_until(lambda: all(counted(c) for c in cards), timeout=60, what="the check-ins projected")
        seen = [digest(state)]  # two digests in a row agree: nothing is still being applied

        def settled() -> bool:
            seen.append(digest(state))
            return seen[-1] == seen[-2]

        wait_until(settled, timeout=60, what="the projections settled")
        live = seen[-1]

        rebuilt = stack(state, "rebuild", timeout=400)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert digest(state) == live  # the same keys and values, rebuilt from the log on the cluster
        assert stack(state, "status").returncode == 0
    finally:
        stopped = stack(state, "down", timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    after = stack(state, "status")
    assert after.returncode == 1 and " up " not in after.stdout
