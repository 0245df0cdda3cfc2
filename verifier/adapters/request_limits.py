"""A size limit on every field of every gRPC request, checked before anything reads the request.

Why: gRPC caps a whole message at 1 MiB, but inside that a single field can still be thousands of
times larger than anything legitimate, and every parser behind it (card numbers, tokens, chip data,
the legacy QR) would pay for it first. Each field here gets its own ceiling, set at what a real
client can send with some slack, never below what the domain itself accepts (so the domain's own,
more precise message still answers a value that is merely wrong). An oversized value is refused as
`BadRequest` (205) naming the field and its limit, and nothing is judged or recorded.

The table is keyed by the field's full protobuf name. `tests/unit/test_request_limits.py` walks the
request types of every service in `api.proto` and fails when a string, bytes, repeated or map field
has no entry, so a field added to the contract cannot go unchecked. Should one reach production
anyway, it gets `DEFAULT_LIMIT` rather than none.

Numbers are not sizes: `limit`/`replay` counts are clamped by the alerts service, enum values are
judged by the domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from verifier.errors import BadRequest

KIB = 1024
EF_BYTES = 256 * KIB  # one chip file: a DG2 face image is tens of KiB, EF.SOD a few (as chip_checkin)


@dataclass(frozen=True)
class Limit:
    """`size`: characters of a string, bytes of a bytes field, entries of a repeated field or map.
    `each`: for a repeated field or a map, the size of each element or value (characters or bytes)."""

    size: int
    each: int | None = None


DEFAULT_LIMIT = Limit(256, each=256)
ID = Limit(64)  # facility, kiosk and session ids (the kiosk id pattern allows 1-64)
PERSON_NUMBER = Limit(32)  # 10-digit social insurance number, 12-digit CCCD number, with typing slack
CARD_NUMBER = Limit(64)  # 10 or 15 characters once spaces and dashes are gone (the domain allows 32)
DATE = Limit(32)  # YYYY-MM-DD or YYYY, with spaces
NAME = Limit(200)  # the identity check's limit; enrollment narrows it to 100 with its own message
STAFF = Limit(128)  # the check-in station allows 1-64 once stripped
REASON = Limit(500)
ALERT_ID = Limit(200)  # the alerts service's id limit (MAX_ID_CHARS)
NOTE = Limit(1000)  # the alerts service's note limit (MAX_NOTE_CHARS)
REQUEST_ID = Limit(128)  # a lifecycle command's client request id: 1-100 characters once stripped

_P = "bhyt.v1."
LIMITS: Mapping[str, Limit] = MappingProxyType(
    {
        # CheckIn.VerifyCard
        _P + "VerifyCardRequest.card_number": CARD_NUMBER,
        _P + "VerifyCardRequest.facility_id": ID,
        _P + "VerifyCardRequest.kiosk_id": ID,
        _P + "VerifyCardRequest.full_name": NAME,
        _P + "VerifyCardRequest.date_of_birth": DATE,
        _P + "VerifyCardRequest.personal_id": PERSON_NUMBER,
        _P + "VerifyCardRequest.staff_id": STAFF,
        # CheckIn.VerifyScan: twice the default BHYT_TOKEN_MAX_CHARS (4096), so a token a little over
        # the configured limit still gets its T09 verdict; a legacy QR is at most 2048 characters.
        _P + "VerifyScanRequest.scanned": Limit(8 * KIB),
        _P + "VerifyScanRequest.facility_id": ID,
        _P + "VerifyScanRequest.kiosk_id": ID,
        _P + "VerifyScanRequest.staff_id": STAFF,
        # CheckIn.BeginChipCheck, CheckIn.VerifyChip
        _P + "BeginChipCheckRequest.facility_id": ID,
        _P + "BeginChipCheckRequest.kiosk_id": ID,
        _P + "VerifyChipRequest.facility_id": ID,
        _P + "VerifyChipRequest.kiosk_id": ID,
        _P + "VerifyChipRequest.session_id": ID,
        _P + "VerifyChipRequest.sod": Limit(EF_BYTES),
        _P + "VerifyChipRequest.data_groups": Limit(16, each=EF_BYTES),  # DG1..DG16
        _P + "VerifyChipRequest.active_auth_signature": Limit(1 * KIB),  # RSA-4096: 512 bytes
        _P + "VerifyChipRequest.staff_id": STAFF,
        _P + "FaceMatch.liveness": Limit(32),  # "passed", "failed", "not_checked"
        _P + "FaceMatch.matcher": Limit(100),
        _P + "FaceMatch.compared_with": Limit(32),  # "chip_photo", "vssid_photo", ...
        # Cards
        _P + "GetCardStatusRequest.card_number": CARD_NUMBER,
        _P + "GetCardStatusRequest.social_insurance_number": PERSON_NUMBER,
        _P + "GetCardStatusRequest.personal_id": PERSON_NUMBER,
        _P + "IssueCardTokenRequest.card_number": CARD_NUMBER,
        _P + "IssueCardTokenRequest.social_insurance_number": PERSON_NUMBER,
        _P + "IssueCardTokenRequest.personal_id": PERSON_NUMBER,
        # TokenKeys
        _P + "TrustSigningKeyRequest.certificate": Limit(64 * KIB),  # as key_admin
        _P + "TrustSigningKeyRequest.reason": REASON,
        _P + "RevokeSigningKeyRequest.kid": ID,  # 16 hex digits
        _P + "RevokeSigningKeyRequest.reason": REASON,
        # Monitoring
        _P + "AlertFilter.province": Limit(8),  # 2 digits
        _P + "AlertFilter.facility_id": ID,
        _P + "AlertFilter.rule": ID,
        _P + "AlertActionRequest.alert_id": ALERT_ID,
        _P + "AlertActionRequest.staff_id": ALERT_ID,
        _P + "AlertActionRequest.note": NOTE,
        _P + "AlertActionRequest.resolution": ALERT_ID,
        # Diagnostics
        _P + "EchoRequest.payload": Limit(1 * KIB),  # as the Echo servicer
        # Participation
        _P + "EnrollParticipantRequest.social_insurance_number": PERSON_NUMBER,
        _P + "EnrollParticipantRequest.card_number": CARD_NUMBER,
        _P + "EnrollParticipantRequest.personal_id": PERSON_NUMBER,
        _P + "EnrollParticipantRequest.full_name": NAME,
        _P + "EnrollParticipantRequest.date_of_birth": DATE,
        _P + "EnrollParticipantRequest.registered_facility": ID,
        _P + "EnrollParticipantRequest.valid_from": DATE,
        _P + "EnrollParticipantRequest.valid_to": DATE,
        _P + "EnrollParticipantRequest.five_years_from": DATE,
        # Participation: the card lifecycle
        _P + "ReplaceCardRequest.client_request_id": REQUEST_ID,
        _P + "ReplaceCardRequest.old_card_number": CARD_NUMBER,
        _P + "ReplaceCardRequest.new_card_number": CARD_NUMBER,
        _P + "ReplaceCardRequest.valid_from": DATE,
        _P + "ReplaceCardRequest.valid_to": DATE,
        _P + "ReplaceCardRequest.registered_facility": ID,
        _P + "ExtendCoverageRequest.client_request_id": REQUEST_ID,
        _P + "ExtendCoverageRequest.card_number": CARD_NUMBER,
        _P + "ExtendCoverageRequest.valid_to": DATE,
        _P + "ReduceParticipationRequest.client_request_id": REQUEST_ID,
        _P + "ReduceParticipationRequest.card_number": CARD_NUMBER,
        _P + "ReduceParticipationRequest.reason": ID,  # "moved-within-province" and the like
        _P + "ReduceParticipationRequest.effective_on": DATE,
        _P + "RevokeCardRequest.client_request_id": REQUEST_ID,
        _P + "RevokeCardRequest.card_number": CARD_NUMBER,
        _P + "RevokeCardRequest.reason": REASON,
        _P + "ReportCardLostRequest.client_request_id": REQUEST_ID,
        _P + "ReportCardLostRequest.card_number": CARD_NUMBER,
        _P + "ReportCardLostRequest.reported_on": DATE,
        _P + "ChangeRegisteredFacilityRequest.client_request_id": REQUEST_ID,
        _P + "ChangeRegisteredFacilityRequest.card_number": CARD_NUMBER,
        _P + "ChangeRegisteredFacilityRequest.registered_facility": ID,
        _P + "ChangeRegisteredFacilityRequest.effective_on": DATE,
        _P + "CorrectPersonDetailsRequest.client_request_id": REQUEST_ID,
        _P + "CorrectPersonDetailsRequest.card_number": CARD_NUMBER,
        _P + "CorrectPersonDetailsRequest.full_name": NAME,
        _P + "CorrectPersonDetailsRequest.date_of_birth": DATE,
        _P + "CorrectPersonDetailsRequest.reason": REASON,
        _P + "ErasePersonRequest.client_request_id": REQUEST_ID,
        _P + "ErasePersonRequest.card_number": CARD_NUMBER,
        _P + "ErasePersonRequest.reason": REASON,
        _P + "ErasePersonRequest.erased_by": ID,
        # Accounts
        _P + "AddAccountRequest.username": ID,
        _P + "AddAccountRequest.role": Limit(32),
        _P + "AddAccountRequest.facility_id": ID,
        _P + "AddAccountRequest.password": Limit(256),
        _P + "DisableAccountRequest.username": ID,
        _P + "DisableAccountRequest.reason": REASON,
        _P + "RegisterStaffRequest.facility_id": ID,
        _P + "RegisterStaffRequest.personal_id": PERSON_NUMBER,
        _P + "RegisterStaffRequest.full_name": NAME,
        _P + "RemoveStaffRequest.facility_id": ID,
        _P + "RemoveStaffRequest.registry_id": ID,
        _P + "ListStaffRequest.facility_id": ID,
    }
)


def check_request(message: Message) -> None:
    """Raise `BadRequest` (205) naming the first field over its limit; nested messages included."""
    _check(message, "")


def needs_limit(field: FieldDescriptor) -> bool:
    """Fields whose size a client chooses: strings, bytes, repeated fields and maps."""
    return field.is_repeated or field.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES)


def _check(message: Message, prefix: str) -> None:
    for field, value in message.ListFields():  # set fields only: an empty value has size 0
        name = prefix + field.name
        limit = LIMITS.get(field.full_name, DEFAULT_LIMIT) if needs_limit(field) else None
        if _is_map(field):
            assert limit is not None
            _check_count(name, len(value), limit)
            for key, item in value.items():
                _check_value(f"{name}[{key}]", item, limit.each)
        elif field.is_repeated:
            assert limit is not None
            _check_count(name, len(value), limit)
            for index, item in enumerate(value):
                _check_value(f"{name}[{index}]", item, limit.each)
        else:
            _check_value(name, value, limit.size if limit is not None else None)


def _check_value(name: str, value: object, size: int | None) -> None:
    if isinstance(value, Message):
        _check(value, name + ".")
    elif isinstance(value, str | bytes) and size is not None and len(value) > size:
        unit = "characters" if isinstance(value, str) else "bytes"
        raise BadRequest(f"{name} is {len(value)} {unit}; at most {size}")


def _check_count(name: str, count: int, limit: Limit) -> None:
    if count > limit.size:
        raise BadRequest(f"{name} has {count} entries; at most {limit.size}")


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry
