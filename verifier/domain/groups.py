"""The beneficiary groups printed on BHYT cards (mã đối tượng, characters 1-2 of the card number),
their Vietnamese names, and the benefit levels (mức hưởng, character 3) each may carry.

Why a dictionary: `ZZ4404016354956` is not a card, and a TE (child under 6) card at level 4 is not
one either; VSS answers such numbers with 051 (wrong card number) and 053 (wrong benefit code).
Both are refused at parse time (`card_number.parse_card_number`), so enrollment and bulk import
refuse them too, not only check-in.

Sources (public):
- Quyết định 1351/QĐ-BHXH ngày 16/11/2015 of Vietnam Social Security, "mã số ghi trên thẻ BHYT":
  the group codes in five blocks (employers and employees pay; the VSS fund pays; the State budget
  pays; the State budget supports; households), and which groups carry which level: 1 = CC, TE;
  2 = CK, CB, KC, HN, DT, DK, XD, BT, TS; 3 = HT, TC, CN; 4 = every other civil group; 5 = QN, CA, CY.
  Hospital software carries the same list, e.g. github.com/yunkhngn/medconnect,
  medconnect-fe/utils/bhytHelper.js (groups, short names and the level table above).
- Its amendments (QĐ 1666/QĐ-BHXH 2020 on the card form; QĐ 1018/QĐ-BHXH 2024 amending Art. 2 of
  QĐ 1351), as claims-checking software used by hospitals applies them: groups added (TV, LH and the
  short codes below), CT listed at level 2, PV at level 3; and from 1 Jan 2026 (Nghị quyết
  261/2025/QH15, Công văn 38/BYT-BH) CN moves from level 3 to 2 and LH from 4 to 2.
A card printed under an earlier table stays valid until replaced, so a group may carry every level
any of these tables gave it (CN 2 or 3, CT 2 or 4, PV 3 or 4, LH 2 or 4): refusing a genuine card
is worse than accepting a level one table no longer prints.

Codes seen in the amended tables whose full name we could not confirm from a public source (AK,
BA, DS, HK, ND, TD, TG, TH, TU) are accepted at their listed level with no name (`name_vi` "").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BeneficiaryGroup:
    code: str
    name_vi: str  # "" when no public source names it
    levels: frozenset[int]


def _group(code: str, levels: str, name_vi: str) -> tuple[str, BeneficiaryGroup]:
    return code, BeneficiaryGroup(code, name_vi, frozenset(int(level) for level in levels))


# In the order of QĐ 1351 (its five blocks), then the codes the amendments added.
GROUPS: dict[str, BeneficiaryGroup] = dict(
    [
        # Employees and employers pay (người lao động và người sử dụng lao động đóng)
        _group("DN", "4", "Người lao động làm việc trong doanh nghiệp"),
        _group("HX", "4", "Người lao động làm việc trong hợp tác xã, liên hiệp hợp tác xã"),
        _group("CH", "4", "Người lao động làm việc trong cơ quan nhà nước, đơn vị sự nghiệp, tổ chức"),
        _group("NN", "4", "Người lao động làm việc trong cơ quan, tổ chức nước ngoài, tổ chức quốc tế"),
        _group("TK", "4", "Người lao động làm việc trong tổ chức khác"),
        _group("HC", "4", "Cán bộ, công chức, viên chức"),
        _group("XK", "4", "Người hoạt động không chuyên trách ở xã, phường, thị trấn"),
        # The social insurance fund pays (tổ chức BHXH đóng)
        _group("HT", "3", "Người hưởng lương hưu, trợ cấp mất sức lao động hằng tháng"),
        _group("TB", "4", "Người hưởng trợ cấp tai nạn lao động, bệnh nghề nghiệp hằng tháng"),
        _group("NO", "4", "Người lao động nghỉ việc hưởng chế độ ốm đau dài ngày"),
        _group("CT", "24", "Người từ đủ 80 tuổi trở lên hưởng trợ cấp tuất hằng tháng"),
        _group("XB", "4", "Cán bộ xã, phường, thị trấn đã nghỉ việc hưởng trợ cấp BHXH hằng tháng"),
        _group("TN", "4", "Người hưởng trợ cấp thất nghiệp"),
        _group("CS", "4", "Công nhân cao su nghỉ việc hưởng trợ cấp hằng tháng"),
        # The State budget pays (ngân sách nhà nước đóng)
        _group("QN", "5", "Quân nhân, sĩ quan Quân đội nhân dân"),
        _group("CA", "5", "Sĩ quan, hạ sĩ quan, chiến sĩ Công an nhân dân"),
        _group("CY", "5", "Người làm công tác cơ yếu"),
        _group("XN", "4", "Cán bộ xã, phường, thị trấn đã nghỉ việc hưởng trợ cấp từ ngân sách"),
        _group("MS", "4", "Người đã thôi hưởng trợ cấp mất sức lao động, hưởng trợ cấp từ ngân sách"),
        _group("CC", "1", "Người có công với cách mạng"),
        _group("CK", "2", "Người có công với cách mạng khác"),
        _group("CB", "2", "Cựu chiến binh"),
        _group("KC", "2", "Người tham gia kháng chiến, bảo vệ Tổ quốc"),
        _group("HD", "4", "Đại biểu Quốc hội, đại biểu Hội đồng nhân dân đương nhiệm"),
        _group("TE", "1", "Trẻ em dưới 6 tuổi"),
        _group("BT", "2", "Người hưởng trợ cấp bảo trợ xã hội hằng tháng"),
        _group("HN", "2", "Người thuộc hộ gia đình nghèo"),
        _group("DT", "2", "Người dân tộc thiểu số sống ở vùng kinh tế - xã hội khó khăn"),
        _group("DK", "2", "Người sống ở vùng kinh tế - xã hội đặc biệt khó khăn"),
        _group("XD", "2", "Người sống ở xã đảo, huyện đảo"),
        _group("TS", "2", "Thân nhân liệt sĩ"),
        _group("TC", "3", "Thân nhân người có công với cách mạng"),
        _group("TQ", "4", "Thân nhân quân nhân"),
        _group("TA", "4", "Thân nhân công an nhân dân"),
        _group("TY", "4", "Thân nhân người làm công tác cơ yếu"),
        _group("HG", "4", "Người đã hiến bộ phận cơ thể"),
        _group("LS", "4", "Người nước ngoài học tập tại Việt Nam có học bổng ngân sách"),
        _group("PV", "34", "Người phục vụ người có công với cách mạng"),
        # The State budget supports (ngân sách nhà nước hỗ trợ đóng)
        _group("CN", "23", "Người thuộc hộ gia đình cận nghèo"),
        _group("HS", "4", "Học sinh"),
        _group("SV", "4", "Sinh viên"),
        _group("GB", "4", "Người thuộc hộ gia đình nông, lâm, ngư, diêm nghiệp có mức sống trung bình"),
        # Households (hộ gia đình)
        _group("GD", "4", "Người tham gia theo hộ gia đình"),
        # Added by the amendments
        _group("TV", "4", "Thân nhân công nhân, viên chức quốc phòng"),
        _group("LH", "24", "Người từ đủ 75 tuổi trở lên hưởng trợ cấp hưu trí xã hội"),
        _group("AK", "2", ""),
        _group("TG", "3", ""),
        _group("DS", "3", ""),
        _group("HK", "3", ""),
        _group("ND", "4", ""),
        _group("TH", "4", ""),
        _group("TD", "4", ""),
        _group("TU", "4", ""),
        _group("BA", "4", ""),
    ]
)

# The groups whose cards the Defence (QN, CY) and Public Security (CA) insurance funds manage,
# and the VSS code that says so (001 / 002: check the card and ID papers, then go on).
ARMED_FORCES_GROUPS: dict[str, str] = {"QN": "001", "CY": "001", "CA": "002"}


def group(code: str) -> BeneficiaryGroup | None:
    """The group with this code, or None when VSS issues no such group."""
    return GROUPS.get(code)


def group_name_vi(code: str) -> str:
    """The group's Vietnamese name for the answer; "" for an unknown or unnamed group."""
    found = GROUPS.get(code)
    return found.name_vi if found else ""
