"""Four-level warnings (重大/较大/一般/低 = 红/橙/黄/蓝): distribution, handling times, SMS pushes, lifecycle.

Period figures count warnings raised in the period. "Open" means not closed (消警) now, or at the as-of time.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, case, func, or_, select

from queries.base import day_of, frame, minutes_between, name_children, one_place, prepare, row, together
from queries.figure_defs import PERIOD, declare, fig
from queries.labels import LEVEL_NAMES, WARNING_STAGE_NAMES, WARNING_TYPES
from queries.memo import shared
from queries.scope import MIN_DATE, Scope, ScopeError
from seed.schema import enterprises as E, monitoring_points as MP, sms_pushes as SMS, warnings as W


# the warnings pages' own time window (live data are relative to the wall clock, not to the enforcement period)
WINDOWS = {"1d": "最近24小时", "7d": "最近7天", "30d": "最近30天"}
DEFAULT_WINDOW = "7d"


def window_dates(win: str, *, today: dt.date | None = None,
                 as_of: dt.datetime | None = None) -> tuple[dt.date, dt.date]:
    """(date_from, date_to) of a window ``1d | 7d | 30d`` ending today (or on the as-of day if earlier).

    Periods are whole days: 最近24小时 = yesterday and today (covers the last 24 hours), 最近7天 = the last 7
    calendar days incl. today, 最近30天 = the last 30.
    """
    if win not in WINDOWS:
        raise ScopeError(f"未知的预警时间范围：{str(win)[:20]}")
    end = today or dt.date.today()
    if as_of is not None:
        end = min(end, as_of.date())
    days = {"1d": 1, "7d": 6, "30d": 29}[win]
    # an as-of at the first day a scope accepts: the window starts there (not days before it, which is refused)
    return max(end - dt.timedelta(days=days), min(end, MIN_DATE)), end


def _by_as_of(rs, col):
    """A lifecycle step that had happened by the as-of time (or at all, without one)."""
    return and_(col.is_not(None), rs.by_as_of(col))


def _open(rs):
    return and_(rs.where(W), rs.open_at(W.c.closed_at))


def _level_sums(cond=None):
    return [func.coalesce(func.sum(case(((W.c.level == lv) if cond is None else and_(W.c.level == lv, cond), 1),
                                        else_=0)), 0).label(f"level_{lv}") for lv in (1, 2, 3, 4)]


def _open_statement(rs):
    return (select(func.count().label("open"), *(c.label(f"open_{c.name}") for c in _level_sums()),
                   func.max(W.c.raised_at).label("newest_open"))
            .where(_open(rs)))


def _open_figures(r) -> dict[str, Any]:
    return {"open": int(r["open"]), "open_by_level": {lv: int(r[f"open_level_{lv}"]) for lv in (1, 2, 3, 4)}}


def open_counts(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """``summary``'s moment figures alone: warnings open at the as-of time (or now), by level — what the tiles'
    comparisons ask at a dozen earlier moments (a quarter of a summary's time at the province)."""
    eng, rs = prepare(scope, engine)
    return _open_figures(row(_open_statement(rs), eng))


def open_counts_many(scopes: list[Scope], *, engine: Engine | None = None,
                     partial: bool = False) -> list[dict[str, Any] | None]:
    """``[open_counts(s) for s in scopes]`` in one statement for the scopes of the first one's place (region and
    industry): the comparisons' dozen earlier moments of 未消警, one pass over the warnings open at any of them with
    each moment's counts in columns of their own, instead of a statement each. Another place is ``open_counts(s)``,
    or with ``partial`` None."""
    if not scopes:
        return []
    eng, resolved, batch = one_place(scopes, engine)
    cols = []
    for j, i in enumerate(batch):
        is_open = _open(resolved[i])  # each moment's own condition (its as-of time, what was recorded by then)
        cols += [func.coalesce(func.sum(case((is_open, 1), else_=0)), 0).label(f"open_{j}"),
                 *(c.label(f"open_{c.name}_{j}") for c in _level_sums(is_open))]
    # the rows any of them can count: the place's warnings not closed by the earliest moment
    times = [resolved[i].as_of for i in batch if resolved[i].as_of is not None]
    closed_after = W.c.closed_at.is_(None) if not times else or_(W.c.closed_at.is_(None), W.c.closed_at > min(times))
    first = resolved[0]
    got = row(select(*cols).where(first.region_filter(W), first.industry_filter(W), closed_after), eng)
    out: list[dict[str, Any] | None] = [None] * len(scopes)
    for j, i in enumerate(batch):
        out[i] = _open_figures({k: got[f"{k}_{j}"] for k in ("open", *(f"open_level_{lv}" for lv in (1, 2, 3, 4)))})
    return [r if r is not None or partial else open_counts(s, engine=eng) for s, r in zip(scopes, out)]


open_counts.many = open_counts_many  # type: ignore[attr-defined]


@shared
def summary(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """Open warnings by level, warnings raised in the period, handling times and SMS pushes."""
    eng, rs = prepare(scope, engine)
    open_ = _open_statement(rs)
    ack_min = minutes_between(W.c.raised_at, W.c.acknowledged_at, eng)
    close_min = minutes_between(W.c.raised_at, W.c.closed_at, eng)
    acked = _by_as_of(rs, W.c.acknowledged_at)
    closed = _by_as_of(rs, W.c.closed_at)
    period = select(
        func.count().label("raised"),
        func.coalesce(func.sum(W.c.repeat_count), 0).label("alarms"),
        func.coalesce(func.sum(case((closed, 1), else_=0)), 0).label("closed"),
        func.coalesce(func.sum(case((acked, 1), else_=0)), 0).label("acknowledged"),
        func.avg(case((acked, ack_min))).label("avg_ack_min"),
        func.avg(case((closed, close_min))).label("avg_close_min"),
        func.max(W.c.raised_at).label("newest_raised"),
        *_level_sums(),
    ).where(rs.where(W, "raised_at"))
    sms = (select(func.count().label("sms_sent"),
                  func.coalesce(func.sum(case((SMS.c.status == "failed", 1), else_=0)), 0).label("sms_failed"))
           .select_from(SMS.join(W, W.c.id == SMS.c.warning_id))
           .where(rs.where(W, "raised_at"), rs.recorded_filter(SMS)))
    # three one-row aggregates in one statement (the tiles' comparisons run this at 28 moments and periods)
    r = row(together([open_, period, sms]), eng)
    return {
        **_open_figures(r),
        "raised": int(r["raised"]),
        "raised_by_level": {lv: int(r[f"level_{lv}"]) for lv in (1, 2, 3, 4)},
        "alarms_merged": int(r["alarms"]) - int(r["raised"]),
        "acknowledged": int(r["acknowledged"]),
        "closed": int(r["closed"]),
        "avg_ack_min": round(float(r["avg_ack_min"] or 0), 1),
        "avg_close_min": round(float(r["avg_close_min"] or 0), 1),
        "sms_sent": int(r["sms_sent"]),
        "sms_failed": int(r["sms_failed"]),
        "newest_raised": r["newest_raised"] or r["newest_open"] or None,
    }


FIGURES = declare("warnings", summary, basis="period", moment_source=open_counts, figures=[
    fig("open", "未消警预警", "条", "截至当前（或截止时间）尚未消警的预警数", better="down", basis="cutoff",
        moment=True),
    *[fig(f"open_level_{lv}", f"未消警{LEVEL_NAMES[lv]}预警", "条",
          f"截至当前（或截止时间）尚未消警的{LEVEL_NAMES[lv]}（{'红橙黄蓝'[lv - 1]}色）预警数", better="down",
          basis="cutoff", field=lambda r, lv=lv: r["open_by_level"][lv], moment=True)
      for lv in (1, 2, 3, 4)],
    fig("raised", "预警", "条", PERIOD + "产生的预警数（同一点位重复报警合并为一条）", better="down"),
    fig("alarms_merged", "合并的重复报警", "次", PERIOD + "预警中合并的重复报警次数", better=None),
    fig("closed", "已消警预警", "条", PERIOD + "产生且截至截止时间已消警的预警数", better="up"),
    fig("avg_ack_min", "平均签收时长", "分钟", PERIOD + "已签收预警从产生到签收的平均分钟数", better="down",
        base="acknowledged"),
    fig("avg_close_min", "平均消警时长", "分钟", PERIOD + "已消警预警从产生到消警的平均分钟数", better="down",
        base="closed"),
    fig("sms_sent", "预警短信推送", "条", PERIOD + "预警推送给企业负责人和属地监管部门的短信数", better=None),
])


def by_level(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """Per level: raised in the period, still open, closed, and average minutes to acknowledge and close."""
    eng, rs = prepare(scope, engine)
    acked = _by_as_of(rs, W.c.acknowledged_at)
    closed = _by_as_of(rs, W.c.closed_at)
    df = frame(select(W.c.level, func.count().label("raised"),
                      func.sum(case((closed, 1), else_=0)).label("closed"),
                      func.avg(case((acked, minutes_between(W.c.raised_at, W.c.acknowledged_at, eng))))
                      .label("avg_ack_min"),
                      func.avg(case((closed, minutes_between(W.c.raised_at, W.c.closed_at, eng))))
                      .label("avg_close_min"))
               .where(rs.where(W, "raised_at")).group_by(W.c.level), eng)
    base = pd.DataFrame({"level": [1, 2, 3, 4], "level_name": [LEVEL_NAMES[i] for i in (1, 2, 3, 4)]})
    df = base.merge(df, on="level", how="left").fillna(0)
    df["raised"] = df["raised"].astype(int)
    df["closed"] = df["closed"].astype(int)
    df["open"] = df["raised"] - df["closed"]
    df["avg_ack_min"] = df["avg_ack_min"].astype(float).round(1)
    df["avg_close_min"] = df["avg_close_min"].astype(float).round(1)
    return df


def by_type(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    eng, rs = prepare(scope, engine)
    df = frame(select(W.c.type, func.count().label("raised"), *_level_sums())
               .where(rs.where(W, "raised_at")).group_by(W.c.type).order_by(func.count().desc(), W.c.type), eng)
    df.insert(1, "type_name", [WARNING_TYPES.get(t, t) for t in df["type"]])
    return df


def by_region(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """Per child region: warnings raised in the period by level, and open now (or at as-of)."""
    eng, rs = prepare(scope, engine)
    g = rs.group_column(W)
    raised = frame(select(g.label("adcode"), func.count().label("raised"), *_level_sums())
                   .where(rs.where(W, "raised_at")).group_by(g), eng)
    open_ = frame(select(g.label("adcode"), func.count().label("open"))
                  .where(_open(rs)).group_by(g), eng)
    # always every column: a period before the warning history has no raised rows (but maybe open ones)
    df = raised.merge(open_, on="adcode", how="outer")
    df = name_children(df, rs)
    for c in df.columns[2:]:
        df[c] = df[c].astype(int)
    return df


def by_sector(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    eng, rs = prepare(scope, engine)
    df = frame(select(W.c.sector_code.label("sector"), func.count().label("raised"), *_level_sums())
               .where(rs.where(W, "raised_at")).group_by(W.c.sector_code).order_by(func.count().desc(), W.c.sector_code), eng)
    df.insert(1, "sector_name", [rs.ref.industries[s].name for s in df["sector"]])
    return df


def by_day(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """Warnings raised per day and level in the period."""
    eng, rs = prepare(scope, engine)
    d = day_of(W.c.raised_at, eng)
    df = frame(select(d.label("day"), *_level_sums(), func.count().label("raised"))
               .where(rs.where(W, "raised_at")).group_by(d).order_by(d), eng)
    df["day"] = pd.to_datetime(df["day"]).dt.date
    return df


_STAGE_ORDER = (("closed", "closed_at"), ("verified", "verified_at"), ("acknowledged", "acknowledged_at"),
                ("pushed", "pushed_at"))


def _stages(df: pd.DataFrame) -> list[str]:
    """Each row's stage: the last lifecycle step it has a time for (raised when none), column by column (a loop over
    the rows as dicts was a quarter of the listing's time)."""
    reached = [df[col].notna().to_numpy() for _, col in _STAGE_ORDER]
    names = [WARNING_STAGE_NAMES[key] for key, _ in _STAGE_ORDER]
    return np.select(reached, names, default=WARNING_STAGE_NAMES["raised"]).tolist() if len(df) else []


def listing(scope: Scope, *, engine: Engine | None = None, open_only: bool = False, limit: int = 100,
            level: int | None = None) -> pd.DataFrame:
    """Newest warnings (raised in the period; or all open ones), with enterprise, level and stage."""
    eng, rs = prepare(scope, engine)
    cond = _open(rs) if open_only else rs.where(W, "raised_at")
    if level is not None:
        cond = and_(cond, W.c.level == int(level))
    stmt = (select(W.c.id, W.c.code, W.c.level, W.c.type, W.c.title, E.c.name.label("enterprise"), W.c.county_adcode,
                   W.c.raised_at, W.c.repeat_count, W.c.pushed_at, W.c.acknowledged_at, W.c.verified_at,
                   W.c.closed_at)
            .select_from(W.join(E, E.c.id == W.c.enterprise_id)).where(cond))
    order = (W.c.level, W.c.raised_at.desc(), W.c.id.desc()) if open_only else (W.c.raised_at.desc(), W.c.id.desc())
    stmt = stmt.order_by(*order)
    df = frame(stmt.limit(limit), eng)
    for c in ("raised_at", "pushed_at", "acknowledged_at", "verified_at", "closed_at"):
        df[c] = pd.to_datetime(df[c])
    if rs.as_of is not None:  # hide lifecycle steps that came after the as-of time
        for c in ("pushed_at", "acknowledged_at", "verified_at", "closed_at"):
            df.loc[df[c] > rs.as_of, c] = pd.NaT
    df["level_name"] = [LEVEL_NAMES[v] for v in df["level"].tolist()]
    df["type_name"] = [WARNING_TYPES.get(t, t) for t in df["type"].tolist()]
    df["county"] = [rs.ref.name(a) for a in df["county_adcode"].tolist()]
    df["stage"] = _stages(df)
    return df.drop(columns=["county_adcode"])


def lifecycle(warning_id: int, scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """One warning: its steps raised → pushed → acknowledged → verified → closed, and its SMS pushes.

    Each step carries ``at`` (None if not reached by now / the as-of time), ``since_prev_min`` (minutes since
    the previous reached step) and ``since_raised_min``; ``sms`` is the pushes' table.
    """
    eng, rs = prepare(scope, engine)
    w = row(select(W, E.c.name.label("enterprise"), MP.c.name.label("point_name"), MP.c.unit,
                   MP.c.high_alarm, MP.c.high_high_alarm)
            .select_from(W.join(E, E.c.id == W.c.enterprise_id).outerjoin(MP, MP.c.id == W.c.point_id))
            .where(W.c.id == warning_id, rs.region_filter(W), rs.recorded_filter(W)), eng)
    if not w:
        raise ScopeError("该预警不存在或不在您的权限范围内")
    steps = []
    for key, col in (("raised", "raised_at"), ("pushed", "pushed_at"), ("acknowledged", "acknowledged_at"),
                     ("verified", "verified_at"), ("closed", "closed_at")):
        t = w.get(col) or None
        if isinstance(t, str):
            t = dt.datetime.fromisoformat(t)
        if t is not None and rs.as_of is not None and t > rs.as_of:
            t = None
        steps.append({"step": key, "name": WARNING_STAGE_NAMES[key], "at": t})
    # minutes from the previous completed step and from raising (None where the step has not happened)
    prev = None
    for s in steps:
        t = s["at"]
        s["since_prev_min"] = (round((t - prev).total_seconds() / 60.0, 1)
                               if t is not None and prev is not None else None)
        s["since_raised_min"] = (round((t - steps[0]["at"]).total_seconds() / 60.0, 1)
                                 if t is not None and steps[0]["at"] is not None else None)
        if t is not None:
            prev = t
    sms = frame(select(SMS.c.recipient_kind, SMS.c.recipient, SMS.c.phone, SMS.c.sent_at, SMS.c.status)
                .where(SMS.c.warning_id == warning_id, rs.recorded_filter(SMS)).order_by(SMS.c.id), eng)
    w["level_name"] = LEVEL_NAMES[int(w["level"])]
    w["type_name"] = WARNING_TYPES.get(w["type"], w["type"])
    w["county"] = rs.ref.name(int(w["county_adcode"]))
    return {"warning": w, "steps": steps, "sms": sms}
