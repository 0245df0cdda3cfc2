"""A named check result: the unit an operator reads to see *which* verification step failed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Check:
    """One verification step. `passed` False with no `code` means it could not run (skipped)."""

    name: str
    clause: str  # the standard clause the step implements, e.g. "ICAO 9303-11 §5.1"
    passed: bool
    code: str | None = None  # a C.. reason code when the step failed
    detail: str = ""

    @property
    def status(self) -> str:
        if self.passed:
            return "pass"
        return "fail" if self.code else "skip"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "clause": self.clause,
            "status": self.status,
            "passed": self.passed,
            "code": self.code,
            "detail": self.detail,
        }


def ok(name: str, clause: str, detail: str = "") -> Check:
    return Check(name, clause, True, None, detail)


def fail(name: str, clause: str, code: str, detail: str) -> Check:
    return Check(name, clause, False, code, detail)


def skip(name: str, clause: str, detail: str) -> Check:
    """A step that could not run because an earlier one failed (that one carries the code)."""
    return Check(name, clause, False, None, detail)


def error_codes(checks: Iterable[Check]) -> list[str]:
    """Distinct codes of failed checks, in check order (what `errors` shows)."""
    seen: list[str] = []
    for c in checks:
        if c.code and not c.passed and c.code not in seen:
            seen.append(c.code)
    return seen
