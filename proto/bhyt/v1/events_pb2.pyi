import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Gender(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GENDER_UNSPECIFIED: _ClassVar[Gender]
    GENDER_MALE: _ClassVar[Gender]
    GENDER_FEMALE: _ClassVar[Gender]

class Verdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERDICT_UNSPECIFIED: _ClassVar[Verdict]
    VERDICT_ACCEPTED: _ClassVar[Verdict]
    VERDICT_REJECTED: _ClassVar[Verdict]
    VERDICT_NEEDS_REVIEW: _ClassVar[Verdict]

class CredentialKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CREDENTIAL_KIND_UNSPECIFIED: _ClassVar[CredentialKind]
    CREDENTIAL_KIND_CARD_NUMBER: _ClassVar[CredentialKind]
    CREDENTIAL_KIND_DIGITAL_TOKEN: _ClassVar[CredentialKind]
    CREDENTIAL_KIND_LEGACY_QR: _ClassVar[CredentialKind]
    CREDENTIAL_KIND_CHIP_ID: _ClassVar[CredentialKind]
GENDER_UNSPECIFIED: Gender
GENDER_MALE: Gender
GENDER_FEMALE: Gender
VERDICT_UNSPECIFIED: Verdict
VERDICT_ACCEPTED: Verdict
VERDICT_REJECTED: Verdict
VERDICT_NEEDS_REVIEW: Verdict
CREDENTIAL_KIND_UNSPECIFIED: CredentialKind
CREDENTIAL_KIND_CARD_NUMBER: CredentialKind
CREDENTIAL_KIND_DIGITAL_TOKEN: CredentialKind
CREDENTIAL_KIND_LEGACY_QR: CredentialKind
CREDENTIAL_KIND_CHIP_ID: CredentialKind

class EventEnvelope(_message.Message):
    __slots__ = ("event_id", "key", "schema_version", "occurred_at", "producer", "participant_enrolled", "check_in_verified")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    PRODUCER_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_ENROLLED_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    key: str
    schema_version: int
    occurred_at: _timestamp_pb2.Timestamp
    producer: str
    participant_enrolled: ParticipantEnrolled
    check_in_verified: CheckInVerified
    def __init__(self, event_id: _Optional[str] = ..., key: _Optional[str] = ..., schema_version: _Optional[int] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., producer: _Optional[str] = ..., participant_enrolled: _Optional[_Union[ParticipantEnrolled, _Mapping]] = ..., check_in_verified: _Optional[_Union[CheckInVerified, _Mapping]] = ...) -> None: ...

class ParticipantEnrolled(_message.Message):
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
    gender: Gender
    registered_facility: str
    valid_from: str
    valid_to: str
    five_years_from: str
    def __init__(self, social_insurance_number: _Optional[str] = ..., card_number: _Optional[str] = ..., personal_id: _Optional[str] = ..., full_name: _Optional[str] = ..., date_of_birth: _Optional[str] = ..., gender: _Optional[_Union[Gender, str]] = ..., registered_facility: _Optional[str] = ..., valid_from: _Optional[str] = ..., valid_to: _Optional[str] = ..., five_years_from: _Optional[str] = ...) -> None: ...

class CheckInVerified(_message.Message):
    __slots__ = ("check_in_id", "credential", "presented_number", "social_insurance_number", "card_number", "facility_id", "kiosk_id", "verdict", "result_code", "reason_codes")
    CHECK_IN_ID_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    PRESENTED_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    KIOSK_ID_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    RESULT_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_CODES_FIELD_NUMBER: _ClassVar[int]
    check_in_id: str
    credential: CredentialKind
    presented_number: str
    social_insurance_number: str
    card_number: str
    facility_id: str
    kiosk_id: str
    verdict: Verdict
    result_code: str
    reason_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, check_in_id: _Optional[str] = ..., credential: _Optional[_Union[CredentialKind, str]] = ..., presented_number: _Optional[str] = ..., social_insurance_number: _Optional[str] = ..., card_number: _Optional[str] = ..., facility_id: _Optional[str] = ..., kiosk_id: _Optional[str] = ..., verdict: _Optional[_Union[Verdict, str]] = ..., result_code: _Optional[str] = ..., reason_codes: _Optional[_Iterable[str]] = ...) -> None: ...
