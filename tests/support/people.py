"""The participant the unit tests share: one person, card GD4404016354956, valid through 2026."""

from datetime import date

from verifier.domain.participation import Gender, Participation

AN = Participation(
    social_insurance_number="4016354956",
    card_number="GD4404016354956",
    full_name="Nguyễn Văn An",
    date_of_birth=date(1990, 5, 1),
    gender=Gender.MALE,
    registered_facility="40-C54",
    valid_from=date(2026, 1, 1),
    valid_to=date(2026, 12, 31),
    personal_id="040090001234",
)
