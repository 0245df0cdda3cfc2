"""Accounts and staff end to end: added through the CLI, recorded on bhyt.accounts.v1, projected by
a Faust worker into Redis, used for logins by AccountService on the real adapters (as the HIS
gateway uses it), disabled with immediate effect, and rebuilt from the log to the same state."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
import redis.asyncio as aioredis

from infra.local.procs import wait_until
from projections.rebuild import digest, rebuild
from tests.support.kafka_state import group_caught_up
from tests.support.stack import Stack, StackFactory
from verifier.adapters.kafka_log import KafkaEventLog
from verifier.bootstrap import account_service
from verifier.cli import main
from verifier.domain.accounts import md5_hex
from verifier.domain.facilities import FacilityRegistry
from verifier.errors import Unauthenticated
from verifier.service.accounts import Account, AccountService, LoginRefused, Role, StaffMember

T = TypeVar("T")
CCCD = "040090001234"


@pytest.fixture(scope="module")
def stack(stacks: StackFactory) -> Iterator[Stack]:
    settings = stacks.settings("acct", topic_partitions=2)
    with Stack.running(settings, stacks.log_dir(), worker=True) as stack:
        yield stack


def cli(capsys: pytest.CaptureFixture[str], stack: Stack, *args: str) -> dict[str, Any]:
    with pytest.raises(SystemExit) as done:
        main([*args, "--target", stack.settings.grpc_listen, "--plaintext"])
    out, err = capsys.readouterr()
    assert done.value.code in (0, None), err
    parsed: dict[str, Any] = json.loads(out)
    return parsed


def with_accounts(stack: Stack, event_log: KafkaEventLog, use: Callable[[AccountService], Awaitable[T]]) -> T:
    """Run `use` with the AccountService the verifier builds (bootstrap.account_service), on the
    stack's Redis and Kafka: a client per event loop, as the verifier has."""
    facilities = FacilityRegistry.from_lines(
        stack.settings.facilities_file.read_text(encoding="utf-8").splitlines()
    )

    async def run() -> T:
        client = aioredis.from_url(stack.settings.redis_url, decode_responses=True)
        try:
            return await use(account_service(stack.settings, client, event_log, facilities))
        finally:
            await client.aclose()

    return asyncio.run(run())


def test_accounts_and_staff_from_the_cli_to_a_login_a_disabling_and_a_rebuild(
    capsys: pytest.CaptureFixture[str], stack: Stack
) -> None:
    event_log = KafkaEventLog.connect(stack.settings)
    try:
        created = cli(capsys, stack, "account", "add", "bv-da-khoa", "--role", "his", "--facility", "40-001")
        password = str(created["generated_password"])
        cli(capsys, stack, "account", "add", "giam-sat", "--role", "monitoring")
        member = cli(
            capsys,
            stack,
            "staff",
            "add",
            "--facility",
            "40-001",
            "--personal-id",
            CCCD,
            "--name",
            "Trần Văn Bình",
        )
        removed = cli(
            capsys,
            stack,
            "staff",
            "add",
            "--facility",
            "40-001",
            "--personal-id",
            "040090005678",
            "--name",
            "Lê Thị Hoa",
        )
        wait_until(
            lambda: len(cli(capsys, stack, "staff", "list")["staff"]) == 2, timeout=30, what="staff projected"
        )
        cli(capsys, stack, "staff", "remove", "--facility", "40-001", str(removed["registry_id"]))
        wait_until(
            lambda: len(cli(capsys, stack, "staff", "list")["staff"]) == 1,
            timeout=30,
            what="removal projected",
        )
        assert cli(capsys, stack, "account", "list")["accounts"] == [
            {"username": "bv-da-khoa", "role": "his", "facility_id": "40-001", "disabled": False},
            {"username": "giam-sat", "role": "monitoring", "facility_id": "", "disabled": False},
        ]

        async def log_in_and_look_up(accounts: AccountService) -> tuple[Account, StaffMember | None, str]:
            issued = await accounts.log_in("bv-da-khoa", md5_hex(password), address="127.0.0.1")
            account = await accounts.authenticate(issued.access_token, id_token=issued.id_token)
            return account, await accounts.staff_member("40-001", CCCD), issued.access_token

        account, found, token = with_accounts(stack, event_log, log_in_and_look_up)
        assert account == Account("bv-da-khoa", Role.HIS, "40-001")
        assert found == StaffMember(str(member["registry_id"]), "40-001", "Trần Văn Bình")

        cli(capsys, stack, "account", "disable", "bv-da-khoa", "--reason", "thử nghiệm")

        async def refused(accounts: AccountService) -> None:
            with pytest.raises(Unauthenticated):  # at once: revoked with the disabling, projection or not
                await accounts.authenticate(token)

        with_accounts(stack, event_log, refused)
        wait_until(
            lambda: cli(capsys, stack, "account", "list")["accounts"][0]["disabled"],
            timeout=30, what="disabling projected",
        )  # fmt: skip

        async def cannot_log_in(accounts: AccountService) -> None:
            with pytest.raises(LoginRefused):
                await accounts.log_in("bv-da-khoa", md5_hex(password), address="127.0.0.1")

        with_accounts(stack, event_log, cannot_log_in)
    finally:
        event_log.close()

    wait_until(lambda: group_caught_up(stack.settings), timeout=60, what="accounts projected")
    stack.worker.stop()
    live = digest(stack.settings, ["accounts"])
    assert live[1] >= 5  # two accounts, their list, a facility's index and one member, the facilities
    assert rebuild(stack.settings, "accounts", progress=False).events == 6
    assert digest(stack.settings, ["accounts"]) == live
