"""`python -m verifier account ...` and `staff ...`: accounts for the HIS gateway and the dashboard,
and the staff each facility registers for card checks (VSS 054/055).

Each command calls the verifier's `Accounts` service with the admin certificate, as `card ...` does,
and prints the answer as JSON. A password is never an argument (it would stay in the shell's
history and the process list): `--password-stdin` reads it, otherwise the verifier generates one and
it is printed once, here, and never again. Help and messages speak Vietnamese first (staff read
them), English beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

# How the main CLI connects and asks (verifier.cli): given, so this module does not import it back.
Connect = Callable[[argparse.ArgumentParser, str], argparse.ArgumentParser]
Ask = Callable[[argparse.Namespace, str, type, Message], Message]
Build = Callable[[argparse.Namespace], tuple[str, Message]]


class _Usage(Exception):
    """Arguments argparse cannot check alone; exit code 2, like argparse's own usage errors."""


def add_account_parsers(sub: Any, connect: Connect, ask: Ask) -> None:
    """Add `account add|disable|list` and `staff add|remove|list`."""

    def action(parent: Any, name: str, help_: str, build: Build) -> argparse.ArgumentParser:
        p = connect(parent.add_parser(name, help=help_, description=help_), "admin")
        p.set_defaults(run=lambda args: _run(args, ask, build))
        return p

    account = sub.add_parser(
        "account",
        help="tài khoản cổng tra cứu cho HIS và bảng theo dõi: thêm, vô hiệu hóa, liệt kê "
        "(accounts for the HIS gateway and the dashboard; admin)",
    )
    accounts = account.add_subparsers(required=True, metavar="ACTION")
    add = action(
        accounts,
        "add",
        "thêm tài khoản; không có --password-stdin thì tạo mật khẩu mạnh và in ra một lần duy nhất "
        "(add an account; without --password-stdin a strong password is generated and printed once)",
        _add_account,
    )
    add.add_argument(
        "username", metavar="USERNAME", help="3-64 ký tự: chữ, số, . _ - (letters, digits, . _ -)"
    )
    add.add_argument(
        "--role",
        required=True,
        choices=["his", "monitoring"],
        help="his: hệ thống HIS tra cứu thẻ; monitoring: cán bộ giám sát "
        "(HIS card checks, or monitoring staff)",
    )
    add.add_argument(
        "--facility",
        default="",
        help="mã cơ sở KCB, bắt buộc với his, vd 40-001 (facility; required for his)",
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="đọc mật khẩu từ stdin, 8-128 ký tự (read the password from standard input)",
    )
    disable = action(
        accounts,
        "disable",
        "vô hiệu hóa tài khoản; token của nó hết hiệu lực ngay (disable an account; its tokens stop at once)",
        _disable_account,
    )
    disable.add_argument("username", metavar="USERNAME")
    disable.add_argument("--reason", default="", help="lý do, lưu để kiểm tra (why, for the audit trail)")
    action(
        accounts,
        "list",
        "liệt kê tài khoản (list the accounts)",
        lambda a: ("ListAccounts", api.ListAccountsRequest()),
    )

    staff = sub.add_parser(
        "staff",
        help="cán bộ tra cứu do cơ sở KCB đăng ký, VSS 054/055: thêm, xóa, liệt kê "
        "(staff registered for card checks; admin)",
    )
    staff_actions = staff.add_subparsers(required=True, metavar="ACTION")
    register = action(
        staff_actions, "add", "đăng ký cán bộ tra cứu (register a staff member)", _register_staff
    )
    register.add_argument("--facility", required=True, help="mã cơ sở KCB, vd 40-001 (facility)")
    register.add_argument(
        "--personal-id", required=True, metavar="CCCD", help="số CCCD 12 chữ số (12-digit CCCD)"
    )
    register.add_argument("--name", required=True, help="họ và tên, vd 'Nguyễn Văn An' (full name)")
    remove = action(
        staff_actions, "remove", "xóa cán bộ khỏi danh sách (remove a registered staff member)", _remove_staff
    )
    remove.add_argument("--facility", required=True, help="mã cơ sở KCB (facility)")
    remove.add_argument(
        "registry_id", metavar="REGISTRY_ID", help="mã đăng ký, vd NV-1A2B3C4D5E (see staff list)"
    )
    listing = action(
        staff_actions,
        "list",
        "liệt kê cán bộ đã đăng ký, số CCCD che bớt (list registered staff, CCCD masked)",
        lambda a: ("ListStaff", api.ListStaffRequest(facility_id=a.facility)),
    )
    listing.add_argument("--facility", default="", help="chỉ cơ sở này (only this facility)")


def _run(args: argparse.Namespace, ask: Ask, build: Build) -> int:
    try:
        rpc, request = build(args)
    except _Usage as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    answer = ask(args, rpc, api_grpc.AccountsStub, request)
    shown = MessageToDict(answer, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    if isinstance(answer, api.AccountCreated):
        shown.pop("generated_password", None)
        if answer.generated_password:
            print(
                "mật khẩu được tạo, chỉ hiện một lần, hãy lưu lại ngay (generated password, shown once):",
                file=sys.stderr,
            )
            shown["generated_password"] = answer.generated_password
    print(json.dumps(shown, ensure_ascii=False, indent=2))
    return 0


def _add_account(args: argparse.Namespace) -> tuple[str, Message]:
    password = ""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise _Usage("--password-stdin: stdin không có mật khẩu (no password on standard input)")
    if args.role == "his" and not args.facility:
        raise _Usage("--facility: bắt buộc với --role his (required for a his account)")
    return "AddAccount", api.AddAccountRequest(
        username=args.username, role=args.role, facility_id=args.facility, password=password
    )


def _disable_account(args: argparse.Namespace) -> tuple[str, Message]:
    return "DisableAccount", api.DisableAccountRequest(username=args.username, reason=args.reason)


def _register_staff(args: argparse.Namespace) -> tuple[str, Message]:
    pid = args.personal_id.strip()
    if len(pid) != 12 or not pid.isdigit():
        raise _Usage("--personal-id: số CCCD có 12 chữ số (a CCCD number has 12 digits)")
    return "RegisterStaff", api.RegisterStaffRequest(
        facility_id=args.facility, personal_id=pid, full_name=args.name
    )


def _remove_staff(args: argparse.Namespace) -> tuple[str, Message]:
    return "RemoveStaff", api.RemoveStaffRequest(facility_id=args.facility, registry_id=args.registry_id)
