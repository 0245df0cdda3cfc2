"""Who is calling, from the client certificate TLS verified (mTLS), and what that caller may do.

The TLS handshake already refused a client without a certificate, with one our CA did not issue, or
with an expired one. What is left is ours: the role and the kiosk's facility written in the
certificate (see infra/local/pki.py), revocation (the CA's CRL, re-read when its file changes, so a
stolen kiosk is cut off without a restart), and the method-by-role policy below. The facility a
kiosk checks in for comes from here, never from the request body.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from verifier import logs
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.station import Station
from verifier.errors import PermissionDenied, Unauthenticated, VerifierError

log = logging.getLogger(__name__)

KIOSK, APP, MONITORING, ADMIN = "kiosk", "app", "monitoring", "admin"
ROLES = (KIOSK, APP, MONITORING, ADMIN)
ANY_ROLE = frozenset(ROLES)

# Who may call what: by service, with per-method exceptions. A service not listed is refused: a new
# service is closed until someone decides who may call it.
SERVICE_ROLES: dict[str, frozenset[str]] = {
    "bhyt.v1.CheckIn": frozenset({KIOSK}),
    "bhyt.v1.Cards": frozenset({APP}),
    "bhyt.v1.Monitoring": frozenset({MONITORING}),
    "bhyt.v1.Participation": frozenset({ADMIN}),
    "bhyt.v1.Accounts": frozenset({ADMIN}),
    "bhyt.v1.TokenKeys": frozenset({ADMIN}),
    "bhyt.v1.Diagnostics": ANY_ROLE,
}
METHOD_ROLES: dict[str, frozenset[str]] = {
    # Monitoring staff look up the card behind an alert. Kiosks do not: a check-in already answers
    # with what the kiosk needs, and a lookup (name, numbers, usage anywhere) would be unrecorded.
    "/bhyt.v1.Cards/GetCardStatus": frozenset({APP, MONITORING}),
}
# Standard services (health probes, reflection for grpcurl): any holder of a valid certificate.
OPEN_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


@dataclass(frozen=True)
class Identity:
    """Who a client certificate names: its role, its name (a kiosk's id) and a kiosk's facility."""

    role: str
    name: str
    facility: str = ""

    @property
    def uri(self) -> str:
        return f"urn:bhyt:{self.role}:{self.facility}:{self.name}"


def identity_of(cert: x509.Certificate) -> Identity:
    """The identity in a certificate's subject: role in OU, facility in O, name in CN."""

    def one(oid: x509.ObjectIdentifier) -> str:
        values = cert.subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    return Identity(
        role=one(NameOID.ORGANIZATIONAL_UNIT_NAME),
        name=one(NameOID.COMMON_NAME),
        facility=one(NameOID.ORGANIZATION_NAME),
    )


@dataclass(frozen=True)
class Caller:
    identity: Identity
    issuer: bytes  # DER of the issuer's name: serial numbers are unique per CA only
    serial: int
    certificate_sha256: str  # hex, recorded in check-in events for audit


@functools.lru_cache(maxsize=4096)
def _caller_from_pem(pem: bytes) -> Caller:
    """Parsing a certificate costs more than a check-in's protobuf work; a kiosk sends the same
    one for the life of its connection."""
    cert = x509.load_pem_x509_certificate(pem)
    der_hash = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
    return Caller(identity_of(cert), cert.issuer.public_bytes(), cert.serial_number, der_hash)


class Revocations:
    """The certificates a client CA revoked, from its CRL file; re-read when the file changes.

    What could un-revoke someone is refused, logged, and the known list kept: a CRL not signed by
    one of the client CAs (forged), and one older than the list already applied (a rollback to a
    copy from before a revocation). An expired CRL (past its next update) is still applied when it
    is the newest, because it still lists what was revoked, and it is logged as an error. At start-up
    a configured CRL that exists but is refused stops the verifier (`strict`): failing open on a
    bad file would serve revoked kiosks."""

    def __init__(
        self,
        crl_file: Path | None,
        client_cas: list[x509.Certificate],
        *,
        recheck_s: float = 1.0,
        strict: bool = True,
    ) -> None:
        self._path = crl_file
        self._cas = {ca.subject.public_bytes(): ca for ca in client_cas}
        self._recheck_s = recheck_s
        self._revoked: frozenset[tuple[bytes, int]] = frozenset()
        self._issued: dict[bytes, dt.datetime] = {}  # per CA, the last update of its applied CRL
        self._stamp: tuple[int, int] | None = None
        self._checked_at = float("-inf")
        problem = self._refresh()
        if problem and strict:
            raise ValueError(f"BHYT_TLS_CRL_FILE={crl_file}: {problem}")
        if crl_file is not None and self._stamp is None:
            log.warning("client CRL %s does not exist yet: no client certificate is revoked", crl_file)

    def is_revoked(self, caller: Caller) -> bool:
        if time.monotonic() - self._checked_at >= self._recheck_s:
            self._refresh()
        return (caller.issuer, caller.serial) in self._revoked

    def _refresh(self) -> str:
        """Re-read the file if it changed; the reason it was refused, or "" """
        self._checked_at = time.monotonic()
        if self._path is None:
            return ""
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            return ""  # not written yet, or removed: keep what is known
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return ""
        self._stamp = stamp
        try:
            crl, issuer = self._verified(self._path.read_bytes())
        except (OSError, ValueError) as e:
            log.error("client CRL %s refused, keeping the previous one: %s", self._path, e)
            return str(e)
        updated = crl.last_update_utc
        if crl.next_update_utc is not None and crl.next_update_utc < dt.datetime.now(dt.UTC):
            log.error("client CRL %s expired on %s: publish a fresh one", self._path, crl.next_update_utc)
        others = {(i, n) for i, n in self._revoked if i != issuer}
        self._revoked = frozenset(others | {(issuer, r.serial_number) for r in crl})
        self._issued[issuer] = updated
        log.info("client CRL %s: %d revoked certificates", self._path, len(self._revoked) - len(others))
        return ""

    def _verified(self, data: bytes) -> tuple[x509.CertificateRevocationList, bytes]:
        crl = x509.load_pem_x509_crl(data) if b"-----BEGIN" in data else x509.load_der_x509_crl(data)
        issuer = crl.issuer.public_bytes()
        ca = self._cas.get(issuer)
        if ca is None or not crl.is_signature_valid(ca.public_key()):  # type: ignore[arg-type]
            raise ValueError("not signed by a client CA")
        applied = self._issued.get(issuer)
        if applied is not None and crl.last_update_utc < applied:
            raise ValueError(f"older ({crl.last_update_utc}) than the CRL already applied ({applied})")
        return crl, issuer


class Callers:
    """The caller of an RPC, from its TLS session."""

    def __init__(self, revocations: Revocations) -> None:
        self._revocations = revocations

    def of(self, context: grpc.aio.ServicerContext) -> Caller:
        pems = context.auth_context().get("x509_pem_cert")
        if not pems:
            raise Unauthenticated("no client certificate: connect with mTLS")
        caller = _caller_from_pem(pems[0])
        if self._revocations.is_revoked(caller):
            raise Unauthenticated(f"client certificate of {caller.identity.uri} is revoked")
        return caller


def allowed_roles(method: str) -> frozenset[str] | None:
    """The roles that may call `method`; None for the standard services any caller may use."""
    if method.startswith(OPEN_PREFIXES):
        return None
    service = method.strip("/").split("/", 1)[0]
    return METHOD_ROLES.get(method, SERVICE_ROLES.get(service, frozenset()))


class Authorization(grpc.aio.ServerInterceptor):
    """Refuses, before any handler runs, a caller whose certificate is revoked or whose role may not
    call the method. Interceptors cannot see the TLS session, so the check wraps the handler."""

    def __init__(self, callers: Callers) -> None:
        self._callers = callers

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method: str = handler_call_details.method
        roles = allowed_roles(method)
        check = functools.partial(self._check, method, roles)
        if handler.unary_unary is not None:
            inner = handler.unary_unary

            async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                await check(context)
                return await inner(request, context)

            return grpc.unary_unary_rpc_method_handler(
                unary, handler.request_deserializer, handler.response_serializer
            )
        if handler.unary_stream is not None:
            inner_stream = handler.unary_stream

            async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                await check(context)
                async for message in inner_stream(request, context):
                    # A watch lasts hours: a certificate revoked meanwhile ends it at the next message.
                    await check(context)
                    yield message

            return grpc.unary_stream_rpc_method_handler(
                stream, handler.request_deserializer, handler.response_serializer
            )
        return handler  # we define no client-streaming methods

    async def _check(
        self, method: str, roles: frozenset[str] | None, context: grpc.aio.ServicerContext
    ) -> None:
        """Returns when the caller may go on; otherwise aborts the RPC (abort raises)."""
        try:
            caller = self._callers.of(context)
            if roles is not None and caller.identity.role not in roles:
                raise PermissionDenied(
                    f"role {caller.identity.role or '(none)'} may not call {method.rsplit('/', 1)[-1]}"
                )
        except VerifierError as e:
            await context.abort(grpc.StatusCode[e.grpc_status], f"{e.code} {e}")


class StationResolver:
    """Where a check-in happens and who does it: what the request says (development plaintext only)."""

    def place(self, context: grpc.aio.ServicerContext, facility_id: str, kiosk_id: str) -> tuple[str, str]:
        logs.set_station(facility_id, kiosk_id)  # this request's later log lines name the place
        return facility_id, kiosk_id

    def station(
        self, context: grpc.aio.ServicerContext, facility_id: str, kiosk_id: str, staff_id: str
    ) -> Station:
        facility, kiosk = self.place(context, facility_id, kiosk_id)
        return Station(facility, kiosk, staff_id)


class CertifiedStations(StationResolver):
    """The facility and kiosk come from the kiosk's certificate. A request may repeat them (kiosks
    written before mTLS do); one that names another facility or kiosk is refused, not corrected:
    it is either misconfigured or trying to check in for somebody else's hospital."""

    def __init__(self, callers: Callers, facilities: FacilityRegistry) -> None:
        self._callers = callers
        self._facilities = facilities

    def _kiosk(self, context: grpc.aio.ServicerContext, facility_id: str, kiosk_id: str) -> Caller:
        caller = self._callers.of(context)
        who = caller.identity
        if who.role != KIOSK:
            raise PermissionDenied(f"only a kiosk certificate may check in, not {who.role or '(no role)'}")
        if not who.facility:
            raise PermissionDenied("this kiosk's certificate names no facility (O): ask for a new one")
        asked = self._facilities.require(facility_id) if facility_id.strip() else ""
        if asked and asked != self._facilities.require(who.facility):
            raise PermissionDenied(
                f"this kiosk's certificate is for facility {who.facility}, not {facility_id.strip()}"
            )
        if kiosk_id.strip() and kiosk_id.strip() != who.name:
            raise PermissionDenied(f"this kiosk's certificate names kiosk {who.name}, not {kiosk_id.strip()}")
        return caller

    def place(self, context: grpc.aio.ServicerContext, facility_id: str, kiosk_id: str) -> tuple[str, str]:
        who = self._kiosk(context, facility_id, kiosk_id).identity
        logs.set_station(who.facility, who.name)
        return who.facility, who.name

    def station(
        self, context: grpc.aio.ServicerContext, facility_id: str, kiosk_id: str, staff_id: str
    ) -> Station:
        caller = self._kiosk(context, facility_id, kiosk_id)
        who = caller.identity
        logs.set_station(who.facility, who.name)
        return Station(who.facility, who.name, staff_id, caller.certificate_sha256)
