"""Signing keys and the trust store that verifies them: key ids, validity windows, revocation.

A key id (`kid`) is the first 8 bytes of the SHA-256 of the signer's DER certificate, the EU DCC
convention, so DCC trust lists and our own work the same way (for a bare public key, of its
SubjectPublicKeyInfo). A key's validity window is its certificate's: a token verifies when it
was issued inside that window and has not expired, so after a rotation the old key keeps
verifying the tokens it signed until they expire, while new tokens carry the new kid.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm as CryptographyUnsupported
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from verifier.tokens.cose import PrivateKey, PublicKey, UnsupportedAlgorithm, algorithm_for

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.S)


class KeyFileError(ValueError):
    """A key or certificate file that cannot be used; the message names the file and why."""


@dataclass(frozen=True)
class TrustedKey:
    kid: bytes
    public_key: PublicKey
    not_before: datetime | None = None
    not_after: datetime | None = None
    subject: str = ""
    source: str = ""
    certificate_der: bytes = b""

    @property
    def kid_hex(self) -> str:
        return self.kid.hex()

    def covers(self, at: datetime) -> bool:
        return (self.not_before is None or at >= self.not_before) and (
            self.not_after is None or at <= self.not_after
        )


@dataclass(frozen=True)
class SigningKey:
    """A private key we issue with, and the trusted key that verifies what it signs."""

    private_key: PrivateKey
    trusted: TrustedKey

    @property
    def kid(self) -> bytes:
        return self.trusted.kid

    @property
    def alg(self) -> int:
        return algorithm_for(self.private_key)


class TrustStore:
    """Keys by kid, and revoked kids. Mutated only on the event loop's thread (files, admin events)."""

    def __init__(self, keys: Iterable[TrustedKey] = ()) -> None:
        self._keys: dict[bytes, TrustedKey] = {}
        self._revoked: dict[bytes, str] = {}
        self._revoked_public_keys: dict[bytes, str] = {}  # by SPKI hash: a key, whatever its certificate
        self._public_key_ids: dict[bytes, bytes] = {}  # kid -> SPKI hash, computed once on add
        for key in keys:
            self.add(key)

    def add(self, key: TrustedKey) -> None:
        self._keys[key.kid] = key
        self._public_key_ids[key.kid] = kid_of_public_key(key.public_key)

    def revoke(self, kid: bytes, reason: str) -> None:
        """Revocation is permanent and follows the key: re-adding its certificate, or another
        certificate (or a bare public key) for the same key pair, does not undo it."""
        self._revoked[kid] = reason or "revoked"
        if kid in self._public_key_ids:
            self._revoked_public_keys[self._public_key_ids[kid]] = reason or "revoked"

    def get(self, kid: bytes) -> TrustedKey | None:
        return self._keys.get(kid)

    def revocation(self, kid: bytes) -> str | None:
        if kid in self._revoked:
            return self._revoked[kid]
        public_key_id = self._public_key_ids.get(kid)
        return self._revoked_public_keys.get(public_key_id) if public_key_id else None

    def all_keys(self) -> list[TrustedKey]:
        return sorted(self._keys.values(), key=lambda k: k.not_before or datetime.min.replace(tzinfo=UTC))

    def __len__(self) -> int:
        return len(self._keys)


def kid_of_certificate(cert: x509.Certificate) -> bytes:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).digest()[:8]


def kid_of_public_key(key: PublicKey) -> bytes:
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:8]


def trusted_from_certificate(cert: x509.Certificate, source: str = "") -> TrustedKey:
    try:
        public_key = cert.public_key()
    except (ValueError, CryptographyUnsupported) as e:
        raise KeyFileError(f"{source or 'certificate'}: its public key cannot be used: {e}") from None
    if not _usable_public_key(public_key):
        raise KeyFileError(f"{source or 'certificate'}: {type(public_key).__name__} keys cannot sign tokens")
    try:  # `cryptography` decodes names and times lazily: a malformed one raises only when read
        return TrustedKey(
            kid=kid_of_certificate(cert),
            public_key=public_key,  # type: ignore[arg-type]  # narrowed by _usable_public_key
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            subject=cert.subject.rfc4514_string(),
            source=source,
            certificate_der=cert.public_bytes(serialization.Encoding.DER),
        )
    except (ValueError, TypeError) as e:  # e.g. a name attribute whose value type its OID forbids
        raise KeyFileError(f"{source or 'certificate'}: unreadable certificate: {e}") from None


def read_trusted_keys(data: bytes, source: str = "") -> list[TrustedKey]:
    """Certificates (or public keys) as PEM (one or many), DER, or base64 of DER (as DCC lists ship)."""
    label = source or "certificate"
    if b"-----BEGIN" in data:
        found = []
        for block in _PEM_BLOCK.finditer(data):
            kind, pem = block.group(1), block.group(0)
            try:
                if kind == b"CERTIFICATE":
                    found.append(trusted_from_certificate(x509.load_pem_x509_certificate(pem), source))
                elif kind == b"PUBLIC KEY":
                    found.append(_trusted_from_public_key(serialization.load_pem_public_key(pem), source))
            except (ValueError, CryptographyUnsupported, x509.InvalidVersion) as e:
                raise KeyFileError(f"{label}: unreadable {kind.decode()} block: {e}") from None
        if not found:
            raise KeyFileError(f"{label}: no CERTIFICATE or PUBLIC KEY block in the PEM text")
        return found
    for der in (data, _maybe_base64(data)):
        if der is None:
            continue
        try:
            cert = x509.load_der_x509_certificate(der)
        except (ValueError, x509.InvalidVersion):  # InvalidVersion is no ValueError
            pass
        else:
            return [trusted_from_certificate(cert, source)]
        try:
            return [_trusted_from_public_key(serialization.load_der_public_key(der), source)]
        except (ValueError, CryptographyUnsupported):
            pass
    raise KeyFileError(f"{label}: not a certificate or public key (PEM, DER or base64 DER)")


def read_trusted_key_file(path: Path) -> list[TrustedKey]:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise KeyFileError(f"{path}: {e.strerror or e}") from None
    return read_trusted_keys(data, str(path))


def load_signing_key(key_path: Path, cert_path: Path) -> SigningKey:
    """A PEM private key and its certificate; the certificate gives the kid and the validity window."""
    try:
        private_key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except OSError as e:
        raise KeyFileError(f"{key_path}: {e.strerror or e}") from None
    except (ValueError, TypeError, CryptographyUnsupported) as e:
        raise KeyFileError(f"{key_path}: not an unencrypted PEM private key: {e}") from None
    certificates = read_trusted_key_file(cert_path)
    trusted = certificates[0]
    if not trusted.certificate_der:
        raise KeyFileError(f"{cert_path}: a signing key needs a certificate, not a bare public key")
    if trusted.public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise KeyFileError(f"{cert_path}: the certificate is not for the private key in {key_path}")
    try:
        algorithm_for(private_key)  # type: ignore[arg-type]
    except UnsupportedAlgorithm as e:
        raise KeyFileError(f"{key_path}: {e}") from None
    return SigningKey(private_key, trusted)  # type: ignore[arg-type]


def _trusted_from_public_key(key: object, source: str) -> TrustedKey:
    if not _usable_public_key(key):
        raise KeyFileError(f"{source or 'public key'}: {type(key).__name__} keys cannot sign tokens")
    return TrustedKey(kid=kid_of_public_key(key), public_key=key, source=source)  # type: ignore[arg-type]


def _usable_public_key(key: object) -> bool:
    return isinstance(
        key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
    )


def _maybe_base64(data: bytes) -> bytes | None:
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
