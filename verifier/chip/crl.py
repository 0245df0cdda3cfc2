"""Certificate revocation lists from CSCAs (ICAO 9303-12 §7 CRL profile; RFC 5280 §5).

A CSCA publishes one CRL covering the Document Signers it issued. A CRL is only believed after its
signature verifies against a CSCA already in the trust store whose name is the CRL issuer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import crl, pem, x509

from verifier.chip.certs import key_id_matches, key_usage, name_key, signed_by, subject_key
from verifier.chip.codes import TRUST_SOURCE_MALFORMED
from verifier.chip.errors import ASN1_ERRORS, ChipError
from verifier.chip.tlv import check_nesting


@dataclass(frozen=True)
class RevocationList:
    """A CRL reduced to what revocation checking needs."""

    issuer: x509.Name = field(repr=False)
    issuer_key_id: bytes | None
    this_update: datetime
    next_update: datetime | None
    revoked: Mapping[int, datetime]  # serial number -> revocation date
    source: str
    signed: crl.CertificateList = field(repr=False, compare=False)

    def is_current(self, at: datetime) -> bool:
        """RFC 5280 §6.3.3 (a): usable while thisUpdate <= at < nextUpdate (no nextUpdate: always)."""
        return self.this_update <= at and (self.next_update is None or at < self.next_update)

    def revocation_date(self, serial_number: int) -> datetime | None:
        return self.revoked.get(serial_number)


def parse_crl(data: bytes, *, source: str = "CRL") -> RevocationList:
    """A DER or PEM CRL; anything unreadable is `ChipError(C19)`."""
    try:
        if pem.detect(data):
            kinds = [(kind, der) for kind, _, der in pem.unarmor(data, multiple=True)]
            ders = [der for kind, der in kinds if kind == "X509 CRL"]
            if len(ders) != 1:
                raise ChipError(TRUST_SOURCE_MALFORMED, f"{source}: expected one X509 CRL PEM block")
            data = ders[0]
        check_nesting(data, code=TRUST_SOURCE_MALFORMED, what=source)
        signed = crl.CertificateList.load(data, strict=True)
        tbs = signed["tbs_cert_list"]
        revoked: dict[int, datetime] = {}
        for entry in tbs["revoked_certificates"] or []:
            revoked[int(entry["user_certificate"].native)] = entry["revocation_date"].native
        this_update = tbs["this_update"].native
        next_update = tbs["next_update"].native
        issuer = tbs["issuer"]
        _ = name_key(issuer), signed["signature"].native, signed["signature_algorithm"]["algorithm"].dotted
        _ = tbs.dump()  # what the signature check hashes: asn1crypto may re-encode (and fail) lazily
        issuer_key_id = signed.authority_key_identifier
    except ChipError:
        raise
    except ASN1_ERRORS as e:
        raise ChipError(TRUST_SOURCE_MALFORMED, f"{source}: not a readable CRL: {e}") from e
    if not isinstance(this_update, datetime):
        raise ChipError(TRUST_SOURCE_MALFORMED, f"{source}: no thisUpdate")
    return RevocationList(issuer, issuer_key_id, this_update, next_update, revoked, source, signed)


def crl_signer(revocations: RevocationList, cscas: list[x509.Certificate]) -> x509.Certificate | None:
    """The CSCA whose key signed the CRL and whose keyUsage allows cRLSign (RFC 5280 §6.3.3 (f))."""
    for csca in cscas:
        if name_key(revocations.issuer) != subject_key(csca):
            continue
        if not key_id_matches(revocations.issuer_key_id, csca):
            continue
        usage = key_usage(csca)
        if usage is not None and "crl_sign" not in usage:
            continue
        try:
            if signed_by(revocations.signed, csca):
                return csca
        except ChipError:
            continue
    return None
