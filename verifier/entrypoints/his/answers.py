"""The gateway's answers in VSS's contract: every field, always present, dates dd/MM/yyyy.

Field by field (`../shared/domain.md`, "What hospital software already speaks"): what we hold is
given, what we do not hold is "" (never a missing key): `diaChi`, `cqBHXH` and `maKV` (we keep no
address, managing office or living-area code), and `dsLichSuKCB2018` is null (we hold no treatment
history). `dsLichSuKT2018` lists the card's recent checks from the usage projection.

`maDKBD` is VSS's 5-character initial-care facility code: our facility codes are the province, a
dash and the facility's own code (`40-001`, `01-C54`), so maDKBD is the two without the dash
(`40001`, `01C54`).

`maKetQua` is a VSS code whenever one applies (the verdict's first reason that is one); a check
that only our codes explain keeps our code (a letter first, so it never collides with VSS's), and
an accepted check with only our informative notes (K03) is `000`. `ghiChu` is VSS's Vietnamese
text for that code; for 060/061 it also names the name on record, as VSS's gateway does.
"""

from __future__ import annotations

from typing import Any

from verifier.domain.calendar import VIETNAM
from verifier.domain.his_request import format_day
from verifier.domain.participation import Gender, Participation
from verifier.domain.reasons import ACCEPTED_CODE, reason_text_vi
from verifier.domain.usage import UsageEntry
from verifier.domain.verdicts import Decision, Verdict
from verifier.service.his_lookup import HisLookupResult, history_user

WRONG_NAME_CODES = frozenset({"060", "061"})
# The number asked for is not this person's card: the answer says so and shows nothing of the record.
WRONG_NUMBER_CODES = frozenset({"050", "051", "052", "053"})
CARD_FIELDS = (
    "maThe", "hoTen", "ngaySinh", "gioiTinh", "diaChi", "maDKBD", "cqBHXH", "gtTheTu", "gtTheDen", "maKV",
    "ngayDu5Nam", "maSoBHXH", "maTheCu", "maTheMoi", "gtTheTuMoi", "gtTheDenMoi",
)  # fmt: skip
_GENDER = {Gender.MALE: "Nam", Gender.FEMALE: "Nữ", Gender.UNSPECIFIED: ""}


def vss_code(decision: Decision) -> str:
    """The one code the contract carries (see the module's docstring)."""
    for code in decision.reasons:
        if len(code) == 3 and code.isdigit():
            return code
    return ACCEPTED_CODE if decision.verdict is Verdict.ACCEPTED else decision.result_code


def registered_facility_code(facility: str) -> str:
    """`40-001` -> `40001`: the province and the facility's own code, VSS's maDKBD."""
    return facility.replace("-", "")


def birth_text(person: Participation) -> str:
    return f"{person.date_of_birth.year:04d}" if person.birth_year_only else format_day(person.date_of_birth)


def note(code: str, person: Participation | None) -> str:
    """ghiChu: VSS's text; for a wrong name, the name on record too."""
    text = reason_text_vi(code)
    if code in WRONG_NAME_CODES and person is not None:
        return f"{text}. Họ tên đúng là: {person.full_name}"
    return text


def error_answer(code: str, ghi_chu: str = "") -> dict[str, Any]:
    """401/205/054/055/500 as the contract gives them: the code, its text, every field empty."""
    return {
        "maKetQua": code,
        "ghiChu": ghi_chu or reason_text_vi(code),
        **dict.fromkeys(CARD_FIELDS, ""),
        "dsLichSuKCB2018": None,
        "dsLichSuKT2018": None,
    }


def card_answer(found: HisLookupResult) -> dict[str, Any]:
    """A judged lookup, field by field."""
    decision = found.check_in.decision
    code = vss_code(decision)
    person = None if code in WRONG_NUMBER_CODES else decision.participant
    answer = error_answer(code, note(code, person))
    answer["maThe"] = found.query.card if person is None else _card_shown(found, person)
    if person is None:
        answer["dsLichSuKT2018"] = []
        return answer
    answer["dsLichSuKT2018"] = [history_entry(e) for e in found.history]
    shown = person.previous_card(answer["maThe"])
    valid_from, valid_to = (
        (shown.valid_from, shown.valid_to) if shown else (person.valid_from, person.valid_to)
    )
    answer.update(
        hoTen=person.full_name,
        ngaySinh=birth_text(person),
        gioiTinh=_GENDER[person.gender],
        maDKBD=registered_facility_code(person.registered_facility),
        gtTheTu=format_day(valid_from),
        gtTheDen=format_day(valid_to),
        ngayDu5Nam=format_day(person.five_years_from),
        maSoBHXH=person.social_insurance_number,
    )
    new = decision.new_card
    if new is not None:
        answer.update(
            maTheCu=answer["maThe"],
            maTheMoi=new.card_number,
            gtTheTuMoi=format_day(new.valid_from),
            gtTheDenMoi=format_day(new.valid_to),
        )
    elif person.previous_cards:
        answer["maTheCu"] = person.previous_cards[-1].card_number
    return answer


def history_entry(entry: UsageEntry) -> dict[str, str]:
    """One `dsLichSuKT2018` row: who checked, when (yyyyMMddHHmm, Vietnam time, as VSS gives it),
    the answer's text and its code."""
    return {
        "userKT": history_user(entry),
        "thoiGianKT": entry.at.astimezone(VIETNAM).strftime("%Y%m%d%H%M"),
        "thongBao": reason_text_vi(entry.result_code),
        "maLoi": entry.result_code,
    }


def _card_shown(found: HisLookupResult, person: Participation) -> str:
    """The card the answer is about: the one asked for when it is one of the person's (an old card
    answers 003/004 with the new one beside it), else the current card (asked by number or CCCD)."""
    asked = found.query.card
    if asked == person.card_number or person.previous_card(asked) is not None:
        return asked
    return person.card_number
