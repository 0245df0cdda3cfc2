"""gRPC servicers: protobuf <-> domain at the edge, and the one place errors become statuses.

A kiosk never sees a stack trace: VerifierError subclasses map to their declared status with a
clear message; anything unexpected is logged here and answered INTERNAL with a generic text.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import grpc
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc
from google.protobuf.timestamp_pb2 import Timestamp

from verifier.adapters.events import GENDER_FROM_PB, VERDICT_TO_PB
from verifier.domain.enrollment import new_participation
from verifier.domain.identity import IdentityClaim
from verifier.domain.participation import Gender, Participation
from verifier.domain.reasons import reason_text
from verifier.domain.usage import Usage
from verifier.errors import VerifierError
from verifier.service import CheckInService, VerifyCard

log = logging.getLogger(__name__)
Req = TypeVar("Req")
Resp = TypeVar("Resp")
Handler = Callable[[Any, Req, grpc.aio.ServicerContext], Awaitable[Resp]]


def answers_errors(handler: Handler[Req, Resp]) -> Handler[Req, Resp]:
    @functools.wraps(handler)
    async def wrapper(self: Any, request: Req, context: grpc.aio.ServicerContext) -> Resp:
        try:
            return await handler(self, request, context)
        except VerifierError as e:
            await context.abort(grpc.StatusCode[e.grpc_status], f"{e.code} {e}")
        except Exception:
            log.exception("unexpected error in %s", handler.__name__)
            await context.abort(grpc.StatusCode.INTERNAL, "500 internal error; it has been logged")
        raise AssertionError("unreachable: abort raises")

    return wrapper


def _timestamp(at: datetime | None) -> Timestamp | None:
    if at is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


def participant_summary(p: Participation) -> api.ParticipantSummary:
    return api.ParticipantSummary(
        social_insurance_number=p.social_insurance_number,
        card_number=p.card_number,
        full_name=p.full_name,
        group_code=p.group_code,
        benefit_level=p.benefit_level,
        province_code=p.province_code,
        registered_facility=p.registered_facility,
        valid_from=p.valid_from.isoformat(),
        valid_to=p.valid_to.isoformat(),
        five_years_from=p.five_years_from.isoformat() if p.five_years_from else "",
        personal_id=p.personal_id,
        status=p.status.value,
        reduction_code=p.reduction_code,
        previous_cards=[
            api.PreviousCard(
                card_number=c.card_number,
                valid_from=c.valid_from.isoformat(),
                valid_to=c.valid_to.isoformat(),
            )
            for c in p.previous_cards
        ],
    )


def card_usage(u: Usage) -> api.CardUsage:
    return api.CardUsage(
        check_ins_today=u.check_ins_today,
        check_ins_total=u.check_ins_total,
        accepted_total=u.accepted_total,
        last_facility_id=u.last_facility_id,
        last_check_in_at=_timestamp(u.last_check_in_at),
        recent=[
            api.UsageEntry(
                check_in_id=e.check_in_id,
                facility_id=e.facility_id,
                kiosk_id=e.kiosk_id,
                result_code=e.result_code,
                at=_timestamp(e.at),
            )
            for e in u.recent
        ],
    )


class CheckInServicer(api_grpc.CheckInServicer):
    def __init__(self, service: CheckInService) -> None:
        self._service = service

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
            facility_id=request.facility_id,
            kiosk_id=request.kiosk_id,
            card_number=request.card_number,
            personal_id=request.personal_id,
            claim=claim,
            check_registered_facility=request.check_registered_facility,
        )
        result = await self._service.verify_card(command)
        d = result.decision
        return api.CheckInDecision(
            check_in_id=result.check_in_id,
            verdict=VERDICT_TO_PB[d.verdict],
            result_code=d.result_code,
            result_text=reason_text(d.result_code) + (f" ({d.detail})" if d.detail else ""),
            reasons=[api.Reason(code=c, text=reason_text(c)) for c in d.reasons],
            participant=participant_summary(d.participant) if d.participant else None,
            decided_at=_timestamp(result.decided_at),
        )


class CardsServicer(api_grpc.CardsServicer):
    def __init__(self, service: CheckInService) -> None:
        self._service = service

    @answers_errors
    async def GetCardStatus(
        self, request: api.GetCardStatusRequest, context: grpc.aio.ServicerContext
    ) -> api.CardStatus:
        view = await self._service.card_status(
            card_number=request.card_number,
            social_insurance_number=request.social_insurance_number,
            personal_id=request.personal_id,
        )
        if view is None:
            return api.CardStatus(found=False)
        return api.CardStatus(
            found=True,
            coverage=view.coverage.value,
            participant=participant_summary(view.participant),
            usage=card_usage(view.usage),
        )


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
