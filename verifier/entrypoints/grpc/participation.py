"""bhyt.v1.Participation: enrolment and the card lifecycle commands for VSS staff, each recorded
as an event. Thin: request -> domain command -> use case -> where the event is."""

from __future__ import annotations

import grpc
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc

from verifier.domain import lifecycle as commands
from verifier.domain.enrollment import new_participation
from verifier.domain.participation import Gender
from verifier.entrypoints.grpc.mappers import answers_errors
from verifier.errors import NotConfigured
from verifier.events.envelopes import GENDER_FROM_PB
from verifier.service.checkin import CheckInService
from verifier.service.lifecycle import CardLifecycle


class ParticipationServicer(api_grpc.ParticipationServicer):
    def __init__(self, service: CheckInService, lifecycle: CardLifecycle | None = None) -> None:
        self._service = service
        self._lifecycle = lifecycle

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

    @answers_errors
    async def ReplaceCard(
        self, request: api.ReplaceCardRequest, context: grpc.aio.ServicerContext
    ) -> api.EventRecorded:
        command = commands.ReplaceCard(
            old_card_number=request.old_card_number,
            new_card_number=request.new_card_number,
            valid_from=request.valid_from,
            valid_to=request.valid_to,
            registered_facility=request.registered_facility,
        )
        return await self._record(command, request.client_request_id)

    @answers_errors
    async def ExtendCoverage(
        self, request: api.ExtendCoverageRequest, context: grpc.aio.ServicerContext
    ) -> api.EventRecorded:
        command = commands.ExtendCoverage(card_number=request.card_number, valid_to=request.valid_to)
        return await self._record(command, request.client_request_id)

    @answers_errors
    async def ReduceParticipation(
        self, request: api.ReduceParticipationRequest, context: grpc.aio.ServicerContext
    ) -> api.EventRecorded:
        command = commands.ReduceParticipation(
            card_number=request.card_number, reason=request.reason, effective_on=request.effective_on
        )
        return await self._record(command, request.client_request_id)

    @answers_errors
    async def RevokeCard(
        self, request: api.RevokeCardRequest, context: grpc.aio.ServicerContext
    ) -> api.EventRecorded:
        command = commands.RevokeCard(card_number=request.card_number, reason=request.reason)
        return await self._record(command, request.client_request_id)

    @answers_errors
    async def ReportCardLost(
        self, request: api.ReportCardLostRequest, context: grpc.aio.ServicerContext
    ) -> api.EventRecorded:
        command = commands.ReportCardLost(card_number=request.card_number, reported_on=request.reported_on)
        return await self._record(command, request.client_request_id)

    @answers_errors
    async def ChangeRegisteredFacility(
        self, request: api.ChangeRegisteredFacilityRequest, context: grpc.aio.ServicerContext
    ) -> api.EventRecorded:
        command = commands.ChangeRegisteredFacility(
            card_number=request.card_number,
            registered_facility=request.registered_facility,
            effective_on=request.effective_on,
        )
        return await self._record(command, request.client_request_id)

    @answers_errors
    async def CorrectPersonDetails(
        self, request: api.CorrectPersonDetailsRequest, context: grpc.aio.ServicerContext
    ) -> api.EventRecorded:
        command = commands.CorrectPersonDetails(
            card_number=request.card_number,
            full_name=request.full_name,
            date_of_birth=request.date_of_birth,
            gender=GENDER_FROM_PB.get(request.gender, Gender.UNSPECIFIED),
            reason=request.reason,
        )
        return await self._record(command, request.client_request_id)

    @answers_errors
    async def ErasePerson(
        self, request: api.ErasePersonRequest, context: grpc.aio.ServicerContext
    ) -> api.EventRecorded:
        command = commands.ErasePerson(
            card_number=request.card_number, reason=request.reason, erased_by=request.erased_by
        )
        return await self._record(command, request.client_request_id)

    async def _record(self, command: commands.Command, client_request_id: str) -> api.EventRecorded:
        if self._lifecycle is None:
            raise NotConfigured("card lifecycle commands are not served by this verifier")
        answer = await self._lifecycle.handle(command, client_request_id=client_request_id)
        where = answer.recorded
        return api.EventRecorded(
            event_id=answer.event_id, topic=where.topic, partition=where.partition, offset=where.offset
        )
