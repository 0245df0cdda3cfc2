"""The synthetic population must be valid input for everything downstream, and reproducible.

A 20k-row sample is checked row by row against the domain rules (card format, CCCD consistency,
group fits age, dates coherent), then in aggregate against the mix the generator promises; every
row must also pass the bulk import's own row validation, so generated files import without rejects.
"""

from __future__ import annotations

import csv
import itertools
import json
import unicodedata
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from infra import population
from infra.population import COLUMNS, generate, main, write
from verifier.domain.card_number import PROVINCE_CODES, parse_card_number
from verifier.domain.facilities import FacilityRegistry
from verifier.imports.rows import COLUMNS as IMPORT_COLUMNS
from verifier.imports.rows import RowContext, events_for_row

AS_OF = date(2026, 11, 23)
SAMPLE = 20_000
FACILITIES_CSV = Path(__file__).resolve().parents[2] / "verifier" / "data" / "facilities.csv"
LEVELS = {"CC": 1, "TE": 1, "CK": 2, "CB": 2, "HN": 2, "DT": 2, "HT": 3, "CN": 3, "DN": 4, "HS": 4}
LEVELS |= {"GD": 4, "SV": 4, "QN": 5, "CA": 5, "CY": 5}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return list(generate(SAMPLE, seed=7, as_of=AS_OF))


def _dob(r: dict[str, str]) -> date:
    """The birth date; a year-only one ("YYYY") as its last possible day, so ages are never overstated."""
    text = r["date_of_birth"]
    return date(int(text), 12, 31) if len(text) == 4 else date.fromisoformat(text)


def _pension_age(r: dict[str, str]) -> bool:
    """60 or older on AS_OF; a year-only birth date taken as 1 January, the oldest it can mean."""
    text = r["date_of_birth"]
    return _age(date(int(text), 1, 1) if len(text) == 4 else date.fromisoformat(text)) >= 60


def _age(dob: date, on: date = AS_OF) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def _share(rows: list[dict[str, str]], pred: object) -> float:
    assert callable(pred)
    return sum(1 for r in rows if pred(r)) / len(rows)


def test_columns_are_the_bulk_import_columns_in_order(rows: list[dict[str, str]]) -> None:
    assert COLUMNS == IMPORT_COLUMNS
    assert all(tuple(r) == COLUMNS for r in rows)
    assert all(isinstance(v, str) for r in rows for v in r.values())


def test_every_card_number_parses_and_carries_the_sin(rows: list[dict[str, str]]) -> None:
    for r in rows:
        card = parse_card_number(r["card_number"])  # raises on a bad level or province
        assert card.is_full and card.text == r["card_number"]
        assert card.social_insurance_number == r["social_insurance_number"]
        assert 1 <= card.benefit_level <= 5 and card.province_code in PROVINCE_CODES
        if card.group_code in LEVELS:
            assert card.benefit_level == LEVELS[card.group_code], r["card_number"]


def test_social_insurance_numbers_are_unique_ten_digits_with_the_home_province(
    rows: list[dict[str, str]],
) -> None:
    sins = [r["social_insurance_number"] for r in rows]
    assert len(set(sins)) == len(sins)
    for r in rows:
        sin = r["social_insurance_number"]
        assert len(sin) == 10 and sin.isdigit() and sin[:2] in PROVINCE_CODES
        moved = r["previous_card_number"] and r["previous_card_number"][3:5] != r["card_number"][3:5]
        home = r["previous_card_number"][3:5] if moved else r["card_number"][3:5]
        assert sin[:2] == home


def test_personal_id_is_consistent_with_birth_gender_and_province(rows: list[dict[str, str]]) -> None:
    ids = [r["personal_id"] for r in rows if r["personal_id"]]
    assert len(set(ids)) == len(ids)
    for r in rows:
        pid, dob = r["personal_id"], _dob(r)
        if not pid:
            assert _age(dob) < 14, r
            continue
        assert len(pid) == 12 and pid.isdigit()
        assert pid[:3] == "0" + r["social_insurance_number"][:2]
        g = int(pid[3])
        assert 1900 + 100 * (g // 2) + int(pid[4:6]) == dob.year
        assert (g % 2 == 0) == (r["gender"] == "male")
    under_14 = [r for r in rows if _age(_dob(r)) < 14]
    assert 0.4 < _share(under_14, lambda r: not r["personal_id"]) < 0.6


def test_group_fits_age(rows: list[dict[str, str]]) -> None:
    for r in rows:
        age, group = _age(_dob(r)), r["card_number"][:2]
        assert 0 <= age <= 95
        assert (group == "TE") == (age < 6), (group, age)
        if group == "HS":
            assert 6 <= age <= 22
        elif group == "HT":
            assert age >= 55
        elif group == "DN":
            assert 18 <= age <= 62


def test_names_are_vietnamese_nfc_without_separators(rows: list[dict[str, str]]) -> None:
    for r in rows:
        name = r["full_name"]
        assert unicodedata.normalize("NFC", name) == name
        assert "|" not in name and all(ch == " " or ch.isalpha() for ch in name), name
        words = name.split(" ")
        assert 3 <= len(words) <= 4 and all(words) and len(set(words[1:])) == len(words) - 1, name
    families = Counter(r["full_name"].split(" ")[0] for r in rows)
    assert 0.34 < families["Nguyễn"] / len(rows) < 0.43
    assert any(
        ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ" for r in rows for ch in r["full_name"]
    )


def test_facility_is_registered_and_in_the_card_province(rows: list[dict[str, str]]) -> None:
    registry = FacilityRegistry.from_lines(FACILITIES_CSV.read_text(encoding="utf-8").splitlines())
    for r in rows:
        assert registry.require(r["registered_facility"]) == r["registered_facility"]
        assert r["registered_facility"][:2] == r["card_number"][3:5]
    suffixes = Counter(r["registered_facility"][3:] for r in rows)
    assert suffixes["C54"] > suffixes["001"] and suffixes["T01"] > suffixes["001"]


def test_dates_are_coherent(rows: list[dict[str, str]]) -> None:
    for r in rows:
        dob, start = _dob(r), date.fromisoformat(r["valid_from"])
        if not r["valid_to"]:  # open-ended: a running card of someone of pension age
            assert start <= AS_OF and _pension_age(r)
            continue
        end = date.fromisoformat(r["valid_to"])
        assert dob <= start <= end
        if start != dob:  # a 12-month card from the 1st of a month
            assert start.day == 1 and end == date(start.year + 1, start.month, 1) - timedelta(days=1)
        if r["five_years_from"]:
            five = date.fromisoformat(r["five_years_from"])
            assert dob < five <= date(AS_OF.year - 5, AS_OF.month, AS_OF.day)
        if r["previous_card_number"]:
            old_start = date.fromisoformat(r["previous_valid_from"])
            old_end = date.fromisoformat(r["previous_valid_to"])
            assert dob < old_start < start and old_start <= old_end
        else:
            assert r["previous_valid_from"] == r["previous_valid_to"] == ""


def test_status_and_reduction(rows: list[dict[str, str]]) -> None:
    assert {r["status"] for r in rows} == {"active", "revoked", "lost", "reduced"}
    for r in rows:
        if r["status"] == "reduced":
            assert r["reduction_code"] in {"120", "121", "122", "123", "124"}
            assert AS_OF - timedelta(days=365) <= date.fromisoformat(r["reduced_from"]) < AS_OF
        else:
            assert r["reduction_code"] == r["reduced_from"] == ""
    for status in ("revoked", "lost", "reduced"):
        assert 0.005 < _share(rows, lambda r, s=status: r["status"] == s) < 0.015


def test_previous_cards_are_other_cards_of_the_same_person(rows: list[dict[str, str]]) -> None:
    replaced = [r for r in rows if r["previous_card_number"]]
    assert 0.03 < len(replaced) / len(rows) < 0.05
    for r in replaced:
        old = parse_card_number(r["previous_card_number"])
        assert old.social_insurance_number == r["social_insurance_number"]
        assert old.group_code != r["card_number"][:2]
    iso = AS_OF.isoformat()
    still_valid = sum(r["previous_valid_to"] >= iso for r in replaced)
    assert 0 < still_valid < len(replaced)  # both VSS 004 and 003 occur
    movers = sum(r["previous_card_number"][3:5] != r["card_number"][3:5] for r in replaced)
    assert 0.15 < movers / len(replaced) < 0.45


def test_the_mix_is_what_the_generator_promises(rows: list[dict[str, str]]) -> None:
    groups = Counter(r["card_number"][:2] for r in rows)
    share = {g: n / len(rows) for g, n in groups.items()}
    assert share["GD"] == pytest.approx(0.30, abs=0.02)
    assert share["DN"] == pytest.approx(0.18, abs=0.015)
    assert share["TE"] == pytest.approx(0.08, abs=0.01)
    assert share["HS"] + share["SV"] == pytest.approx(0.12, abs=0.015)
    assert share["HT"] == pytest.approx(0.07, abs=0.01)
    assert share["DT"] == pytest.approx(0.05, abs=0.01)
    assert share.get("QN", 0) + share.get("CA", 0) + share.get("CY", 0) == pytest.approx(0.005, abs=0.003)
    iso = AS_OF.isoformat()
    assert _share(rows, lambda r: "" < r["valid_to"] < iso) == pytest.approx(0.08, abs=0.015)
    assert _share(rows, lambda r: r["valid_from"] > iso) == pytest.approx(0.01, abs=0.005)
    assert _share(rows, lambda r: r["five_years_from"] != "") == pytest.approx(0.40, abs=0.02)
    assert _share(rows, lambda r: r["gender"] == "female") == pytest.approx(0.50, abs=0.02)


def test_a_few_old_people_have_a_year_only_birth_date_or_an_open_ended_card(
    rows: list[dict[str, str]],
) -> None:
    year_only = [r for r in rows if len(r["date_of_birth"]) == 4]
    open_ended = [r for r in rows if not r["valid_to"]]
    assert len(year_only) / len(rows) == pytest.approx(0.015, abs=0.005)
    assert len(open_ended) / len(rows) == pytest.approx(0.006, abs=0.003)
    assert all(_pension_age(r) for r in year_only + open_ended)
    assert all(r["date_of_birth"].isdigit() for r in year_only)
    # ... and they import as such: the enrollment event says "YYYY" and an empty valid_to.
    registry = FacilityRegistry.from_lines(FACILITIES_CSV.read_text(encoding="utf-8").splitlines())
    ctx = RowContext(
        file_sha256="0" * 64, at=datetime(2026, 11, 23, tzinfo=UTC), producer="test", facilities=registry
    )
    for n, r in enumerate(year_only[:50] + open_ended[:50], start=1):
        enrolled = events_for_row(r, n, ctx)[0].participant_enrolled
        assert (enrolled.date_of_birth, enrolled.valid_to) == (r["date_of_birth"], r["valid_to"])


def test_every_row_passes_the_bulk_import_validation(rows: list[dict[str, str]]) -> None:
    registry = FacilityRegistry.from_lines(FACILITIES_CSV.read_text(encoding="utf-8").splitlines())
    ctx = RowContext(
        file_sha256="0" * 64, at=datetime(2026, 11, 23, tzinfo=UTC), producer="test", facilities=registry
    )
    for n, r in enumerate(rows[:3000], start=1):
        assert events_for_row(r, n, ctx)


def test_same_seed_same_rows_other_seed_other_rows(rows: list[dict[str, str]]) -> None:
    assert list(generate(SAMPLE, seed=7, as_of=AS_OF)) == rows
    other = list(generate(500, seed=8, as_of=AS_OF))
    assert other != rows[:500]
    assert (
        sum(
            a["social_insurance_number"] == b["social_insurance_number"]
            for a, b in zip(other, rows[:500], strict=True)
        )
        < 5
    )


def test_a_smaller_run_is_a_prefix_of_a_bigger_one(rows: list[dict[str, str]]) -> None:
    n = population._CHUNK + 17  # crosses a chunk boundary
    assert list(generate(n, seed=7, as_of=AS_OF)) == rows[:n]
    assert list(generate(0)) == []


def test_as_of_moves_the_population(rows: list[dict[str, str]]) -> None:
    later = date(2030, 2, 28)
    moved = list(itertools.islice(generate(2000, seed=7, as_of=later), 2000))
    iso = later.isoformat()
    assert _share(moved, lambda r: r["valid_from"] <= iso <= (r["valid_to"] or iso)) > 0.85
    assert all(_age(_dob(r), later) <= 95 for r in moved)
    assert moved != rows[:2000]


def test_bad_arguments_fail_at_the_call() -> None:
    with pytest.raises(ValueError):
        generate(-1)
    with pytest.raises(ValueError):
        generate(population.MAX_COUNT + 1)
    with pytest.raises(ValueError):
        write(Path("unused.csv"), 10, fmt="xml")


def test_lookup_tables_keep_every_weight() -> None:
    table = population._lookup_table(("a", "b", "c"), (99.999, 0.0001, 0.0009))
    assert len(table) == population._SLOTS
    assert set(table) == {"a", "b", "c"}
    assert population._lookup_table(("x", "y"), (1, 0)) == ("x",) * population._SLOTS


def test_write_csv_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "people.csv"
    assert write(out, 1234, seed=3, progress=False) == 1234
    with out.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        assert list(reader) == list(generate(1234, seed=3))
    assert not list(tmp_path.rglob("*.part"))


def test_write_jsonl_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "people.jsonl"
    assert write(out, 300, seed=3, fmt="jsonl", progress=False) == 300
    text = out.read_text(encoding="utf-8")
    assert "Nguyễn" in text  # not \u-escaped
    assert [json.loads(line) for line in text.splitlines()] == list(generate(300, seed=3))


def test_cli_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.jsonl"
    assert (
        main(["--count", "50", "--seed", "2", "--as-of", "2027-01-15", "--out", str(out), "--no-progress"])
        == 0
    )
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in lines] == list(generate(50, seed=2, as_of=date(2027, 1, 15)))
    assert "wrote 50 rows" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    assert "--as-of" in capsys.readouterr().out
