"""Every misuse rule, fed exact, late, out-of-order and redelivered sequences.

Each scenario is a list of events that breaks one rule and a near miss that does not. The engine
must raise exactly one alert for the first however the events arrive, none for the second, and
nothing new when the same events come again.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bhyt.v1.events_pb2 import (
    SEVERITY_HIGH,
    VERDICT_ACCEPTED,
    VERDICT_REJECTED,
)

from projections.monitor.alerts import alert_event, alert_of
from projections.monitor.engine import CardState, Delivered, Outcome, PlaceState, observe_card, observe_place
from projections.monitor.incidents import Incident
from projections.monitor.observations import CHECK_IN, FACE_MATCH, Seen
from verifier.domain.geography import Geography
from verifier.monitor_rules import RulesConfig, RulesFileError, load_rules, rules_from_mapping
from verifier.settings import Settings

T0 = int(datetime(2026, 11, 23, 1, 0, tzinfo=UTC).timestamp() * 1000)  # 08:00 in Vietnam
MIN = 60_000
NOW = T0 + 30 * 24 * 60 * MIN  # the monitor's clock: after every scenario
RULES = load_rules(Settings().rules_file)
# Reordering a scenario that spans days makes its events days late: allow that much for those tests.
PATIENT = rules_from_mapping({"monitor": {"grace_minutes": 8 * 24 * 60}})
GEOGRAPHY = Geography.load()


def check_in(n: int, minute: float, facility: str = "01-001", kiosk: str = "k1", **kw: object) -> Seen:
    fields: dict[str, object] = {"verdict": VERDICT_ACCEPTED, "result_code": "000", **kw}
    return Seen(f"c{n:03d}", CHECK_IN, T0 + int(minute * MIN), facility, kiosk, **fields)  # type: ignore[arg-type]


def face(n: int, minute: float, matched: bool, facility: str = "01-001", kiosk: str = "k1") -> Seen:
    return Seen(f"f{n:03d}", FACE_MATCH, T0 + int(minute * MIN), facility, kiosk, matched=matched, score=0.3)


@dataclass
class Card:
    """One card's state fed like the worker feeds it: each event at the next offset of its topic."""

    subject: str = "4012345678"
    state: CardState | PlaceState | None = None
    place: bool = False
    rules: RulesConfig = RULES

    def __post_init__(self) -> None:
        self.state = PlaceState() if self.place else CardState()
        self.log: list[Delivered] = []

    def feed(self, events: Sequence[Seen], *, batch: int = 1) -> list[Outcome]:
        deliveries = []
        for s in events:
            stream = "checkins/0" if s.kind == CHECK_IN else "faces/0"
            offset = sum(1 for d in self.log if d.stream == stream)
            deliveries.append(Delivered(stream, offset, s))
            self.log.append(deliveries[-1])
        return [self._observe(deliveries[i : i + batch]) for i in range(0, len(deliveries), batch)]

    def redeliver(self, *, batch: int = 1) -> list[Outcome]:
        return [self._observe(self.log[i : i + batch]) for i in range(0, len(self.log), batch)]

    def _observe(self, deliveries: Sequence[Delivered]) -> Outcome:
        if isinstance(self.state, PlaceState):
            return observe_place(self.subject, self.state, deliveries, self.rules, now=NOW)
        assert isinstance(self.state, CardState)
        return observe_card(self.subject, self.state, deliveries, self.rules, GEOGRAPHY, now=NOW)


def changed(outcomes: Sequence[Outcome], rule: str) -> list[Incident]:
    return [i for o in outcomes for i in o.changed if i.rule == rule]


def later_on_the_same_topic(seen: Seen, minutes: float) -> Seen:
    """An unrelated, innocent event `minutes` after `seen`, from the same topic (lateness is judged
    per partition)."""
    at = (seen.at - T0) / MIN + minutes
    return face(500, at, True) if seen.kind == FACE_MATCH else check_in(500, at, "01-001", kiosk="k9")


def visits(days: int, per_day: int) -> list[Seen]:
    return [check_in(d * 10 + i, d * 24 * 60 + i * 90) for d in range(days) for i in range(per_day)]


def rate_traffic(window_rejects: int) -> list[Seen]:
    """60 min of baseline at one kiosk (2 of 40 rejected), then 10 min with 30 check-ins."""
    baseline = [
        check_in(i, i * 1.5, verdict=VERDICT_REJECTED if i % 20 == 0 else VERDICT_ACCEPTED, result_code="051")
        for i in range(40)
    ]
    window = [
        check_in(100 + i, 61 + i * 0.3, verdict=VERDICT_REJECTED if i < window_rejects else VERDICT_ACCEPTED)
        for i in range(30)
    ]
    return baseline + window


TOKEN = "a1" * 16
SCENARIOS: dict[str, tuple[str, list[Seen], list[Seen]]] = {
    # rule name: (rule, events that break it, a near miss)
    "two_facilities": (
        "two_facilities",
        [check_in(1, 0, "01-001"), check_in(2, 60, "79-001")],  # Ha Noi, then Ho Chi Minh City an hour later
        [check_in(1, 0, "01-001"), check_in(2, 301, "79-001")],  # a flight's worth of time apart
    ),
    "two_facilities_same_province": (
        "two_facilities",
        [check_in(1, 0, "01-001"), check_in(2, 10, "01-C54")],
        [check_in(1, 0, "01-001"), check_in(2, 45, "01-C54")],
    ),
    "visits_per_day": (
        "visits_per_day",
        [check_in(i, i * 100) for i in range(4)],
        [
            *(check_in(i, i * 100) for i in range(3)),
            check_in(9, 400, verdict=VERDICT_REJECTED, result_code="010"),
        ],
    ),
    "visits_per_week": ("visits_per_week", visits(6, 2), visits(5, 2)),
    "token_replay": (
        "token_replay",
        [
            check_in(1, 0, kiosk="k1", token_id=TOKEN),
            check_in(
                2,
                2,
                kiosk="k2",
                token_id=TOKEN,
                first_check_in_id="c001",
                first_facility="01-001",
                first_kiosk="k1",
            ),
        ],
        [check_in(1, 0, kiosk="k1", token_id=TOKEN), check_in(2, 1, kiosk="k1", token_id=TOKEN)],  # a retry
    ),
    "face_mismatch_streak": (
        "face_mismatch_streak",
        [face(1, 0, False), face(2, 5, False), face(3, 9, False)],
        [face(1, 0, False), face(2, 5, False), face(3, 7, True), face(4, 9, False)],
    ),
    "known_bad_card": (
        "known_bad_card",
        [check_in(1, 0, verdict=VERDICT_REJECTED, result_code="010", reasons=("010",))],
        [check_in(1, 0, verdict=VERDICT_REJECTED, result_code="051", reasons=("051",))],
    ),
    "reject_rate_jump": ("reject_rate_jump", rate_traffic(15), rate_traffic(3)),
}
PLACE_RULES = {"reject_rate_jump"}


def card_for(rule: str, rules: RulesConfig = RULES) -> Card:
    return Card(subject="01-001/k1", place=True, rules=rules) if rule in PLACE_RULES else Card(rules=rules)


@pytest.mark.parametrize("name", SCENARIOS)
def test_fires_once_in_order(name: str) -> None:
    rule, bad, _ = SCENARIOS[name]
    outcomes = card_for(rule).feed(bad)
    incidents = changed(outcomes, rule)
    assert incidents, f"{name}: no alert"
    assert len({i.alert_id for i in incidents}) == 1
    assert [o.raised for o in outcomes if o.raised] == [{incidents[0].alert_id}]  # raised once
    revisions = [i.revision for i in incidents]
    assert revisions == sorted(set(revisions)) and revisions[-1] == incidents[-1].evidence_count


@pytest.mark.parametrize("name", SCENARIOS)
def test_near_miss_raises_nothing(name: str) -> None:
    rule, _, innocent = SCENARIOS[name]
    outcomes = card_for(rule).feed(innocent)
    assert not changed(outcomes, rule)


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("order", ["reversed", "shuffled", "one_batch"])
def test_out_of_order_gives_the_same_single_alert(name: str, order: str) -> None:
    rule, bad, _ = SCENARIOS[name]
    expected = changed(card_for(rule).feed(bad), rule)[-1]
    events = list(bad)
    if order == "reversed":
        events.reverse()
    elif order == "shuffled":
        random.Random(7).shuffle(events)
    card = card_for(rule, PATIENT)
    incidents = changed(card.feed(events, batch=len(events) if order == "one_batch" else 1), rule)
    assert len({i.alert_id for i in incidents}) == 1
    final = incidents[-1]
    assert {e.event_id for e in final.evidence} == {e.event_id for e in expected.evidence}
    assert final.evidence_count == expected.evidence_count


@pytest.mark.parametrize("name", SCENARIOS)
def test_redelivery_changes_nothing(name: str) -> None:
    rule, bad, _ = SCENARIOS[name]
    card = card_for(rule)
    card.feed(bad)
    before = card.state.to_json() if card.state else ""
    again = card.redeliver() + card.redeliver(batch=len(bad))
    assert not [i for o in again for i in o.changed]
    assert sum(o.duplicates for o in again) == 2 * len(bad)
    assert card.state is not None and card.state.to_json() == before


@pytest.mark.parametrize("name", [n for n in SCENARIOS if SCENARIOS[n][0] not in PLACE_RULES])
def test_an_event_written_twice_to_the_log_counts_once(name: str) -> None:
    rule, bad, _ = SCENARIOS[name]
    card = card_for(rule)
    card.feed(bad)
    outcomes = card.feed(bad)  # the same events at new offsets
    assert not [i for o in outcomes for i in o.changed]
    assert sum(o.duplicates + o.late for o in outcomes) == len(bad)  # late: behind the grace period by now
    assert not sum(o.taken for o in outcomes)


@pytest.mark.parametrize("name", [n for n in SCENARIOS if SCENARIOS[n][0] not in PLACE_RULES])
def test_late_within_grace_still_counts(name: str) -> None:
    rule, bad, _ = SCENARIOS[name]
    *early, last = sorted(bad, key=lambda s: s.at)
    newer = later_on_the_same_topic(last, 20)  # unrelated, 20 min later
    card = card_for(rule)
    card.feed([*early, newer])
    incidents = changed(card.feed([last]), rule)  # 20 min late: within the 30 min grace
    assert incidents and last.event_id in {e.event_id for e in incidents[-1].evidence}


@pytest.mark.parametrize("name", [n for n in SCENARIOS if SCENARIOS[n][0] not in PLACE_RULES])
def test_later_than_grace_is_counted_and_left_out(name: str) -> None:
    rule, bad, _ = SCENARIOS[name]
    *early, last = sorted(bad, key=lambda s: s.at)
    newer = later_on_the_same_topic(last, 31)
    card = card_for(rule)
    card.feed([*early, newer])
    outcomes = card.feed([last])
    assert outcomes[0].late == 1
    assert last.event_id not in {e.event_id for i in changed(outcomes, rule) for e in i.evidence}


def test_an_incident_grows_with_new_evidence_as_new_revisions() -> None:
    card = Card()
    first = changed(
        card.feed([face(1, 0, False), face(2, 1, False), face(3, 2, False)]), "face_mismatch_streak"
    )
    grown = changed(card.feed([face(4, 3, False)]), "face_mismatch_streak")
    assert [i.revision for i in first] == [3]  # the revision is the evidence count
    assert [(i.alert_id, i.revision, i.evidence_count) for i in grown] == [(first[0].alert_id, 4, 4)]
    after_match = changed(
        card.feed([face(5, 4, True), face(6, 5, False), face(7, 6, False)]), "face_mismatch_streak"
    )
    assert not after_match  # a new streak has only two so far


def test_travel_group_joins_three_places_into_one_incident() -> None:
    card = Card()
    incidents = changed(
        card.feed([check_in(1, 0, "01-001"), check_in(2, 60, "79-001"), check_in(3, 90, "48-001")]),
        "two_facilities",
    )
    assert len({i.alert_id for i in incidents}) == 1
    assert incidents[-1].evidence_count == 3


def test_token_replay_names_the_first_use_even_when_it_is_not_in_the_state() -> None:
    replay = check_in(
        2,
        2,
        kiosk="k2",
        token_id=TOKEN,
        first_check_in_id="elsewhere",
        first_facility="01-001",
        first_kiosk="k1",
    )
    incidents = changed(Card().feed([replay]), "token_replay")
    assert {e.event_id for e in incidents[0].evidence} == {"elsewhere", "c002"}


def test_alert_carries_subject_places_severity_and_limited_evidence() -> None:
    rules = rules_from_mapping({"monitor": {"evidence_limit": 2}})
    card = Card()
    incident = changed(
        card.feed([check_in(1, 0, "01-001"), check_in(2, 60, "79-001"), check_in(3, 90, "48-001")]),
        "two_facilities",
    )[-1]
    alert = alert_of(incident, subject="4012345678", kind="person", rules=rules)
    assert alert.severity == SEVERITY_HIGH
    assert list(alert.facility_ids) == ["01-001", "48-001", "79-001"]
    assert list(alert.provinces) == ["01", "48", "79"]
    assert len(alert.evidence) == 2 and alert.evidence_count == 3
    assert alert.window_start.ToMilliseconds() == T0 and alert.window_end.ToMilliseconds() == T0 + 90 * MIN
    assert alert.revision == 3  # raised with two places, grown by the third
    assert (alert.summary, alert.summary_vi) == (incident.summary, incident.summary_vi)
    assert alert.summary_vi.startswith("Khám tại 01-001, 48-001, 79-001; ")
    now = datetime.now(UTC)
    assert alert_event(alert, raised=False, producer="t", now=now).WhichOneof("payload") == "alert_updated"
    raised = alert_event(alert, raised=True, producer="test", now=now)
    assert raised.WhichOneof("payload") == "alert_raised" and raised.key == alert.alert_id
    assert (
        alert_event(alert, raised=True, producer="test", now=now).event_id == raised.event_id
    )  # republished


def test_state_survives_a_round_trip_through_json() -> None:
    card = Card()
    card.feed(SCENARIOS["token_replay"][1])
    assert isinstance(card.state, CardState)
    again = CardState.from_json(card.state.to_json())
    assert again == card.state
    place = Card(place=True)
    place.feed(rate_traffic(15))
    assert isinstance(place.state, PlaceState)
    assert PlaceState.from_json(place.state.to_json()) == place.state


def test_disabled_rule_raises_nothing() -> None:
    rules = rules_from_mapping({"two_facilities": {"enabled": False}})
    state = CardState()
    deliveries = [Delivered("c/0", i, s) for i, s in enumerate(SCENARIOS["two_facilities"][1])]
    assert not observe_card("x", state, deliveries, rules, GEOGRAPHY, now=NOW).changed


def test_default_rules_file_loads_with_its_documented_values() -> None:
    assert RULES.face_mismatch_streak.streak == 3
    assert RULES.visit_frequency.max_per_day == 3
    assert RULES.monitor.grace_minutes == 30
    assert "K02" in RULES.known_bad_card.codes
    assert RulesConfig() == RULES  # the file documents the defaults as they are


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[nonsense]\n", "unknown section"),
        ("[two_facilities]\nspeed = 3\n", "unknown key"),
        ("[token_replay]\nseverity = 'urgent'\n", "expected one of"),
        ("[face_mismatch_streak]\nstreak = 0\n", "must be positive"),
        ("[face_mismatch_streak]\nstreak = 2.5\n", "whole number"),
        ("[rate_jump]\nenabled = 'yes'\n", "true or false"),
        ("[known_bad_card]\ncodes = [10]\n", "list of codes"),
        ("[monitor\n", "not valid TOML"),
    ],
)
def test_bad_rules_file_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(RulesFileError, match=message) as caught:
        load_rules(path)
    assert str(path) in str(caught.value)


def test_missing_rules_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RulesFileError, match="cannot read"):
        load_rules(tmp_path / "nope.toml")


def test_rate_jump_takes_a_late_reject_within_grace_and_counts_one_beyond_it() -> None:
    traffic = rate_traffic(15)
    late = next(s for s in traffic if s.event_id == "c100")  # the window's first reject, at minute 61
    on_time = [s for s in traffic if s is not late]

    place = Card(subject="01-001/k1", place=True)
    incidents = changed(place.feed([*on_time, late]), "reject_rate_jump")  # ~9 min late, grace 30
    assert late.event_id in {e.event_id for e in incidents[-1].evidence}

    strict = Card(
        subject="01-001/k1", place=True, rules=rules_from_mapping({"monitor": {"grace_minutes": 5}})
    )
    outcomes = strict.feed([*on_time, late])
    assert outcomes[-1].late == 1
    assert late.event_id not in {
        e.event_id for i in changed(outcomes, "reject_rate_jump") for e in i.evidence
    }


def test_revisions_do_not_depend_on_batching() -> None:
    events = visits(6, 2)
    one_by_one = changed(Card().feed(events), "visits_per_week")[-1]
    all_at_once = changed(Card().feed(events, batch=len(events)), "visits_per_week")[-1]
    assert (one_by_one.alert_id, one_by_one.revision) == (all_at_once.alert_id, all_at_once.revision)


def test_a_lagging_partition_is_not_mistaken_for_late_events() -> None:
    """A place hears from every partition: one running 40 min behind another is not late."""
    state = PlaceState()
    ahead = [Delivered("checkins/0", i, check_in(i, 60 + i)) for i in range(10)]
    behind = [Delivered("checkins/1", i, check_in(100 + i, 20 + i)) for i in range(10)]
    observe_place("01-001", state, ahead, RULES, now=NOW)
    outcome = observe_place("01-001", state, behind, RULES, now=NOW)
    assert (outcome.taken, outcome.late) == (10, 0)


def test_an_event_from_the_future_is_left_out_and_blinds_nothing() -> None:
    card = Card()
    wrong_clock = check_in(1, (NOW - T0) / MIN + 365 * 24 * 60, "79-001")  # a year ahead of the monitor
    outcomes = card.feed([wrong_clock])
    assert (outcomes[0].future, outcomes[0].taken) == (1, 0)
    incidents = changed(card.feed(SCENARIOS["two_facilities"][1]), "two_facilities")
    assert incidents  # the real check-ins still count


def test_two_facilities_looks_only_as_far_as_a_trip_can_take() -> None:
    """A busy card's pairs stop at `max_travel_minutes`: the rule stays linear in practice."""
    many = [check_in(i, i * 400, "01-001" if i % 2 else "79-001") for i in range(300)]  # 400 min apart
    assert not changed(Card().feed(many, batch=300), "two_facilities")


# What each scenario's alert says, in English and in Vietnamese: the same values in both.
SUMMARIES: dict[str, tuple[str, str]] = {
    "two_facilities": (
        "checked in at 01-001 and 79-001 60 min apart, travel needs at least 300 min",
        "Khám tại 01-001 và 79-001 cách nhau 60 phút, di chuyển cần ít nhất 300 phút",
    ),
    "two_facilities_same_province": (
        "checked in at 01-001 and 01-C54 10 min apart, travel needs at least 30 min",
        "Khám tại 01-001 và 01-C54 cách nhau 10 phút, di chuyển cần ít nhất 30 phút",
    ),
    "visits_per_day": (
        "4 visits on 2026-11-23 (limit 3)",
        "4 lượt khám trong ngày 23/11/2026 (giới hạn 3 lượt)",
    ),
    "visits_per_week": (
        "12 visits between 2026-11-23 and 2026-11-28 (limit 10 in 7 days)",
        "12 lượt khám từ ngày 23/11/2026 đến ngày 28/11/2026 (giới hạn 10 lượt trong 7 ngày)",
    ),
    "token_replay": (
        "token a1a1a1a1 presented at 2 kiosks: 01-001/k1, 01-001/k2",
        "Mã thẻ điện tử a1a1a1a1 được xuất trình tại 2 ki-ốt: 01-001/k1, 01-001/k2",
    ),
    "face_mismatch_streak": (
        "3 face mismatches in a row at 01-001",
        "Khuôn mặt không khớp 3 lần liên tiếp tại 01-001",
    ),
    "known_bad_card": (
        "card presented 1 time(s) on 2026-11-23 though known as 010",
        "Thẻ được xuất trình 1 lần trong ngày 23/11/2026 dù đã được ghi nhận mã 010",
    ),
    "reject_rate_jump": (
        "reject rate 75% over the last 10 min (15 of 20) against 5% in the 60 min before (2 of 38)",
        "Tỷ lệ từ chối 75% trong 10 phút gần nhất (15/20), so với 5% trong 60 phút trước đó (2/38)",
    ),
}


def test_every_scenario_has_its_summaries_checked() -> None:
    assert sorted(SUMMARIES) == sorted(SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_rule_says_what_happened_in_vietnamese_with_the_values_of_the_english(name: str) -> None:
    rule, bad, _ = SCENARIOS[name]
    incident = changed(card_for(rule).feed(bad), rule)[-1]
    assert (incident.summary, incident.summary_vi) == SUMMARIES[name]


def test_two_facilities_in_vietnamese_names_every_place_and_the_tightest_pair() -> None:
    incident = changed(
        Card().feed([check_in(1, 0, "01-001"), check_in(2, 60, "79-001"), check_in(3, 90, "48-001")]),
        "two_facilities",
    )[-1]
    assert incident.summary_vi == (
        "Khám tại 01-001, 48-001, 79-001; 79-001 và 48-001 cách nhau 30 phút, di chuyển cần ít nhất 300 phút"
    )


def test_mismatch_rate_jump_says_so_in_vietnamese() -> None:
    baseline = [face(i, i * 1.5, matched=i % 20 != 0) for i in range(40)]  # 2 of 40 mismatched
    window = [face(100 + i, 61 + i * 0.3, matched=i >= 15) for i in range(30)]  # 15 in the last 10 min
    place = Card(subject="01-001/k1", place=True)
    incident = changed(place.feed(baseline + window), "mismatch_rate_jump")[-1]
    assert incident.summary == (
        "face mismatch rate 75% over the last 10 min (15 of 20) against 5% in the 60 min before (2 of 38)"
    )
    assert incident.summary_vi == (
        "Tỷ lệ khuôn mặt không khớp 75% trong 10 phút gần nhất (15/20), "
        "so với 5% trong 60 phút trước đó (2/38)"
    )


def test_vietnamese_dates_are_the_vietnamese_day_written_day_first() -> None:
    """00:30 on 24 November in Hanoi is 17:30 on the 23rd in UTC: the summary says the 24th."""
    after_midnight = check_in(1, 16 * 60 + 30, verdict=VERDICT_REJECTED, result_code="110", reasons=("110",))
    incident = changed(Card().feed([after_midnight]), "known_bad_card")[-1]
    assert incident.summary_vi == "Thẻ được xuất trình 1 lần trong ngày 24/11/2026 dù đã được ghi nhận mã 110"
    assert incident.summary == "card presented 1 time(s) on 2026-11-24 though known as 110"


def test_an_incident_stored_without_vietnamese_loads_and_gains_it_on_its_next_revision() -> None:
    """State saved before the monitor wrote Vietnamese has no "sum_vi": it must load, and the
    incident's next revision (AlertUpdated) carries the Vietnamese line."""
    card = Card()
    card.feed([face(1, 0, False), face(2, 1, False), face(3, 2, False)])
    assert isinstance(card.state, CardState)
    stored = json.loads(card.state.to_json())
    assert [i["sum_vi"] for i in stored["i"]] == ["Khuôn mặt không khớp 3 lần liên tiếp tại 01-001"]
    for incident in stored["i"]:
        del incident["sum_vi"]  # as the monitor stored it before
    card.state = CardState.from_json(json.dumps(stored))
    old = card.state.incidents[0]
    assert (old.revision, old.summary, old.summary_vi) == (3, "3 face mismatches in a row at 01-001", "")
    assert alert_of(old, subject=card.subject, kind="person", rules=RULES).summary_vi == ""

    grown = changed(card.feed([face(4, 3, False)]), "face_mismatch_streak")
    assert [(i.alert_id, i.revision) for i in grown] == [(old.alert_id, 4)]
    alert = alert_of(grown[0], subject=card.subject, kind="person", rules=RULES)
    updated = alert_event(alert, raised=False, producer="test", now=datetime.now(UTC)).alert_updated.alert
    assert (updated.summary, updated.summary_vi) == (
        "4 face mismatches in a row at 01-001",
        "Khuôn mặt không khớp 4 lần liên tiếp tại 01-001",
    )
