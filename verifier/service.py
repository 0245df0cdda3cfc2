"""The check-in service: judge, record, answer. Depends only on the core and the ports.

Order matters for the guarantee "no answered check-in is lost": the verdict is computed, the event
is appended and acknowledged by the log, and only then is the answer returned.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from verifier.adapters import events
from verifier.adapters.read_model import unknown_card_subject
from verifier.domain.calendar import vietnam_date
from verifier.domain.card_number import CardNumber, CardNumberProblem, normalise, parse_card_number
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.identity import IdentityClaim
from verifier.domain.participation import Coverage, Participation
from verifier.domain.usage import Usage
from verifier.domain.verdicts import CardCheck, Decision, judge_card
from verifier.errors import BadRequest
from verifier.ports import EventLog, ReadModel, Recorded

Clock = Callable[[], datetime]
_KIOSK_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_PERSONAL_ID = re.compile(r"\d{12}")


@dataclass(frozen=True)
class VerifyCard:
    """The command a kiosk sends: a card number (or a CCCD number) and what to check it against."""

    facility_id: str
    kiosk_id: str
    card_number: str = ""
    personal_id: str = ""
    claim: IdentityClaim = field(default_factory=IdentityClaim)
    check_registered_facility: bool = False


@dataclass(frozen=True)
class CheckInResult:
    check_in_id: str
    decision: Decision
    decided_at: datetime


@dataclass(frozen=True)
class CardStatusView:
    participant: Participation
    coverage: Coverage
    usage: Usage


class CheckInService:
    def __init__(
        self,
        *,
        read_model: ReadModel,
        event_log: EventLog,
        facilities: FacilityRegistry,
        clock: Clock,
        producer_name: str,
        recent_usage: int = 20,
    ) -> None:
        self._read_model = read_model
        self._log = event_log
        self._facilities = facilities
        self._clock = clock
        self._producer = producer_name
        self._recent = recent_usage

    async def verify_card(self, command: VerifyCard) -> CheckInResult:
        facility = self._facilities.require(command.facility_id)
        if not _KIOSK_ID.fullmatch(command.kiosk_id or ""):
            raise BadRequest("kiosk_id: 1-64 letters, digits or . _ : -")
        presented, text = await self._presented(command)
        participant = None
        if isinstance(presented, CardNumber):
            participant = await self._read_model.participant(presented.social_insurance_number)
            by_personal_id = command.personal_id and not command.card_number
            if by_personal_id and participant is not None and participant.personal_id != text:
                participant = None  # a stale index entry: the record no longer holds this CCCD
        at = self._clock()
        check = CardCheck(
            presented,
            participant,
            vietnam_date(at),
            claim=command.claim,
            facility_to_match=facility if command.check_registered_facility else "",
        )
        decision = judge_card(check)
        key = (
            presented.social_insurance_number
            if isinstance(presented, CardNumber)
            else unknown_card_subject(text)
        )
        event = events.check_in_verified(
            decision,
            key=key,
            presented_number=text,
            facility_id=facility,
            kiosk_id=command.kiosk_id,
            at=at,
            producer=self._producer,
        )
        await self._log.append(event)
        return CheckInResult(event.event_id, decision, at)

    async def _presented(self, command: VerifyCard) -> tuple[CardNumber | CardNumberProblem, str]:
        """The number as presented, parsed; a CCCD number is resolved to its holder's SIN first."""
        if command.personal_id and not command.card_number:
            pid = command.personal_id.strip()
            if not _PERSONAL_ID.fullmatch(pid):
                raise BadRequest("personal_id: a CCCD number has 12 digits")
            sin = await self._read_model.social_insurance_number_for(pid)
            if sin is None:
                return CardNumberProblem("050", "no participant holds this personal id"), pid
            return CardNumber(social_insurance_number=sin), pid
        text = normalise(command.card_number)
        try:
            return parse_card_number(text), text
        except CardNumberProblem as problem:
            return problem, text

    async def enroll(self, participant: Participation) -> tuple[str, Recorded]:
        self._facilities.require(participant.registered_facility)
        event = events.participant_enrolled(participant, at=self._clock(), producer=self._producer)
        return event.event_id, await self._log.append(event)

    async def card_status(
        self, *, card_number: str = "", social_insurance_number: str = "", personal_id: str = ""
    ) -> CardStatusView | None:
        """The participant's status and usage, or None when the projection does not know them."""
        sin = await self._resolve(card_number, social_insurance_number, personal_id)
        if sin is None:
            return None
        participant = await self._read_model.participant(sin)
        if participant is None:
            return None
        today = vietnam_date(self._clock())
        usage = await self._read_model.usage(sin, day=today, recent=self._recent)
        return CardStatusView(participant, participant.coverage_on(today), usage)

    async def _resolve(self, card_number: str, sin: str, personal_id: str) -> str | None:
        if card_number or sin:
            try:
                return parse_card_number(normalise(card_number or sin)).social_insurance_number
            except CardNumberProblem as e:
                raise BadRequest(f"not a card or social insurance number: {e}") from e
        if personal_id:
            return await self._read_model.social_insurance_number_for(personal_id.strip())
        raise BadRequest("give a card_number, a social_insurance_number or a personal_id")
