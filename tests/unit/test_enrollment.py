from datetime import date

import pytest

from verifier.domain.enrollment import new_participation
from verifier.domain.participation import Gender
from verifier.errors import BadRequest

GOOD = dict(
    social_insurance_number="",
    card_number="GD4404016354956",
    full_name="  Nguyễn   Văn An ",
    date_of_birth="1990-05-01",
    gender=Gender.MALE,
    registered_facility="40-c54",
    valid_from="2026-01-01",
    valid_to="2026-12-31",
    personal_id="040090001234",
)


def test_good_enrollment_is_normalised() -> None:
    p = new_participation(**GOOD)  # type: ignore[arg-type]
    assert p.social_insurance_number == "4016354956"
    assert p.full_name == "Nguyễn Văn An"
    assert p.registered_facility == "40-C54"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"card_number": "4016354956"}, "card_number"),
        ({"card_number": "GD9404016354956"}, "card_number"),
        ({"social_insurance_number": "4016354957"}, "social_insurance_number"),
        ({"full_name": " "}, "full_name"),
        ({"date_of_birth": "01/05/1990"}, "date_of_birth"),
        ({"date_of_birth": "90"}, "date_of_birth"),
        ({"date_of_birth": "0000"}, "date_of_birth"),
        ({"date_of_birth": "1990-02-30"}, "date_of_birth"),
        ({"date_of_birth": ""}, "date_of_birth"),
        ({"valid_to": "31/12/2026"}, "valid_to"),
        ({"valid_to": "2025-12-31"}, "valid_to"),
        ({"personal_id": "12345"}, "personal_id"),
    ],
)
def test_bad_field_is_named_in_the_error(change: dict[str, str], field: str) -> None:
    with pytest.raises(BadRequest, match=field):
        new_participation(**{**GOOD, **change})  # type: ignore[arg-type]


def test_a_birth_year_alone_is_kept_as_year_only() -> None:
    p = new_participation(**{**GOOD, "date_of_birth": " 1948 "})  # type: ignore[arg-type]
    assert p.birth_year_only is True
    assert p.date_of_birth == date(1948, 1, 1)


def test_a_full_birth_date_is_not_year_only() -> None:
    p = new_participation(**GOOD)  # type: ignore[arg-type]
    assert p.birth_year_only is False
    assert p.date_of_birth == date(1990, 5, 1)


def test_an_empty_valid_to_is_an_open_ended_card() -> None:
    p = new_participation(**{**GOOD, "valid_to": ""})  # type: ignore[arg-type]
    assert p.valid_to is None
    assert p.valid_from == date(2026, 1, 1)


def test_the_date_error_says_what_shapes_are_accepted() -> None:
    with pytest.raises(BadRequest, match="YYYY-MM-DD, or the year alone as YYYY"):
        new_participation(**{**GOOD, "date_of_birth": "1.5.1990"})  # type: ignore[arg-type]
