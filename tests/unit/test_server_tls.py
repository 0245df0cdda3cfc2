"""TLS settings and the client CRL: plaintext only on purpose, revocation only from our CA."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509

from infra.local.pki import Identity, LocalCa
from verifier.adapters.callers import Caller, Revocations, allowed_roles, identity_of
from verifier.entrypoints.grpc import ServerTls
from verifier.settings import Settings


def test_without_tls_files_or_the_development_flag_the_server_refuses_to_start() -> None:
    with pytest.raises(ValueError, match=r"no TLS configured .*BHYT_INSECURE_PLAINTEXT=1"):
        ServerTls.from_settings(Settings())
    assert ServerTls.from_settings(Settings(insecure_plaintext=1)) is None


def test_an_unreadable_tls_file_is_named(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.pem")
    settings = Settings(tls_cert_file=missing, tls_key_file=missing, tls_client_ca_file=missing)
    with pytest.raises(ValueError, match=r"BHYT_TLS_CERT_FILE=.*nope\.pem"):
        ServerTls.from_settings(settings)


def _caller(cert_path: Path) -> Caller:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return Caller(identity_of(cert), cert.issuer.public_bytes(), cert.serial_number, "")


def test_a_crl_takes_effect_when_rewritten_and_a_forged_or_older_one_is_ignored(tmp_path: Path) -> None:
    ca = LocalCa(tmp_path / "ca")
    ca.init()
    k1 = _caller(ca.client(Identity("kiosk", "k1", "40-001"))[0])
    k2 = _caller(ca.client(Identity("kiosk", "k2", "40-001"))[0])
    ca_cert = x509.load_pem_x509_certificate(ca.cert_path.read_bytes())
    revocations = Revocations(ca.dir / "crl.pem", [ca_cert], recheck_s=0)
    assert not revocations.is_revoked(k1)  # no CRL yet

    crl = ca.revoke("kiosk-k1")
    assert revocations.is_revoked(k1)
    first = crl.read_bytes()

    rogue = LocalCa(tmp_path / "rogue")
    rogue.init()
    rogue.client(Identity("kiosk", "other", "40-001"))
    crl.write_bytes(rogue.revoke("kiosk-other").read_bytes())  # signed by someone else
    assert revocations.is_revoked(k1), "a CRL not signed by our CA must not un-revoke anyone"

    ca.revoke("kiosk-k2", at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))  # a later CRL
    assert revocations.is_revoked(k1) and revocations.is_revoked(k2)
    crl.write_bytes(first)  # a genuine but older CRL, from before k2 was revoked
    assert revocations.is_revoked(k2), "a rollback to an older CRL must not un-revoke anyone"


def test_a_configured_crl_that_cannot_be_trusted_stops_the_start(tmp_path: Path) -> None:
    ca = LocalCa(tmp_path / "ca")
    ca.init()
    (ca.dir / "crl.pem").write_bytes(b"not a CRL")
    ca_cert = x509.load_pem_x509_certificate(ca.cert_path.read_bytes())
    with pytest.raises(ValueError, match="BHYT_TLS_CRL_FILE"):
        Revocations(ca.dir / "crl.pem", [ca_cert])


def test_every_method_has_a_policy_and_new_services_are_closed() -> None:
    from bhyt.v1 import api_pb2

    for service in api_pb2.DESCRIPTOR.services_by_name.values():
        for method in service.methods:
            assert allowed_roles(f"/{service.full_name}/{method.name}"), method.full_name
    assert allowed_roles("/bhyt.v1.Unknown/Anything") == frozenset()
    assert allowed_roles("/grpc.health.v1.Health/Check") is None
