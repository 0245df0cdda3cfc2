from datetime import UTC, date, datetime

import pytest

from verifier.domain.calendar import vietnam_date
from verifier.domain.facilities import FacilityRegistry
from verifier.errors import BadRequest, UnknownFacility


def test_vietnam_date_turns_at_17_00_utc() -> None:
    assert vietnam_date(datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC)) == date(2026, 12, 31)
    assert vietnam_date(datetime(2026, 12, 31, 17, 0, 0, tzinfo=UTC)) == date(2027, 1, 1)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        vietnam_date(datetime(2026, 1, 1))


def test_registry_normalises_and_refuses_unknown_or_malformed_codes() -> None:
    registry = FacilityRegistry.from_lines(["# comment", "01-C54,District hospital", "", "40-001"])
    assert registry.require(" 01 - c54 ") == "01-C54"
    with pytest.raises(UnknownFacility):
        registry.require("02-C54")
    with pytest.raises(BadRequest):
        registry.require("not a facility")
