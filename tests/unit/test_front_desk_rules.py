"""The verdict rules as VSS gives them and hospitals apply them (issue 15, items 1-3), each through
the one check-in step (`judge_check_in`) from what a kiosk sends, and the service pipeline on fakes
where what goes on the log matters.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from bhyt.v1.events_pb2 import VERDICT_ACCEPTED

from infra import population
from projections.monitor.card_rules import KNOWN_BAD_CARD, known_bad_card
from projections.monitor.observations import CHECK_IN, Seen
from tests.support.fakes import FakeEventLog, FakeReadModel
from tests.support.people import AN
from verifier.domain.card_number import CardNumberProblem, parse_card_number
from verifier.domain.checkin import Presented, judge_check_in
from verifier.domain.groups import GROUPS, group_name_vi
from verifier.domain.identity import IdentityClaim, name_mismatch
from verifier.domain.participation import CardValidity, Gender, Participation, Status
from verifier.domain.station import Station
from verifier.domain.verdicts import Decision, FacilityRoute, NewCard, Verdict, with_credential_problems
from verifier.events.facts import CheckInVerified
from verifier.monitor_rules import RulesConfig, load_rules
from verifier.service.checkin import VerifyCard, typed_card
from verifier.service.pipeline import CheckIn, CheckInPipeline
from verifier.settings import Settings

TODAY = date(2026, 6, 1)
KIOSK = Station("40-001", "kiosk-1", "NV042")
OLD = CardValidity("GD4404016354956", date(2025, 1, 1), date(2025, 12, 31))
# AN's card replaced: the old GD card (2025) by an HN card valid through 2026.
RENEWED = replace(AN, card_number="HN2404016354956", previous_cards=(OLD,))


def check(
    person: Participation | None,
    *,
    card: str = AN.card_number,
    personal_id: str = "",
    today: date = TODAY,
    facility: str = "",
    **claim: object,
) -> Decision:
    command = VerifyCard(
        KIOSK,
        card_number="" if personal_id else card,
        personal_id=personal_id,
        claim=IdentityClaim.parse(**claim),  # type: ignore[arg-type]
    )
    return judge_check_in(typed_card(command), person, today=today, facility_to_match=facility)


def outcome(decision: Decision) -> tuple[Verdict, str]:
    return decision.verdict, decision.result_code


# ---- 1. Provinces 97 and 98; cards managed by the armed forces' funds: 001 / 002 ----------------


@pytest.mark.parametrize("number", ["QN5974016354956", "CA5984016354956", "TQ4974016354956"])
def test_provinces_97_and_98_are_card_provinces(number: str) -> None:
    assert parse_card_number(number).province_code == number[3:5]


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ("TQ4974016354956", "001"),  # province 97: Defence, whatever the group
        ("TA4984016354956", "002"),  # province 98: Public Security
        ("QN5404016354956", "001"),  # group QN
        ("CY5404016354956", "001"),  # group CY
        ("CA5404016354956", "002"),  # group CA
    ],
)
def test_armed_forces_cards_are_checked_with_id_papers_and_go_on(card: str, code: str) -> None:
    person = replace(AN, card_number=card)
    assert outcome(check(person, card=card)) == (Verdict.NEEDS_REVIEW, code)


# ---- 2. The group-code dictionary ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("ZZ4404016354956", "051"),  # no such group
        ("TE4404016354956", "053"),  # a child's card is level 1
        ("GD1404016354956", "053"),
        ("QN4404016354956", "053"),  # the armed forces' cards are level 5
        ("HT5404016354956", "053"),
    ],
)
def test_an_unknown_group_is_051_and_a_level_the_group_cannot_carry_053(number: str, code: str) -> None:
    with pytest.raises(CardNumberProblem) as info:
        parse_card_number(number)
    assert info.value.reason == code
    assert outcome(check(AN, card=number)) == (Verdict.REJECTED, code)


@pytest.mark.parametrize(("prefix"), ["CN2", "CN3", "LH2", "LH4", "CT2", "CT4", "PV3", "PV4", "TV4"])
def test_levels_of_amended_tables_stay_valid(prefix: str) -> None:
    assert parse_card_number(f"{prefix}404016354956").benefit_level == int(prefix[2])


def test_every_group_and_level_the_population_generator_issues_is_valid() -> None:
    for g in population._GROUPS:
        assert g.level in GROUPS[g.code].levels, g.code


def test_the_group_names_vietnamese() -> None:
    assert group_name_vi("TE") == "Trẻ em dưới 6 tuổi"
    assert group_name_vi("GD") == "Người tham gia theo hộ gia đình"
    assert group_name_vi("ZZ") == ""
    # every group VSS names in QĐ 1351 has its name
    assert all(GROUPS[c].name_vi for c in ("DN", "HX", "CH", "NN", "TK", "HC", "XK", "QN", "CA", "CY"))


# ---- 3. 120 for a reduction without a reason -----------------------------------------------------


def test_a_reduction_without_a_reason_is_120() -> None:
    reduced = replace(AN, status=Status.REDUCED, reduced_from=date(2026, 5, 1))
    assert outcome(check(reduced)) == (Verdict.REJECTED, "120")
    moved = replace(reduced, reduction_code="121")
    assert outcome(check(moved)) == (Verdict.REJECTED, "121")


# ---- 4. 090 is a data note; where the kiosk stands ----------------------------------------------


@pytest.mark.parametrize(
    ("facility", "route", "reasons"),
    [
        ("40-C54", FacilityRoute.REGISTERED, ("000",)),
        ("40-001", FacilityRoute.SAME_PROVINCE, ("090",)),
        ("01-001", FacilityRoute.OTHER_PROVINCE, ("090",)),
    ],
)
def test_090_never_refuses_and_says_where_the_kiosk_stands(
    facility: str, route: FacilityRoute, reasons: tuple[str, ...]
) -> None:
    decision = check(AN, facility=facility)
    assert (decision.verdict, decision.reasons, decision.facility_route) == (Verdict.ACCEPTED, reasons, route)


def test_090_follows_the_other_reasons_and_is_not_set_when_not_asked() -> None:
    expired = check(AN, facility="01-001", today=date(2027, 1, 1))
    assert (expired.verdict, expired.reasons) == (Verdict.REJECTED, ("010", "090"))
    assert check(AN).facility_route is None


# ---- 5. 003 / 004: the answer carries the new card, and the new card is judged --------------------


def test_004_carries_the_new_card_and_is_accepted_when_the_new_card_is() -> None:
    still_valid = replace(RENEWED, previous_cards=(replace(OLD, valid_to=date(2026, 12, 31)),))
    decision = check(still_valid)
    assert outcome(decision) == (Verdict.ACCEPTED, "004")
    assert decision.new_card == NewCard("HN2404016354956", AN.valid_from, AN.valid_to, "40-C54")


def test_003_is_a_note_when_the_new_card_is_valid() -> None:
    decision = check(RENEWED)
    assert outcome(decision) == (Verdict.ACCEPTED, "003")
    assert decision.new_card is not None and decision.new_card.card_number == "HN2404016354956"


@pytest.mark.parametrize(
    ("new_card", "code"),
    [
        (replace(RENEWED, status=Status.REVOKED), "110"),
        (replace(RENEWED, valid_to=date(2026, 5, 31)), "010"),
        (replace(RENEWED, status=Status.REDUCED, reduction_code="124"), "124"),
        (replace(RENEWED, valid_from=date(2026, 7, 1)), "K01"),
    ],
)
def test_the_new_card_is_judged(new_card: Participation, code: str) -> None:
    decision = check(new_card)
    assert (decision.verdict, decision.reasons) == (Verdict.REJECTED, (code, "003"))
    assert decision.new_card is not None


def test_an_open_ended_card_is_valid_from_its_start() -> None:
    open_ended = replace(AN, valid_to=None)
    assert outcome(check(open_ended, today=date(2040, 1, 1))) == (Verdict.ACCEPTED, "000")
    assert outcome(check(open_ended, today=date(2025, 12, 31))) == (Verdict.REJECTED, "K01")


# ---- 6. Identity: staff review, not refusal; names as people write them ---------------------------


@pytest.mark.parametrize(
    ("claim", "code"),
    [
        ({"full_name": "Trần Văn An"}, "060"),
        ({"full_name": "Nguyễn Văn Anh"}, "061"),
        ({"date_of_birth": "1990-05-02"}, "070"),
        ({"date_of_birth": "1991"}, "070"),
        ({"gender": Gender.FEMALE}, "080"),
    ],
)
def test_identity_mismatches_ask_staff_to_check_the_papers(claim: dict[str, object], code: str) -> None:
    assert outcome(check(AN, **claim)) == (Verdict.NEEDS_REVIEW, code)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("recorded", "claimed"),
    [
        ("Lê Thị Hoà", "Lê Thị Hòa"),
        ("Nguyễn Thị Thuỷ", "nguyễn thị THỦY"),
        ("Phạm Văn Khoẻ", "Phạm  Văn Khỏe"),
        ("Nguyễn Văn An", "Nguye\u0302\u0303n Va\u0306n An"),  # decomposed (NFD) input
    ],
)
def test_names_compare_after_normalisation_case_spacing_and_tone_placement(
    recorded: str, claimed: str
) -> None:
    assert outcome(check(replace(AN, full_name=recorded), full_name=claimed)) == (Verdict.ACCEPTED, "000")


def test_a_name_that_matches_only_without_diacritics_is_accepted_with_k03() -> None:
    person = replace(AN, full_name="Đặng Trọng Thiện")
    decision = check(person, full_name="Dang Trong Thien")
    assert (decision.verdict, decision.reasons) == (Verdict.ACCEPTED, ("K03",))
    # a different tone is a different spelling of the name, not the same one
    assert name_mismatch("Lê Thị Hóa", "Lê Thị Hòa") == "K03"
    # and K03 does not hide a wrong birth date
    both = check(person, full_name="Dang Trong Thien", date_of_birth="1990-05-02")
    assert (both.verdict, both.reasons) == (Verdict.NEEDS_REVIEW, ("070", "K03"))


def test_a_year_only_record_or_claim_compares_by_year() -> None:
    year_only = replace(AN, date_of_birth=date(1990, 1, 1), birth_year_only=True)
    assert outcome(check(year_only, date_of_birth="1990-05-01")) == (Verdict.ACCEPTED, "000")
    assert outcome(check(year_only, date_of_birth="1991-05-01")) == (Verdict.NEEDS_REVIEW, "070")
    assert outcome(check(AN, date_of_birth="1990")) == (Verdict.ACCEPTED, "000")
    # a full date against a full record still compares the day
    assert outcome(check(AN, date_of_birth="1990-01-01")) == (Verdict.NEEDS_REVIEW, "070")


# ---- 7. 130: a child under 6 checked in by personal number ----------------------------------------

CHILD = replace(
    AN,
    card_number="TE1404016354956",
    date_of_birth=date(2020, 6, 2),  # 6 on 2 June 2026
    personal_id="040220001234",
)


def test_a_covered_child_under_6_found_by_personal_number_gets_130() -> None:
    assert outcome(check(CHILD, personal_id=CHILD.personal_id)) == (Verdict.ACCEPTED, "130")


def test_no_130_with_a_card_at_6_or_when_not_covered() -> None:
    assert outcome(check(CHILD, card=CHILD.card_number)) == (Verdict.ACCEPTED, "000")  # a card
    birthday = check(CHILD, personal_id=CHILD.personal_id, today=date(2026, 6, 2))
    assert outcome(birthday) == (Verdict.ACCEPTED, "000")
    expired = replace(CHILD, valid_to=date(2026, 5, 31))
    assert check(expired, personal_id=CHILD.personal_id).reasons == ("010",)


# ---- 8. Ordering: hard, review, provisional, notes; the result code is the first -----------------


def test_reasons_are_ordered_hard_review_provisional_informative() -> None:
    person = replace(RENEWED, status=Status.REVOKED, card_number="QN5404016354956")
    decision = check(person, facility="01-001", full_name="Trần Văn An")
    assert decision.reasons == ("110", "001", "060", "003", "090")
    assert outcome(decision) == (Verdict.REJECTED, "110")
    noted = check(replace(AN, full_name="Đặng Trọng Thiện"), facility="40-001", full_name="Dang Trong Thien")
    provisional = with_credential_problems(["P02"], noted)
    assert provisional.reasons == ("P02", "090", "K03") and provisional.verdict is Verdict.PROVISIONAL
    assert provisional.facility_route is FacilityRoute.SAME_PROVINCE


def test_among_notes_vss_codes_come_before_ours_so_the_result_code_is_vss() -> None:
    noted = check(replace(AN, full_name="Đặng Trọng Thiện"), facility="40-001", full_name="Dang Trong Thien")
    assert outcome(noted) == (Verdict.ACCEPTED, "090") and noted.reasons == ("090", "K03")


def test_the_card_rules_detail_is_given_in_vietnamese_too() -> None:
    decision = check(RENEWED, card=OLD.card_number, facility="01-001", today=date(2027, 1, 1))
    assert decision.detail == "new card HN2404016354956; valid to 2026-12-31; registered at 40-C54"
    assert decision.detail_vi == "thẻ mới HN2404016354956; hạn thẻ đến 2026-12-31; nơi ĐKBĐ 40-C54"
    token_problem = with_credential_problems(["T04"], decision, "token expired")
    assert token_problem.detail_vi.startswith("token expired; thẻ mới")


# ---- Through the pipeline: what is recorded --------------------------------------------------------


async def test_the_pipeline_records_130_for_a_child_found_by_personal_number() -> None:
    log, read_model = FakeEventLog(), FakeReadModel()
    read_model.put(CHILD)
    pipeline = CheckInPipeline(read_model=read_model, event_log=log)
    presented: Presented = typed_card(VerifyCard(KIOSK, personal_id=CHILD.personal_id))
    at = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
    result = await pipeline.run(CheckIn(presented, KIOSK, at))
    [fact] = [f for f in log.appended if isinstance(f, CheckInVerified)]
    assert (fact.decision.result_code, fact.key) == ("130", CHILD.social_insurance_number)
    assert result.decision.verdict is Verdict.ACCEPTED


# ---- The misuse monitor: 004 is a valid card, 003 is not ------------------------------------------


def _presented(code: str) -> Seen:
    at = int(datetime(2026, 6, 1, 3, 0, tzinfo=UTC).timestamp() * 1000)
    return Seen(
        "c001", CHECK_IN, at, "40-001", "k1", verdict=VERDICT_ACCEPTED, result_code=code, reasons=(code,)
    )


def test_the_known_bad_card_rule_fires_on_003_but_not_on_004() -> None:
    codes = frozenset(load_rules(Settings().rules_file).known_bad_card.codes)
    assert codes == frozenset(RulesConfig().known_bad_card.codes)  # the file and the defaults agree
    assert [v.rule for v in known_bad_card([_presented("003")], codes)] == [KNOWN_BAD_CARD]
    assert list(known_bad_card([_presented("004")], codes)) == []
