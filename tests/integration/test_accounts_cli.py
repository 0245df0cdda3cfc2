"""`python -m verifier account ...` / `staff ...`: each command reaches the Accounts service over a
real gRPC socket (a plaintext in-process server over the fakes) and records its fact or lists."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from bhyt.v1 import api_pb2_grpc as api_grpc

from tests.support.fakes import FakeAccountsReadModel, FakeEventLog, FakeSessions
from tests.support.grpc_thread import grpc_in_thread
from verifier.cli import main
from verifier.domain.accounts import ScryptParameters, md5_hex, verify_password
from verifier.domain.facilities import FacilityRegistry
from verifier.entrypoints.grpc import AccountsServicer
from verifier.events import facts
from verifier.service.accounts import AccountService
from verifier.settings import Settings

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
FACILITIES = FacilityRegistry.from_lines(Settings().facilities_file.read_text(encoding="utf-8").splitlines())


@dataclass
class Server:
    target: str
    log: FakeEventLog
    directory: FakeAccountsReadModel

    def project(self) -> None:
        """What the accounts projection would have done by now (the server is idle between commands)."""
        self.directory.records.clear()
        self.directory.members.clear()
        self.directory.apply(self.log.appended)


@pytest.fixture
def server() -> Iterator[Server]:
    """The Accounts service on a free port, run by its own event loop in a thread, as the CLI (a
    synchronous gRPC client) meets it in production."""
    log, directory = FakeEventLog(), FakeAccountsReadModel()
    sessions = FakeSessions(directory=directory)
    accounts = AccountService(
        directory=directory, tokens=sessions, attempts=sessions, event_log=log, facilities=FACILITIES,
        clock=lambda: NOW, hashing=ScryptParameters(n=1 << 10),
    )  # fmt: skip
    with grpc_in_thread(
        lambda server: api_grpc.add_AccountsServicer_to_server(AccountsServicer(accounts), server)
    ) as target:
        yield Server(target, log, directory)


def cli(capsys: pytest.CaptureFixture[str], server: Server, *args: str) -> tuple[int, Any, str]:
    with pytest.raises(SystemExit) as done:
        main([*args, "--target", server.target, "--plaintext"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return int(done.value.code or 0), json.loads(out) if out.strip() else {}, err


def test_account_add_generates_a_password_prints_it_once_and_records_only_its_hash(
    capsys: pytest.CaptureFixture[str], server: Server
) -> None:
    code, answer, err = cli(
        capsys, server, "account", "add", "BV-Da-Khoa", "--role", "his", "--facility", "40-001"
    )
    assert code == 0, err
    [fact] = server.log.appended
    assert isinstance(fact, facts.AccountAdded)
    password = answer["generated_password"]
    assert len(password) >= 20 and "chỉ hiện một lần" in err
    assert verify_password(md5_hex(password), fact.password_hash)
    assert answer["username"] == "bv-da-khoa" and answer["event_id"] == fact.event_id


def test_account_add_reads_the_password_from_stdin(
    capsys: pytest.CaptureFixture[str], server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Mat-khau-2026!\n"))
    code, answer, err = cli(
        capsys, server, "account", "add", "giam-sat", "--role", "monitoring", "--password-stdin"
    )
    assert code == 0, err
    [fact] = server.log.appended
    assert isinstance(fact, facts.AccountAdded) and verify_password(
        md5_hex("Mat-khau-2026!"), fact.password_hash
    )
    assert "generated_password" not in answer and "Mat-khau" not in err


def test_account_disable_and_list(capsys: pytest.CaptureFixture[str], server: Server) -> None:
    cli(capsys, server, "account", "add", "bv-a", "--role", "his", "--facility", "40-001")
    cli(capsys, server, "account", "add", "giam-sat", "--role", "monitoring")
    server.project()
    code, answer, err = cli(capsys, server, "account", "disable", "bv-a", "--reason", "máy cũ")
    assert code == 0, err
    disabled = server.log.appended[-1]
    assert isinstance(disabled, facts.AccountDisabled) and disabled.reason == "máy cũ"
    assert answer["event_id"] == disabled.event_id and answer["topic"] == "accounts"
    server.project()
    _, listed, _ = cli(capsys, server, "account", "list")
    assert listed["accounts"] == [
        {"username": "bv-a", "role": "his", "facility_id": "40-001", "disabled": True},
        {"username": "giam-sat", "role": "monitoring", "facility_id": "", "disabled": False},
    ]


def test_staff_add_remove_list_with_the_cccd_masked(
    capsys: pytest.CaptureFixture[str], server: Server
) -> None:
    code, added, err = cli(
        capsys,
        server,
        "staff",
        "add",
        "--facility",
        "40-001",
        "--personal-id",
        "040090001234",
        "--name",
        "Trần Văn Bình",
    )
    assert code == 0, err
    assert added["personal_id_masked"] == "0400*****234" and added["registry_id"].startswith("NV-")
    cli(
        capsys,
        server,
        "staff",
        "add",
        "--facility",
        "79-001",
        "--personal-id",
        "079090005678",
        "--name",
        "Lê Thị Hoa",
    )
    server.project()
    _, listed, _ = cli(capsys, server, "staff", "list", "--facility", "40-001")
    assert listed["staff"] == [added]
    _, everyone, _ = cli(capsys, server, "staff", "list")
    assert len(everyone["staff"]) == 2 and "040090001234" not in json.dumps(everyone)
    code, removed, err = cli(capsys, server, "staff", "remove", "--facility", "40-001", added["registry_id"])
    assert code == 0 and isinstance(server.log.appended[-1], facts.StaffRemoved), err
    assert removed["event_id"] == server.log.appended[-1].event_id
    server.project()
    _, listed, _ = cli(capsys, server, "staff", "list", "--facility", "40-001")
    assert listed == {"staff": []}


def test_refusals_say_why_in_vietnamese_first(capsys: pytest.CaptureFixture[str], server: Server) -> None:
    code, _, err = cli(capsys, server, "account", "add", "bv-a", "--role", "his", "--facility", "99-999")
    assert code == 2 and "INVALID_ARGUMENT" in err and "99-999" in err
    code, _, err = cli(capsys, server, "account", "disable", "nobody")
    assert code == 2 and "NOT_FOUND" in err and "không có tài khoản" in err
    cli(
        capsys,
        server,
        "staff",
        "add",
        "--facility",
        "40-001",
        "--personal-id",
        "040090001234",
        "--name",
        "A B",
    )
    server.project()
    code, _, err = cli(
        capsys,
        server,
        "staff",
        "add",
        "--facility",
        "40-001",
        "--personal-id",
        "040090001234",
        "--name",
        "A B",
    )
    assert code == 2 and "ALREADY_EXISTS" in err and "đã đăng ký" in err
    assert len(server.log.appended) == 1


def test_usage_errors_are_caught_before_anything_is_sent(
    capsys: pytest.CaptureFixture[str], server: Server
) -> None:
    code, _, err = cli(capsys, server, "account", "add", "bv-a", "--role", "his")
    assert code == 2 and "--facility" in err and "bắt buộc" in err
    code, _, err = cli(
        capsys, server, "staff", "add", "--facility", "40-001", "--personal-id", "1234", "--name", "A"
    )
    assert code == 2 and "12 chữ số" in err
    assert server.log.appended == []


@pytest.mark.parametrize(
    "command",
    [["account", "--help"], ["account", "add", "--help"], ["staff", "--help"], ["staff", "add", "--help"]],
)
def test_help_names_every_action_and_option(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(command)
    out = capsys.readouterr().out
    assert done.value.code == 0
    expected = {
        ("account", "--help"): ("add", "disable", "list"),
        ("account", "add"): ("--role", "--facility", "--password-stdin", "USERNAME"),
        ("staff", "--help"): ("add", "remove", "list"),
        ("staff", "add"): ("--facility", "--personal-id", "--name", "CCCD"),
    }[(command[0], command[1])]
    assert all(word in out for word in expected), out
