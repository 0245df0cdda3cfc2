"""The verdict vocabulary: VSS card-check result codes (maKetQua) and our own, kept apart.

VSS codes are three digits and mean what hospitals already know; their Vietnamese text is VSS's own
wording as hospital software shows it (`../shared/domain.md`). Ours start with a letter naming the
family (K = card, Q = QR, T = digital token, C = chip, F = face, P = provisional) so they can never
collide with a future VSS code. Every code has Vietnamese (shown first to people) and English.
"""

from __future__ import annotations

from verifier.chip.codes import CHIP_REASONS, CHIP_REASONS_VI
from verifier.tokens.problems import TOKEN_REASONS, TOKEN_REASONS_VI

# code -> (English, Vietnamese as VSS words it)
VSS_REASONS: dict[str, tuple[str, str]] = {
    "000": ("card valid", "Thông tin thẻ chính xác"),
    "001": (
        "card managed by Defence insurance: check ID papers",
        "Thẻ do BHXH Bộ Quốc phòng quản lý, đề nghị kiểm tra thẻ và thông tin giấy tờ tùy thân",
    ),
    "002": (
        "card managed by Public Security insurance: check ID papers",
        "Thẻ do BHXH Bộ Công an quản lý, đề nghị kiểm tra thẻ và thông tin giấy tờ tùy thân",
    ),
    "003": (
        "old card expired, a new card was issued",
        "Thẻ cũ hết giá trị sử dụng nhưng đã được cấp thẻ mới",
    ),
    "004": (
        "old card still valid, a new card was issued",
        "Thẻ cũ còn giá trị sử dụng nhưng đã được cấp thẻ mới",
    ),
    "010": ("card expired", "Thẻ hết giá trị sử dụng"),
    "050": ("no card information", "Không thấy thông tin thẻ BHYT"),
    "051": ("wrong card number", "Mã thẻ không đúng"),
    "052": (
        "wrong province code (characters 4-5 of the card number)",
        "Mã tỉnh cấp thẻ (ký tự thứ 4, 5 của mã thẻ) không đúng",
    ),
    "053": (
        "wrong benefit code (character 3 of the card number)",
        "Mã quyền lợi thẻ (ký tự thứ 3 của mã thẻ) không đúng",
    ),
    "054": (
        "the checking staff member's CCCD is not registered for the facility",
        "Số CCCD của cán bộ thực hiện tra cứu không tồn tại trong danh sách người sử dụng do CSKCB đăng ký",
    ),
    "055": (
        "the checking staff member's name does not match that CCCD",
        "Họ và tên của cán bộ thực hiện tra cứu không khớp với số CCCD",
    ),
    "060": ("wrong name: check ID papers", "Thẻ sai họ tên"),
    "061": ("wrong name, first letter right: check ID papers", "Thẻ sai họ tên (đúng ký tự đầu)"),
    "070": ("wrong date of birth: check ID papers", "Thẻ sai ngày sinh"),
    "080": ("wrong gender: check ID papers", "Thẻ sai giới tính"),
    "090": ("not the registered initial-care facility", "Thẻ sai nơi đăng ký KCB ban đầu"),
    "100": ("error reading card data", "Lỗi khi lấy dữ liệu sổ thẻ"),
    "101": ("server error", "Lỗi server"),
    "110": ("card revoked", "Thẻ đã thu hồi"),
    "120": ("participation reduced", "Thẻ đã báo giảm"),
    "121": ("participation reduced: moved to another province", "Thẻ đã báo giảm chuyển ngoại tỉnh"),
    "122": ("participation reduced: moved within the province", "Thẻ đã báo giảm chuyển nội tỉnh"),
    "123": (
        "participation reduced: re-added at the same unit",
        "Thẻ đã báo giảm do tăng lại cùng đơn vị",
    ),
    "124": ("participation reduced: stopped participating", "Thẻ đã báo giảm ngừng tham gia"),
    "130": ("child without a card", "Trẻ em không xuất trình thẻ"),
    "205": ("bad parameter format", "Lỗi sai định dạng tham số"),
    "401": ("authentication failed", "Lỗi xác thực tài khoản"),
    "500": ("server error", "Lỗi máy chủ"),
}

# Our own codes (the verifier's, not VSS's): English, Vietnamese.
OUR_REASONS: dict[str, tuple[str, str]] = {
    "K01": ("card not yet valid", "Thẻ chưa đến hạn sử dụng"),
    "K02": (
        "card reported lost: check ID papers",
        "Thẻ đã báo mất, đề nghị kiểm tra giấy tờ tùy thân",
    ),
    "K03": (
        "name matches only without diacritics: check the spelling",
        "Họ tên chỉ khớp khi bỏ dấu, đề nghị kiểm tra lại chính tả họ tên",
    ),
    "K04": (
        "personal data erased (on request or after the retention period): identity cannot be checked, "
        "refer to VSS",
        "Thông tin cá nhân của người tham gia đã được xoá (theo yêu cầu hoặc hết thời hạn lưu trữ): "
        "không thể đối chiếu nhân thân, đề nghị liên hệ cơ quan BHXH",
    ),
    "Q01": ("QR unreadable", "Không đọc được mã QR"),
    "F01": (
        "face does not match the photo: staff review",
        "Khuôn mặt không khớp với ảnh, đề nghị nhân viên kiểm tra",
    ),
    "F02": (
        "liveness check failed: staff review",
        "Kiểm tra người thật không đạt, đề nghị nhân viên kiểm tra",
    ),
    "P01": (
        "coverage unconfirmed: the participation record cannot be read now; admitted provisionally, "
        "re-checked automatically",
        "Chưa xác nhận được quyền lợi: tạm thời không đọc được dữ liệu tham gia; tiếp nhận tạm, "
        "hệ thống sẽ tự kiểm tra lại",
    ),
    "P02": (
        "token replay not checked: the replay record cannot be read now",
        "Chưa kiểm tra được mã đã dùng lại hay chưa: tạm thời không đọc được dữ liệu",
    ),
    **{code: (en, TOKEN_REASONS_VI.get(code, "")) for code, en in TOKEN_REASONS.items()},
    **{code: (en, CHIP_REASONS_VI.get(code, "")) for code, en in CHIP_REASONS.items()},
}

ACCEPTED_CODE = "000"


def reason_text(code: str) -> str:
    """English text for a code; unknown codes are shown as such rather than hidden."""
    texts = VSS_REASONS.get(code) or OUR_REASONS.get(code)
    return texts[0] if texts else f"unknown reason {code}"


def reason_text_vi(code: str) -> str:
    """Vietnamese text for a code (VSS's wording for VSS codes)."""
    texts = VSS_REASONS.get(code) or OUR_REASONS.get(code)
    return texts[1] if texts and texts[1] else f"mã lý do không xác định {code}"
