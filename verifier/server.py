"""The gRPC server: our services plus the standard health and reflection services."""

from __future__ import annotations

import grpc
from bhyt.v1 import api_pb2, api_pb2_grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from verifier.adapters.grpc_api import (
    CardsServicer,
    CheckInServicer,
    DiagnosticsServicer,
    MonitoringServicer,
    ParticipationServicer,
    TokenKeysServicer,
)
from verifier.chip_checkin import ChipCheckIn
from verifier.key_admin import KeyAdmin
from verifier.monitoring import MonitoringService
from verifier.service import CheckInService

MAX_MESSAGE_BYTES = 1 << 20  # a chip read with a face image fits; anything larger is refused by grpc

SERVICE_NAMES = tuple(
    api_pb2.DESCRIPTOR.services_by_name[name].full_name
    for name in ("CheckIn", "Cards", "Participation", "TokenKeys", "Monitoring", "Diagnostics")
)


def create_server(
    service: CheckInService,
    key_admin: KeyAdmin,
    chip: ChipCheckIn,
    address: str = "127.0.0.1:0",
    *,
    health_servicer: health.aio.HealthServicer | None = None,
    monitoring: MonitoringService | None = None,
    reuse_port: bool = False,
) -> tuple[grpc.aio.Server, int]:
    """Build (not start) the server bound to `address`; port 0 picks a free one, returned here.

    `reuse_port`: several server processes share the port (SO_REUSEPORT); otherwise a second
    server on a busy port fails to start instead of silently sharing it."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", int(reuse_port)),
        ]
    )
    api_pb2_grpc.add_CheckInServicer_to_server(CheckInServicer(service, chip), server)
    api_pb2_grpc.add_CardsServicer_to_server(CardsServicer(service), server)
    api_pb2_grpc.add_ParticipationServicer_to_server(ParticipationServicer(service), server)
    api_pb2_grpc.add_TokenKeysServicer_to_server(TokenKeysServicer(key_admin), server)
    api_pb2_grpc.add_DiagnosticsServicer_to_server(DiagnosticsServicer(), server)
    if monitoring is not None:  # always in `start_verifier`; tests of the other services may leave it out
        api_pb2_grpc.add_MonitoringServicer_to_server(MonitoringServicer(monitoring), server)
    health_servicer = health_servicer or health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
        server,
    )
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    return server, port
