"""Development signing keys for card tokens: a private key and a self-signed certificate.

Production keys come from VSS's key ceremony (an HSM and a CA); the local stack and the tests
need real keys of every supported kind without one, so this writes them as PEM files.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

KeyKind = Literal["ec-p256", "rsa-2048", "rsa-3072", "ed25519"]
KEY_KINDS: tuple[KeyKind, ...] = ("ec-p256", "rsa-2048", "rsa-3072", "ed25519")


def write_signing_key(
    directory: Path,
    name: str,
    *,
    kind: KeyKind = "ec-p256",
    not_before: datetime | None = None,
    valid_for: timedelta = timedelta(days=365),
) -> tuple[Path, Path]:
    """Write `<name>.key.pem` and `<name>.cert.pem` into `directory`; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    key = _new_key(kind)
    start = not_before or datetime.now(UTC) - timedelta(minutes=5)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "BHYT check-in (development)"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"card token signer {name}"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + valid_for)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), True)
        .sign(key, None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256())
    )
    key_path, cert_path = directory / f"{name}.key.pem", directory / f"{name}.cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _new_key(kind: KeyKind) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey:
    if kind == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "rsa-2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "rsa-3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return ed25519.Ed25519PrivateKey.generate()
