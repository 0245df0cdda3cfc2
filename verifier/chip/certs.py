"""X.509 certificates as the eMRTD PKI uses them (ICAO 9303-12 §7.1), read with asn1crypto.

asn1crypto is lenient where real Document Signer and CSCA certificates are sloppy (non-DER names,
odd extensions), so certificates stay asn1crypto objects; `cryptography` only sees public keys.
`load_certificate` touches every field verification later reads, so malformation surfaces here as
a `ChipError` rather than deep inside a check.

Memos (see `memo.py`): the same few hundred Document Signer certificates sign millions of chips, and
parsing one plus normalising its names (`Name.hashable`, LDAP string prep) was most of a
verification. Everything memoised here is a pure function of bytes, keyed by those bytes or their
SHA-256: parsed EF.SOD certificates, normalised names, public keys and operator summaries. Nothing
here depends on the verification time or the trust store, which stay per-call / per-snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asn1crypto import crl, pem, x509

from verifier.chip.algorithms import resolve_scheme
from verifier.chip.errors import ASN1_ERRORS, ChipError
from verifier.chip.keys import PublicKey, load_public_key
from verifier.chip.memo import BoundedMemo
from verifier.chip.signatures import verify_signature
from verifier.chip.tlv import check_nesting

# CSCA and Document Signer certificates are 1-2 KB. Decoding costs asn1crypto ~20 us per byte of
# nested structure (a forged 150 KB Document Signer took 3 s of CPU), so anything far larger than a
# real certificate is refused before it is decoded.
MAX_CERTIFICATE_BYTES = 16 * 1024
# A touched asn1crypto certificate is ~30 KB, so the parsed-certificate memo is the one sized by
# memory (512 x 30 KB ~ 15 MB); the others hold short strings, keys and summaries.
_PARSED: BoundedMemo[bytes, x509.Certificate] = BoundedMemo(512, register=True)
_NAME_KEYS: BoundedMemo[bytes, str] = BoundedMemo(4096, register=True)
_CERT_NAMES: BoundedMemo[bytes, tuple[str, str]] = BoundedMemo(4096, register=True)
_PUBLIC_KEYS: BoundedMemo[bytes, PublicKey] = BoundedMemo(2048, register=True)
_SUMMARIES: BoundedMemo[bytes, CertificateSummary] = BoundedMemo(2048, register=True)


def load_certificate(
    der: bytes, *, code: str, what: str = "certificate", memoise: bool = False
) -> x509.Certificate:
    """One DER certificate, eagerly checked for the fields verification reads.

    With `memoise`, a certificate whose exact bytes were loaded before is the same object again
    (EF.SOD's Document Signer: a few hundred distinct ones sign millions of chips). Shared objects
    are safe across threads because `touch_certificate` has decoded every part verification reads
    before the object is stored, so later use only reads (the same discipline the trust store's
    CSCA objects, shared by every verification, already rely on). Callers must not mutate it.
    Trust sources do not memoise: a master list's hundreds of CSCAs would only evict the DSs.
    """
    if len(der) > MAX_CERTIFICATE_BYTES:
        raise ChipError(
            code, f"{what}: {len(der)} bytes, over {MAX_CERTIFICATE_BYTES} (real certificates are ~2 KB)"
        )
    check_nesting(der, code=code, what=what)
    try:
        if memoise:
            return _PARSED.get_or_compute(der, lambda: _parse_certificate(der))
        return _parse_certificate(der)
    except ChipError:
        raise
    except ASN1_ERRORS as e:
        raise ChipError(code, f"{what}: not a readable X.509 certificate: {e}") from e


def _parse_certificate(der: bytes) -> x509.Certificate:
    return touch_certificate(x509.Certificate.load(der, strict=True))


def touch_certificate(cert: x509.Certificate) -> x509.Certificate:
    """Decode now every lazily-parsed part verification reads (asn1crypto errors, wrapped by callers)."""
    _ = (cert.subject.native, cert.issuer.native, certificate_names(cert))
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
    return verify_signature(certificate_public_key(issuer), scheme, signature, tbs)


def certificate_public_key(cert: x509.Certificate) -> PublicKey:
    """The certificate's key as `cryptography` uses it, memoised by the certificate's SHA-256.

    Loading re-encodes the SubjectPublicKeyInfo and has OpenSSL parse it (RSA keys are checked):
    pure, and the same for every chip a Document Signer signed. An unusable key (C14) is raised
    again each time, never stored.
    """
    return _PUBLIC_KEYS.get_or_compute(cert.sha256, lambda: load_public_key(cert.public_key))


def name_key(name: x509.Name) -> str:
    """RFC 5280 §7.1 comparison form of a name (asn1crypto's `hashable`), memoised by its DER.

    `hashable` (LDAP string prep of every attribute) is a pure function of the encoding, so names
    with identical DER (how CSCA and DS names almost always match) share one computation, and names
    whose DER differs are still compared by the normalised form, exactly as before. A malformed name
    raises as `hashable` does, every time.
    """
    return _NAME_KEYS.get_or_compute(name.dump(), lambda: str(name.hashable))


def certificate_names(cert: x509.Certificate) -> tuple[str, str]:
    """(subject, issuer) in comparison form, memoised by the certificate's SHA-256.

    Keyed by the certificate digest rather than each name's DER because re-dumping a fully parsed
    asn1crypto name walks all its children; the digest is computed once per certificate object.
    """
    return _CERT_NAMES.get_or_compute(
        cert.sha256, lambda: (str(cert.subject.hashable), str(cert.issuer.hashable))
    )


def subject_key(cert: x509.Certificate) -> str:
    return certificate_names(cert)[0]


def issuer_key(cert: x509.Certificate) -> str:
    return certificate_names(cert)[1]


def issued_by_name(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """RFC 5280 §7.1 name chaining (asn1crypto compares names with the RFC's normalisation)."""
    return issuer_key(cert) == subject_key(issuer)


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
        """The summary, memoised by the certificate's SHA-256 (formatting names is not cheap)."""
        return _SUMMARIES.get_or_compute(cert.sha256, lambda: cls._build(cert))

    @classmethod
    def _build(cls, cert: x509.Certificate) -> CertificateSummary:
        return cls(
            subject=name_text(cert.subject),
            issuer=name_text(cert.issuer),
            # Hex for either sign: a decimal str() of a hostile 2 KB serial exceeds Python's digit limit.
            serial_number=format(cert.serial_number, "x"),
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
