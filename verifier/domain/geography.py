"""Where facilities are, roughly: enough to bound how fast someone could get from one to another.

It serves the misuse rule "the same card checked in at two facilities further apart than travel
allows". A facility id starts with its province code ("79-C54" is in Ho Chi Minh City), and each
province is placed at its capital's city centre, so the distance between two facilities is the
distance between their provinces' capitals. That is coarse on purpose: the rule needs only a rough
lower bound on travel time, meant for journeys between distant provinces. Where the data cannot
say, the module leans towards the journey being possible: no distance within one province, and
None (never an invented distance) when a province is unknown. Facilities near a shared border of
two neighbouring provinces can be closer than their capitals, so callers should err towards a fast
`speed_kmh` and a short `same_province_minutes`.

Pure: no I/O except reading the provinces file when asked to.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PROVINCES = Path(__file__).resolve().parents[1] / "data" / "provinces.csv"

_HEADER = ["code", "name", "lat", "lon"]

# Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088

# Roads are not straight lines: road distance is typically 1.2-1.4 times the straight-line distance
# (the "circuity" or detour factor measured for road networks), and 1.3 is the usual middle value -
# Vietnam's north-south highway is fairly direct, the northern mountain roads wind far more. The
# factor lengthens the estimate, so what keeps the result a *lower* bound is the caller's speed_kmh,
# which should be the fastest plausible door-to-door speed (flights included, if they count).
ROAD_FACTOR = 1.3


@dataclass(frozen=True)
class Province:
    """A province by its card/GSO code, placed at its capital's (approximate) city centre."""

    code: str
    name: str
    lat: float
    lon: float


def load_provinces(path: Path = DEFAULT_PROVINCES) -> dict[str, Province]:
    """Provinces by code from a `code,name,lat,lon` CSV; `#` comment and blank lines are skipped.

    A bad row is a ValueError naming the file and line: the travel-time rule must not run on a
    half-read or mistyped table, since a wrong coordinate would report honest patients.
    """
    provinces: dict[str, Province] = {}
    header_seen = False
    with path.open(encoding="utf-8", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            row = [field.strip() for field in next(csv.reader([line]))]
            where = f"{path}, line {number}"
            if not header_seen:
                if row != _HEADER:
                    raise ValueError(
                        f"{where}: expected the header {','.join(_HEADER)!r}, got {line.strip()!r}"
                    )
                header_seen = True
                continue
            province = _parse_row(row, where)
            if province.code in provinces:
                raise ValueError(f"{where}: province {province.code} appears twice")
            provinces[province.code] = province
    if not header_seen:
        raise ValueError(f"{path}: no header {','.join(_HEADER)!r} (the file has no rows)")
    return provinces


def _parse_row(row: list[str], where: str) -> Province:
    if len(row) != len(_HEADER):
        raise ValueError(f"{where}: expected {len(_HEADER)} fields (code,name,lat,lon), got {len(row)}")
    code, name, lat_text, lon_text = row
    if len(code) != 2 or not (code.isascii() and code.isdigit()):
        raise ValueError(f"{where}: province code {code!r} is not two digits")
    if not name:
        raise ValueError(f"{where}: province {code} has no name")
    lat = _coordinate(lat_text, 90.0, "latitude", where)
    lon = _coordinate(lon_text, 180.0, "longitude", where)
    return Province(code=code, name=name, lat=lat, lon=lon)


def _coordinate(text: str, limit: float, what: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise ValueError(f"{where}: {what} {text!r} is outside -{limit:g}..{limit:g}")
    return value


def province_of(facility_id: str) -> str:
    """The province code a facility id starts with ("79-C54" -> "79"), or "" if it starts otherwise."""
    code = facility_id[:2]
    return code if len(code) == 2 and code.isascii() and code.isdigit() else ""


def _haversine_km(a: Province, b: Province) -> float:
    lat_a, lat_b = math.radians(a.lat), math.radians(b.lat)
    d_lat = lat_b - lat_a
    d_lon = math.radians(b.lon - a.lon)
    h = math.sin(d_lat / 2) ** 2 + math.cos(lat_a) * math.cos(lat_b) * math.sin(d_lon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class Geography:
    """Distances and minimum travel times between facilities, from their provinces' capitals.

    Facility ids are compared as given, so pass canonical ids (as the check-in events record them).
    """

    def __init__(self, provinces: Mapping[str, Province]) -> None:
        self._provinces: dict[str, Province] = dict(provinces)

    @classmethod
    def load(cls, path: Path = DEFAULT_PROVINCES) -> Geography:
        """A Geography from a provinces CSV (see load_provinces)."""
        return cls(load_provinces(path))

    @property
    def provinces(self) -> Mapping[str, Province]:
        return self._provinces

    def distance_km(self, facility_a: str, facility_b: str) -> float | None:
        """Straight-line km between the two facilities' province capitals.

        0.0 within one province (the capitals are all we know, so no distance can be claimed);
        None when either province is unknown, because a made-up distance could flag honest travel.
        """
        province_a = self._provinces.get(province_of(facility_a))
        province_b = self._provinces.get(province_of(facility_b))
        if province_a is None or province_b is None:
            return None
        if province_a.code == province_b.code:
            return 0.0
        return _haversine_km(province_a, province_b)

    def min_travel_minutes(
        self, facility_a: str, facility_b: str, *, speed_kmh: float, same_province_minutes: float
    ) -> float:
        """The least time, in minutes, in which one person could check in at both facilities.

        0 for the same facility; otherwise `same_province_minutes` (leaving one facility and
        reaching another takes time even next door) plus the road distance (straight line times
        ROAD_FACTOR) at `speed_kmh`. If either province is unknown only `same_province_minutes` is
        counted: the rule then flags less, never more, than the facts support.
        """
        if not speed_kmh > 0:
            raise ValueError(f"speed_kmh must be positive, got {speed_kmh!r}")
        if not same_province_minutes >= 0:
            raise ValueError(f"same_province_minutes must not be negative, got {same_province_minutes!r}")
        if facility_a == facility_b:
            return 0.0
        distance = self.distance_km(facility_a, facility_b)
        if distance is None:
            return float(same_province_minutes)
        return same_province_minutes + distance * ROAD_FACTOR / speed_kmh * 60.0
