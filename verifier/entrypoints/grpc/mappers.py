"""What every servicer shares: the one place errors become statuses, and the participant summary.

A kiosk never sees a stack trace: VerifierError subclasses map to their declared status with a
clear message; anything unexpected is logged here and answered INTERNAL with a generic text.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, TypeVar

import grpc
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import events_pb2

from verifier import logs, metrics
from verifier.adapters.request_limits import check_request
from verifier.domain.calendar import iso_or_empty
from verifier.domain.groups import group_name_vi
from verifier.domain.participation import Participation
from verifier.errors import VerifierError

log = logging.getLogger(__name__)
# One line per answered request (method, status, verdict, code, time, and the check-in id in JSON
# lines): what follows a check-in from the kiosk's answer to the projection. Its own logger, so an
# operator can raise its level without silencing the rest.
access_log = logging.getLogger("verifier.access")
_VERDICTS = {v.number: v.name.removeprefix("VERDICT_") for v in events_pb2.Verdict.DESCRIPTOR.values}
Req = TypeVar("Req")
Resp = TypeVar("Resp")
Handler = Callable[[Any, Req, grpc.aio.ServicerContext], Awaitable[Resp]]
StreamHandler = Callable[[Any, Req, grpc.aio.ServicerContext], AsyncGenerator[Resp, None]]


def answers_errors(handler: Handler[Req, Resp]) -> Handler[Req, Resp]:
    """Every field within its size limit first (`request_limits`), then the handler; errors become
    statuses here and nowhere else."""

    method = rpc_method(handler)

    @functools.wraps(handler)
    async def wrapper(self: Any, request: Req, context: grpc.aio.ServicerContext) -> Resp:
        started = time.perf_counter()
        logs.method.set(method)
        try:
            check_request(request)  # type: ignore[arg-type]  # every request is a protobuf Message
            response = await handler(self, request, context)
        except VerifierError as e:
            _answered(method, e.grpc_status, started, result_code=e.code)
            await context.abort(grpc.StatusCode[e.grpc_status], f"{e.code} {e}")
        except Exception:
            log.exception("unexpected error in %s", handler.__name__)
            _answered(method, "INTERNAL", started)
            await context.abort(grpc.StatusCode.INTERNAL, "500 internal error; it has been logged")
        else:
            if isinstance(response, api.CheckInDecision):
                logs.check_in_id.set(response.check_in_id)
                _answered(method, "OK", started, _VERDICTS.get(response.verdict, ""), response.result_code)
            else:
                _answered(method, "OK", started)
            return response
        raise AssertionError("unreachable: abort raises")

    return wrapper


def rpc_method(handler: Callable[..., Any]) -> str:
    """ "CheckIn/VerifyCard" from `CheckInServicer.VerifyCard`: the label and the log field."""
    owner, _, name = handler.__qualname__.rpartition(".")
    return f"{owner.removesuffix('Servicer')}/{name}"


# The label children per answer kind, looked up once: `labels()` takes a lock and builds a key
# on every call, a cost paid on each check-in otherwise.
_series: dict[tuple[str, str, str, str], tuple[Any, Any]] = {}


def _answered(method: str, grpc_code: str, started: float, verdict: str = "", result_code: str = "") -> None:
    """Count and time one answer, and write its access line. A rejected card is OK with its verdict;
    an RPC error has no verdict, and its result code only when ours (e.g. 101 for UNAVAILABLE)."""
    seconds = time.perf_counter() - started
    key = (method, grpc_code, verdict, result_code)
    series = _series.get(key)
    if series is None:  # bounded: methods x statuses x verdicts x result codes
        series = _series[key] = (
            metrics.GRPC_REQUESTS.labels(*key),
            metrics.GRPC_DURATION.labels(method, grpc_code),
        )
    series[0].inc()
    series[1].observe(seconds)
    if access_log.isEnabledFor(logging.INFO):
        access_log.info(
            "%s %s %s %s %.1fms", method, grpc_code, verdict or "-", result_code or "-", seconds * 1000
        )


def streams_errors(handler: StreamHandler[Req, Resp]) -> StreamHandler[Req, Resp]:
    """`answers_errors` for a server-streaming handler (an async generator): an error before or
    between messages ends the stream with its status. A client cancelling the stream cancels the
    handler's task; `aclosing` then closes the handler at once, so what it holds (a feed
    subscription) is released now, not whenever the generator is garbage-collected."""

    method = rpc_method(handler)

    @functools.wraps(handler)
    async def wrapper(
        self: Any, request: Req, context: grpc.aio.ServicerContext
    ) -> AsyncGenerator[Resp, None]:
        started = time.perf_counter()
        logs.method.set(method)
        try:
            check_request(request)  # type: ignore[arg-type]  # every request is a protobuf Message
            async with contextlib.aclosing(handler(self, request, context)) as messages:
                async for message in messages:
                    yield message
        except VerifierError as e:
            _answered(method, e.grpc_status, started, result_code=e.code)
            await context.abort(grpc.StatusCode[e.grpc_status], f"{e.code} {e}")
        except Exception:
            log.exception("unexpected error in %s", handler.__name__)
            _answered(method, "INTERNAL", started)
            await context.abort(grpc.StatusCode.INTERNAL, "500 internal error; it has been logged")
        else:
            _answered(method, "OK", started)

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
