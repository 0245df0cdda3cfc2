"""The registry of health facilities allowed to run check-in kiosks.

A facility code is the province code, a dash and the facility's own code (e.g. "01-C54"), as VSS
prints registered initial-care facilities. Kiosks name their facility; an unknown one is refused
before anything is judged or recorded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from verifier.errors import BadRequest, UnknownFacility

_FACILITY = re.compile(r"[0-9]{2}-[A-Z0-9]{2,5}")


def normalise_facility(raw: str) -> str:
    """Canonical form: upper case, no spaces ("01 - c54" -> "01-C54"); BadRequest if not a code."""
    text = re.sub(r"\s", "", raw or "").upper()
    if not _FACILITY.fullmatch(text):
        raise BadRequest(f"facility id {raw[:40]!r} is not of the form PP-XXX (e.g. 01-C54)")
    return text


@dataclass(frozen=True)
class FacilityRegistry:
    codes: frozenset[str]

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> FacilityRegistry:
        """One code per line; blank lines and `#` comments ignored; first column of a CSV line used."""
        codes = set()
        for line in lines:
            text = line.split("#", 1)[0].split(",", 1)[0].strip()
            if text:
                codes.add(normalise_facility(text))
        return cls(frozenset(codes))

    def require(self, raw: str) -> str:
        """The canonical code of a known facility, or UnknownFacility."""
        code = normalise_facility(raw)
        if code not in self.codes:
            raise UnknownFacility(f"facility {code} is not registered")
        return code
