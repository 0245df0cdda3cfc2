"""Why a token was refused: one code per cause, so a kiosk operator and the monitoring see which.

Codes are ours (family T = digital token), listed with their texts in `verifier.domain.reasons`.
"""

from __future__ import annotations

# In the order a verifier meets them; when several apply the earliest is the result code.
UNKNOWN_PREFIX = "T08"
TOO_LARGE = "T09"
DECOMPRESSED_TOO_LARGE = "T10"
MALFORMED = "T01"
UNSUPPORTED_ALGORITHM = "T11"
UNKNOWN_KEY = "T03"
KEY_REVOKED = "T07"
BAD_SIGNATURE = "T02"
OUTSIDE_KEY_VALIDITY = "T12"
EXPIRED = "T04"
NOT_YET_VALID = "T05"
REPLAYED = "T06"

SEVERITY_ORDER = (
    UNKNOWN_PREFIX,
    TOO_LARGE,
    DECOMPRESSED_TOO_LARGE,
    MALFORMED,
    UNSUPPORTED_ALGORITHM,
    UNKNOWN_KEY,
    KEY_REVOKED,
    BAD_SIGNATURE,
    OUTSIDE_KEY_VALIDITY,
    EXPIRED,
    NOT_YET_VALID,
    REPLAYED,
)

TOKEN_REASONS: dict[str, str] = {
    MALFORMED: "token malformed",
    BAD_SIGNATURE: "token signature invalid",
    UNKNOWN_KEY: "token signed by an unknown key",
    EXPIRED: "token expired",
    NOT_YET_VALID: "token not yet valid",
    REPLAYED: "token already presented at another kiosk",
    KEY_REVOKED: "token signing key revoked",
    UNKNOWN_PREFIX: "not a card token: unknown prefix",
    TOO_LARGE: "token too large",
    DECOMPRESSED_TOO_LARGE: "token decompresses beyond the size limit",
    UNSUPPORTED_ALGORITHM: "token signature algorithm not supported for its key",
    OUTSIDE_KEY_VALIDITY: "token issued outside its signing key's validity",
}

# What a kiosk screen and the staff read first (Vietnamese first, `verifier.domain.reasons`).
TOKEN_REASONS_VI: dict[str, str] = {
    MALFORMED: "Mã thẻ điện tử bị lỗi, không đọc được",
    BAD_SIGNATURE: "Chữ ký của mã thẻ điện tử không hợp lệ",
    UNKNOWN_KEY: "Mã thẻ điện tử được ký bằng khóa không xác định",
    EXPIRED: "Mã thẻ điện tử đã hết hạn",
    NOT_YET_VALID: "Mã thẻ điện tử chưa có hiệu lực",
    REPLAYED: "Mã thẻ điện tử đã được xuất trình tại một ki-ốt khác",
    KEY_REVOKED: "Khóa ký mã thẻ điện tử đã bị thu hồi",
    UNKNOWN_PREFIX: "Không phải mã thẻ BHYT điện tử: tiền tố không xác định",
    TOO_LARGE: "Mã thẻ điện tử quá dài",
    DECOMPRESSED_TOO_LARGE: "Mã thẻ điện tử sau khi giải nén vượt quá giới hạn dung lượng",
    UNSUPPORTED_ALGORITHM: "Thuật toán chữ ký của mã thẻ điện tử không được hỗ trợ hoặc không hợp với khóa",
    OUTSIDE_KEY_VALIDITY: "Mã thẻ điện tử được cấp ngoài thời hạn hiệu lực của khóa ký",
}


class TokenProblem(ValueError):
    """A token that cannot be read at all; `code` says at which layer it broke."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
