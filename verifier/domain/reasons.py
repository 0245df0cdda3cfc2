"""The verdict vocabulary: VSS card-check result codes (maKetQua) and our own, kept apart.

VSS codes are three digits and mean what hospitals already know. Ours start with a letter naming
the family (K = card, Q = legacy QR, T = digital token, C = chip, F = face, P = provisional) so
they can never collide with a future VSS code.
"""

from __future__ import annotations

from verifier.chip.codes import CHIP_REASONS
from verifier.tokens.problems import TOKEN_REASONS

VSS_REASONS: dict[str, str] = {
    "000": "card valid",
    "001": "card managed by Defence insurance: check ID papers",
    "002": "card managed by Public Security insurance: check ID papers",
    "003": "old card expired, a new card was issued",
    "004": "old card still valid, a new card was issued",
    "010": "card expired",
    "050": "no card information",
    "051": "wrong card number",
    "052": "wrong province code",
    "053": "wrong benefit code",
    "060": "wrong name",
    "061": "wrong name, first letter matches",
    "070": "wrong date of birth",
    "080": "wrong gender",
    "090": "wrong registered facility",
    "100": "error reading card data",
    "101": "server error",
    "110": "card revoked",
    "120": "participation reduced: moved to another province",
    "121": "participation reduced: moved within the province",
    "122": "participation reduced: re-added",
    "123": "participation reduced: stopped",
    "124": "participation reduced",
    "130": "child without card",
    "205": "bad parameter format",
    "401": "authentication failed",
    "500": "server error",
}

OUR_REASONS: dict[str, str] = {
    "K01": "card not yet valid",
    "K02": "card reported lost: check ID papers",
    "Q01": "legacy QR unreadable",
    "F01": "face does not match the chip photo: staff review",
    "F02": "liveness check failed: staff review",
    "P01": "coverage unconfirmed: the participation record cannot be read now; admitted provisionally, "
    "re-checked automatically",
    "P02": "token replay not checked: the replay record cannot be read now",
    **TOKEN_REASONS,
    **CHIP_REASONS,
}

ACCEPTED_CODE = "000"


def reason_text(code: str) -> str:
    """Human text for a code; unknown codes are shown as such rather than hidden."""
    return VSS_REASONS.get(code) or OUR_REASONS.get(code) or f"unknown reason {code}"
