"""Domain labels shared by queries, pages and exports (Chinese names of codes)."""
from __future__ import annotations

# four-level warnings and risks: 1 重大/红 .. 4 低/蓝
LEVEL_NAMES = {1: "重大", 2: "较大", 3: "一般", 4: "低"}
LEVEL_COLOUR_NAMES = {1: "红", 2: "橙", 3: "黄", 4: "蓝"}
LEVEL_HEX = {1: "#e02020", 2: "#f08c00", 3: "#f5d000", 4: "#1e78ff"}

WARNING_TYPES = {"over_limit": "超限报警", "gas_leak": "气体泄漏报警", "equipment": "设备故障", "offline": "点位离线"}
WARNING_STAGES = ["raised", "pushed", "acknowledged", "verified", "closed"]
WARNING_STAGE_NAMES = {"raised": "产生", "pushed": "已推送", "acknowledged": "已签收", "verified": "已现场核查",
                       "closed": "已消警"}

POINT_STATUS = {"normal": "正常", "alarm": "报警", "offline": "离线"}
POINT_KINDS = {"temperature": "温度", "pressure": "压力", "level": "液位", "flow": "流量",
               "gas_flammable": "可燃气体", "gas_toxic": "有毒气体"}
HAZARD_LEVELS = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}

# safety credit (安全信用脸谱): green best .. red worst
CREDIT_COLOURS = ["green", "blue", "yellow", "red"]
CREDIT_NAMES = {"green": "绿色", "blue": "蓝色", "yellow": "黄色", "red": "红色"}
CREDIT_HEX = {"green": "#2e9d48", "blue": "#1e78ff", "yellow": "#f5c400", "red": "#e02020"}
CREDIT_MEANING = {
    "green": "守信（最好）：基础扎实、无违法记录；降低检查频次，以企业自查为主",
    "blue": "基本守信：管理较规范；按常规频次抽查",
    "yellow": "失信警示：存在违法违规或较多隐患；提高检查频次，重点督办",
    "red": "严重失信（最差）：重大隐患或严重违法；列为重点监管对象，必要时联合惩戒",
}

GRID_KINDS = {"zongzhi": "综治网格", "yingji": "应急网格", "anquan": "安全生产监管网格"}
CASE_STAGES = {"filed": "立案", "investigating": "调查取证", "notified": "告知", "decided": "决定",
               "executing": "执行", "closed": "结案"}
WORK_ORDER_KINDS = {"reminder": "提醒类", "supervision": "监督类"}
VERIFICATION = {None: "未核查", "confirmed": "核查属实", "under_reported": "瞒报漏报，已责令整改"}

# handling of warnings (queries.handling): steps, verification results, states, roles
STEP_NAMES = {"ack": "签收", "verify": "核查", "handle": "处置", "close": "消警", "escalate": "督办"}
VERIFY_RESULTS = {"confirmed": "属实", "false_alarm": "误报", "device_fault": "设备故障"}
HANDLING_STATES = {"new": "待签收", "acknowledged": "已签收", "verified": "已核查", "handled": "已处置", "closed": "已消警"}
ROLE_NAMES = {"leader": "省级领导", "city": "市级领导", "officer": "监管人员", "duty": "值班室", "writer": "简报编辑",
              "admin": "管理员", "system": "系统模拟"}

# 督办 (queries.supervision): states of an order, its events, subjects; list checks (核查, 整改)
SUPERVISION_STATES = {"open": "在办", "answered": "已反馈", "closed": "办结"}
SUPERVISION_EVENTS = {"send": "督办", "reply": "反馈", "return": "退回", "close": "办结"}
SUBJECT_KINDS = {"view": "页面视图", "campaign": "专项行动", "enterprise": "企业", "warning": "预警", "text": "事项"}
LIST_KINDS = {"key_control": "风险报告重点管控清单", "watchlist": "“不放心”企业名单"}
CHECK_FINDINGS = {"substantiated": "属实", "unfounded": "不属实"}
