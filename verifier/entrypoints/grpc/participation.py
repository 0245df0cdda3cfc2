"""bhyt.v1.Participation: enrolment, recorded as an event."""

from __future__ import annotations

import grpc
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc

from verifier.domain.enrollment import new_participation
from verifier.domain.participation import Gender
from verifier.entrypoints.grpc.mappers import answers_errors
from verifier.events.envelopes import GENDER_FROM_PB
from verifier.service.checkin import CheckInService


class ParticipationServicer(api_grpc.ParticipationServicer):
    def __init__(self, service: CheckInService) -> None:
        self._service = service

    @answers_errors
    async def EnrollParticipant(
        self, request: api.EnrollParticipantRequest, context: grpc.aio.ServicerContext
    ) -> api.EventRecorded:
        participant = new_participation(
            social_insurance_number=request.social_insurance_number,
            card_number=request.card_number,
            full_name=request.full_name,
            date_of_birth=request.date_of_birth,
            gender=GENDER_FROM_PB.get(request.gender, Gender.UNSPECIFIED),
            registered_facility=request.registered_facility,
            valid_from=request.valid_from,
            valid_to=request.valid_to,
            personal_id=request.personal_id,
            five_years_from=request.five_years_from,
        )
        event_id, where = await self._service.enroll(participant)
        return api.EventRecorded(
            event_id=event_id, topic=where.topic, partition=where.partition, offset=where.offset
        )
