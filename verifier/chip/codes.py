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

# What a kiosk screen and the staff read first (Vietnamese first, `verifier.domain.reasons`). The
# ICAO terms (EF.SOD, MRZ, CSCA, CRL, DG1...) stay as they are: they are what the chip documents use.
CHIP_REASONS_VI: dict[str, str] = {
    SOD_MALFORMED: "EF.SOD sai cấu trúc (không phải CMS SignedData chứa LDS Security Object)",
    SOD_SIGNATURE_INVALID: "Chữ ký của EF.SOD không hợp lệ",
    DS_CERTIFICATE_MISSING: "EF.SOD không có chứng thư của đơn vị ký (Document Signer)",
    DS_NOT_TRUSTED: "Chứng thư của đơn vị ký (Document Signer) không được tin cậy: "
    "không có chuỗi hợp lệ đến CSCA trong kho tin cậy",
    DS_NOT_VALID_AT_TIME: "Chứng thư của đơn vị ký (Document Signer) đã hết hạn hoặc chưa có hiệu lực",
    DS_REVOKED: "Chứng thư của đơn vị ký (Document Signer) đã bị thu hồi (CRL)",
    DG_HASH_MISMATCH: "Mã băm của nhóm dữ liệu không khớp với EF.SOD (dữ liệu đã bị sửa đổi)",
    DG_NOT_COVERED: "Nhóm dữ liệu không có trong EF.SOD, hoặc chưa đọc một nhóm dữ liệu bắt buộc",
    MRZ_CHECK_DIGIT: "Chữ số kiểm tra của MRZ sai",
    DG_MALFORMED: "Nhóm dữ liệu sai cấu trúc (DG1, DG2, DG13, DG14 hoặc DG15)",
    ACTIVE_AUTH_FAILED: "Xác thực chủ động không đạt: chip có thể đã bị sao chép",
    CCCD_NUMBER_INCONSISTENT: "Số CCCD sai định dạng hoặc không khớp với ngày sinh, giới tính hoặc MRZ",
    MRZ_DG13_DISAGREE: "MRZ (DG1) và thông tin cá nhân (DG13) không khớp nhau",
    UNSUPPORTED_ALGORITHM: "Thuật toán băm, chữ ký hoặc khóa không được hỗ trợ",
    DS_KEY_USAGE: "Mục đích sử dụng khóa của chứng thư đơn vị ký (Document Signer) không đúng",
    SIGNED_ATTRIBUTES: "Thuộc tính ký của EF.SOD sai (loại nội dung hoặc mã băm thông điệp không khớp)",
    REVOCATION_UNKNOWN: "Chưa xác định được chứng thư đơn vị ký (Document Signer) có bị thu hồi không "
    "(không có CRL còn hiệu lực của CSCA)",
    DOCUMENT_EXPIRED: "Thẻ căn cước đã hết hạn (ngày hết hạn trong MRZ trước ngày kiểm tra)",
    TRUST_SOURCE_MALFORMED: "Nguồn tin cậy sai cấu trúc (tệp chứng thư, danh sách CSCA hoặc CRL)",
    TRUST_SOURCE_UNVERIFIED: "Nguồn tin cậy chưa được xác minh "
    "(chữ ký hoặc đơn vị ký danh sách CSCA hoặc CRL không được tin cậy)",
}


def chip_reason_text(code: str) -> str:
    """Human text for a chip code; unknown codes are shown as such rather than hidden."""
    return CHIP_REASONS.get(code, f"unknown chip reason {code}")
