"""bhyt.v1.Monitoring: the misuse alerts staff watch, list, acknowledge and close."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator

import grpc
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc

from verifier.entrypoints.grpc.mappers import answers_errors, streams_errors
from verifier.service.monitoring import MonitoringService


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
