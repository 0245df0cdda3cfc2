"""The station of a check-in: a staff id an audit can read."""

from __future__ import annotations

import pytest

from verifier.domain.facilities import FacilityRegistry
from verifier.domain.station import Station
from verifier.errors import BadRequest

FACILITIES = FacilityRegistry.from_lines(["40-001,Bệnh viện"])


@pytest.mark.parametrize("staff", ["NV042", "Nguyễn Thị Lan / NV042", "  nv-1  "])
def test_a_readable_staff_id_is_kept(staff: str) -> None:
    assert Station("40-001", "k1", staff).validated(FACILITIES).staff_id == staff.strip()


@pytest.mark.parametrize(
    "staff", ["", "   ", "\u200b", "\ufeff", "\u202enimda", "a\u2028b", "\x9b", "a\x00", "-/-", "x" * 65]
)
def test_an_empty_invisible_or_deceptive_staff_id_is_refused(staff: str) -> None:
    with pytest.raises(BadRequest, match="staff_id"):
        Station("40-001", "k1", staff).validated(FACILITIES)
