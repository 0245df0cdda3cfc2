"""The verdict lines the check-in commands print for people: Vietnamese first, English beside it."""

from __future__ import annotations

from bhyt.v1 import api_pb2 as api
from bhyt.v1 import events_pb2 as ev

from verifier.domain.reasons import reason_text, reason_text_vi
from verifier.verdict_text import VERDICT_WORDS, verdict_lines


def reason(code: str) -> api.Reason:
    return api.Reason(code=code, text=reason_text(code), text_vi=reason_text_vi(code))


def decision(verdict: int, *codes: str, **fields: object) -> api.CheckInDecision:
    return api.CheckInDecision(
        verdict=verdict,  # type: ignore[arg-type]
        result_code=codes[0],
        result_text=reason_text(codes[0]),
        result_text_vi=reason_text_vi(codes[0]),
        reasons=[reason(c) for c in codes],
        **fields,  # type: ignore[arg-type]
    )


def test_a_replaced_card_names_the_new_one_and_an_open_end() -> None:
    lines = verdict_lines(
        decision(
            ev.VERDICT_ACCEPTED,
            "004",
            new_card=api.NewCard(
                card_number="GD4404016354999", valid_from="2026-01-01", registered_facility="40-C54"
            ),
        )
    )
    assert lines == [
        "CHẤP NHẬN / accepted: 004 Thẻ cũ còn giá trị sử dụng nhưng đã được cấp thẻ mới / "
        "old card still valid, a new card was issued",
        "Thẻ mới / new card: GD4404016354999, 2026-01-01 - không thời hạn / open-ended, "
        "nơi ĐKBĐ / facility 40-C54",
    ]


def test_several_reasons_are_each_listed_in_both_languages() -> None:
    lines = verdict_lines(decision(ev.VERDICT_PROVISIONAL, "P01", "P02", facility_route="registered"))
    assert lines[0].startswith("TẠM CHẤP NHẬN / provisional: P01 Chưa xác nhận được quyền lợi")
    assert lines[1:3] == ["Lý do / reasons:", f"  P01 {reason_text_vi('P01')} / {reason_text('P01')}"]
    assert lines[-1] == "Nơi KCB / facility: đúng nơi đăng ký KCB ban đầu / the registered facility"


def test_an_answer_without_a_verdict_says_so() -> None:
    assert verdict_lines(decision(ev.VERDICT_UNSPECIFIED, "000"))[0].startswith(
        "KHÔNG CÓ KẾT LUẬN / no verdict:"
    )


def test_every_verdict_has_words() -> None:
    named = {value for value in ev.Verdict.values() if value != ev.VERDICT_UNSPECIFIED}
    assert set(VERDICT_WORDS) == named
