"""Check-in with the chip citizen ID: prove the chip read genuine, find the person's insurance,
apply the face match, record, answer.

The ICAO 9303 work is the pure `verifier.chip` core; this module adds the session (a single-use
challenge for active authentication), the link from the 12-digit personal id to the participant,
the facility's face-match policy, and the events. Verification is CPU work (RSA, ECDSA, hashing),
so it runs in a thread and never stalls the event loop that serves other kiosks.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from verifier.adapters import events
from verifier.adapters.read_model import unknown_card_subject
from verifier.chip import ActiveAuthInput, Check, ChipReport, CscaTrustStore, verify_chip
from verifier.chip.codes import ACTIVE_AUTH_FAILED
from verifier.domain.calendar import vietnam_date
from verifier.domain.card_number import CardNumber, CardNumberProblem
from verifier.domain.credentials import Assurance, Credential
from verifier.domain.face_match import FaceJudgement, FaceMatchReport, FacePolicy
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.identity import IdentityClaim
from verifier.domain.participation import Gender, Participation
from verifier.domain.station import Station, validate_place
from verifier.domain.verdicts import CardCheck, Decision, judge_card, with_credential_problems
from verifier.errors import BadRequest, ReadModelUnavailable
from verifier.ports import ChallengeStore, ChipSession, EventLog, ReadModel
from verifier.service import CheckInResult, Clock

log = logging.getLogger(__name__)

MAX_EF_BYTES = 256 * 1024  # a DG2 face image is tens of kilobytes; EF.SOD a few


@dataclass(frozen=True)
class Challenge:
    session_id: str
    challenge: bytes
    expires_at: datetime


@dataclass(frozen=True)
class VerifyChip:
    station: Station
    sod: bytes
    data_groups: Mapping[int, bytes]
    session_id: str = ""
    active_auth_signature: bytes = b""
    face_match: FaceMatchReport | None = None
    check_registered_facility: bool = False


class ChipCheckIn:
    def __init__(
        self,
        *,
        read_model: ReadModel,
        event_log: EventLog,
        facilities: FacilityRegistry,
        challenges: ChallengeStore,
        trust: CscaTrustStore,
        face_policy: FacePolicy,
        clock: Clock,
        producer_name: str,
        challenge_ttl: timedelta = timedelta(minutes=2),
        require_crl: bool = False,
    ) -> None:
        self._read_model = read_model
        self._log = event_log
        self._facilities = facilities
        self._challenges = challenges
        self._trust = trust
        self._faces = face_policy
        self._clock = clock
        self._producer = producer_name
        self._challenge_ttl = challenge_ttl
        self._require_crl = require_crl

    async def begin(self, facility_id: str, kiosk_id: str) -> Challenge:
        facility = validate_place(self._facilities, facility_id, kiosk_id)
        session_id, challenge = uuid.uuid4().hex, os.urandom(8)
        ttl = int(self._challenge_ttl.total_seconds())
        await self._challenges.put(session_id, ChipSession(challenge, facility, kiosk_id), ttl)
        return Challenge(session_id, challenge, self._clock() + self._challenge_ttl)

    async def verify(self, command: VerifyChip) -> CheckInResult:
        station = command.station.validated(self._facilities)
        facility = station.facility_id
        _check_sizes(command)
        if command.face_match is not None and (problem := command.face_match.problem()):
            raise BadRequest(problem)
        at = self._clock()
        session_problem, active_input = await self._active_auth_input(command, station)
        anchors = self._trust.anchors
        report: ChipReport = await asyncio.get_running_loop().run_in_executor(
            None,
            lambda: verify_chip(
                command.sod,
                command.data_groups,
                anchors,
                at,
                require_crl=self._require_crl,
                active_auth=active_input,
            ),
        )
        session_codes = [session_problem.code] if session_problem and session_problem.code else []
        problems = list(dict.fromkeys([*report.errors, *session_codes]))
        failed = [c.name for c in report.checks if not c.passed and c.code]
        if session_problem is not None:
            failed.append(session_problem.name)
        personal_id = _personal_id(report)
        # A read that fails authentication names nobody: a forged DG13 must not put its check-in
        # or its face mismatch on a real person's record.
        linkable = bool(personal_id) and not problems
        try:
            participant = await self._participant(personal_id) if linkable else None
        except ReadModelUnavailable as e:
            # Degraded mode: passive authentication proved the read genuine; coverage is unconfirmed.
            log.warning("participation projection unreachable, provisional chip verdict: %s", e)
            participant, card_decision = None, Decision.provisional()
        else:
            presented: CardNumber | CardNumberProblem = (
                CardNumber(social_insurance_number=participant.social_insurance_number)
                if participant is not None
                else CardNumberProblem("050", "no participant holds this personal id")
            )
            card_decision = judge_card(
                CardCheck(
                    presented,
                    participant,
                    vietnam_date(at),
                    claim=_claim(report),
                    facility_to_match=facility if command.check_registered_facility else "",
                )
            )
        face: FaceJudgement | None = None
        if command.face_match is not None:
            face = self._faces.judge(command.face_match, facility)
        face_codes = list(face.codes) if face else []
        # A read that is not genuine proves nothing it says: its card verdict is not given.
        decision = with_credential_problems([*problems, *face_codes], None if problems else card_decision)
        check_in_id = str(uuid.uuid4())
        key = (
            participant.social_insurance_number
            if participant
            else unknown_card_subject(personal_id or "unreadable-chip")
        )
        if command.face_match is not None and face is not None:
            await self._log.append(
                events.face_match_recorded(
                    command.face_match,
                    face,
                    key=key,
                    check_in_id=check_in_id,
                    social_insurance_number=participant.social_insurance_number if participant else "",
                    personal_id=personal_id,
                    facility_id=facility,
                    kiosk_id=station.kiosk_id,
                    at=at,
                    producer=self._producer,
                )
            )
        assurance = _assurance(report, active_input is not None and session_problem is None)
        await self._log.append(
            events.check_in_verified(
                decision,
                key=key,
                presented_number=personal_id,
                station=station,
                at=at,
                producer=self._producer,
                event_id=check_in_id,
                credential=Credential.CHIP_ID,
                assurance=assurance,
                chip_failed_checks=failed,
                check_registered_facility=command.check_registered_facility,
            )
        )
        checks = (*report.checks, *((session_problem,) if session_problem else ()))
        return CheckInResult(check_in_id, decision, at, Credential.CHIP_ID, assurance, chip_checks=checks)

    async def _participant(self, personal_id: str) -> Participation | None:
        sin = await self._read_model.social_insurance_number_for(personal_id)
        if sin is None:
            return None
        participant = await self._read_model.participant(sin)
        if participant is not None and participant.personal_id != personal_id:
            return None  # a stale index entry
        return participant

    async def _active_auth_input(
        self, command: VerifyChip, station: Station
    ) -> tuple[Check | None, ActiveAuthInput | None]:
        """The challenge of the kiosk's session, used up now; a session problem is a failed AA check.
        With Redis down the challenge cannot be read, so a signature sent cannot be checked: that is
        UNAVAILABLE (ReadModelUnavailable propagates), never a pass on passive authentication alone,
        which would let a cloned chip through. A kiosk that cannot start a session (BeginChipCheck is
        UNAVAILABLE too) reads the chip without active authentication and gets a provisional verdict."""
        if not command.active_auth_signature:
            return None, None
        clause = "ICAO 9303-11 §6.1"
        if not command.session_id:
            why = "no session_id: call BeginChipCheck first"
            return Check("aa_session", clause, False, ACTIVE_AUTH_FAILED, why), None
        session = await self._challenges.take(command.session_id)
        if session is None:
            why = "the challenge is unknown, already used or expired"
            return Check("aa_session", clause, False, ACTIVE_AUTH_FAILED, why), None
        if (session.facility_id, session.kiosk_id) != (station.facility_id, station.kiosk_id):
            why = "the challenge was issued to another kiosk"
            return Check("aa_session", clause, False, ACTIVE_AUTH_FAILED, why), None
        return None, ActiveAuthInput(session.challenge, command.active_auth_signature)


def _check_sizes(command: VerifyChip) -> None:
    if not command.sod:
        raise BadRequest("sod: EF.SOD is required")
    if len(command.sod) > MAX_EF_BYTES:
        raise BadRequest(f"sod: over {MAX_EF_BYTES} bytes")
    for number, data in command.data_groups.items():
        if not 1 <= number <= 16:
            raise BadRequest(f"data_groups: DG{number} does not exist (1-16)")
        if len(data) > MAX_EF_BYTES:
            raise BadRequest(f"data_groups: DG{number} is over {MAX_EF_BYTES} bytes")


def _personal_id(report: ChipReport) -> str:
    """The 12-digit number from DG13, else from the MRZ's optional field."""
    identity = report.identity
    if identity.cccd_number is not None:
        return identity.cccd_number.value
    if identity.personal_data is not None and identity.personal_data.cccd_number:
        return identity.personal_data.cccd_number
    return ""


def _claim(report: ChipReport) -> IdentityClaim:
    """What the chip says about the holder, checked against the insurance record (060/070/080)."""
    data = report.identity.personal_data
    if data is None:
        return IdentityClaim()
    gender = {"nam": Gender.MALE, "nữ": Gender.FEMALE, "nu": Gender.FEMALE}.get(
        (data.gender_text or "").strip().casefold(), Gender.UNSPECIFIED
    )
    return IdentityClaim(full_name=data.full_name or "", date_of_birth=data.date_of_birth, gender=gender)


def _assurance(report: ChipReport, active_attempted: bool) -> Assurance:
    if not report.passive.valid:
        return Assurance.UNAUTHENTICATED
    if active_attempted and report.active is not None and report.active.passed:
        return Assurance.CHIP_ACTIVE
    return Assurance.CHIP_PASSIVE
