"""CSCA master lists (ICAO 9303-12 §8): CMS-signed sets of CSCA certificates, e.g. the BSI list.

A master list is only as good as its signer: the Master List Signer certificate travels inside the
CMS and must itself be issued by a CSCA, either one in the list (the issuing state's own CSCA, as the
BSI list does) or one already trusted. The list's certificates are imported only when the CMS
signature verifies *and* that chain holds; otherwise the problem is reported and nothing imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from asn1crypto import core, x509

from verifier.chip.certs import (
    CertificateSummary,
    issued_by_name,
    key_id_matches,
    signed_by,
    touch_certificate,
)
from verifier.chip.cms import parse_signed_data, signed_attributes_problem, verify_signer
from verifier.chip.codes import TRUST_SOURCE_MALFORMED
from verifier.chip.errors import ASN1_ERRORS, ChipError

CSCA_MASTER_LIST_OID = "2.23.136.1.1.2"


class CertificateSet(core.SetOf):
    _child_spec = x509.Certificate


class CscaMasterList(core.Sequence):
    """9303-12 §8: CscaMasterList ::= SEQUENCE { version CscaMasterListVersion (v0), certList SET OF }."""

    _fields: ClassVar[list[Any]] = [("version", core.Integer), ("cert_list", CertificateSet)]


@dataclass(frozen=True)
class MasterListReport:
    certificates: tuple[x509.Certificate, ...]
    signer: CertificateSummary | None
    signature_valid: bool
    signer_trusted: bool
    problem: str | None  # why the list must not be trusted, or None

    @property
    def accepted(self) -> bool:
        return self.problem is None


def read_master_list(
    data: bytes, trusted: Sequence[x509.Certificate], *, source: str = "master list"
) -> MasterListReport:
    """Parse and verify a master list; malformed input is `ChipError(C19)`, distrust is `problem`."""
    signed = parse_signed_data(
        data, expected_content_type=CSCA_MASTER_LIST_OID, code=TRUST_SOURCE_MALFORMED, what=source
    )
    try:
        content = CscaMasterList.load(signed.content, strict=True)
        certificates = tuple(touch_certificate(c) for c in content["cert_list"])
    except ASN1_ERRORS as e:
        raise ChipError(TRUST_SOURCE_MALFORMED, f"{source}: CscaMasterList unreadable: {e}") from e
    signer = signed.signer_certificate()
    if signer is None:
        return MasterListReport(
            certificates, None, False, False, "the master list signer certificate is not in the CMS"
        )
    summary = CertificateSummary.of(signer)
    try:
        attrs_problem = signed_attributes_problem(signed)
        signature_valid = attrs_problem is None and verify_signer(signed, signer)
    except ChipError as e:
        return MasterListReport(
            certificates, summary, False, False, f"master list signature not verifiable: {e.detail}"
        )
    if not signature_valid:
        why = attrs_problem or "the CMS signature does not verify with the signer certificate"
        return MasterListReport(certificates, summary, False, False, why)
    if not _issued_by_any(signer, [*certificates, *trusted]):
        return MasterListReport(
            certificates,
            summary,
            True,
            False,
            f"signer {summary.subject} is not issued by a CSCA in the list or in the trust store",
        )
    return MasterListReport(certificates, summary, True, True, None)


def _issued_by_any(cert: x509.Certificate, issuers: Sequence[x509.Certificate]) -> bool:
    for issuer in issuers:
        if not issued_by_name(cert, issuer) or not key_id_matches(cert.authority_key_identifier, issuer):
            continue
        try:
            if signed_by(cert, issuer):
                return True
        except ChipError:
            continue
    return False
