"""The monitor's rules file (TOML): thresholds and windows are configuration, not code.

Loading is strict: an unknown section or key, a wrong type or a nonsensical value is an error that
names the file and the key, because a typo in a threshold would otherwise silently switch a rule
off or make it fire on everyone.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from bhyt.v1.events_pb2 import (
    SEVERITY_CRITICAL,
    SEVERITY_HIGH,
    SEVERITY_LOW,
    SEVERITY_MEDIUM,
    Severity,
)

SEVERITIES: dict[str, Severity] = {
    "low": SEVERITY_LOW,
    "medium": SEVERITY_MEDIUM,
    "high": SEVERITY_HIGH,
    "critical": SEVERITY_CRITICAL,
}


class RulesFileError(ValueError):
    """The rules file cannot be used as written."""


@dataclass(frozen=True)
class Rule:
    enabled: bool = True
    severity: str = "medium"

    @property
    def severity_value(self) -> Severity:
        return SEVERITIES[self.severity]


@dataclass(frozen=True)
class MonitorSettings:
    grace_minutes: float = 30.0
    evidence_limit: int = 20
    clock_skew_minutes: float = 5.0


@dataclass(frozen=True)
class TwoFacilities(Rule):
    severity: str = "high"
    speed_kmh: float = 60.0
    same_province_minutes: float = 30.0
    max_travel_minutes: float = 300.0


@dataclass(frozen=True)
class VisitFrequency(Rule):
    max_per_day: int = 3
    max_per_week: int = 10


@dataclass(frozen=True)
class TokenReplay(Rule):
    severity: str = "high"


@dataclass(frozen=True)
class FaceMismatchStreak(Rule):
    severity: str = "high"
    streak: int = 3


@dataclass(frozen=True)
class RateJump(Rule):
    window_minutes: int = 10
    baseline_minutes: int = 60
    min_events: int = 20
    min_baseline_events: int = 20
    factor: float = 2.0
    margin: float = 0.15


@dataclass(frozen=True)
class KnownBadCard(Rule):
    severity: str = "high"
    # 004 (old card still valid, a new one issued) is a valid card, not misuse.
    codes: tuple[str, ...] = ("003", "010", "110", "120", "121", "122", "123", "124", "K02")


@dataclass(frozen=True)
class RulesConfig:
    monitor: MonitorSettings = field(default_factory=MonitorSettings)
    two_facilities: TwoFacilities = field(default_factory=TwoFacilities)
    visit_frequency: VisitFrequency = field(default_factory=VisitFrequency)
    token_replay: TokenReplay = field(default_factory=TokenReplay)
    face_mismatch_streak: FaceMismatchStreak = field(default_factory=FaceMismatchStreak)
    rate_jump: RateJump = field(default_factory=RateJump)
    known_bad_card: KnownBadCard = field(default_factory=KnownBadCard)

    @property
    def grace_ms(self) -> int:
        return int(self.monitor.grace_minutes * 60_000)

    @property
    def clock_skew_ms(self) -> int:
        return int(self.monitor.clock_skew_minutes * 60_000)

    @property
    def card_retention_ms(self) -> int:
        """How long a card's observations stay in its state: the longest card window plus grace."""
        longest_minutes = max(7 * 24 * 60, self.two_facilities.same_province_minutes + 48 * 60)
        return int(longest_minutes * 60_000) + self.grace_ms

    @property
    def facility_retention_ms(self) -> int:
        r = self.rate_jump
        return int((r.window_minutes + r.baseline_minutes) * 60_000) + self.grace_ms


def load_rules(path: Path) -> RulesConfig:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise RulesFileError(f"rules file {path}: cannot read it: {e.strerror or e}") from e
    except tomllib.TOMLDecodeError as e:
        raise RulesFileError(f"rules file {path}: not valid TOML: {e}") from e
    return rules_from_mapping(raw, source=str(path))


def rules_from_mapping(raw: dict[str, Any], *, source: str = "rules") -> RulesConfig:
    sections = {f.name: f for f in fields(RulesConfig)}
    unknown = sorted(set(raw) - set(sections))
    if unknown:
        raise RulesFileError(f"{source}: unknown section(s) {unknown}; known: {sorted(sections)}")
    defaults = RulesConfig()
    built: dict[str, Any] = {}
    for name in sections:
        table = raw.get(name, {})
        if not isinstance(table, dict):
            raise RulesFileError(f"{source}: [{name}] must be a table")
        built[name] = _section(getattr(defaults, name), table, f"{source}: [{name}]")
    return RulesConfig(**built)


def _section(default: Any, table: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(default)}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise RulesFileError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")
    values: dict[str, Any] = {}
    for key, value in table.items():
        values[key] = _checked(key, value, getattr(default, key), f"{where} {key}")
    return type(default)(**values)


def _checked(key: str, value: Any, default: Any, where: str) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise RulesFileError(f"{where}: expected true or false, got {value!r}")
        return value
    if key == "severity":
        if value not in SEVERITIES:
            raise RulesFileError(f"{where}: expected one of {list(SEVERITIES)}, got {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise RulesFileError(f"{where}: expected a list of codes as strings, got {value!r}")
        return tuple(value)
    if isinstance(default, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RulesFileError(f"{where}: expected a number, got {value!r}")
        if isinstance(default, int) and not isinstance(value, int):
            raise RulesFileError(f"{where}: expected a whole number, got {value!r}")
        if value < 0 or (value == 0 and key not in {"grace_minutes", "margin"}):
            raise RulesFileError(f"{where}: must be positive, got {value!r}")
        return value
    raise RulesFileError(f"{where}: unexpected value {value!r}")  # pragma: no cover - no such field
