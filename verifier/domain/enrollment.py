"""Validating an enrollment before it becomes an event: the log must never hold a bad record.

VSS data has people whose birth date is only a year (older people, old cards: "YYYY") and cards
without an end date (open-ended: valid_to ""), so both are accepted here and kept as such.
"""

from __future__ import annotations

import re

from verifier.domain.calendar import optional_iso_date, parse_birth_date, parse_iso_date
from verifier.domain.card_number import FULL_LENGTH, CardNumberProblem, normalise, parse_card_number
from verifier.domain.facilities import normalise_facility
from verifier.domain.participation import Gender, Participation
from verifier.errors import BadRequest

MAX_NAME_LENGTH = 100
_PERSONAL_ID = re.compile(r"[0-9]{12}")


def new_participation(
    *,
    social_insurance_number: str,
    card_number: str,
    full_name: str,
    date_of_birth: str,
    gender: Gender,
    registered_facility: str,
    valid_from: str,
    valid_to: str,
    personal_id: str = "",
    five_years_from: str = "",
) -> Participation:
    """A Participation from request fields, or BadRequest naming the first wrong field.

    `date_of_birth` is YYYY-MM-DD or YYYY (year only); `valid_to` "" is an open-ended card.
    """
    card = normalise(card_number)
    if len(card) != FULL_LENGTH:
        raise BadRequest("card_number: enrollment needs the full 15-character card number")
    try:
        parsed = parse_card_number(card)
    except CardNumberProblem as e:
        raise BadRequest(f"card_number: {e} (VSS {e.reason})") from e
    sin = social_insurance_number.strip() or parsed.social_insurance_number
    if sin != parsed.social_insurance_number:
        raise BadRequest("social_insurance_number: must equal the last 10 digits of card_number")
    name = " ".join(full_name.split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise BadRequest(f"full_name: required, at most {MAX_NAME_LENGTH} characters")
    pid = personal_id.strip()
    if pid and not _PERSONAL_ID.fullmatch(pid):
        raise BadRequest("personal_id: a CCCD number has 12 digits")
    try:
        dob, year_only = parse_birth_date(date_of_birth.strip(), field="date_of_birth")
        start = parse_iso_date(valid_from, field="valid_from")
        end = optional_iso_date(valid_to.strip(), field="valid_to")
        five = parse_iso_date(five_years_from, field="five_years_from") if five_years_from else None
    except ValueError as e:
        raise BadRequest(str(e)) from e
    if end is not None and end < start:
        raise BadRequest("valid_to: before valid_from")
    return Participation(
        social_insurance_number=sin,
        card_number=card,
        full_name=name,
        date_of_birth=dob,
        gender=gender,
        registered_facility=normalise_facility(registered_facility),
        valid_from=start,
        valid_to=end,
        personal_id=pid,
        five_years_from=five,
        birth_year_only=year_only,
    )
