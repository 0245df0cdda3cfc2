"""The re-check of provisional check-ins, pure part: which check-ins, which record, which verdict;
and how the usage projection and the monitor treat provisional and finalised check-ins."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import cast

import pytest
from bhyt.v1 import events_pb2 as ev
from redis.exceptions import ConnectionError as RedisConnectionError

from projections import retry
from projections.monitor.observations import seen_from_event
from projections.recheck import (
    FINALISED_NAMESPACE,
    Provisional,
    final_decision,
    finalised_event,
    provisional_of,
)
from projections.retry import until_done
from projections.store import DeadLetter, Mutation, Position, ProjectionStore
from projections.usage import model as usage
from tests.support.people import AN
from verifier.domain.participation import CardValidity, Status
from verifier.domain.verdicts import Decision, Verdict
from verifier.events import envelopes as events

AT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 on 23 Nov 2026 in Vietnam
LATE = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)  # 01:30 on 24 Nov in Vietnam
PID = AN.personal_id


def checked_in(
    *,
    verdict: ev.Verdict = ev.VERDICT_PROVISIONAL,
    reasons: Sequence[str] = ("P01",),
    credential: ev.CredentialKind = ev.CREDENTIAL_KIND_DIGITAL_TOKEN,
    key: str = AN.social_insurance_number,
    presented: str = AN.card_number,
    sin: str = AN.social_insurance_number,
    facility: str = "40-001",
    check_registered_facility: bool = False,
    at: datetime = AT,
) -> ev.EventEnvelope:
    """A check-in event as the verifier records one in degraded mode (unless told otherwise)."""
    env = events.envelope(key=key, at=at, producer="test")
    env.check_in_verified.CopyFrom(
        ev.CheckInVerified(
            check_in_id=env.event_id,
            credential=credential,
            presented_number=presented,
            social_insurance_number=sin,
            facility_id=facility,
            kiosk_id="k1",
            verdict=verdict,
            result_code=reasons[0],
            reason_codes=list(reasons),
            assurance=ev.ASSURANCE_SIGNED_TOKEN,
            staff_id="staff-1",
            check_registered_facility=check_registered_facility,
        )
    )
    return env


def chip_check_in(**changes: object) -> ev.EventEnvelope:
    """A passively authenticated chip whose holder Redis could not name: keyed by the CCCD number."""
    values: dict[str, object] = {
        "credential": ev.CREDENTIAL_KIND_CHIP_ID,
        "key": f"card:{PID}",
        "presented": PID,
        "sin": "",
    }
    return checked_in(**{**values, **changes})  # type: ignore[arg-type]


def provisional(event: ev.EventEnvelope) -> Provisional:
    found = provisional_of(event)
    assert found is not None
    return found


# ---- which check-ins are re-checked ------------------------------------------------------------


def test_only_check_ins_whose_coverage_is_unconfirmed_are_re_checked() -> None:
    assert provisional_of(checked_in()) is not None
    assert provisional_of(chip_check_in(verdict=ev.VERDICT_NEEDS_REVIEW, reasons=("F01", "P01"))) is not None
    # Final already: accepted, rejected (even when coverage was not confirmed), an ordinary review.
    assert provisional_of(checked_in(verdict=ev.VERDICT_ACCEPTED, reasons=("000",))) is None
    assert provisional_of(checked_in(verdict=ev.VERDICT_REJECTED, reasons=("T04", "P01"))) is None
    assert provisional_of(checked_in(verdict=ev.VERDICT_NEEDS_REVIEW, reasons=("K02",))) is None
    assert provisional_of(events.participant_enrolled(AN, at=AT, producer="t")) is None


def test_a_token_reads_the_card_holder_and_a_chip_without_a_holder_reads_the_cccd_index() -> None:
    assert provisional(checked_in()).lookup() == (AN.social_insurance_number, "")
    assert provisional(checked_in(sin="")).lookup() == (AN.social_insurance_number, "")  # from the card
    assert provisional(chip_check_in()).lookup() == ("", PID)
    assert provisional(chip_check_in(sin=AN.social_insurance_number)).lookup() == (
        AN.social_insurance_number,
        "",
    )


# ---- the final verdict -------------------------------------------------------------------------


def test_a_covered_card_is_finalised_accepted_with_a_deterministic_event() -> None:
    event = checked_in()
    check_in = provisional(event)

    decision = final_decision(check_in, AN)
    final = finalised_event(check_in, decision, at=LATE, producer="recheck/w1")

    assert (decision.verdict, decision.result_code) == (Verdict.ACCEPTED, "000")
    assert final.key == event.key
    assert final.event_id == str(uuid.uuid5(FINALISED_NAMESPACE, event.event_id))
    assert final.event_id == finalised_event(check_in, decision, at=AT, producer="other").event_id
    f = final.check_in_finalised
    assert f.check_in_id == event.check_in_verified.check_in_id
    assert (f.verdict, f.result_code, list(f.reason_codes)) == (ev.VERDICT_ACCEPTED, "000", ["000"])
    assert (f.social_insurance_number, f.card_number) == (AN.social_insurance_number, AN.card_number)
    assert (f.facility_id, f.kiosk_id) == ("40-001", "k1")
    assert f.checked_in_at.ToDatetime(tzinfo=UTC) == AT
    assert final.occurred_at.ToDatetime(tzinfo=UTC) == LATE


def test_a_card_revoked_since_is_finalised_rejected_110() -> None:
    decision = final_decision(provisional(checked_in()), replace(AN, status=Status.REVOKED))
    assert (decision.verdict, decision.result_code) == (Verdict.REJECTED, "110")


def test_validity_is_judged_on_the_check_in_s_own_vietnam_day_not_at_the_re_check() -> None:
    # Valid through the day of the check-in: accepted, although expired by the time of the re-check.
    last_day = replace(AN, valid_to=date(2026, 11, 23))
    assert final_decision(provisional(checked_in(at=AT)), last_day).verdict is Verdict.ACCEPTED
    # 01:30 on 24 Nov in Vietnam (still the 23rd in UTC): the card had expired.
    expired = final_decision(provisional(checked_in(at=LATE)), last_day)
    assert (expired.verdict, expired.result_code) == (Verdict.REJECTED, "010")


def test_the_registered_facility_check_is_repeated_when_the_kiosk_asked_for_it() -> None:
    elsewhere = final_decision(provisional(checked_in(facility="40-001", check_registered_facility=True)), AN)
    assert (elsewhere.verdict, elsewhere.result_code) == (Verdict.ACCEPTED, "090")  # a data note
    assert elsewhere.facility_route == "same_province"
    at_home = final_decision(provisional(checked_in(facility="40-C54", check_registered_facility=True)), AN)
    assert at_home.verdict is Verdict.ACCEPTED
    not_asked = final_decision(provisional(checked_in(facility="40-001")), AN)
    assert not_asked.verdict is Verdict.ACCEPTED


def test_an_unknown_participant_is_050_and_a_replaced_card_gets_its_vss_code() -> None:
    assert final_decision(provisional(checked_in()), None).result_code == "050"
    old = CardValidity(AN.card_number, AN.valid_from, AN.valid_to)
    renewed = replace(AN, card_number="HT3404016354956", previous_cards=(old,))
    replaced = final_decision(provisional(checked_in()), renewed)
    assert (replaced.verdict, replaced.result_code) == (Verdict.ACCEPTED, "004")  # old card still valid


def test_a_chip_is_judged_by_its_holder_and_a_stale_cccd_index_entry_names_nobody() -> None:
    check_in = provisional(chip_check_in())
    accepted = final_decision(check_in, AN)
    assert accepted.verdict is Verdict.ACCEPTED
    final = finalised_event(check_in, accepted, at=LATE, producer="t")
    assert final.key == f"card:{PID}"
    assert final.check_in_finalised.social_insurance_number == AN.social_insurance_number
    stale = final_decision(check_in, replace(AN, personal_id="079090009999"))
    assert (stale.verdict, stale.result_code) == (Verdict.REJECTED, "050")
    assert final_decision(check_in, None).result_code == "050"


def test_what_the_check_in_found_besides_coverage_is_carried_into_the_final_verdict() -> None:
    face_mismatch = provisional(chip_check_in(verdict=ev.VERDICT_NEEDS_REVIEW, reasons=("F01", "P01")))
    review = final_decision(face_mismatch, AN)
    assert (review.verdict, review.reasons) == (Verdict.NEEDS_REVIEW, ("F01",))
    revoked = final_decision(face_mismatch, replace(AN, status=Status.REVOKED))
    assert (revoked.verdict, revoked.reasons) == (Verdict.REJECTED, ("110", "F01"))
    # P02 (replay not checked) is degraded-mode bookkeeping, not a verdict: never final.
    replay_unchecked = provisional(checked_in(reasons=("P01", "P02")))
    assert final_decision(replay_unchecked, AN).verdict is Verdict.ACCEPTED


def test_a_final_verdict_is_never_provisional() -> None:
    with pytest.raises(ValueError, match="provisional"):
        finalised_event(provisional(checked_in()), Decision.provisional(), at=AT, producer="t")


# ---- waiting for Redis -------------------------------------------------------------------------


async def test_an_outage_is_logged_once_however_many_attempts(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    waits: list[float] = []

    async def no_wait(delay: float) -> None:
        waits.append(delay)

    monkeypatch.setattr(retry.asyncio, "sleep", no_wait)
    failures = iter(range(6))

    async def attempt() -> str:
        if next(failures, None) is not None:
            raise RedisConnectionError("connection refused")
        return "read"

    with caplog.at_level(logging.INFO, logger="projections.retry"):
        assert await until_done("re-check", attempt) == "read"
        assert await until_done("re-check", attempt) == "read"

    assert waits == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0]
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "re-check: unavailable" in m]) == 1
    assert len([m for m in messages if "re-check: back after" in m]) == 1


# ---- how the projections read provisional and finalised check-ins --------------------------------


def finalised(code: str, *, check_in: ev.EventEnvelope | None = None) -> ev.EventEnvelope:
    """The re-check's event for `check_in` with the verdict that `code` gives."""
    return finalised_event(
        provisional(check_in or checked_in()), Decision.of([code], AN), at=LATE, producer="t"
    )


def test_usage_counts_a_provisional_check_in_but_not_as_accepted() -> None:
    change = usage.mutation_for(checked_in(), recent_size=5)
    assert change is not None
    assert ("HINCRBY", "u:{4016354956}", "n", "1") in change.commands
    assert not any(c[0] == "HINCRBY" and c[2] == "a" for c in change.commands)


def test_usage_counts_a_check_in_finalised_accepted_once_per_check_in_id() -> None:
    event = checked_in()
    accepted = usage.mutation_for(finalised("000", check_in=event), recent_size=5)
    rejected = usage.mutation_for(finalised("110", check_in=event), recent_size=5)
    own_key = f"u:{{4016354956}}:f:{event.event_id}"
    assert accepted == Mutation(
        own_key, (("HSET", own_key, "rc", "000"), ("HINCRBY", "u:{4016354956}", "a", "1"))
    )
    assert rejected == Mutation(own_key, (("HSET", own_key, "rc", "110"),))


async def test_usage_guards_a_finalised_check_in_at_one_position_whatever_its_offset() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.changes: list[tuple[Position, Mutation | DeadLetter]] = []

        async def apply(self, changes: Sequence[tuple[Position, Mutation | DeadLetter]]) -> int:
            self.changes = list(changes)
            return len(changes)

    recorder = Recorder()
    event = checked_in()
    first = finalised("000", check_in=event)
    batch = [
        (Position("t", 2, 10), event),
        (Position("t", 2, 11), first),
        (Position("t", 2, 40), first),  # republished after a crash: the same fact
    ]
    await usage.apply_batch(cast(ProjectionStore, recorder), batch, recent_size=5)
    assert [p for p, _ in recorder.changes] == [
        Position("t", 2, 10),
        Position("t", 2, usage.ONCE),
        Position("t", 2, usage.ONCE),
    ]


def test_the_monitor_sees_a_provisional_check_in_as_a_visit_and_ignores_its_final_verdict() -> None:
    seen = seen_from_event(checked_in())
    assert seen is not None and not seen.rejected
    assert seen.detail().startswith("provisional P01")
    assert seen_from_event(finalised("110")) is None


async def test_an_error_that_is_not_transient_is_raised_at_once() -> None:
    attempts: list[int] = []

    async def attempt() -> str:
        attempts.append(1)
        raise ValueError("a bug, not an outage")

    with pytest.raises(ValueError, match="a bug"):
        await until_done("re-check", attempt)
    assert attempts == [1]
