"""bhyt.v1.CheckIn: a kiosk's check-in by card number, by scanned code, or by the chip ID."""

from __future__ import annotations

import grpc
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc

from verifier.adapters.callers import StationResolver
from verifier.domain.calendar import iso_or_empty
from verifier.domain.face_match import CHIP_PHOTO, COMPARED_WITH_VALUES, FaceMatchReport
from verifier.domain.identity import IdentityClaim
from verifier.domain.participation import Gender
from verifier.domain.reasons import reason_text, reason_text_vi
from verifier.entrypoints.grpc.mappers import answers_errors, participant_summary
from verifier.errors import BadRequest
from verifier.events.envelopes import (
    ASSURANCE_TO_PB,
    CREDENTIAL_TO_PB,
    GENDER_FROM_PB,
    VERDICT_TO_PB,
    timestamp,
)
from verifier.service.checkin import CheckInService, VerifyCard, VerifyScan
from verifier.service.chip import ChipCheckIn, VerifyChip
from verifier.service.pipeline import CheckInResult


class CheckInServicer(api_grpc.CheckInServicer):
    def __init__(self, service: CheckInService, chip: ChipCheckIn, stations: StationResolver) -> None:
        self._service = service
        self._chip = chip
        self._stations = stations

    @answers_errors
    async def VerifyCard(
        self, request: api.VerifyCardRequest, context: grpc.aio.ServicerContext
    ) -> api.CheckInDecision:
        claim = IdentityClaim.parse(
            full_name=request.full_name,
            date_of_birth=request.date_of_birth,
            gender=GENDER_FROM_PB.get(request.gender, Gender.UNSPECIFIED),
        )
        command = VerifyCard(
            station=self._stations.station(context, request.facility_id, request.kiosk_id, request.staff_id),
            card_number=request.card_number,
            personal_id=request.personal_id,
            claim=claim,
            check_registered_facility=request.check_registered_facility,
            face_match=face_match(request),
        )
        return check_in_decision(await self._service.verify_card(command))

    @answers_errors
    async def VerifyScan(
        self, request: api.VerifyScanRequest, context: grpc.aio.ServicerContext
    ) -> api.CheckInDecision:
        command = VerifyScan(
            scanned=request.scanned,
            station=self._stations.station(context, request.facility_id, request.kiosk_id, request.staff_id),
            check_registered_facility=request.check_registered_facility,
            face_match=face_match(request),
        )
        return check_in_decision(await self._service.verify_scan(command))

    @answers_errors
    async def BeginChipCheck(
        self, request: api.BeginChipCheckRequest, context: grpc.aio.ServicerContext
    ) -> api.ChipChallenge:
        facility, kiosk = self._stations.place(context, request.facility_id, request.kiosk_id)
        started = await self._chip.begin(facility, kiosk)
        return api.ChipChallenge(
            session_id=started.session_id,
            challenge=started.challenge,
            expires_at=timestamp(started.expires_at),
        )

    @answers_errors
    async def VerifyChip(
        self, request: api.VerifyChipRequest, context: grpc.aio.ServicerContext
    ) -> api.CheckInDecision:
        command = VerifyChip(
            station=self._stations.station(context, request.facility_id, request.kiosk_id, request.staff_id),
            sod=request.sod,
            data_groups=dict(request.data_groups),
            session_id=request.session_id,
            active_auth_signature=request.active_auth_signature,
            face_match=face_match(request, compared_with_default=CHIP_PHOTO),
            check_registered_facility=request.check_registered_facility,
        )
        return check_in_decision(await self._chip.verify(command))


def face_match(
    request: api.VerifyCardRequest | api.VerifyScanRequest | api.VerifyChipRequest,
    *,
    compared_with_default: str = "",
) -> FaceMatchReport | None:
    """The optional face match as the domain reads it; the values are checked by the service
    (BadRequest naming the field). Only a chip read has a photo to default to (DG2): on the other
    paths the kiosk must say which photo the face was compared with."""
    if not request.HasField("face_match"):
        return None
    f = request.face_match
    compared_with = f.compared_with or compared_with_default
    if not compared_with:
        raise BadRequest(f"face_match.compared_with: required, one of {', '.join(COMPARED_WITH_VALUES)}")
    return FaceMatchReport(f.score, f.threshold, f.liveness or "not_checked", f.matcher, compared_with)


def check_in_decision(result: CheckInResult) -> api.CheckInDecision:
    d = result.decision
    detail_vi = d.detail_vi or d.detail
    token = None
    if result.token is not None:
        r, first = result.token.report, result.token.first
        token = api.TokenSummary(
            token_id=r.token_id,
            kid=r.kid,
            alg=r.alg,
            issued_at=timestamp(r.issued_at),
            expires_at=timestamp(r.expires_at),
            first_facility_id=first.facility_id if first else "",
            first_kiosk_id=first.kiosk_id if first else "",
        )
    return api.CheckInDecision(
        check_in_id=result.check_in_id,
        verdict=VERDICT_TO_PB[d.verdict],
        result_code=d.result_code,
        result_text=reason_text(d.result_code) + (f" ({d.detail})" if d.detail else ""),
        result_text_vi=reason_text_vi(d.result_code) + (f" ({detail_vi})" if detail_vi else ""),
        reasons=[api.Reason(code=c, text=reason_text(c), text_vi=reason_text_vi(c)) for c in d.reasons],
        participant=participant_summary(d.participant) if d.participant else None,
        decided_at=timestamp(result.decided_at),
        credential=CREDENTIAL_TO_PB[result.credential],
        assurance=ASSURANCE_TO_PB[result.assurance],
        token=token,
        chip_checks=[
            api.ChipCheck(name=c.name, status=c.status, code=c.code or "", clause=c.clause, detail=c.detail)
            for c in result.chip_checks
        ],
        new_card=api.NewCard(
            card_number=d.new_card.card_number,
            valid_from=d.new_card.valid_from.isoformat(),
            valid_to=iso_or_empty(d.new_card.valid_to),
            registered_facility=d.new_card.registered_facility,
        )
        if d.new_card
        else None,
        facility_route=d.facility_route.value if d.facility_route else "",
    )
