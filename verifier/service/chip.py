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
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from verifier import metrics
from verifier.chip import ActiveAuthInput, Check, ChipReport, CscaTrustStore, verify_chip
from verifier.chip.codes import ACTIVE_AUTH_FAILED
from verifier.domain.checkin import CardLookup, Presented, unknown_card_subject
from verifier.domain.credentials import Assurance, Credential
from verifier.domain.face_match import FaceMatchReport, FacePolicy
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.identity import IdentityClaim
from verifier.domain.participation import Gender
from verifier.domain.station import Station, validate_place
from verifier.errors import BadRequest
from verifier.ports import ChallengeStore, ChipSession, EventLog, ReadModel
from verifier.service.face import FaceResult, facts_before
from verifier.service.pipeline import CheckIn, CheckInPipeline, CheckInResult, Clock, Evidence

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
        challenge_ttl: timedelta = timedelta(minutes=2),
        require_crl: bool = False,
    ) -> None:
        self._pipeline = CheckInPipeline(read_model=read_model, event_log=event_log)
        self._facilities = facilities
        self._challenges = challenges
        self._trust = trust
        self._faces = face_policy
        self._clock = clock
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
        _check_sizes(command)
        face = FaceResult.judged(self._faces, command.face_match, station.facility_id)
        at = self._clock()
        session_problem, active_input = await self._active_auth_input(command, station)
        anchors = self._trust.anchors
        started = time.perf_counter()
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
        metrics.CHIP_VERIFY.observe(time.perf_counter() - started)
        presented = read_chip(report, session_problem, active_attempted=active_input is not None)
        if face is not None:
            presented = face.applied_to(presented)
        check_in = CheckIn(
            presented,
            station,
            at,
            command.check_registered_facility,
            evidence=Evidence(chip_checks=(*report.checks, *((session_problem,) if session_problem else ()))),
        )
        return await self._pipeline.run(check_in, before=facts_before(face, check_in))

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


def read_chip(report: ChipReport, session_problem: Check | None, *, active_attempted: bool) -> Presented:
    """A chip read, checked: its holder is found through the CCCD number it carries. A read that
    fails authentication names nobody (a forged DG13 must not put its check-in or its face
    mismatch on a real person's record) and proves nothing it says: no card verdict is given."""
    session_codes = [session_problem.code] if session_problem and session_problem.code else []
    problems = list(dict.fromkeys([*report.errors, *session_codes]))
    personal_id = _personal_id(report)
    lookup = None if problems else CardLookup(personal_id=personal_id)
    return Presented(
        Credential.CHIP_ID,
        personal_id,
        unknown_card_subject(personal_id or "unreadable-chip"),
        lookup,
        _claim(report),
        problems=tuple(problems),
        assurance=_assurance(report, active_attempted and session_problem is None),
        authentic=True,  # passive authentication proved the read genuine: provisional if Redis is down
    )


def _assurance(report: ChipReport, active_attempted: bool) -> Assurance:
    if not report.passive.valid:
        return Assurance.UNAUTHENTICATED
    if active_attempted and report.active is not None and report.active.passed:
        return Assurance.CHIP_ACTIVE
    return Assurance.CHIP_PASSIVE
