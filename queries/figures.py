"""Headline figures of every topic with their definitions (口径): one list for the CLI, the briefing and exports."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine

from queries import credit, enforcement, grids, handling, hazards, overview, risk, warnings
from queries.base import prepare
from queries.labels import CREDIT_NAMES, LEVEL_NAMES
from queries.scope import Resolved, Scope


@dataclass(frozen=True)
class Figure:
    key: str  # topic.name, stable: documented in README
    topic: str
    label: str
    value: Any
    unit: str
    definition: str  # 口径
    source: str  # the query function that computed it
    # what the figure was taken for (filled by ``collect``): citable with its scope, period and as-of time
    basis: str = "period"  # period (统计期内) | cutoff (截至截止时间) | live (实时, not reproducible as of a past time)
    region: int | None = None
    region_name: str = ""
    scope: str = ""  # 地区 · 行业
    period: str = ""  # "2021-01-01 至 2021-02-28" | "截至 2021-03-13 23:59:59" | "实时（生成时）"
    as_of: str = ""  # the as-of cut-off ("" = none: everything recorded when generated)


PERIOD = "统计期内"
_D = {
    # platform
    "platform.data_sources": ("接入数据的安委会成员单位", "家", "截至统计截止时已接入平台的安委会成员单位数（设区市平台）"),
    "platform.key_enterprises": ("重点企业（监管数据汇集）", "家", "平台汇集监管数据的重点企业数"),
    "platform.enterprises": ("平台登记企业", "家", "平台登记的企业数"),
    "platform.above_scale": ("规模以上企业", "家", "平台登记的规模以上企业数"),
    # hazards (live)
    "hazards.hazard_enterprises": ("重大危险源企业", "家", "辖区内有重大危险源（GB 18218）的企业数"),
    "hazards.connected_enterprises": ("接入在线监测的重大危险源企业", "家", "至少一个重大危险源已接入在线监测预警系统的企业数"),
    "hazards.access_rate": ("重大危险源企业接入率", "%", "接入在线监测的企业 ÷ 重大危险源企业"),
    "hazards.hazard_sources": ("重大危险源", "个", "登记的重大危险源数"),
    "hazards.points": ("在线采集安全参数（监测点）", "个", "已接入的监测点数（温度、压力、液位、流量、可燃/有毒气体）"),
    "hazards.points_alarm": ("报警监测点", "个", "最新读数超出报警阈值的监测点数（实时）"),
    "hazards.points_offline": ("离线监测点", "个", "当前离线的监测点数（实时）"),
    "hazards.online_rate": ("监测点在线率", "%", "(监测点 − 离线监测点) ÷ 监测点（实时）"),
    # warnings
    "warnings.open": ("未消警预警", "条", "截至当前（或截止时间）尚未消警的预警数"),
    **{f"warnings.open_level_{lv}": (f"未消警{LEVEL_NAMES[lv]}预警", "条",
                                     f"截至当前（或截止时间）尚未消警的{LEVEL_NAMES[lv]}（{'红橙黄蓝'[lv - 1]}色）预警数")
       for lv in (1, 2, 3, 4)},
    "warnings.raised": ("预警", "条", PERIOD + "产生的预警数（同一点位重复报警合并为一条）"),
    "warnings.alarms_merged": ("合并的重复报警", "次", PERIOD + "预警中合并的重复报警次数"),
    "warnings.closed": ("已消警预警", "条", PERIOD + "产生且截至截止时间已消警的预警数"),
    "warnings.avg_ack_min": ("平均签收时长", "分钟", PERIOD + "已签收预警从产生到签收的平均分钟数"),
    "warnings.avg_close_min": ("平均消警时长", "分钟", PERIOD + "已消警预警从产生到消警的平均分钟数"),
    "warnings.sms_sent": ("预警短信推送", "条", PERIOD + "预警推送给企业负责人和属地监管部门的短信数"),
    # handling of warnings (queries.handling)
    **{f"warnings.{k}": v for k, v in handling.FIGURE_DEFINITIONS.items()},
    # enforcement
    "enforcement.enterprises_inspected": ("检查企业", "家", PERIOD + "被检查的企业数（同一企业多次检查计 1 家）"),
    "enforcement.inspections": ("检查企业（家次）", "家次", PERIOD + "检查次数"),
    "enforcement.hazards_found": ("排查隐患", "个", PERIOD + "检查发现的隐患数"),
    "enforcement.major_hazards": ("重大事故隐患", "个", PERIOD + "发现的重大事故隐患数"),
    "enforcement.hazards_rectified": ("已整改隐患", "个", PERIOD + "发现、截至截止时间已整改的隐患数"),
    "enforcement.rectification_rate": ("隐患整改率", "%", "已整改隐患 ÷ 排查隐患"),
    "enforcement.suspensions": ("责令停产停业整顿", "家", PERIOD + "下达责令停产停业整顿的企业数"),
    "enforcement.cases_filed": ("立案查处", "起", PERIOD + "立案的行政处罚案件数"),
    "enforcement.cases_online": ("全流程线上流转案件", "起", PERIOD + "立案且全流程线上办理的案件数"),
    "enforcement.fines_wan": ("罚没款", "万元", PERIOD + "作出处罚决定的案件罚没款合计"),
    "enforcement.avg_fine_wan": ("案均罚款", "万元", "罚没款 ÷ 作出决定的案件数"),
    "enforcement.transferred_judicial": ("移送司法机关", "起", PERIOD + "立案并移送司法机关的案件数"),
    "enforcement.joint_actions": ("联合（联动）执法", "次", PERIOD + "组织的多部门联合执法次数"),
    "enforcement.exposures": ("曝光违法案件", "起", PERIOD + "通过现场会、警示会、媒体等曝光的案件数"),
    "enforcement.joint_punishments": ("联合惩戒", "家", PERIOD + "实施联合惩戒的企业数"),
    "enforcement.blacklisted": ("纳入黑名单", "家", PERIOD + "纳入黑名单（严重失信主体名单）的企业数"),
    "enforcement.work_orders": ("提醒、监督类工单", "条", PERIOD + "平台生成的提醒类、监督类工单数"),
    "enforcement.watchlist": ("“不放心”企业", "家", PERIOD + "列入“不放心”名单并推送相关部门的企业数"),
    # risk reports
    "risk.required": ("应报规上工业企业", "家", "截至截止时间负有首次风险报告义务的规模以上工业企业数"),
    "risk.completed": ("已完成风险报告的规上企业", "家", "截至截止时间已提交并入库风险报告的规模以上工业企业数"),
    "risk.completion_rate": ("风险报告完成上报率", "%", "已完成风险报告的规上企业 ÷ 应报规上工业企业"),
    "risk.risks_major_or_above": ("上报较大以上风险", "条", "截至截止时间已入库报告中较大及重大风险条数"),
    "risk.risks_major": ("上报重大风险", "条", "截至截止时间已入库报告中重大风险条数"),
    "risk.zero_risk_reports": ("“零风险”报告", "份", "未报告较大以上风险的报告数"),
    "risk.key_control": ("纳入重点管控清单", "家", "高危行业“零风险”等疑似瞒报漏报、纳入重点管控清单的报告数"),
    "risk.training_sessions": ("推进部署会、教育培训会", "场", PERIOD + "召开的风险报告推进部署会、培训会场次"),
    "risk.training_participants": ("参培人员", "人次", PERIOD + "风险报告培训参培人次"),
    # credit
    "credit.rated": ("安全信用脸谱评定企业", "家", "截至截止时间有安全信用等级的企业数（取最新一次评定）"),
    "credit.sectors": ("覆盖行业", "个", "评定企业所属监管行业数"),
    **{f"credit.{c}": (f"{CREDIT_NAMES[c]}企业", "家", f"最新等级为{CREDIT_NAMES[c]}的企业数（绿最好、红最差）")
       for c in ("green", "blue", "yellow", "red")},
    # grids
    "grids.zongzhi": ("综治网格", "个", "截至截止时间设立的综治网格数"),
    "grids.yingji": ("应急网格", "个", "截至截止时间设立的应急网格数"),
    "grids.anquan": ("安全生产监管网格", "个", "截至截止时间设立的安全生产监管网格数"),
    "grids.enterprises_filed": ("网格内实有企业建档", "家", "安全生产监管网格登记的实有企业建档数（网格台账）"),
}
# the query function behind each figure (key prefix → source; a longer prefix wins)
_SOURCE = {
    "platform": "queries.overview.platform", "hazards": "queries.hazards.summary",
    "warnings": "queries.warnings.summary", "warnings.ack_timely_rate": "queries.handling.timeliness",
    "warnings.close_timely_rate": "queries.handling.timeliness", "warnings.overdue": "queries.handling.timeliness",
    "enforcement": "queries.enforcement.summary",
    "risk": "queries.risk.completion", "risk.training": "queries.risk.training",
    "credit": "queries.credit.distribution", "grids": "queries.grids.summary",
}
TOPIC_NAMES = {"platform": "平台汇集", "hazards": "重大危险源监测", "warnings": "预警处置", "enforcement": "执法专项行动",
               "risk": "风险报告", "credit": "安全信用脸谱", "grids": "网格化监管"}

# Which figures count what happened in the period (the rest are taken at the cut-off); "live" ones describe the
# state of the monitoring points when read and cannot be reproduced as of a past time.
_PERIOD_KEYS = {k for k in _D if k.startswith("enforcement.")} | {
    "warnings.raised", "warnings.alarms_merged", "warnings.closed", "warnings.avg_ack_min", "warnings.avg_close_min",
    "warnings.sms_sent", "warnings.ack_timely_rate", "warnings.close_timely_rate", "risk.training_sessions",
    "risk.training_participants"}
_LIVE_KEYS = {"hazards.points_alarm", "hazards.points_offline", "hazards.online_rate"}
BASIS_NAMES = {"period": "统计期内", "cutoff": "截至截止时间", "live": "实时"}


def basis_of(key: str) -> str:
    return "live" if key in _LIVE_KEYS else "period" if key in _PERIOD_KEYS else "cutoff"


def source_of(key: str) -> str:
    topic, name = key.split(".", 1)
    return next((v for p, v in _SOURCE.items() if p != topic and key.startswith(p)), _SOURCE[topic])


def _load_warnings(scope, eng):
    w = dict(warnings.summary(scope, engine=eng))
    w.update({f"open_level_{lv}": w["open_by_level"][lv] for lv in (1, 2, 3, 4)})
    return w


def _load_training(scope, eng):
    t = risk.training(scope, engine=eng)
    return {"training_sessions": t["sessions"], "training_participants": t["participants"]}


_LOADERS = {
    "queries.overview.platform": lambda s, e: overview.platform(s, engine=e),
    "queries.hazards.summary": lambda s, e: hazards.summary(s, engine=e),
    "queries.warnings.summary": _load_warnings,
    "queries.handling.timeliness": lambda s, e: handling.timeliness(s, engine=e),
    "queries.enforcement.summary": lambda s, e: enforcement.summary(s, engine=e),
    "queries.risk.completion": lambda s, e: risk.completion(s, engine=e),
    "queries.risk.training": _load_training,
    "queries.credit.distribution": lambda s, e: credit.distribution(s, engine=e),
    "queries.grids.summary": lambda s, e: grids.summary(s, engine=e),
}


def catalogue() -> dict[str, tuple[str, str, str]]:
    return dict(_D)


def _dt(v: dt.datetime) -> str:
    return v.isoformat(sep=" ", timespec="seconds")


def period_text(rs: Resolved, basis: str) -> str:
    """The period a figure of ``basis`` covers, in words (for tables and exports)."""
    if basis == "live":
        return "实时（生成时，不随截止时间回溯）"
    if basis == "cutoff":
        return f"截至 {_dt(rs.cutoff)}" if rs.cutoff else "截至生成时"
    if rs.date_from or rs.date_to:
        return f"{rs.date_from.isoformat() if rs.date_from else '…'} 至 {rs.date_to.isoformat() if rs.date_to else '…'}"
    return "全部时间"


def scope_text(rs: Resolved) -> str:
    d = rs.describe()
    return f"{d['region_name']} · {d['industry_name']}"


def collect(scope: Scope, *, engine: Engine | None = None, keys: set[str] | None = None,
            basis: set[str] | None = None) -> list[Figure]:
    """Every headline figure for the scope, in catalogue order (optionally only ``keys`` / figures of ``basis``).

    Each figure carries its definition, the query that produced it and what it was taken for (region, scope,
    period, as-of), so it can be cited and reproduced. Only the query functions the chosen figures need run.
    """
    eng, rs = prepare(scope, engine)
    wanted = [k for k in _D if (keys is None or k in keys) and (basis is None or basis_of(k) in basis)]
    data: dict[str, dict] = {}
    for src in dict.fromkeys(source_of(k) for k in wanted):
        data[src] = _LOADERS[src](scope, eng)
    region_name = rs.ref.name(rs.region)
    as_of = _dt(rs.as_of) if rs.as_of else ""
    out = []
    for key in wanted:
        label, unit, definition = _D[key]
        topic, name = key.split(".", 1)
        src = source_of(key)
        b = basis_of(key)
        out.append(Figure(key, topic, label, data[src].get(name), unit, definition, src, b, rs.region, region_name,
                          scope_text(rs), period_text(rs, b), as_of))
    return out


def as_json(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    eng, rs = prepare(scope, engine)
    figs = collect(scope, engine=eng)
    out: dict[str, Any] = {"scope": rs.describe(), "generated_at": dt.datetime.now().isoformat(sep=" ", timespec="seconds")}
    for f in figs:
        out.setdefault(f.topic, {})[f.key.split(".", 1)[1]] = f.value
    return out


def as_records(scope: Scope, *, engine: Engine | None = None) -> list[dict[str, Any]]:
    return [asdict(f) for f in collect(scope, engine=engine)]
