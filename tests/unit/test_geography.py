"""Facility geography for the "checked in further apart than travel allows" rule: table and arithmetic."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from verifier.domain.card_number import PROVINCE_CODES
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.geography import (
    DEFAULT_PROVINCES,
    ROAD_FACTOR,
    Geography,
    Province,
    load_provinces,
    province_of,
)
from verifier.settings import Settings

FACILITIES_CSV = Settings().facilities_file  # verifier/data/facilities.csv, beside provinces.csv
# Two provinces on the equator one degree of longitude apart: exactly pi/180 Earth radii.
EQUATOR = {
    "10": Province("10", "West", 0.0, 100.0),
    "20": Province("20", "East", 0.0, 101.0),
}
ONE_DEGREE_KM = 6371.0088 * math.pi / 180


@pytest.fixture(scope="module")
def geography() -> Geography:
    return Geography.load()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "provinces.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_default_table_sits_beside_the_facility_registry() -> None:
    assert (FACILITIES_CSV.parent / "provinces.csv").resolve() == DEFAULT_PROVINCES.resolve()
    assert DEFAULT_PROVINCES.is_file()


def test_the_table_has_every_card_province_once_with_an_ascii_name_inside_vietnam() -> None:
    provinces = load_provinces()
    assert set(provinces) == PROVINCE_CODES
    assert len(provinces) == 63
    for code, province in provinces.items():
        assert province.code == code
        assert province.name.isascii() and province.name
        assert 8.0 < province.lat < 24.0 and 102.0 < province.lon < 110.0, province
    assert provinces["01"].name == "Ha Noi"
    assert provinces["79"].name == "Ho Chi Minh City"


def test_every_registered_facility_has_a_known_province() -> None:
    provinces = load_provinces()
    registry = FacilityRegistry.from_lines(FACILITIES_CSV.read_text(encoding="utf-8").splitlines())
    assert registry.codes
    missing = sorted(code for code in registry.codes if province_of(code) not in provinces)
    assert missing == []


@pytest.mark.parametrize(
    ("facility", "province"),
    [
        ("01-001", "01"),
        ("79-C54", "79"),
        ("96", "96"),
        ("X1-001", ""),
        ("1-001", ""),
        ("", ""),
        ("\u0660\u0661-001", ""),  # Arabic-Indic digits: str.isdigit, not a province code
    ],
)
def test_province_of_is_the_two_leading_ascii_digits(facility: str, province: str) -> None:
    assert province_of(facility) == province


def test_ha_noi_to_ho_chi_minh_city_is_about_1150_km_straight(geography: Geography) -> None:
    distance = geography.distance_km("01-001", "79-C54")
    assert distance is not None
    assert 1140 <= distance <= 1160


def test_haversine_on_the_equator_is_one_degree_of_arc() -> None:
    assert Geography(EQUATOR).distance_km("10-001", "20-001") == pytest.approx(ONE_DEGREE_KM)


def test_same_province_is_zero_km(geography: Geography) -> None:
    assert geography.distance_km("01-001", "01-C54") == 0.0
    assert geography.distance_km("79-T01", "79-T01") == 0.0


def test_distance_is_symmetric(geography: Geography) -> None:
    codes = sorted(geography.provinces)
    for a in codes:
        for b in codes:
            there = geography.distance_km(f"{a}-001", f"{b}-C54")
            back = geography.distance_km(f"{b}-C54", f"{a}-001")
            assert there is not None and back is not None
            assert there == pytest.approx(back)
            assert (there == 0.0) == (a == b)


@pytest.mark.parametrize(
    ("a", "b"), [("99-001", "01-001"), ("01-001", "99-001"), ("99-001", "99-002"), ("XX", "01-001")]
)
def test_unknown_province_has_no_distance_and_only_the_fixed_minutes(
    geography: Geography, a: str, b: str
) -> None:
    assert geography.distance_km(a, b) is None
    assert geography.min_travel_minutes(a, b, speed_kmh=60, same_province_minutes=20) == 20.0


def test_min_travel_minutes_values() -> None:
    geography = Geography(EQUATOR)
    minutes = geography.min_travel_minutes("10-001", "20-001", speed_kmh=60, same_province_minutes=15)
    # 60 km/h is a km a minute: the road distance in km is the driving time in minutes.
    assert minutes == pytest.approx(15 + ONE_DEGREE_KM * ROAD_FACTOR)
    assert ROAD_FACTOR == 1.3
    assert geography.min_travel_minutes("10-001", "10-001", speed_kmh=60, same_province_minutes=15) == 0.0
    assert geography.min_travel_minutes("10-001", "10-C54", speed_kmh=60, same_province_minutes=15) == 15.0
    # Unknown facility codes still count as the same facility when they are identical.
    assert geography.min_travel_minutes("??", "??", speed_kmh=60, same_province_minutes=15) == 0.0


def test_min_travel_minutes_ha_noi_to_ho_chi_minh_city(geography: Geography) -> None:
    distance = geography.distance_km("01-001", "79-001")
    assert distance is not None
    by_road = geography.min_travel_minutes("01-001", "79-001", speed_kmh=80, same_province_minutes=30)
    assert by_road == pytest.approx(30 + distance * 1.3 / 80 * 60)
    assert 1140 * 1.3 / 80 * 60 + 30 <= by_road <= 1160 * 1.3 / 80 * 60 + 30
    back = geography.min_travel_minutes("79-001", "01-001", speed_kmh=80, same_province_minutes=30)
    assert back == pytest.approx(by_road)


@pytest.mark.parametrize(("speed", "fixed"), [(0.0, 10.0), (-5.0, 10.0), (math.nan, 10.0), (60.0, -1.0)])
def test_min_travel_minutes_refuses_nonsense_parameters(speed: float, fixed: float) -> None:
    with pytest.raises(ValueError):
        Geography(EQUATOR).min_travel_minutes(
            "10-001", "20-001", speed_kmh=speed, same_province_minutes=fixed
        )


def test_comment_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path, "# what this is\n\ncode,name,lat,lon\n# a note\n01,Ha Noi,21.028,105.854\n\n")
    assert load_provinces(path) == {"01": Province("01", "Ha Noi", 21.028, 105.854)}


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("01,Ha Noi,21.028", "expected 4 fields"),
        ("01,Ha Noi,21.028,105.854,extra", "expected 4 fields"),
        ("1,Ha Noi,21.028,105.854", "not two digits"),
        ("AB,Ha Noi,21.028,105.854", "not two digits"),
        ("01,,21.028,105.854", "no name"),
        ("01,Ha Noi,north,105.854", "latitude 'north' is not a number"),
        ("01,Ha Noi,91,105.854", "latitude '91' is outside"),
        ("01,Ha Noi,21.028,nan", "longitude 'nan' is outside"),
        ("02,Ha Giang,22.823,104.984", "province 02 appears twice"),
    ],
)
def test_a_bad_row_names_the_file_and_line(tmp_path: Path, row: str, problem: str) -> None:
    path = _write(tmp_path, f"# comment\ncode,name,lat,lon\n02,Ha Giang,22.823,104.984\n{row}\n")
    with pytest.raises(ValueError, match=problem) as caught:
        load_provinces(path)
    assert f"{path}, line 4" in str(caught.value)


def test_a_missing_or_wrong_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="line 1: expected the header"):
        load_provinces(_write(tmp_path, "01,Ha Noi,21.028,105.854\n"))
    with pytest.raises(ValueError, match="no header"):
        load_provinces(_write(tmp_path, "# only a comment\n"))
