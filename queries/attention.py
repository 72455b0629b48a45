"""需关注: the few things in a scope that most need a leader's attention, across topics, ranked by a stated rule.

``attention(scope)`` → ``Item``s, most urgent first. Each is one sentence with its figure and the page (and region)
that shows it. The rule (``RULE``, printed on the overview):

1. the kind of thing, by urgency: warnings past their handling deadlines (a hazard not under control), monitoring
   points offline beyond ``OFFLINE_SHARE`` of a region's points (blind spots), 督办 past their deadlines, campaigns
   whose progress lags the calendar, risk-report completion below 100 % after the deadline, red credit ratings up
   against the previous period;
2. within a kind (at most ``PER_KIND`` of one kind), by how far the figure is from where it should be (overdue count, offline share, the gap between
   time and progress, the gap to 100 %, the rise), largest first.

Every figure is the topic module's own, for the same scope (the tests compare them so); a region-level item names
the child region (city of the province, county of a city).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine

from queries import change, enforcement, handling, hazards, memo, risk, supervision
from queries.base import prepare
from queries.overview import standing_scope
from queries.scope import Scope

OFFLINE_SHARE = 5.0  # % of a region's monitoring points offline that needs attention
LIMIT = 6  # items shown
PER_KIND = 2  # at most this many of one kind, so that other kinds still show

KINDS = ("warnings_overdue", "points_offline", "supervision_overdue", "campaign_behind", "risk_incomplete",
         "credit_red_up")
RULE = ("排序规则：先按事项类别的紧急程度——超时未处置预警、离线监测点占比超过 "
        f"{OFFLINE_SHARE:g}% 的地区、超期督办、进度滞后的专项行动、首次报告期限已过仍未完成风险报告的地区、红色信用企业环比增加；"
        f"同类按偏离程度从大到小（超时条数、离线占比、时间进度与完成进度之差、距 100% 之差、增加数），每类最多 {PER_KIND} 条；"
        f"共最多列 {LIMIT} 条。"
        "预警、监测点和督办为当前（或截止时间）状态，其余按所选统计期。")


@dataclass(frozen=True)
class Item:
    kind: str  # one of KINDS
    text: str  # one sentence with its figure (plain text; names come from the reference data and the database)
    page: str  # the page that shows it (pages/<page>)
    severity: float  # how far from where it should be, within its kind (larger = worse)
    params: dict = field(default_factory=dict)  # URL parameters of the link (e.g. the region)

    @property
    def order(self) -> tuple:
        return KINDS.index(self.kind), -self.severity


def attention(scope: Scope, *, engine: Engine | None = None, now: dt.datetime | None = None,
              limit: int = LIMIT) -> list[Item]:
    """The items of every kind for ``scope``, most urgent first (at most ``limit``)."""
    eng, rs = prepare(scope, engine)
    scope = scope.with_(region=rs.region)
    now = memo.moment(now)
    items: list[Item] = []
    here = rs.ref.name(rs.region)

    t = handling.timeliness(scope, engine=eng, now=now)
    if t["overdue"]:
        items.append(Item("warnings_overdue", f"{here}有 {t['overdue']:,} 条预警超过处置时限仍未消警。", "handling.py",
                          float(t["overdue"])))

    if rs.level != "county":
        hz = hazards.by_region(scope, engine=eng)
        for r in hz.itertuples():
            if r.points and r.points_offline * 100.0 / r.points > OFFLINE_SHARE:
                share = round(r.points_offline * 100.0 / r.points, 1)
                items.append(Item("points_offline", f"{r.name}离线监测点 {int(r.points_offline):,} 个，占 {share}%（超过 "
                                  f"{OFFLINE_SHARE:g}%）。", "hazards.py", share, {"region": int(r.adcode)}))
    else:
        hz = hazards.summary(scope, engine=eng)
        if hz["points"] and hz["points_offline"] * 100.0 / hz["points"] > OFFLINE_SHARE:
            share = round(hz["points_offline"] * 100.0 / hz["points"], 1)
            items.append(Item("points_offline", f"{here}离线监测点 {hz['points_offline']:,} 个，占 {share}%（超过 "
                              f"{OFFLINE_SHARE:g}%）。", "hazards.py", share))

    sv = supervision.summary(standing_scope(scope), engine=eng, now=now)
    if sv["overdue"]:
        items.append(Item("supervision_overdue", f"{here}有 {sv['overdue']:,} 件督办超过办理期限仍未反馈。",
                          "supervision.py", float(sv["overdue"])))

    camps = enforcement.campaigns(scope, engine=eng)
    if not camps.empty:
        for r in camps[camps["behind"]].itertuples():
            gap = round(float(r.time_pct) - float(r.progress_pct), 1)
            items.append(Item("campaign_behind", f"{here}“{r.name}”完成进度 {float(r.progress_pct):.1f}%，落后于时间进度 "
                              f"{float(r.time_pct):.1f}%（差 {gap} 个百分点）。", "enforcement.py", gap))

    rk = risk.completion(scope, engine=eng)
    if rk["days_to_deadline"] is not None and rk["days_to_deadline"] < 0:
        rows = (risk.by_region(scope, engine=eng) if rs.level != "county"
                else pd.DataFrame([{"adcode": rs.region, "name": here, **rk}]))
        for r in rows.itertuples():
            if r.required and r.completion_rate < 100:
                items.append(Item("risk_incomplete", f"{r.name}风险报告完成上报率 {float(r.completion_rate):.1f}%，首次报告期限"
                                  f" {rk['due_on']} 已过，尚有 {int(r.required - r.completed):,} 家规上企业未完成。",
                                  "risk.py", round(100 - float(r.completion_rate), 1), {"region": int(r.adcode)}))

    red = change.changes(scope, ("credit.red",), engine=eng, now=now, trend=False)["credit.red"]
    if red.prev is not None and red.value > red.prev:
        items.append(Item("credit_red_up", f"{here}红色信用企业 {red.value:,} 家，环比增加 {red.value - red.prev:,} 家"
                          f"（上期末 {red.prev:,} 家）。", "credit.py", float(red.value - red.prev)))

    items.sort(key=lambda i: i.order)
    kept = [i for n, i in enumerate(items) if sum(j.kind == i.kind for j in items[:n]) < PER_KIND]
    return kept[:limit]
