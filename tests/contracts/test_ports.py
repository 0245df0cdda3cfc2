"""The contract of every port, held by the fake and the real adapter alike (see conftest.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.contracts.conftest import NOW, EventLogSide, ReadModelSide
from tests.support.people import AN
from verifier.domain.calendar import VIETNAM, vietnam_date
from verifier.domain.lifecycle import Revocation
from verifier.domain.presentation import Presentation
from verifier.domain.station import Station
from verifier.domain.usage import UsageEntry
from verifier.domain.verdicts import Decision
from verifier.errors import ReadModelUnavailable
from verifier.events.facts import CheckInVerified, ParticipantEnrolled, lifecycle_fact
from verifier.ports import ChallengeStore, ChipSession, CommandReceipts, Receipt, Recorded, ReplayGuard

# ---- ReadModel ---------------------------------------------------------------------------------


async def test_an_enrolled_participant_reads_back_whole(read_model_side: ReadModelSide) -> None:
    person = replace(AN, five_years_from=NOW.date() - timedelta(days=2000))
    await read_model_side.enroll(person)
    assert await read_model_side.read_model.participant(AN.social_insurance_number) == person


async def test_a_year_only_birth_and_an_open_ended_card_read_back_as_such(
    read_model_side: ReadModelSide,
) -> None:
    person = replace(
        AN, date_of_birth=AN.date_of_birth.replace(month=1, day=1), birth_year_only=True, valid_to=None
    )
    await read_model_side.enroll(person)
    assert await read_model_side.read_model.participant(AN.social_insurance_number) == person


async def test_an_unknown_participant_is_none(read_model_side: ReadModelSide) -> None:
    assert await read_model_side.read_model.participant("4099999999") is None
    assert await read_model_side.read_model.social_insurance_number_for("001099999999") is None


async def test_the_cccd_index_names_the_holder(read_model_side: ReadModelSide) -> None:
    await read_model_side.enroll(AN)
    assert (
        await read_model_side.read_model.social_insurance_number_for(AN.personal_id)
        == AN.social_insurance_number
    )


async def test_usage_counts_totals_the_day_and_the_most_recent_first(read_model_side: ReadModelSide) -> None:
    subject = AN.social_insurance_number
    # Today at 10:00 in Vietnam: a day's counter lives until two Vietnam days after it (see below).
    now = datetime.combine(vietnam_date(datetime.now(UTC)), time(10), tzinfo=VIETNAM).astimezone(UTC)
    entries = [
        (UsageEntry("c1", "40-001", "k1", "000", now - timedelta(days=1)), True),
        (UsageEntry("c2", "40-001", "k1", "010", now), False),
        (UsageEntry("c3", "79-001", "k2", "000", now + timedelta(minutes=1)), True),
    ]
    for entry, accepted in entries:
        await read_model_side.check_in(subject, entry, accepted=accepted)
    usage = await read_model_side.read_model.usage(subject, day=vietnam_date(now), recent=2)
    assert (usage.check_ins_total, usage.accepted_total, usage.check_ins_today) == (3, 2, 2)
    assert (usage.last_facility_id, usage.last_check_in_at) == ("79-001", now + timedelta(minutes=1))
    assert [e.check_in_id for e in usage.recent] == ["c3", "c2"]
    assert usage.recent[1] == entries[1][0]


async def test_a_day_counter_is_gone_two_vietnam_days_after_its_day(read_model_side: ReadModelSide) -> None:
    """Only today's counter is read; older ones would grow by a key per person per day for ever.
    NOW is months ago, so its day's counter is gone while the totals and the recent list stay."""
    subject = AN.social_insurance_number
    await read_model_side.check_in(subject, UsageEntry("c1", "40-001", "k1", "000", NOW), accepted=True)
    usage = await read_model_side.read_model.usage(subject, day=vietnam_date(NOW), recent=1)
    assert (usage.check_ins_total, usage.check_ins_today, [e.check_in_id for e in usage.recent]) == (
        1,
        0,
        ["c1"],
    )


async def test_usage_of_a_subject_never_seen_is_zero(read_model_side: ReadModelSide) -> None:
    usage = await read_model_side.read_model.usage("card:GD4404099999999", day=vietnam_date(NOW), recent=5)
    assert (usage.check_ins_total, usage.check_ins_today, usage.recent, usage.last_check_in_at) == (
        0,
        0,
        (),
        None,
    )


async def test_an_unreachable_read_model_says_so(read_model_side: ReadModelSide) -> None:
    down = read_model_side.unreachable
    with pytest.raises(ReadModelUnavailable):
        await down.participant(AN.social_insurance_number)
    with pytest.raises(ReadModelUnavailable):
        await down.social_insurance_number_for(AN.personal_id)
    with pytest.raises(ReadModelUnavailable):
        await down.usage(AN.social_insurance_number, day=vietnam_date(NOW), recent=1)


# ---- ReplayGuard -------------------------------------------------------------------------------


async def test_the_first_presentation_of_a_token_is_remembered(
    replay_guards: tuple[ReplayGuard, ReplayGuard],
) -> None:
    guard, _ = replay_guards
    first = Presentation("c1", "40-001", "k1", NOW)
    later = Presentation("c2", "79-001", "k9", NOW + timedelta(seconds=5))
    assert await guard.first_presentation("aa" * 16, first, ttl_s=60) == first
    assert await guard.first_presentation("aa" * 16, later, ttl_s=60) == first
    assert await guard.first_presentation("bb" * 16, later, ttl_s=60) == later


async def test_an_unreachable_replay_guard_says_so(replay_guards: tuple[ReplayGuard, ReplayGuard]) -> None:
    _, down = replay_guards
    with pytest.raises(ReadModelUnavailable):
        await down.first_presentation("aa" * 16, Presentation("c1", "40-001", "k1", NOW), ttl_s=60)


# ---- CommandReceipts ---------------------------------------------------------------------------


async def test_the_first_receipt_of_a_command_is_kept(
    command_receipts: tuple[CommandReceipts, CommandReceipts],
) -> None:
    receipts, _ = command_receipts
    first = Receipt("e1", Recorded("bhyt.participation.v1", 3, 41), "f|p 1")  # separators in the print
    assert await receipts.recall("e1") is None
    await receipts.keep(first, ttl_s=60)
    await receipts.keep(Receipt("e1", Recorded("bhyt.participation.v1", 3, 42), "f2"), ttl_s=60)
    assert await receipts.recall("e1") == first
    assert await receipts.recall("e2") is None


async def test_unreachable_receipts_say_so(command_receipts: tuple[CommandReceipts, CommandReceipts]) -> None:
    _, down = command_receipts
    with pytest.raises(ReadModelUnavailable):
        await down.recall("e1")
    with pytest.raises(ReadModelUnavailable):
        await down.keep(Receipt("e1", Recorded("t", 0, 0), "f"), ttl_s=60)


# ---- ChallengeStore ----------------------------------------------------------------------------


async def test_a_challenge_is_taken_once(challenge_stores: tuple[ChallengeStore, ChallengeStore]) -> None:
    store, _ = challenge_stores
    session = ChipSession(bytes.fromhex("0102030405060708"), "40-001", "k1")
    await store.put("s1", session, ttl_s=60)
    assert await store.take("s1") == session
    assert await store.take("s1") is None
    assert await store.take("never-issued") is None


async def test_an_unreachable_challenge_store_says_so(
    challenge_stores: tuple[ChallengeStore, ChallengeStore],
) -> None:
    _, down = challenge_stores
    with pytest.raises(ReadModelUnavailable):
        await down.put("s1", ChipSession(b"12345678", "40-001", "k1"), ttl_s=60)
    with pytest.raises(ReadModelUnavailable):
        await down.take("s1")


# ---- EventLog ----------------------------------------------------------------------------------


def a_check_in(check_in_id: str) -> CheckInVerified:
    return CheckInVerified(
        event_id=check_in_id,
        at=NOW,
        key=AN.social_insurance_number,
        station=Station("40-001", "k1", "NV042"),
        decision=Decision.accept(AN),
        presented_number=AN.card_number,
    )


async def test_appended_facts_are_on_the_log_in_order_with_their_ids_and_keys(
    event_log_side: EventLogSide,
) -> None:
    log = event_log_side.log
    first = await log.append(a_check_in("00000000-0000-4000-8000-000000000001"))
    second = await log.append(a_check_in("00000000-0000-4000-8000-000000000002"))
    enrolled = await log.append(ParticipantEnrolled(participant=AN, at=NOW))
    assert first.topic == second.topic != enrolled.topic
    assert (first.partition, second.offset) == (second.partition, first.offset + 1)  # one key, one partition
    on_log = event_log_side.read_back(first.topic)
    assert [e.event_id for e in on_log] == [
        "00000000-0000-4000-8000-000000000001",
        "00000000-0000-4000-8000-000000000002",
    ]
    assert {e.key for e in on_log} == {AN.social_insurance_number}
    assert on_log[0].check_in_verified.check_in_id == on_log[0].event_id
    [enrolment] = event_log_side.read_back(enrolled.topic)
    assert enrolment.participant_enrolled.personal_id == AN.personal_id


async def test_the_card_lifecycle_follows_the_enrollment_in_one_order(event_log_side: EventLogSide) -> None:
    """The projection folds a person's lifecycle onto their enrollment: both must be in one partition."""
    log = event_log_side.log
    enrolled = await log.append(ParticipantEnrolled(participant=AN, at=NOW))
    revocation = Revocation(AN.social_insurance_number, AN.card_number, "test")
    revoked = await log.append(
        lifecycle_fact(revocation, at=NOW, event_id="00000000-0000-4000-8000-0000000000aa")
    )
    assert (revoked.topic, revoked.partition, revoked.offset) == (
        enrolled.topic, enrolled.partition, enrolled.offset + 1,
    )  # fmt: skip
    _, on_log = event_log_side.read_back(enrolled.topic)
    assert on_log.event_id == "00000000-0000-4000-8000-0000000000aa"
    assert on_log.card_revoked.card_number == AN.card_number and on_log.key == AN.social_insurance_number
