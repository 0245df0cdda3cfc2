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
    VERDICT_PROVISIONAL: _ClassVar[Verdict]

class CredentialKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CREDENTIAL_KIND_UNSPECIFIED: _ClassVar[CredentialKind]
    CREDENTIAL_KIND_CARD_NUMBER: _ClassVar[CredentialKind]
    CREDENTIAL_KIND_DIGITAL_TOKEN: _ClassVar[CredentialKind]
    CREDENTIAL_KIND_LEGACY_QR: _ClassVar[CredentialKind]
    CREDENTIAL_KIND_CHIP_ID: _ClassVar[CredentialKind]
    CREDENTIAL_KIND_CCCD_QR: _ClassVar[CredentialKind]
    CREDENTIAL_KIND_HIS_LOOKUP: _ClassVar[CredentialKind]

class Assurance(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSURANCE_UNSPECIFIED: _ClassVar[Assurance]
    ASSURANCE_UNAUTHENTICATED: _ClassVar[Assurance]
    ASSURANCE_SIGNED_TOKEN: _ClassVar[Assurance]
    ASSURANCE_CHIP_PASSIVE: _ClassVar[Assurance]
    ASSURANCE_CHIP_ACTIVE: _ClassVar[Assurance]

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_LOW: _ClassVar[Severity]
    SEVERITY_MEDIUM: _ClassVar[Severity]
    SEVERITY_HIGH: _ClassVar[Severity]
    SEVERITY_CRITICAL: _ClassVar[Severity]
GENDER_UNSPECIFIED: Gender
GENDER_MALE: Gender
GENDER_FEMALE: Gender
VERDICT_UNSPECIFIED: Verdict
VERDICT_ACCEPTED: Verdict
VERDICT_REJECTED: Verdict
VERDICT_NEEDS_REVIEW: Verdict
VERDICT_PROVISIONAL: Verdict
CREDENTIAL_KIND_UNSPECIFIED: CredentialKind
CREDENTIAL_KIND_CARD_NUMBER: CredentialKind
CREDENTIAL_KIND_DIGITAL_TOKEN: CredentialKind
CREDENTIAL_KIND_LEGACY_QR: CredentialKind
CREDENTIAL_KIND_CHIP_ID: CredentialKind
CREDENTIAL_KIND_CCCD_QR: CredentialKind
CREDENTIAL_KIND_HIS_LOOKUP: CredentialKind
ASSURANCE_UNSPECIFIED: Assurance
ASSURANCE_UNAUTHENTICATED: Assurance
ASSURANCE_SIGNED_TOKEN: Assurance
ASSURANCE_CHIP_PASSIVE: Assurance
ASSURANCE_CHIP_ACTIVE: Assurance
SEVERITY_UNSPECIFIED: Severity
SEVERITY_LOW: Severity
SEVERITY_MEDIUM: Severity
SEVERITY_HIGH: Severity
SEVERITY_CRITICAL: Severity

class EventEnvelope(_message.Message):
    __slots__ = ("event_id", "key", "schema_version", "occurred_at", "producer", "participant_enrolled", "card_issued", "card_replaced", "coverage_extended", "participation_reduced", "card_revoked", "card_reported_lost", "registered_facility_changed", "person_details_corrected", "person_erased", "check_in_verified", "check_in_finalised", "signing_key_trusted", "signing_key_revoked", "face_match_recorded", "alert_raised", "alert_updated", "alert_acknowledged", "alert_closed", "import_checkpointed", "account_added", "account_disabled", "staff_registered", "staff_removed", "data_key_wrapped")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    PRODUCER_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_ENROLLED_FIELD_NUMBER: _ClassVar[int]
    CARD_ISSUED_FIELD_NUMBER: _ClassVar[int]
    CARD_REPLACED_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_EXTENDED_FIELD_NUMBER: _ClassVar[int]
    PARTICIPATION_REDUCED_FIELD_NUMBER: _ClassVar[int]
    CARD_REVOKED_FIELD_NUMBER: _ClassVar[int]
    CARD_REPORTED_LOST_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_FACILITY_CHANGED_FIELD_NUMBER: _ClassVar[int]
    PERSON_DETAILS_CORRECTED_FIELD_NUMBER: _ClassVar[int]
    PERSON_ERASED_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FINALISED_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_TRUSTED_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_REVOKED_FIELD_NUMBER: _ClassVar[int]
    FACE_MATCH_RECORDED_FIELD_NUMBER: _ClassVar[int]
    ALERT_RAISED_FIELD_NUMBER: _ClassVar[int]
    ALERT_UPDATED_FIELD_NUMBER: _ClassVar[int]
    ALERT_ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    ALERT_CLOSED_FIELD_NUMBER: _ClassVar[int]
    IMPORT_CHECKPOINTED_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ADDED_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_DISABLED_FIELD_NUMBER: _ClassVar[int]
    STAFF_REGISTERED_FIELD_NUMBER: _ClassVar[int]
    STAFF_REMOVED_FIELD_NUMBER: _ClassVar[int]
    DATA_KEY_WRAPPED_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    key: str
    schema_version: int
    occurred_at: _timestamp_pb2.Timestamp
    producer: str
    participant_enrolled: ParticipantEnrolled
    card_issued: CardIssued
    card_replaced: CardReplaced
    coverage_extended: CoverageExtended
    participation_reduced: ParticipationReduced
    card_revoked: CardRevoked
    card_reported_lost: CardReportedLost
    registered_facility_changed: RegisteredFacilityChanged
    person_details_corrected: PersonDetailsCorrected
    person_erased: PersonErased
    check_in_verified: CheckInVerified
    check_in_finalised: CheckInFinalised
    signing_key_trusted: SigningKeyTrusted
    signing_key_revoked: SigningKeyRevoked
    face_match_recorded: FaceMatchRecorded
    alert_raised: AlertRaised
    alert_updated: AlertUpdated
    alert_acknowledged: AlertAcknowledged
    alert_closed: AlertClosed
    import_checkpointed: ImportCheckpointed
    account_added: AccountAdded
    account_disabled: AccountDisabled
    staff_registered: StaffRegistered
    staff_removed: StaffRemoved
    data_key_wrapped: DataKeyWrapped
    def __init__(self, event_id: _Optional[str] = ..., key: _Optional[str] = ..., schema_version: _Optional[int] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., producer: _Optional[str] = ..., participant_enrolled: _Optional[_Union[ParticipantEnrolled, _Mapping]] = ..., card_issued: _Optional[_Union[CardIssued, _Mapping]] = ..., card_replaced: _Optional[_Union[CardReplaced, _Mapping]] = ..., coverage_extended: _Optional[_Union[CoverageExtended, _Mapping]] = ..., participation_reduced: _Optional[_Union[ParticipationReduced, _Mapping]] = ..., card_revoked: _Optional[_Union[CardRevoked, _Mapping]] = ..., card_reported_lost: _Optional[_Union[CardReportedLost, _Mapping]] = ..., registered_facility_changed: _Optional[_Union[RegisteredFacilityChanged, _Mapping]] = ..., person_details_corrected: _Optional[_Union[PersonDetailsCorrected, _Mapping]] = ..., person_erased: _Optional[_Union[PersonErased, _Mapping]] = ..., check_in_verified: _Optional[_Union[CheckInVerified, _Mapping]] = ..., check_in_finalised: _Optional[_Union[CheckInFinalised, _Mapping]] = ..., signing_key_trusted: _Optional[_Union[SigningKeyTrusted, _Mapping]] = ..., signing_key_revoked: _Optional[_Union[SigningKeyRevoked, _Mapping]] = ..., face_match_recorded: _Optional[_Union[FaceMatchRecorded, _Mapping]] = ..., alert_raised: _Optional[_Union[AlertRaised, _Mapping]] = ..., alert_updated: _Optional[_Union[AlertUpdated, _Mapping]] = ..., alert_acknowledged: _Optional[_Union[AlertAcknowledged, _Mapping]] = ..., alert_closed: _Optional[_Union[AlertClosed, _Mapping]] = ..., import_checkpointed: _Optional[_Union[ImportCheckpointed, _Mapping]] = ..., account_added: _Optional[_Union[AccountAdded, _Mapping]] = ..., account_disabled: _Optional[_Union[AccountDisabled, _Mapping]] = ..., staff_registered: _Optional[_Union[StaffRegistered, _Mapping]] = ..., staff_removed: _Optional[_Union[StaffRemoved, _Mapping]] = ..., data_key_wrapped: _Optional[_Union[DataKeyWrapped, _Mapping]] = ...) -> None: ...

class SealedPersonalData(_message.Message):
    __slots__ = ("key_id", "nonce", "ciphertext")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    CIPHERTEXT_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    nonce: bytes
    ciphertext: bytes
    def __init__(self, key_id: _Optional[str] = ..., nonce: _Optional[bytes] = ..., ciphertext: _Optional[bytes] = ...) -> None: ...

class PersonalFields(_message.Message):
    __slots__ = ("full_name", "date_of_birth", "personal_id", "address")
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    DATE_OF_BIRTH_FIELD_NUMBER: _ClassVar[int]
    PERSONAL_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    full_name: str
    date_of_birth: str
    personal_id: str
    address: str
    def __init__(self, full_name: _Optional[str] = ..., date_of_birth: _Optional[str] = ..., personal_id: _Optional[str] = ..., address: _Optional[str] = ...) -> None: ...

class DataKeyWrapped(_message.Message):
    __slots__ = ("subject", "key_id", "kek_id", "wrapped_key")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    KEK_ID_FIELD_NUMBER: _ClassVar[int]
    WRAPPED_KEY_FIELD_NUMBER: _ClassVar[int]
    subject: str
    key_id: str
    kek_id: str
    wrapped_key: bytes
    def __init__(self, subject: _Optional[str] = ..., key_id: _Optional[str] = ..., kek_id: _Optional[str] = ..., wrapped_key: _Optional[bytes] = ...) -> None: ...

class PersonErased(_message.Message):
    __slots__ = ("social_insurance_number", "reason", "erased_by")
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ERASED_BY_FIELD_NUMBER: _ClassVar[int]
    social_insurance_number: str
    reason: str
    erased_by: str
    def __init__(self, social_insurance_number: _Optional[str] = ..., reason: _Optional[str] = ..., erased_by: _Optional[str] = ...) -> None: ...

class ParticipantEnrolled(_message.Message):
    __slots__ = ("social_insurance_number", "card_number", "personal_id", "full_name", "date_of_birth", "gender", "registered_facility", "valid_from", "valid_to", "five_years_from", "sealed")
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
    SEALED_FIELD_NUMBER: _ClassVar[int]
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
    sealed: SealedPersonalData
    def __init__(self, social_insurance_number: _Optional[str] = ..., card_number: _Optional[str] = ..., personal_id: _Optional[str] = ..., full_name: _Optional[str] = ..., date_of_birth: _Optional[str] = ..., gender: _Optional[_Union[Gender, str]] = ..., registered_facility: _Optional[str] = ..., valid_from: _Optional[str] = ..., valid_to: _Optional[str] = ..., five_years_from: _Optional[str] = ..., sealed: _Optional[_Union[SealedPersonalData, _Mapping]] = ...) -> None: ...

class CardValidity(_message.Message):
    __slots__ = ("card_number", "valid_from", "valid_to")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    valid_from: str
    valid_to: str
    def __init__(self, card_number: _Optional[str] = ..., valid_from: _Optional[str] = ..., valid_to: _Optional[str] = ...) -> None: ...

class CardIssued(_message.Message):
    __slots__ = ("social_insurance_number", "card")
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    social_insurance_number: str
    card: CardValidity
    def __init__(self, social_insurance_number: _Optional[str] = ..., card: _Optional[_Union[CardValidity, _Mapping]] = ...) -> None: ...

class CardReplaced(_message.Message):
    __slots__ = ("social_insurance_number", "old_card", "new_card", "registered_facility")
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OLD_CARD_FIELD_NUMBER: _ClassVar[int]
    NEW_CARD_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_FACILITY_FIELD_NUMBER: _ClassVar[int]
    social_insurance_number: str
    old_card: CardValidity
    new_card: CardValidity
    registered_facility: str
    def __init__(self, social_insurance_number: _Optional[str] = ..., old_card: _Optional[_Union[CardValidity, _Mapping]] = ..., new_card: _Optional[_Union[CardValidity, _Mapping]] = ..., registered_facility: _Optional[str] = ...) -> None: ...

class CoverageExtended(_message.Message):
    __slots__ = ("social_insurance_number", "card_number", "valid_to")
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    social_insurance_number: str
    card_number: str
    valid_to: str
    def __init__(self, social_insurance_number: _Optional[str] = ..., card_number: _Optional[str] = ..., valid_to: _Optional[str] = ...) -> None: ...

class ParticipationReduced(_message.Message):
    __slots__ = ("social_insurance_number", "reason_code", "effective_on")
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_ON_FIELD_NUMBER: _ClassVar[int]
    social_insurance_number: str
    reason_code: str
    effective_on: str
    def __init__(self, social_insurance_number: _Optional[str] = ..., reason_code: _Optional[str] = ..., effective_on: _Optional[str] = ...) -> None: ...

class CardRevoked(_message.Message):
    __slots__ = ("social_insurance_number", "card_number", "reason")
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    social_insurance_number: str
    card_number: str
    reason: str
    def __init__(self, social_insurance_number: _Optional[str] = ..., card_number: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CardReportedLost(_message.Message):
    __slots__ = ("social_insurance_number", "card_number", "reported_on")
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REPORTED_ON_FIELD_NUMBER: _ClassVar[int]
    social_insurance_number: str
    card_number: str
    reported_on: str
    def __init__(self, social_insurance_number: _Optional[str] = ..., card_number: _Optional[str] = ..., reported_on: _Optional[str] = ...) -> None: ...

class RegisteredFacilityChanged(_message.Message):
    __slots__ = ("social_insurance_number", "registered_facility", "effective_on")
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_FACILITY_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_ON_FIELD_NUMBER: _ClassVar[int]
    social_insurance_number: str
    registered_facility: str
    effective_on: str
    def __init__(self, social_insurance_number: _Optional[str] = ..., registered_facility: _Optional[str] = ..., effective_on: _Optional[str] = ...) -> None: ...

class PersonDetailsCorrected(_message.Message):
    __slots__ = ("social_insurance_number", "full_name", "date_of_birth", "gender", "reason", "sealed")
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    DATE_OF_BIRTH_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SEALED_FIELD_NUMBER: _ClassVar[int]
    social_insurance_number: str
    full_name: str
    date_of_birth: str
    gender: Gender
    reason: str
    sealed: SealedPersonalData
    def __init__(self, social_insurance_number: _Optional[str] = ..., full_name: _Optional[str] = ..., date_of_birth: _Optional[str] = ..., gender: _Optional[_Union[Gender, str]] = ..., reason: _Optional[str] = ..., sealed: _Optional[_Union[SealedPersonalData, _Mapping]] = ...) -> None: ...

class ImportCheckpointed(_message.Message):
    __slots__ = ("file_sha256", "file_name", "lines_done", "rows_accepted", "rows_rejected", "events_written", "completed", "rejects_bytes")
    FILE_SHA256_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    LINES_DONE_FIELD_NUMBER: _ClassVar[int]
    ROWS_ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    ROWS_REJECTED_FIELD_NUMBER: _ClassVar[int]
    EVENTS_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    REJECTS_BYTES_FIELD_NUMBER: _ClassVar[int]
    file_sha256: str
    file_name: str
    lines_done: int
    rows_accepted: int
    rows_rejected: int
    events_written: int
    completed: bool
    rejects_bytes: int
    def __init__(self, file_sha256: _Optional[str] = ..., file_name: _Optional[str] = ..., lines_done: _Optional[int] = ..., rows_accepted: _Optional[int] = ..., rows_rejected: _Optional[int] = ..., events_written: _Optional[int] = ..., completed: _Optional[bool] = ..., rejects_bytes: _Optional[int] = ...) -> None: ...

class CheckInVerified(_message.Message):
    __slots__ = ("check_in_id", "credential", "presented_number", "social_insurance_number", "card_number", "facility_id", "kiosk_id", "verdict", "result_code", "reason_codes", "assurance", "token", "chip_failed_checks", "staff_id", "kiosk_certificate_sha256", "check_registered_facility")
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
    ASSURANCE_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    CHIP_FAILED_CHECKS_FIELD_NUMBER: _ClassVar[int]
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    KIOSK_CERTIFICATE_SHA256_FIELD_NUMBER: _ClassVar[int]
    CHECK_REGISTERED_FACILITY_FIELD_NUMBER: _ClassVar[int]
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
    assurance: Assurance
    token: TokenPresented
    chip_failed_checks: _containers.RepeatedScalarFieldContainer[str]
    staff_id: str
    kiosk_certificate_sha256: str
    check_registered_facility: bool
    def __init__(self, check_in_id: _Optional[str] = ..., credential: _Optional[_Union[CredentialKind, str]] = ..., presented_number: _Optional[str] = ..., social_insurance_number: _Optional[str] = ..., card_number: _Optional[str] = ..., facility_id: _Optional[str] = ..., kiosk_id: _Optional[str] = ..., verdict: _Optional[_Union[Verdict, str]] = ..., result_code: _Optional[str] = ..., reason_codes: _Optional[_Iterable[str]] = ..., assurance: _Optional[_Union[Assurance, str]] = ..., token: _Optional[_Union[TokenPresented, _Mapping]] = ..., chip_failed_checks: _Optional[_Iterable[str]] = ..., staff_id: _Optional[str] = ..., kiosk_certificate_sha256: _Optional[str] = ..., check_registered_facility: _Optional[bool] = ...) -> None: ...

class CheckInFinalised(_message.Message):
    __slots__ = ("check_in_id", "social_insurance_number", "card_number", "facility_id", "kiosk_id", "verdict", "result_code", "reason_codes", "checked_in_at")
    CHECK_IN_ID_FIELD_NUMBER: _ClassVar[int]
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    KIOSK_ID_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    RESULT_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_CODES_FIELD_NUMBER: _ClassVar[int]
    CHECKED_IN_AT_FIELD_NUMBER: _ClassVar[int]
    check_in_id: str
    social_insurance_number: str
    card_number: str
    facility_id: str
    kiosk_id: str
    verdict: Verdict
    result_code: str
    reason_codes: _containers.RepeatedScalarFieldContainer[str]
    checked_in_at: _timestamp_pb2.Timestamp
    def __init__(self, check_in_id: _Optional[str] = ..., social_insurance_number: _Optional[str] = ..., card_number: _Optional[str] = ..., facility_id: _Optional[str] = ..., kiosk_id: _Optional[str] = ..., verdict: _Optional[_Union[Verdict, str]] = ..., result_code: _Optional[str] = ..., reason_codes: _Optional[_Iterable[str]] = ..., checked_in_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FaceMatchRecorded(_message.Message):
    __slots__ = ("check_in_id", "social_insurance_number", "personal_id", "facility_id", "kiosk_id", "score", "kiosk_threshold", "applied_threshold", "matched", "liveness", "matcher", "compared_with", "credential")
    CHECK_IN_ID_FIELD_NUMBER: _ClassVar[int]
    SOCIAL_INSURANCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PERSONAL_ID_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    KIOSK_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    KIOSK_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    APPLIED_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    LIVENESS_FIELD_NUMBER: _ClassVar[int]
    MATCHER_FIELD_NUMBER: _ClassVar[int]
    COMPARED_WITH_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    check_in_id: str
    social_insurance_number: str
    personal_id: str
    facility_id: str
    kiosk_id: str
    score: float
    kiosk_threshold: float
    applied_threshold: float
    matched: bool
    liveness: str
    matcher: str
    compared_with: str
    credential: CredentialKind
    def __init__(self, check_in_id: _Optional[str] = ..., social_insurance_number: _Optional[str] = ..., personal_id: _Optional[str] = ..., facility_id: _Optional[str] = ..., kiosk_id: _Optional[str] = ..., score: _Optional[float] = ..., kiosk_threshold: _Optional[float] = ..., applied_threshold: _Optional[float] = ..., matched: _Optional[bool] = ..., liveness: _Optional[str] = ..., matcher: _Optional[str] = ..., compared_with: _Optional[str] = ..., credential: _Optional[_Union[CredentialKind, str]] = ...) -> None: ...

class TokenPresented(_message.Message):
    __slots__ = ("token_id", "kid", "alg", "issued_at", "expires_at", "signature_valid", "first_check_in_id", "first_facility_id", "first_kiosk_id", "first_presented_at")
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    KID_FIELD_NUMBER: _ClassVar[int]
    ALG_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_VALID_FIELD_NUMBER: _ClassVar[int]
    FIRST_CHECK_IN_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_KIOSK_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_PRESENTED_AT_FIELD_NUMBER: _ClassVar[int]
    token_id: str
    kid: str
    alg: str
    issued_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    signature_valid: bool
    first_check_in_id: str
    first_facility_id: str
    first_kiosk_id: str
    first_presented_at: _timestamp_pb2.Timestamp
    def __init__(self, token_id: _Optional[str] = ..., kid: _Optional[str] = ..., alg: _Optional[str] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., signature_valid: _Optional[bool] = ..., first_check_in_id: _Optional[str] = ..., first_facility_id: _Optional[str] = ..., first_kiosk_id: _Optional[str] = ..., first_presented_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SigningKeyTrusted(_message.Message):
    __slots__ = ("kid", "certificate_der", "subject", "reason")
    KID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_DER_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    kid: str
    certificate_der: bytes
    subject: str
    reason: str
    def __init__(self, kid: _Optional[str] = ..., certificate_der: _Optional[bytes] = ..., subject: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class SigningKeyRevoked(_message.Message):
    __slots__ = ("kid", "reason")
    KID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    kid: str
    reason: str
    def __init__(self, kid: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class Evidence(_message.Message):
    __slots__ = ("event_id", "kind", "occurred_at", "facility_id", "kiosk_id", "detail")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    KIOSK_ID_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    kind: str
    occurred_at: _timestamp_pb2.Timestamp
    facility_id: str
    kiosk_id: str
    detail: str
    def __init__(self, event_id: _Optional[str] = ..., kind: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., facility_id: _Optional[str] = ..., kiosk_id: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class Alert(_message.Message):
    __slots__ = ("alert_id", "revision", "rule", "severity", "subject_kind", "subject", "facility_ids", "provinces", "window_start", "window_end", "evidence", "evidence_count", "summary", "summary_vi")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    FACILITY_IDS_FIELD_NUMBER: _ClassVar[int]
    PROVINCES_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_VI_FIELD_NUMBER: _ClassVar[int]
    alert_id: str
    revision: int
    rule: str
    severity: Severity
    subject_kind: str
    subject: str
    facility_ids: _containers.RepeatedScalarFieldContainer[str]
    provinces: _containers.RepeatedScalarFieldContainer[str]
    window_start: _timestamp_pb2.Timestamp
    window_end: _timestamp_pb2.Timestamp
    evidence: _containers.RepeatedCompositeFieldContainer[Evidence]
    evidence_count: int
    summary: str
    summary_vi: str
    def __init__(self, alert_id: _Optional[str] = ..., revision: _Optional[int] = ..., rule: _Optional[str] = ..., severity: _Optional[_Union[Severity, str]] = ..., subject_kind: _Optional[str] = ..., subject: _Optional[str] = ..., facility_ids: _Optional[_Iterable[str]] = ..., provinces: _Optional[_Iterable[str]] = ..., window_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., evidence: _Optional[_Iterable[_Union[Evidence, _Mapping]]] = ..., evidence_count: _Optional[int] = ..., summary: _Optional[str] = ..., summary_vi: _Optional[str] = ...) -> None: ...

class AlertRaised(_message.Message):
    __slots__ = ("alert",)
    ALERT_FIELD_NUMBER: _ClassVar[int]
    alert: Alert
    def __init__(self, alert: _Optional[_Union[Alert, _Mapping]] = ...) -> None: ...

class AlertUpdated(_message.Message):
    __slots__ = ("alert",)
    ALERT_FIELD_NUMBER: _ClassVar[int]
    alert: Alert
    def __init__(self, alert: _Optional[_Union[Alert, _Mapping]] = ...) -> None: ...

class AlertAcknowledged(_message.Message):
    __slots__ = ("alert_id", "staff_id", "note")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    alert_id: str
    staff_id: str
    note: str
    def __init__(self, alert_id: _Optional[str] = ..., staff_id: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class AlertClosed(_message.Message):
    __slots__ = ("alert_id", "staff_id", "resolution", "note")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    alert_id: str
    staff_id: str
    resolution: str
    note: str
    def __init__(self, alert_id: _Optional[str] = ..., staff_id: _Optional[str] = ..., resolution: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class AccountAdded(_message.Message):
    __slots__ = ("username", "role", "facility_id", "password_hash", "added_by")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_HASH_FIELD_NUMBER: _ClassVar[int]
    ADDED_BY_FIELD_NUMBER: _ClassVar[int]
    username: str
    role: str
    facility_id: str
    password_hash: str
    added_by: str
    def __init__(self, username: _Optional[str] = ..., role: _Optional[str] = ..., facility_id: _Optional[str] = ..., password_hash: _Optional[str] = ..., added_by: _Optional[str] = ...) -> None: ...

class AccountDisabled(_message.Message):
    __slots__ = ("username", "reason", "disabled_by")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DISABLED_BY_FIELD_NUMBER: _ClassVar[int]
    username: str
    reason: str
    disabled_by: str
    def __init__(self, username: _Optional[str] = ..., reason: _Optional[str] = ..., disabled_by: _Optional[str] = ...) -> None: ...

class StaffRegistered(_message.Message):
    __slots__ = ("registry_id", "facility_id", "personal_id", "full_name", "sealed")
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    PERSONAL_ID_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    SEALED_FIELD_NUMBER: _ClassVar[int]
    registry_id: str
    facility_id: str
    personal_id: str
    full_name: str
    sealed: SealedPersonalData
    def __init__(self, registry_id: _Optional[str] = ..., facility_id: _Optional[str] = ..., personal_id: _Optional[str] = ..., full_name: _Optional[str] = ..., sealed: _Optional[_Union[SealedPersonalData, _Mapping]] = ...) -> None: ...

class StaffRemoved(_message.Message):
    __slots__ = ("registry_id", "facility_id")
    REGISTRY_ID_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    registry_id: str
    facility_id: str
    def __init__(self, registry_id: _Optional[str] = ..., facility_id: _Optional[str] = ...) -> None: ...
