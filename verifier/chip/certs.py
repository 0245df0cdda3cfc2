"""X.509 certificates as the eMRTD PKI uses them (ICAO 9303-12 §7.1), read with asn1crypto.

asn1crypto is lenient where real Document Signer and CSCA certificates are sloppy (non-DER names,
odd extensions), so certificates stay asn1crypto objects; `cryptography` only sees public keys.
`load_certificate` touches every field verification later reads, so malformation surfaces here as
a `ChipError` rather than deep inside a check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asn1crypto import crl, pem, x509

from verifier.chip.algorithms import resolve_scheme
from verifier.chip.errors import ASN1_ERRORS, ChipError
from verifier.chip.keys import load_public_key
from verifier.chip.signatures import verify_signature


def load_certificate(der: bytes, *, code: str, what: str = "certificate") -> x509.Certificate:
    """One DER certificate, eagerly checked for the fields verification reads."""
    try:
        cert = x509.Certificate.load(der, strict=True)
        return touch_certificate(cert)
    except ChipError:
        raise
    except ASN1_ERRORS as e:
        raise ChipError(code, f"{what}: not a readable X.509 certificate: {e}") from e


def touch_certificate(cert: x509.Certificate) -> x509.Certificate:
    """Decode now every lazily-parsed part verification reads (asn1crypto errors, wrapped by callers)."""
    _ = (cert.subject.native, cert.issuer.native, cert.subject.hashable, cert.issuer.hashable)
    _ = (cert.serial_number, cert.not_valid_before, cert.not_valid_after, cert.sha256)
    for extension in (cert.key_usage_value, cert.basic_constraints_value):
        _ = extension.native if extension is not None else None
    _ = (cert.ca, cert.key_identifier, cert.authority_key_identifier)
    _ = (cert["tbs_certificate"].dump(), cert["signature_value"].native, cert["signature_algorithm"].native)
    _ = cert.public_key.native
    return cert


def load_certificates(data: bytes, *, code: str, what: str = "certificate file") -> list[x509.Certificate]:
    """Every certificate in a PEM file (one or many blocks) or a single DER certificate."""
    try:
        if pem.detect(data):
            blocks = [der for kind, _, der in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
            if not blocks:
                raise ChipError(code, f"{what}: no CERTIFICATE block in the PEM file")
            return [load_certificate(der, code=code, what=what) for der in blocks]
    except ChipError:
        raise
    except ASN1_ERRORS as e:
        raise ChipError(code, f"{what}: bad PEM: {e}") from e
    return [load_certificate(data, code=code, what=what)]


def valid_at(cert: x509.Certificate, at: datetime) -> bool:
    """RFC 5280 §4.1.2.5: notBefore <= at <= notAfter (both inclusive)."""
    return bool(cert.not_valid_before <= at <= cert.not_valid_after)


def key_usage(cert: x509.Certificate) -> frozenset[str] | None:
    """The keyUsage bits set (asn1crypto names), or None when the extension is absent."""
    value = cert.key_usage_value
    return None if value is None else frozenset(value.native)


def signed_by(signed: x509.Certificate | crl.CertificateList, issuer: x509.Certificate) -> bool:
    """Whether `issuer`'s key made the signature on a certificate or a CRL (C14 if unsupported)."""
    if isinstance(signed, x509.Certificate):
        tbs, signature = signed["tbs_certificate"].dump(), signed["signature_value"].native
    else:
        tbs, signature = signed["tbs_cert_list"].dump(), signed["signature"].native
    scheme = resolve_scheme(signed["signature_algorithm"])
    return verify_signature(load_public_key(issuer.public_key), scheme, signature, tbs)


def issued_by_name(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """RFC 5280 §7.1 name chaining (asn1crypto compares names with the RFC's normalisation)."""
    return bool(cert.issuer.hashable == issuer.subject.hashable)


def key_id_matches(authority_key_id: bytes | None, issuer: x509.Certificate) -> bool:
    """AKI/SKI agree, or one side has no identifier (then only the signature decides)."""
    return (
        authority_key_id is None or issuer.key_identifier is None or authority_key_id == issuer.key_identifier
    )


_SHORT = {
    "country_name": "C",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "common_name": "CN",
    "locality_name": "L",
    "state_or_province_name": "ST",
    "serial_number": "serialNumber",
    "email_address": "emailAddress",
}


def name_text(name: x509.Name) -> str:
    """An RFC 4514-style string ("CN=CSCA VN,O=…,C=VN") for operators and logs."""
    parts: list[str] = []
    for rdn in reversed(list(name.chosen)):
        attrs = []
        for attr in rdn:
            key = attr["type"].native
            label = _SHORT.get(key, attr["type"].dotted if key == attr["type"].dotted else key)
            value = attr["value"].native
            attrs.append(f"{label}={_escape(value if isinstance(value, str) else str(value))}")
        parts.append("+".join(attrs))
    return ",".join(parts)


def _escape(value: str) -> str:
    out = "".join("\\" + ch if ch in ',+"\\<>;=' else ch for ch in value)
    if out.startswith((" ", "#")):
        out = "\\" + out
    return out[:-1] + "\\ " if out.endswith(" ") else out


@dataclass(frozen=True)
class CertificateSummary:
    """What an operator needs to identify a certificate (no key material)."""

    subject: str
    issuer: str
    serial_number: str  # hex
    not_before: datetime
    not_after: datetime
    sha256: str

    @classmethod
    def of(cls, cert: x509.Certificate) -> CertificateSummary:
        return cls(
            subject=name_text(cert.subject),
            issuer=name_text(cert.issuer),
            serial_number=format(cert.serial_number, "x")
            if cert.serial_number >= 0
            else str(cert.serial_number),
            not_before=cert.not_valid_before,
            not_after=cert.not_valid_after,
            sha256=cert.sha256.hex(),
        )

    def to_dict(self) -> dict[str, str]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "serial_number": self.serial_number,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "sha256": self.sha256,
        }
