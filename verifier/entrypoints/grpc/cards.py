"""bhyt.v1.Cards: the mobile app's card display (a signed card token) and a card's status."""

from __future__ import annotations

import grpc
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc

from verifier.adapters.qr_png import qr_png
from verifier.domain.participation import Gender
from verifier.domain.usage import Usage
from verifier.entrypoints.grpc.mappers import answers_errors, participant_summary
from verifier.events.envelopes import GENDER_TO_PB, timestamp
from verifier.service.checkin import CardStatusView, CheckInService
from verifier.tokens.card_token import IssuedToken


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
        return card_status(view)

    @answers_errors
    async def IssueCardToken(
        self, request: api.IssueCardTokenRequest, context: grpc.aio.ServicerContext
    ) -> api.CardToken:
        token = await self._service.issue_card_token(
            card_number=request.card_number,
            social_insurance_number=request.social_insurance_number,
            personal_id=request.personal_id,
        )
        return card_token(token, with_qr_png=request.with_qr_png)


def card_status(view: CardStatusView | None) -> api.CardStatus:
    if view is None:
        return api.CardStatus(found=False)
    return api.CardStatus(
        found=True,
        coverage=view.coverage.value,
        participant=participant_summary(view.participant),
        usage=card_usage(view.usage),
    )


def card_usage(u: Usage) -> api.CardUsage:
    return api.CardUsage(
        check_ins_today=u.check_ins_today,
        check_ins_total=u.check_ins_total,
        accepted_total=u.accepted_total,
        last_facility_id=u.last_facility_id,
        last_check_in_at=timestamp(u.last_check_in_at),
        recent=[
            api.UsageEntry(
                check_in_id=e.check_in_id,
                facility_id=e.facility_id,
                kiosk_id=e.kiosk_id,
                result_code=e.result_code,
                at=timestamp(e.at),
            )
            for e in u.recent
        ],
    )


def card_token(token: IssuedToken, *, with_qr_png: bool) -> api.CardToken:
    c = token.card
    return api.CardToken(
        token=token.text,
        token_id=token.token_id,
        kid=token.kid,
        alg=token.alg,
        issued_at=timestamp(token.issued_at),
        expires_at=timestamp(token.expires_at),
        card=api.CardDisplay(
            card_number=c.card_number,
            full_name=c.full_name,
            date_of_birth=c.date_of_birth,
            gender=GENDER_TO_PB[Gender(c.gender)],
            registered_facility=c.registered_facility,
            valid_from=c.valid_from,
            valid_to=c.valid_to,
            five_years_from=c.five_years_from,
        ),
        qr_png=qr_png(token.text) if with_qr_png else b"",
    )
