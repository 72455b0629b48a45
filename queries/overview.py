"""The province at a glance: platform coverage, one headline per topic, and a map indicator per region."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import pandas as pd
from sqlalchemy import Engine, case, func, select

from queries import cells, credit, enforcement, grids, hazards, memo, risk, supervision, warnings
from queries.base import name_children, pct, prepare, row
from queries.figure_defs import declare, fig
from queries.scope import Scope
from seed.schema import data_sources as DS, enterprises as E


def platform(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """Member units feeding the platform (city level), enterprises and key enterprises whose data it collects."""
    eng, rs = prepare(scope, engine)
    ds = select(func.count().label("data_sources")).where(rs.recorded_filter(DS), rs.until_cutoff(DS.c.connected_on))
    if rs.level != "province":
        ds = ds.where(DS.c.city_adcode == rs.city)
    out = row(ds, eng)
    ents = cells.sums(rs, eng, "enterprises", (("n", "enterprises"), ("a", "key_enterprises"), ("b", "above_scale")),
                      all_time=True)
    if ents is None:
        ents = row(select(func.count().label("enterprises"),
                          func.coalesce(func.sum(case((E.c.is_key, 1), else_=0)), 0).label("key_enterprises"),
                          func.coalesce(func.sum(case((E.c.above_scale, 1), else_=0)), 0).label("above_scale"))
                   .where(rs.where(E)), eng)
    out.update(ents)
    return {k: int(v) for k, v in out.items()}


FIGURES = declare("platform", platform, basis="cutoff", figures=[
    fig("data_sources", "接入数据的安委会成员单位", "家", "截至统计截止时已接入平台的安委会成员单位数（设区市平台）", better="up"),
    fig("key_enterprises", "重点企业（监管数据汇集）", "家", "平台汇集监管数据的重点企业数", better="up"),
    fig("enterprises", "平台登记企业", "家", "平台登记的企业数", better=None),
    fig("above_scale", "规模以上企业", "家", "平台登记的规模以上企业数", better=None),
])


def headline(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """One block of headline figures per topic, all for the same scope."""
    eng, _ = prepare(scope, engine)
    return {
        "platform": platform(scope, engine=eng),
        "hazards": hazards.summary(scope, engine=eng),
        "warnings": warnings.summary(scope, engine=eng),
        "enforcement": enforcement.summary(scope, engine=eng),
        "risk": risk.completion(scope, engine=eng),
        "credit": credit.distribution(scope, engine=eng),
        "grids": grids.summary(scope, engine=eng),
    }


# --- 督办 on the cockpit -------------------------------------------------------------------------------------------

STANDING = ("open", "answered", "overdue")  # 督办 taken at a moment (now, or the as-of time), whenever sent
FLOW = ("sent", "closed", "closed_rate")  # 督办 sent in the period


def standing_scope(scope: Scope) -> Scope:
    """The scope of the standing 督办 figures (在办, 超期): no period, so they are taken now, or at the as-of time when
    the view has one, whatever the period — what is open and late at this moment, like the live warnings."""
    return scope.with_(date_from=None, date_to=None)


def supervision_block(scope: Scope, *, engine: Engine | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """督办 of the scope's region for the cockpit: ``open``, ``answered``, ``overdue`` from
    ``supervision.summary(standing_scope(scope))`` and ``sent``, ``closed``, ``closed_rate`` from
    ``supervision.summary(scope)`` (the period's orders, closed by the cut-off). Orders have no industry."""
    eng, _ = prepare(scope, engine)
    now = memo.moment(now)
    standing = supervision.summary(standing_scope(scope), engine=eng, now=now)
    flow = supervision.summary(scope, engine=eng, now=now)
    return {**{k: flow[k] for k in FLOW}, **{k: standing[k] for k in STANDING}}


def supervision_by_region(scope: Scope, *, engine: Engine | None = None,
                          now: dt.datetime | None = None) -> pd.DataFrame:
    """``supervision_block`` per child region (cities of the province, counties of a city and the city's own
    orders as ``<city>（市本级）``; a county: itself): ``adcode, name`` and the block's keys; every region listed,
    those without orders with zeros."""
    eng, rs = prepare(scope, engine)
    now = memo.moment(now)
    standing = supervision.by_region(standing_scope(scope), engine=eng, now=now)
    flow = supervision.by_region(scope, engine=eng, now=now)
    # the same rows in both (every child region, and the city's own orders whenever any exist), in that order
    df = flow[["adcode", "name", *FLOW]].merge(standing[["adcode", "name", *STANDING]], on=["adcode", "name"],
                                                  how="left")
    for c in ("sent", "closed", *STANDING):
        df[c] = df[c].fillna(0).astype(int)
    df["closed_rate"] = [pct(c, s) for c, s in zip(df["closed"], df["sent"])]
    return df[["adcode", "name", *FLOW, *STANDING]]


# indicator key -> (Chinese label, unit, function(scope, engine) -> DataFrame, column, higher is worse)
INDICATORS: dict[str, tuple[str, str, Callable, str, bool]] = {
    "open_warnings": ("未消警预警", "条", warnings.by_region, "open", True),
    "warnings_raised": ("期间预警", "条", warnings.by_region, "raised", True),
    "points_alarm": ("报警监测点", "个", hazards.by_region, "points_alarm", True),
    "online_rate": ("监测点在线率", "%", hazards.by_region, "online_rate", False),
    "inspections": ("检查企业（家次）", "家次", enforcement.by_region, "inspections", False),
    "hazards_found": ("排查隐患", "个", enforcement.by_region, "hazards_found", True),
    "cases_filed": ("立案查处", "起", enforcement.by_region, "cases_filed", True),
    "rectification_rate": ("隐患整改率", "%", enforcement.by_region, "rectification_rate", False),
    "risk_completion": ("风险报告完成率", "%", risk.by_region, "completion_rate", False),
    "credit_red_yellow": ("红黄色企业占比", "%", credit.by_region, "red_yellow_share", True),
}


# the catalogue's rates by (module, field): a by-region frame's rate column is that figure's (and so is its base)
_RATES = {(d.source.__module__, d.field): d for m in (warnings, hazards, enforcement, risk, credit)
          for d in m.FIGURES if d.base and isinstance(d.field, str)}


def indicator_by_region(scope: Scope, indicator: str, *, engine: Engine | None = None) -> pd.DataFrame:
    """``adcode, name, value`` of one indicator for each child region of the scope; a rate of nothing (a region
    where its denominator is 0) is no value (NaN: drawn as no data, not as 0 %)."""
    if indicator not in INDICATORS:
        indicator = "open_warnings"
    eng, rs = prepare(scope, engine)
    _, _, fn, col, _ = INDICATORS[indicator]
    df = fn(scope, engine=eng)
    out = df[["adcode", "name", col]].rename(columns={col: "value"})
    rate = _RATES.get((fn.__module__, col))
    if rate is not None and not out.empty:
        out["value"] = rate.per_region(df)
    return name_children(out, rs) if out.empty else out
