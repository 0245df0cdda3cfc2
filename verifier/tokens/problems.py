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


class TokenProblem(ValueError):
    """A token that cannot be read at all; `code` says at which layer it broke."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


TOKEN_REASONS_VI: dict[str, str] = {}  # filled in below by the Vietnamese-first work
