"""Degraded mode's verdict rules: provisional only for coverage that could not be confirmed, never
hiding a verdict the record did give."""

from __future__ import annotations

import dataclasses
from datetime import date

from tests.support.people import AN
from verifier.domain.card_number import parse_card_number
from verifier.domain.participation import Status
from verifier.domain.verdicts import (
    REPLAY_UNCHECKED,
    CardCheck,
    Decision,
    Verdict,
    judge_card,
    with_credential_problems,
)

TODAY = date(2026, 6, 1)  # inside AN's card validity


def test_coverage_unconfirmed_is_provisional() -> None:
    decision = with_credential_problems([], Decision.provisional())
    assert (decision.verdict, decision.result_code, decision.reasons) == (
        Verdict.PROVISIONAL,
        "P01",
        ("P01",),
    )


def test_an_unchecked_replay_never_hides_a_rejection() -> None:
    revoked = dataclasses.replace(AN, status=Status.REVOKED)
    card = judge_card(CardCheck(parse_card_number(revoked.card_number), revoked, TODAY))
    decision = with_credential_problems([REPLAY_UNCHECKED], card)
    assert decision.verdict is Verdict.REJECTED and decision.result_code == "110"


def test_an_unchecked_replay_makes_a_valid_card_provisional_and_coverage_comes_first() -> None:
    valid = AN
    card = judge_card(CardCheck(parse_card_number(valid.card_number), valid, TODAY))
    assert with_credential_problems([REPLAY_UNCHECKED], card).verdict is Verdict.PROVISIONAL
    both = with_credential_problems([REPLAY_UNCHECKED], Decision.provisional())
    assert both.reasons == ("P01", "P02")


def test_a_credential_problem_rejects_even_when_coverage_is_unconfirmed() -> None:
    decision = with_credential_problems(["T04"], Decision.provisional())
    assert decision.verdict is Verdict.REJECTED and decision.result_code == "T04"


def test_staff_review_wins_over_provisional() -> None:
    decision = with_credential_problems(["F01"], Decision.provisional())
    assert decision.verdict is Verdict.NEEDS_REVIEW and decision.result_code == "F01"
