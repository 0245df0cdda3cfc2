"""gRPC servicers: protobuf <-> domain at the edge, and the one place errors become statuses.

A kiosk never sees a stack trace: VerifierError subclasses map to their declared status with a
clear message; anything unexpected is logged here and answered INTERNAL with a generic text.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, TypeVar

import grpc
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc

from verifier.adapters.callers import StationResolver
from verifier.adapters.qr_png import qr_png
from verifier.adapters.request_limits import check_request
from verifier.domain.enrollment import new_participation
from verifier.domain.face_match import FaceMatchReport
from verifier.domain.identity import IdentityClaim
from verifier.domain.participation import Gender, Participation
from verifier.domain.reasons import reason_text
from verifier.domain.usage import Usage
from verifier.errors import BadRequest, VerifierError
from verifier.events.envelopes import (
    ASSURANCE_TO_PB,
    CREDENTIAL_TO_PB,
    GENDER_FROM_PB,
    GENDER_TO_PB,
    VERDICT_TO_PB,
    timestamp,
)
from verifier.service.checkin import CheckInService, VerifyCard, VerifyScan
from verifier.service.chip import ChipCheckIn, VerifyChip
from verifier.service.keys import KeyAdmin
from verifier.service.monitoring import MonitoringService
from verifier.service.pipeline import CheckInResult
from verifier.tokens.authority import KeyView

log = logging.getLogger(__name__)
Req = TypeVar("Req")
Resp = TypeVar("Resp")
Handler = Callable[[Any, Req, grpc.aio.ServicerContext], Awaitable[Resp]]
StreamHandler = Callable[[Any, Req, grpc.aio.ServicerContext], AsyncGenerator[Resp, None]]


def answers_errors(handler: Handler[Req, Resp]) -> Handler[Req, Resp]:
    """Every field within its size limit first (`request_limits`), then the handler; errors become
    statuses here and nowhere else."""
    @functools.wraps(handler)
    async def wrapper(self: Any, request: Req, context: grpc.aio.ServicerContext) -> Resp:
        try:
            check_request(request)  # type: ignore[arg-type]  # every request is a protobuf Message
            return await handler(self, request, context)
        except VerifierError as e:
            await context.abort(grpc.StatusCode[e.grpc_status], f"{e.code} {e}")
        except Exception:
            log.exception("unexpected error in %s", handler.__name__)
            await context.abort(grpc.StatusCode.INTERNAL, "500 internal error; it has been logged")
        raise AssertionError("unreachable: abort raises")

    return wrapper


def streams_errors(handler: StreamHandler[Req, Resp]) -> StreamHandler[Req, Resp]:
    """`answers_errors` for a server-streaming handler (an async generator): an error before or
    between messages ends the stream with its status. A client cancelling the stream cancels the
    handler's task; `aclosing` then closes the handler at once, so what it holds (a feed
    subscription) is released now, not whenever the generator is garbage-collected."""

    @functools.wraps(handler)
    async def wrapper(
        self: Any, request: Req, context: grpc.aio.ServicerContext
    ) -> AsyncGenerator[Resp, None]:
        try:
            check_request(request)  # type: ignore[arg-type]  # every request is a protobuf Message
            async with contextlib.aclosing(handler(self, request, context)) as messages:
                async for message in messages:
                    yield message
        except VerifierError as e:
            await context.abort(grpc.StatusCode[e.grpc_status], f"{e.code} {e}")
        except Exception:
            log.exception("unexpected error in %s", handler.__name__)
            await context.abort(grpc.StatusCode.INTERNAL, "500 internal error; it has been logged")

    return wrapper


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
        face = None
        if request.HasField("face_match"):
            f = request.face_match
            face = FaceMatchReport(f.score, f.threshold, f.liveness or "not_checked", f.matcher)
        command = VerifyChip(
            station=self._stations.station(context, request.facility_id, request.kiosk_id, request.staff_id),
            sod=request.sod,
            data_groups=dict(request.data_groups),
            session_id=request.session_id,
            active_auth_signature=request.active_auth_signature,
            face_match=face,
            check_registered_facility=request.check_registered_facility,
        )
        return check_in_decision(await self._chip.verify(command))


def check_in_decision(result: CheckInResult) -> api.CheckInDecision:
    d = result.decision
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
        reasons=[api.Reason(code=c, text=reason_text(c)) for c in d.reasons],
        participant=participant_summary(d.participant) if d.participant else None,
        decided_at=timestamp(result.decided_at),
        credential=CREDENTIAL_TO_PB[result.credential],
        assurance=ASSURANCE_TO_PB[result.assurance],
        token=token,
        chip_checks=[
            api.ChipCheck(name=c.name, status=c.status, code=c.code or "", clause=c.clause, detail=c.detail)
            for c in result.chip_checks
        ],
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

    @answers_errors
    async def IssueCardToken(
        self, request: api.IssueCardTokenRequest, context: grpc.aio.ServicerContext
    ) -> api.CardToken:
        token = await self._service.issue_card_token(
            card_number=request.card_number,
            social_insurance_number=request.social_insurance_number,
            personal_id=request.personal_id,
        )
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
            qr_png=qr_png(token.text) if request.with_qr_png else b"",
        )


MAX_ECHO_BYTES = 1024


class DiagnosticsServicer(api_grpc.DiagnosticsServicer):
    """The benchmark baseline: the same server and error handling as a check-in, and no work."""

    @answers_errors
    async def Echo(self, request: api.EchoRequest, context: grpc.aio.ServicerContext) -> api.EchoReply:
        if len(request.payload) > MAX_ECHO_BYTES:
            raise BadRequest(f"payload is {len(request.payload)} bytes; at most {MAX_ECHO_BYTES}")
        return api.EchoReply(payload=request.payload)


class TokenKeysServicer(api_grpc.TokenKeysServicer):
    def __init__(self, admin: KeyAdmin) -> None:
        self._admin = admin

    @answers_errors
    async def ListSigningKeys(
        self, request: api.ListSigningKeysRequest, context: grpc.aio.ServicerContext
    ) -> api.SigningKeyList:
        return api.SigningKeyList(keys=[signing_key_info(v) for v in self._admin.signing_keys()])

    @answers_errors
    async def TrustSigningKey(
        self, request: api.TrustSigningKeyRequest, context: grpc.aio.ServicerContext
    ) -> api.SigningKeyInfo:
        return signing_key_info(await self._admin.trust(request.certificate, request.reason))

    @answers_errors
    async def RevokeSigningKey(
        self, request: api.RevokeSigningKeyRequest, context: grpc.aio.ServicerContext
    ) -> api.SigningKeyInfo:
        return signing_key_info(await self._admin.revoke(request.kid, request.reason))

    @answers_errors
    async def ReloadSigningKeys(
        self, request: api.ReloadSigningKeysRequest, context: grpc.aio.ServicerContext
    ) -> api.SigningKeyList:
        return api.SigningKeyList(keys=[signing_key_info(v) for v in self._admin.reload()])


def signing_key_info(view: KeyView) -> api.SigningKeyInfo:
    k = view.key
    return api.SigningKeyInfo(
        kid=k.kid_hex,
        subject=k.subject,
        alg=view.alg,
        not_before=timestamp(k.not_before),
        not_after=timestamp(k.not_after),
        revoked=view.revoked is not None,
        revocation_reason=view.revoked or "",
        issuing=view.issuing,
        source=k.source,
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


class MonitoringServicer(api_grpc.MonitoringServicer):
    def __init__(self, monitoring: MonitoringService) -> None:
        self._monitoring = monitoring

    @streams_errors
    async def WatchAlerts(
        self, request: api.WatchAlertsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncGenerator[api.AlertNotice, None]:
        async with contextlib.aclosing(
            self._monitoring.watch_alerts(request.filter, request.replay)
        ) as notices:
            async for notice in notices:
                yield notice

    @answers_errors
    async def ListAlerts(
        self, request: api.ListAlertsRequest, context: grpc.aio.ServicerContext
    ) -> api.AlertList:
        return api.AlertList(alerts=await self._monitoring.list_alerts(request.filter, request.limit))

    @answers_errors
    async def AcknowledgeAlert(
        self, request: api.AlertActionRequest, context: grpc.aio.ServicerContext
    ) -> api.AlertView:
        return await self._monitoring.acknowledge(request.alert_id, request.staff_id, request.note)

    @answers_errors
    async def CloseAlert(
        self, request: api.AlertActionRequest, context: grpc.aio.ServicerContext
    ) -> api.AlertView:
        return await self._monitoring.close(
            request.alert_id, request.staff_id, request.resolution, request.note
        )
