import pytest

from verifier.domain.card_number import CardNumberProblem, normalise, parse_card_number
from verifier.errors import BadRequest


@pytest.mark.parametrize(
    ("text", "group", "level", "province", "sin"),
    [
        ("GD4404016354956", "GD", 4, "40", "4016354956"),
        ("GB4404018936634", "GB", 4, "40", "4018936634"),
        ("TE1010123456789", "TE", 1, "01", "0123456789"),
        ("QN5974016354956", "QN", 5, "97", "4016354956"),  # managed by Defence insurance
        ("CA5984016354956", "CA", 5, "98", "4016354956"),  # managed by Public Security insurance
    ],
)
def test_full_card_number_parts(text: str, group: str, level: int, province: str, sin: str) -> None:
    card = parse_card_number(text)
    assert (card.group_code, card.benefit_level, card.province_code) == (group, level, province)
    assert card.social_insurance_number == sin
    assert card.is_full and card.text == text


def test_ten_digit_number_is_the_social_insurance_number() -> None:
    card = parse_card_number("4016354956")
    assert card.social_insurance_number == "4016354956"
    assert not card.is_full and card.text == "4016354956"


def test_normalise_accepts_spaces_dashes_and_lower_case() -> None:
    assert normalise(" gd4 40 4016-354956 ") == "GD4404016354956"


@pytest.mark.parametrize("raw", ["", "   ", "A" * 40, "GD44040163549<6"])
def test_what_cannot_be_a_card_number_is_a_bad_request(raw: str) -> None:
    with pytest.raises(BadRequest):
        normalise(raw)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("GD440401635495", "051"),  # 14 characters
        ("12345678901", "051"),  # 11 digits
        ("401635495X", "051"),  # 10 characters, not all digits
        ("G14404016354956", "051"),  # group must be two letters
        ("GD6404016354956", "053"),  # benefit level 6 does not exist
        ("GD0404016354956", "053"),
        ("GD4034016354956", "052"),  # province 03 does not exist
        ("GD4994016354956", "052"),
        ("ZZ4404016354956", "051"),  # no beneficiary group ZZ
        ("TE4404016354956", "053"),  # a child's card (TE) is level 1 only
        ("GD3404016354956", "053"),  # a household card (GD) is level 4 only
    ],
)
def test_wrong_card_numbers_carry_their_vss_code(text: str, code: str) -> None:
    with pytest.raises(CardNumberProblem) as info:
        parse_card_number(text)
    assert info.value.reason == code


def test_digits_of_other_scripts_are_not_card_or_personal_numbers() -> None:
    """Python's \\d matches any script's digits (Arabic-Indic '٤'); a number is ASCII digits only."""
    from verifier.domain.enrollment import new_participation
    from verifier.domain.facilities import normalise_facility
    from verifier.domain.participation import Gender

    arabic = "٠٤٠٠٩٠٠٠١٢٣٤"  # 12 Arabic-Indic digits
    with pytest.raises(BadRequest):
        normalise_facility("٤٠-C54")
    with pytest.raises(BadRequest, match="personal_id"):
        new_participation(
            social_insurance_number="",
            card_number="GD4404016354956",
            full_name="Nguyễn Văn An",
            date_of_birth="1990-05-01",
            gender=Gender.MALE,
            registered_facility="40-C54",
            valid_from="2026-01-01",
            valid_to="2026-12-31",
            personal_id=arabic,
        )
