"""The local stack's monitoring account, so the staff dashboard (which needs a login) is usable
right after `infra/stack up`.

Added once, the way `python -m verifier account add monitor-local --role monitoring` adds one (an
AccountAdded event through AccountService, projected by the worker), with a generated password
kept in `<state>/dashboard-login.json` (mode 0600), whose path `up` prints. Later `up`s find the
file and add nothing. Production creates its accounts with the CLI; nothing here runs there.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from verifier.adapters.accounts import RedisAccountsReadModel
from verifier.adapters.kafka_log import KafkaEventLog
from verifier.adapters.redis_client import connect
from verifier.bootstrap import account_service
from verifier.domain.facilities import FacilityRegistry
from verifier.service.accounts import AlreadyExists
from verifier.settings import Settings

LOCAL_MONITOR = "monitor-local"
LOGIN_FILE = "dashboard-login.json"


class DashboardAccountError(RuntimeError):
    """The account could not be added, or is not projected in time: `up` says so and goes on."""


def login_file(state: Path) -> Path:
    return state / LOGIN_FILE


def ensure_dashboard_account(settings: Settings, state: Path, *, timeout_s: float = 60.0) -> Path:
    """The file holding the local monitoring account's username and password, adding the account
    first when there is no such file. Call it once the worker (the accounts projection) runs."""
    path = login_file(state)
    if path.exists():
        return path
    try:
        password = asyncio.run(
            add_monitoring_account(settings, LOCAL_MONITOR, by="infra/stack up", timeout_s=timeout_s)
        )
    except AlreadyExists as e:
        # The state directory lost the file but kept the event log: the password is gone with it.
        raise DashboardAccountError(
            f"{LOCAL_MONITOR} exists but {path} is gone; add another monitoring account with "
            "`python -m verifier account add NAME --role monitoring`"
        ) from e
    state.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump({"username": LOCAL_MONITOR, "password": password}, out, indent=2)
        out.write("\n")
    return path


async def add_monitoring_account(
    settings: Settings, username: str, *, by: str, timeout_s: float = 30.0
) -> str:
    """Add a monitoring account through AccountService (an AccountAdded event on the stack's Kafka)
    and wait until the accounts projection has it, so it can log in at once; its generated password."""
    loop = asyncio.get_running_loop()
    event_log = await loop.run_in_executor(None, KafkaEventLog.connect, settings)
    client = connect(settings.redis_url, decode_responses=True)
    facilities = FacilityRegistry.from_lines(
        settings.facilities_file.read_text(encoding="utf-8").splitlines()
    )
    try:
        added = await account_service(settings, client, event_log, facilities).add_account(
            username, role="monitoring", by=by
        )
        directory = RedisAccountsReadModel(client)
        deadline = loop.time() + timeout_s
        while await directory.account(username) is None:
            if loop.time() > deadline:
                raise DashboardAccountError(f"{username} was not projected within {timeout_s:.0f}s")
            await asyncio.sleep(0.1)
        return added.generated_password
    finally:
        await client.aclose()
        await loop.run_in_executor(None, event_log.close)
