"""Chip reason codes: ours, letter-prefixed `C` so they can never collide with a 3-digit VSS code.

Each code names one step an operator can act on ("which check failed"), so codes are never reused
for a second meaning. The text is what a kiosk may show; details go in the check's `detail`.
"""

from __future__ import annotations

SOD_MALFORMED = "C01"
SOD_SIGNATURE_INVALID = "C02"
DS_CERTIFICATE_MISSING = "C03"
DS_NOT_TRUSTED = "C04"
DS_NOT_VALID_AT_TIME = "C05"
DS_REVOKED = "C06"
DG_HASH_MISMATCH = "C07"
DG_NOT_COVERED = "C08"
MRZ_CHECK_DIGIT = "C09"
DG_MALFORMED = "C10"
ACTIVE_AUTH_FAILED = "C11"
CCCD_NUMBER_INCONSISTENT = "C12"
MRZ_DG13_DISAGREE = "C13"
UNSUPPORTED_ALGORITHM = "C14"
DS_KEY_USAGE = "C15"
SIGNED_ATTRIBUTES = "C16"
REVOCATION_UNKNOWN = "C17"
DOCUMENT_EXPIRED = "C18"
TRUST_SOURCE_MALFORMED = "C19"
TRUST_SOURCE_UNVERIFIED = "C20"

CHIP_REASONS: dict[str, str] = {
    SOD_MALFORMED: "EF.SOD malformed (not a CMS SignedData over an LDS Security Object)",
    SOD_SIGNATURE_INVALID: "EF.SOD signature invalid",
    DS_CERTIFICATE_MISSING: "Document Signer certificate missing from EF.SOD",
    DS_NOT_TRUSTED: "Document Signer not trusted: no valid chain to a CSCA in the trust store",
    DS_NOT_VALID_AT_TIME: "Document Signer certificate expired or not yet valid",
    DS_REVOKED: "Document Signer certificate revoked (CRL)",
    DG_HASH_MISMATCH: "data group hash does not match EF.SOD (data altered)",
    DG_NOT_COVERED: "data group not covered by EF.SOD, or a required data group was not read",
    MRZ_CHECK_DIGIT: "MRZ check digit wrong",
    DG_MALFORMED: "data group malformed (DG1, DG2, DG13, DG14 or DG15)",
    ACTIVE_AUTH_FAILED: "active authentication failed: chip may be cloned",
    CCCD_NUMBER_INCONSISTENT: "CCCD number malformed or inconsistent with date of birth, gender or MRZ",
    MRZ_DG13_DISAGREE: "MRZ (DG1) and personal data (DG13) disagree",
    UNSUPPORTED_ALGORITHM: "unsupported hash, signature or key algorithm",
    DS_KEY_USAGE: "Document Signer certificate key usage wrong",
    SIGNED_ATTRIBUTES: "EF.SOD signed attributes wrong (content type or message digest mismatch)",
    REVOCATION_UNKNOWN: "Document Signer revocation status unknown (no current CRL from its CSCA)",
    DOCUMENT_EXPIRED: "document expired (MRZ date of expiry before the verification date)",
    TRUST_SOURCE_MALFORMED: "trust source malformed (certificate, master list or CRL file)",
    TRUST_SOURCE_UNVERIFIED: "trust source not verified (master list or CRL signature/signer not trusted)",
}


def chip_reason_text(code: str) -> str:
    """Human text for a chip code; unknown codes are shown as such rather than hidden."""
    return CHIP_REASONS.get(code, f"unknown chip reason {code}")


CHIP_REASONS_VI: dict[str, str] = {}  # filled in below by the Vietnamese-first work
