"""Every result code speaks Vietnamese first and English beside it, and VSS codes in VSS's own words.

Kiosk screens and staff read the Vietnamese text; hospital staff already know VSS's wording of its
codes from the VSS card-check gateway, so ours must be the same, letter for letter. The wording is
taken from the domain brief's table (`../shared/domain.md`) when the brief is there; in a checkout
without it, from the copy kept below (made from the brief's table, 2026-12).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from verifier.chip.codes import CHIP_REASONS, CHIP_REASONS_VI
from verifier.domain.reasons import OUR_REASONS, VSS_REASONS, reason_text, reason_text_vi
from verifier.tokens.problems import TOKEN_REASONS, TOKEN_REASONS_VI

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_BRIEF = ROOT.parent / "shared" / "domain.md"

# The brief's table as of issue 15, for checkouts without the brief (code -> VSS's Vietnamese).
VSS_WORDING_COPY: dict[str, str] = {
    "000": "Thông tin thẻ chính xác",
    "001": "Thẻ do BHXH Bộ Quốc phòng quản lý, đề nghị kiểm tra thẻ và thông tin giấy tờ tùy thân",
    "002": "Thẻ do BHXH Bộ Công an quản lý, đề nghị kiểm tra thẻ và thông tin giấy tờ tùy thân",
    "003": "Thẻ cũ hết giá trị sử dụng nhưng đã được cấp thẻ mới",
    "004": "Thẻ cũ còn giá trị sử dụng nhưng đã được cấp thẻ mới",
    "010": "Thẻ hết giá trị sử dụng",
    "050": "Không thấy thông tin thẻ BHYT",
    "051": "Mã thẻ không đúng",
    "052": "Mã tỉnh cấp thẻ (ký tự thứ 4, 5 của mã thẻ) không đúng",
    "053": "Mã quyền lợi thẻ (ký tự thứ 3 của mã thẻ) không đúng",
    "054": (
        "Số CCCD của cán bộ thực hiện tra cứu không tồn tại trong danh sách người sử dụng do CSKCB đăng ký"
    ),
    "055": "Họ và tên của cán bộ thực hiện tra cứu không khớp với số CCCD",
    "060": "Thẻ sai họ tên",
    "061": "Thẻ sai họ tên (đúng ký tự đầu)",
    "070": "Thẻ sai ngày sinh",
    "080": "Thẻ sai giới tính",
    "090": "Thẻ sai nơi đăng ký KCB ban đầu",
    "100": "Lỗi khi lấy dữ liệu sổ thẻ",
    "101": "Lỗi server",
    "110": "Thẻ đã thu hồi",
    "120": "Thẻ đã báo giảm",
    "121": "Thẻ đã báo giảm chuyển ngoại tỉnh",
    "122": "Thẻ đã báo giảm chuyển nội tỉnh",
    "123": "Thẻ đã báo giảm do tăng lại cùng đơn vị",
    "124": "Thẻ đã báo giảm ngừng tham gia",
    "130": "Trẻ em không xuất trình thẻ",
    "205": "Lỗi sai định dạng tham số",
    "401": "Lỗi xác thực tài khoản",
    "500": "Lỗi máy chủ",
}

_VSS_ROW = re.compile(r"^\|\s*(\d{3}(?:\s*/\s*\d{3})*)\s*\|[^|]*\|([^|]+)\|\s*$")
# Letters only Vietnamese writes (with the tone and vowel marks); every Vietnamese text has some.
_VIETNAMESE_LETTER = re.compile(
    r"[ăâđêôơưĂÂĐÊÔƠƯàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]"
)


def vss_wording_from_brief(text: str) -> dict[str, str]:
    """The `| code | meaning | VSS text (vi) |` rows of the brief; "100 / 101" rows pair codes and
    texts in order."""
    wording: dict[str, str] = {}
    for line in text.splitlines():
        row = _VSS_ROW.match(line.strip())
        if not row:
            continue
        codes = [c.strip() for c in row.group(1).split("/")]
        texts = [t.strip() for t in row.group(2).split(" / ")] if len(codes) > 1 else [row.group(2).strip()]
        assert len(codes) == len(texts), f"brief row pairs {codes} with {texts}"
        wording.update(zip(codes, texts, strict=True))
    return wording


def vss_wordings() -> list[dict[str, str]]:
    """The kept copy, and the brief's own table when the brief is in this checkout: the code must
    agree with both, so the copy cannot drift from the brief unnoticed where the brief exists."""
    wordings = [VSS_WORDING_COPY]
    if DOMAIN_BRIEF.is_file():
        wording = vss_wording_from_brief(DOMAIN_BRIEF.read_text(encoding="utf-8"))
        assert len(wording) >= len(VSS_WORDING_COPY), "the brief's code table was not found or shrank"
        wordings.append(wording)
    return wordings


ALL_CODES = sorted({*VSS_REASONS, *OUR_REASONS})


def test_the_brief_parser_reads_a_paired_row() -> None:
    brief = "| 100 / 101 | error / server error | Lỗi khi lấy dữ liệu sổ thẻ / Lỗi server |\n| x | y |"
    assert vss_wording_from_brief(brief) == {"100": "Lỗi khi lấy dữ liệu sổ thẻ", "101": "Lỗi server"}


def test_vss_codes_are_exactly_the_briefs_and_worded_as_vss_words_them() -> None:
    for wording in vss_wordings():
        assert sorted(VSS_REASONS) == sorted(wording)
        for code, vi in wording.items():
            assert VSS_REASONS[code][1] == vi, code
            assert reason_text_vi(code) == vi, code


@pytest.mark.parametrize("code", ALL_CODES)
def test_every_code_has_english_and_vietnamese(code: str) -> None:
    en, vi = VSS_REASONS.get(code) or OUR_REASONS[code]
    assert en.strip() and vi.strip(), code
    assert en == reason_text(code) and vi == reason_text_vi(code)
    assert vi != en, f"{code}: the Vietnamese text is the English one"
    assert _VIETNAMESE_LETTER.search(vi), f"{code}: {vi!r} does not read as Vietnamese"
    assert unicodedata.is_normalized("NFC", vi), f"{code}: not NFC (a kiosk font may show it broken)"


def test_our_codes_are_letter_first_and_never_collide_with_vss() -> None:
    assert not set(VSS_REASONS) & set(OUR_REASONS)
    assert all(re.fullmatch(r"\d{3}", code) for code in VSS_REASONS)
    assert all(re.fullmatch(r"[A-Z]\d{2}", code) for code in OUR_REASONS)


@pytest.mark.parametrize(
    ("english", "vietnamese"), [(TOKEN_REASONS, TOKEN_REASONS_VI), (CHIP_REASONS, CHIP_REASONS_VI)]
)
def test_token_and_chip_codes_are_translated_one_for_one(
    english: dict[str, str], vietnamese: dict[str, str]
) -> None:
    assert sorted(vietnamese) == sorted(english)
    assert set(english) <= set(OUR_REASONS)


def test_an_unknown_code_is_named_not_hidden() -> None:
    assert reason_text("X99") == "unknown reason X99"
    assert reason_text_vi("X99") == "mã lý do không xác định X99"
