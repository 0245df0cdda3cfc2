"""The local CA for mTLS: who a certificate names, that the CA signed it, revocation, clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtendedKeyUsageOID

from infra.local.pki import Identity, LocalCa, PkiError, identity_of, main


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def signed_by_ca(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def test_a_kiosk_certificate_names_its_role_facility_and_name_and_is_signed_by_the_ca(tmp_path: Path) -> None:
    ca = LocalCa(tmp_path)
    ca_cert = load(ca.init())
    cert_path, key_path = ca.client(Identity("kiosk", "kiosk-7", "40-001"))
    cert = load(cert_path)
    assert identity_of(cert) == Identity("kiosk", "kiosk-7", "40-001")
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == ["urn:bhyt:kiosk:40-001:kiosk-7"]
    assert (
        ExtendedKeyUsageOID.CLIENT_AUTH
        in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )
    assert signed_by_ca(cert, ca_cert)
    assert key_path.stat().st_mode & 0o777 == 0o600


def test_another_ca_did_not_sign_it(tmp_path: Path) -> None:
    ours, theirs = LocalCa(tmp_path / "ours"), LocalCa(tmp_path / "theirs")
    ours.init()
    other_ca = load(theirs.init())
    cert = load(ours.client(Identity("admin", "ops-1"))[0])
    assert not signed_by_ca(cert, other_ca)


def test_the_server_certificate_covers_its_hosts(tmp_path: Path) -> None:
    ca = LocalCa(tmp_path)
    ca.init()
    cert = load(ca.server(["127.0.0.1", "localhost"])[0])
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert (
        ExtendedKeyUsageOID.SERVER_AUTH
        in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )


def test_init_keeps_an_existing_ca(tmp_path: Path) -> None:
    ca = LocalCa(tmp_path)
    first = load(ca.init()).serial_number
    assert load(ca.init()).serial_number == first


def test_an_expired_client_certificate_can_be_made_for_tests(tmp_path: Path) -> None:
    ca = LocalCa(tmp_path)
    ca.init()
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    cert = load(ca.client(Identity("kiosk", "old", "40-001"), days=1, valid_from=long_ago)[0])
    assert cert.not_valid_after_utc < dt.datetime.now(dt.UTC)


def test_revoking_lists_the_serial_in_the_crl(tmp_path: Path) -> None:
    ca = LocalCa(tmp_path)
    ca_cert = load(ca.init())
    revoked = load(ca.client(Identity("kiosk", "lost", "40-001"))[0])
    kept = load(ca.client(Identity("kiosk", "fine", "40-001"))[0])
    crl = x509.load_pem_x509_crl(ca.revoke("kiosk-lost").read_bytes())
    assert crl.is_signature_valid(ca_cert.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(revoked.serial_number) is not None
    assert crl.get_revoked_certificate_by_serial_number(kept.serial_number) is None


@pytest.mark.parametrize(
    ("identity", "says"),
    [(Identity("kiosk", "k1"), "needs its facility"), (Identity("janitor", "x"), "expected one of")],
)
def test_bad_requests_are_clear_errors(tmp_path: Path, identity: Identity, says: str) -> None:
    ca = LocalCa(tmp_path)
    ca.init()
    with pytest.raises(PkiError, match=says):
        ca.client(identity)


def test_cli_without_a_ca_says_how_to_make_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["client", "--dir", str(tmp_path), "--role", "app", "--name", "a1"]) == 2
    assert "run `python -m infra.local.pki init" in capsys.readouterr().err


def test_cli_issues_what_it_is_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--dir", str(tmp_path)]) == 0
    assert (
        main(["client", "--dir", str(tmp_path), "--role", "kiosk", "--name", "k2", "--facility", "01-001"])
        == 0
    )
    assert identity_of(load(tmp_path / "kiosk-k2.pem")) == Identity("kiosk", "k2", "01-001")
