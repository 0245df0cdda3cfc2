from dataclasses import replace
from datetime import date

import pytest

from tests.support.people import AN
from verifier.domain.card_number import CardNumberProblem, parse_card_number
from verifier.domain.participation import Coverage, Participation
from verifier.domain.verdicts import CardCheck, Verdict, judge_card

PERSON = AN


def judge(number: str, person: Participation | None, today: date) -> tuple[Verdict, str]:
    presented: object
    try:
        presented = parse_card_number(number)
    except CardNumberProblem as problem:
        presented = problem
    d = judge_card(CardCheck(presented, person, today))
    return d.verdict, d.result_code


@pytest.mark.parametrize("number", ["GD4404016354956", "4016354956"])
def test_valid_card_on_its_first_and_last_day_is_accepted(number: str) -> None:
    assert judge(number, PERSON, date(2026, 1, 1)) == (Verdict.ACCEPTED, "000")
    assert judge(number, PERSON, date(2026, 12, 31)) == (Verdict.ACCEPTED, "000")


def test_the_day_after_valid_to_is_expired_010() -> None:
    assert judge("GD4404016354956", PERSON, date(2027, 1, 1)) == (Verdict.REJECTED, "010")


def test_the_day_before_valid_from_is_not_yet_valid() -> None:
    assert judge("GD4404016354956", PERSON, date(2025, 12, 31)) == (Verdict.REJECTED, "K01")


def test_unknown_person_is_050() -> None:
    assert judge("GD4404016354956", None, date(2026, 6, 1)) == (Verdict.REJECTED, "050")


def test_malformed_number_is_051_before_any_lookup() -> None:
    assert judge("GD44040163549", PERSON, date(2026, 6, 1)) == (Verdict.REJECTED, "051")


@pytest.mark.parametrize(
    ("number", "code"),
    [("GD4014016354956", "052"), ("DN4404016354956", "051")],
)
def test_prefix_that_does_not_match_the_persons_card_names_the_wrong_part(number: str, code: str) -> None:
    assert judge(number, PERSON, date(2026, 6, 1)) == (Verdict.REJECTED, code)


def test_coverage_is_inclusive_of_both_dates() -> None:
    assert PERSON.coverage_on(date(2026, 1, 1)) is Coverage.ACTIVE
    assert PERSON.coverage_on(date(2027, 1, 1)) is Coverage.EXPIRED


def test_a_well_formed_number_that_is_not_the_persons_card_names_the_wrong_part() -> None:
    # CN (near-poor) cards are level 3, or 2 since 2026: both well formed, but the person holds CN3.
    person = replace(PERSON, card_number="CN3404016354956")
    assert judge("CN2404016354956", person, date(2026, 6, 1)) == (Verdict.REJECTED, "053")
    assert judge("HN2404016354956", person, date(2026, 6, 1)) == (Verdict.REJECTED, "051")
    assert judge("CN3014016354956", person, date(2026, 6, 1)) == (Verdict.REJECTED, "052")
