"""Check-in by card number, CCCD number, digital card token, legacy BHYT QR or the chip ID card's
printed QR; card tokens for the app; enrolment and card status. Depends only on the core, the event
contract and the ports.

Each way in is a parser that turns its input into a `Presented`; the shared `CheckInPipeline`
finds the record, judges, records and answers. A face match the kiosk made is judged and recorded
the same way on every path (`verifier.service.face`).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from verifier import metrics
from verifier.domain.calendar import birth_date_text, iso_or_empty, vietnam_date
from verifier.domain.card_number import CardNumberProblem, normalise, parse_card_number
from verifier.domain.cccd_qr import CccdQrProblem, looks_like_cccd_qr, parse_cccd_qr
from verifier.domain.checkin import (
    CardLookup,
    Presented,
    card_or_problem,
    unknown_card_subject,
)
from verifier.domain.credentials import Assurance, Credential
from verifier.domain.face_match import FaceMatchReport, FacePolicy
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.identity import IdentityClaim
from verifier.domain.legacy_qr import LegacyQrProblem, parse_legacy_qr
from verifier.domain.participation import Coverage, Gender, Participation, Status
from verifier.domain.presentation import Presentation
from verifier.domain.station import Station
from verifier.domain.usage import Usage
from verifier.domain.verdicts import REPLAY_UNCHECKED
from verifier.errors import BadRequest, NotConfigured, NotFound, ReadModelUnavailable
from verifier.events.facts import ParticipantEnrolled, new_event_id
from verifier.ports import EventLog, ReadModel, Recorded, ReplayGuard
from verifier.service.face import FaceResult, facts_before
from verifier.service.pipeline import (
    CheckIn,
    CheckInPipeline,
    CheckInResult,
    Clock,
    Evidence,
    TokenOutcome,
)
from verifier.tokens.authority import TokenAuthority
from verifier.tokens.card_token import CardClaims, IssuedToken, TokenReport
from verifier.tokens.problems import REPLAYED

log = logging.getLogger(__name__)
_PERSONAL_ID = re.compile(r"[0-9]{12}")

# Event keys for scans that name nobody: unreadable input is counted under one subject each.
UNREADABLE_QR_SUBJECT = "scan:unreadable-qr"
UNVERIFIED_TOKEN_SUBJECT = "scan:unverified-token"


@dataclass(frozen=True)
class VerifyCard:
    """The command a kiosk sends: a card number (or a CCCD number) and what to check it against."""

    station: Station
    card_number: str = ""
    personal_id: str = ""
    claim: IdentityClaim = field(default_factory=IdentityClaim)
    check_registered_facility: bool = False
    face_match: FaceMatchReport | None = None  # the kiosk compared the live face with a photo


@dataclass(frozen=True)
class VerifyScan:
    """What a kiosk's scanner read, as is: a digital card token, a legacy BHYT QR or the chip ID
    card's printed QR."""

    scanned: str
    station: Station
    check_registered_facility: bool = False
    face_match: FaceMatchReport | None = None


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
        tokens: TokenAuthority,
        replays: ReplayGuard,
        recent_usage: int = 20,
        face_policy: FacePolicy | None = None,
    ) -> None:
        self._tokens = tokens
        self._replays = replays
        self._read_model = read_model
        self._log = event_log
        self._pipeline = CheckInPipeline(read_model=read_model, event_log=event_log)
        self._facilities = facilities
        self._clock = clock
        self._recent = recent_usage
        self._faces = face_policy or FacePolicy()

    @property
    def facilities(self) -> FacilityRegistry:
        return self._facilities

    async def verify_card(self, command: VerifyCard) -> CheckInResult:
        station = command.station.validated(self._facilities)
        face = FaceResult.judged(self._faces, command.face_match, station.facility_id)
        presented = typed_card(command)
        return await self._run(
            CheckIn(
                face.applied_to(presented) if face else presented,
                station,
                self._clock(),
                check_registered_facility=command.check_registered_facility,
            ),
            face,
        )

    async def verify_scan(self, command: VerifyScan) -> CheckInResult:
        """A token when it carries one of our prefixes; the chip ID card's QR when its first field is
        a 12-digit number and it does not end in `$`; the BHYT QR when it is otherwise
        pipe-separated; any other text is judged as a token and so refused with the token's reason
        (e.g. T08)."""
        station = command.station.validated(self._facilities)
        face = FaceResult.judged(self._faces, command.face_match, station.facility_id)
        at = self._clock()
        text, registered = command.scanned, command.check_registered_facility
        if self._tokens.looks_like_token(text) or "|" not in text:
            check_in = await self._scanned_token(command, station, at)
        elif looks_like_cccd_qr(text):
            check_in = CheckIn(scanned_cccd_qr(text), station, at, registered)
        else:
            check_in = CheckIn(scanned_legacy_qr(text), station, at, registered)
        if face is not None:
            check_in = replace(check_in, presented=face.applied_to(check_in.presented))
        return await self._run(check_in, face)

    async def _run(self, check_in: CheckIn, face: FaceResult | None) -> CheckInResult:
        """The pipeline, with the face result (if any) appended ahead of the check-in."""
        return await self._pipeline.run(check_in, before=facts_before(face, check_in))

    async def _scanned_token(self, command: VerifyScan, station: Station, at: datetime) -> CheckIn:
        """A token's own checks (signature, key, times, then where it was first shown), before its
        card is judged against the projection: it may have been revoked, replaced or reduced since
        the token was issued."""
        check_in_id = new_event_id()
        started = time.perf_counter()
        report = self._tokens.verify(command.scanned, at)
        metrics.TOKEN_VERIFY.observe(time.perf_counter() - started)
        first = None
        replay_unchecked = False
        if report.signature_valid and report.card is not None and not report.errors:
            first, replay_unchecked = await self._first_presentation(report, check_in_id, station, at)
        replayed = first is not None and (first.facility_id, first.kiosk_id) != (
            station.facility_id,
            station.kiosk_id,
        )
        presented = scanned_token(report, replayed=replayed, replay_unchecked=replay_unchecked)
        outcome = TokenOutcome(report, first if replayed else None)
        return CheckIn(
            presented,
            station,
            at,
            command.check_registered_facility,
            check_in_id,
            Evidence(token=outcome),
        )

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

    async def issue_card_token(
        self, *, card_number: str = "", social_insurance_number: str = "", personal_id: str = ""
    ) -> IssuedToken:
        """A fresh token for the app's card display; the card data comes from the projection."""
        sin = await self._resolve(card_number, social_insurance_number, personal_id)
        participant = await self._read_model.participant(sin) if sin else None
        if participant is None:
            raise NotFound("no participant with this number")
        if participant.status is Status.ERASED:
            raise NotFound(
                "K04 thông tin cá nhân đã được xoá, không thể hiển thị thẻ "
                "(personal data erased: there is no card to display)"
            )
        card = CardClaims(
            card_number=participant.card_number,
            full_name=participant.full_name,
            date_of_birth=birth_date_text(participant.date_of_birth, participant.birth_year_only),
            gender=participant.gender.value,
            registered_facility=participant.registered_facility,
            valid_from=participant.valid_from.isoformat(),
            valid_to=iso_or_empty(participant.valid_to),
            five_years_from=participant.five_years_from.isoformat() if participant.five_years_from else "",
        )
        token = self._tokens.issue(card, self._clock())
        if token is None:
            raise NotConfigured("no usable signing key: configure BHYT_TOKEN_KEYS_DIR (see README)")
        return token

    async def enroll(self, participant: Participation) -> tuple[str, Recorded]:
        self._facilities.require(participant.registered_facility)
        fact = ParticipantEnrolled(participant=participant, at=self._clock())
        return fact.event_id, await self._log.append(fact)

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


# ---- The parsers: each way in, turned into what the pipeline judges ------------------------------


def typed_card(command: VerifyCard) -> Presented:
    """A typed card number (15 or 10 characters), or a 12-digit CCCD number found through the index."""
    if command.personal_id and not command.card_number:
        pid = command.personal_id.strip()
        if not _PERSONAL_ID.fullmatch(pid):
            raise BadRequest("personal_id: a CCCD number has 12 digits")
        lookup = CardLookup(personal_id=pid)
        return Presented(Credential.CARD_NUMBER, pid, unknown_card_subject(pid), lookup, command.claim)
    text = normalise(command.card_number)
    lookup = CardLookup(number=card_or_problem(text))
    return Presented(Credential.CARD_NUMBER, text, unknown_card_subject(text), lookup, command.claim)


def printed_claim(name: str, born: date, gender: Gender, *, year_only: bool) -> IdentityClaim:
    """What a printed QR says of its holder, checked against the record: a year-only birth date
    compares by year."""
    return IdentityClaim(
        full_name=name,
        birth_year=born.year if year_only else None,
        date_of_birth=None if year_only else born,
        gender=gender,
    )


def scanned_legacy_qr(scanned: str) -> Presented:
    """The paper card's QR: unsigned, so it proves nothing by itself (no provisional pass)."""
    try:
        qr = parse_legacy_qr(scanned)
    except LegacyQrProblem as problem:
        return Presented(
            Credential.LEGACY_QR, "", UNREADABLE_QR_SUBJECT, problems=(problem.code,), detail=str(problem)
        )
    claim = printed_claim(qr.name, qr.date_of_birth, qr.gender, year_only=qr.birth_year_only)
    lookup = CardLookup(number=card_or_problem(qr.number))
    return Presented(Credential.LEGACY_QR, qr.number, unknown_card_subject(qr.number), lookup, claim)


def scanned_cccd_qr(scanned: str) -> Presented:
    """The chip ID card's printed QR: unsigned plain text, so it is judged like a typed CCCD number
    (found through the CCCD index; an unknown number is 050) with the name, birth date and gender it
    carries checked against the record (060/061/070/080). A malformed one is Q01, naming nobody."""
    try:
        qr = parse_cccd_qr(scanned)
    except CccdQrProblem as problem:
        return Presented(
            Credential.CCCD_QR, "", UNREADABLE_QR_SUBJECT, problems=(problem.code,), detail=str(problem)
        )
    claim = printed_claim(qr.name, qr.date_of_birth, qr.gender, year_only=qr.birth_year_only)
    lookup = CardLookup(personal_id=qr.personal_id)
    return Presented(
        Credential.CCCD_QR,
        qr.personal_id,
        unknown_card_subject(qr.personal_id),
        lookup,
        claim,
        assurance=Assurance.UNAUTHENTICATED,
    )


def scanned_token(report: TokenReport, *, replayed: bool, replay_unchecked: bool) -> Presented:
    """A digital card token, verified: a token whose signature does not hold names nobody; a genuine
    one names its card, judged with the token's own problems (expired, replayed elsewhere, ...)."""
    card = report.card if report.signature_valid else None
    assurance = Assurance.SIGNED_TOKEN if report.valid else Assurance.UNAUTHENTICATED
    if card is None:
        problems = tuple(report.errors) or ("T01",)
        return Presented(
            Credential.DIGITAL_TOKEN,
            "",
            UNVERIFIED_TOKEN_SUBJECT,
            problems=problems,
            detail=report.detail,
            assurance=assurance,
        )
    # A replay check not made never hides a card verdict: a revoked card stays rejected.
    extra = (REPLAYED,) * replayed + (REPLAY_UNCHECKED,) * replay_unchecked
    claim = IdentityClaim.parse(
        full_name=card.full_name, date_of_birth=card.date_of_birth, gender=Gender(card.gender or "")
    )
    return Presented(
        Credential.DIGITAL_TOKEN,
        card.card_number,
        card.social_insurance_number,
        CardLookup(number=card_or_problem(card.card_number)),
        claim,
        problems=(*report.errors, *extra),
        detail=report.detail,
        assurance=assurance,
        authentic=True,  # the signature proves the card genuine: provisional if Redis is down
    )
