"""The rules over one card's (one person's) recent check-ins and face matches, in event time.

Each rule is a pure function from everything the card's state holds to the violations in it;
`incidents.reconcile` turns violations into alerts. Events arrive keyed by person, so one
partition sees all of a person's events, in whatever order the kiosks' clocks and the network
produce.

Each violation says what happened in English and in Vietnamese (what VSS staff read first), both
written from the same values in the same place, so the two cannot drift apart; Vietnamese dates are
written day first (02/12/2026), as staff write them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime

from projections.monitor.incidents import EvidenceItem, Violation
from projections.monitor.observations import CHECK_IN, FACE_MATCH, Seen
from verifier.domain.calendar import vietnam_date
from verifier.domain.geography import Geography
from verifier.monitor_rules import RulesConfig

MINUTE_MS = 60_000
WEEK_MS = 7 * 24 * 60 * MINUTE_MS

TWO_FACILITIES = "two_facilities"
VISITS_PER_DAY = "visits_per_day"
VISITS_PER_WEEK = "visits_per_week"
TOKEN_REPLAY = "token_replay"
FACE_MISMATCH_STREAK = "face_mismatch_streak"
KNOWN_BAD_CARD = "known_bad_card"


def card_violations(seen: Sequence[Seen], rules: RulesConfig, geography: Geography) -> Iterator[Violation]:
    """Every violation in a card's observations (sorted by event time, then id)."""
    check_ins = [s for s in seen if s.kind == CHECK_IN]
    if rules.two_facilities.enabled:
        yield from two_facilities(check_ins, rules, geography)
    if rules.visit_frequency.enabled:
        yield from visits_per_day(check_ins, rules.visit_frequency.max_per_day)
        yield from visits_per_week(check_ins, rules.visit_frequency.max_per_week)
    if rules.token_replay.enabled:
        yield from token_replay(check_ins)
    if rules.face_mismatch_streak.enabled:
        yield from face_mismatch_streak([s for s in seen if s.kind == FACE_MATCH], rules)
    if rules.known_bad_card.enabled:
        yield from known_bad_card(check_ins, frozenset(rules.known_bad_card.codes))


def two_facilities(
    check_ins: Sequence[Seen], rules: RulesConfig, geography: Geography
) -> Iterator[Violation]:
    """Check-ins at two facilities closer in time than the trip between them takes.

    Pairs that conflict are joined into groups (a card used at three places in a morning is one
    incident, not three).
    """
    rule = rules.two_facilities
    edges: list[tuple[int, int, float, float]] = []  # (i, j, minutes apart, minutes needed)
    for i, a in enumerate(check_ins):
        for j in range(i + 1, len(check_ins)):
            b = check_ins[j]
            gap = (b.at - a.at) / MINUTE_MS  # sorted by time: never negative
            if gap >= rule.max_travel_minutes:
                break  # no trip takes longer, nor does any later check-in come sooner
            if a.facility == b.facility:
                continue
            by_road = geography.min_travel_minutes(
                a.facility,
                b.facility,
                speed_kmh=rule.speed_kmh,
                same_province_minutes=rule.same_province_minutes,
            )
            trip = min(by_road, rule.max_travel_minutes)  # a flight bounds any trip in Vietnam
            if gap < trip:
                edges.append((i, j, gap, trip))
    for group in _connected(len(check_ins), [(i, j) for i, j, _, _ in edges]):
        members = [check_ins[i] for i in sorted(group)]
        worst = min((e for e in edges if e[0] in group), key=lambda e: e[2] - e[3])
        a, b = check_ins[worst[0]], check_ins[worst[1]]
        places = sorted({m.facility for m in members})
        every = "" if len(places) == 2 else f"{', '.join(places)}; "  # then the tightest pair
        apart, needed = f"{worst[2]:.0f}", f"{worst[3]:.0f}"
        yield Violation(
            TWO_FACILITIES,
            _evidence(members),
            f"checked in at {every}{a.facility} and {b.facility} {apart} min apart, "
            f"travel needs at least {needed} min",
            f"Khám tại {every}{a.facility} và {b.facility} cách nhau {apart} phút, "
            f"di chuyển cần ít nhất {needed} phút",
        )


def visits_per_day(check_ins: Sequence[Seen], limit: int) -> Iterator[Violation]:
    """More visits than `limit` on one Vietnamese calendar day (rejected attempts are not visits)."""
    by_day: dict[date, list[Seen]] = defaultdict(list)
    for s in check_ins:
        if not s.rejected:
            by_day[_date(s.at)].append(s)
    for day, visits in sorted(by_day.items()):
        if len(visits) > limit:
            yield Violation(
                VISITS_PER_DAY,
                _evidence(visits),
                f"{len(visits)} visits on {day.isoformat()} (limit {limit})",
                f"{len(visits)} lượt khám trong ngày {_vi(day)} (giới hạn {limit} lượt)",
                key=day.isoformat(),
            )


def visits_per_week(check_ins: Sequence[Seen], limit: int) -> Iterator[Violation]:
    """More visits than `limit` within any 7 days; overlapping busy weeks are one incident."""
    visits = [s for s in check_ins if not s.rejected]
    spans: list[tuple[int, int]] = []  # index ranges [start, end] of 7-day windows over the limit
    start = 0
    for end, s in enumerate(visits):
        while s.at - visits[start].at >= WEEK_MS:
            start += 1
        if end - start + 1 > limit:
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
    for first, last in spans:
        members = visits[first : last + 1]
        since, until = _date(members[0].at), _date(members[-1].at)
        yield Violation(
            VISITS_PER_WEEK,
            _evidence(members),
            f"{len(members)} visits between {since.isoformat()} and {until.isoformat()} "
            f"(limit {limit} in 7 days)",
            f"{len(members)} lượt khám từ ngày {_vi(since)} đến ngày {_vi(until)} "
            f"(giới hạn {limit} lượt trong 7 ngày)",
        )


def token_replay(check_ins: Sequence[Seen]) -> Iterator[Violation]:
    """One token at more than one kiosk: seen here, or named by the verifier's replay check."""
    by_token: dict[str, list[Seen]] = defaultdict(list)
    for s in check_ins:
        if s.token_id:
            by_token[s.token_id].append(s)
    for token, uses in sorted(by_token.items()):
        evidence = {e.event_id: e for e in _evidence(uses)}
        for s in uses:
            if s.first_check_in_id and s.first_check_in_id not in evidence:
                evidence[s.first_check_in_id] = EvidenceItem(
                    s.first_check_in_id, CHECK_IN, s.first_at, s.first_facility, s.first_kiosk, "first use"
                )
        places = {(e.facility, e.kiosk) for e in evidence.values()}
        if len(places) > 1:
            kiosks = ", ".join(f"{f}/{k}" for f, k in sorted(places))
            yield Violation(
                TOKEN_REPLAY,
                tuple(evidence.values()),
                f"token {token[:8]} presented at {len(places)} kiosks: {kiosks}",
                f"Mã thẻ điện tử {token[:8]} được xuất trình tại {len(places)} ki-ốt: {kiosks}",
                key=token,
            )


def face_mismatch_streak(face_matches: Sequence[Seen], rules: RulesConfig) -> Iterator[Violation]:
    """`streak` or more face mismatches in a row (by event time); a match ends a streak."""
    need = rules.face_mismatch_streak.streak
    run: list[Seen] = []
    for s in (*face_matches, None):
        if s is not None and not s.matched:
            run.append(s)
            continue
        if len(run) >= need:
            places = sorted({r.facility for r in run})
            yield Violation(
                FACE_MISMATCH_STREAK,
                _evidence(run),
                f"{len(run)} face mismatches in a row at {', '.join(places)}",
                f"Khuôn mặt không khớp {len(run)} lần liên tiếp tại {', '.join(places)}",
            )
        run = []


def known_bad_card(check_ins: Sequence[Seen], codes: frozenset[str]) -> Iterator[Violation]:
    """Presentations of a card already known to be unusable, one incident per card and day."""
    by_day: dict[date, list[Seen]] = defaultdict(list)
    for s in check_ins:
        if s.result_code in codes or codes.intersection(s.reasons):
            by_day[_date(s.at)].append(s)
    for day, uses in sorted(by_day.items()):
        found = ", ".join(sorted({c for s in uses for c in (s.result_code, *s.reasons) if c in codes}))
        yield Violation(
            KNOWN_BAD_CARD,
            _evidence(uses),
            f"card presented {len(uses)} time(s) on {day.isoformat()} though known as {found}",
            f"Thẻ được xuất trình {len(uses)} lần trong ngày {_vi(day)} dù đã được ghi nhận mã {found}",
            key=day.isoformat(),
        )


def _evidence(seen: Sequence[Seen]) -> tuple[EvidenceItem, ...]:
    return tuple(EvidenceItem.of(s) for s in seen)


def _date(at_ms: int) -> date:
    """The Vietnamese calendar day of an event: a visit at 23:30 in Hanoi is that day's, not UTC's."""
    return vietnam_date(datetime.fromtimestamp(at_ms / 1000, UTC))


def _vi(day: date) -> str:
    """A date as Vietnamese staff write it, day first (02/12/2026)."""
    return day.strftime("%d/%m/%Y")


def _connected(n: int, edges: Sequence[tuple[int, int]]) -> list[set[int]]:
    """Groups of nodes joined by edges (nodes without an edge are left out)."""
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in edges:
        parent[root(i)] = root(j)
    groups: dict[int, set[int]] = defaultdict(set)
    for i, j in edges:
        groups[root(i)].update((i, j))
    return sorted(groups.values(), key=min)
