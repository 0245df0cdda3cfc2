"""A small certificate authority for local mTLS: the CA, the verifier's server certificate, and a
client certificate per kiosk, app, monitoring desk or administrator.

    python -m infra.local.pki init --dir .state/pki
    python -m infra.local.pki server --dir .state/pki [--host 127.0.0.1 --host localhost]
    python -m infra.local.pki client --dir .state/pki --role kiosk --name kiosk-7 --facility 40-001
    python -m infra.local.pki revoke --dir .state/pki --name kiosk-7   (writes crl.pem)

Who a client is travels in its certificate, not in the request: the role in the subject's
organisational unit (OU), the facility a kiosk belongs to in the organisation (O), its name in the
common name (CN), and the same as a SAN URI `urn:bhyt:<role>:<facility>:<name>` for servers that
read only SANs. Keys are EC P-256; files are PEM, private keys unencrypted and mode 0600 (for local
use; production keys come from the VSS PKI).
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import json
import os
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from verifier.adapters.callers import ROLES, Identity, identity_of

__all__ = ["ROLES", "Identity", "LocalCa", "PkiError", "identity_of"]
CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


class PkiError(ValueError):
    """The request cannot be served as asked (no CA yet, unknown role, missing facility)."""


class LocalCa:
    def __init__(self, directory: Path) -> None:
        self.dir = directory

    @property
    def cert_path(self) -> Path:
        return self.dir / "ca.pem"

    @property
    def key_path(self) -> Path:
        return self.dir / "ca.key"

    def init(self, *, days: int = 3650) -> Path:
        """Create the CA once; an existing CA is kept (its clients stay valid)."""
        if self.cert_path.exists():
            return self.cert_path
        self.dir.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "BHYT local CA")])
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(CA_KEY_USAGE, critical=True)
            .sign(key, hashes.SHA256())
        )
        _write_key(self.key_path, key)
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return self.cert_path

    def server(self, hosts: list[str], *, days: int = 825) -> tuple[Path, Path]:
        """The verifier's certificate for `hosts` (DNS names or IP addresses)."""
        sans: list[x509.GeneralName] = []
        for host in hosts:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
        return self._issue(
            "server",
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]),
            sans,
            ExtendedKeyUsageOID.SERVER_AUTH,
            days=days,
        )

    def client(
        self, identity: Identity, *, days: int = 365, valid_from: dt.datetime | None = None
    ) -> tuple[Path, Path]:
        """A client certificate naming `identity`; a kiosk must name its facility."""
        if identity.role not in ROLES:
            raise PkiError(f"role {identity.role!r}: expected one of {', '.join(ROLES)}")
        if identity.role == "kiosk" and not identity.facility:
            raise PkiError("a kiosk certificate needs its facility (--facility, e.g. 40-001)")
        attributes = [
            x509.NameAttribute(NameOID.COMMON_NAME, identity.name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, identity.role),
        ]
        if identity.facility:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, identity.facility))
        return self._issue(
            f"{identity.role}-{identity.name}",
            x509.Name(attributes),
            [x509.UniformResourceIdentifier(identity.uri)],
            ExtendedKeyUsageOID.CLIENT_AUTH,
            days=days,
            valid_from=valid_from,
        )

    def revoke(self, file_stem: str, *, at: dt.datetime | None = None) -> Path:
        """Add a certificate (by its file name without `.pem`) to the CA's CRL, `crl.pem`, issued
        `at` (now by default)."""
        cert = x509.load_pem_x509_certificate((self.dir / f"{file_stem}.pem").read_bytes())
        revoked = self._revoked() | {cert.serial_number}
        (self.dir / "revoked.json").write_text(json.dumps(sorted(revoked)))
        ca_cert, ca_key = self._ca()
        now = at or _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(now)
            .next_update(now + dt.timedelta(days=7))
        )
        for serial in sorted(revoked):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
            )
        crl = builder.sign(ca_key, hashes.SHA256())
        path = self.dir / "crl.pem"
        path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
        return path

    def _revoked(self) -> set[int]:
        path = self.dir / "revoked.json"
        return set(json.loads(path.read_text())) if path.exists() else set()

    def _ca(self) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        if not self.cert_path.exists():
            raise PkiError(
                f"no CA in {self.dir}: run `python -m infra.local.pki init --dir {self.dir}` first"
            )
        cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise PkiError(f"{self.key_path}: not an EC private key")
        return cert, key

    def _issue(
        self,
        stem: str,
        subject: x509.Name,
        sans: list[x509.GeneralName],
        usage: x509.ObjectIdentifier,
        *,
        days: int,
        valid_from: dt.datetime | None = None,
    ) -> tuple[Path, Path]:
        ca_cert, ca_key = self._ca()
        key = ec.generate_private_key(ec.SECP256R1())
        start = valid_from or _now() - dt.timedelta(minutes=5)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        cert_path, key_path = self.dir / f"{stem}.pem", self.dir / f"{stem}.key"
        _write_key(key_path, key)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cert_path, key_path


LOCAL_KIOSK_FACILITY = "40-001"


def ensure_local_pki(directory: Path) -> LocalCa:
    """The local stack's CA, made once: a server certificate for 127.0.0.1 and localhost, and one
    client certificate per role named `<role>-local` (the CLI's default identities); the kiosk
    belongs to facility 40-001."""
    ca = LocalCa(directory)
    if not ca.cert_path.exists():
        ca.init()
    if not (directory / "server.pem").exists():
        ca.server(["127.0.0.1", "localhost"])
    for role in ROLES:
        if not (directory / f"{role}-local.pem").exists():
            ca.client(Identity(role, "local", LOCAL_KIOSK_FACILITY if role == "kiosk" else ""))
    return ca


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """Created 0600 from the start: never readable by others, not even for a moment."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.local.pki",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_ in (
        ("init", "create the CA (kept if it exists)"),
        ("server", "issue the verifier's server certificate"),
        ("client", "issue a client certificate"),
        ("revoke", "revoke a client certificate and rewrite crl.pem"),
    ):
        p = sub.add_parser(name, help=help_)
        p.add_argument("--dir", type=Path, required=True, help="the CA's directory")
        if name == "server":
            p.add_argument(
                "--host", action="append", help="DNS name or IP (repeat); default 127.0.0.1, localhost"
            )
        if name == "client":
            p.add_argument("--role", required=True, choices=ROLES)
            p.add_argument("--name", required=True, help="kiosk id, app instance, staff id or admin name")
            p.add_argument("--facility", default="", help="the facility a kiosk belongs to, e.g. 40-001")
            p.add_argument("--days", type=int, default=365)
        if name == "revoke":
            p.add_argument(
                "--file", required=True, help="certificate file name without .pem, e.g. kiosk-kiosk-7"
            )
    args = parser.parse_args(argv)
    ca = LocalCa(args.dir)
    try:
        if args.command == "init":
            print(ca.init())
        elif args.command == "server":
            print(*ca.server(args.host or ["127.0.0.1", "localhost"]))
        elif args.command == "client":
            print(*ca.client(Identity(args.role, args.name, args.facility), days=args.days))
        else:
            print(ca.revoke(args.file))
    except (PkiError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
