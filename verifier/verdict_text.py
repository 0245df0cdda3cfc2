"""A check-in answer as a person reads it at a terminal: Vietnamese first, English beside it.

The check-in commands print the whole answer as JSON for scripts; staff at a desk read these lines
(on stderr, so the JSON on stdout stays clean). The texts are the answer's own (`result_text_vi`,
`Reason.text_vi`, ...), so the terminal says exactly what a kiosk screen says.
"""

from __future__ import annotations

from bhyt.v1 import api_pb2 as api
from bhyt.v1 import events_pb2 as ev

# The verdict in words, Vietnamese then English (as in the README's result-code table).
VERDICT_WORDS: dict[int, tuple[str, str]] = {
    ev.VERDICT_ACCEPTED: ("chấp nhận", "accepted"),
    ev.VERDICT_REJECTED: ("từ chối", "rejected"),
    ev.VERDICT_NEEDS_REVIEW: ("nhân viên kiểm tra", "staff review"),
    ev.VERDICT_PROVISIONAL: ("tạm chấp nhận", "provisional"),
}
NO_VERDICT = ("không có kết luận", "no verdict")

# Where the kiosk's facility stands to the registered initial-care facility (VSS 090 is a note).
FACILITY_ROUTES: dict[str, tuple[str, str]] = {
    "registered": ("đúng nơi đăng ký KCB ban đầu", "the registered facility"),
    "same_province": ("khác nơi đăng ký, cùng tỉnh", "not the registered facility, same province"),
    "other_province": ("khác nơi đăng ký, ngoại tỉnh", "not the registered facility, another province"),
}


def verdict_lines(decision: api.CheckInDecision) -> list[str]:
    """The verdict and result code, each reason, and the new card or facility route when set."""
    vi, en = VERDICT_WORDS.get(decision.verdict, NO_VERDICT)
    lines = [
        f"{vi.upper()} / {en}: {decision.result_code} {decision.result_text_vi} / {decision.result_text}"
    ]
    if len(decision.reasons) > 1:
        lines.append("Lý do / reasons:")
        lines += [f"  {r.code} {r.text_vi} / {r.text}" for r in decision.reasons]
    if decision.HasField("new_card"):
        card = decision.new_card
        until = card.valid_to or "không thời hạn / open-ended"
        lines.append(
            f"Thẻ mới / new card: {card.card_number}, {card.valid_from} - {until}, "
            f"nơi ĐKBĐ / facility {card.registered_facility}"
        )
    if decision.facility_route in FACILITY_ROUTES:
        route_vi, route_en = FACILITY_ROUTES[decision.facility_route]
        lines.append(f"Nơi KCB / facility: {route_vi} / {route_en}")
    return lines
