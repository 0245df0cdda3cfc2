"""Card lifecycle commands for VSS staff, judged against the person's current record (pure).

A command is what a staff member asks for (imperative: `ReplaceCard`, `RevokeCard`, ...), with its
fields as the request gave them. `decide` checks it against the participation record and the day
and answers the change to record (a value the event is made of), or refuses with the field and the
reason, Vietnamese first: a bad field is `BadRequest`, a record that does not allow the change is
`LifecycleRefused`, an unknown person `NotFound`. Nothing is recorded for a refused command.

A command whose change the record already shows is accepted as it is: that is a retry under the
same client request id whose first attempt was already projected. Its event is the same one (the
service derives the event id from the request id) and folding it again changes nothing, because
every lifecycle change sets a state rather than adding to one.

VSS reduction codes (báo giảm, maKetQua 120-124) as hospitals read them: see `../shared/domain.md`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TypeAlias

from verifier.domain.calendar import parse_birth_date, parse_iso_date
from verifier.domain.card_number import FULL_LENGTH, CardNumberProblem, normalise, parse_card_number
from verifier.domain.enrollment import MAX_NAME_LENGTH
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.participation import CardValidity, Gender, Participation, Status
from verifier.errors import BadRequest, NotFound, UnknownFacility, VerifierError

MAX_REASON_LENGTH = 200
# The reasons staff name a reduction by, and VSS's code for each (maKetQua, VSS's own meanings).
REDUCTION_CODES: dict[str, str] = {
    "unspecified": "120",  # Thẻ đã báo giảm
    "moved-province": "121",  # ... chuyển ngoại tỉnh
    "moved-within-province": "122",  # ... chuyển nội tỉnh
    "re-added": "123",  # ... do tăng lại cùng đơn vị
    "stopped": "124",  # ... ngừng tham gia
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class LifecycleRefused(VerifierError):
    """The record does not allow this change now (e.g. the old card is not the current one)."""

    grpc_status = "FAILED_PRECONDITION"
    code = "205"


def _refused(field: str, vi: str, en: str) -> LifecycleRefused:
    return LifecycleRefused(f"{field}: {vi} ({en})")


def _bad(field: str, vi: str, en: str) -> BadRequest:
    return BadRequest(f"{field}: {vi} ({en})")


# ---- The commands, as staff give them ------------------------------------------------------------


@dataclass(frozen=True)
class ReplaceCard:
    """A new card number for the holder of `old_card_number` (group, level or province changed)."""

    old_card_number: str
    new_card_number: str
    valid_from: str
    valid_to: str = ""  # empty: open-ended
    registered_facility: str = ""  # empty: unchanged

    @property
    def card_number(self) -> str:
        return self.old_card_number


@dataclass(frozen=True)
class ExtendCoverage:
    card_number: str
    valid_to: str


@dataclass(frozen=True)
class ReduceParticipation:
    card_number: str
    reason: str  # a key of REDUCTION_CODES
    effective_on: str = ""  # empty: today


@dataclass(frozen=True)
class RevokeCard:
    card_number: str
    reason: str = ""


@dataclass(frozen=True)
class ReportCardLost:
    card_number: str  # the current card or one it replaced
    reported_on: str = ""  # empty: today


@dataclass(frozen=True)
class ChangeRegisteredFacility:
    card_number: str
    registered_facility: str
    effective_on: str = ""  # empty: today


@dataclass(frozen=True)
class CorrectPersonDetails:
    """What a hospital asks VSS for after a 060/070/080: each field given replaces the record's."""

    card_number: str
    full_name: str = ""
    date_of_birth: str = ""  # YYYY-MM-DD, or YYYY when only the year is known
    gender: Gender = Gender.UNSPECIFIED
    reason: str = ""


@dataclass(frozen=True)
class ErasePerson:
    """Erase a person's personal data (Decree 13/2023/ND-CP, Art. 16): their name, birth date and
    personal number become unreadable everywhere; the coverage facts the law keeps stay."""

    card_number: str
    reason: str
    erased_by: str = ""


Command: TypeAlias = (
    ReplaceCard
    | ExtendCoverage
    | ReduceParticipation
    | RevokeCard
    | ReportCardLost
    | ChangeRegisteredFacility
    | CorrectPersonDetails
    | ErasePerson
)


# ---- The changes they record ---------------------------------------------------------------------


@dataclass(frozen=True)
class Replacement:
    social_insurance_number: str
    old_card: CardValidity
    new_card: CardValidity
    registered_facility: str = ""  # empty: unchanged


@dataclass(frozen=True)
class Extension:
    social_insurance_number: str
    card_number: str
    valid_to: date


@dataclass(frozen=True)
class Reduction:
    social_insurance_number: str
    reason_code: str  # "120".."124"
    effective_on: date | None


@dataclass(frozen=True)
class Revocation:
    social_insurance_number: str
    card_number: str
    reason: str


@dataclass(frozen=True)
class LossReport:
    social_insurance_number: str
    card_number: str
    reported_on: date | None


@dataclass(frozen=True)
class FacilityChange:
    social_insurance_number: str
    registered_facility: str
    effective_on: date | None


@dataclass(frozen=True)
class DetailsCorrection:
    social_insurance_number: str
    full_name: str = ""  # empty: unchanged
    date_of_birth: date | None = None  # None: unchanged
    birth_year_only: bool = False  # date_of_birth is 1 January of the only year known
    gender: Gender = Gender.UNSPECIFIED  # unspecified: unchanged
    reason: str = ""


@dataclass(frozen=True)
class Erasure:
    social_insurance_number: str
    reason: str
    erased_by: str


Change: TypeAlias = (
    Replacement
    | Extension
    | Reduction
    | Revocation
    | LossReport
    | FacilityChange
    | DetailsCorrection
    | Erasure
)


@dataclass(frozen=True)
class World:
    """What a decision depends on besides the record: the Vietnam calendar day and the facilities."""

    today: date
    facilities: FacilityRegistry


# ---- Deciding ------------------------------------------------------------------------------------


def person_of(card_number: str, *, field: str = "card_number") -> str:
    """The social insurance number a command names: a 15-character card or the 10-digit number."""
    try:
        return parse_card_number(normalise(card_number)).social_insurance_number
    except CardNumberProblem as e:
        raise _bad(field, f"mã thẻ không đúng, VSS {e.reason}", str(e)) from e
    except BadRequest as e:
        raise _bad(field, "thiếu hoặc sai mã thẻ", str(e)) from e


def subject_of(command: Command) -> str:
    """Whose record the command changes (their social insurance number)."""
    return person_of(command.card_number, field=_subject_field(command))


def _subject_field(command: Command) -> str:
    return "old_card_number" if isinstance(command, ReplaceCard) else "card_number"


def decide(command: Command, record: Participation | None, world: World) -> Change:
    """The change `command` records, or the refusal naming the field (nothing is recorded then)."""
    field = _subject_field(command)
    sin = person_of(command.card_number, field=field)
    if record is None or record.social_insurance_number != sin:
        raise NotFound(f"{field}: không tìm thấy người tham gia {sin} (no participant with this number)")
    match command:
        case ReplaceCard():
            return _replace(command, record, world)
        case ExtendCoverage():
            return _extend(command, record)
        case ReduceParticipation():
            return _reduce(command, record, world)
        case RevokeCard():
            card = _current_card(command.card_number, record)
            return Revocation(sin, card, _free_text(command.reason, "reason"))
        case ReportCardLost():
            card = _held_card(command.card_number, record)
            reported = _day_or_today(command.reported_on, "reported_on", world)
            if reported > world.today:
                raise _bad("reported_on", "ngày báo mất ở tương lai", "a date in the future")
            return LossReport(sin, card, reported)
        case ChangeRegisteredFacility():
            _held_card(command.card_number, record)
            if not command.registered_facility.strip():
                raise _bad("registered_facility", "thiếu mã nơi đăng ký KCB ban đầu", "required")
            facility = _facility(command.registered_facility, "registered_facility", world)
            return FacilityChange(sin, facility, _day_or_today(command.effective_on, "effective_on", world))
        case CorrectPersonDetails():
            _held_card(command.card_number, record)
            if record.status is Status.ERASED:
                raise _refused(
                    "card_number",
                    "thông tin cá nhân của người tham gia đã được xoá (K04): không ghi lại",
                    "the person's data was erased: none is recorded again",
                )
            return _correct(command, sin, world)
        case ErasePerson():
            _held_card(command.card_number, record)
            reason = _free_text(command.reason, "reason")
            if not reason:
                why = "cần ghi lý do xoá (yêu cầu của người tham gia, hết thời hạn lưu trữ...)"
                raise _bad("reason", why, "required: why the data is erased")
            return Erasure(sin, reason, command.erased_by)  # an erased record again: the same fact


def _replace(command: ReplaceCard, record: Participation, world: World) -> Replacement:
    old = _full_card(command.old_card_number, "old_card_number")
    new = _full_card(command.new_card_number, "new_card_number")
    sin = record.social_insurance_number
    if parse_card_number(new).social_insurance_number != sin:
        raise _bad(
            "new_card_number",
            "thẻ mới phải cùng mã số BHXH với thẻ cũ",
            "the new card must carry the same social insurance number",
        )
    if new == old:
        raise _bad("new_card_number", "thẻ mới trùng thẻ cũ", "the same number as the old card")
    start = _date(command.valid_from, "valid_from")
    end = _date(command.valid_to, "valid_to") if command.valid_to.strip() else None
    if end is not None and end < start:
        raise _bad("valid_to", "trước ngày bắt đầu", "before valid_from")
    facility = _facility(command.registered_facility, "registered_facility", world)
    already = record.card_number == new and record.previous_card(old) is not None
    if already:
        previous = record.previous_card(old)
        assert previous is not None
        return Replacement(sin, previous, CardValidity(new, start, end), facility)
    if old != record.card_number:
        raise _refused(
            "old_card_number",
            f"{old} không phải thẻ hiện hành của người tham gia (thẻ hiện hành {record.card_number})",
            "not the participant's current card",
        )
    return Replacement(
        sin, CardValidity(old, record.valid_from, record.valid_to), CardValidity(new, start, end), facility
    )


def _extend(command: ExtendCoverage, record: Participation) -> Extension:
    card = _current_card(command.card_number, record)
    if not command.valid_to.strip():
        raise _bad("valid_to", "thiếu ngày hết hạn mới", "required")
    end = _date(command.valid_to, "valid_to")
    if record.valid_to is None:
        raise _refused("valid_to", "thẻ không có hạn cuối, không cần gia hạn", "the card is open-ended")
    if end < record.valid_to:
        raise _refused(
            "valid_to",
            f"phải sau hạn hiện tại {record.valid_to.isoformat()}",
            "must be later than the card's current end",
        )
    return Extension(record.social_insurance_number, card, end)  # equal: a retry already projected


def _reduce(command: ReduceParticipation, record: Participation, world: World) -> Reduction:
    _held_card(command.card_number, record)
    code = REDUCTION_CODES.get(command.reason.strip().casefold())
    if code is None:
        choices = ", ".join(REDUCTION_CODES)
        raise _bad("reason", f"lý do báo giảm phải là một trong: {choices}", f"expected one of {choices}")
    return Reduction(
        record.social_insurance_number, code, _day_or_today(command.effective_on, "effective_on", world)
    )


def _correct(command: CorrectPersonDetails, sin: str, world: World) -> DetailsCorrection:
    name = " ".join(command.full_name.split())
    text = command.date_of_birth.strip()
    if not (name or text or command.gender is not Gender.UNSPECIFIED):
        raise _bad(
            "full_name",
            "cần ít nhất một thông tin cần sửa: họ tên, ngày sinh hoặc giới tính",
            "give at least one of full_name, date_of_birth, gender",
        )
    if len(name) > MAX_NAME_LENGTH or _CONTROL.search(name):
        raise _bad("full_name", f"tối đa {MAX_NAME_LENGTH} ký tự", f"at most {MAX_NAME_LENGTH} characters")
    try:
        born, year_only = parse_birth_date(text) if text else (None, False)
    except ValueError as e:
        raise _bad(
            "date_of_birth", "ngày sinh phải là YYYY-MM-DD hoặc YYYY", str(e).split(": ", 1)[-1]
        ) from e
    if born is not None and born > world.today:
        raise _bad("date_of_birth", "ngày sinh ở tương lai", "a date in the future")
    return DetailsCorrection(sin, name, born, year_only, command.gender, _free_text(command.reason, "reason"))


# ---- Field helpers -------------------------------------------------------------------------------


def _full_card(text: str, field: str) -> str:
    number = normalise(text) if text.strip() else ""
    if len(number) != FULL_LENGTH:
        raise _bad(field, "cần mã thẻ đủ 15 ký tự", "the full 15-character card number")
    try:
        parse_card_number(number)
    except CardNumberProblem as e:
        raise _bad(field, f"mã thẻ không đúng, VSS {e.reason}", str(e)) from e
    return number


def _current_card(text: str, record: Participation) -> str:
    """The current card, named by its number or by the person's 10-digit number."""
    number = normalise(text)
    if len(number) == FULL_LENGTH and number != record.card_number:
        raise _refused(
            "card_number",
            f"{number} không phải thẻ hiện hành (thẻ hiện hành {record.card_number})",
            "not the participant's current card",
        )
    return record.card_number


def _held_card(text: str, record: Participation) -> str:
    """The current card or one it replaced; the person's 10-digit number means the current card."""
    number = normalise(text)
    if len(number) != FULL_LENGTH or number == record.card_number:
        return record.card_number
    if record.previous_card(number) is None:
        raise _refused(
            "card_number",
            f"{number} không phải thẻ của người tham gia này",
            "not a card this participant holds or held",
        )
    return number


def _facility(text: str, field: str, world: World) -> str:
    """A registered facility's code, or "" when none is given (unchanged)."""
    if not text.strip():
        return ""
    try:
        return world.facilities.require(text)
    except UnknownFacility as e:
        raise UnknownFacility(f"{field}: cơ sở KCB chưa có trong danh mục ({e})") from e
    except BadRequest as e:
        raise _bad(field, "mã cơ sở KCB có dạng TT-XXX, vd 40-C54", str(e)) from e


def _date(text: str, field: str) -> date:
    try:
        return parse_iso_date(text.strip(), field=field)
    except ValueError as e:
        raise _bad(field, "ngày phải có dạng YYYY-MM-DD", str(e).split(": ", 1)[-1]) from e


def _day_or_today(text: str, field: str, world: World) -> date:
    return _date(text, field) if text.strip() else world.today


def _free_text(text: str, field: str) -> str:
    clean = " ".join(text.split())
    if len(clean) > MAX_REASON_LENGTH:
        raise _bad(field, f"tối đa {MAX_REASON_LENGTH} ký tự", f"at most {MAX_REASON_LENGTH} characters")
    return clean
