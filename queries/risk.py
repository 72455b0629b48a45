"""Industrial enterprise safety risk reports (江苏省工业企业安全生产风险报告规定, 省政府令第140号).

Completion is a to-date figure taken at the scope's cut-off (the end of its period, or its as-of time):
completed = above-scale enterprises in scope with a report submitted by the cut-off and recorded by the as-of
time; required = above-scale enterprises in scope with a reporting obligation recorded by then.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, case, distinct, func, literal_column, select

from queries import cells, derived
from queries.base import day_of, frame, gathered, name_children, pct, per_group, prepare, row
from queries.figure_defs import PERIOD, declare, fig
from queries.labels import LEVEL_NAMES, VERIFICATION
from queries.memo import shared
from queries.scope import Scope
from seed.cells import CATALOGUE, FIRST_REPORTS
from seed.schema import (
    enterprises as E, risk_items as RI, risk_obligations as RO, risk_reports as RR, training_sessions as TS,
)


def _reports(rs):
    """Reports in scope submitted by the cut-off and recorded by the as-of time."""
    return and_(rs.where(RR), rs.until_cutoff(RR.c.submitted_at))


def _required(rs, above_only=True):
    conds = [rs.where(RO), RO.c.kind == "initial"]
    if above_only:
        conds.append(RO.c.above_scale.is_(True))
    return and_(*conds)


def _obligations(rs, eng):
    """How many obligations the statement's reports (or group) cover: ``COUNT(DISTINCT obligation_id)``, or with
    the derived columns (``queries.derived``) the count of the obligations' first reports — an obligation has a
    report by the cut-off iff its first report was submitted by then."""
    if not derived.usable(rs, RR, eng):
        return func.count(distinct(RR.c.obligation_id))
    return func.coalesce(func.sum(case((RR.c.first_for_obligation, 1), else_=0)), 0)


def _completed(rs, eng, *keys):
    """Statement: above-scale enterprises' initial obligations with a report by the cut-off (``completed``), per
    ``keys`` — distinct obligations of the reports joined to their obligations, or with the derived columns the
    reports that are the first of such an obligation (no join, no DISTINCT)."""
    if derived.usable(rs, RR, eng):
        return select(*keys, func.coalesce(func.sum(case((RR.c.first_for_required, 1), else_=0)), 0)
                      .label("completed")).where(_reports(rs))
    return (select(*keys, func.count(distinct(RR.c.obligation_id)).label("completed"))
            .select_from(RR.join(RO, RO.c.id == RR.c.obligation_id))
            .where(_reports(rs), RO.c.above_scale.is_(True), RO.c.kind == "initial"))


def _item_sums(fast: bool, total: bool = True) -> list:
    """较大以上 and 重大 risk items (and all items) of the statement's reports: from the reports' derived item
    counts, or by joining ``risk_items`` (then the statement must select from ``_with_items``)."""
    if fast:
        cols = [func.coalesce(func.sum(RR.c.items_major_or_above), 0).label("risks_major_or_above"),
                func.coalesce(func.sum(RR.c.items_major), 0).label("risks_major")]
        return cols + ([func.coalesce(func.sum(RR.c.items_total), 0).label("risk_items")] if total else [])
    cols = [func.coalesce(func.sum(case((RI.c.level <= 2, 1), else_=0)), 0).label("risks_major_or_above"),
            func.coalesce(func.sum(case((RI.c.level == 1, 1), else_=0)), 0).label("risks_major")]
    return cols + ([func.count().label("risk_items")] if total else [])


def _with_items(fast: bool):
    return RR if fast else RI.join(RR, RR.c.id == RI.c.report_id)


def _required_now(rs, eng) -> dict[str, Any]:
    """The obligations (应报, of above-scale enterprises and of all) and the earliest deadline: what completion takes
    of every obligation recorded by the as-of time, whatever the cut-off."""
    req = _cell_sums(rs, eng, "obligations", (("a", "required"), ("n", "required_all")), all_time=True)
    if req is None:
        req = {**row(select(func.count().label("required")).where(_required(rs)), eng),
               **row(select(func.count().label("required_all")).where(_required(rs, above_only=False)), eng)}
    # the earliest deadline: the first matching entries of the region's index by due date (the due-date index for
    # the whole province) rather than a count of every row
    deadline = row(select(func.min(RO.c.due_on).label("due_on")).where(_required(rs)), eng)
    return {**req, **deadline}


# the reports' cells completion sums up to its cut-off: fact -> ((cell column, figure), …)
_REPORT_CELLS = {
    "reports_done": (("a", "completed"), ("b", "completed_all")),
    "reports_quality": (("n", "reports"), ("a", "zero_risk_reports"), ("b", "key_control"),
                        ("amount_fen", "under_reported")),
    "reports_items": (("a", "risks_major_or_above"), ("b", "risks_major"), ("amount_fen", "risk_items")),
}


@shared
def completion(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """Completion of the risk reports of above-scale enterprises, and what the reports say."""
    eng, rs = prepare(scope, engine)
    req = _required_now(rs, eng)
    done = _cell_sums(rs, eng, "reports_done", _REPORT_CELLS["reports_done"])
    if done is None:
        done = {**row(_completed(rs, eng), eng),
                **row(select(_obligations(rs, eng).label("completed_all")).where(_reports(rs)), eng)}
    rep = _cell_sums(rs, eng, "reports_quality", _REPORT_CELLS["reports_quality"])
    if rep is None:
        rep = row(select(
            func.count().label("reports"),
            func.coalesce(func.sum(case((RR.c.zero_risk, 1), else_=0)), 0).label("zero_risk_reports"),
            func.coalesce(func.sum(case((RR.c.key_control, 1), else_=0)), 0).label("key_control"),
            func.coalesce(func.sum(case((and_(RR.c.verification == "under_reported", rs.by_as_of(RR.c.verified_on)),
                                         1), else_=0)), 0).label("under_reported"),
        ).where(_reports(rs)), eng)
    items = _cell_sums(rs, eng, "reports_items", _REPORT_CELLS["reports_items"])
    if items is None:
        fast = derived.enabled()  # item counts belong to their report: right at any as-of
        items = row(select(*_item_sums(fast)).select_from(_with_items(fast)).where(_reports(rs)), eng)
    return _completion_of({**req, **done, **rep, **items}, rs)


def _completion_of(out: dict[str, Any], rs) -> dict[str, Any]:
    """``completion``'s result from its counts and earliest deadline (``due_on``) at the scope's cut-off."""
    due = out.pop("due_on") or None
    if isinstance(due, str):
        due = dt.date.fromisoformat(due)
    out = {k: int(v) for k, v in out.items()}
    out["completion_rate"] = pct(out["completed"], out["required"])
    out["outstanding"] = out["required"] - out["completed"]
    out["completion_rate_all"] = pct(out["completed_all"], out["required_all"])
    out["due_on"] = due
    cut = (rs.cutoff or dt.datetime.now()).date()
    out["days_to_deadline"] = (due - cut).days if due else None
    return out


def completions(scopes: list[Scope], *, engine: Engine | None = None,
                partial: bool = False) -> list[dict[str, Any] | None]:
    """``[completion(s) for s in scopes]`` for scopes of one place and industry at different cut-offs (the
    comparisons' earlier months): the cut-offs at whole months' ends read the reports' cells once — the three
    report facts by month up to the latest of those months, summed per cut-off here (one statement for all instead
    of three each) — and the obligations and the earliest deadline once per as-of time (they do not depend on the
    cut-off). Any other scope (a mid-month or mid-day cut-off, an as-of time the cells cannot serve, another place)
    is ``completion(s)``, or with ``partial`` None (the caller runs those beside the batch)."""
    if not scopes:
        return []
    eng = engine or prepare(scopes[0], None)[0]

    resolved, lasts = cells.batchable(scopes, eng, (*_REPORT_CELLS, "obligations"), cells.cutoff_month)
    out: list[dict[str, Any] | None] = [None] * len(scopes)
    if len(lasts) > 1:
        with eng.connect() as conn:
            got = conn.execute(cells.by_month(resolved[0], tuple(_REPORT_CELLS), None, max(lasts.values()))).all()
        required: dict = {}
        for i, last in lasts.items():
            rs = resolved[i]
            if rs.as_of not in required:
                required[rs.as_of] = _required_now(rs, eng)
            sums = {fact: {"n": 0, "a": 0, "b": 0, "amount_fen": 0} for fact in _REPORT_CELLS}
            for fact, month, n, a, b, y in got:
                if cells.as_date(month) <= last:
                    acc = sums[fact]
                    for c, v in (("n", n), ("a", a), ("b", b), ("amount_fen", y)):
                        acc[c] += int(v)
            counts = {label: sums[fact][c] for fact, cols in _REPORT_CELLS.items() for c, label in cols}
            out[i] = _completion_of({**required[rs.as_of], **counts}, rs)
    return [r if r is not None or partial else completion(s, engine=eng) for s, r in zip(scopes, out)]


completion.many = completions  # type: ignore[attr-defined]


FIGURES = declare("risk", completion, basis="cutoff", figures=[
    fig("required", "应报规上工业企业", "家", "截至截止时间负有首次风险报告义务的规模以上工业企业数", better=None),
    fig("completed", "已完成风险报告的规上企业", "家", "截至截止时间已提交并入库风险报告的规模以上工业企业数", better="up",
        short="已完成上报企业"),
    fig("completion_rate", "风险报告完成上报率", "%", "已完成风险报告的规上企业 ÷ 应报规上工业企业", better="up",
        base="required"),
    fig("outstanding", "未完成上报企业", "家", "应报规上工业企业 − 已完成风险报告的规上企业（截至截止时间）", better="down"),
    fig("risks_major_or_above", "上报较大以上风险", "条", "截至截止时间已入库报告中较大及重大风险条数", better=None),
    fig("risks_major", "上报重大风险", "条", "截至截止时间已入库报告中重大风险条数", better=None),
    fig("zero_risk_reports", "“零风险”报告", "份", "未报告较大以上风险的报告数", better="down"),
    fig("key_control", "纳入重点管控清单", "家", "高危行业“零风险”等疑似瞒报漏报、纳入重点管控清单的报告数", better="down"),
])


def _cell_sums(rs, eng, fact: str, cols, *, all_time: bool = False, key=None):
    """``cells.sums`` over the reports submitted up to the cut-off (with ``all_time``: over every obligation
    recorded; with ``key``, per group); ``None`` when the cells cannot serve the scope."""
    return cells.sums(rs, eng, fact, cols, key, to_date=not all_time, all_time=all_time)


def _cell_statement(rs, eng, fact: str, cols, key, *, all_time: bool = False, nonzero: str = "n"):
    """The grouped statement of ``_cell_sums``, or ``None``."""
    return cells.sums_statement(rs, eng, fact, cols, key, to_date=not all_time, all_time=all_time, nonzero=nonzero)


GROUPED = ["required", "completed", "risks_major_or_above", "risks_major", "zero_risk_reports", "key_control"]


def _grouped(rs, eng, key) -> pd.DataFrame:
    """Per-group obligations, completed obligations, reported risks, zero-risk reports and key-control entries
    (reports from the maintained aggregates where they serve the scope), gathered over one connection."""
    fast = derived.enabled()

    def part(fact: str, cols, rows_stmt, **kw):  # the cells' statement where they serve, else the rows' (built then)
        stmt = _cell_statement(rs, eng, fact, cols, key, **kw)
        return rows_stmt() if stmt is None else stmt

    parts = [
        part("obligations", (("a", "required"),),
             lambda: select(key(RO).label("k"), func.count().label("required")).where(_required(rs)).group_by(key(RO)),
             all_time=True, nonzero="a"),
        part("reports_done", (("a", "completed"),), lambda: _completed(rs, eng, key(RR).label("k")).group_by(key(RR))),
        part("reports_items", (("a", "risks_major_or_above"), ("b", "risks_major")),
             lambda: select(key(RR).label("k"), *_item_sums(fast, total=False))
             .select_from(_with_items(fast)).where(_reports(rs)).group_by(key(RR))),
        part("reports_quality", (("a", "zero_risk_reports"), ("b", "key_control")),
             lambda: select(key(RR).label("k"), func.sum(case((RR.c.zero_risk, 1), else_=0)).label("zero_risk_reports"),
                            func.sum(case((RR.c.key_control, 1), else_=0)).label("key_control"))
             .where(_reports(rs)).group_by(key(RR))),
    ]
    df = per_group(gathered(parts, eng), GROUPED)
    df["completion_rate"] = [pct(a, b) for a, b in zip(df["completed"], df["required"])]
    return df


def by_region(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    eng, rs = prepare(scope, engine)
    df = _grouped(rs, eng, rs.group_column).rename(columns={"k": "adcode"})
    df["adcode"] = df["adcode"].astype(int)
    df = name_children(df, rs)
    df["completion_rate"] = [pct(a, b) for a, b in zip(df["completed"], df["required"])]
    return df


def by_sector(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    eng, rs = prepare(scope, engine)
    df = _grouped(rs, eng, lambda t: t.c.sector_code).rename(columns={"k": "sector"})
    df.insert(1, "sector_name", [rs.ref.industries[s].name for s in df["sector"]])
    df.insert(2, "high_risk", [rs.ref.industries[s].high_risk for s in df["sector"]])
    return df.sort_values("required", ascending=False, ignore_index=True)


def trend(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """Cumulative completion of above-scale reports per day up to the cut-off (from the first reports' cells by
    day where they serve the scope: ``seed.cells.FIRST_REPORTS``)."""
    eng, rs = prepare(scope, engine)
    u = cells.rows(rs, eng, FIRST_REPORTS.facts[0].name, {"day": lambda t, day: day_of(day, eng)}, to_date=True,
                   store=FIRST_REPORTS)
    if u is not None:
        stmt = (select(u.c.day, cells.total(u.c.n).label("completed")).group_by(u.c.day)
                .having(func.sum(u.c.n) != 0).order_by(u.c.day))
    else:
        cond = (_reports(rs), RO.c.above_scale.is_(True), RO.c.kind == "initial")
        if derived.usable(rs, RR, eng):  # each obligation's first report, without grouping every report
            first = select(RR.c.submitted_at).where(_reports(rs), RR.c.first_for_required).subquery()
        else:
            first = (select(RR.c.obligation_id, func.min(RR.c.submitted_at).label("submitted_at"))
                     .select_from(RR.join(RO, RO.c.id == RR.c.obligation_id))
                     .where(*cond).group_by(RR.c.obligation_id).subquery())
        dd = day_of(first.c.submitted_at, eng)
        stmt = select(dd.label("day"), func.count().label("completed")).group_by(dd).order_by(dd)
    df = frame(stmt, eng)
    req = _cell_sums(rs, eng, "obligations", (("a", "required"),), all_time=True)
    required = int(req["required"] if req is not None
                   else row(select(func.count().label("n")).where(_required(rs)), eng)["n"] or 0)
    df["day"] = pd.to_datetime(df["day"]).dt.date
    df["completed"] = df["completed"].astype(int)
    df["cumulative"] = df["completed"].cumsum()
    df["rate"] = [pct(c, required) for c in df["cumulative"]]
    return df


def key_control(scope: Scope, *, engine: Engine | None = None, limit: int = 500) -> pd.DataFrame:
    """The key control list: zero-risk reports from high-risk sectors, with their on-site verification."""
    eng, rs = prepare(scope, engine)
    stmt = (select(E.c.id, E.c.name.label("enterprise"), RR.c.county_adcode, RR.c.sector_code, RR.c.submitted_at,
                   RR.c.zero_risk, RR.c.verification, RR.c.verified_on, RR.c.rectify_deadline)
            .select_from(RR.join(E, E.c.id == RR.c.enterprise_id))
            .where(_reports(rs), RR.c.key_control.is_(True)).order_by(RR.c.submitted_at.desc(), RR.c.id.desc()).limit(limit))
    df = frame(stmt, eng)
    if rs.as_of is not None:
        late = pd.to_datetime(df["verified_on"]) > pd.Timestamp(rs.as_of)
        df.loc[late, ["verification", "verified_on", "rectify_deadline"]] = None
    df["county"] = [rs.ref.name(int(a)) for a in df["county_adcode"]]
    df["sector"] = [rs.ref.industries[s].name for s in df["sector_code"]]
    df["verification_name"] = [VERIFICATION.get(v if isinstance(v, str) else None, "未核查") for v in df["verification"]]
    return df.drop(columns=["county_adcode", "sector_code"])


def key_control_summary(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """Quality control of the reports (Suqian practice): zero-risk reports from high-risk sectors, the key
    control list and its on-site verification at the as-of time.

    ``zero_risk_high_risk``: zero-risk reports whose sector is a high-risk one; ``key_control``: reports put on
    the key control list; ``confirmed`` / ``under_reported``: verified on site by the as-of time (under-reported
    ones get a rectification notice); ``unverified``: on the list, not yet verified.
    """
    eng, rs = prepare(scope, engine)
    high = sorted(c for c, i in rs.ref.industries.items() if i.kind == "sector" and i.high_risk)
    verified = rs.by_as_of(RR.c.verified_on)
    kc = RR.c.key_control.is_(True)
    # the list's entries from their own index (a few per cent of the reports); the zero-risk reports of high-risk
    # sectors from the reports' cells by sector where they serve the scope, else with them from the rows
    r = row(select(
        func.count().label("key_control"),
        func.coalesce(func.sum(case((and_(RR.c.verification == "confirmed", verified), 1), else_=0)), 0)
        .label("confirmed"),
        func.coalesce(func.sum(case((and_(RR.c.verification == "under_reported", verified), 1), else_=0)), 0)
        .label("under_reported"),
    ).where(_reports(rs), kc), eng)
    by_sector = _cell_sums(rs, eng, "reports_quality", (("a", "zero"),), key=lambda t: t.c.sector_code)
    if by_sector is not None:
        zero = sum(int(z) for k, z in zip(by_sector["k"], by_sector["zero"]) if k in high)
    else:
        zero = row(select(func.count().label("n")).where(_reports(rs), RR.c.zero_risk.is_(True),
                                                         RR.c.sector_code.in_(high)), eng)["n"]
    out = {"zero_risk_high_risk": zero, **{k: int(v or 0) for k, v in r.items()}}
    out["unverified"] = out["key_control"] - out["confirmed"] - out["under_reported"]
    out["verified_rate"] = pct(out["confirmed"] + out["under_reported"], out["key_control"])
    return out


def major_risks(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """较大以上 risks reported, by catalogue entry and level (from the items' cells by month, county and entry where
    they serve the scope: ``seed.cells.CATALOGUE``)."""
    eng, rs = prepare(scope, engine)
    u = cells.rows(rs, eng, CATALOGUE.facts[0].name, {
        "catalogue_code": lambda t, day: func.coalesce(t.c.catalogue_code, ""),  # (the cells' key holds no NULL)
        "name": lambda t, day: t.c.name, "level": lambda t, day: t.c.level}, to_date=True, store=CATALOGUE)
    if u is not None:
        risks = cells.total(u.c.n)
        stmt = (select(u.c.catalogue_code, u.c.name, u.c.level, risks.label("risks"))
                .group_by(u.c.catalogue_code, u.c.name, u.c.level).having(func.sum(u.c.n) != 0)
                .order_by(u.c.level, risks.desc(), u.c.catalogue_code, u.c.name))
    else:
        stmt = (select(RI.c.catalogue_code, RI.c.name, RI.c.level, func.count().label("risks"))
                .select_from(RI.join(RR, RR.c.id == RI.c.report_id))
                .where(_reports(rs), RI.c.level <= literal_column("2"))  # a constant: the partial index's predicate
                .group_by(RI.c.catalogue_code, RI.c.name, RI.c.level)
                # (no entry sorts first, as the cells' '' does: PostgreSQL sorts NULL last)
                .order_by(RI.c.level, func.count().desc(), func.coalesce(RI.c.catalogue_code, ""), RI.c.name))
    df = frame(stmt, eng)
    df["catalogue_code"] = [c or None for c in df["catalogue_code"]]
    df["level"] = df["level"].astype(int)
    df["risks"] = df["risks"].astype(int)
    df["level_name"] = [LEVEL_NAMES[int(v)] for v in df["level"]]
    return df


@shared
def training(scope: Scope, *, engine: Engine | None = None, topic: str | None = "risk_report") -> dict[str, Any]:
    """Training and deployment meetings held in the period, and their participants."""
    eng, rs = prepare(scope, engine)
    cond = [rs.where(TS, "held_on")]
    if topic:
        cond.append(TS.c.topic == topic)
    r = row(select(func.count().label("sessions"), func.coalesce(func.sum(TS.c.participants), 0).label("participants"),
                   func.coalesce(func.sum(TS.c.enterprises), 0).label("enterprises")).where(*cond), eng)
    return {k: int(v) for k, v in r.items()}


FIGURES += declare("risk", training, basis="period", figures=[
    fig("training_sessions", "推进部署会、教育培训会", "场", PERIOD + "召开的风险报告推进部署会、培训会场次", better="up",
        field="sessions"),
    fig("training_participants", "参培人员", "人次", PERIOD + "风险报告培训参培人次", better="up", field="participants"),
])
