"""The one check-in pipeline: find the record, judge, record the decision, answer.

Each way in (typed number, CCCD number, digital card token, legacy QR, chip read) parses and checks
its credential into a `Presented`, then calls `CheckInPipeline.run`. The order is the guarantee "no
answered check-in is lost": the verdict is computed, the event appended and acknowledged by the
log, and only then is the answer returned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from verifier import metrics
from verifier.chip.checks import Check
from verifier.domain.calendar import vietnam_date
from verifier.domain.checkin import (
    RECORD_UNREADABLE,
    Presented,
    Record,
    check_in_subject,
    judge_check_in,
    named_person,
)
from verifier.domain.credentials import Assurance, Credential
from verifier.domain.presentation import Presentation
from verifier.domain.station import Station
from verifier.domain.verdicts import Decision, Verdict
from verifier.errors import ReadModelUnavailable
from verifier.events.facts import CheckInVerified, Fact, new_event_id
from verifier.ports import EventLog, ReadModel
from verifier.tokens.card_token import TokenReport

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class TokenOutcome:
    """The token facts a check-in records: never the token itself."""

    report: TokenReport
    first: Presentation | None = None  # set on a replay: the first presentation


@dataclass(frozen=True)
class Evidence:
    """What a credential's own checks add to the check-in event and the answer."""

    token: TokenOutcome | None = None
    chip_checks: tuple[Check, ...] = ()  # every chip check, passed or not, for the answer

    @property
    def chip_failed_checks(self) -> list[str]:
        return [c.name for c in self.chip_checks if not c.passed and c.code]


@dataclass(frozen=True)
class CheckIn:
    """One check-in in flight: who presented what, where, when, and what else goes on the log first
    (a face-match result)."""

    presented: Presented
    station: Station
    at: datetime
    check_registered_facility: bool = False
    check_in_id: str = field(default_factory=new_event_id)
    evidence: Evidence = field(default_factory=Evidence)


@dataclass(frozen=True)
class CheckInResult:
    check_in_id: str
    decision: Decision
    decided_at: datetime
    credential: Credential = Credential.CARD_NUMBER
    assurance: Assurance = Assurance.UNAUTHENTICATED
    token: TokenOutcome | None = None
    chip_checks: tuple[Check, ...] = ()


class CheckInPipeline:
    def __init__(self, *, read_model: ReadModel, event_log: EventLog) -> None:
        self._read_model = read_model
        self._log = event_log

    async def find(self, presented: Presented) -> Record:
        """The record `presented.lookup` points to. An authentic credential waits for no one: with
        the read model down it gets RECORD_UNREADABLE (a provisional verdict); anything else gets
        ReadModelUnavailable (UNAVAILABLE: an unsigned number proves nothing by itself)."""
        lookup = presented.lookup
        if lookup is None:
            return None
        try:
            sin = lookup.social_insurance_number
            if lookup.personal_id:
                sin = await self._read_model.social_insurance_number_for(lookup.personal_id) or ""
            return await self._read_model.participant(sin) if sin else None
        except ReadModelUnavailable as e:
            if not presented.authentic:
                raise
            log.warning("participation projection unreachable, provisional verdict: %s", e)
            return RECORD_UNREADABLE

    async def run(
        self, check_in: CheckIn, *, before: Sequence[Callable[[Decision, str], Fact]] = ()
    ) -> CheckInResult:
        """Judge and record one check-in. `before`: facts to append ahead of the check-in (each built
        from the decision and the subject), e.g. the face-match result of a chip read."""
        presented = check_in.presented
        record = await self.find(presented)
        facility = check_in.station.facility_id if check_in.check_registered_facility else ""
        decision = judge_check_in(
            presented, record, today=vietnam_date(check_in.at), facility_to_match=facility
        )
        subject = check_in_subject(presented, decision)
        for fact in before:
            await self._log.append(fact(decision, subject))
        evidence = check_in.evidence
        await self._log.append(
            CheckInVerified(
                event_id=check_in.check_in_id,
                at=check_in.at,
                key=subject,
                station=check_in.station,
                decision=decision,
                presented_number=presented.text,
                credential=presented.credential,
                assurance=presented.assurance,
                check_registered_facility=check_in.check_registered_facility,
                social_insurance_number=named_person(presented, decision),
                token=evidence.token.report if evidence.token else None,
                first_presentation=evidence.token.first if evidence.token else None,
                chip_failed_checks=evidence.chip_failed_checks,
            )
        )
        if decision.verdict is Verdict.PROVISIONAL:  # recorded: the re-check will finalise it
            metrics.PROVISIONAL_VERDICTS.labels(presented.credential.value).inc()
        return CheckInResult(
            check_in.check_in_id,
            decision,
            check_in.at,
            presented.credential,
            presented.assurance,
            evidence.token,
            evidence.chip_checks,
        )
