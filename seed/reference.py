"""Static reference data: industries and the profile of each city used to make the demo data plausible.

The profiles are inputs to the generator, not figures: every figure a page shows is counted from the rows
the generator writes.
"""
from __future__ import annotations

from dataclasses import dataclass

# GB/T 4754-2017 sections (门类) and the divisions (大类) the demo uses: (code, name, risk-report scope)
SECTIONS = [
    ("B", "采矿业", True),
    ("C", "制造业", True),
    ("D", "电力、热力、燃气及水生产和供应业", True),
    ("E", "建筑业", False),
    ("F", "批发和零售业", False),
    ("G", "交通运输、仓储和邮政业", False),
    ("H", "住宿和餐饮业", False),
    ("R", "文化、体育和娱乐业", False),
]
DIVISIONS = [
    ("B10", "非金属矿采选业", "B"),
    ("C13", "农副食品加工业", "C"),
    ("C17", "纺织业", "C"),
    ("C22", "造纸和纸制品业", "C"),
    ("C25", "石油、煤炭及其他燃料加工业", "C"),
    ("C26", "化学原料和化学制品制造业", "C"),
    ("C27", "医药制造业", "C"),
    ("C29", "橡胶和塑料制品业", "C"),
    ("C30", "非金属矿物制品业", "C"),
    ("C31", "黑色金属冶炼和压延加工业", "C"),
    ("C32", "有色金属冶炼和压延加工业", "C"),
    ("C33", "金属制品业", "C"),
    ("C34", "通用设备制造业", "C"),
    ("C38", "电气机械和器材制造业", "C"),
    ("C39", "计算机、通信和其他电子设备制造业", "C"),
    ("D44", "电力、热力生产和供应业", "D"),
    ("D45", "燃气生产和供应业", "D"),
    ("E47", "房屋建筑业", "E"),
    ("E48", "土木工程建筑业", "E"),
    ("F51", "批发业", "F"),
    ("F52", "零售业", "F"),
    ("G54", "道路运输业", "G"),
    ("G57", "管道运输业", "G"),
    ("G59", "装卸搬运和仓储业", "G"),
    ("H61", "住宿业", "H"),
    ("R90", "娱乐业", "R"),
]

# Regulatory sectors (监管行业): code, name, high-risk, the divisions an enterprise of the sector may have
SECTORS = [
    ("whp", "危险化学品", True, ["C26", "C25", "F51", "G59"]),
    ("chem", "化工", True, ["C26", "C27", "C29"]),
    ("metal", "冶金", True, ["C31"]),
    ("nonferrous", "有色", True, ["C32"]),
    ("building_mat", "建材", False, ["C30"]),
    ("machinery", "机械", False, ["C33", "C34", "C38"]),
    ("light", "轻工", False, ["C13", "C22", "C39"]),
    ("textile", "纺织", False, ["C17"]),
    ("trade", "商贸", False, ["F52", "F51"]),
    ("fireworks", "烟花爆竹", True, ["F52"]),
    ("gas", "城镇燃气", True, ["D45"]),
    ("mining", "非煤矿山", True, ["B10"]),
    ("power", "电力", False, ["D44"]),
    ("construction", "建筑施工", True, ["E47", "E48"]),
    ("transport", "交通运输", True, ["G54", "G57"]),
    ("public_venue", "公共聚集场所", True, ["H61", "R90"]),
]
SECTOR_NAME = {code: name for code, name, _, _ in SECTORS}
HIGH_RISK_SECTORS = [code for code, _, hr, _ in SECTORS if hr]
# sectors whose enterprises fall under the Jiangsu risk-report rules (sections B, C, D, pipelines, storage)
RISK_REPORT_SECTORS = ["whp", "chem", "metal", "nonferrous", "building_mat", "machinery", "light",
                       "textile", "gas", "mining", "power"]
HAZARD_SECTORS = ["whp", "chem"]  # enterprises that may run major hazard sources


@dataclass(frozen=True)
class CityProfile:
    adcode: int
    enterprises: int  # enterprise rows in the demo (key enterprises and others)
    key_share: float  # share of enterprises whose supervision data the platform collects
    mix: dict  # sector weights
    hazard_enterprises: int  # major-hazard enterprises
    points_per_enterprise: int
    insp_per_month: int  # ordinary monthly inspections
    hazards_per_insp: float
    case_rate: float  # cases per inspection
    compliance: float  # 0..1, higher = fewer hazards/cases and better credit
    data_sources: int
    grids: tuple  # (综治, 应急, 安全生产监管)
    filed_per_grid: int
    report_share_0313: float  # share of above-scale enterprises that had reported by 2021-03-13
    rated_share: float  # share of enterprises with a credit rating
    credit_sectors: int


BASE_MIX = {"whp": 2, "chem": 3, "metal": 1, "nonferrous": 1, "building_mat": 3, "machinery": 14, "light": 9,
            "textile": 5, "trade": 18, "fireworks": 0.4, "gas": 0.6, "mining": 0.3, "power": 0.6,
            "construction": 12, "transport": 8, "public_venue": 10}


def _mix(**over) -> dict:
    m = dict(BASE_MIX)
    m.update(over)
    return m


CITIES = {
    320100: CityProfile(320100, 22000, 16000 / 22000, _mix(chem=4.5, whp=3, metal=2.2), 74, 58, 3000, 1.45, 0.1,
                        0.78, 21, (12000, 1780, 16000), 25, 0.30, 9306 / 22000, 11),
    320200: CityProfile(320200, 17000, 0.55, _mix(machinery=20, textile=8), 46, 47, 1150, 1.35, 0.055, 0.82, 18,
                        (9800, 1210, 11300), 22, 0.34, 0.30, 9),
    320300: CityProfile(320300, 15000, 0.45, _mix(mining=1.5, building_mat=5, metal=2), 38, 44, 1050, 1.6, 0.06, 0.66,
                        17, (11200, 1340, 12100), 19, 0.21, 0.22, 8),
    320400: CityProfile(320400, 12500, 0.5, _mix(machinery=19, chem=4), 41, 45, 900, 1.4, 0.055, 0.8, 16,
                        (7400, 980, 8600), 21, 0.31, 0.28, 9),
    320500: CityProfile(320500, 28000, 0.5, _mix(machinery=22, light=12, textile=7), 86, 49, 1900, 1.3, 0.05, 0.84, 19,
                        (16500, 2210, 19800), 26, 0.36, 0.33, 10),
    320600: CityProfile(320600, 15500, 0.45, _mix(chem=5, whp=3, textile=7), 70, 46, 1100, 1.55, 0.06, 0.72, 16,
                        (9100, 1150, 10400), 20, 0.26, 0.24, 8),
    320700: CityProfile(320700, 8500, 0.4, _mix(chem=7, whp=4, mining=1), 61, 48, 700, 1.75, 0.07, 0.6, 14,
                        (5300, 690, 6100), 17, 0.18, 0.2, 7),
    320800: CityProfile(320800, 9000, 0.4, _mix(chem=4, light=10), 36, 42, 720, 1.6, 0.065, 0.64, 15,
                        (5900, 760, 6800), 18, 0.19, 0.2, 7),
    320900: CityProfile(320900, 21000, 0.42, _mix(chem=5, machinery=16, textile=6), 65, 45, 2600, 1.62, 0.058, 0.68,
                        19, (10200, 1290, 12500), 20, 0.24, 0.23, 8),
    321000: CityProfile(321000, 9500, 0.45, _mix(machinery=17, chem=3.5), 33, 44, 760, 1.45, 0.055, 0.76, 15,
                        (6100, 820, 7000), 19, 0.28, 0.26, 8),
    321100: CityProfile(321100, 8500, 0.45, _mix(chem=4.5, building_mat=5), 42, 46, 680, 1.5, 0.06, 0.74, 15,
                        (5200, 700, 6000), 19, 0.27, 0.25, 8),
    321200: CityProfile(321200, 10500, 0.42, _mix(chem=5.5, whp=3.5, machinery=16), 55, 45, 820, 1.55, 0.06, 0.7,
                        16, (6600, 850, 7600), 19, 0.25, 0.24, 8),
    321300: CityProfile(321300, 8000, 0.38, _mix(light=13, textile=8, chem=2.5), 21, 40, 640, 1.7, 0.07, 0.62, 14,
                        (5100, 640, 5800), 17, 385 / 1720, 0.18, 6),
}

# Exact figures the demo data must reproduce (shared/reference/domain.md §1). Used by the generator to
# size the rows it writes and by the tests, never by the query layer or the pages.
CALIBRATION = {
    "N1": 21, "N2": 16000, "N3": 74, "N4": 4264, "N5": 4538, "N6": 63, "N7": 1436,
    "N8": (12000, 1780, 16000), "N9": 402316, "N10": (9306, 11),
    "Y1": (21, 14, 116, 19), "Y2": 11703, "Y3": 22509, "Y4": 77, "Y5": 798, "Y6": (103, 3, 2),
    "S1": 385, "S2": 1720, "S3": 22.4, "S4": (1019, 56), "S5": (63, 4126),
}

DEPARTMENTS = ["应急管理局", "公安局", "生态环境局", "住房和城乡建设局", "交通运输局", "市场监督管理局",
               "消防救援支队", "自然资源和规划局", "水务局", "商务局", "文化广电和旅游局", "工业和信息化局",
               "农业农村局", "城市管理局", "教育局", "卫生健康委员会", "港口管理局", "邮政管理局", "气象局",
               "发展和改革委员会", "财政局"]

MEMBER_UNITS = ["应急管理局", "公安局", "生态环境局", "住房和城乡建设局", "交通运输局", "市场监督管理局",
                "消防救援支队", "自然资源和规划局", "水务局", "商务局", "文化广电和旅游局", "工业和信息化局",
                "农业农村局", "城市管理局", "教育局", "卫生健康委员会", "港口管理局", "邮政管理局", "气象局",
                "发展和改革委员会", "供电公司", "燃气集团", "铁路办", "民防局"]

POINT_KINDS = [
    # kind, name, unit, normal value, low alarm, high alarm, high-high alarm, weight
    ("temperature", "反应釜温度", "℃", 85.0, 20.0, 120.0, 150.0, 0.24),
    ("pressure", "储罐压力", "MPa", 0.8, 0.05, 1.2, 1.6, 0.22),
    ("level", "储罐液位", "%", 55.0, 10.0, 85.0, 95.0, 0.2),
    ("flow", "进料流量", "m³/h", 30.0, 5.0, 45.0, 55.0, 0.08),
    ("gas_flammable", "可燃气体浓度", "%LEL", 2.0, None, 20.0, 40.0, 0.18),
    ("gas_toxic", "有毒气体浓度", "ppm", 1.0, None, 10.0, 20.0, 0.08),
]

BRANDS = list("华嘉恒瑞德盛丰鑫隆泰安和兴永宏金通达源昌新成富利海天佳正广远明信中东鼎晟博润祥福康宁")
SUFFIX = {
    "whp": ["化工贸易", "危险品储运", "石化"], "chem": ["化工", "新材料", "精细化工", "化学"],
    "metal": ["钢铁", "特钢", "冶金"], "nonferrous": ["铝业", "铜业", "有色金属"],
    "building_mat": ["建材", "水泥", "玻璃"], "machinery": ["机械", "装备", "电气", "精密机械"],
    "light": ["食品", "纸业", "电子", "包装"], "textile": ["纺织", "印染", "服饰"],
    "trade": ["商贸", "超市", "贸易"], "fireworks": ["烟花爆竹"], "gas": ["燃气"], "mining": ["矿业"],
    "power": ["热电", "能源"], "construction": ["建设工程", "建筑安装", "市政工程"],
    "transport": ["物流", "运输", "港务"], "public_venue": ["酒店", "商业广场", "娱乐"],
}

# 处置时限: this product's default handling deadlines by warning level (not national rules; an administrator
# edits them in ``handling_deadlines``), minutes from the warning's raising: (签收 ack, 核查 verify, 消警 close)
DEFAULT_DEADLINES = {
    1: (15, 60, 24 * 60),  # 重大: 15 min / 1 h / 24 h
    2: (30, 120, 48 * 60),  # 较大: 30 min / 2 h / 48 h
    3: (60, 240, 72 * 60),  # 一般: 1 h / 4 h / 72 h
    4: (120, 480, 7 * 24 * 60),  # 低: 2 h / 8 h / 7 days
}
