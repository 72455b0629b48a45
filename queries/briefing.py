"""简报取数: figures a writer can cite, sentences in the bulletin's style (the ``oversight briefing`` command is ``cli.briefing``).

A briefing covers one or more regions (province, cities, counties), an optional industry, a period and an as-of
cut-off. For every region it takes
- the *period* figures of ``queries.figures`` (what happened in the period and was recorded by the as-of time),
- the *to-date* figures at the as-of time (the bulletin's "目前": risk-report completion, credit, grids …),
and leaves out the live figures of the monitoring points, which cannot be reproduced as of a past time. So a
briefing generated again later with the same as-of gives the same numbers, even after late records arrived.

The exports (CSV, XLSX, DOCX) are in ``queries.exports``; every export is recorded in the audit log.
"""
from __future__ import annotations

import datetime as dt
import shlex
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from queries import enforcement, figures, risk
from queries.base import pct, prepare
from queries.figures import Figure
from queries.regions import PROVINCE, Reference, reference
from queries.scope import Scope, ScopeError, resolve

ISSUER = "江苏省应急管理厅"
BULLETIN_TITLE = "江苏应急管理简报"
COLUMN = "【地方工作】"
CC = ("抄送：国务院安委会办公室。",
      "省委办公厅、省人大办公厅、省政府办公厅、省政协办公厅。",
      "省安委会主任，省安委会主要成员单位，各设区市委、市政府，各设区市安委办。")
# the order topics appear in the figures table and the exports
TOPICS = ("enforcement", "risk", "warnings", "hazards", "credit", "grids", "supervision", "platform")
# the region table of each section: (column, header, unit, basis)
TABLE_COLUMNS = (
    ("enterprises_inspected", "检查企业", "家", "period"),
    ("hazards_found", "排查隐患", "个", "period"),
    ("suspensions", "责令停产停业整顿", "家", "period"),
    ("cases_filed", "立案查处", "起", "period"),
    ("completed", "已完成风险报告", "家", "cutoff"),
    ("required", "应报规上企业", "家", "cutoff"),
    ("completion_rate", "完成上报率", "%", "cutoff"),
    ("risks_major_or_above", "较大以上风险", "条", "cutoff"),
    ("risks_major", "重大风险", "条", "cutoff"),
)
_TABLE_FIGURE = {"enterprises_inspected": "enforcement.enterprises_inspected",
                 "hazards_found": "enforcement.hazards_found", "suspensions": "enforcement.suspensions",
                 "cases_filed": "enforcement.cases_filed", "completed": "risk.completed", "required": "risk.required",
                 "completion_rate": "risk.completion_rate", "risks_major_or_above": "risk.risks_major_or_above",
                 "risks_major": "risk.risks_major"}


def todate_scope(scope: Scope) -> Scope:
    """The scope of the to-date figures: no period, taken at the as-of time (the issue's "目前")."""
    return scope.with_(date_from=None, date_to=None)


# --- what one region contributes (the page caches these through pages.common.q) ------------------------------

@dataclass(frozen=True)
class SectionData:
    region: int
    name: str
    level: str  # province | city | county
    industry_name: str
    figures: list[Figure]
    table: pd.DataFrame  # one row per child region (counties of a city, cities of the province) or per sector
    table_kind: str  # 设区市 | 县（市、区） | 行业


def region_figures(scope: Scope, *, engine: Engine | None = None) -> list[Figure]:
    """The citable figures of one region: period figures for the scope's period, to-date figures at its as-of
    time; live figures are left out. In ``TOPICS`` order, catalogue order within a topic."""
    eng, _ = prepare(scope, engine)
    figs = figures.collect(scope, engine=eng, basis={"period"})
    figs += figures.collect(todate_scope(scope), engine=eng, basis={"cutoff"})
    cat = list(figures.catalogue())
    return sorted(figs, key=lambda f: (TOPICS.index(f.topic), cat.index(f.key)))


def region_table(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """Inspections, hazards, suspensions, cases (period) and risk reports (at the as-of time) per child region of
    the scope (per sector for a county). Columns: ``code, name`` and ``TABLE_COLUMNS``."""
    eng, rs = prepare(scope, engine)
    if rs.level == "county":
        en = enforcement.by_sector(scope, engine=eng).rename(columns={"sector": "code", "sector_name": "name"})
        rk = risk.by_sector(todate_scope(scope), engine=eng).rename(columns={"sector": "code", "sector_name": "name"})
    else:
        en = enforcement.by_region(scope, engine=eng).rename(columns={"adcode": "code"})
        rk = risk.by_region(todate_scope(scope), engine=eng).rename(columns={"adcode": "code"})
    cols = [c for c, *_ in TABLE_COLUMNS]
    df = en[["code", "name"] + cols[:4]].merge(rk[["code", "name"] + cols[4:]], on=["code", "name"], how="outer")
    for c in cols:
        df[c] = df[c].fillna(0)
        if c != "completion_rate":
            df[c] = df[c].astype(int)
    df["completion_rate"] = [pct(a, b) for a, b in zip(df["completed"], df["required"])]
    if rs.level == "county":  # sectors with nothing to report are left out
        df = df[(df[cols].drop(columns="completion_rate") != 0).any(axis=1)]
        df = df.sort_values(["enterprises_inspected", "required"], ascending=False, ignore_index=True)
    return df.reset_index(drop=True)


def section_data(scope: Scope, *, engine: Engine | None = None) -> SectionData:
    """Everything one region contributes to a briefing (figures and its table), for one scope."""
    eng, rs = prepare(scope, engine)
    kind = "行业" if rs.level == "county" else ("设区市" if rs.level == "province" else "县（市、区）")
    return SectionData(rs.region, rs.ref.name(rs.region), rs.level, rs.describe()["industry_name"],
                       region_figures(scope, engine=eng), region_table(scope, engine=eng), kind)


# --- wording ---------------------------------------------------------------------------------------------

def whole_word(level: str, name: str) -> str:
    """全省 / 全市 / 全县 / 全区: how the bulletin says "in the whole region"."""
    if level == "province":
        return "全省"
    if level == "city":
        return "全市"
    for suffix, word in (("县", "全县"), ("区", "全区"), ("市", "全市")):
        if name.endswith(suffix):
            return word
    return "全县（区）"


def _md(d: dt.date, with_year: bool) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if with_year else f"{d.month}月{d.day}日"


def _month_end(d: dt.date) -> bool:
    return (d + dt.timedelta(days=1)).day == 1


def period_phrase(date_from: dt.date | None, date_to: dt.date | None, ref: dt.date) -> str:
    """The period in the bulletin's words, relative to the issue's date ``ref``.

    Whole months of the issue's year: "1-2月份", "3月份"; of another year: "2020年1-2月份", "2020年";
    open to the issue date: "今年以来", "9月以来", "2020年9月以来"; other periods: "1月5日至2月10日".
    """
    if date_from is None and date_to is None:
        return "截至目前"
    if date_from is None:
        return "截至" + _md(date_to, date_to.year != ref.year)
    y = "" if date_from.year == ref.year else f"{date_from.year}年"
    if date_to is None or date_to >= ref:  # runs up to the issue: "… 以来"
        if date_from.day == 1:
            if date_from.month == 1 and not y:
                return "今年以来"
            return f"{y}{date_from.month}月以来"
        return _md(date_from, bool(y)) + "以来"
    if date_from.day == 1 and _month_end(date_to):
        if date_from.year == date_to.year:
            if date_from.month == 1 and date_to.month == 12:
                return f"{date_from.year}年"
            months = (f"{date_from.month}月份" if date_from.month == date_to.month
                      else f"{date_from.month}-{date_to.month}月份")
            return y + months
        return f"{date_from.year}年{date_from.month}月至{date_to.year}年{date_to.month}月"
    if date_from.year == date_to.year:
        return y + _md(date_from, False) + "至" + _md(date_to, False)
    return _md(date_from, True) + "至" + _md(date_to, True)


def num(v: Any) -> str:
    """A number as the bulletin writes it: 11703, 22.4, 1975.86 (no thousands separators)."""
    if v is None:
        return "—"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{v:.2f}".rstrip("0").rstrip(".")
    return str(v)


def _industry_word(industry_name: str | None) -> str:
    if not industry_name or industry_name == "全部行业":
        return ""
    return industry_name if industry_name.endswith("业") else industry_name + "行业"


@dataclass(frozen=True)
class Sentence:
    topic: str
    title: str  # the lead-in in the bulletin draft ("执法检查")
    text: str
    keys: tuple[str, ...]  # the figures it cites
    lead: str = ""  # the period phrase it starts with ("1-2月份"), "" for to-date sentences


def sentences(figs: list[Figure], *, level: str, name: str, date_from: dt.date | None, date_to: dt.date | None,
              as_of: dt.datetime | None, industry_name: str | None = None) -> list[Sentence]:
    """Copy-ready sentences in the bulletin's style, generated from the figures of one region.

    The two the bulletin itself uses:
    "1-2月份，全市共检查企业11703家，排查隐患22509个，责令停产停业整顿77家，立案查处798起。"
    "目前全市已完成规模以上工业企业风险报告385家，上报较大以上风险1019条，重大风险56条，完成上报率22.4%。"
    The 督办 sentence has this form: "1-2月份，全市督办3件，已办结1件；目前超期未反馈督办1件。" (督办 and 已办结: the orders
    sent in the period, closed by the cut-off; 超期: overdue at the as-of time, whenever sent), or "…，全市未发出督办；
    目前超期未反馈督办2件。" when the period sent none.
    A sentence whose figures are all zero is left out (except the bulletin's two).
    """
    v = {f.key: f.value for f in figs}
    ref = (as_of or dt.datetime.now()).date()
    p = period_phrase(date_from, date_to, ref)
    w = whole_word(level, name) + _industry_word(industry_name)
    out: list[Sentence] = []

    def add(topic, title, text, keys, always=False):
        if all(k in v for k in keys) and (always or any(v[k] for k in keys)):
            out.append(Sentence(topic, title, text, tuple(keys), p if text.startswith(p + "，") else ""))

    def n(k):
        return num(v.get(k))

    def rate(k):  # rates keep one decimal, as the bulletin writes them (22.4%, 24.0%)
        x = v.get(k)
        return "—" if x is None else f"{float(x):.1f}%"  # (a rate of nothing has no value)

    add("enforcement", "执法检查",
        f"{p}，{w}共检查企业{n('enforcement.enterprises_inspected')}家，排查隐患{n('enforcement.hazards_found')}个，"
        f"责令停产停业整顿{n('enforcement.suspensions')}家，立案查处{n('enforcement.cases_filed')}起。",
        ["enforcement.enterprises_inspected", "enforcement.hazards_found", "enforcement.suspensions",
         "enforcement.cases_filed"], always=True)
    add("enforcement", "隐患整改",
        f"{p}，{w}排查发现重大事故隐患{n('enforcement.major_hazards')}个，已整改隐患{n('enforcement.hazards_rectified')}个，"
        f"隐患整改率{rate('enforcement.rectification_rate')}，罚没款{n('enforcement.fines_wan')}万元。",
        ["enforcement.major_hazards", "enforcement.hazards_rectified", "enforcement.rectification_rate",
         "enforcement.fines_wan"])
    add("enforcement", "联合执法",
        f"{p}，{w}共组织联合执法{n('enforcement.joint_actions')}次，曝光安全生产违法案件{n('enforcement.exposures')}起，"
        f"联合惩戒{n('enforcement.joint_punishments')}家，纳入黑名单{n('enforcement.blacklisted')}家。",
        ["enforcement.joint_actions", "enforcement.exposures", "enforcement.joint_punishments",
         "enforcement.blacklisted"])
    add("risk", "风险报告",
        f"目前{w}已完成规模以上工业企业风险报告{n('risk.completed')}家，上报较大以上风险{n('risk.risks_major_or_above')}条，"
        f"重大风险{n('risk.risks_major')}条，完成上报率{rate('risk.completion_rate')}。",
        ["risk.completed", "risk.risks_major_or_above", "risk.risks_major", "risk.completion_rate"], always=True)
    add("risk", "质量管控",
        f"{w}应报规模以上工业企业{n('risk.required')}家，已提交“零风险”报告{n('risk.zero_risk_reports')}份，"
        f"纳入重点管控清单{n('risk.key_control')}家。",
        ["risk.required", "risk.zero_risk_reports", "risk.key_control"])
    add("risk", "宣传培训",
        f"{p}，{w}共开展推进部署会、教育培训会{n('risk.training_sessions')}场，"
        f"参培人员共{n('risk.training_participants')}人次。",
        ["risk.training_sessions", "risk.training_participants"])
    # (an average of nothing closed is no figure, and a period without warnings says so: no "—" inside a sentence)
    avg = v.get("warnings.avg_close_min")
    hours = f"（约{float(avg) / 60:.1f}小时）" if avg is not None and float(avg) >= 120 else ""
    raised = (f"共产生预警{n('warnings.raised')}条，已消警{n('warnings.closed')}条"
              + (f"，平均消警时长{n('warnings.avg_close_min')}分钟{hours}" if avg is not None else "")
              if v.get("warnings.raised") else "未产生预警")
    add("warnings", "预警处置", f"{p}，{w}监测预警系统{raised}；目前尚有未消警预警{n('warnings.open')}条。",
        ["warnings.raised", "warnings.closed", "warnings.avg_close_min", "warnings.open"])
    add("hazards", "在线监测",
        f"{w}共有重大危险源企业{n('hazards.hazard_enterprises')}家，其中{n('hazards.connected_enterprises')}家已部署在线监控"
        f"及预警系统，在线采集{n('hazards.points')}个重要安全生产参数。",
        ["hazards.hazard_enterprises", "hazards.connected_enterprises", "hazards.points"])
    add("credit", "信用监管",
        f"{w}对{n('credit.sectors')}个行业、{n('credit.rated')}家企业进行红黄蓝绿四色“安全信用脸谱”等级刻画，"
        f"其中红色{n('credit.red')}家、黄色{n('credit.yellow')}家。",
        ["credit.sectors", "credit.rated", "credit.red", "credit.yellow"])
    add("grids", "网格化监管",
        f"{w}设置{n('grids.yingji')}个应急网格和{n('grids.anquan')}个安全生产监管网格，"
        f"对网格内{n('grids.enterprises_filed')}家实有企业建档。",
        ["grids.yingji", "grids.anquan", "grids.enterprises_filed"])
    # 督办: sent and closed of the period's orders, overdue at the as-of time (the figures' own 口径)
    # (超期 is of every order still waiting, whenever sent: said as of now, apart from the period's orders)
    sent = (f"督办{n('supervision.sent')}件，已办结{n('supervision.closed')}件" if v.get("supervision.sent")
            else "未发出督办")
    add("supervision", "督办落实", f"{p}，{w}{sent}；目前超期未反馈督办{n('supervision.overdue')}件。",
        ["supervision.sent", "supervision.closed", "supervision.overdue"])
    return out


# --- a briefing --------------------------------------------------------------------------------------------

@dataclass
class Section:
    data: SectionData
    title: str
    sentences: list[Sentence]

    @property
    def table_with_total(self) -> pd.DataFrame:
        """The section's table with a 合计 row taken from the region's own figures."""
        v = {f.key: f.value for f in self.data.figures}
        total = {"code": self.data.region, "name": "合计",
                 **{c: v.get(_TABLE_FIGURE[c], 0) for c, *_ in TABLE_COLUMNS}}
        return pd.concat([self.data.table, pd.DataFrame([total])], ignore_index=True)


@dataclass
class Brief:
    regions: list[int]
    industry: str | None
    industry_name: str
    date_from: dt.date | None
    date_to: dt.date | None
    as_of: dt.datetime
    issue_no: str
    issue_date: dt.date
    generated_by: str
    generated_at: dt.datetime
    sections: list[Section] = field(default_factory=list)

    @property
    def figures(self) -> list[Figure]:
        return [f for s in self.sections for f in s.data.figures]

    def period_text(self) -> str:
        if self.date_from or self.date_to:
            return f"{self.date_from or '…'} 至 {self.date_to or '…'}"
        return "全部时间"

    def as_of_text(self) -> str:
        return self.as_of.isoformat(sep=" ", timespec="seconds")

    def scope(self) -> dict[str, Any]:
        """What the briefing covers (for the audit log and the exports' scope sheet)."""
        return {"regions": self.regions, "region_names": [s.data.name for s in self.sections],
                "industry": self.industry, "industry_name": self.industry_name,
                "from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None, "as_of": self.as_of_text()}

    def command(self, fmt: str = "docx") -> str:
        """The ``oversight briefing`` call that reproduces this briefing, every argument shell-quoted (a 期号 such as
        ``$(…)`` or ``; rm …`` stays one literal argument when the line is pasted into a shell)."""
        args = ["oversight", "briefing"]
        for r in self.regions:
            args += ["--region", str(r)]
        if self.industry:
            args += ["--industry", self.industry]
        if self.date_from:
            args += ["--from", str(self.date_from)]
        if self.date_to:
            args += ["--to", str(self.date_to)]
        args += ["--as-of", self.as_of_text()]
        if self.issue_no:
            args += ["--issue", self.issue_no]
        args += ["--date", str(self.issue_date), "--out", f"简报.{fmt}"]
        return shlex.join(args)


def default_title(d: SectionData) -> str:
    return f"{d.name}{_industry_word(d.industry_name)}安全生产执法检查和风险报告工作情况"


def assemble(datas: list[SectionData], *, industry: str | None, date_from: dt.date | None,
             date_to: dt.date | None, as_of: dt.datetime, issue_no: str = "", issue_date: dt.date | None = None,
             generated_by: str = "", generated_at: dt.datetime | None = None,
             titles: dict[int, str] | None = None) -> Brief:
    """A briefing from the regions' data (no database access: the page passes cached data)."""
    titles = titles or {}
    b = Brief(regions=[d.region for d in datas], industry=industry,
              industry_name=datas[0].industry_name if datas else "全部行业", date_from=date_from, date_to=date_to,
              as_of=as_of, issue_no=issue_no.strip(), issue_date=issue_date or as_of.date(),
              generated_by=generated_by, generated_at=generated_at or dt.datetime.now().replace(microsecond=0))
    for d in datas:
        sents = sentences(d.figures, level=d.level, name=d.name, date_from=date_from, date_to=date_to, as_of=as_of,
                          industry_name=d.industry_name)
        b.sections.append(Section(d, (titles.get(d.region) or "").strip() or default_title(d), sents))
    return b


def scopes_for(regions: list[int], *, industry: str | None, date_from: dt.date | None, date_to: dt.date | None,
               as_of: dt.datetime, binding: int | None, engine: Engine) -> list[Scope]:
    """One validated scope per chosen region (duplicates dropped; a region outside the binding raises)."""
    out: list[Scope] = []
    for r in dict.fromkeys(regions):
        s = Scope(region=r, industry=industry, date_from=date_from, date_to=date_to, as_of=as_of, binding=binding)
        rs = resolve(s, engine)
        if rs.region != r:  # a bound user asking for an ancestor: narrowed, which would repeat their own region
            s = s.with_(region=rs.region)
        if s not in out:
            out.append(s)
    return out


def build(scopes: list[Scope], *, engine: Engine | None = None, issue_no: str = "",
          issue_date: dt.date | None = None, generated_by: str = "", titles: dict[int, str] | None = None) -> Brief:
    """A briefing for the scopes (one per region; same industry, period and as-of), straight from the database."""
    if not scopes:
        raise ScopeError("请至少选择一个地区")
    s0 = scopes[0]
    if s0.as_of is None:
        raise ScopeError("简报须指定数据截止时间")
    datas = [section_data(s, engine=engine) for s in scopes]
    return assemble(datas, industry=s0.industry, date_from=s0.date_from, date_to=s0.date_to, as_of=s0.as_of,
                    issue_no=issue_no, issue_date=issue_date, generated_by=generated_by, titles=titles)


def region_options(ref: Reference, binding: int | None) -> list[int]:
    """The regions a user bound to ``binding`` may put in a briefing: province, cities, counties within it."""
    if binding is None:
        out = [PROVINCE]
        for c in ref.cities():
            out += [c.adcode] + [d.adcode for d in ref.children(c.adcode)]
        return out
    b = ref.divisions[binding]
    return [binding] + [d.adcode for d in ref.children(binding)] if b.level == "city" else [binding]


def region_label(ref: Reference, adcode: int) -> str:
    d = ref.divisions[adcode]
    if d.level == "county":
        return f"{ref.name(d.city)} · {d.name}"
    return d.name


# --- command line ------------------------------------------------------------------------------------------
