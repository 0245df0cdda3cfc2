"""A seeded, reproducible synthetic population of BHYT participants, for tests and benchmarks.

Why synthetic: real participation records are personal data (Decree 13/2023) and must never be
copied into a test environment, yet load tests, bulk-import runs and projection rebuilds need
millions of rows that look like the real register: realistic group/benefit-level mix by age,
Vietnamese names with diacritics, CCCD numbers consistent with date of birth and gender, expired,
not-yet-valid, replaced, revoked, lost and reduced cards in believable proportions, and a few
people of pension age whose birth date is the year alone or whose card is open-ended (no end date).

Why the design is what it is:

* Rows are a pure function of (seed, as_of, row index): the same arguments give byte-identical
  files, and the first N rows of a larger run equal a run of N rows (random draws are made in
  fixed-size chunks), so a benchmark can take a prefix of a big file and a test can regenerate any
  row it needs to compare against.
* Speed (>= 100k rows/s on one core, 10 M rows in minutes): everything that does not depend on the
  row is precomputed once per run (ISO strings for every day, month-start periods, per-age group
  tables); per row there is no date parsing or datetime arithmetic, only table look-ups, a few
  `random()` calls and f-strings. Categorical draws (province, age, family name, card period,
  facility, status) index 65,536-slot tables with random bytes in C, ~5x cheaper than
  `random.choices`; `write()` hands each row's values straight to the C csv writer.
* Uniqueness without bookkeeping: social insurance numbers are a per-province counter pushed
  through a seeded affine bijection of the 8-digit space, and CCCD serials a per-(province, gender
  and century, birth year) counter through a bijection of the 6-digit space, so they are unique
  within a run without a set of everything issued (which would cost ~1 GB at 10 M rows).
* Columns are exactly those the bulk import (`verifier.imports.rows.COLUMNS`) reads, so a
  generated file can be imported as is.

A person's *home* province (where the SIN was issued, and the CCCD's province of birth) is also
the province of their current card and registered facility, except for movers: people whose card
was replaced after moving hold a current card and facility in the new province, while their SIN,
CCCD and previous card keep the home province, as they do in reality (a SIN is for life).

Usage: `python -m infra.population --count 1000000 --out people.csv` (see `--help`).
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import random
import sys
import time
import unicodedata
from array import array
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate, islice
from pathlib import Path
from typing import TypeVar

from tqdm import tqdm

from verifier.domain.card_number import PROVINCE_CODES
from verifier.imports.rows import COLUMNS as IMPORT_COLUMNS

# The generator writes exactly the columns the bulk import reads: one definition, imported.
COLUMNS = IMPORT_COLUMNS
DEFAULT_AS_OF = date(2026, 11, 23)
FORMATS = ("csv", "jsonl")
# Uniqueness holds far beyond this (the largest key space, CCCD serials per province, gender and
# birth year, would overflow only past ~1 billion rows); the cap just stops a typo of an extra zero.
MAX_COUNT = 100_000_000
MAX_AGE = 95
_T = TypeVar("_T")

_CHUNK = 4096  # random draws are made per chunk of this many rows; fixed so prefixes are stable
_SLOTS = 1 << 16  # lookup-table size for categorical draws (see _lookup_table)
_WRITE_BATCH = 16_384  # rows per writerows() call and per progress-bar update

# ---------------------------------------------------------------------------------------------
# Reference tables (approximate public statistics; they only need to be plausible)
# ---------------------------------------------------------------------------------------------

# Province code -> population in thousands (2019 census, rounded): weights where people live.
_PROVINCE_POPULATION: dict[str, int] = {
    "01": 8054, "02": 854, "04": 530, "06": 314, "08": 785, "10": 731, "11": 599, "12": 460,
    "14": 1248, "15": 821, "17": 854, "19": 1287, "20": 782, "22": 1320, "24": 1804, "25": 1463,
    "26": 1152, "27": 1369, "30": 1893, "31": 2029, "33": 1253, "34": 1861, "35": 852, "36": 1781,
    "37": 983, "38": 3641, "40": 3327, "42": 1289, "44": 896, "45": 633, "46": 1129, "48": 1135,
    "49": 1496, "51": 1232, "52": 1487, "54": 873, "56": 1232, "58": 591, "60": 1231, "62": 540,
    "64": 1514, "66": 1870, "67": 622, "68": 1297, "70": 995, "72": 1170, "74": 2456, "75": 3097,
    "77": 1149, "79": 8993, "80": 1689, "82": 1765, "83": 1289, "84": 1010, "86": 1023, "87": 1600,
    "89": 1908, "91": 1724, "92": 1236, "93": 734, "94": 1200, "95": 907, "96": 1194,
}  # fmt: skip
if set(_PROVINCE_POPULATION) != PROVINCE_CODES:  # a changed province list must be reflected here
    raise RuntimeError("infra.population: province table out of sync with PROVINCE_CODES")

# Facility suffixes of the seed registry (verifier/data/facilities.csv has PP-001, PP-C54, PP-T01);
# most people register for initial care at the district hospital or commune station.
_FACILITY_SUFFIXES = ("001", "C54", "T01")
_FACILITY_WEIGHTS = (20, 40, 40)

# Age pyramid: share (%) of each 5-year band (last band 90-95), close to Vietnam's 2019 census with
# the youngest band trimmed to recent birth rates, so that children under 6 (TE cards) are ~8%.
_AGE_BANDS = (6.6, 7.9, 7.4, 6.9, 7.0, 7.8, 8.1, 7.8, 7.3, 6.7, 6.0, 5.3, 4.5, 3.4, 2.2, 1.4, 1.0, 0.6, 0.4)


def _female_share(age: int) -> float:
    """Slightly more women among the old (they live longer); ~50/50 overall."""
    return 0.49 if age < 60 else 0.54 if age < 75 else 0.60


@dataclass(frozen=True)
class _Group:
    """A beneficiary group: its card code, benefit level, target share (%) and who can hold it.

    `ages` are inclusive ranges with an affinity: the share is spread over eligible ages in
    proportion to affinity x population, then fitted (see `_group_tables`) to hit the target.
    """

    code: str
    level: int
    share: float
    ages: tuple[tuple[int, int, float], ...]


_ADULT = ((18, MAX_AGE, 1.0),)
_WORKING = ((18, 62, 1.0),)
_OVER_SIX = ((6, MAX_AGE, 1.0),)
# Codes and levels after VSS decision 1351/QĐ-BHXH. TE's share is whatever the pyramid puts under 6
# (every child under 6 holds a TE card by law); the other shares are the brief's target mix.
_GROUPS: tuple[_Group, ...] = (
    _Group("TE", 1, 0.0, ((0, 5, 1.0),)),
    _Group("CC", 1, 0.6, ((60, MAX_AGE, 1.0),)),
    _Group("CK", 2, 0.3, ((40, MAX_AGE, 1.0),)),
    _Group("CB", 2, 1.0, ((45, MAX_AGE, 1.0),)),
    _Group("KC", 2, 0.5, ((65, MAX_AGE, 1.0),)),
    _Group("HN", 2, 3.0, _OVER_SIX),
    _Group("DT", 2, 5.0, _OVER_SIX),
    _Group("DK", 2, 1.2, _OVER_SIX),
    _Group("XD", 2, 0.1, _OVER_SIX),
    _Group("BT", 2, 2.0, ((6, 79, 1.0), (80, MAX_AGE, 8.0))),
    _Group("TS", 2, 0.3, ((25, MAX_AGE, 1.0),)),
    _Group("HT", 3, 7.0, ((55, 59, 0.6), (60, MAX_AGE, 1.0))),
    _Group("TC", 3, 0.4, _ADULT),
    _Group("CN", 3, 3.0, _OVER_SIX),
    _Group("DN", 4, 18.0, ((18, 22, 0.5), (23, 55, 1.0), (56, 62, 0.5))),
    _Group("HX", 4, 0.3, _WORKING),
    _Group("CH", 4, 1.0, ((22, 62, 1.0),)),
    _Group("NN", 4, 0.2, ((22, 62, 1.0),)),
    _Group("TK", 4, 0.4, _WORKING),
    _Group("HC", 4, 3.0, ((22, 62, 1.0),)),
    _Group("XK", 4, 0.3, ((25, 62, 1.0),)),
    _Group("HD", 4, 0.1, ((25, 62, 1.0),)),
    _Group("NO", 4, 0.1, _WORKING),
    _Group("TN", 4, 0.3, _WORKING),
    _Group("TB", 4, 0.1, ((25, MAX_AGE, 1.0),)),
    _Group("XB", 4, 0.2, ((55, MAX_AGE, 1.0),)),
    _Group("XN", 4, 0.1, ((55, MAX_AGE, 1.0),)),
    _Group("MS", 4, 0.1, ((50, MAX_AGE, 1.0),)),
    _Group("HS", 4, 9.5, ((6, 17, 1.0), (18, 22, 0.1))),
    _Group("SV", 4, 2.5, ((18, 22, 1.0),)),
    _Group("GB", 4, 1.0, _ADULT),
    _Group("GD", 4, 30.0, _OVER_SIX),
    _Group("QN", 5, 0.3, ((18, 60, 1.0),)),
    _Group("CA", 5, 0.15, ((18, 60, 1.0),)),
    _Group("CY", 5, 0.05, ((18, 60, 1.0),)),
)

# Family names with their approximate share (%) of the population.
_FAMILY_NAMES = {
    "Nguyễn": 38.4, "Trần": 11.0, "Lê": 9.5, "Phạm": 7.0, "Hoàng": 5.0, "Phan": 4.5, "Vũ": 2.4,
    "Đặng": 2.1, "Huỳnh": 2.0, "Bùi": 2.0, "Võ": 1.8, "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3, "Dương": 1.0,
    "Lý": 0.5, "Đinh": 0.8, "Trương": 0.8, "Đoàn": 0.6, "Lâm": 0.5, "Mai": 0.5, "Trịnh": 0.5,
    "Hà": 0.5, "Lương": 0.4, "Cao": 0.4, "Lưu": 0.3, "Tạ": 0.3, "Châu": 0.3, "Tô": 0.2,
    "Quách": 0.2, "Thái": 0.2, "Phùng": 0.2, "Triệu": 0.2, "Nông": 0.2, "Kiều": 0.1, "Tăng": 0.1,
    "La": 0.1, "Giang": 0.1, "Hứa": 0.1, "Lò": 0.1, "Khúc": 0.05, "Lục": 0.05,
}  # fmt: skip
# Middle names: Văn / Thị dominate older generations; younger parents choose more varied ones.
_MIDDLE_MALE = (
    "Hữu", "Đức", "Minh", "Quang", "Công", "Thành", "Xuân", "Anh", "Gia", "Hoàng", "Ngọc", "Thanh",
    "Đình", "Bá", "Trọng", "Quốc", "Tuấn", "Duy", "Mạnh", "Khánh", "Bảo", "Tiến", "Nhật", "Trung",
)  # fmt: skip
_MIDDLE_FEMALE = (
    "Ngọc", "Thanh", "Thu", "Minh", "Phương", "Bảo", "Khánh", "Mai", "Hồng", "Kim", "Diệu", "Hoài",
    "Thùy", "Quỳnh", "Hải", "Bích", "Thúy", "Tuyết", "Ánh", "Gia", "Như", "Tường", "Cẩm", "Hà",
)  # fmt: skip
_GIVEN_MALE = (
    "An", "Bình", "Cường", "Dũng", "Hùng", "Huy", "Hoàng", "Khang", "Khoa", "Long", "Minh", "Nam",
    "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Tuấn", "Trung", "Vinh",
    "Việt", "Đạt", "Hải", "Hiếu", "Kiên", "Lâm", "Lộc", "Nghĩa", "Tâm", "Toàn", "Tùng", "Bảo",
    "Duy", "Đức", "Hưng", "Khôi", "Nhân", "Thịnh", "Trí", "Hậu", "Lực", "Thiện", "Vũ",
)  # fmt: skip
_GIVEN_FEMALE = (
    "Lan", "Hoa", "Hương", "Mai", "Linh", "Trang", "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh",
    "Hằng", "Hiền", "Huyền", "Loan", "Ly", "My", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương", "Quyên",
    "Quỳnh", "Thảo", "Thủy", "Thúy", "Trâm", "Uyên", "Vân", "Yến", "Nhi", "Hân", "Thư", "Vy",
    "Châu", "Diệp", "Liên", "Nga", "Tuyết", "Xuân",
)  # fmt: skip
_OLD_GENERATION_BEFORE = 1985  # born before: Văn / Thị as the middle name ~60%, after ~25%
_TWO_MIDDLE_NAMES = 0.10  # "Nguyễn Thị Thu Hà": a second middle name

# Card validity relative to as_of (shares of all rows); 85 % + 8 % + 1 % in the brief leaves 6 %
# unassigned, which is given to valid cards.
_VALID, _EXPIRED, _NOT_YET = 0.91, 0.08, 0.01
_JANUARY_BOOST = 6.0  # a card period starting on 1 January is ~6x as likely as any other month
_STATUSES = ("active", "revoked", "lost", "reduced")
_STATUS_WEIGHTS = (97, 1, 1, 1)
_REDUCTION_CODES = ("120", "121", "122", "123", "124")
_FIVE_YEARS = 0.40  # share of all rows with a five-years date (only people aged 6+ can have one)
_NO_CCCD_UNDER_14 = 0.5  # children under 14 need not have a CCCD
_REPLACED = 0.04  # share of rows whose card replaced an earlier one
_MOVER = 0.30  # of those, the share who moved province
_OVERLAP = 0.40  # of those, the share whose old card had not run out yet (VSS 004 when presented)
# VSS holds only the year of birth for some older people (paper records before the CCCD), and some
# cards have no end date (open-ended). Both are kept small and confined to people of pension age so
# the rest of the mix is unchanged; the birth year stays consistent with the CCCD number.
_OLD_AGE = 60
_YEAR_ONLY_OLD = 0.10  # of people aged 60+, the share whose birth date is the year alone (~1.5 %)
_OPEN_ENDED_OLD = 0.05  # of people aged 60+ with a card running on as_of, the share with no end date


def _nfc(names: Sequence[str]) -> tuple[str, ...]:
    """NFC, so a generated name compares equal to the same name typed at a kiosk."""
    return tuple(unicodedata.normalize("NFC", n) for n in names)


# ---------------------------------------------------------------------------------------------
# Precomputed tables
# ---------------------------------------------------------------------------------------------


def _age_weights() -> list[float]:
    weights = []
    for band, share in enumerate(_AGE_BANDS):
        lo = band * 5
        hi = MAX_AGE if band == len(_AGE_BANDS) - 1 else lo + 4
        weights += [share / (hi - lo + 1)] * (hi - lo + 1)
    return weights


@functools.cache
def _group_tables() -> tuple[tuple[tuple[str, ...], tuple[float, ...]], ...]:
    """Per age: the card prefixes (group + level) a person of that age can hold and their cum weights.

    The brief gives overall shares and who may hold each group. Conditional shares per age that
    reproduce the overall shares are found by iterative proportional fitting: scale each group until
    its population-weighted total matches its target. Pure and fast (~50 ms), so done once.
    """
    pop = _age_weights()
    total_pop = sum(pop)
    pop = [p / total_pop for p in pop]
    affinity = [[0.0] * len(_GROUPS) for _ in pop]
    for g, group in enumerate(_GROUPS):
        for lo, hi, weight in group.ages:
            for age in range(lo, hi + 1):
                affinity[age][g] = weight
    under_six = sum(pop[:6])
    rest = sum(group.share for group in _GROUPS if group.code != "TE")
    target = [under_six if gr.code == "TE" else (1 - under_six) * gr.share / rest for gr in _GROUPS]
    scale = [1.0] * len(_GROUPS)
    for _ in range(500):
        totals = [0.0] * len(_GROUPS)
        for age, share in enumerate(pop):
            row = [a * s for a, s in zip(affinity[age], scale, strict=True)]
            norm = share / sum(row)
            for g, value in enumerate(row):
                totals[g] += value * norm
        if max(abs(t / want - 1) for t, want in zip(totals, target, strict=True)) < 1e-6:
            break
        scale = [s * want / t for s, want, t in zip(scale, target, totals, strict=True)]
    tables = []
    for age in range(len(pop)):
        pairs = [
            (f"{gr.code}{gr.level}", affinity[age][g] * scale[g])
            for g, gr in enumerate(_GROUPS)
            if affinity[age][g] > 0
        ]
        total = sum(w for _, w in pairs)
        tables.append((tuple(p for p, _ in pairs), tuple(accumulate(w / total for _, w in pairs))))
    return tuple(tables)


def _anniversary(day: date, year: int) -> date:
    """`day` moved to `year`; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def _plus_years_minus_day(day: date, years: int) -> date:
    """The last day of a `years`-long period starting on `day` (29 Feb + 6 y - 1 d = 28 Feb)."""
    try:
        end = day.replace(year=day.year + years)
    except ValueError:
        end = date(day.year + years, 3, 1)
    return end - timedelta(days=1)


@dataclass(frozen=True)
class _Calendar:
    """Day and month tables around one as_of, so rows never parse or do arithmetic on dates."""

    day0: int  # ordinal of iso[0]
    iso: tuple[str, ...]  # ISO string of every day from the oldest birth to after the last card
    m0: int  # index in `month_start` of the month containing as_of
    month_start: tuple[int, ...]  # day index (in `iso`) of the 1st of each month
    period_from: tuple[str, ...]  # ISO of the 1st of each month
    period_to: tuple[str, ...]  # ISO of the day before the 1st of the same month a year later
    month_before: tuple[str, ...]  # ISO of the day before the 1st of each month
    birth_lo: tuple[int, ...]  # per age: first day index of a birth with that exact age on as_of
    birth_span: tuple[int, ...]  # per age: number of birth days with that exact age
    cccd_gy: tuple[tuple[int, ...], ...]  # [female][day]: CCCD digits 4-6 (gender/century, year)


_MONTHS_BACK = 12 * 32  # five-years dates reach 31 years back; previous cards ~4 years
_MONTHS_AHEAD = 12 * 2 + 2


@functools.cache
def _calendar(as_of: date) -> _Calendar:
    first_month = as_of.year * 12 + as_of.month - 1 - _MONTHS_BACK
    month_start = [
        date((first_month + i) // 12, (first_month + i) % 12 + 1, 1).toordinal()
        for i in range(_MONTHS_BACK + _MONTHS_AHEAD + 1)
    ]
    day0 = _anniversary(as_of, as_of.year - MAX_AGE - 1).toordinal()
    last = max(month_start[-1], _plus_years_minus_day(as_of, 7).toordinal())
    iso = tuple(date.fromordinal(o).isoformat() for o in range(day0, last + 1))
    n = len(month_start) - 12
    birth_lo, birth_span = [], []
    for age in range(MAX_AGE + 1):
        hi = _anniversary(as_of, as_of.year - age).toordinal()
        lo = _anniversary(as_of, as_of.year - age - 1).toordinal() + 1
        birth_lo.append(lo - day0)
        birth_span.append(hi - lo + 1)
    return _Calendar(
        day0=day0,
        iso=iso,
        m0=_MONTHS_BACK,
        month_start=tuple(o - day0 for o in month_start[:n]),
        period_from=tuple(iso[o - day0] for o in month_start[:n]),
        period_to=tuple(iso[month_start[i + 12] - 1 - day0] for i in range(n)),
        month_before=tuple(iso[o - 1 - day0] for o in month_start[:n]),
        birth_lo=tuple(birth_lo),
        birth_span=tuple(birth_span),
        cccd_gy=tuple(
            tuple((2 * (int(d[:2]) - 19) + female) * 100 + int(d[2:4]) for d in iso) for female in (0, 1)
        ),
    )


def _periods(cal: _Calendar) -> tuple[list[int], list[float]]:
    """Month indices a current card can start in, with weights giving the validity mix.

    A card starting in month m runs a year minus a day, so it is valid on as_of for m in
    [m0-11, m0], expired for m <= m0-12 and not yet valid for m > m0. Expired cards are mostly
    recent (geometric decay over three years); 1 January starts are boosted in every class.
    """

    def weight(m: int) -> float:
        return _JANUARY_BOOST if cal.period_from[m][5:7] == "01" else 1.0

    months: list[int] = []
    weights: list[float] = []
    for share, span, decay in (
        (_VALID, range(cal.m0 - 11, cal.m0 + 1), 1.0),
        (_EXPIRED, range(cal.m0 - 12, cal.m0 - 36, -1), 0.9),
        (_NOT_YET, range(cal.m0 + 1, cal.m0 + 4), 0.5),
    ):
        raw = [weight(m) * decay**i for i, m in enumerate(span)]
        months += span
        weights += [share * w / sum(raw) for w in raw]
    return months, weights


def _affine(rng: random.Random, modulus: int) -> int:
    """A multiplier coprime with 10**k (odd, not a multiple of 5): x -> a*x+b is a bijection."""
    while True:
        a = rng.randrange(modulus // 10, modulus) | 1
        if a % 5:
            return a


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------


def _check(count: int, as_of: date) -> None:
    if not 0 <= count <= MAX_COUNT:
        raise ValueError(f"count must be between 0 and {MAX_COUNT:,}, got {count}")
    if not 1900 + MAX_AGE + 2 <= as_of.year <= 2199:
        raise ValueError(f"as_of {as_of} is outside the years a CCCD can encode for everyone alive")


def generate(count: int, *, seed: int = 1, as_of: date = DEFAULT_AS_OF) -> Iterator[dict[str, str]]:
    """`count` people as dicts keyed by COLUMNS (all values strings, "" when empty).

    Deterministic in (count, seed, as_of); the first N rows do not depend on count. Arguments are
    checked now, not at the first `next()`, so a bad call fails where it is made.
    """
    _check(count, as_of)
    return _rows(count, seed, as_of)


def _lookup_table(items: Sequence[_T], weights: Sequence[float]) -> tuple[_T, ...]:
    """`items` repeated in proportion to `weights` over 2**16 slots, indexed by random 16-bit ints.

    Why: `random.choices` spends ~0.2 µs per draw in Python; indexing this table with a `map` over
    an array of random bytes runs in C. Largest-remainder rounding keeps every share within
    1/65536 of its weight, and every positive weight gets at least one slot.
    """
    total = sum(weights)
    quotas = [w / total * _SLOTS for w in weights]
    counts = [max(int(q), 1) if w > 0 else 0 for q, w in zip(quotas, weights, strict=True)]
    short = _SLOTS - sum(counts)
    if short > 0:  # rounding down lost a few slots: to the largest remainders
        for i in sorted(range(len(counts)), key=lambda i: counts[i] - quotas[i])[:short]:
            counts[i] += 1
    elif short < 0:  # the at-least-one rule took a few: from the largest counts
        for i in sorted(range(len(counts)), key=lambda i: -counts[i])[:-short]:
            counts[i] -= 1
    return tuple(item for item, c in zip(items, counts, strict=True) for _ in range(c))


def _random_u16(rng: random.Random, n: int) -> array[int]:
    """`n` random 16-bit ints from `rng`, the same on every platform (bytes are little-endian)."""
    values = array("H")
    values.frombytes(rng.randbytes(2 * n))
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _rows(count: int, seed: int, as_of: date) -> Iterator[dict[str, str]]:
    """The rows, keys in COLUMNS order: the generator behind generate() and write().

    Hot loop: everything is a local, dates are indices into `iso`, numbers are formatted once.
    """
    rng = random.Random(seed)
    rnd = rng.random
    cal = _calendar(as_of)
    groups = _group_tables()
    iso, m0 = cal.iso, cal.m0
    period_from, period_to, month_before = cal.period_from, cal.period_to, cal.month_before
    month_start, birth_lo, birth_span = cal.month_start, cal.birth_lo, cal.birth_span
    as_of_day = as_of.toordinal() - cal.day0
    as_of_iso = as_of.isoformat()
    old_generation = date(_OLD_GENERATION_BEFORE, 1, 1).toordinal() - cal.day0

    provinces = tuple(sorted(_PROVINCE_POPULATION))
    province_weights = [_PROVINCE_POPULATION[p] for p in provinces]
    province_cum = list(accumulate(province_weights))
    province_total, last_province = province_cum[-1], len(provinces) - 1
    facilities = tuple(tuple(f"{p}-{s}" for s in _FACILITY_SUFFIXES) for p in provinces)
    age_weights = _age_weights()
    female_share = [_female_share(a) for a in range(MAX_AGE + 1)]
    period_months, period_weights = _periods(cal)
    given = (_nfc(_GIVEN_MALE), _nfc(_GIVEN_FEMALE))
    middles = (_nfc(_MIDDLE_MALE), _nfc(_MIDDLE_FEMALE))
    common_middle = _nfc(("Văn", "Thị"))
    genders = ("male", "female")
    under_six = sum(age_weights[:6]) / sum(age_weights)
    five_years_p = _FIVE_YEARS / (1 - under_six)  # only people aged 6+ can have one
    replaced_p = _REPLACED / (1 - under_six)  # TE cards (under 6) are never replaced here

    home_table = _lookup_table(range(len(provinces)), province_weights)
    age_table = _lookup_table(range(MAX_AGE + 1), age_weights)
    family_table = _lookup_table(_nfc(list(_FAMILY_NAMES)), list(_FAMILY_NAMES.values()))
    period_table = _lookup_table(period_months, period_weights)
    facility_table = _lookup_table(range(len(_FACILITY_SUFFIXES)), _FACILITY_WEIGHTS)
    status_table = _lookup_table(_STATUSES, _STATUS_WEIGHTS)
    tables = (home_table, age_table, family_table, period_table, facility_table, status_table)

    # Unique numbers: value k of a key is b + k*a mod 10**d, a bijection (see the module docstring).
    sin_mod, cccd_mod = 10**8, 10**6
    sin_a, cccd_a, cccd_c = _affine(rng, sin_mod), _affine(rng, cccd_mod), rng.randrange(cccd_mod)
    sin_next = [rng.randrange(sin_mod) for _ in provinces]
    sin_base = [int(p) * sin_mod for p in provinces]
    cccd_b = rng.randrange(cccd_mod)
    cccd_next: dict[int, int] = {}
    # CCCD = int 0PP G YY: province * 1000 + (gender/century digit * 100 + two-digit year).
    cccd_province = [int(p) * 1000 for p in provinces]
    cccd_gy = cal.cccd_gy

    produced = 0
    while produced < count:
        # Draws for a full chunk even when fewer rows are needed: keeps prefixes stable.
        bits = _random_u16(rng, _CHUNK * len(tables))
        draws = [map(t.__getitem__, bits[i * _CHUNK : (i + 1) * _CHUNK]) for i, t in enumerate(tables)]
        take = min(_CHUNK, count - produced)
        for home, age, family, m, facility, status in islice(zip(*draws, strict=True), take):
            pcode = provinces[home]
            v = sin_next[home]
            sin_next[home] = (v + sin_a) % sin_mod
            sin = f"{sin_base[home] + v:010d}"

            day = birth_lo[age] + int(rnd() * birth_span[age])
            female = 1 if rnd() < female_share[age] else 0
            prefixes, cum = groups[age]
            prefix = prefixes[bisect(cum, rnd(), 0, len(cum) - 1)]

            # Name: family + middle (+ second middle) + given, never a repeated word.
            pool = middles[female]
            if rnd() < (0.6 if day < old_generation else 0.25):
                middle = common_middle[female]
            else:
                middle = pool[int(rnd() * len(pool))]
            names = given[female]
            first = names[int(rnd() * len(names))]
            if rnd() < _TWO_MIDDLE_NAMES:
                second = pool[int(rnd() * len(pool))]
                if second != middle and second != first:
                    middle = f"{middle} {second}"
            while first in middle.split():
                first = names[(names.index(first) + 1) % len(names)]
            full_name = f"{family} {middle} {first}"

            # Personal id (CCCD): province of birth, gender/century, year, unique serial.
            if age < 14 and rnd() < _NO_CCCD_UNDER_14:
                personal_id = ""
            else:
                key = cccd_province[home] + cccd_gy[female][day]
                serial = cccd_next.get(key)
                if serial is None:
                    serial = (cccd_b + cccd_c * key) % cccd_mod
                cccd_next[key] = (serial + cccd_a) % cccd_mod
                personal_id = f"{key * cccd_mod + serial:012d}"

            # Current card period; a newborn's TE card starts at birth and runs to the 6th birthday.
            valid_from, valid_to = period_from[m], period_to[m]
            if age < 3 and month_start[m] < day:
                valid_from = iso[day]
                valid_to = _plus_years_minus_day(date.fromisoformat(valid_from), 6).isoformat()

            # Pension age: VSS may hold only the birth year; a running card may have no end date.
            birth = iso[day]
            if age >= _OLD_AGE:
                if rnd() < _YEAR_ONLY_OLD:
                    birth = birth[:4]
                if valid_to >= as_of_iso and valid_from <= as_of_iso and rnd() < _OPEN_ENDED_OLD:
                    valid_to = ""

            if age >= 6 and rnd() < five_years_p:
                years = 5 + int(rnd() * (min(age - 1, 30) - 4))
                five_years_from = period_from[m0 - 12 * years - int(rnd() * 12)]
            else:
                five_years_from = ""

            if status == "reduced":
                reduction_code = _REDUCTION_CODES[int(rnd() * 5)]
                reduced_from = iso[as_of_day - 1 - int(rnd() * 365)]
            else:
                reduction_code = reduced_from = ""

            # A replaced card: another group the person could have held a year younger.
            here = home
            previous_card = previous_from = previous_to = ""
            if age >= 6 and rnd() < replaced_p:
                old_prefixes, old_cum = groups[age - 1]
                if old_prefixes != (prefix,):  # a group other than the current one was possible
                    old_prefix = prefix
                    while old_prefix == prefix:
                        old_prefix = old_prefixes[bisect(old_cum, rnd(), 0, len(old_cum) - 1)]
                    previous_card = f"{old_prefix}{pcode}{sin}"
                    if rnd() < _MOVER:  # moved: the new card and facility are in another province
                        while here == home:
                            here = bisect(province_cum, rnd() * province_total, 0, last_province)
                    if rnd() < _OVERLAP:  # replaced before the old card ran out
                        start = m - 1 - int(rnd() * 11)
                        previous_from, previous_to = period_from[start], period_to[start]
                    else:  # the new card follows the old one
                        previous_from, previous_to = period_from[m - 12], month_before[m]

            yield {
                "social_insurance_number": sin,
                "card_number": f"{prefix}{provinces[here]}{sin}",
                "full_name": full_name,
                "date_of_birth": birth,
                "gender": genders[female],
                "registered_facility": facilities[here][facility],
                "valid_from": valid_from,
                "valid_to": valid_to,
                "personal_id": personal_id,
                "five_years_from": five_years_from,
                "status": status,
                "reduction_code": reduction_code,
                "reduced_from": reduced_from,
                "previous_card_number": previous_card,
                "previous_valid_from": previous_from,
                "previous_valid_to": previous_to,
            }
        produced += take


# ---------------------------------------------------------------------------------------------
# Files and CLI
# ---------------------------------------------------------------------------------------------


def write(
    path: Path,
    count: int,
    *,
    seed: int = 1,
    as_of: date = DEFAULT_AS_OF,
    fmt: str = "csv",
    progress: bool = True,
) -> int:
    """Write `count` people to `path` as CSV (header = COLUMNS) or JSONL; return rows written.

    Written to `path.part` and renamed at the end, so an interrupted 10 M-row run never leaves a
    truncated file that looks complete to an importer. The progress bar (stderr) shows rate and ETA.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    _check(count, as_of)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    rows = _rows(count, seed, as_of)
    encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., kw) builds one per call
    written = 0
    bar = tqdm(
        total=count,
        unit=" rows",
        unit_scale=True,
        desc=path.name,
        disable=not progress,
        file=sys.stderr,
        mininterval=0.5,
        smoothing=0.1,
    )
    try:
        with bar, part.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f) if fmt == "csv" else None
            if writer is not None:
                writer.writerow(COLUMNS)
            while written < count:
                batch = min(_WRITE_BATCH, count - written)
                if writer is not None:
                    writer.writerows(map(dict.values, islice(rows, batch)))
                else:
                    f.writelines(encode(row) + "\n" for row in islice(rows, batch))
                written += batch
                bar.update(batch)
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return written


def _format_for(path: Path) -> str:
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m infra.population",
        description=(
            "Write a seeded, reproducible synthetic population of BHYT participants (card\n"
            "numbers, Vietnamese names, CCCD numbers, validity, replaced/revoked/lost/reduced\n"
            "cards) for tests, bulk-import runs and benchmarks, with a progress bar on stderr.\n"
            "Same arguments give an identical file; the first N rows of a bigger run equal a\n"
            "run of N rows. Columns are those the bulk import (bhyt import) reads."
        ),
        epilog=(
            "examples:\n"
            "  python -m infra.population --count 1000000 --out /tmp/people.csv\n"
            "  python -m infra.population --count 50000 --seed 7 --as-of 2027-01-15 --out p.jsonl"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--count", type=int, required=True, help=f"number of people (0-{MAX_COUNT:,})")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=DEFAULT_AS_OF,
        metavar="YYYY-MM-DD",
        help=(
            "the day validity, ages and shares are relative to: ~91%% of cards valid, ~8%% expired, "
            f"~1%% not yet valid on it (default: {DEFAULT_AS_OF})"
        ),
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="output format (default: jsonl for a .jsonl/.ndjson --out, else csv)",
    )
    parser.add_argument("--out", type=Path, required=True, help="output file (parent dirs are created)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    fmt = args.format or _format_for(args.out)
    started = time.perf_counter()
    try:
        written = write(
            args.out, args.count, seed=args.seed, as_of=args.as_of, fmt=fmt, progress=not args.no_progress
        )
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    rate = written / elapsed if elapsed > 0 else 0.0
    print(
        f"wrote {written:,} rows to {args.out} ({fmt}) in {elapsed:.1f} s, {rate:,.0f} rows/s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
