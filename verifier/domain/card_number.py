"""The BHYT card number (mã thẻ BHYT): shape, parts and normalisation.

15 characters = group (2 letters) + benefit level (1 digit, 1-5) + province (2 digits)
+ social insurance number (10 digits), e.g. GD4404016354956. Cards since 1 Apr 2021 may show only
the 10-digit social insurance number, so both forms are accepted at check-in.

The group must be one VSS issues and the level one that group may carry (`groups`, after QĐ
1351/QĐ-BHXH and its amendments): an unknown group is 051, an impossible level 053. Cards managed
by the Defence and Public Security insurance funds carry province 97 and 98.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from verifier.domain.groups import group
from verifier.errors import BadRequest

FULL_LENGTH = 15
SHORT_LENGTH = 10
MAX_PRESENTED_LENGTH = 32  # anything longer is not a typo of a card number but a bad request

# Province codes printed on cards (chars 4-5): the 63 pre-2025 administrative codes.
PROVINCE_CODES = frozenset(
    [
        "01",
        "02",
        "04",
        "06",
        "08",
        "10",
        "11",
        "12",
        "14",
        "15",
        "17",
        "19",
        "20",
        "22",
        "24",
        "25",
        "26",
        "27",
        "30",
        "31",
        "33",
        "34",
        "35",
        "36",
        "37",
        "38",
        "40",
        "42",
        "44",
        "45",
        "46",
        "48",
        "49",
        "51",
        "52",
        "54",
        "56",
        "58",
        "60",
        "62",
        "64",
        "66",
        "67",
        "68",
        "70",
        "72",
        "74",
        "75",
        "77",
        "79",
        "80",
        "82",
        "83",
        "84",
        "86",
        "87",
        "89",
        "91",
        "92",
        "93",
        "94",
        "95",
        "96",
    ]
)
# Besides them, cards managed by the armed forces' insurance funds: 97 Defence (BHXH Bộ Quốc phòng),
# 98 Public Security (BHXH Bộ Công an); with the VSS code a check-in answers for them.
ARMED_FORCES_PROVINCES: dict[str, str] = {"97": "001", "98": "002"}
CARD_PROVINCE_CODES = PROVINCE_CODES | frozenset(ARMED_FORCES_PROVINCES)
BENEFIT_LEVELS = frozenset(range(1, 6))

_ALNUM = re.compile(r"[A-Z0-9]+")
_FULL = re.compile(r"(?P<group>[A-Z]{2})(?P<level>[0-9])(?P<province>[0-9]{2})(?P<sin>[0-9]{10})")
_SHORT = re.compile(r"[0-9]{10}")


@dataclass(frozen=True)
class CardNumber:
    """A card number as presented: always the social insurance number, the prefix when printed."""

    social_insurance_number: str
    group_code: str = ""
    benefit_level: int = 0
    province_code: str = ""

    @property
    def is_full(self) -> bool:
        return bool(self.group_code)

    @property
    def text(self) -> str:
        if not self.is_full:
            return self.social_insurance_number
        return f"{self.group_code}{self.benefit_level}{self.province_code}{self.social_insurance_number}"


class CardNumberProblem(ValueError):
    """The presented number is a plausible request but not a well-formed card: a verdict, not an error.

    `reason` is the VSS result code: 051 wrong number, 052 wrong province, 053 wrong benefit code.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def normalise(raw: str) -> str:
    """Upper-case and drop spaces/dashes people type between the groups of a card number.

    Raises BadRequest when the input cannot be a card number at all (empty, oversized, symbols).
    """
    text = re.sub(r"[\s\-]", "", raw or "").upper()
    if not text:
        raise BadRequest("card number is empty")
    if len(text) > MAX_PRESENTED_LENGTH:
        raise BadRequest(f"card number is {len(text)} characters; a card has 10 or 15")
    if not _ALNUM.fullmatch(text):
        raise BadRequest("card number may contain only letters and digits")
    return text


def parse_card_number(text: str) -> CardNumber:
    """Parse a normalised number; raise CardNumberProblem with the VSS code for a wrong card."""
    if len(text) == SHORT_LENGTH:
        if not _SHORT.fullmatch(text):
            raise CardNumberProblem("051", "a 10-character card number must be all digits")
        return CardNumber(social_insurance_number=text)
    if len(text) != FULL_LENGTH:
        raise CardNumberProblem("051", f"card number has {len(text)} characters; expected 10 or 15")
    match = _FULL.fullmatch(text)
    if match is None:
        raise CardNumberProblem("051", "expected 2 letters, then 13 digits")
    level = int(match["level"])
    if level not in BENEFIT_LEVELS:
        raise CardNumberProblem("053", f"benefit level {level} does not exist (1-5)")
    beneficiaries = group(match["group"])
    if beneficiaries is None:
        raise CardNumberProblem("051", f"beneficiary group {match['group']} does not exist")
    if level not in beneficiaries.levels:
        allowed = ", ".join(str(n) for n in sorted(beneficiaries.levels))
        raise CardNumberProblem(
            "053", f"group {beneficiaries.code} carries benefit level {allowed}, not {level}"
        )
    if match["province"] not in CARD_PROVINCE_CODES:
        raise CardNumberProblem("052", f"province code {match['province']} does not exist")
    return CardNumber(
        social_insurance_number=match["sin"],
        group_code=match["group"],
        benefit_level=level,
        province_code=match["province"],
    )
