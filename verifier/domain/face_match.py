"""Face-match policy: the facility's threshold decides whether the live face matches a photo.

The kiosk runs the matcher (images never leave it) and reports a score; it also reports the
threshold it used, which is recorded but not trusted: a tampered or misconfigured kiosk must not
lower the bar. A mismatch or a failed liveness check never rejects on its own (matchers err, faces
change); it asks staff to look (`F01`, `F02`), and the streaks are watched by monitoring.

The photo may be the chip's (DG2, the chip path's default), the one VssID shows, the one printed on
the card, or the ID papers' one: `compared_with` says which, since a match against a photo the
patient brought proves less than one against the chip's, and monitoring keeps them apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

LIVENESS_VALUES = ("passed", "failed", "not_checked")
CHIP_PHOTO = "chip_photo"
COMPARED_WITH_VALUES = (CHIP_PHOTO, "vssid_photo", "card_photo", "id_papers_photo")


@dataclass(frozen=True)
class FaceMatchReport:
    score: float
    kiosk_threshold: float
    liveness: str
    matcher: str
    compared_with: str = CHIP_PHOTO

    def problem(self) -> str | None:
        """What is wrong with the report, naming the request field; None when it may be judged."""
        if not (math.isfinite(self.score) and 0.0 <= self.score <= 1.0):
            return "face_match.score: a similarity between 0 and 1"
        if self.liveness not in LIVENESS_VALUES:
            return f"face_match.liveness: one of {', '.join(LIVENESS_VALUES)}"
        if not self.matcher or len(self.matcher) > 100:
            return "face_match.matcher: the matcher's name, 1-100 characters"
        if self.compared_with not in COMPARED_WITH_VALUES:
            return f"face_match.compared_with: one of {', '.join(COMPARED_WITH_VALUES)}"
        return None


@dataclass(frozen=True)
class FaceJudgement:
    matched: bool
    applied_threshold: float
    codes: tuple[str, ...]


@dataclass(frozen=True)
class FacePolicy:
    default_threshold: float = 0.8
    by_facility: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def parse(cls, default_threshold: float, overrides: str) -> FacePolicy:
        """`overrides` is "40-001=0.85,01-C54=0.9" (facility=threshold); ValueError names a bad entry."""
        by_facility: dict[str, float] = {}
        for entry in filter(None, (e.strip() for e in overrides.split(","))):
            facility, sep, value = entry.partition("=")
            try:
                threshold = float(value)
            except ValueError:
                threshold = -1.0
            if not sep or not facility.strip() or not 0.0 < threshold <= 1.0:
                raise ValueError(f"face match threshold {entry!r}: expected FACILITY=0..1")
            by_facility[facility.strip()] = threshold
        return cls(default_threshold, by_facility)

    def threshold(self, facility: str) -> float:
        return self.by_facility.get(facility, self.default_threshold)

    def judge(self, report: FaceMatchReport, facility: str) -> FaceJudgement:
        threshold = self.threshold(facility)
        matched = report.score >= threshold
        codes = [] if matched else ["F01"]
        if report.liveness == "failed":
            codes.append("F02")
        return FaceJudgement(matched and report.liveness != "failed", threshold, tuple(codes))
