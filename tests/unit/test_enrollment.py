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
        ({"valid_to": "2025-12-31"}, "valid_to"),
        ({"personal_id": "12345"}, "personal_id"),
    ],
)
def test_bad_field_is_named_in_the_error(change: dict[str, str], field: str) -> None:
    with pytest.raises(BadRequest, match=field):
        new_participation(**{**GOOD, **change})  # type: ignore[arg-type]
