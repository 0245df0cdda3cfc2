"""The card lifecycle commands for VSS staff: each validated against the record, recorded as its
event, idempotent under the client request id, and folded by the participation projection."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Coroutine
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import pytest
from bhyt.v1 import events_pb2 as ev

from projections.participation.model import evolve
from tests.support.fakes import FakeCommandReceipts, FakeEventLog, FakeReadModel
from tests.support.people import AN
from verifier.domain import lifecycle as lc
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.participation import CardValidity, Gender, Participation, Status
from verifier.errors import BadRequest, NotFound, ReadModelUnavailable, UnknownFacility
from verifier.events import envelopes as events
from verifier.events import facts
from verifier.ports import Receipt
from verifier.service.lifecycle import CardLifecycle, command_event_id
from verifier.settings import Settings

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam
TODAY = date(2026, 6, 1)
FACILITIES = FacilityRegistry.from_lines(Settings().facilities_file.read_text(encoding="utf-8").splitlines())
WORLD = lc.World(TODAY, FACILITIES)
SIN = AN.social_insurance_number
NEW_CARD = "HN2404016354956"
T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def replace(**fields: str) -> lc.ReplaceCard:
    values = {
        "old_card_number": AN.card_number,
        "new_card_number": NEW_CARD,
        "valid_from": "2026-06-01",
        "valid_to": "2027-05-31",
    }
    return lc.ReplaceCard(**{**values, **fields})


# ---- Validation (pure) ---------------------------------------------------------------------------


def test_replace_moves_the_current_card_to_the_previous_ones() -> None:
    change = lc.decide(replace(registered_facility="40 - 001"), AN, WORLD)
    assert change == lc.Replacement(
        SIN,
        CardValidity(AN.card_number, AN.valid_from, AN.valid_to),
        CardValidity(NEW_CARD, date(2026, 6, 1), date(2027, 5, 31)),
        "40-001",
    )
    open_ended = lc.decide(replace(valid_to=""), AN, WORLD)
    assert isinstance(open_ended, lc.Replacement) and open_ended.new_card.valid_to is None


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        ({"old_card_number": "DN4404016354956"}, lc.LifecycleRefused, "old_card_number"),  # not current
        ({"new_card_number": "HN2404016354957"}, BadRequest, "new_card_number"),  # another person
        ({"new_card_number": "4016354956"}, BadRequest, "new_card_number"),  # not the full card
        ({"new_card_number": "HN2004016354956"}, BadRequest, "VSS 052"),  # no province 00
        ({"new_card_number": AN.card_number}, BadRequest, "new_card_number"),
        ({"valid_from": "01/06/2026"}, BadRequest, "valid_from"),
        ({"valid_to": "2026-05-31"}, BadRequest, "valid_to"),  # before valid_from
        ({"registered_facility": "40-ZZZ"}, UnknownFacility, "facility"),
    ],
)
def test_replace_is_refused_with_the_field_named(
    fields: dict[str, str], error: type[Exception], field: str
) -> None:
    with pytest.raises(error, match=field):
        lc.decide(replace(**fields), AN, WORLD)


def test_an_unknown_person_is_not_found() -> None:
    with pytest.raises(NotFound, match="không tìm thấy"):
        lc.decide(lc.RevokeCard("GD4404099999999"), None, WORLD)


def test_extend_must_move_the_end_later() -> None:
    assert lc.decide(lc.ExtendCoverage("4016354956", "2027-12-31"), AN, WORLD) == lc.Extension(
        SIN, AN.card_number, date(2027, 12, 31)
    )
    with pytest.raises(lc.LifecycleRefused, match="phải sau hạn hiện tại 2026-12-31"):
        lc.decide(lc.ExtendCoverage(AN.card_number, "2026-11-30"), AN, WORLD)
    with pytest.raises(lc.LifecycleRefused, match="open-ended"):
        lc.decide(
            lc.ExtendCoverage(AN.card_number, "2027-12-31"), dataclasses.replace(AN, valid_to=None), WORLD
        )
    with pytest.raises(lc.LifecycleRefused, match="not the participant's current card"):
        lc.decide(lc.ExtendCoverage("DN4404016354956", "2027-12-31"), AN, WORLD)
    with pytest.raises(BadRequest, match="valid_to"):
        lc.decide(lc.ExtendCoverage(AN.card_number, ""), AN, WORLD)


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("moved-province", "121"),
        ("moved-within-province", "122"),
        ("re-added", "123"),
        ("stopped", "124"),
        ("unspecified", "120"),
    ],
)
def test_reduction_reasons_are_vss_codes(reason: str, code: str) -> None:
    change = lc.decide(lc.ReduceParticipation(AN.card_number, reason, "2026-07-01"), AN, WORLD)
    assert change == lc.Reduction(SIN, code, date(2026, 7, 1))


def test_a_reduction_needs_a_known_reason_and_defaults_to_today() -> None:
    with pytest.raises(BadRequest, match="moved-province, moved-within-province"):
        lc.decide(lc.ReduceParticipation(AN.card_number, "moved"), AN, WORLD)
    assert lc.decide(lc.ReduceParticipation(AN.card_number, "stopped"), AN, WORLD) == lc.Reduction(
        SIN, "124", TODAY
    )


def test_revoke_and_lost_name_the_card() -> None:
    assert lc.decide(lc.RevokeCard(SIN, "  fraud   found "), AN, WORLD) == lc.Revocation(
        SIN, AN.card_number, "fraud found"
    )
    replaced = dataclasses.replace(
        AN, card_number=NEW_CARD, previous_cards=(CardValidity(AN.card_number, AN.valid_from, AN.valid_to),)
    )
    # An old card may be reported lost; only the current one may be revoked.
    assert lc.decide(lc.ReportCardLost(AN.card_number), replaced, WORLD) == lc.LossReport(
        SIN, AN.card_number, TODAY
    )
    with pytest.raises(lc.LifecycleRefused, match="card_number"):
        lc.decide(lc.RevokeCard(AN.card_number), replaced, WORLD)
    with pytest.raises(lc.LifecycleRefused, match="không phải thẻ của người tham gia"):
        lc.decide(lc.ReportCardLost("DN4404016354956"), replaced, WORLD)
    with pytest.raises(BadRequest, match="reported_on"):
        lc.decide(lc.ReportCardLost(AN.card_number, "2026-06-02"), AN, WORLD)  # tomorrow


def test_facility_must_be_known() -> None:
    change = lc.decide(lc.ChangeRegisteredFacility(AN.card_number, "40-001", "2026-07-01"), AN, WORLD)
    assert change == lc.FacilityChange(SIN, "40-001", date(2026, 7, 1))
    with pytest.raises(UnknownFacility, match="registered_facility: cơ sở KCB chưa có trong danh mục"):
        lc.decide(lc.ChangeRegisteredFacility(AN.card_number, "40-ZZZ", "2026-07-01"), AN, WORLD)
    with pytest.raises(BadRequest, match="TT-XXX"):
        lc.decide(lc.ChangeRegisteredFacility(AN.card_number, "bệnh viện", "2026-07-01"), AN, WORLD)
    with pytest.raises(BadRequest, match="registered_facility"):
        lc.decide(lc.ChangeRegisteredFacility(AN.card_number, "", "2026-07-01"), AN, WORLD)


def test_a_correction_needs_a_field_and_takes_a_year_only_birth_date() -> None:
    with pytest.raises(BadRequest, match="cần ít nhất một"):
        lc.decide(lc.CorrectPersonDetails(AN.card_number), AN, WORLD)
    change = lc.decide(lc.CorrectPersonDetails(AN.card_number, date_of_birth="1989"), AN, WORLD)
    assert change == lc.DetailsCorrection(SIN, date_of_birth=date(1989, 1, 1), birth_year_only=True)
    named = lc.decide(
        lc.CorrectPersonDetails(AN.card_number, full_name=" Nguyễn  Văn Ân ", gender=Gender.FEMALE), AN, WORLD
    )
    assert named == lc.DetailsCorrection(SIN, full_name="Nguyễn Văn Ân", gender=Gender.FEMALE)
    for bad in ("1990-13-01", "01/05/1990", "1850", "2027-01-01"):
        with pytest.raises(BadRequest, match="date_of_birth"):
            lc.decide(lc.CorrectPersonDetails(AN.card_number, date_of_birth=bad), AN, WORLD)


# ---- The projection folds what the commands record -----------------------------------------------


def folded(person: Participation, *changes: lc.Change) -> Participation:
    state: Participation | None = person
    for change in changes:
        state = evolve(state, events.to_envelope(facts.lifecycle_fact(change, at=NOW), producer="t"))
    assert state is not None
    return state


def test_the_projection_applies_a_correction_and_the_new_cards_facility() -> None:
    replaced = folded(AN, lc.decide(replace(registered_facility="40-001"), AN, WORLD))
    assert (replaced.card_number, replaced.registered_facility) == (NEW_CARD, "40-001")
    assert replaced.previous_card(AN.card_number) is not None
    unchanged = folded(AN, lc.decide(replace(), AN, WORLD))
    assert unchanged.registered_facility == AN.registered_facility

    corrected = folded(
        AN,
        lc.DetailsCorrection(
            SIN, full_name="Nguyễn Văn Ân", date_of_birth=date(1989, 1, 1), birth_year_only=True
        ),
    )
    assert (corrected.full_name, corrected.date_of_birth, corrected.birth_year_only) == (
        "Nguyễn Văn Ân", date(1989, 1, 1), True,
    )  # fmt: skip
    assert corrected.gender is AN.gender and corrected.personal_id == AN.personal_id
    regendered = folded(corrected, lc.DetailsCorrection(SIN, gender=Gender.FEMALE))
    assert (regendered.gender, regendered.full_name, regendered.birth_year_only) == (
        Gender.FEMALE, "Nguyễn Văn Ân", True,
    )  # fmt: skip


def test_every_change_folded_twice_is_folded_once() -> None:
    """Why a retried command is safe even when its event is on the log twice."""
    changes: list[lc.Change] = [
        lc.decide(replace(registered_facility="40-001"), AN, WORLD),
        lc.Extension(SIN, NEW_CARD, date(2028, 1, 31)),
        lc.Reduction(SIN, "121", date(2026, 7, 1)),
        lc.Revocation(SIN, NEW_CARD, "x"),
        lc.LossReport(SIN, NEW_CARD, TODAY),
        lc.FacilityChange(SIN, "40-C54", TODAY),
        lc.DetailsCorrection(SIN, full_name="Nguyễn Văn Ân"),
    ]
    state = AN
    for change in changes:
        once = folded(state, change)
        assert folded(once, change) == once, change
        state = once
    assert state.status is Status.LOST and state.reduction_code == "121"


def test_the_importer_and_the_commands_write_the_same_payload() -> None:
    """One builder: a revocation from an import row is the same event as one from a command."""
    envelope = events.to_envelope(
        facts.lifecycle_fact(lc.Revocation(SIN, AN.card_number, "import"), at=NOW, event_id="e1"),
        producer="t",
    )
    assert envelope.card_revoked == ev.CardRevoked(
        social_insurance_number=SIN, card_number=AN.card_number, reason="import"
    )
    assert (envelope.key, envelope.event_id) == (SIN, "e1")


# ---- The use case, over the fakes ----------------------------------------------------------------


class Desk:
    """The staff use case over the fakes; `project` does what the projection worker does."""

    def __init__(self, person: Participation = AN) -> None:
        self.log = FakeEventLog()
        self.read_model = FakeReadModel()
        self.read_model.put(person)
        self.receipts = FakeCommandReceipts()
        self.lifecycle = CardLifecycle(
            read_model=self.read_model,
            event_log=self.log,
            receipts=self.receipts,
            facilities=FACILITIES,
            clock=lambda: NOW,
        )
        self.projected = 0  # how many appended facts the "projection" has applied

    def handle(self, command: lc.Command, request_id: str = "req-1") -> str:
        return run(self.lifecycle.handle(command, client_request_id=request_id)).event_id

    def project(self) -> Participation:
        """Fold the facts appended since the last call onto the record, as the worker would."""
        state: Participation | None = self.read_model.participants[SIN]
        for envelope in self.log.envelopes()[self.projected :]:
            state = evolve(state, envelope)
        self.projected = len(self.log.appended)
        assert state is not None
        self.read_model.put(state)
        return state


def test_a_command_records_its_fact_under_an_id_derived_from_the_request() -> None:
    desk = Desk()
    event_id = desk.handle(lc.RevokeCard(AN.card_number, "fraud"), "req-7")
    [fact] = desk.log.appended
    assert isinstance(fact, facts.CardRevoked)
    assert fact.event_id == event_id == command_event_id(lc.RevokeCard(AN.card_number), SIN, "req-7")
    assert fact.key == SIN and fact.at == NOW
    assert desk.handle(lc.RevokeCard(AN.card_number, "fraud"), "req-8") != event_id  # another request


def test_a_retry_gets_the_first_answer_and_records_nothing() -> None:
    desk = Desk()
    command = lc.ExtendCoverage(AN.card_number, "2027-12-31")
    first = run(desk.lifecycle.handle(command, client_request_id="req-1"))
    assert run(desk.lifecycle.handle(command, client_request_id="req-1")) == first  # same offset too
    assert desk.project().valid_to == date(2027, 12, 31)
    assert run(desk.lifecycle.handle(command, client_request_id=" req-1 ")) == first
    assert len(desk.log.appended) == 1


def test_a_late_retry_does_not_undo_a_later_command() -> None:
    desk = Desk()
    to_x = lc.ChangeRegisteredFacility(AN.card_number, "40-001", "2026-06-01")
    first = desk.handle(to_x, "req-x")
    desk.handle(lc.ChangeRegisteredFacility(AN.card_number, "40-C54", "2026-06-01"), "req-y")
    desk.project()
    assert desk.handle(to_x, "req-x") == first
    assert len(desk.log.appended) == 2
    assert desk.project().registered_facility == "40-C54"


def test_a_request_id_reused_for_another_command_is_refused() -> None:
    desk = Desk()
    desk.handle(lc.ExtendCoverage(AN.card_number, "2027-12-31"), "req-1")
    with pytest.raises(BadRequest, match="đã dùng cho một lệnh khác"):
        desk.handle(lc.ExtendCoverage(AN.card_number, "2028-12-31"), "req-1")
    assert len(desk.log.appended) == 1


def test_without_its_receipt_a_retry_records_the_same_fact_and_changes_nothing_twice() -> None:
    """The second layer: Redis lost the receipt (or two copies raced), before and after projection."""
    desk = Desk()
    command = lc.ExtendCoverage(AN.card_number, "2027-12-31")
    first = desk.handle(command)
    desk.receipts.receipts.clear()
    assert desk.handle(command) == first  # not yet projected: judged again, the same fact
    after = desk.project()
    assert after.valid_to == date(2027, 12, 31)
    desk.receipts.receipts.clear()
    assert desk.handle(command) == first  # projected: the record shows it, accepted as a retry
    assert [f.event_id for f in desk.log.appended] == [first] * 3
    assert desk.project() == after


def test_a_replacement_retried_after_projection_without_its_receipt_is_accepted() -> None:
    desk = Desk()
    first = desk.handle(replace())
    desk.project()
    desk.receipts.receipts.clear()
    assert desk.handle(replace()) == first
    assert desk.project().previous_cards == (CardValidity(AN.card_number, AN.valid_from, AN.valid_to),)
    with pytest.raises(lc.LifecycleRefused):  # a new request for another replacement is not a retry
        desk.handle(replace(new_card_number="DN4404016354956"), "req-2")


def test_receipts_out_of_reach() -> None:
    """Unreadable before the command: UNAVAILABLE, nothing recorded. Unwritable after the event is
    durable: the answer stands (the event is on the log), and a retry falls to the second layer."""
    desk = Desk()
    desk.receipts.down = True
    with pytest.raises(ReadModelUnavailable):
        desk.handle(lc.RevokeCard(AN.card_number))
    assert desk.log.appended == []

    class KeepFails(FakeCommandReceipts):
        async def keep(self, receipt: Receipt, ttl_s: int) -> None:
            raise ReadModelUnavailable("down after the append")

    desk = Desk()
    desk.lifecycle = CardLifecycle(
        read_model=desk.read_model, event_log=desk.log, receipts=KeepFails(), facilities=FACILITIES,
        clock=lambda: NOW,
    )  # fmt: skip
    assert desk.handle(lc.RevokeCard(AN.card_number)) == desk.log.appended[0].event_id


@pytest.mark.parametrize("request_id", ["", "   ", "x" * 101])
def test_a_request_id_is_required(request_id: str) -> None:
    desk = Desk()
    with pytest.raises(BadRequest, match="client_request_id"):
        desk.handle(lc.RevokeCard(AN.card_number), request_id)
    assert desk.log.appended == []


def test_a_refused_command_records_nothing() -> None:
    desk = Desk()
    with pytest.raises(lc.LifecycleRefused):
        desk.handle(lc.ExtendCoverage(AN.card_number, "2026-01-01"))
    with pytest.raises(NotFound):
        desk.handle(lc.RevokeCard("GD4404099999999"))
    assert desk.log.appended == []
