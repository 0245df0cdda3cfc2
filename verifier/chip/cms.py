"""CMS SignedData (RFC 5652) as ICAO uses it for EF.SOD and CSCA master lists.

`parse_signed_data` reads the structure once, eagerly, into plain values; `check_signed_attributes`
and `verify_signer` are the two RFC 5652 §5.4/§5.6 steps. ICAO 9303-10 §4.6.2.1 (Table 37) asks for
one SignerInfo with signed attributes and the signer's certificate in `certificates`; we use the
first SignerInfo and report the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asn1crypto import algos, cms, x509

from verifier.chip.algorithms import hash_by_oid, resolve_scheme
from verifier.chip.certs import certificate_public_key, issuer_key, load_certificate, name_key
from verifier.chip.errors import ASN1_ERRORS, ChipError
from verifier.chip.signatures import verify_signature
from verifier.chip.tlv import check_nesting

SIGNED_DATA_OID = "1.2.840.113549.1.7.2"


@dataclass(frozen=True)
class Signer:
    """The first SignerInfo, read into plain values."""

    issuer: x509.Name | None  # sid = issuerAndSerialNumber
    serial_number: int | None
    key_identifier: bytes | None  # sid = subjectKeyIdentifier
    digest_oid: str
    signature_algorithm: algos.SignedDigestAlgorithm
    signed_attrs: bytes | None  # DER as signed: the SET OF with its universal tag (RFC 5652 §5.4)
    content_type_attr: str | None
    message_digest_attr: bytes | None
    signing_time: datetime | None
    signature: bytes

    def identifies(self, cert: x509.Certificate) -> bool:
        if self.key_identifier is not None:
            return cert.key_identifier == self.key_identifier
        return (
            self.issuer is not None
            and issuer_key(cert) == name_key(self.issuer)  # both memoised: no LDAP prep per chip
            and cert.serial_number == self.serial_number
        )


@dataclass(frozen=True)
class SignedContent:
    content_type: str  # eContentType, dotted
    content: bytes  # the eContent octets (what the messageDigest covers)
    certificates: tuple[x509.Certificate, ...]
    signer: Signer
    signer_count: int

    def signer_certificate(self) -> x509.Certificate | None:
        """The certificate the SignerInfo's sid names, if the SignedData carries it."""
        return next((c for c in self.certificates if self.signer.identifies(c)), None)


def parse_signed_data(
    data: bytes, *, expected_content_type: str, code: str, what: str, memoise_certificates: bool = False
) -> SignedContent:
    """A ContentInfo{signedData} whose eContentType must be `expected_content_type`.

    `memoise_certificates` shares parsed certificates by their DER (EF.SOD: the Document Signer
    recurs across millions of chips; see `certs.load_certificate`).
    """
    check_nesting(data, code=code, what=what)
    try:
        info = cms.ContentInfo.load(data, strict=True)
        if info["content_type"].dotted != SIGNED_DATA_OID:
            raise ChipError(code, f"{what}: content type {info['content_type'].dotted} is not signedData")
        signed = info["content"]
        encap = signed["encap_content_info"]
        content_type = encap["content_type"].dotted
        if content_type != expected_content_type:
            raise ChipError(code, f"{what}: eContentType {content_type}, expected {expected_content_type}")
        if encap["content"].native is None:
            raise ChipError(code, f"{what}: no encapsulated content (detached signatures are not used)")
        content = bytes(encap["content"])  # merges BER chunks of a constructed OCTET STRING
        check_nesting(content, code=code, what=f"{what} content")  # decoded next by the caller
        certificates = tuple(
            load_certificate(
                choice.chosen.dump(), code=code, what=f"{what} certificate", memoise=memoise_certificates
            )
            for choice in signed["certificates"] or []
            if choice.name == "certificate"
        )
        infos = list(signed["signer_infos"])
        if not infos:
            raise ChipError(code, f"{what}: no SignerInfo")
        signer = _read_signer(infos[0])
    except ChipError:
        raise
    except ASN1_ERRORS as e:
        raise ChipError(code, f"{what}: not a readable CMS SignedData: {e}") from e
    return SignedContent(content_type, content, certificates, signer, len(infos))


def _read_signer(info: cms.SignerInfo) -> Signer:
    sid = info["sid"]
    issuer = serial = key_id = None
    if sid.name == "issuer_and_serial_number":
        issuer = sid.chosen["issuer"]
        serial = int(sid.chosen["serial_number"].native)
        _ = name_key(issuer)  # malformed names fail here (C01); the form is memoised for `identifies`
    else:
        key_id = bytes(sid.chosen.native)
    attrs = info["signed_attrs"]
    signed_attrs = content_type = digest = signing_time = None
    if attrs.native is not None and len(attrs):
        # RFC 5652 §5.4: the signature covers the DER SET OF, not the [0] IMPLICIT encoding.
        signed_attrs = b"\x31" + attrs.dump()[1:]
        for attr in attrs:
            kind = attr["type"].dotted
            values = list(attr["values"])
            if kind == "1.2.840.113549.1.9.3" and values:
                content_type = values[0].dotted
            elif kind == "1.2.840.113549.1.9.4" and values:
                digest = bytes(values[0].native)
            elif kind == "1.2.840.113549.1.9.5" and values:
                signing_time = values[0].native
    algorithm = info["signature_algorithm"]
    _ = algorithm["algorithm"].dotted, algorithm["parameters"].native
    return Signer(
        issuer=issuer,
        serial_number=serial,
        key_identifier=key_id,
        digest_oid=info["digest_algorithm"]["algorithm"].dotted,
        signature_algorithm=algorithm,
        signed_attrs=signed_attrs,
        content_type_attr=content_type,
        message_digest_attr=digest,
        signing_time=signing_time,
        signature=bytes(info["signature"].native),
    )


def signed_attributes_problem(signed: SignedContent) -> str | None:
    """RFC 5652 §5.3/§11.1-11.2: contentType must equal eContentType, messageDigest the content's hash.

    Returns what is wrong, or None. ICAO 9303-10 §4.6.2.1 requires signed attributes on EF.SOD.
    """
    signer = signed.signer
    if signer.signed_attrs is None:
        return "SignerInfo has no signed attributes"
    if signer.content_type_attr != signed.content_type:
        return f"content-type attribute {signer.content_type_attr} is not eContentType {signed.content_type}"
    if signer.message_digest_attr is None:
        return "no message-digest attribute"
    expected = hash_by_oid(signer.digest_oid).digest(signed.content)
    if signer.message_digest_attr != expected:
        return "message-digest attribute does not match the hash of the encapsulated content"
    return None


def verify_signer(signed: SignedContent, cert: x509.Certificate) -> bool:
    """RFC 5652 §5.6: the signature over the signed attributes (or the content if there are none)."""
    signer = signed.signer
    scheme = resolve_scheme(signer.signature_algorithm, signer.digest_oid)
    message = signer.signed_attrs if signer.signed_attrs is not None else signed.content
    return verify_signature(certificate_public_key(cert), scheme, signer.signature, message)


def signature_scheme_name(signed: SignedContent) -> str:
    try:
        return resolve_scheme(signed.signer.signature_algorithm, signed.signer.digest_oid).name
    except ChipError as e:
        return e.detail
