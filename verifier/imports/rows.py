"""One import row -> the events that make the participation projection hold that row (pure).

A row is a participant's current state: enrolled with their current card, then, when the row says
so, the replaced previous card, a revocation, a lost card or a reduction. Event ids derive from the
file's hash and the row number, so a row resent after a crash carries the same ids.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bhyt.v1 import events_pb2 as ev

from verifier.domain.calendar import parse_iso_date
from verifier.domain.card_number import CardNumberProblem, normalise, parse_card_number
from verifier.domain.enrollment import new_participation
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.lifecycle import Change, LossReport, Reduction, Replacement, Revocation
from verifier.domain.participation import CardValidity, Gender
from verifier.errors import BadRequest
from verifier.events import envelopes as events
from verifier.events.facts import lifecycle_fact

COLUMNS = (
    "social_insurance_number",
    "card_number",
    "full_name",
    "date_of_birth",
    "gender",
    "registered_facility",
    "valid_from",
    "valid_to",
    "personal_id",
    "five_years_from",
    "status",
    "reduction_code",
    "reduced_from",
    "previous_card_number",
    "previous_valid_from",
    "previous_valid_to",
)
REQUIRED = (
    "card_number",
    "full_name",
    "date_of_birth",
    "gender",
    "registered_facility",
    "valid_from",
)  # valid_to may be empty: an open-ended card; date_of_birth may be the year alone (YYYY)
MAX_FIELD = 200
_NAMESPACE = uuid.UUID("6f1c7a52-3a0e-4c55-9a44-6b7f1f0b8e21")
_GENDERS = {
    **dict.fromkeys(("male", "1", "nam"), Gender.MALE),
    **dict.fromkeys(("female", "2", "nữ", "nu"), Gender.FEMALE),
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_REDUCTIONS = frozenset({"120", "121", "122", "123", "124"})


class RowRejected(ValueError):
    """A row that cannot become events; the message is the reason written to the reject file."""


@dataclass(frozen=True)
class RowContext:
    file_sha256: str
    at: datetime
    producer: str
    facilities: FacilityRegistry


def events_for_row(row: Mapping[str, object], row_number: int, ctx: RowContext) -> list[ev.EventEnvelope]:
    """The events for data row `row_number` (1-based), or RowRejected with the reason."""
    try:
        return _events(_clean(row), row_number, ctx)
    except (BadRequest, ValueError) as e:
        raise RowRejected(str(e)) from e


def _clean(row: Mapping[str, object]) -> dict[str, str]:
    unknown = set(row) - set(COLUMNS)
    if unknown:
        raise RowRejected(f"unknown column(s): {', '.join(sorted(map(str, unknown)))}")
    clean: dict[str, str] = {}
    for name in COLUMNS:
        value = row.get(name)
        text = "" if value is None else str(value).strip()
        if len(text) > MAX_FIELD:
            raise RowRejected(f"{name}: longer than {MAX_FIELD} characters")
        if _CONTROL.search(text):
            raise RowRejected(f"{name}: control characters are not allowed")
        clean[name] = text
    missing = [name for name in REQUIRED if not clean[name]]
    if missing:
        raise RowRejected(f"missing {', '.join(missing)}")
    return clean


def _events(row: dict[str, str], n: int, ctx: RowContext) -> list[ev.EventEnvelope]:
    gender = _GENDERS.get(row["gender"].casefold())
    if gender is None:
        raise RowRejected(f"gender: expected male or female, got {row['gender']!r}")
    person = new_participation(
        social_insurance_number=row["social_insurance_number"],
        card_number=row["card_number"],
        full_name=row["full_name"],
        date_of_birth=row["date_of_birth"],
        gender=gender,
        registered_facility=row["registered_facility"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        personal_id=row["personal_id"],
        five_years_from=row["five_years_from"],
    )
    ctx.facilities.require(person.registered_facility)
    sin = person.social_insurance_number
    ids = (str(uuid.uuid5(_NAMESPACE, f"{ctx.file_sha256}:{n}:{i}")) for i in range(4))
    out = [events.participant_enrolled(person, event_id=next(ids), at=ctx.at, producer=ctx.producer)]
    changes: list[Change] = []

    if row["previous_card_number"]:
        old_number = normalise(row["previous_card_number"])
        try:
            old = parse_card_number(old_number)
        except CardNumberProblem as e:
            raise RowRejected(f"previous_card_number: {e}") from e
        if old.social_insurance_number != sin or not old.is_full or old_number == person.card_number:
            raise RowRejected("previous_card_number: must be another 15-character card of the same person")
        previous = CardValidity(
            old_number,
            parse_iso_date(row["previous_valid_from"], field="previous_valid_from"),
            parse_iso_date(row["previous_valid_to"], field="previous_valid_to"),
        )
        current = CardValidity(person.card_number, person.valid_from, person.valid_to)
        changes.append(Replacement(sin, previous, current))

    status = row["status"].casefold() or "active"
    if status == "revoked":
        changes.append(Revocation(sin, person.card_number, reason="import"))
    elif status == "lost":
        changes.append(LossReport(sin, person.card_number, reported_on=None))
    elif status == "reduced":
        if row["reduction_code"] not in _REDUCTIONS:
            raise RowRejected("reduction_code: expected 120-124 for a reduced participation")
        effective = parse_iso_date(row["reduced_from"], field="reduced_from") if row["reduced_from"] else None
        changes.append(Reduction(sin, row["reduction_code"], effective))
    elif status != "active":
        raise RowRejected(f"status: expected active, revoked, lost or reduced, got {row['status']!r}")
    # The same facts the staff commands record (verifier.events.facts), built into envelopes in one place.
    for change in changes:
        fact = lifecycle_fact(change, at=ctx.at, event_id=next(ids))
        out.append(events.to_envelope(fact, producer=ctx.producer))
    return out
