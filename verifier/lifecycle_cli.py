"""`python -m verifier card ...` and `person correct`: the card lifecycle commands for VSS staff.

Each command calls the verifier's `Participation` service with the admin certificate, as `enroll`
and `keys` do, and prints where the event was recorded, as JSON. Every command carries a client
request id (`--request-id`; one is generated and printed when absent): running the same command
again with that id after a timeout records nothing twice. Help and messages speak Vietnamese first
(staff read them), English beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Callable
from typing import Any

from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc
from bhyt.v1 import events_pb2 as ev
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from verifier.domain.lifecycle import REDUCTION_CODES
from verifier.personal_data_cli import add_personal_data_parsers

# How the main CLI connects and asks (verifier.cli): given, so this module does not import it back.
Connect = Callable[[argparse.ArgumentParser, str], argparse.ArgumentParser]
Ask = Callable[[argparse.Namespace, str, type, Message], Message]
_GENDERS = {"male": ev.GENDER_MALE, "female": ev.GENDER_FEMALE}
_DATE = "YYYY-MM-DD"


def add_lifecycle_parsers(sub: Any, connect: Connect, ask: Ask) -> None:
    """Add `card replace|extend|reduce|revoke|lost|facility` and `person correct`."""
    card = sub.add_parser(
        "card",
        help="vòng đời thẻ BHYT cho cán bộ BHXH: đổi, gia hạn, báo giảm, thu hồi, báo mất, đổi nơi KCB "
        "(card lifecycle for VSS staff; admin)",
    )
    actions = card.add_subparsers(required=True, metavar="ACTION")

    def action(parent: Any, name: str, help_: str, build: Callable[[argparse.Namespace], Message]) -> Any:
        p = connect(parent.add_parser(name, help=help_, description=help_), "admin")
        p.add_argument(
            "--request-id",
            help="mã yêu cầu; gửi lại cùng mã thì không ghi hai lần (client request id: a retry with "
            "the same id records nothing twice; generated and printed when absent)",
        )
        p.set_defaults(run=lambda args: _run(args, ask, build))
        return p

    replace = action(
        actions, "replace", "cấp thẻ mới thay thẻ cũ (replace a card by a new number)", _replace_request
    )
    replace.add_argument("old", metavar="OLD", help="thẻ hiện hành, 15 ký tự (the current card)")
    replace.add_argument("new", metavar="NEW", help="thẻ mới, 15 ký tự, cùng mã số BHXH (the new card)")
    replace.add_argument(
        "--valid-from", required=True, metavar=_DATE, help="thẻ mới có giá trị từ (valid from)"
    )
    end = replace.add_mutually_exclusive_group(required=True)
    end.add_argument("--valid-to", metavar=_DATE, help="thẻ mới có giá trị đến (valid to)")
    end.add_argument("--open-ended", action="store_true", help="thẻ mới không có hạn cuối (no end date)")
    replace.add_argument(
        "--facility", default="", help="nơi đăng ký KCB ban đầu mới, vd 40-C54 (default: unchanged)"
    )

    extend = action(
        actions, "extend", "gia hạn thẻ hiện hành (extend the current card's validity)", _extend_request
    )
    extend.add_argument("card", metavar="CARD", help="mã thẻ 15 ký tự hoặc mã số BHXH 10 số")
    extend.add_argument(
        "--valid-to", required=True, metavar=_DATE, help="hạn mới, sau hạn hiện tại (new end)"
    )

    reduce = action(
        actions,
        "reduce",
        "báo giảm: 120 unspecified, 121 moved-province, 122 moved-within-province, 123 re-added, "
        "124 stopped (participation reduced, VSS codes)",
        _reduce_request,
    )
    reduce.add_argument("card", metavar="CARD", help="mã thẻ 15 ký tự hoặc mã số BHXH 10 số")
    reduce.add_argument("--reason", required=True, choices=list(REDUCTION_CODES), help="lý do (reason)")
    reduce.add_argument("--from", dest="effective_on", required=True, metavar=_DATE, help="từ ngày (from)")

    revoke = action(actions, "revoke", "thu hồi thẻ, VSS 110 (revoke the card)", _revoke_request)
    revoke.add_argument("card", metavar="CARD", help="mã thẻ 15 ký tự hoặc mã số BHXH 10 số")
    revoke.add_argument("--reason", default="", help="lý do, lưu để kiểm tra (why, for the audit trail)")

    lost = action(actions, "lost", "báo mất thẻ, K02 khi xuất trình (report the card lost)", _lost_request)
    lost.add_argument("card", metavar="CARD", help="mã thẻ 15 ký tự (thẻ hiện hành hoặc thẻ cũ)")
    lost.add_argument("--on", dest="reported_on", default="", metavar=_DATE, help="ngày báo (default: today)")

    facility = action(
        actions,
        "facility",
        "đổi nơi đăng ký KCB ban đầu (change the registered initial-care facility)",
        _facility_request,
    )
    facility.add_argument("card", metavar="CARD", help="mã thẻ 15 ký tự hoặc mã số BHXH 10 số")
    facility.add_argument("facility", metavar="NEW_FACILITY", help="mã cơ sở KCB, vd 40-C54")
    facility.add_argument("--from", dest="effective_on", required=True, metavar=_DATE, help="từ ngày (from)")

    person = sub.add_parser("person", help="thông tin người tham gia (participant details; admin)")
    person_actions = person.add_subparsers(required=True, metavar="ACTION")
    correct = action(
        person_actions,
        "correct",
        "sửa họ tên, ngày sinh, giới tính sau khi cơ sở KCB báo 060/070/080 (correct a person's details)",
        _correct_request,
    )
    correct.add_argument("card", metavar="CARD", help="mã thẻ 15 ký tự hoặc mã số BHXH 10 số")
    correct.add_argument("--name", default="", help="họ tên đúng, vd 'Nguyễn Văn An' (full name)")
    correct.add_argument("--dob", default="", help="ngày sinh YYYY-MM-DD, hoặc YYYY nếu chỉ biết năm")
    correct.add_argument("--gender", choices=list(_GENDERS), help="giới tính (gender)")
    correct.add_argument("--reason", default="", help="lý do sửa (why, for the audit trail)")
    erase = action(
        person_actions,
        "erase",
        "xoá thông tin cá nhân của người tham gia theo Nghị định 13/2023/NĐ-CP: họ tên, ngày sinh, số CCCD "
        "không còn đọc được ở bất kỳ đâu; dữ liệu tham gia giữ lại (erase a person's personal data)",
        _erase_request,
    )
    erase.add_argument("card", metavar="CARD", help="mã thẻ 15 ký tự hoặc mã số BHXH 10 số")
    erase.add_argument(
        "--reason", required=True, help="lý do xoá, vd 'yêu cầu của người tham gia' (why: required)"
    )
    erase.add_argument(
        "--by", default="", help="người yêu cầu / cán bộ thực hiện (who asked, for the record)"
    )
    add_personal_data_parsers(person_actions, sub)


class _Usage(Exception):
    """Arguments argparse cannot check alone; exit code 2, like argparse's own usage errors."""


def _run(args: argparse.Namespace, ask: Ask, build: Callable[[argparse.Namespace], Message]) -> int:
    try:
        request = build(args)
    except _Usage as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not args.request_id:
        args.request_id = str(uuid.uuid4())
        print(
            f"mã yêu cầu (request id): {args.request_id} - gửi lại với --request-id {args.request_id} "
            "nếu không nhận được trả lời (retry with it if no answer came)",
            file=sys.stderr,
        )
    request.client_request_id = args.request_id  # type: ignore[attr-defined]  # every lifecycle request has it
    rpc = type(request).__name__.removesuffix("Request")
    answer = ask(args, rpc, api_grpc.ParticipationStub, request)
    recorded = MessageToDict(
        answer, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    print(json.dumps({"client_request_id": args.request_id, **recorded}, ensure_ascii=False, indent=2))
    return 0


def _replace_request(args: argparse.Namespace) -> Message:
    return api.ReplaceCardRequest(
        old_card_number=args.old,
        new_card_number=args.new,
        valid_from=args.valid_from,
        valid_to="" if args.open_ended else args.valid_to,
        registered_facility=args.facility,
    )


def _extend_request(args: argparse.Namespace) -> Message:
    return api.ExtendCoverageRequest(card_number=args.card, valid_to=args.valid_to)


def _reduce_request(args: argparse.Namespace) -> Message:
    return api.ReduceParticipationRequest(
        card_number=args.card, reason=args.reason, effective_on=args.effective_on
    )


def _revoke_request(args: argparse.Namespace) -> Message:
    return api.RevokeCardRequest(card_number=args.card, reason=args.reason)


def _lost_request(args: argparse.Namespace) -> Message:
    return api.ReportCardLostRequest(card_number=args.card, reported_on=args.reported_on)


def _facility_request(args: argparse.Namespace) -> Message:
    return api.ChangeRegisteredFacilityRequest(
        card_number=args.card, registered_facility=args.facility, effective_on=args.effective_on
    )


def _erase_request(args: argparse.Namespace) -> Message:
    return api.ErasePersonRequest(card_number=args.card, reason=args.reason, erased_by=args.by)


def _correct_request(args: argparse.Namespace) -> Message:
    if not (args.name or args.dob or args.gender):
        raise _Usage("cần ít nhất một trong --name, --dob, --gender (give at least one of them)")
    return api.CorrectPersonDetailsRequest(
        card_number=args.card,
        full_name=args.name,
        date_of_birth=args.dob,
        gender=_GENDERS.get(args.gender or "", ev.GENDER_UNSPECIFIED),
        reason=args.reason,
    )
