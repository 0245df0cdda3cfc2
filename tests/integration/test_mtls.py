"""mTLS and authorization against a real verifier process: who may call what, and the facility from
the kiosk's certificate. Certificates come from the local CA tool (infra/local/pki.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc
from bhyt.v1.events_pb2 import EventEnvelope
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from infra.local.pki import Identity, LocalCa, ensure_local_pki
from infra.local.procs import wait_until
from infra.stack import local_tls
from tests.support.client import Client, enrollment
from tests.support.kafka_state import all_records
from tests.support.stack import Stack, StackFactory
from verifier.client_channel import ClientTls, channel
from verifier.settings import Settings

CARD = "GD4404016354956"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LocalCa:
    directory = tmp_path_factory.mktemp("pki")
    ca = ensure_local_pki(directory)  # server, <role>-local; the kiosk-local belongs to 40-001
    ca.client(Identity("kiosk", "hcm-7", "79-001"))
    ca.client(Identity("kiosk", "stolen", "40-001"))
    ca.client(
        Identity("kiosk", "old", "40-001"), days=1, valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    )
    return ca


@pytest.fixture(scope="module")
def served(pki: LocalCa, stacks: StackFactory) -> Iterator[Settings]:
    settings = stacks.settings("mtls", insecure_plaintext=0, **local_tls(pki.dir))
    admin = ClientTls.from_pki(pki.dir, "admin-local")
    with Stack.running(settings, stacks.log_dir(), client_tls=admin) as stack:
        stack.client.enroll(CARD)
        yield settings


def as_(settings: Settings, pki: LocalCa, stem: str) -> Client:
    return Client(settings.grpc_listen, ClientTls.from_pki(pki.dir, stem))


def check_in(
    client: Client, facility_id: str = "", kiosk_id: str = "", staff_id: str = "nv-01"
) -> api.CheckInDecision:
    request = api.VerifyCardRequest(
        card_number=CARD, facility_id=facility_id, kiosk_id=kiosk_id, staff_id=staff_id
    )
    return client.checkin.VerifyCard(request, timeout=15)


def refused(call: Callable[[], object]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    return info.value


def test_the_facility_and_kiosk_come_from_the_certificate_and_are_recorded_for_audit(
    served: Settings, pki: LocalCa
) -> None:
    kiosk = as_(served, pki, "kiosk-local")
    decision = check_in(kiosk)  # no facility or kiosk in the body: the certificate names them
    repeated = check_in(kiosk, facility_id="40-001", kiosk_id="local")  # repeating them is fine
    kiosk.close()
    assert decision.check_in_id and repeated.check_in_id

    events = {
        e.check_in_verified.check_in_id: e.check_in_verified
        for e in map(EventEnvelope.FromString, all_records(served, served.topic_checkins))
    }
    recorded = events[decision.check_in_id]
    cert = x509.load_pem_x509_certificate((pki.dir / "kiosk-local.pem").read_bytes())
    assert (recorded.facility_id, recorded.kiosk_id, recorded.staff_id) == ("40-001", "local", "nv-01")
    assert recorded.kiosk_certificate_sha256 == hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def test_a_kiosk_cannot_check_in_for_another_facility_or_kiosk(served: Settings, pki: LocalCa) -> None:
    kiosk = as_(served, pki, "kiosk-local")
    other_facility = refused(lambda: check_in(kiosk, facility_id="79-001"))
    other_kiosk = refused(lambda: check_in(kiosk, kiosk_id="hcm-7"))
    challenge = refused(
        lambda: kiosk.checkin.BeginChipCheck(api.BeginChipCheckRequest(facility_id="79-001"), timeout=15)
    )
    kiosk.close()
    assert other_facility.code() is grpc.StatusCode.PERMISSION_DENIED
    assert other_facility.details() == "403 this kiosk's certificate is for facility 40-001, not 79-001"
    assert other_kiosk.code() is grpc.StatusCode.PERMISSION_DENIED
    assert challenge.code() is grpc.StatusCode.PERMISSION_DENIED


def test_a_check_in_must_name_the_staff_member(served: Settings, pki: LocalCa) -> None:
    kiosk = as_(served, pki, "kiosk-local")
    error = refused(lambda: check_in(kiosk, staff_id=""))
    kiosk.close()
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "staff_id" in error.details()


@pytest.mark.parametrize(
    ("stem", "call", "allowed"),
    [
        ("app-local", "check_in", False),
        ("monitoring-local", "check_in", False),
        ("admin-local", "check_in", False),
        ("kiosk-local", "enroll", False),
        ("app-local", "enroll", False),
        ("monitoring-local", "enroll", False),
        ("admin-local", "enroll", True),
        ("kiosk-local", "list_alerts", False),
        ("monitoring-local", "list_alerts", True),
        ("admin-local", "list_keys", True),
        ("kiosk-local", "list_keys", False),
        ("app-local", "card_status", True),
        ("kiosk-local", "card_status", False),
        ("monitoring-local", "card_status", True),
        ("kiosk-local", "issue_token", False),
        ("kiosk-local", "echo", True),
    ],
)
def test_each_role_calls_only_its_own_methods(
    served: Settings, pki: LocalCa, stem: str, call: str, allowed: bool
) -> None:
    client = as_(served, pki, stem)
    monitoring = api_grpc.MonitoringStub(client.channel)
    keys = api_grpc.TokenKeysStub(client.channel)
    diagnostics = api_grpc.DiagnosticsStub(client.channel)
    calls = {
        "check_in": lambda: check_in(client),
        "enroll": lambda: client.participation.EnrollParticipant(enrollment(CARD), timeout=15),
        "list_alerts": lambda: monitoring.ListAlerts(api.ListAlertsRequest(), timeout=15),
        "list_keys": lambda: keys.ListSigningKeys(api.ListSigningKeysRequest(), timeout=15),
        "card_status": lambda: client.status(CARD),
        "issue_token": lambda: client.cards.IssueCardToken(
            api.IssueCardTokenRequest(card_number=CARD), timeout=15
        ),
        "echo": lambda: diagnostics.Echo(api.EchoRequest(payload=b"x"), timeout=15),
    }
    try:
        if allowed:
            calls[call]()
        else:
            assert refused(calls[call]).code() is grpc.StatusCode.PERMISSION_DENIED
    finally:
        client.close()


def test_no_certificate_an_expired_one_or_plaintext_gets_no_answer(served: Settings, pki: LocalCa) -> None:
    ca = (pki.dir / "ca.pem").read_bytes()
    without_cert = grpc.secure_channel(served.grpc_listen, grpc.ssl_channel_credentials(ca))
    expired = as_(served, pki, "kiosk-old")
    plaintext = channel(served.grpc_listen, None)
    request = api.VerifyCardRequest(card_number=CARD, staff_id="nv-01")
    for open_channel in (without_cert, expired.channel, plaintext):
        stub = api_grpc.CheckInStub(open_channel)
        error = refused(lambda: stub.VerifyCard(request, timeout=5))  # noqa: B023 (called at once)
        # The TLS handshake fails: the server never sees a request, so there is nothing to answer.
        assert error.code() is grpc.StatusCode.UNAVAILABLE
        open_channel.close()


def test_a_certificate_from_another_ca_is_refused(served: Settings, pki: LocalCa, tmp_path: Path) -> None:
    rogue = LocalCa(tmp_path / "rogue")
    rogue.init()
    rogue.client(Identity("kiosk", "local", "40-001"))
    impostor = ClientTls(
        (pki.dir / "ca.pem").read_bytes(),  # trusts our server, presents a rogue certificate
        (rogue.dir / "kiosk-local.pem").read_bytes(),
        (rogue.dir / "kiosk-local.key").read_bytes(),
    )
    client = Client(served.grpc_listen, impostor)
    assert refused(lambda: check_in(client)).code() is grpc.StatusCode.UNAVAILABLE
    client.close()


def test_a_revoked_kiosk_is_cut_off_without_a_restart(served: Settings, pki: LocalCa) -> None:
    kiosk = as_(served, pki, "kiosk-stolen")
    assert check_in(kiosk).check_in_id  # still trusted
    pki.revoke("kiosk-stolen")  # rewrites the CRL file the verifier watches

    def cut_off() -> bool:
        try:
            check_in(kiosk)
        except grpc.RpcError as e:
            assert e.code() is grpc.StatusCode.UNAUTHENTICATED, e
            assert "revoked" in (e.details() or "")
            return True
        return False

    wait_until(cut_off, timeout=15, what="the revoked kiosk refused")
    kiosk.close()
    other = as_(served, pki, "kiosk-local")  # the rest of the facility keeps working
    assert check_in(other).check_in_id
    other.close()
