"""The README's result-code table is the code's, row for row: a reader (hospital IT, VSS staff) can
trust it without reading Python.

One table, in the section "Result codes": every code of `verifier.domain.reasons` is in it with the
same Vietnamese text, nothing else is, VSS codes come first, and no other table of the README lists
codes. Its verdict column is worked out here from the verdict rules' own code sets
(`verifier.domain.verdicts`), so when a rule moves a code the table must follow.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from verifier import errors
from verifier.domain.reasons import ACCEPTED_CODE, OUR_REASONS, VSS_REASONS, reason_text_vi
from verifier.domain.verdicts import INFORMATIVE_CODES, PROVISIONAL_CODES, REVIEW_CODES
from verifier.tokens.problems import TOKEN_REASONS

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SECTION = "## Result codes"
ALL_CODES = {*VSS_REASONS, *OUR_REASONS}

# The verdict column's wording, Vietnamese first, one per kind of code.
ACCEPTED = "chấp nhận / accepted"
NOTE = "ghi chú / note"  # informative: the other reasons decide the verdict
REVIEW = "nhân viên kiểm tra / staff review"
PROVISIONAL = "tạm chấp nhận / provisional"
REJECTED = "từ chối / rejected"
RPC_ERROR = "lỗi gọi / RPC error"  # a gRPC status's message prefix, never a verdict
NOT_GIVEN = "không dùng / not given"  # VSS gateway codes this verifier has no use for

_ROW = re.compile(r"^\|\s*`([^`|]+)`\s*\|(.*)\|\s*$")


def table_rows(text: str) -> list[list[str]]:
    """The rows of the first table in the result-code section: [code, vi, meaning, verdict]."""
    start = text.index(f"\n{SECTION}") + 1
    end = text.find("\n## ", start + len(SECTION))
    rows = []
    for line in text[start : end if end >= 0 else None].splitlines():
        row = _ROW.match(line.strip())
        if row:
            rows.append([row.group(1), *(cell.strip() for cell in row.group(2).split("|"))])
        elif rows and not line.strip().startswith("|"):
            break  # the table ended
    return rows


def codes_the_verifier_gives() -> set[str]:
    """Codes that can reach an answer's reasons: those the pure core names (the verdict rules, the
    token and chip codes), apart from error classes' `code = "..."` (an RPC error, not a reason)."""
    given = {ACCEPTED_CODE}
    for path in [*(ROOT / "verifier" / "domain").rglob("*.py"), *(ROOT / "verifier" / "chip").rglob("*.py")]:
        if path.name == "reasons.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        error_codes = {
            id(node.value)
            for cls in ast.walk(tree)
            if isinstance(cls, ast.ClassDef)
            for node in cls.body
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "code" for t in node.targets)
        }
        given |= {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in ALL_CODES and id(node) not in error_codes
        }
    return given | set(TOKEN_REASONS)


def rpc_error_codes() -> set[str]:
    """The codes `verifier.errors` puts in front of a gRPC status's message."""
    found = set()
    for value in vars(errors).values():
        if isinstance(value, type) and issubclass(value, errors.VerifierError):
            found.add(value.code)
    return found


def expected_verdict(code: str, given: set[str]) -> str:
    if code not in given:
        return RPC_ERROR if code in rpc_error_codes() else NOT_GIVEN
    if code == ACCEPTED_CODE:
        return ACCEPTED
    if code in INFORMATIVE_CODES:
        return NOTE
    if code in REVIEW_CODES:
        return REVIEW
    if code in PROVISIONAL_CODES:
        return PROVISIONAL
    return REJECTED


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    return table_rows(README.read_text(encoding="utf-8"))


def test_every_code_is_in_the_table_once_and_nothing_else(rows: list[list[str]]) -> None:
    codes = [row[0] for row in rows]
    assert len(codes) == len(set(codes)), "a code is listed twice"
    assert set(codes) - ALL_CODES == set(), "the table lists codes the verifier does not have"
    assert ALL_CODES - set(codes) == set(), "codes missing from the README's table"


def test_vss_codes_first_then_ours_in_order(rows: list[list[str]]) -> None:
    codes = [row[0] for row in rows]
    vss = [c for c in codes if c in VSS_REASONS]
    assert codes[: len(vss)] == sorted(vss)
    ours = codes[len(vss) :]
    families = list(dict.fromkeys(c[0] for c in ours))
    assert families == ["K", "Q", "T", "C", "F", "P"]
    for family in families:
        listed = [c for c in ours if c[0] == family]
        assert listed == sorted(listed), f"{family} codes out of order"


def test_every_row_has_the_codes_vietnamese_a_meaning_and_its_verdict(rows: list[list[str]]) -> None:
    given = codes_the_verifier_gives()
    for code, vi, meaning, verdict in rows:
        assert vi == reason_text_vi(code), code
        assert meaning, code
        assert verdict == expected_verdict(code, given), code


def test_no_other_table_lists_codes(rows: list[list[str]]) -> None:
    text = README.read_text(encoding="utf-8")
    listed = [m.group(1) for line in text.splitlines() if (m := _ROW.match(line.strip()))]
    in_tables = [code for code in listed if code in ALL_CODES]
    assert len(in_tables) == len(rows), "one result-code table: move the other rows into it"


def test_the_verdict_kinds_follow_the_rules() -> None:
    """The derivation itself, on codes whose place the issue fixes (so a broken helper fails too)."""
    given = codes_the_verifier_gives()
    assert expected_verdict("000", given) == ACCEPTED
    assert expected_verdict("010", given) == REJECTED
    assert expected_verdict("T06", given) == REJECTED
    assert expected_verdict("F01", given) == REVIEW
    assert expected_verdict("P01", given) == PROVISIONAL
    assert expected_verdict("101", given) == RPC_ERROR
    assert expected_verdict("054", given) == NOT_GIVEN


def test_table_rows_reads_a_table_and_stops_at_its_end() -> None:
    text = (
        f"intro\n{SECTION}\n\n| code | vi | meaning | verdict |\n|---|---|---|---|\n| `000` | a | b | c |\n"
        "\nafter\n| `010` | x | y | z |\n## Next\n"
    )
    assert table_rows(text) == [["000", "a", "b", "c"]]
