import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from bhyt.v1 import events_pb2 as _events_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AlertStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_STATUS_UNSPECIFIED: _ClassVar[AlertStatus]
    ALERT_STATUS_OPEN: _ClassVar[AlertStatus]
    ALERT_STATUS_ACKNOWLEDGED: _ClassVar[AlertStatus]
    ALERT_STATUS_CLOSED: _ClassVar[AlertStatus]
ALERT_STATUS_UNSPECIFIED: AlertStatus
ALERT_STATUS_OPEN: AlertStatus
ALERT_STATUS_ACKNOWLEDGED: AlertStatus
ALERT_STATUS_CLOSED: AlertStatus

class VerifyCardRequest(_message.Message):
    __slots__ = ("card_number", "facility_id", "kiosk_id", "full_name", "date_of_birth", "gender", "check_registered_facility", "personal_id", "staff_id", "face_match")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    KIOSK_ID_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    DATE_OF_BIRTH_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    CHECK_REGISTERED_FACILITY_FIELD_NUMBER: _ClassVar[int]
    PERSONAL_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    FACE_MATCH_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    facility_id: str
    kiosk_id: str
    full_name: str
    date_of_birth: str
    gender: _events_pb2.Gender
    check_registered_facility: bool
    personal_id: str
    staff_id: str
    face_match: FaceMatch
    def __init__(self, card_number: _Optional[str] = ..., facility_id: _Optional[str] = ..., kiosk_id: _Optional[str] = ..., full_name: _Optional[str] = ..., date_of_birth: _Optional[str] = ..., gender: _Optional[_Union[_events_pb2.Gender, str]] = ..., check_registered_facility: _Optional[bool] = ..., personal_id: _Optional[str] = ..., staff_id: _Optional[str] = ..., face_match: _Optional[_Union[FaceMatch, _Mapping]] = ...) -> None: ...

class VerifyScanRequest(_message.Message):
    __slots__ = ("scanned", "facility_id", "kiosk_id", "check_registered_facility", "staff_id", "face_match")
    SCANNED_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    KIOSK_ID_FIELD_NUMBER: _ClassVar[int]
    CHECK_REGISTERED_FACILITY_FIELD_NUMBER: _ClassVar[int]
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    FACE_MATCH_FIELD_NUMBER: _ClassVar[int]
    scanned: str
    facility_id: str
    kiosk_id: str
    check_registered_facility: bool
    staff_id: str
    face_match: FaceMatch
    def __init__(self, scanned: _Optional[str] = ..., facility_id: _Optional[str] = ..., kiosk_id: _Optional[str] = ..., check_registered_facility: _Optional[bool] = ..., staff_id: _Optional[str] = ..., face_match: _Optional[_Union[FaceMatch, _Mapping]] = ...) -> None: ...

class BeginChipCheckRequest(_message.Message):
    __slots__ = ("facility_id", "kiosk_id")
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    KIOSK_ID_FIELD_NUMBER: _ClassVar[int]
    facility_id: str
    kiosk_id: str
    def __init__(self, facility_id: _Optional[str] = ..., kiosk_id: _Optional[str] = ...) -> None: ...

class ChipChallenge(_message.Message):
    __slots__ = ("session_id", "challenge", "expires_at")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    challenge: bytes
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, session_id: _Optional[str] = ..., challenge: _Optional[bytes] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FaceMatch(_message.Message):
    __slots__ = ("score", "threshold", "liveness", "matcher", "compared_with")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    LIVENESS_FIELD_NUMBER: _ClassVar[int]
    MATCHER_FIELD_NUMBER: _ClassVar[int]
    COMPARED_WITH_FIELD_NUMBER: _ClassVar[int]
    score: float
    threshold: float
    liveness: str
    matcher: str
    compared_with: str
    def __init__(self, score: _Optional[float] = ..., threshold: _Optional[float] = ..., liveness: _Optional[str] = ..., matcher: _Optional[str] = ..., compared_with: _Optional[str] = ...) -> None: ...

class VerifyChipRequest(_message.Message):
    __slots__ = ("facility_id", "kiosk_id", "session_id", "sod", "data_groups", "active_auth_signature", "face_match", "check_registered_facility", "staff_id")
    class DataGroupsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: bytes
        def __init__(self, key: _Optional[int] = ..., value: _Optional[bytes] = ...) -> None: ...
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    KIOSK_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SOD_FIELD_NUMBER: _ClassVar[int]
    DATA_GROUPS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_AUTH_SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    FACE_MATCH_FIELD_NUMBER: _ClassVar[int]
    CHECK_REGISTERED_FACILITY_FIELD_NUMBER: _ClassVar[int]
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    facility_id: str
    kiosk_id: str
    session_id: str
    sod: bytes
    data_groups: _containers.ScalarMap[int, bytes]
    active_auth_signature: bytes
    face_match: FaceMatch
    check_registered_facility: bool
    staff_id: str
    def __init__(self, facility_id: _Optional[str] = ..., kiosk_id: _Optional[str] = ..., session_id: _Optional[str] = ..., sod: _Optional[bytes] = ..., data_groups: _Optional[_Mapping[int, bytes]] = ..., active_auth_signature: _Optional[bytes] = ..., face_match: _Optional[_Union[FaceMatch, _Mapping]] = ..., check_registered_facility: _Optional[bool] = ..., staff_id: _Optional[str] = ...) -> None: ...

class ChipCheck(_message.Message):
    __slots__ = ("name", "status", "code", "clause", "detail")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    CLAUSE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    status: str
    code: str
    clause: str
    detail: str
    def __init__(self, name: _Optional[str] = ..., status: _Optional[str] = ..., code: _Optional[str] = ..., clause: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class TokenSummary(_message.Message):
    __slots__ = ("token_id", "kid", "alg", "issued_at", "expires_at", "first_facility_id", "first_kiosk_id")
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    KID_FIELD_NUMBER: _ClassVar[int]
    ALG_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    FIRST_FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_KIOSK_ID_FIELD_NUMBER: _ClassVar[int]
    token_id: str
    kid: str
    alg: str
    issued_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    first_facility_id: str
    first_kiosk_id: str
    def __init__(self, token_id: _Optional[str] = ..., kid: _Optional[str] = ..., alg: _Optional[str] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., first_facility_id: _Optional[str] = ..., first_kiosk_id: _Optional[str] = ...) -> None: ...

class Reason(_message.Message):
    __slots__ = ("code", "text", "text_vi")
    CODE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TEXT_VI_FIELD_NUMBER: _ClassVar[int]
    code: str
    text: str
    text_vi: str
    def __init__(self, code: _Optional[str] = ..., text: _Optional[str] = ..., text_vi: _Optional[str] = ...) -> None: ...

class NewCard(_message.Message):
    __slots__ = ("card_number", "valid_from", "valid_to", "registered_facility")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_FACILITY_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    valid_from: str
    valid_to: str
    registered_facility: str
    def __init__(self, card_number: _Optional[str] = ..., valid_from: _Optional[str] = ..., valid_to: _Optional[str] = ..., registered_facility: _Optional[str] = ...) -> None: ...

class PreviousCard(_message.Message):
    __slots__ = ("card_number", "valid_from", "valid_to")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    valid_from: str
    valid_to: str
    def __init__(self, card_number: _Optional[str] = ..., valid_from: _Optional[str] = ..., valid_to: _Optional[str] = ...) -> None: ...

class ParticipantSummary(_message.Message):
    __slots__ = ("social_insurance_number", "card_number", "full_name", "group_code", "benefit_level", "province_code", "registered_facility", "valid_from", "valid_to", "five_years_from", "personal_id", "status", "reduction_code", "previous_cards", "group_name_vi")
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    GROUP_CODE_FIELD_NUMBER: _ClassVar[int]
    BENEFIT_LEVEL_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_CODE_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_FACILITY_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    FIVE_YEARS_FROM_FIELD_NUMBER: _ClassVar[int]
    PERSONAL_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REDUCTION_CODE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_CARDS_FIELD_NUMBER: _ClassVar[int]
    GROUP_NAME_VI_FIELD_NUMBER: _ClassVar[int]
    social_insurance_number: str
    card_number: str
    full_name: str
    group_code: str
    benefit_level: int
    province_code: str
    registered_facility: str
    valid_from: str
    valid_to: str
    five_years_from: str
    personal_id: str
    status: str
    reduction_code: str
    previous_cards: _containers.RepeatedCompositeFieldContainer[PreviousCard]
    group_name_vi: str
    def __init__(self, social_insurance_number: _Optional[str] = ..., card_number: _Optional[str] = ..., full_name: _Optional[str] = ..., group_code: _Optional[str] = ..., benefit_level: _Optional[int] = ..., province_code: _Optional[str] = ..., registered_facility: _Optional[str] = ..., valid_from: _Optional[str] = ..., valid_to: _Optional[str] = ..., five_years_from: _Optional[str] = ..., personal_id: _Optional[str] = ..., status: _Optional[str] = ..., reduction_code: _Optional[str] = ..., previous_cards: _Optional[_Iterable[_Union[PreviousCard, _Mapping]]] = ..., group_name_vi: _Optional[str] = ...) -> None: ...

class CheckInDecision(_message.Message):
    __slots__ = ("check_in_id", "verdict", "result_code", "result_text", "reasons", "participant", "decided_at", "credential", "assurance", "token", "chip_checks", "result_text_vi", "new_card", "facility_route")
    CHECK_IN_ID_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    RESULT_CODE_FIELD_NUMBER: _ClassVar[int]
    RESULT_TEXT_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    ASSURANCE_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    CHIP_CHECKS_FIELD_NUMBER: _ClassVar[int]
    RESULT_TEXT_VI_FIELD_NUMBER: _ClassVar[int]
    NEW_CARD_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ROUTE_FIELD_NUMBER: _ClassVar[int]
    check_in_id: str
    verdict: _events_pb2.Verdict
    result_code: str
    result_text: str
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    participant: ParticipantSummary
    decided_at: _timestamp_pb2.Timestamp
    credential: _events_pb2.CredentialKind
    assurance: _events_pb2.Assurance
    token: TokenSummary
    chip_checks: _containers.RepeatedCompositeFieldContainer[ChipCheck]
    result_text_vi: str
    new_card: NewCard
    facility_route: str
    def __init__(self, check_in_id: _Optional[str] = ..., verdict: _Optional[_Union[_events_pb2.Verdict, str]] = ..., result_code: _Optional[str] = ..., result_text: _Optional[str] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., participant: _Optional[_Union[ParticipantSummary, _Mapping]] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., credential: _Optional[_Union[_events_pb2.CredentialKind, str]] = ..., assurance: _Optional[_Union[_events_pb2.Assurance, str]] = ..., token: _Optional[_Union[TokenSummary, _Mapping]] = ..., chip_checks: _Optional[_Iterable[_Union[ChipCheck, _Mapping]]] = ..., result_text_vi: _Optional[str] = ..., new_card: _Optional[_Union[NewCard, _Mapping]] = ..., facility_route: _Optional[str] = ...) -> None: ...

class GetCardStatusRequest(_message.Message):
    __slots__ = ("card_number", "social_insurance_number", "personal_id")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PERSONAL_ID_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    social_insurance_number: str
    personal_id: str
    def __init__(self, card_number: _Optional[str] = ..., social_insurance_number: _Optional[str] = ..., personal_id: _Optional[str] = ...) -> None: ...

class UsageEntry(_message.Message):
    __slots__ = ("check_in_id", "facility_id", "kiosk_id", "result_code", "at")
    CHECK_IN_ID_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    KIOSK_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_CODE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    check_in_id: str
    facility_id: str
    kiosk_id: str
    result_code: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, check_in_id: _Optional[str] = ..., facility_id: _Optional[str] = ..., kiosk_id: _Optional[str] = ..., result_code: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CardUsage(_message.Message):
    __slots__ = ("check_ins_today", "check_ins_total", "accepted_total", "last_facility_id", "last_check_in_at", "recent")
    CHECK_INS_TODAY_FIELD_NUMBER: _ClassVar[int]
    CHECK_INS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_TOTAL_FIELD_NUMBER: _ClassVar[int]
    LAST_FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_CHECK_IN_AT_FIELD_NUMBER: _ClassVar[int]
    RECENT_FIELD_NUMBER: _ClassVar[int]
    check_ins_today: int
    check_ins_total: int
    accepted_total: int
    last_facility_id: str
    last_check_in_at: _timestamp_pb2.Timestamp
    recent: _containers.RepeatedCompositeFieldContainer[UsageEntry]
    def __init__(self, check_ins_today: _Optional[int] = ..., check_ins_total: _Optional[int] = ..., accepted_total: _Optional[int] = ..., last_facility_id: _Optional[str] = ..., last_check_in_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recent: _Optional[_Iterable[_Union[UsageEntry, _Mapping]]] = ...) -> None: ...

class CardStatus(_message.Message):
    __slots__ = ("found", "coverage", "participant", "usage")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    found: bool
    coverage: str
    participant: ParticipantSummary
    usage: CardUsage
    def __init__(self, found: _Optional[bool] = ..., coverage: _Optional[str] = ..., participant: _Optional[_Union[ParticipantSummary, _Mapping]] = ..., usage: _Optional[_Union[CardUsage, _Mapping]] = ...) -> None: ...

class IssueCardTokenRequest(_message.Message):
    __slots__ = ("card_number", "social_insurance_number", "personal_id", "with_qr_png")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PERSONAL_ID_FIELD_NUMBER: _ClassVar[int]
    WITH_QR_PNG_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    social_insurance_number: str
    personal_id: str
    with_qr_png: bool
    def __init__(self, card_number: _Optional[str] = ..., social_insurance_number: _Optional[str] = ..., personal_id: _Optional[str] = ..., with_qr_png: _Optional[bool] = ...) -> None: ...

class CardDisplay(_message.Message):
    __slots__ = ("card_number", "full_name", "date_of_birth", "gender", "registered_facility", "valid_from", "valid_to", "five_years_from")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    DATE_OF_BIRTH_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_FACILITY_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    FIVE_YEARS_FROM_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    full_name: str
    date_of_birth: str
    gender: _events_pb2.Gender
    registered_facility: str
    valid_from: str
    valid_to: str
    five_years_from: str
    def __init__(self, card_number: _Optional[str] = ..., full_name: _Optional[str] = ..., date_of_birth: _Optional[str] = ..., gender: _Optional[_Union[_events_pb2.Gender, str]] = ..., registered_facility: _Optional[str] = ..., valid_from: _Optional[str] = ..., valid_to: _Optional[str] = ..., five_years_from: _Optional[str] = ...) -> None: ...

class CardToken(_message.Message):
    __slots__ = ("token", "token_id", "kid", "alg", "issued_at", "expires_at", "card", "qr_png")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    KID_FIELD_NUMBER: _ClassVar[int]
    ALG_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    QR_PNG_FIELD_NUMBER: _ClassVar[int]
    token: str
    token_id: str
    kid: str
    alg: str
    issued_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    card: CardDisplay
    qr_png: bytes
    def __init__(self, token: _Optional[str] = ..., token_id: _Optional[str] = ..., kid: _Optional[str] = ..., alg: _Optional[str] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., card: _Optional[_Union[CardDisplay, _Mapping]] = ..., qr_png: _Optional[bytes] = ...) -> None: ...

class ListSigningKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TrustSigningKeyRequest(_message.Message):
    __slots__ = ("certificate", "reason")
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    certificate: bytes
    reason: str
    def __init__(self, certificate: _Optional[bytes] = ..., reason: _Optional[str] = ...) -> None: ...

class RevokeSigningKeyRequest(_message.Message):
    __slots__ = ("kid", "reason")
    KID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    kid: str
    reason: str
    def __init__(self, kid: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReloadSigningKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SigningKeyInfo(_message.Message):
    __slots__ = ("kid", "subject", "alg", "not_before", "not_after", "revoked", "revocation_reason", "issuing", "source")
    KID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ALG_FIELD_NUMBER: _ClassVar[int]
    NOT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    REVOCATION_REASON_FIELD_NUMBER: _ClassVar[int]
    ISSUING_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    kid: str
    subject: str
    alg: str
    not_before: _timestamp_pb2.Timestamp
    not_after: _timestamp_pb2.Timestamp
    revoked: bool
    revocation_reason: str
    issuing: bool
    source: str
    def __init__(self, kid: _Optional[str] = ..., subject: _Optional[str] = ..., alg: _Optional[str] = ..., not_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., not_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked: _Optional[bool] = ..., revocation_reason: _Optional[str] = ..., issuing: _Optional[bool] = ..., source: _Optional[str] = ...) -> None: ...

class SigningKeyList(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[SigningKeyInfo]
    def __init__(self, keys: _Optional[_Iterable[_Union[SigningKeyInfo, _Mapping]]] = ...) -> None: ...

class EnrollParticipantRequest(_message.Message):
    __slots__ = ("social_insurance_number", "card_number", "personal_id", "full_name", "date_of_birth", "gender", "registered_facility", "valid_from", "valid_to", "five_years_from")
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PERSONAL_ID_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    DATE_OF_BIRTH_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_FACILITY_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    FIVE_YEARS_FROM_FIELD_NUMBER: _ClassVar[int]
    social_insurance_number: str
    card_number: str
    personal_id: str
    full_name: str
    date_of_birth: str
    gender: _events_pb2.Gender
    registered_facility: str
    valid_from: str
    valid_to: str
    five_years_from: str
    def __init__(self, social_insurance_number: _Optional[str] = ..., card_number: _Optional[str] = ..., personal_id: _Optional[str] = ..., full_name: _Optional[str] = ..., date_of_birth: _Optional[str] = ..., gender: _Optional[_Union[_events_pb2.Gender, str]] = ..., registered_facility: _Optional[str] = ..., valid_from: _Optional[str] = ..., valid_to: _Optional[str] = ..., five_years_from: _Optional[str] = ...) -> None: ...

class ReplaceCardRequest(_message.Message):
    __slots__ = ("client_request_id", "old_card_number", "new_card_number", "valid_from", "valid_to", "registered_facility")
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OLD_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    NEW_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_FACILITY_FIELD_NUMBER: _ClassVar[int]
    client_request_id: str
    old_card_number: str
    new_card_number: str
    valid_from: str
    valid_to: str
    registered_facility: str
    def __init__(self, client_request_id: _Optional[str] = ..., old_card_number: _Optional[str] = ..., new_card_number: _Optional[str] = ..., valid_from: _Optional[str] = ..., valid_to: _Optional[str] = ..., registered_facility: _Optional[str] = ...) -> None: ...

class ExtendCoverageRequest(_message.Message):
    __slots__ = ("client_request_id", "card_number", "valid_to")
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    client_request_id: str
    card_number: str
    valid_to: str
    def __init__(self, client_request_id: _Optional[str] = ..., card_number: _Optional[str] = ..., valid_to: _Optional[str] = ...) -> None: ...

class ReduceParticipationRequest(_message.Message):
    __slots__ = ("client_request_id", "card_number", "reason", "effective_on")
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_ON_FIELD_NUMBER: _ClassVar[int]
    client_request_id: str
    card_number: str
    reason: str
    effective_on: str
    def __init__(self, client_request_id: _Optional[str] = ..., card_number: _Optional[str] = ..., reason: _Optional[str] = ..., effective_on: _Optional[str] = ...) -> None: ...

class RevokeCardRequest(_message.Message):
    __slots__ = ("client_request_id", "card_number", "reason")
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    client_request_id: str
    card_number: str
    reason: str
    def __init__(self, client_request_id: _Optional[str] = ..., card_number: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReportCardLostRequest(_message.Message):
    __slots__ = ("client_request_id", "card_number", "reported_on")
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REPORTED_ON_FIELD_NUMBER: _ClassVar[int]
    client_request_id: str
    card_number: str
    reported_on: str
    def __init__(self, client_request_id: _Optional[str] = ..., card_number: _Optional[str] = ..., reported_on: _Optional[str] = ...) -> None: ...

class ChangeRegisteredFacilityRequest(_message.Message):
    __slots__ = ("client_request_id", "card_number", "registered_facility", "effective_on")
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_FACILITY_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_ON_FIELD_NUMBER: _ClassVar[int]
    client_request_id: str
    card_number: str
    registered_facility: str
    effective_on: str
    def __init__(self, client_request_id: _Optional[str] = ..., card_number: _Optional[str] = ..., registered_facility: _Optional[str] = ..., effective_on: _Optional[str] = ...) -> None: ...

class CorrectPersonDetailsRequest(_message.Message):
    __slots__ = ("client_request_id", "card_number", "full_name", "date_of_birth", "gender", "reason")
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    DATE_OF_BIRTH_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    client_request_id: str
    card_number: str
    full_name: str
    date_of_birth: str
    gender: _events_pb2.Gender
    reason: str
    def __init__(self, client_request_id: _Optional[str] = ..., card_number: _Optional[str] = ..., full_name: _Optional[str] = ..., date_of_birth: _Optional[str] = ..., gender: _Optional[_Union[_events_pb2.Gender, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class ErasePersonRequest(_message.Message):
    __slots__ = ("client_request_id", "card_number", "reason", "erased_by")
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ERASED_BY_FIELD_NUMBER: _ClassVar[int]
    client_request_id: str
    card_number: str
    reason: str
    erased_by: str
    def __init__(self, client_request_id: _Optional[str] = ..., card_number: _Optional[str] = ..., reason: _Optional[str] = ..., erased_by: _Optional[str] = ...) -> None: ...

class EventRecorded(_message.Message):
    __slots__ = ("event_id", "topic", "partition", "offset")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    topic: str
    partition: int
    offset: int
    def __init__(self, event_id: _Optional[str] = ..., topic: _Optional[str] = ..., partition: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class AlertFilter(_message.Message):
    __slots__ = ("province", "facility_id", "rule", "min_severity", "include_closed")
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    MIN_SEVERITY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CLOSED_FIELD_NUMBER: _ClassVar[int]
    province: str
    facility_id: str
    rule: str
    min_severity: _events_pb2.Severity
    include_closed: bool
    def __init__(self, province: _Optional[str] = ..., facility_id: _Optional[str] = ..., rule: _Optional[str] = ..., min_severity: _Optional[_Union[_events_pb2.Severity, str]] = ..., include_closed: _Optional[bool] = ...) -> None: ...

class WatchAlertsRequest(_message.Message):
    __slots__ = ("filter", "replay")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    REPLAY_FIELD_NUMBER: _ClassVar[int]
    filter: AlertFilter
    replay: int
    def __init__(self, filter: _Optional[_Union[AlertFilter, _Mapping]] = ..., replay: _Optional[int] = ...) -> None: ...

class ListAlertsRequest(_message.Message):
    __slots__ = ("filter", "limit")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    filter: AlertFilter
    limit: int
    def __init__(self, filter: _Optional[_Union[AlertFilter, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class AlertView(_message.Message):
    __slots__ = ("alert", "status", "status_by", "status_note", "updated_at")
    ALERT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_BY_FIELD_NUMBER: _ClassVar[int]
    STATUS_NOTE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    alert: _events_pb2.Alert
    status: AlertStatus
    status_by: str
    status_note: str
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, alert: _Optional[_Union[_events_pb2.Alert, _Mapping]] = ..., status: _Optional[_Union[AlertStatus, str]] = ..., status_by: _Optional[str] = ..., status_note: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AlertNotice(_message.Message):
    __slots__ = ("alert", "replayed")
    ALERT_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    alert: AlertView
    replayed: bool
    def __init__(self, alert: _Optional[_Union[AlertView, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class AlertList(_message.Message):
    __slots__ = ("alerts",)
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[AlertView]
    def __init__(self, alerts: _Optional[_Iterable[_Union[AlertView, _Mapping]]] = ...) -> None: ...

class AlertActionRequest(_message.Message):
    __slots__ = ("alert_id", "staff_id", "note", "resolution")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    alert_id: str
    staff_id: str
    note: str
    resolution: str
    def __init__(self, alert_id: _Optional[str] = ..., staff_id: _Optional[str] = ..., note: _Optional[str] = ..., resolution: _Optional[str] = ...) -> None: ...

class EchoRequest(_message.Message):
    __slots__ = ("payload",)
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    payload: bytes
    def __init__(self, payload: _Optional[bytes] = ...) -> None: ...

class EchoReply(_message.Message):
    __slots__ = ("payload",)
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    payload: bytes
    def __init__(self, payload: _Optional[bytes] = ...) -> None: ...

class AddAccountRequest(_message.Message):
    __slots__ = ("username", "role", "facility_id", "password")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    username: str
    role: str
    facility_id: str
    password: str
    def __init__(self, username: _Optional[str] = ..., role: _Optional[str] = ..., facility_id: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class AccountCreated(_message.Message):
    __slots__ = ("username", "role", "facility_id", "generated_password", "event_id")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATED_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    username: str
    role: str
    facility_id: str
    generated_password: str
    event_id: str
    def __init__(self, username: _Optional[str] = ..., role: _Optional[str] = ..., facility_id: _Optional[str] = ..., generated_password: _Optional[str] = ..., event_id: _Optional[str] = ...) -> None: ...

class DisableAccountRequest(_message.Message):
    __slots__ = ("username", "reason")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    username: str
    reason: str
    def __init__(self, username: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListAccountsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AccountView(_message.Message):
    __slots__ = ("username", "role", "facility_id", "disabled")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    username: str
    role: str
    facility_id: str
    disabled: bool
    def __init__(self, username: _Optional[str] = ..., role: _Optional[str] = ..., facility_id: _Optional[str] = ..., disabled: _Optional[bool] = ...) -> None: ...

class AccountList(_message.Message):
    __slots__ = ("accounts",)
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedCompositeFieldContainer[AccountView]
    def __init__(self, accounts: _Optional[_Iterable[_Union[AccountView, _Mapping]]] = ...) -> None: ...

class RegisterStaffRequest(_message.Message):
    __slots__ = ("facility_id", "personal_id", "full_name")
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    PERSONAL_ID_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    facility_id: str
    personal_id: str
    full_name: str
    def __init__(self, facility_id: _Optional[str] = ..., personal_id: _Optional[str] = ..., full_name: _Optional[str] = ...) -> None: ...

class StaffView(_message.Message):
    __slots__ = ("registry_id", "facility_id", "full_name", "personal_id_masked")
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    PERSONAL_ID_MASKED_FIELD_NUMBER: _ClassVar[int]
    registry_id: str
    facility_id: str
    full_name: str
    personal_id_masked: str
    def __init__(self, registry_id: _Optional[str] = ..., facility_id: _Optional[str] = ..., full_name: _Optional[str] = ..., personal_id_masked: _Optional[str] = ...) -> None: ...

class RemoveStaffRequest(_message.Message):
    __slots__ = ("facility_id", "registry_id")
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    facility_id: str
    registry_id: str
    def __init__(self, facility_id: _Optional[str] = ..., registry_id: _Optional[str] = ...) -> None: ...

class ListStaffRequest(_message.Message):
    __slots__ = ("facility_id",)
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    facility_id: str
    def __init__(self, facility_id: _Optional[str] = ...) -> None: ...

class StaffList(_message.Message):
    __slots__ = ("staff",)
    STAFF_FIELD_NUMBER: _ClassVar[int]
    staff: _containers.RepeatedCompositeFieldContainer[StaffView]
    def __init__(self, staff: _Optional[_Iterable[_Union[StaffView, _Mapping]]] = ...) -> None: ...
