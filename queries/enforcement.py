"""Enforcement campaigns: inspections, hidden hazards, suspensions, cases, joint actions, publicity, work orders.

Period figures count what happened in the scope's period (``inspected_on``, ``found_on``, ``filed_on`` …) and
was recorded by its as-of time.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pandas as pd
from sqlalchemy import Date, Engine, and_, case, cast, distinct, func, literal, or_, select

from queries import cells, derived, memo
from queries.base import (
    frame, gathered, group_order, month_of, name_children, one_snapshot, pct, per_group, prepare, row, together,
)
from queries.figure_defs import PERIOD, declare, fig
from queries.scope import Scope, ScopeError
from seed import cells as cell_spec
from seed.schema import (
    blacklist_entries as BL, campaign_departments as CD, campaign_stats as CS, campaign_industries as CI, campaigns as CP,
    cases as C, checklist_items as CK, enterprise_year_cells as EY, enterprises as E, exposures as X,
    hidden_hazards as H, inspections as IN, joint_actions as JA, joint_punishments as JP, suspension_orders as SO,
    watchlist_entries as WL, work_orders as WO,
)


def data_range(*, engine: Engine | None = None) -> tuple[dt.date | None, dt.date | None]:
    """First and last day with inspections (pages default their period to the latest data)."""
    eng, _ = prepare(Scope(), engine)
    # two scalar subqueries: each reads one end of the date index (SQLite scans the whole index for min and max in
    # one select: 33 ms against 0.1 ms on the demo data; PostgreSQL reads the two ends either way)
    r = row(select(select(func.min(IN.c.inspected_on)).scalar_subquery().label("a"),
                   select(func.max(IN.c.inspected_on)).scalar_subquery().label("b")), eng)
    conv = (lambda v: dt.date.fromisoformat(v) if isinstance(v, str) else (v or None))
    return conv(r.get("a")), conv(r.get("b"))


def _enterprises_inspected(rs, eng, prev=IN.c.prev_on):
    """How many enterprises the period's inspections (in the statement's rows or group) covered:
    ``COUNT(DISTINCT enterprise_id)``, or with the derived columns (``queries.derived``) the count of each
    enterprise's first inspection in the period — its previous one (``prev``: overall, or by the same department)
    is before the period's start or does not exist."""
    if not derived.usable(rs, IN, eng):
        return func.count(distinct(IN.c.enterprise_id))
    first = prev.is_(None) if rs.date_from is None else or_(prev.is_(None), prev < rs.date_from)
    return func.coalesce(func.sum(case((first, 1), else_=0)), 0)


def _cell_figures(rs, eng, keys: dict | None = None) -> dict[str, object]:
    """The statements of the period figures that the maintained aggregates (``queries.cells``) can serve for the
    scope, by part (``insp``, ``haz``, ``susp``, ``cases``, ``fines``), each selecting ``keys`` and the same labels
    as the fact-row statements (fines in fen as ``fines_fen``); a part they cannot serve is left out."""
    keys = keys or {}
    out: dict[str, object] = {}

    def part(fact, *cols):
        u = cells.rows(rs, eng, fact, keys)
        if u is None:
            return None
        ks = [u.c[k] for k in keys]
        stmt = select(*ks, *(cells.total(u.c[c]).label(label) for c, label in cols))
        # a group whose cells all sum to nothing (their rows were deleted) is no group, as with the rows
        return stmt.group_by(*ks).having(func.sum(u.c.n) != 0) if ks else stmt

    ent = cells.enterprises_column(rs, half=True)
    for name, (fact, cols) in CELL_PARTS.items():
        if ent is not None or all(col is not None for col, _ in cols):
            out[name] = part(fact, *((col or ent, label) for col, label in cols))
    return {k: v for k, v in out.items() if v is not None}


def _fen_to_yuan(d: dict) -> dict:
    if "fines_fen" in d:
        d["fines_yuan"] = int(d.pop("fines_fen") or 0) / 100
    return d


# the parts of ``summary`` the cells can serve: part -> (fact, ((cell column, figure), …)); the inspections'
# enterprises come from the column ``cells.enterprises_column`` names for the period
CELL_PARTS = {
    "insp": ("inspections", (("n", "inspections"), (None, "enterprises_inspected"))),
    "haz": ("hazards", (("n", "hazards_found"), ("a", "major_hazards"), ("b", "hazards_rectified"))),
    "susp": ("suspensions", (("n", "suspensions"),)),
    "cases": ("cases_filed", (("n", "cases_filed"), ("a", "cases_online"), ("b", "transferred_judicial"))),
    "fines": ("cases_decided", (("n", "cases_decided"), ("amount_fen", "fines_fen"))),
}


# the other parts whose figures add up month by month: part -> (table, date column, its labelled figures)
MONTHLY_PARTS = {
    "joint": (JA, "action_on", lambda: (func.count().label("joint_actions"),
                                        func.coalesce(func.sum(JA.c.enterprises_checked), 0)
                                        .label("joint_action_enterprises"))),
    "exp": (X, "exposed_on", lambda: (func.count().label("exposures"),)),
    "pun": (JP, "decided_on", lambda: (func.count().label("joint_punishments"),)),
    "bl": (BL, "listed_on", lambda: (func.count().label("blacklisted"),)),
    "wo": (WO, "created_on", lambda: (func.count().label("work_orders"),)),
}


def _summary_statements(rs, eng, *, parts: set[str] | None = None) -> dict[str, Any]:
    """The statements of ``summary`` for a resolved scope, by part (each one row of labelled figures): over the
    fact rows, and from the cells for the parts they serve; with ``parts``, those parts' over the fact rows only."""
    q = {
        "haz": select(func.count().label("hazards_found"),
                      func.coalesce(func.sum(case((H.c.major, 1), else_=0)), 0).label("major_hazards"),
                      func.coalesce(func.sum(case((and_(H.c.rectified_on.is_not(None), rs.by_as_of(H.c.rectified_on)), 1),
                                                  else_=0)), 0).label("hazards_rectified"))
        .where(rs.where(H, "found_on")),
        "susp": select(func.count().label("suspensions")).where(rs.where(SO, "ordered_on")),
        "cases": select(func.count().label("cases_filed"),
                        func.coalesce(func.sum(case((C.c.online, 1), else_=0)), 0).label("cases_online"),
                        func.coalesce(func.sum(case((C.c.transferred_judicial, 1), else_=0)), 0)
                        .label("transferred_judicial"))
        .where(rs.where(C, "filed_on")),
        "fines": select(func.count().label("cases_decided"),
                        func.coalesce(func.sum(C.c.fine_yuan), 0).label("fines_yuan"))
        .where(rs.where(C), rs.period_filter(C.c.decided_on), C.c.decided_on.is_not(None)),
        **{part: select(*figures()).where(rs.where(t, day)) for part, (t, day, figures) in MONTHLY_PARTS.items()},
        "wl": select(func.count(distinct(WL.c.enterprise_id)).label("watchlist")).where(rs.where(WL, "listed_on")),
    }
    if parts is not None:
        return {k: v for k, v in q.items() if k in parts}
    # (built only when wanted: with an as-of time, whether the derived columns serve it is a query)
    q = {"insp": select(func.count().label("inspections"), _enterprises_inspected(rs, eng).label("enterprises_inspected"))
         .where(rs.where(IN, "inspected_on")), **q}
    q.update(_cell_figures(rs, eng))
    return q


def _summary_of(rows: list[dict]) -> dict[str, Any]:
    """``summary``'s figures from the rows its statements returned."""
    out: dict[str, Any] = {}
    for r in rows:
        out.update(_fen_to_yuan({k: (v or 0) for k, v in r.items()}))
    for k in ("inspections", "enterprises_inspected", "hazards_found", "major_hazards", "hazards_rectified",
              "suspensions", "cases_filed", "cases_online", "transferred_judicial", "cases_decided"):
        out.setdefault(k, 0)  # a grouped statement over no cells has no row
    out.setdefault("fines_yuan", 0)
    out["fines_yuan"] = round(float(out["fines_yuan"]), 2)
    out["fines_wan"] = round(out["fines_yuan"] / 10000, 2)
    out["avg_fine_wan"] = round(out["fines_wan"] / out["cases_decided"], 2) if out["cases_decided"] else 0.0
    out["rectification_rate"] = pct(out["hazards_rectified"], out["hazards_found"])
    floats = {"fines_yuan", "fines_wan", "avg_fine_wan", "rectification_rate"}
    return {k: (v if k in floats else int(v)) for k, v in out.items()}


def summary(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """Headline enforcement figures of the scope's period (inspections, hazards, suspensions and cases from the
    maintained aggregates where they serve the scope: ``queries.cells``)."""
    eng, rs = prepare(scope, engine)
    return _summary_of([row(together(_summary_statements(rs, eng).values()), eng)])


def summaries(scopes: list[Scope], *, engine: Engine | None = None,
              partial: bool = False) -> list[dict[str, Any] | None]:
    """``[summary(s) for s in scopes]`` for scopes of one place and industry over different periods (the
    comparisons' twelve months, 上期 and 同比): for the periods the cells serve whole — one calendar month, 1
    January to a month's end, or 1 July to 31 December (``cells.enterprises_column``) — the cells' parts come from
    one statement (every
    fact's cells by month, summed per period here) instead of five per period, and the parts that add up by month
    (``MONTHLY_PARTS``) from one statement each, by month, and the watch list's distinct enterprises from one
    statement with a column per period (when the periods share their as-of time; else as in ``summary``). Every other scope is ``summary(s)``, or with ``partial`` None
    (the caller runs those beside the batch)."""
    if not scopes:
        return []
    eng = engine or prepare(scopes[0], None)[0]
    facts = tuple(f for f, _ in CELL_PARTS.values())

    def months(rs):  # a period of whole months with a cell column for its enterprises inspected
        ent = cells.enterprises_column(rs, half=True)
        whole = ent is not None and rs.date_to == cells.month_end(rs.date_to)
        return (rs.date_from, rs.date_to.replace(day=1), ent) if whole else None

    resolved, whole = cells.batchable(scopes, eng, facts, months)
    if len(whole) < 2:
        return [None if partial else summary(s, engine=eng) for s in scopes]
    lo, hi = min(f for f, _, _ in whole.values()), max(t for _, t, _ in whole.values())
    stmt = cells.by_month(resolved[0], facts, lo, hi)
    one_as_of = len({resolved[i].as_of for i in whole}) == 1
    span = replace(resolved[next(iter(whole))], date_from=lo, date_to=cells.month_end(hi))
    out: list[dict[str, Any] | None] = [None] * len(scopes)
    with eng.connect() as conn:
        by_month = [(fact, cells.as_date(m), {"n": n, "a": a, "b": b, "amount_fen": y})
                    for fact, m, n, a, b, y in conn.execute(stmt).all()]
        monthly: dict[str, list] = {}
        watch: dict[int, int] = {}
        if one_as_of:
            # the watch list's distinct enterprises of every period at once: a column per period over their span
            got = conn.execute(select(*(
                func.count(distinct(case((resolved[i].period_filter(WL.c.listed_on), WL.c.enterprise_id))))
                .label(f"wl{i}") for i in whole)).where(span.where(WL, "listed_on"))).mappings().first()
            watch = {i: int(got[f"wl{i}"] or 0) for i in whole}
            for part, (t, day, figures) in MONTHLY_PARTS.items():
                m = month_of(t.c[day], eng).label("m")
                res = conn.execute(select(m, *figures()).where(span.where(t, day)).group_by(m)).mappings().all()
                monthly[part] = [(dt.date.fromisoformat(r["m"] + "-01"), {k: v for k, v in r.items() if k != "m"})
                                 for r in res]
        for i, (first, last, ent) in whole.items():
            rest = (set(MONTHLY_PARTS) - set(monthly)) | (set() if watch else {"wl"})
            rows = [dict(conn.execute(together(_summary_statements(resolved[i], eng, parts=rest).values()))
                         .mappings().first())] if rest else []
            if watch:
                rows.append({"watchlist": watch[i]})
            for part, (_, _, figures) in MONTHLY_PARTS.items():
                if part in monthly:
                    sums = {f.name: 0 for f in figures()}
                    for m, v in monthly[part]:
                        if first <= m <= last:
                            for k in sums:
                                sums[k] += v[k] or 0
                    rows.append(sums)
            for fact, cols in CELL_PARTS.values():
                sums = {c: 0 for c in ("n", "a", "b", "amount_fen")}
                for f, m, v in by_month:
                    if f == fact and first <= m <= last:
                        for c in sums:
                            sums[c] += int(v[c])
                rows.append({label: sums[col or ent] for col, label in cols})
            out[i] = _summary_of(rows)
    return [r if r is not None or partial else summary(s, engine=eng) for s, r in zip(scopes, out)]


summary.many = summaries  # type: ignore[attr-defined]


# Effort, detection and rectification are better higher; sanctions (suspensions, cases, fines, exposures,
# punishments, blacklists) and the lists the platform raises are neutral: more means both more violations and
# firmer enforcement.
FIGURES = declare("enforcement", summary, basis="period", figures=[
    fig("enterprises_inspected", "检查企业", "家", PERIOD + "被检查的企业数（同一企业多次检查计 1 家）", better="up"),
    fig("inspections", "检查企业（家次）", "家次", PERIOD + "检查次数", better="up"),
    fig("hazards_found", "排查隐患", "个", PERIOD + "检查发现的隐患数", better="up"),
    fig("major_hazards", "重大事故隐患", "个", PERIOD + "发现的重大事故隐患数", better="up"),
    fig("hazards_rectified", "已整改隐患", "个", PERIOD + "发现、截至截止时间已整改的隐患数", better="up"),
    fig("rectification_rate", "隐患整改率", "%", "已整改隐患 ÷ 排查隐患", better="up", base="hazards_found"),
    fig("suspensions", "责令停产停业整顿", "家", PERIOD + "下达责令停产停业整顿的企业数", better=None),
    fig("cases_filed", "立案查处", "起", PERIOD + "立案的行政处罚案件数", better=None),
    fig("cases_online", "全流程线上流转案件", "起", PERIOD + "立案且全流程线上办理的案件数", better="up"),
    fig("fines_wan", "罚没款", "万元", PERIOD + "作出处罚决定的案件罚没款合计", better=None),
    fig("avg_fine_wan", "案均罚款", "万元", "罚没款 ÷ 作出决定的案件数", better=None, base="cases_decided"),
    fig("transferred_judicial", "移送司法机关", "起", PERIOD + "立案并移送司法机关的案件数", better=None),
    fig("joint_actions", "联合（联动）执法", "次", PERIOD + "组织的多部门联合执法次数（不分行业）", better="up"),
    fig("exposures", "曝光违法案件", "起", PERIOD + "通过现场会、警示会、媒体等曝光的案件数", better=None),
    fig("joint_punishments", "联合惩戒", "家", PERIOD + "实施联合惩戒的企业数", better=None),
    fig("blacklisted", "纳入黑名单", "家", PERIOD + "纳入黑名单（严重失信主体名单）的企业数", better=None),
    fig("work_orders", "提醒、监督类工单", "条", PERIOD + "平台生成的提醒类、监督类工单数（不分行业）", better=None),
    fig("watchlist", "“不放心”企业", "家", PERIOD + "列入“不放心”名单并推送相关部门的企业数", better=None),
])


def _grouped(rs, eng, key_of) -> pd.DataFrame:
    """Per-group inspections, enterprises, hazards, rectified, suspensions, cases and fines (``key_of`` groups by
    region or industry: attributes of the enterprise, so an enterprise's inspections share its group); from the
    maintained aggregates where they serve the scope."""
    parts = {
        "insp": select(key_of(IN).label("k"), func.count().label("inspections"),
                       _enterprises_inspected(rs, eng).label("enterprises_inspected"))
        .where(rs.where(IN, "inspected_on")).group_by(key_of(IN)),
        "haz": select(key_of(H).label("k"), func.count().label("hazards_found"),
                      func.sum(case((and_(H.c.rectified_on.is_not(None), rs.by_as_of(H.c.rectified_on)), 1), else_=0))
                      .label("hazards_rectified"))
        .where(rs.where(H, "found_on")).group_by(key_of(H)),
        "susp": select(key_of(SO).label("k"), func.count().label("suspensions"))
        .where(rs.where(SO, "ordered_on")).group_by(key_of(SO)),
        "cases": select(key_of(C).label("k"), func.count().label("cases_filed"))
        .where(rs.where(C, "filed_on")).group_by(key_of(C)),
        "fines": select(key_of(C).label("k"), func.sum(C.c.fine_yuan).label("fines_yuan"))
        .where(rs.where(C), rs.period_filter(C.c.decided_on), C.c.decided_on.is_not(None)).group_by(key_of(C)),
    }
    counts = [c.name for s in parts.values() for c in s.selected_columns if c.name not in ("k", "fines_yuan")]
    parts.update(_cell_figures(rs, eng, {"k": lambda t, day: key_of(t)}))
    # (instead of a DataFrame per part and four outer merges, which were ~25 of 34 ms a call)
    acc = gathered(parts.values(), eng)
    out = per_group(acc, counts)
    fines = [float(_fen_to_yuan(dict(acc[k])).get("fines_yuan", 0)) for k in group_order(acc)]  # (cells: fen)
    out["fines_wan"] = pd.Series(fines, dtype=float).div(10000).round(2)
    out["rectification_rate"] = [pct(a, b) for a, b in zip(out["hazards_rectified"], out["hazards_found"])]
    return out


def by_region(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """Enforcement figures per child region (cities of the province, counties of a city)."""
    eng, rs = prepare(scope, engine)
    df = _grouped(rs, eng, rs.group_column).rename(columns={"k": "adcode"})
    df["adcode"] = df["adcode"].astype(int)
    return name_children(df, rs)


def by_sector(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """Enforcement figures per regulatory sector."""
    eng, rs = prepare(scope, engine)
    df = _grouped(rs, eng, lambda t: t.c.sector_code).rename(columns={"k": "sector"})
    df.insert(1, "sector_name", [rs.ref.industries[s].name for s in df["sector"]])
    return df.sort_values("inspections", ascending=False, ignore_index=True)


def by_department(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """Inspections and enterprises per inspecting department (from the departments' cells where they serve the
    scope's period: one from 1 January, or one calendar month, whose enterprises the cells count)."""
    eng, rs = prepare(scope, engine)
    ent = cells.enterprises_column(rs)
    u = cells.rows(rs, eng, cell_spec.DEPARTMENT_FACT.name, {"department": lambda t, day: t.c.department},
                   store=cell_spec.DEPARTMENT) if ent else None
    if u is not None:
        n = cells.total(u.c.n)
        return frame(select(u.c.department, n.label("inspections"),
                            cells.total(u.c[ent]).label("enterprises_inspected"))
                     .group_by(u.c.department).having(func.sum(u.c.n) != 0).order_by(n.desc(), u.c.department), eng)
    stmt = (select(IN.c.department, func.count().label("inspections"),
                   _enterprises_inspected(rs, eng, IN.c.prev_dept_on).label("enterprises_inspected"))
            .where(rs.where(IN, "inspected_on")).group_by(IN.c.department)
            .order_by(func.count().desc(), IN.c.department))  # ties in a stable order
    return frame(stmt, eng)


def by_month(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """Monthly inspections, hazards and cases in the period (from the maintained aggregates where they serve the
    scope)."""
    eng, rs = prepare(scope, engine)
    out = None
    # (the maintained aggregates' fact, the figure's label): the table and its date column are the fact's
    for fact, label in (("inspections", "inspections"), ("hazards", "hazards_found"), ("cases_filed", "cases_filed"),
                        ("suspensions", "suspensions")):
        u = cells.rows(rs, eng, fact, {"month": lambda tb, day: month_of(day, eng)})
        if u is not None:
            stmt = (select(u.c.month, cells.total(u.c.n).label(label)).group_by(u.c.month)
                    .having(func.sum(u.c.n) != 0))
        else:
            t, col = cells.table_and_day(fact)
            m = month_of(t.c[col], eng)
            stmt = select(m.label("month"), func.count().label(label)).where(rs.where(t, col)).group_by(m)
        df = frame(stmt, eng)
        out = df if out is None else out.merge(df, on="month", how="outer")
    out = out.fillna(0).sort_values("month", ignore_index=True)
    for c in out.columns[1:]:
        out[c] = out[c].astype(int)
    return out


# --- campaigns -------------------------------------------------------------------------------------------

CAMPAIGN_FACT = cell_spec.CAMPAIGN_FACT.name  # a campaign's inspections in the campaigns' cells


def _campaign_visible(rs):
    """Province-wide campaigns and those of the scope's city (all campaigns for a province scope)."""
    if rs.level == "province":
        return literal(True)
    return or_(CP.c.city_adcode.is_(None), CP.c.city_adcode == rs.city)


def campaigns(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """Campaigns visible in the scope with progress against their target and against time."""
    eng, rs = prepare(scope, engine)
    stmt = select(CP.c.id, CP.c.name, CP.c.city_adcode, CP.c.start_on, CP.c.end_on, CP.c.target_inspections) \
        .where(_campaign_visible(rs), rs.recorded_filter(CP)).order_by(CP.c.start_on.desc(), CP.c.city_adcode)
    camps = frame(stmt, eng)
    if camps.empty:
        return camps
    # enterprises inspected in the campaign by the cut-off: distinct, or each enterprise's first campaign inspection
    # (from the campaigns' cells where they serve the scope: the months up to the cut-off, its own month's rows)
    u = cells.rows(rs, eng, CAMPAIGN_FACT, {"campaign_id": lambda t, day: t.c.campaign_id}, to_date=True,
                   store=cell_spec.CAMPAIGN)
    if u is not None:
        done = frame(select(u.c.campaign_id, cells.total(u.c.n).label("inspections"),
                            cells.total(u.c.a).label("enterprises_inspected"))
                     .group_by(u.c.campaign_id).having(func.sum(u.c.n) != 0), eng)
    else:
        ents = (func.coalesce(func.sum(case((IN.c.first_in_campaign, 1), else_=0)), 0)
                if derived.usable(rs, IN, eng) else func.count(distinct(IN.c.enterprise_id)))
        done = frame(select(IN.c.campaign_id, func.count().label("inspections"), ents.label("enterprises_inspected"))
                     .where(rs.where(IN), rs.until_cutoff(IN.c.inspected_on), IN.c.campaign_id.is_not(None))
                     .group_by(IN.c.campaign_id), eng)
    done = done.rename(columns={"campaign_id": "id"})
    camps = camps.merge(done, on="id", how="left").fillna({"inspections": 0, "enterprises_inspected": 0})
    camps["inspections"] = camps["inspections"].astype(int)
    camps["enterprises_inspected"] = camps["enterprises_inspected"].astype(int)
    at = (rs.cutoff or dt.datetime.now()).date()
    starts = pd.to_datetime(camps["start_on"]).dt.date
    ends = pd.to_datetime(camps["end_on"]).dt.date
    camps["region_name"] = [rs.ref.name(int(c)) if pd.notna(c) else "全省" for c in camps["city_adcode"]]
    camps["progress_pct"] = [pct(i, t) for i, t in zip(camps["inspections"], camps["target_inspections"])]
    camps["time_pct"] = [round(100 * min(1, max(0, (at - s).days / max(1, (e - s).days))), 1)
                         for s, e in zip(starts, ends)]
    camps["behind"] = camps["progress_pct"] < camps["time_pct"]  # progress lags the calendar
    camps["start_on"], camps["end_on"] = starts, ends
    return camps


def _check_campaign(campaign_id: int, rs, eng) -> dict:
    r = row(select(CP).where(CP.c.id == campaign_id, _campaign_visible(rs)), eng)
    if not r:
        raise ScopeError("该专项行动不存在或不在您的权限范围内")
    return r


REPORTED = ["enterprises_checked", "inspections", "hidden_hazards", "major_hazards", "rectified", "suspensions",
            "cases"]


def campaign_reports(campaign_id: int, scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """The cities' monthly reports (月报, imported ``campaign_stats``) of a campaign, per child region of the scope,
    cumulative from the campaign's start to the cut-off (as the progress table): reported figures, how many
    county-months were reported of those due (every county of the child region, every month of the campaign
    begun by the cut-off), the latest month reported, and the campaign's inspections recorded in the system over
    the same months for comparison. A region with no report has zeros and ``reports`` 0."""
    eng, rs = prepare(scope, engine)
    camp = _check_campaign(campaign_id, rs, eng)
    start = camp["start_on"] if isinstance(camp["start_on"], dt.date) else dt.date.fromisoformat(str(camp["start_on"]))
    end = camp["end_on"] if isinstance(camp["end_on"], dt.date) else dt.date.fromisoformat(str(camp["end_on"]))
    at = min(end, (rs.cutoff or dt.datetime.now()).date())
    months = max(0, (at.year - start.year) * 12 + at.month - start.month + 1) if at >= start else 0
    first = start.replace(day=1)
    k = rs.group_column(CS)
    rep = frame(select(k.label("adcode"), func.count().label("reports"), func.max(CS.c.month).label("latest_month"),
                       *(func.sum(CS.c[c]).label(c) for c in REPORTED), func.sum(CS.c.fines_yuan).label("fines_yuan"))
                .where(CS.c.campaign_id == campaign_id, rs.region_filter(CS), rs.recorded_filter(CS),
                       CS.c.month >= first, rs.until_cutoff(CS.c.month))
                .group_by(k), eng)
    # the campaign's inspections in the system by the cut-off, of every industry (as the cities' reports): from the
    # campaigns' cells where they serve the place (read as the scope without its industry)
    whole = prepare(scope.with_(industry=None), eng)[1] if scope.industry else rs
    u = cells.rows(whole, eng, CAMPAIGN_FACT, {"campaign_id": lambda t, day: t.c.campaign_id,
                                               "k": lambda t, day: whole.group_column(t)},
                   to_date=True, store=cell_spec.CAMPAIGN)
    if u is not None:
        sysd = frame(select(u.c.k.label("adcode"), cells.total(u.c.n).label("system_inspections"))
                     .where(u.c.campaign_id == campaign_id).group_by(u.c.k).having(func.sum(u.c.n) != 0), eng)
    else:
        ki = rs.group_column(IN)
        sysd = frame(select(ki.label("adcode"), func.count().label("system_inspections"))
                     .where(IN.c.campaign_id == campaign_id, rs.region_filter(IN), rs.recorded_filter(IN),
                            rs.until_cutoff(IN.c.inspected_on))
                     .group_by(ki), eng)
    cols = ["adcode", "reports", "latest_month", *REPORTED, "fines_yuan"]
    rep = rep if not rep.empty else pd.DataFrame(columns=cols)
    df = rep.merge(sysd, on="adcode", how="outer") if not sysd.empty else rep.assign(system_inspections=0)
    df["adcode"] = df["adcode"].astype(int)
    latest = dict(zip(df["adcode"], df["latest_month"]))
    out = name_children(df.drop(columns=["latest_month"]), rs)
    out["latest_month"] = [latest.get(a) if latest.get(a) is not None and not pd.isna(latest.get(a)) else None
                           for a in out["adcode"]]
    out["latest_month"] = [str(m)[:7] if m is not None else "" for m in out["latest_month"]]
    if camp["city_adcode"] is not None and rs.level == "province":  # a city's own campaign: only that city is due
        out = out[out["adcode"] == int(camp["city_adcode"])].reset_index(drop=True)
    counties = [len(rs.ref.children(int(a))) if rs.level == "province" else 1 for a in out["adcode"]]
    out["due"] = [n * months for n in counties]
    for c in ["reports", *REPORTED, "system_inspections"]:
        out[c] = out[c].astype(int)
    out["fines_wan"] = (out.pop("fines_yuan").astype(float) / 10000).round(2)
    out["reported_pct"] = [pct(r, d) for r, d in zip(out["reports"], out["due"])]
    return out


def campaign_profile(campaign_id: int, scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """The campaign's checklist shape: key industries, common problems, individual items, departments."""
    eng, rs = prepare(scope, engine)
    camp = _check_campaign(campaign_id, rs, eng)
    with eng.connect() as conn:
        def n(stmt):
            return int(conn.execute(stmt).scalar() or 0)
        return {
            "id": campaign_id, "name": camp["name"],
            "key_industries": n(select(func.count()).where(CI.c.campaign_id == campaign_id, rs.recorded_filter(CI))),
            "common_items": n(select(func.count()).where(CK.c.campaign_id == campaign_id, CK.c.kind == "common",
                                                         rs.recorded_filter(CK))),
            "individual_items": n(select(func.count()).where(CK.c.campaign_id == campaign_id,
                                                             CK.c.kind == "individual", rs.recorded_filter(CK))),
            "departments": n(select(func.count()).where(CD.c.campaign_id == campaign_id, rs.recorded_filter(CD))),
        }


def checklist(campaign_id: int, scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """Checklist items of a campaign with the hidden hazards found against each in the scope."""
    eng, rs = prepare(scope, engine)
    _check_campaign(campaign_id, rs, eng)
    found = (select(H.c.checklist_item_id.label("id"), func.count().label("hazards_found"))
             .where(rs.where(H, "found_on"), H.c.checklist_item_id.is_not(None)).group_by(H.c.checklist_item_id)
             .subquery())
    stmt = (select(CK.c.id, CK.c.kind, CK.c.sector_code, CK.c.text,
                   func.coalesce(found.c.hazards_found, 0).label("hazards_found"))
            .select_from(CK.outerjoin(found, found.c.id == CK.c.id))
            .where(CK.c.campaign_id == campaign_id, rs.recorded_filter(CK)).order_by(CK.c.kind, CK.c.id))
    df = frame(stmt, eng)
    df["sector_name"] = [rs.ref.industries[s].name if isinstance(s, str) and s else "共性" for s in df["sector_code"]]
    return df


def watchlist(scope: Scope, *, engine: Engine | None = None, limit: int = 200) -> pd.DataFrame:
    """The “不放心” enterprise list pushed to other departments."""
    eng, rs = prepare(scope, engine)
    stmt = (select(WL.c.listed_on, E.c.name.label("enterprise"), WL.c.county_adcode, WL.c.sector_code, WL.c.reason,
                   WL.c.pushed_to)
            .select_from(WL.join(E, E.c.id == WL.c.enterprise_id))
            .where(rs.where(WL, "listed_on")).order_by(WL.c.listed_on.desc(), WL.c.id.desc()).limit(limit))
    df = frame(stmt, eng)
    df["county"] = [rs.ref.name(int(a)) for a in df["county_adcode"]]
    df["sector"] = [rs.ref.industries[s].name for s in df["sector_code"]]
    return df.drop(columns=["county_adcode", "sector_code"])


WORK_ORDER_PARTS = ("total", "reminder", "supervision", "closed", "overdue")


def _work_order_sums(rs, within, now: dt.datetime | None, suffix: str = "") -> list:
    """The work orders' counts of ``WORK_ORDER_PARTS`` among the rows ``within`` picks, closed and overdue as of
    ``rs``'s cut-off (never later than now: an order due tomorrow is not overdue in a period that ends next month)."""
    at = memo.moment(now)
    cut = (min(rs.cutoff, at) if rs.cutoff else at).date()
    closed = and_(WO.c.closed_on.is_not(None), WO.c.closed_on <= cut)
    picks = {"total": within, "reminder": and_(within, WO.c.kind == "reminder"),
             "supervision": and_(within, WO.c.kind == "supervision"), "closed": and_(within, closed),
             "overdue": and_(within, ~closed, WO.c.due_on < cut)}
    return [func.count().filter(picks[k]).label(k + suffix) for k in WORK_ORDER_PARTS]


def _work_orders_of(r: dict) -> dict[str, Any]:
    out = {k: int(r[k]) for k in WORK_ORDER_PARTS}
    out["closed_rate"] = pct(out["closed"], out["total"])
    return out


def work_orders(scope: Scope, *, engine: Engine | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Supervision work orders (数字监督) created in the period: by kind, closed and overdue at the cut-off. Work
    orders are the region's, not an industry's (they carry no sector)."""
    eng, rs = prepare(scope, engine)
    return _work_orders_of(row(select(*_work_order_sums(rs, rs.where(WO, "created_on"), now)), eng))


def work_orders_many(scopes: list[Scope], *, engine: Engine | None = None, now: dt.datetime | None = None,
                     partial: bool = False) -> list[dict[str, Any]]:
    """``[work_orders(s) for s in scopes]`` in one statement (the comparisons' earlier periods): a column per scope
    and figure, each scope's rows picked by its own filters."""
    if not scopes:
        return []
    eng = engine or prepare(scopes[0], None)[0]
    resolved = [prepare(s, eng)[1] for s in scopes]
    if (grid := _work_order_grid(scopes, resolved, eng, now)) is not None:
        return grid
    if len({(s.region, s.industry, s.binding, rs.as_of) for s, rs in zip(scopes, resolved)}) == 1:
        # one place, industry and as-of time (the comparisons' scopes): those filters once, each period apart
        picks = [rs.period_filter(WO.c.created_on) for rs in resolved]
        where = and_(resolved[0].where(WO), or_(*picks))
    else:
        picks = [rs.where(WO, "created_on") for rs in resolved]
        where = or_(*picks)
    got = row(select(*(c for i, rs in enumerate(resolved) for c in _work_order_sums(rs, picks[i], now, f"_{i}")))
              .where(where), eng)
    return [_work_orders_of({k: got[f"{k}_{i}"] for k in WORK_ORDER_PARTS}) for i in range(len(scopes))]


work_orders.many = work_orders_many  # type: ignore[attr-defined]


def _month_end(d: dt.date) -> bool:
    return (d + dt.timedelta(days=1)).day == 1


def _work_order_grid(scopes: list[Scope], resolved: list, eng: Engine,
                     now: dt.datetime | None) -> list[dict[str, Any]] | None:
    """``work_orders_many`` for scopes of one place, without as-of times, whose periods are whole months and whose
    cut-offs month ends (the comparisons' twelve months, 上期 and 同比 of a view of whole months): the orders
    counted once per month created × kind × month closed × month of the day after their deadline, then each scope's
    figures summed from those few dozen groups — instead of five conditions per scope tested on every order (75 on
    every row for fifteen scopes: 873 ms on SQLite at three times the province, the grid ~200 ms). With the
    cut-off C the last day of its month, "closed by C" is "closed in C's month or before", and "due before C" is
    "the day after the deadline in C's month or before". ``None`` where that does not hold (the caller counts
    per scope)."""
    if len(scopes) < 2 or len({(s.region, s.industry, s.binding) for s in scopes}) != 1:
        return None
    at = memo.moment(now)
    spans = []
    for rs in resolved:
        f, t = rs.date_from, rs.date_to
        if rs.as_of is not None or f is None or t is None or f.day != 1 or not _month_end(t):
            return None
        cut = (min(rs.cutoff, at) if rs.cutoff else at).date()
        if not _month_end(cut):
            return None
        spans.append((f"{f:%Y-%m}", f"{t:%Y-%m}", f"{cut:%Y-%m}"))
    first = resolved[0]
    if eng.dialect.name == "sqlite":  # 'YYYY-MM'
        created, closed = month_of(WO.c.created_on, eng), month_of(WO.c.closed_on, eng)
        due_after = func.strftime("%Y-%m", WO.c.due_on, "+1 day")
    else:  # the months' first days (to_char three times a row: 142 against 79 ms at three times the province);
        # as dates: date_trunc of a date is a timestamp with time zone, which a session zone the driver cannot
        # map (it falls back to UTC) would turn into the previous month's last evening
        created, closed, due_after = (cast(func.date_trunc("month", c), Date)
                                      for c in (WO.c.created_on, WO.c.closed_on, WO.c.due_on + 1))
    stmt = (select(created, WO.c.kind, closed, due_after, func.count())
            .where(first.where(WO), WO.c.created_on >= min(rs.date_from for rs in resolved),
                   WO.c.created_on <= max(rs.date_to for rs in resolved))
            .group_by(created, WO.c.kind, closed, due_after))
    with eng.connect() as conn:
        got = conn.execute(stmt).all()

    def ym(v):
        return v if v is None or isinstance(v, str) else f"{v:%Y-%m}"

    groups = [(ym(m), kind, ym(closed_m), ym(due_m), n) for m, kind, closed_m, due_m, n in got]
    out = []
    for f, t, cut in spans:
        r = dict.fromkeys(WORK_ORDER_PARTS, 0)
        for m, kind, closed_m, due_m, n in groups:
            if f <= m <= t:
                r["total"] += n
                r[kind] += n
                if closed_m is not None and closed_m <= cut:
                    r["closed"] += n
                elif due_m <= cut:
                    r["overdue"] += n
        out.append(_work_orders_of(r))
    return out

FIGURES += declare("enforcement", work_orders, basis="period", figures=[
    fig("work_orders_reminder", "提醒类工单", "条", PERIOD + "平台生成的提醒类工单数（不分行业）", better=None, field="reminder"),
    fig("work_orders_supervision", "监督类工单", "条", PERIOD + "平台生成的监督类工单数（不分行业）", better=None,
        field="supervision"),
    fig("work_orders_closed", "已办结工单", "条", PERIOD + "生成、截至截止时间已办结的工单数（不分行业）", better="up", field="closed"),
    fig("work_orders_overdue", "超期未办结工单", "条", PERIOD + "生成、截至截止时间已过办理期限仍未办结的工单数（不分行业）",
        better="down", field="overdue"),
    fig("work_orders_closed_rate", "工单办结率", "%", "已办结工单 ÷ " + PERIOD + "生成的提醒、监督类工单（不分行业）", better="up",
        field="closed_rate", base="total"),
])


def joint_actions(scope: Scope, *, engine: Engine | None = None, limit: int = 500) -> pd.DataFrame:
    """Joint enforcement actions in the period, newest first."""
    eng, rs = prepare(scope, engine)
    stmt = (select(JA.c.action_on, JA.c.name, JA.c.departments, JA.c.enterprises_checked, JA.c.county_adcode)
            .where(rs.where(JA, "action_on")).order_by(JA.c.action_on.desc(), JA.c.id.desc()).limit(limit))
    df = frame(stmt, eng)
    df["county"] = [rs.ref.name(int(a)) for a in df["county_adcode"]]
    return df.drop(columns=["county_adcode"])


# the bound of the top list (``_candidates``): the period sums of the enterprises with the most hazards in the year
# (``SAMPLE`` × the list's length of them, in any region) give a floor; the bound is dropped when more than
# ``MAX_CANDIDATES`` enterprises' years reach it (summing every enterprise is then no dearer)
SAMPLE = 20
MAX_CANDIDATES = 20_000


def _candidates(rs, eng, conn, keys: dict, limit: int):
    """The enterprises that can be among the first ``limit`` by hazards found in the period (a statement of their
    ids), from their years' cells (``seed.cells.ENTERPRISE_YEAR``), read on ``conn`` (the list must be read in the
    same snapshot: a hazard deleted in between could lower the list below the floor); ``None`` where the bound does
    not serve (a period not within one calendar year, an as-of time before the newest hazard) or would not narrow
    the read. Exact: when ``limit`` enterprises of the scope have at least F hazards in the period, the
    ``limit``-th most has at least F, and an enterprise with F in the period has at least F in its year."""
    f, t = rs.date_from, rs.date_to
    if limit <= 0 or f is None or t is None or f.year != t.year or not cells.usable(rs, eng, cell_spec.YEAR_FACT):
        return None
    in_year = and_(EY.c.fact == cell_spec.YEAR_FACT.name, EY.c.month == dt.date(f.year, 1, 1))
    sample = select(EY.c.enterprise_id).where(in_year).order_by(EY.c.n.desc()).limit(limit * SAMPLE)
    u = cells.rows(rs, eng, "hazards", keys, per_enterprise=True, enterprises=sample)
    found = cells.total(u.c.n)
    sums = conn.execute(select(found).group_by(u.c.enterprise_id).having(func.sum(u.c.n) > 0)
                        .order_by(found.desc()).limit(limit)).scalars().all()
    if len(sums) < limit or sums[-1] <= 1:
        return None
    floor = int(sums[-1])
    if conn.execute(select(func.count()).where(in_year, EY.c.n >= floor)).scalar() > MAX_CANDIDATES:
        return None
    return select(EY.c.enterprise_id).where(in_year, EY.c.n >= floor)


def _with_enterprise(haz, eng_or_conn, rs) -> pd.DataFrame:
    """The top list ``haz`` (a subquery of enterprise ids and their counts) with the enterprises' names and places."""
    stmt = (select(E.c.id, E.c.name, E.c.uscc, E.c.county_adcode, E.c.sector_code, haz.c.hazards_found,
                   haz.c.hazards_open, haz.c.major_hazards)
            .select_from(haz.join(E, E.c.id == haz.c.enterprise_id))
            .order_by(haz.c.hazards_found.desc(), E.c.id))
    df = frame(stmt, eng_or_conn)
    df["county"] = [rs.ref.name(int(a)) for a in df["county_adcode"]]
    df["sector"] = [rs.ref.industries[s].name for s in df["sector_code"]]
    return df.drop(columns=["county_adcode", "sector_code"])


def enterprises(scope: Scope, *, engine: Engine | None = None, limit: int = 100) -> pd.DataFrame:
    """Enterprises with the most hidden hazards found in the period (the drill-down's last level): from the hazards'
    cells per enterprise where they serve the scope, only the candidates' where their years bound the list."""
    eng, rs = prepare(scope, engine)
    keys = {"enterprise_id": lambda t, day: t.c.enterprise_id}
    u = cells.rows(rs, eng, "hazards", keys, per_enterprise=True)
    if u is not None:  # the hazards' cells per enterprise and month (where they serve; a = major, b = rectified)
        with one_snapshot(eng) as conn:
            cand = _candidates(rs, eng, conn, keys, limit)
            if cand is not None:
                u = cells.rows(rs, eng, "hazards", keys, per_enterprise=True, enterprises=cand)
            found = cells.total(u.c.n)
            haz = (select(u.c.enterprise_id, found.label("hazards_found"),
                          (found - cells.total(u.c.b)).label("hazards_open"),
                          cells.total(u.c.a).label("major_hazards"))
                   .group_by(u.c.enterprise_id).having(func.sum(u.c.n) > 0)
                   .order_by(found.desc(), u.c.enterprise_id).limit(limit).subquery())
            return _with_enterprise(haz, conn, rs)
    haz = (select(H.c.enterprise_id, func.count().label("hazards_found"),
                  func.sum(case((or_(H.c.rectified_on.is_(None), ~rs.by_as_of(H.c.rectified_on)), 1), else_=0))
                  .label("hazards_open"),
                  func.sum(case((H.c.major, 1), else_=0)).label("major_hazards"))
           .where(rs.where(H, "found_on")).group_by(H.c.enterprise_id)
           .order_by(func.count().desc(), H.c.enterprise_id).limit(limit).subquery())
    return _with_enterprise(haz, eng, rs)
