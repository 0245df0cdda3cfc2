"""What every servicer shares: the one place errors become statuses, and the participant summary.

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

from verifier.adapters.request_limits import check_request
from verifier.domain.calendar import iso_or_empty
from verifier.domain.groups import group_name_vi
from verifier.domain.participation import Participation
from verifier.errors import VerifierError

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
    """A participant as a check-in decision and a card status show it."""
    return api.ParticipantSummary(
        social_insurance_number=p.social_insurance_number,
        card_number=p.card_number,
        full_name=p.full_name,
        group_code=p.group_code,
        benefit_level=p.benefit_level,
        province_code=p.province_code,
        registered_facility=p.registered_facility,
        valid_from=p.valid_from.isoformat(),
        valid_to=iso_or_empty(p.valid_to),
        five_years_from=p.five_years_from.isoformat() if p.five_years_from else "",
        personal_id=p.personal_id,
        status=p.status.value,
        reduction_code=p.reduction_code,
        group_name_vi=group_name_vi(p.group_code),
        previous_cards=[
            api.PreviousCard(
                card_number=c.card_number,
                valid_from=c.valid_from.isoformat(),
                valid_to=iso_or_empty(c.valid_to),
            )
            for c in p.previous_cards
        ],
    )
