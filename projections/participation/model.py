"""The participation status projection: a fold of each person's enrollment events.

`evolve` is the pure heart: (record or None, event) -> record. `apply_batch` reads the current
records of the people in a batch, folds their new events in log order, skipping positions already
applied, and writes each record back with compare-and-set on the projection's offset guard.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import date

from bhyt.v1.events_pb2 import CardValidity as CardValidityPb
from bhyt.v1.events_pb2 import EventEnvelope, ParticipantEnrolled, PersonDetailsCorrected

from projections.store import DeadLetter, Position, ProjectionStore, Snapshot
from verifier.domain.calendar import optional_iso_date, parse_birth_date
from verifier.domain.participation import ERASED_BIRTH_DATE, CardValidity, Gender, Participation, Status
from verifier.events.envelopes import GENDER_FROM_PB, participation_from, validity_from
from verifier.events.sealing import is_erased
from verifier.readmodel.participation import (
    RECORD_FIELD,
    decode_participation,
    encode_participation,
    participant_key,
    personal_id_key,
)

log = logging.getLogger(__name__)

PATTERNS = ("p:*", "i:*")  # the keys this projection owns (rebuild drops them)


def _validity(c: CardValidityPb) -> CardValidity:
    return validity_from(c)  # valid_to "": an open-ended card


def _with_new_card(p: Participation, new: CardValidity) -> Participation:
    """The record after a new card: the old one becomes a previous card (VSS 003/004 when shown)."""
    previous = p.previous_cards
    if new.card_number != p.card_number:
        previous = (*previous, CardValidity(p.card_number, p.valid_from, p.valid_to))
    status = p.status if p.status is Status.REDUCED else Status.ACTIVE
    return dataclasses.replace(
        p, card_number=new.card_number, valid_from=new.valid_from, valid_to=new.valid_to,
        previous_cards=previous, status=status,
    )  # fmt: skip


def evolve(state: Participation | None, event: EventEnvelope) -> Participation | None:
    """The record after one event. Raises ValueError for an event that cannot apply to `state`.
    An erased record stays erased through every later card change (only a new enrollment, a full
    snapshot VSS sends again, replaces it)."""
    after = _evolve(state, event)
    stays_erased = state is not None and state.status is Status.ERASED and after is not None
    if stays_erased and after is not state and event.WhichOneof("payload") != "participant_enrolled":
        return after.erased() if after else after
    return after


def _evolve(state: Participation | None, event: EventEnvelope) -> Participation | None:
    kind = event.WhichOneof("payload")
    if kind == "participant_enrolled":
        if is_erased(event.participant_enrolled):
            return _erased_enrollment(event.participant_enrolled)
        return participation_from(event.participant_enrolled)
    if kind not in _LIFECYCLE:
        return state
    if state is None:
        raise ValueError(f"{kind} for {event.key}, who is not enrolled")
    e = getattr(event, kind)
    if kind == "person_erased":
        return state.erased()
    if state.status is Status.ERASED and kind == "person_details_corrected":
        return state  # details of a person erased since: nothing personal comes back
    if kind == "card_issued":
        return _with_new_card(state, _validity(e.card))
    if kind == "card_replaced":
        old = _validity(e.old_card)
        replaced = _with_new_card(state, _validity(e.new_card))
        previous = tuple(c for c in replaced.previous_cards if c.card_number != old.card_number)
        facility = e.registered_facility or replaced.registered_facility  # empty: unchanged
        return dataclasses.replace(replaced, previous_cards=(*previous, old), registered_facility=facility)
    if kind == "coverage_extended":
        if e.card_number != state.card_number:
            raise ValueError(f"coverage extended for {e.card_number}, not the current card")
        # An extension always names its new end (an empty one is a bad event, dead-lettered).
        return dataclasses.replace(state, valid_to=date.fromisoformat(e.valid_to))
    if kind == "participation_reduced":
        return dataclasses.replace(
            state, status=Status.REDUCED, reduction_code=e.reason_code,
            reduced_from=date.fromisoformat(e.effective_on) if e.effective_on else None,
        )  # fmt: skip
    if kind == "card_revoked":
        return (
            dataclasses.replace(state, status=Status.REVOKED) if e.card_number == state.card_number else state
        )
    if kind == "card_reported_lost":
        lost = state.lost_cards | {e.card_number}
        status = Status.LOST if e.card_number == state.card_number else state.status
        return dataclasses.replace(state, lost_cards=lost, status=status)
    if kind == "registered_facility_changed":
        return dataclasses.replace(state, registered_facility=e.registered_facility)
    if kind == "person_details_corrected":
        return _corrected(state, e)
    raise AssertionError(kind)


def _erased_enrollment(e: ParticipantEnrolled) -> Participation:
    """An enrollment whose data key is gone (a rebuild after an erasure): the coverage facts only."""
    return Participation(
        social_insurance_number=e.social_insurance_number,
        card_number=e.card_number,
        full_name="",
        date_of_birth=ERASED_BIRTH_DATE,
        gender=Gender.UNSPECIFIED,
        registered_facility=e.registered_facility,
        valid_from=date.fromisoformat(e.valid_from),
        valid_to=optional_iso_date(e.valid_to, field="valid_to"),
        five_years_from=date.fromisoformat(e.five_years_from) if e.five_years_from else None,
    ).erased()


def _corrected(state: Participation, e: PersonDetailsCorrected) -> Participation:
    """Each field the correction gives replaces the record's; an empty one leaves it as it was
    (a correction still sealed, its key erased, gives nothing)."""
    if is_erased(e):
        return state
    born, year_only = state.date_of_birth, state.birth_year_only
    if e.date_of_birth:
        born, year_only = parse_birth_date(e.date_of_birth)  # ValueError: dead-lettered, like any bad event
    return dataclasses.replace(
        state,
        full_name=e.full_name or state.full_name,
        date_of_birth=born,
        birth_year_only=year_only,
        gender=GENDER_FROM_PB.get(e.gender, Gender.UNSPECIFIED) if e.gender else state.gender,
    )


_LIFECYCLE = frozenset(
    {
        "card_issued",
        "card_replaced",
        "coverage_extended",
        "participation_reduced",
        "card_revoked",
        "card_reported_lost",
        "registered_facility_changed",
        "person_details_corrected",
        "person_erased",
    }
)
_OURS = _LIFECYCLE | {"participant_enrolled"}


MAX_ATTEMPTS = 5


async def apply_batch(store: ProjectionStore, events: Sequence[tuple[Position, EventEnvelope]]) -> int:
    """Fold a batch into the records of the people it names; return how many records were written.

    A person whose events in the batch start with an enrollment (a full snapshot, as in a bulk
    import) needs no read: the fold does not depend on the stored record. Everyone else's record
    and guard are read first, in one round trip. A record whose guard moved between read and
    write (another worker, during a rebalance) is read and folded again, so no event is skipped.
    """
    pending: dict[str, list[tuple[Position, EventEnvelope]]] = {}
    for position, event in events:
        if event.WhichOneof("payload") in _OURS:
            pending.setdefault(event.key, []).append((position, event))
    written = 0
    for attempt in range(MAX_ATTEMPTS):
        if not pending:
            return written
        people, snapshots, dead, forgotten = await _fold(store, pending, read_all=attempt > 0)
        await store.forget(forgotten)  # before the records: a crash in between is redone on redelivery
        refused = set(await store.write_snapshots(snapshots, dead))
        written += len(snapshots) - len(refused)
        pending = {people[i]: pending[people[i]] for i in refused}
    raise RuntimeError(f"{len(pending)} participation record(s) kept changing under this worker")


async def _fold(
    store: ProjectionStore, by_person: dict[str, list[tuple[Position, EventEnvelope]]], *, read_all: bool
) -> tuple[list[str], list[Snapshot], list[DeadLetter], list[str]]:
    """(people, their snapshots, dead letters, CCCD index keys to delete: every personal number
    a record held during the fold and no longer holds, e.g. after an erasure)."""
    need_read = [
        sin
        for sin, evs in by_person.items()
        if read_all or evs[0][1].WhichOneof("payload") != "participant_enrolled"
    ]
    keys = [(participant_key(sin), by_person[sin][0][0].partition) for sin in need_read]
    stored = dict(zip(need_read, await store.read_guarded(keys, RECORD_FIELD), strict=True)) if keys else {}
    people: list[str] = []
    snapshots: list[Snapshot] = []
    dead: list[DeadLetter] = []
    forgotten: list[str] = []
    for sin, person_events in by_person.items():
        from_scratch = sin not in stored
        packed, applied = stored.get(sin, (None, None))
        state = decode_participation(sin, packed) if packed else None
        held_numbers = {state.personal_id} if state and state.personal_id else set()
        last = applied
        for position, event in person_events:
            if applied is not None and position.offset <= applied:
                continue  # redelivered: already in the record
            try:
                state = evolve(state, event)
            except ValueError as e:
                dead.append(DeadLetter(position, str(e)))
            if state is not None and state.personal_id:
                held_numbers.add(state.personal_id)
            last = position.offset
        if last is None or last == applied:
            continue
        kept = state.personal_id if state else ""
        forgotten.extend(personal_id_key(n) for n in sorted(held_numbers - {kept}))
        index = (personal_id_key(state.personal_id), sin) if state and state.personal_id else None
        value = encode_participation(state) if state else ""
        key, partition = participant_key(sin), person_events[0][0].partition
        people.append(sin)
        snapshots.append(Snapshot(key, partition, applied, last, RECORD_FIELD, value, index, from_scratch))
    return people, snapshots, dead, forgotten
