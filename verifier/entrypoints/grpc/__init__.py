"""The gRPC entry point: one servicer module per service of `proto/bhyt/v1/api.proto`, each thin
(parse the request, call the use case, map the answer); `mappers` is what they share, among it the
one place errors become statuses; `server` builds the server with health, reflection and mTLS."""

from verifier.entrypoints.grpc.accounts import AccountsServicer
from verifier.entrypoints.grpc.cards import CardsServicer
from verifier.entrypoints.grpc.checkin import CheckInServicer
from verifier.entrypoints.grpc.diagnostics import DiagnosticsServicer
from verifier.entrypoints.grpc.monitoring import MonitoringServicer
from verifier.entrypoints.grpc.participation import ParticipationServicer
from verifier.entrypoints.grpc.server import SERVICE_NAMES, ServerTls, create_server
from verifier.entrypoints.grpc.token_keys import TokenKeysServicer

__all__ = [
    "SERVICE_NAMES",
    "AccountsServicer",
    "CardsServicer",
    "CheckInServicer",
    "DiagnosticsServicer",
    "MonitoringServicer",
    "ParticipationServicer",
    "ServerTls",
    "TokenKeysServicer",
    "create_server",
]
