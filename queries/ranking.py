"""排名: the child regions of a scope (the cities of the province, the counties of a city) ranked on key figures of
the catalogue, with each region's rank in the previous period (上期: the months before for whole calendar months,
else the days of equal length before), the change, and the last three (后三名) by the figure's better direction.

Reads (scoped like every query: the user's binding narrows or refuses the scope in ``queries.scope``):
- ``rankings(scope)`` → ``Ranking``: one table per indicator of ``INDICATORS`` (``RANK_COLUMNS``), rows in rank
  order. A county is ranked among the counties of its city (``Ranking.focus``: the county) when the user may see
  them; an account bound to the county has nothing to rank (``Ranking.ranked`` is False, no tables).
- ``rank(values, better)`` → the ranks and 后三名 of a Series of values (the rule, on its own).
- ``previous_period(current)`` / ``previous_scope(current, basis)``: what the previous rank is taken for.
- ``to_xlsx(ranking, generated_by=…, generated_at=…)`` → the meeting's spreadsheet (``queries.exports``' sheets:
  every text cell stored as text, a 说明 sheet with scope, periods, the 口径 and who generated it when).

The values are the topic modules' own per-region figures (``enforcement.by_region``, ``risk.by_region``,
``handling.timeliness_by_region``, ``warnings.by_region``, ``hazards.by_region``): a rank is a sort of the numbers
the topic pages show for the same scope.
"""
from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd
from sqlalchemy import Engine

from queries import enforcement, handling, hazards, risk, tasks, warnings
from queries.base import prepare
from queries.change import WORKERS, previous_period, previous_scope  # noqa: F401 - part of this module's interface
from queries.figures import BASIS_NAMES, BETTER_NAMES, catalogue
from queries.memo import in_this_run
from queries.scope import Scope

BOTTOM_N = 3  # 后三名


@dataclass(frozen=True)
class Indicator:
    """A catalogue figure that is ranked, and where its per-region values come from."""
    key: str  # the catalogue figure (label, unit, 口径, basis and better direction come from its declaration)
    source: Callable[..., pd.DataFrame]  # source(scope, engine=…) -> one row per child region: adcode, name, …
    column: str  # the figure's column in the source's result
    base: str | None = None  # a rate's denominator: a region where it is 0 has no value and no rank


# Figures of a region's own performance, each with a better direction: rates, and counts of work done or of what is
# overdue. Sizes of what is registered and sanctions (better: None) are not ranked: more is neither better nor worse.
INDICATORS: tuple[Indicator, ...] = (
    Indicator("risk.completion_rate", risk.by_region, "completion_rate", base="required"),
    Indicator("enforcement.rectification_rate", enforcement.by_region, "rectification_rate", base="hazards_found"),
    Indicator("enforcement.enterprises_inspected", enforcement.by_region, "enterprises_inspected"),
    Indicator("enforcement.hazards_found", enforcement.by_region, "hazards_found"),
    Indicator("warnings.ack_timely_rate", handling.timeliness_by_region, "ack_timely_rate", base="ack_due"),
    Indicator("warnings.close_timely_rate", handling.timeliness_by_region, "close_timely_rate", base="close_due"),
    Indicator("warnings.overdue", handling.timeliness_by_region, "overdue"),
    Indicator("warnings.open", warnings.by_region, "open"),
    Indicator("hazards.online_rate", hazards.by_region, "online_rate", base="points"),
)
KEYS = tuple(i.key for i in INDICATORS)

# one table per indicator, rows in rank order (regions without a value last, in adcode order)
RANK_COLUMNS = ["adcode", "name", "value", "rank", "prev_value", "prev_rank", "change", "bottom"]

NOTE = ("排名对象为当前范围的下级地区（全省：各设区市；设区市：各县（市、区））。数值与各专题页面同一范围的分地区数据一致。"
        "按指标的方向排序：越高越好的指标数值大者在前，越低越好的指标数值小者在前；数值相同名次相同（如 1、2、2、4）。"
        "比率指标的分母为 0 的地区无数值、不参加排名（显示“—”）。"
        f"后三名：参加排名的地区多于 {BOTTOM_N} 个时，按方向排在最后的 {BOTTOM_N} 名（并列的一并标出；与第 1 名并列的不标）。"
        "上期：整月的统计期为其前相同月数（上月、上季、上半年、上年），其他为其前天数相同的统计期；"
        "统计期内指标取上期发生的数据（截止时间同本期），截至截止时间的指标取上期末"
        "（或更早的截止时间）的状态；实时指标无法回溯，无上期排名。排名变化 = 上期名次 − 本期名次（↑ 前进，↓ 后退）。")


def _ranked(values: list[float], better: str) -> tuple[list[int | None], list[bool]]:
    """The rule on plain numbers (NaN: no value): each value's rank and whether it is among the last three. A few
    dozen regions at most: counted directly (pandas' per-call cost was most of the ranking's time)."""
    if better not in ("up", "down"):
        raise ValueError(f"a figure without a better direction is not ranked: {better!r}")
    ok = [x for x in values if x == x]
    up = better == "up"
    ranks: list[int | None] = []
    bottom: list[bool] = []
    for x in values:
        if x != x:  # NaN
            ranks.append(None)
            bottom.append(False)
            continue
        r = 1 + sum(1 for y in ok if (y > x if up else y < x))  # equal values share the better rank
        worse = sum(1 for y in ok if (y < x if up else y > x))
        ranks.append(r)
        bottom.append(len(ok) > BOTTOM_N and worse < BOTTOM_N and r > 1)
    return ranks, bottom


def rank(values: pd.Series, better: str) -> pd.DataFrame:
    """``rank`` (1 = best; equal values share the better rank, e.g. 1, 2, 2, 4) and ``bottom`` (后三名) of each
    value; a missing value (NaN/None) has neither. Ordered by ``better`` ("up": higher first, "down": lower first).
    后三名: with more than ``BOTTOM_N`` ranked regions, those with fewer than ``BOTTOM_N`` regions strictly worse
    than them, unless they share the first rank."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    ranks, bottom = _ranked(v.tolist(), better)
    return pd.DataFrame({"rank": pd.array(ranks, dtype="Int64"), "bottom": pd.array(bottom, dtype="bool")},
                        index=v.index)


@dataclass
class Ranking:
    """Every indicator's ranking for one scope (what the page shows and the spreadsheet holds)."""
    region: int
    region_name: str
    level: str  # of the scope: province | city | county
    child_kind: str  # 设区市 | 县（市、区）; "" for a county
    industry_name: str
    date_from: dt.date | None
    date_to: dt.date | None
    as_of: dt.datetime | None
    prev_from: dt.date | None
    prev_to: dt.date | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # key -> RANK_COLUMNS, rows in rank order
    focus: int | None = None  # the county in view, ranked among its city's counties

    @property
    def ranked(self) -> bool:
        return bool(self.tables)

    def period_text(self) -> str:
        if self.date_from and self.date_to:
            return f"{self.date_from.isoformat()} 至 {self.date_to.isoformat()}"
        return "全部时间"

    def prev_text(self) -> str:
        if self.prev_from and self.prev_to:
            return f"{self.prev_from.isoformat()} 至 {self.prev_to.isoformat()}"
        return "无（需选定起止日期）"

    def as_of_text(self) -> str:
        return self.as_of.isoformat(sep=" ", timespec="seconds") if self.as_of else "生成时（全部已录入数据）"

    def scope_text(self) -> str:
        return f"{self.region_name}各{self.child_kind} · {self.industry_name}"

    def board(self) -> pd.DataFrame:
        """One row per region (adcode order): ``adcode, name``, per indicator its ``<key>`` rank, ``<key>:change``
        and ``<key>:bottom``, and ``bottoms`` (in how many indicators the region is among the last three)."""
        first = next(iter(self.tables.values()))
        names = dict(zip(first["adcode"].tolist(), first["name"].tolist()))
        codes = sorted(names)
        cols: dict[str, Any] = {"adcode": pd.array(codes, dtype="int64"), "name": [names[a] for a in codes]}
        bottoms = [0] * len(codes)
        for key, t in self.tables.items():
            at = {a: i for i, a in enumerate(t["adcode"].tolist())}
            rank, change, bottom = t["rank"].tolist(), t["change"].tolist(), t["bottom"].tolist()
            rows = [at.get(a) for a in codes]
            cols[key] = pd.array([None if i is None else rank[i] for i in rows], dtype="Int64")
            cols[f"{key}:change"] = pd.array([None if i is None else change[i] for i in rows], dtype="Int64")
            flags = [i is not None and bool(bottom[i]) for i in rows]
            cols[f"{key}:bottom"] = pd.array(flags, dtype="bool")
            bottoms = [n + f for n, f in zip(bottoms, flags)]
        cols["bottoms"] = pd.array(bottoms, dtype="int64")
        return pd.DataFrame(cols)


def _values(ind: Indicator, df: pd.DataFrame) -> dict[int, float]:
    """adcode -> the indicator's value (NaN: none, e.g. a rate whose denominator is 0), in the source's row order
    (a source lists each region once)."""
    codes = df["adcode"].astype(int).tolist()
    if len(set(codes)) != len(codes):
        raise ValueError(f"{ind.key}: a region listed twice by {getattr(ind.source, '__qualname__', ind.source)}")
    v = pd.to_numeric(df[ind.column], errors="coerce").astype(float).tolist()
    if ind.base is not None:
        base = pd.to_numeric(df[ind.base], errors="coerce").fillna(0).tolist()
        v = [x if b > 0 else float("nan") for x, b in zip(v, base)]
    return dict(zip(codes, v))


def _table(ind: Indicator, better: str, cur: pd.DataFrame, prev: pd.DataFrame | None) -> pd.DataFrame:
    values = _values(ind, cur)
    codes, vals = list(values), list(values.values())
    ranks, bottom = _ranked(vals, better)
    if prev is not None:
        pv = _values(ind, prev)
        # a previous period whose regions all had one value (all 0 %, say) ranked them all first: no ranking to
        # compare with (it would read "13 ↓12" for the last), so no previous rank and no change
        ranked_before = len({x for x in pv.values() if x == x}) > 1
        prev_rank = dict(zip(pv, _ranked(list(pv.values()), better)[0])) if ranked_before else {}
        prev_vals = [pv.get(a, float("nan")) for a in codes]
        prev_ranks = [prev_rank.get(a) for a in codes]
    else:
        prev_vals, prev_ranks = [float("nan")] * len(codes), [None] * len(codes)
    change = [p - r if p is not None and r is not None else None for p, r in zip(prev_ranks, ranks)]
    # rank order; regions without a value last, in adcode order
    order = sorted(range(len(codes)), key=lambda i: (ranks[i] is None, ranks[i] or 0, codes[i]))
    pick = lambda xs: [xs[i] for i in order]  # noqa: E731
    return pd.DataFrame({
        "adcode": pd.array(pick(codes), dtype="int64"), "name": pick(cur["name"].tolist()),
        "value": pd.array(pick(vals), dtype="float64"), "rank": pd.array(pick(ranks), dtype="Int64"),
        "prev_value": pd.array(pick(prev_vals), dtype="float64"), "prev_rank": pd.array(pick(prev_ranks), dtype="Int64"),
        "change": pd.array(pick(change), dtype="Int64"), "bottom": pd.array(pick(bottom), dtype="bool"),
    }, columns=RANK_COLUMNS)


def rankings(scope: Scope, *, engine: Engine | None = None, keys: tuple[str, ...] | None = None,
             now: dt.datetime | None = None) -> Ranking:
    """The ranking of the scope's child regions on every indicator (or ``keys``), each source function run once
    per period. ``now``: the moment figures without an as-of time are taken at (超时未处置; default: now)."""
    eng, rs = prepare(scope, engine)
    focus = None
    if rs.level == "county" and (rs.binding is None or rs.ref.contains(rs.binding, rs.city)):
        focus = rs.county  # a county among its city's counties (when the user may see them)
        eng, rs = prepare(scope.with_(region=rs.city), eng)
    d = rs.describe()
    prev = previous_period(scope)
    out = Ranking(rs.region, d["region_name"], rs.level,
                  "" if rs.level == "county" else ("设区市" if rs.level == "province" else "县（市、区）"),
                  d["industry_name"], scope.date_from, scope.date_to, rs.as_of, *(prev or (None, None)), focus=focus)
    if rs.level == "county":
        return out
    cat = catalogue()

    def fetch(fn, s: Scope) -> pd.DataFrame:
        timed = now is not None and "now" in inspect.signature(fn).parameters
        return fn(s, engine=eng, now=now) if timed else fn(s, engine=eng)

    scope = scope.with_(region=rs.region)  # a bound user asking for the province: their own region
    wanted = []
    for ind in INDICATORS:
        if keys is None or ind.key in keys:
            fd = cat[ind.key]
            wanted.append((ind, fd.better, scope, previous_scope(scope, fd.basis, fd.moment)))
    # each source once per period, a few at a time (independent reads: one's statements run while another's
    # frames are built), in this page run's context like the comparisons' (queries/change.py)
    calls = list(dict.fromkeys((ind.source, s) for ind, _, here, ps in wanted for s in (here, ps) if s is not None))
    # (the first failure is the page's: the calls not yet started are not run)
    got = dict(zip(calls, tasks.run_all([in_this_run(fetch, *c) for c in calls], WORKERS)))
    for ind, better, here, ps in wanted:
        out.tables[ind.key] = _table(ind, better, got[(ind.source, here)],
                                     got[(ind.source, ps)] if ps is not None else None)
    return out


# --- the spreadsheet -------------------------------------------------------------------------------------------

def change_text(change: Any) -> str:
    """↑2 / ↓1 / 持平 / — (no rank in one of the periods)."""
    if change is None or change is pd.NA or (isinstance(change, float) and pd.isna(change)):
        return "—"
    c = int(change)
    return f"↑{c}" if c > 0 else f"↓{-c}" if c < 0 else "持平"


def _num(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def _name(r: Ranking, adcode: int) -> str:
    t = next(iter(r.tables.values()))
    return str(t.loc[t["adcode"] == adcode, "name"].iloc[0])


def file_name(r: Ranking) -> str:
    per = f"_{r.date_from:%Y%m%d}-{r.date_to:%Y%m%d}" if r.date_from and r.date_to else ""
    return f"排名_{r.region_name}各{r.child_kind}{per}.xlsx".replace("（", "").replace("）", "")


def to_xlsx(r: Ranking, *, generated_by: str = "", generated_at: dt.datetime | None = None) -> bytes:
    """The meeting's spreadsheet: 说明 (scope, periods, 口径 of the ranking and of each figure, who and when), 排名总览
    (every region's rank on every indicator) and one sheet per indicator (the page's table)."""
    from queries import exports

    cat = catalogue()
    at = (generated_at or dt.datetime.now()).replace(microsecond=0)
    notes = [("标题", f"{r.region_name}各{r.child_kind}重点指标排名"), ("排名范围", r.scope_text()),
             ("本期", r.period_text()), ("上期", r.prev_text()), ("数据截止时间", r.as_of_text()),
             ("口径说明", NOTE)]
    if r.focus is not None:
        notes.insert(2, ("当前地区", f"{_name(r, r.focus)}（在{r.region_name}各县（市、区）中的排名）"))
    for key in r.tables:
        fd = cat[key]
        notes.append((fd.label, f"{fd.definition}。统计类型：{BASIS_NAMES[fd.basis]}；{BETTER_NAMES[fd.better]}；"
                                f"单位：{fd.unit}；来源：{fd.source_name}"))
    notes += [("生成人", generated_by or "—"), ("生成时间", at.isoformat(sep=" "))]
    sheets = []
    board = r.board()
    cols = ["地区", "地区代码"] + [f"{cat[k].label}（名次）" for k in r.tables] + ["后三名项数"]
    rows = [[b["name"], int(b["adcode"])] + [_num(b[k]) for k in r.tables] + [int(b["bottoms"])]
            for _, b in board.iterrows()]
    sheets.append(("排名总览", cols, [14, 10] + [12] * len(r.tables) + [10], rows))
    for key, t in r.tables.items():
        fd = cat[key]
        cols = ["本期名次", "地区", "地区代码", f"本期数值（{fd.unit}）", "上期名次", "排名变化", f"上期数值（{fd.unit}）",
                "后三名"]
        rows = [[_num(x["rank"]), x["name"], int(x["adcode"]), _num(x["value"]), _num(x["prev_rank"]),
                 change_text(x["change"]), _num(x["prev_value"]), "后三名" if x["bottom"] else ""]
                for _, x in t.iterrows()]
        sheets.append((fd.label, cols, [10, 14, 10, 16, 10, 10, 16, 8], rows))
    return exports.sheets_xlsx(notes, sheets)


def audit_detail(r: Ranking, *, source: str) -> dict[str, Any]:
    """What the audit log keeps about a ranking export."""
    return {"kind": "ranking", "format": "xlsx", "scope": {"region": r.region, "region_name": r.region_name,
            "industry": r.industry_name, "from": r.date_from, "to": r.date_to, "as_of": r.as_of},
            "focus": r.focus, "indicators": list(r.tables), "file": file_name(r), "source": source}


__all__ = ["INDICATORS", "KEYS", "RANK_COLUMNS", "BOTTOM_N", "NOTE", "Indicator", "Ranking", "rankings", "rank",
           "previous_period", "previous_scope", "change_text", "file_name", "to_xlsx", "audit_detail"]
