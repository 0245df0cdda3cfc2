"""The one exception the chip package raises on purpose, carrying the reason code that explains it.

Parsers raise `ChipError`; the verify functions catch it and turn it into a failed check, so a
malformed chip read becomes a verdict, never a crash. Anything else escaping is a bug.
"""

from __future__ import annotations

from verifier.errors import VerifierError


class ChipError(VerifierError):
    """Chip data (or a trust source) could not be used; `code` is a `C..` code from `codes.py`."""

    grpc_status = "INVALID_ARGUMENT"

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


# What asn1crypto raises on malformed input (it decodes lazily, so these can surface late). Code
# that touches chip data catches exactly these and turns them into a `ChipError` or failed check.
# RecursionError: asn1crypto decodes nested values recursively, and a forged certificate nested a
# thousand levels deep (a few kilobytes) exhausts Python's stack.
ASN1_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
)
