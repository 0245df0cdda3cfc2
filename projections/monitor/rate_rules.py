"""Rate rules for a place (a facility, or one kiosk): a reject or face-mismatch rate that jumps.

Each place is judged against its own recent past, not a national figure: a commune station that
always turns away a third of its walk-ins is not news; one that usually turns away 5% and now
turns away 40% is (a kiosk fed a stack of borrowed cards, a misconfigured camera).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from projections.monitor.incidents import EvidenceItem, Violation
from projections.monitor.observations import CHECK_IN
from verifier.monitor_rules import RateJump
from verifier.readmodel.places import CHECK_INS, FACES, MINUTE_MS, MISMATCHES, REJECTED

REJECT_RATE_JUMP = "reject_rate_jump"
MISMATCH_RATE_JUMP = "mismatch_rate_jump"


def rate_violations(
    buckets: Mapping[int, Sequence[int]],
    bad: Sequence[EvidenceItem],
    newest: int,
    rule: RateJump,
) -> Iterator[Violation]:
    """Compare the last `window_minutes` (ending at the newest event) with the baseline before."""
    if not rule.enabled or not buckets:
        return
    last_minute = newest // MINUTE_MS
    window_from = last_minute - rule.window_minutes + 1
    baseline_from = window_from - rule.baseline_minutes
    window = _sum(buckets, window_from, last_minute)
    baseline = _sum(buckets, baseline_from, window_from - 1)
    checks = (
        (REJECT_RATE_JUMP, "reject rate", "Tỷ lệ từ chối", CHECK_INS, REJECTED, True),
        (MISMATCH_RATE_JUMP, "face mismatch rate", "Tỷ lệ khuôn mặt không khớp", FACES, MISMATCHES, False),
    )
    for name, label, label_vi, total_i, bad_i, of_check_ins in checks:
        n, k = window[total_i], window[bad_i]
        base_n, base_k = baseline[total_i], baseline[bad_i]
        if n < rule.min_events or base_n < rule.min_baseline_events:
            continue
        rate, base_rate = k / n, base_k / base_n
        if rate < base_rate * rule.factor or rate < base_rate + rule.margin:
            continue
        since = window_from * MINUTE_MS
        evidence = tuple(
            e for e in bad if e.at >= since and (e.kind == CHECK_IN) == of_check_ins and e.at <= newest
        )
        if not evidence:
            continue
        window_min, baseline_min = rule.window_minutes, rule.baseline_minutes
        yield Violation(
            name,
            evidence,
            f"{label} {rate:.0%} over the last {window_min} min ({k} of {n}) against "
            f"{base_rate:.0%} in the {baseline_min} min before ({base_k} of {base_n})",
            f"{label_vi} {rate:.0%} trong {window_min} phút gần nhất ({k}/{n}), so với "
            f"{base_rate:.0%} trong {baseline_min} phút trước đó ({base_k}/{base_n})",
        )


def _sum(buckets: Mapping[int, Sequence[int]], first: int, last: int) -> list[int]:
    total = [0, 0, 0, 0]
    for minute, counts in buckets.items():
        if first <= minute <= last:
            for i in range(4):
                total[i] += counts[i]
    return total
