"""The check-in service: judge, record, answer. Depends only on the core and the ports.

Order matters for the guarantee "no answered check-in is lost": the verdict is computed, the event
is appended and acknowledged by the log, and only then is the answer returned.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from verifier.adapters import events
from verifier.adapters.read_model import unknown_card_subject
from verifier.chip.checks import Check
from verifier.domain.calendar import vietnam_date
from verifier.domain.card_number import CardNumber, CardNumberProblem, normalise, parse_card_number
from verifier.domain.credentials import Assurance, Credential
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.identity import IdentityClaim
from verifier.domain.legacy_qr import LegacyQr, LegacyQrProblem, parse_legacy_qr
from verifier.domain.participation import Coverage, Gender, Participation
from verifier.domain.station import Station
from verifier.domain.usage import Usage
from verifier.domain.verdicts import (
    REPLAY_UNCHECKED,
    CardCheck,
    Decision,
    Verdict,
    judge_card,
    with_credential_problems,
)
from verifier.errors import BadRequest, NotConfigured, NotFound, ReadModelUnavailable
from verifier.ports import EventLog, Presentation, ReadModel, Recorded, ReplayGuard
from verifier.tokens.authority import TokenAuthority
from verifier.tokens.card_token import CardClaims, IssuedToken, TokenReport
from verifier.tokens.problems import REPLAYED

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
_PERSONAL_ID = re.compile(r"\d{12}")


def _card_or_problem(text: str) -> CardNumber | CardNumberProblem:
    """A number that does not parse is a verdict (its VSS code), not an error."""
    try:
        return parse_card_number(text)
    except CardNumberProblem as problem:
        return problem


@dataclass(frozen=True)
class VerifyCard:
    """The command a kiosk sends: a card number (or a CCCD number) and what to check it against."""

    station: Station
    card_number: str = ""
    personal_id: str = ""
    claim: IdentityClaim = field(default_factory=IdentityClaim)
    check_registered_facility: bool = False


@dataclass(frozen=True)
class VerifyScan:
    """What a kiosk's scanner read, as is: a digital card token or a legacy QR."""

    scanned: str
    station: Station
    check_registered_facility: bool = False


@dataclass(frozen=True)
class TokenOutcome:
    """The token facts a check-in records: never the token itself."""

    report: TokenReport
    first: Presentation | None = None  # set on a replay: the first presentation


@dataclass(frozen=True)
class CheckInResult:
    check_in_id: str
    decision: Decision
    decided_at: datetime
    credential: Credential = Credential.CARD_NUMBER
    assurance: Assurance = Assurance.UNAUTHENTICATED
    token: TokenOutcome | None = None
    chip_checks: tuple[Check, ...] = ()


# Event keys for scans that name nobody: unreadable input is counted under one subject each.
UNREADABLE_QR_SUBJECT = "scan:unreadable-qr"
UNVERIFIED_TOKEN_SUBJECT = "scan:unverified-token"


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
        tokens: TokenAuthority,
        replays: ReplayGuard,
        recent_usage: int = 20,
    ) -> None:
        self._tokens = tokens
        self._replays = replays
        self._read_model = read_model
        self._log = event_log
        self._facilities = facilities
        self._clock = clock
        self._producer = producer_name
        self._recent = recent_usage

    @property
    def facilities(self) -> FacilityRegistry:
        return self._facilities

    async def verify_card(self, command: VerifyCard) -> CheckInResult:
        station = command.station.validated(self._facilities)
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
            facility_to_match=station.facility_id if command.check_registered_facility else "",
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
            station=station,
            at=at,
            producer=self._producer,
            check_registered_facility=command.check_registered_facility,
        )
        await self._log.append(event)
        return CheckInResult(event.event_id, decision, at)

    async def verify_scan(self, command: VerifyScan) -> CheckInResult:
        """A token when it carries one of our prefixes, the legacy QR when it is pipe-separated; any
        other text is judged as a token and so refused with the token's reason (e.g. T08)."""
        station = command.station.validated(self._facilities)
        if not self._tokens.looks_like_token(command.scanned) and "|" in command.scanned:
            return await self._verify_legacy_qr(command, station)
        return await self._verify_token(command, station)

    async def _verify_token(self, command: VerifyScan, station: Station) -> CheckInResult:
        at = self._clock()
        check_in_id = str(uuid.uuid4())
        report = self._tokens.verify(command.scanned, at)
        card = report.card if report.signature_valid else None
        if card is None:
            decision = with_credential_problems(list(report.errors) or ["T01"], detail=report.detail)
            key, presented, named = UNVERIFIED_TOKEN_SUBJECT, "", ""
            outcome = TokenOutcome(report)
        else:
            presented, named = card.card_number, ""
            key = card.social_insurance_number
            problems = list(report.errors)
            first = None
            replay_unchecked = False
            if not problems:
                first, replay_unchecked = await self._first_presentation(report, check_in_id, station, at)
                if first is not None and (first.facility_id, first.kiosk_id) != (
                    station.facility_id,
                    station.kiosk_id,
                ):
                    problems.append(REPLAYED)
            card_decision = await self._judge_claimed_card(card, station, command, at)
            if card_decision is None:
                # Degraded mode: the signature proves the card genuine, Redis cannot say the rest.
                card_decision = Decision.provisional()
            if replay_unchecked:
                # Never hides a card verdict: a revoked card stays rejected, a valid one is provisional.
                problems.append(REPLAY_UNCHECKED)
            decision = with_credential_problems(problems, card_decision, report.detail)
            outcome = TokenOutcome(report, first if REPLAYED in problems else None)
            if decision.verdict is Verdict.PROVISIONAL:
                named = card.social_insurance_number
        assurance = Assurance.SIGNED_TOKEN if report.valid else Assurance.UNAUTHENTICATED
        event = events.check_in_verified(
            decision,
            key=key,
            presented_number=presented,
            station=station,
            at=at,
            producer=self._producer,
            event_id=check_in_id,
            credential=Credential.DIGITAL_TOKEN,
            assurance=assurance,
            token=report,
            first_presentation=outcome.first,
            check_registered_facility=command.check_registered_facility,
            social_insurance_number=named,
        )
        await self._log.append(event)
        return CheckInResult(check_in_id, decision, at, Credential.DIGITAL_TOKEN, assurance, outcome)

    async def _first_presentation(
        self, report: TokenReport, check_in_id: str, station: Station, at: datetime
    ) -> tuple[Presentation | None, bool]:
        """Where the token was first shown (this presentation if never before), and whether the
        replay check could not be made because Redis is down: then the monitor's token_replay rule,
        which works from the log, is what catches a screenshot shown twice."""
        alive = (report.expires_at or at) - at + self._tokens.policy.clock_skew
        try:
            first = await self._replays.first_presentation(
                report.token_id,
                Presentation(check_in_id, station.facility_id, station.kiosk_id, at),
                ttl_s=int(alive.total_seconds()) + 1,
            )
        except ReadModelUnavailable as e:
            log.warning("token replay check skipped, provisional verdict: %s", e)
            return None, True
        return first, False

    async def _judge_claimed_card(
        self, card: CardClaims, station: Station, command: VerifyScan, at: datetime
    ) -> Decision | None:
        """The card a valid token names, judged against the projection now: it may have been revoked,
        replaced or reduced since the token was issued. None when the projection cannot be read."""
        presented = _card_or_problem(card.card_number)
        try:
            participant = await self._read_model.participant(card.social_insurance_number)
        except ReadModelUnavailable:
            return None
        claim = IdentityClaim.parse(
            full_name=card.full_name, date_of_birth=card.date_of_birth, gender=Gender(card.gender or "")
        )
        return judge_card(
            CardCheck(
                presented,
                participant,
                vietnam_date(at),
                claim=claim,
                facility_to_match=station.facility_id if command.check_registered_facility else "",
            )
        )

    async def _verify_legacy_qr(self, command: VerifyScan, station: Station) -> CheckInResult:
        """No provisional pass here: an unsigned QR proves nothing, so without the projection there
        is no verdict (UNAVAILABLE)."""
        at = self._clock()
        try:
            qr: LegacyQr | None = parse_legacy_qr(command.scanned)
        except LegacyQrProblem as problem:
            qr, decision = None, Decision.reject(problem.code, detail=str(problem))
        key, presented = UNREADABLE_QR_SUBJECT, ""
        if qr is not None:
            presented = qr.number
            number = _card_or_problem(qr.number)
            participant = None
            if isinstance(number, CardNumber):
                key = number.social_insurance_number
                participant = await self._read_model.participant(key)
            else:
                key = unknown_card_subject(qr.number)
            claim = IdentityClaim(
                full_name=qr.name,
                birth_year=qr.date_of_birth.year if qr.birth_year_only else None,
                date_of_birth=None if qr.birth_year_only else qr.date_of_birth,
                gender=qr.gender,
            )
            decision = judge_card(
                CardCheck(
                    number,
                    participant,
                    vietnam_date(at),
                    claim=claim,
                    facility_to_match=station.facility_id if command.check_registered_facility else "",
                )
            )
        event = events.check_in_verified(
            decision,
            key=key,
            presented_number=presented,
            station=station,
            at=at,
            producer=self._producer,
            credential=Credential.LEGACY_QR,
            assurance=Assurance.UNAUTHENTICATED,
            check_registered_facility=command.check_registered_facility,
        )
        await self._log.append(event)
        return CheckInResult(event.event_id, decision, at, Credential.LEGACY_QR, Assurance.UNAUTHENTICATED)

    async def issue_card_token(
        self, *, card_number: str = "", social_insurance_number: str = "", personal_id: str = ""
    ) -> IssuedToken:
        """A fresh token for the app's card display; the card data comes from the projection."""
        sin = await self._resolve(card_number, social_insurance_number, personal_id)
        participant = await self._read_model.participant(sin) if sin else None
        if participant is None:
            raise NotFound("no participant with this number")
        card = CardClaims(
            card_number=participant.card_number,
            full_name=participant.full_name,
            date_of_birth=participant.date_of_birth.isoformat(),
            gender=participant.gender.value,
            registered_facility=participant.registered_facility,
            valid_from=participant.valid_from.isoformat(),
            valid_to=participant.valid_to.isoformat(),
            five_years_from=participant.five_years_from.isoformat() if participant.five_years_from else "",
        )
        token = self._tokens.issue(card, self._clock())
        if token is None:
            raise NotConfigured("no usable signing key: configure BHYT_TOKEN_KEYS_DIR (see README)")
        return token

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
        return _card_or_problem(text), text

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
