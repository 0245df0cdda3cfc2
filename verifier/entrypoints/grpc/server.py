"""The gRPC server: our services plus the standard health and reflection services."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc
from bhyt.v1 import api_pb2, api_pb2_grpc
from cryptography import x509
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from verifier.adapters.callers import Authorization, Callers, CertifiedStations, Revocations, StationResolver
from verifier.entrypoints.grpc.accounts import AccountsServicer
from verifier.entrypoints.grpc.cards import CardsServicer
from verifier.entrypoints.grpc.checkin import CheckInServicer
from verifier.entrypoints.grpc.diagnostics import DiagnosticsServicer
from verifier.entrypoints.grpc.monitoring import MonitoringServicer
from verifier.entrypoints.grpc.participation import ParticipationServicer
from verifier.entrypoints.grpc.token_keys import TokenKeysServicer
from verifier.service.accounts import AccountService
from verifier.service.checkin import CheckInService
from verifier.service.chip import ChipCheckIn
from verifier.service.keys import KeyAdmin
from verifier.service.lifecycle import CardLifecycle
from verifier.service.monitoring import MonitoringService
from verifier.settings import Settings

MAX_MESSAGE_BYTES = 1 << 20  # a chip read with a face image fits; anything larger is refused by grpc

SERVICE_NAMES = tuple(
    api_pb2.DESCRIPTOR.services_by_name[name].full_name
    for name in ("CheckIn", "Cards", "Participation", "TokenKeys", "Monitoring", "Diagnostics", "Accounts")
)


@dataclass(frozen=True)
class ServerTls:
    """What mTLS needs: our certificate chain and key, the client CA (PEM), and its CRL file."""

    certificate_chain: bytes
    private_key: bytes
    client_ca: bytes
    crl_file: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerTls | None:
        """None in development plaintext mode; ValueError naming the setting that is missing or bad."""
        if settings.insecure_plaintext:
            return None
        names = {
            "BHYT_TLS_CERT_FILE": settings.tls_cert_file,
            "BHYT_TLS_KEY_FILE": settings.tls_key_file,
            "BHYT_TLS_CLIENT_CA_FILE": settings.tls_client_ca_file,
        }
        missing = [name for name, value in names.items() if not value]
        if missing:
            raise ValueError(
                f"no TLS configured ({', '.join(missing)} not set): every gRPC client must use mTLS. "
                "`python -m infra.local.pki` creates local certificates; BHYT_INSECURE_PLAINTEXT=1 "
                "serves plaintext, for development only"
            )
        files = {}
        for name, value in names.items():
            try:
                files[name] = Path(value).read_bytes()
            except OSError as e:
                raise ValueError(f"TLS: {name}={value}: {e.strerror}") from e
        try:
            x509.load_pem_x509_certificates(files["BHYT_TLS_CLIENT_CA_FILE"])
        except ValueError as e:
            ca_file = settings.tls_client_ca_file
            raise ValueError(f"TLS: BHYT_TLS_CLIENT_CA_FILE={ca_file}: not PEM certificates") from e
        tls = cls(
            files["BHYT_TLS_CERT_FILE"],
            files["BHYT_TLS_KEY_FILE"],
            files["BHYT_TLS_CLIENT_CA_FILE"],
            Path(settings.tls_crl_file) if settings.tls_crl_file else None,
        )
        tls.callers()  # refuses now, at start-up, a configured CRL that cannot be trusted
        return tls

    def callers(self) -> Callers:
        """ValueError when the configured CRL exists but cannot be trusted (see Revocations)."""
        return Callers(Revocations(self.crl_file, x509.load_pem_x509_certificates(self.client_ca)))


def create_server(
    service: CheckInService,
    key_admin: KeyAdmin,
    chip: ChipCheckIn,
    address: str = "127.0.0.1:0",
    *,
    health_servicer: health.aio.HealthServicer | None = None,
    monitoring: MonitoringService | None = None,
    lifecycle: CardLifecycle | None = None,
    accounts: AccountService | None = None,
    reuse_port: bool = False,
    tls: ServerTls | None = None,
) -> tuple[grpc.aio.Server, int]:
    """Build (not start) the server bound to `address`; port 0 picks a free one, returned here.

    `reuse_port`: several server processes share the port (SO_REUSEPORT); otherwise a second
    server on a busy port fails to start instead of silently sharing it.
    `tls`: mTLS with authorization by certificate; None serves plaintext (development only)."""
    callers = tls.callers() if tls else None
    stations = CertifiedStations(callers, service.facilities) if callers else StationResolver()
    server = grpc.aio.server(
        interceptors=[Authorization(callers)] if callers else None,
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", int(reuse_port)),
        ],
    )
    api_pb2_grpc.add_CheckInServicer_to_server(CheckInServicer(service, chip, stations), server)
    api_pb2_grpc.add_CardsServicer_to_server(CardsServicer(service), server)
    api_pb2_grpc.add_ParticipationServicer_to_server(ParticipationServicer(service, lifecycle), server)
    api_pb2_grpc.add_TokenKeysServicer_to_server(TokenKeysServicer(key_admin), server)
    api_pb2_grpc.add_DiagnosticsServicer_to_server(DiagnosticsServicer(), server)
    api_pb2_grpc.add_AccountsServicer_to_server(AccountsServicer(accounts), server)
    if monitoring is not None:  # always in `start_verifier`; tests of the other services may leave it out
        api_pb2_grpc.add_MonitoringServicer_to_server(MonitoringServicer(monitoring), server)
    health_servicer = health_servicer or health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
        server,
    )
    if tls is None:
        port = server.add_insecure_port(address)
    else:
        credentials = grpc.ssl_server_credentials(
            [(tls.private_key, tls.certificate_chain)],
            root_certificates=tls.client_ca,
            require_client_auth=True,
        )
        port = server.add_secure_port(address, credentials)
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    return server, port
