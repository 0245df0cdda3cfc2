"""Year-only birth dates and open-ended cards, through every place that stores or shows a record.

VSS holds only the year of birth for some people and issues some cards without an end date. Each
conversion is checked both ways (request -> record -> event -> projection -> Redis entry -> gRPC and
card token), and what was written before these existed (events, Redis entries, tokens with full
dates) must still read exactly as it did.
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from bhyt.v1 import events_pb2 as ev

from projections.participation.model import evolve
from tests.support.fakes import FakeEventLog, FakeReadModel, FakeReplayGuard
from tests.support.people import AN
from tests.support.tokens import CARD, key_files, signing_key
from verifier.cli import _parser
from verifier.domain.calendar import birth_date_text, optional_iso_date, parse_birth_date
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.participation import CardValidity, Coverage
from verifier.domain.station import Station
from verifier.domain.verdicts import Verdict
from verifier.entrypoints.grpc.mappers import participant_summary
from verifier.events import envelopes as events
from verifier.imports.rows import RowContext, events_for_row
from verifier.readmodel.participation import decode_participation, encode_participation
from verifier.service.checkin import CheckInService, VerifyScan
from verifier.settings import Settings
from verifier.tokens import problems
from verifier.tokens.authority import TokenAuthority, TokenPolicy
from verifier.tokens.card_token import CardClaims, issue_card_token, verify_token
from verifier.tokens.keys import TrustStore

AT = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
SIN = AN.social_insurance_number
# Born in 1948, only the year known; a card valid from 2026-01-01 with no end date.
ELDER = dataclasses.replace(AN, date_of_birth=date(1948, 1, 1), birth_year_only=True, valid_to=None)
FACILITIES = FacilityRegistry.from_lines(Settings().facilities_file.read_text(encoding="utf-8").splitlines())


# ---- the calendar helpers every layer uses -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1948", (date(1948, 1, 1), True)), ("1990-05-01", (date(1990, 5, 1), False))],
)
def test_a_birth_date_is_a_full_date_or_the_year_alone(text: str, expected: tuple[date, bool]) -> None:
    assert parse_birth_date(text) == expected
    assert birth_date_text(*expected) == text


FULLWIDTH_1948 = "\uff11\uff19\uff14\uff18"  # digits, but not ASCII ones


@pytest.mark.parametrize(
    "text", ["", "48", "1899", "19480", "19900501", "1990-5-1", "1990-02-30", FULLWIDTH_1948]
)
def test_anything_else_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(ValueError, match=r"^dob: expected a date as YYYY-MM-DD, or the year alone as YYYY"):
        parse_birth_date(text, field="dob")


def test_an_empty_end_date_is_none() -> None:
    assert optional_iso_date("", field="valid_to") is None
    assert optional_iso_date("2026-12-31", field="valid_to") == date(2026, 12, 31)
    with pytest.raises(ValueError, match=r"^valid_to: expected a date as YYYY-MM-DD, or empty for no end"):
        optional_iso_date("31/12/2026", field="valid_to")


def test_an_open_ended_card_covers_every_day_from_its_start() -> None:
    assert ELDER.coverage_on(date(2025, 12, 31)) is Coverage.NOT_YET_VALID
    assert ELDER.coverage_on(date(2026, 1, 1)) is Coverage.ACTIVE
    assert ELDER.coverage_on(date(2199, 1, 1)) is Coverage.ACTIVE


# ---- events --------------------------------------------------------------------------------------


def test_the_enrollment_event_says_yyyy_and_an_empty_valid_to_and_reads_back() -> None:
    env = events.participant_enrolled(ELDER, at=AT, producer="t")
    assert (env.participant_enrolled.date_of_birth, env.participant_enrolled.valid_to) == ("1948", "")
    assert events.participation_from(env.participant_enrolled) == ELDER


def test_an_enrollment_event_written_before_still_decodes_the_same() -> None:
    # The bytes an enrollment had before year-only dates and open-ended cards existed.
    old = ev.ParticipantEnrolled(
        social_insurance_number=SIN, card_number=AN.card_number, personal_id=AN.personal_id,
        full_name=AN.full_name, date_of_birth="1990-05-01", gender=ev.GENDER_MALE,
        registered_facility="40-C54", valid_from="2026-01-01", valid_to="2026-12-31",
    )  # fmt: skip
    decoded = events.participation_from(ev.ParticipantEnrolled.FromString(old.SerializeToString()))
    assert decoded == AN and decoded.birth_year_only is False


def test_a_card_validity_without_end_round_trips() -> None:
    open_ended = CardValidity("HN2404016354956", date(2027, 1, 1), None)
    assert events.card_validity(open_ended).valid_to == ""
    assert events.validity_from(events.card_validity(open_ended)) == open_ended


def test_the_projection_folds_an_open_ended_new_card_and_keeps_the_year_only_birth() -> None:
    state = evolve(None, events.participant_enrolled(ELDER, at=AT, producer="t"))
    replaced = ev.CardReplaced(
        social_insurance_number=SIN,
        old_card=events.card_validity(CardValidity(ELDER.card_number, ELDER.valid_from, None)),
        new_card=ev.CardValidity(card_number="HT3404016354956", valid_from="2027-01-01", valid_to=""),
    )
    state = evolve(state, events.lifecycle(SIN, replaced, at=AT, producer="t"))
    assert state is not None
    assert (state.card_number, state.valid_to) == ("HT3404016354956", None)
    assert state.previous_cards == (CardValidity(ELDER.card_number, ELDER.valid_from, None),)
    assert state.birth_year_only and state.date_of_birth == date(1948, 1, 1)


def test_a_bad_year_in_an_event_is_a_dead_letter_not_a_guess() -> None:
    env = events.participant_enrolled(ELDER, at=AT, producer="t")
    env.participant_enrolled.date_of_birth = "48"
    with pytest.raises(ValueError, match="date_of_birth"):
        evolve(None, env)


# ---- the Redis entry -----------------------------------------------------------------------------


def test_the_redis_entry_round_trips_year_only_and_open_ended() -> None:
    person = dataclasses.replace(
        ELDER, previous_cards=(CardValidity("GD4404016354956", date(2015, 1, 1), None),)
    )
    packed = encode_participation(person)
    assert packed.split("\x1f")[2] == "1948" and packed.split("\x1f")[6] == ""
    assert decode_participation(SIN, packed) == person


def test_an_entry_in_the_old_format_still_decodes() -> None:
    # Written by the projection before year-only dates and open-ended cards existed (fields in
    # order: card, name, dob, gender, facility, from, to, CCCD, five-years, status, reduction,
    # reduced-from, previous cards, lost cards).
    old = "\x1f".join(
        ("GD4404016354956", "Nguyễn Văn An", "19900501", "m", "40-C54", "20260101", "20261231",
         "040090001234", "", "a", "", "", "HN2404016354956,20250101,20251231", "")
    )  # fmt: skip
    decoded = decode_participation(SIN, old)
    expected = dataclasses.replace(
        AN, previous_cards=(CardValidity("HN2404016354956", date(2025, 1, 1), date(2025, 12, 31)),)
    )
    assert decoded == expected and decoded.birth_year_only is False
    assert encode_participation(decoded) == old  # and a full record is written as it was


# ---- bulk import rows ----------------------------------------------------------------------------


def test_an_import_row_may_give_the_year_alone_and_no_end_date() -> None:
    ctx = RowContext(file_sha256="0" * 64, at=AT, producer="t", facilities=FACILITIES)
    row = {
        "card_number": AN.card_number, "full_name": AN.full_name, "date_of_birth": "1948",
        "gender": "nam", "registered_facility": "40-C54", "valid_from": "2020-01-01", "valid_to": "",
    }  # fmt: skip
    [env] = events_for_row(row, 1, ctx)
    assert (env.participant_enrolled.date_of_birth, env.participant_enrolled.valid_to) == ("1948", "")
    person = evolve(None, env)
    assert person is not None and person.birth_year_only and person.valid_to is None


# ---- gRPC answers --------------------------------------------------------------------------------


def test_a_summary_shows_an_open_ended_card_with_an_empty_valid_to() -> None:
    person = dataclasses.replace(
        ELDER, previous_cards=(CardValidity("GD4404016354956", date(2015, 1, 1), None),)
    )
    summary = participant_summary(person)
    assert (summary.valid_from, summary.valid_to) == ("2026-01-01", "")
    assert summary.previous_cards[0].valid_to == ""


# ---- card tokens ---------------------------------------------------------------------------------


def test_a_token_may_carry_a_year_only_birth_and_an_open_ended_card() -> None:
    card = dataclasses.replace(CARD, date_of_birth="1948", valid_to="")
    key = signing_key()
    token = issue_card_token(card, key, issuer="VSS", issued_at=AT, lifetime=TokenPolicy().lifetime)
    report = verify_token(token.text, TrustStore([key.trusted]), AT)
    assert report.valid, report.errors
    assert report.card == card


def test_a_token_with_a_birth_date_of_another_shape_is_malformed() -> None:
    claim = {**CARD.to_cbor(), "dob": "19480"}
    with pytest.raises(problems.TokenProblem, match="YYYY-MM-DD or YYYY"):
        CardClaims.from_cbor(claim)


@pytest.fixture
def service(tmp_path: Path) -> CheckInService:
    for path in key_files():
        shutil.copy(path, tmp_path / path.name)
    tokens = TokenAuthority(TokenPolicy(), tmp_path)
    tokens.reload()
    read_model = FakeReadModel()
    read_model.put(ELDER)
    return CheckInService(
        read_model=read_model, event_log=FakeEventLog(), facilities=FACILITIES,
        clock=lambda: AT, tokens=tokens, replays=FakeReplayGuard(),
    )  # fmt: skip


async def test_the_app_token_of_a_year_only_open_ended_record_checks_in(service: CheckInService) -> None:
    token = await service.issue_card_token(card_number=ELDER.card_number)
    assert (token.card.date_of_birth, token.card.valid_to) == ("1948", "")
    result = await service.verify_scan(VerifyScan(token.text, Station("40-001", "kiosk-1", "NV042")))
    assert (result.decision.verdict, result.decision.result_code) == (Verdict.ACCEPTED, "000")


# ---- `python -m verifier enroll` -----------------------------------------------------------------

ENROLL = ["enroll", "GD4404016354956", "--name", "Nguyễn Văn An", "--dob", "1948", "--gender", "male",
          "--facility", "40-C54", "--valid-from", "2020-01-01"]  # fmt: skip


def test_enroll_takes_an_open_ended_card_only_when_asked_for_by_name() -> None:
    args = _parser().parse_args([*ENROLL, "--open-ended"])
    assert (args.dob, args.valid_to, args.open_ended) == ("1948", "", True)
    assert _parser().parse_args([*ENROLL, "--valid-to", "2026-12-31"]).valid_to == "2026-12-31"


@pytest.mark.parametrize("end", [[], ["--open-ended", "--valid-to", "2026-12-31"]])
def test_enroll_without_an_end_or_with_both_is_a_usage_error(end: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args([*ENROLL, *end])
    assert exited.value.code == 2
