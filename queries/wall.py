"""What the duty-room wall screen reads: the live pulse of the monitoring network, open warnings on the map,
the newest data time of every topic, and the freshness rule. No Streamlit here.

"Live" figures are taken now (no period): open warnings, points by state, the newest reading. The wall's
freshness is judged by the newest reading the monitoring network delivered (``newest_reading``): warnings
may be quiet for hours, readings arrive every few seconds while the feed runs.
"""
from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, case, func, select

from queries import hazards
from queries.base import frame, name_children, pct, prepare, row
from queries.scope import Scope
from seed.schema import (
    credit_ratings as CR, enterprises as E, inspections as IN, monitoring_points as MP, point_state as PS,
    risk_reports as RR, warnings as W,
)

STALE_AMBER_S = 120  # no new reading for 2 minutes: amber
STALE_RED_S = 300  # 5 minutes: red, 数据中断


def stale_thresholds() -> tuple[float, float]:
    """(amber, red) seconds; ``OVERSIGHT_STALE_AMBER_S`` / ``OVERSIGHT_STALE_RED_S`` override the defaults."""
    def num(name: str, default: float) -> float:
        try:
            v = float(os.environ.get(name, "") or default)
            return v if v > 0 else default
        except ValueError:
            return default
    amber = num("OVERSIGHT_STALE_AMBER_S", STALE_AMBER_S)
    red = num("OVERSIGHT_STALE_RED_S", STALE_RED_S)
    return amber, max(red, amber)


def freshness(data_time: dt.datetime | None, now: dt.datetime, *, amber_s: float = STALE_AMBER_S,
              red_s: float = STALE_RED_S) -> str:
    """``fresh`` | ``amber`` | ``red`` for data whose newest item is from ``data_time`` (None: red).

    Amber from ``amber_s`` seconds of age, red from ``red_s`` (both inclusive). Data "from the future" (clock
    skew between hosts) count as fresh.
    """
    if data_time is None or pd.isna(data_time):
        return "red"
    if isinstance(data_time, str):
        data_time = dt.datetime.fromisoformat(data_time)
    age = (now - data_time).total_seconds()
    if age >= red_s:
        return "red"
    if age >= amber_s:
        return "amber"
    return "fresh"


def _dt(v):
    if v is None:
        return None
    if isinstance(v, str):
        return dt.datetime.fromisoformat(v)
    return v


def _open(rs):
    return and_(rs.where(W), W.c.closed_at.is_(None))


def pulse(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """The wall's heartbeat: newest reading, points by live state, open warnings by level (and how many are
    not acknowledged yet), the newest open 重大/较大 warning, and warnings raised today by level."""
    eng, rs = prepare(scope, engine)
    pts = row(select(
        func.count().label("points"),
        func.coalesce(func.sum(case((PS.c.status == "alarm", 1), else_=0)), 0).label("points_alarm"),
        func.coalesce(func.sum(case((PS.c.status == "offline", 1), else_=0)), 0).label("points_offline"),
        func.max(PS.c.reading_at).label("newest_reading"),
    ).select_from(MP.join(PS, PS.c.point_id == MP.c.id)).where(rs.where(MP)), eng)
    lv = [func.coalesce(func.sum(case((W.c.level == i, 1), else_=0)), 0).label(f"open_{i}") for i in (1, 2, 3, 4)]
    op = row(select(func.count().label("open"), *lv,
                    func.coalesce(func.sum(case((W.c.acknowledged_at.is_(None), 1), else_=0)), 0).label("unacked"),
                    func.max(case((W.c.level <= 2, W.c.id))).label("newest_major_id"),
                    func.max(case((W.c.level <= 2, W.c.raised_at))).label("newest_major_at"))
             .where(_open(rs)), eng)
    today = dt.datetime.combine(dt.date.today(), dt.time())
    td = row(select(func.count().label("today"),
                    *[func.coalesce(func.sum(case((W.c.level == i, 1), else_=0)), 0).label(f"today_{i}")
                      for i in (1, 2, 3, 4)],
                    func.max(W.c.raised_at).label("newest_raised"))
             .where(rs.where(W), W.c.raised_at >= today), eng)
    newest_any = row(select(func.max(W.c.raised_at).label("t")).where(rs.where(W)), eng)
    out: dict[str, Any] = {
        "points": int(pts["points"] or 0),
        "points_alarm": int(pts["points_alarm"] or 0),
        "points_offline": int(pts["points_offline"] or 0),
        "newest_reading": _dt(pts.get("newest_reading")),
        "open": int(op["open"] or 0),
        "open_by_level": {i: int(op[f"open_{i}"] or 0) for i in (1, 2, 3, 4)},
        "unacked": int(op["unacked"] or 0),
        "newest_major_id": int(op["newest_major_id"]) if op.get("newest_major_id") is not None else None,
        "newest_major_at": _dt(op.get("newest_major_at")),
        "today": int(td["today"] or 0),
        "today_by_level": {i: int(td[f"today_{i}"] or 0) for i in (1, 2, 3, 4)},
        "newest_warning": _dt(newest_any.get("t")),
    }
    return hazards.point_figures(out)


def situation(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """Per child region: open warnings (all and by level) and monitoring points (all, alarm, offline)."""
    eng, rs = prepare(scope, engine)
    g = rs.group_column(W)
    w = frame(select(g.label("adcode"), func.count().label("open"),
                     *[func.coalesce(func.sum(case((W.c.level == i, 1), else_=0)), 0).label(f"open_{i}")
                       for i in (1, 2, 3, 4)])
              .where(_open(rs)).group_by(g), eng)
    gp = rs.group_column(MP)
    p = frame(select(gp.label("adcode"), func.count().label("points"),
                     func.coalesce(func.sum(case((PS.c.status == "alarm", 1), else_=0)), 0).label("points_alarm"),
                     func.coalesce(func.sum(case((PS.c.status == "offline", 1), else_=0)), 0).label("points_offline"))
              .select_from(MP.join(PS, PS.c.point_id == MP.c.id)).where(rs.where(MP)).group_by(gp), eng)
    df = w.merge(p, on="adcode", how="outer") if not w.empty else p.assign(open=0, open_1=0, open_2=0, open_3=0,
                                                                            open_4=0)
    df = name_children(df, rs)
    for c in df.columns[2:]:
        df[c] = df[c].astype(int)
    df["online_rate"] = [pct(n - o, n) for n, o in zip(df["points"], df["points_offline"])]
    return df


def open_warning_sites(scope: Scope, *, engine: Engine | None = None, limit: int = 400) -> pd.DataFrame:
    """Enterprises with open warnings: location, the worst open level, how many are open."""
    eng, rs = prepare(scope, engine)
    stmt = (select(W.c.enterprise_id, E.c.name, E.c.lon, E.c.lat, func.min(W.c.level).label("level"),
                   func.count().label("open"))
            .select_from(W.join(E, E.c.id == W.c.enterprise_id)).where(_open(rs))
            .group_by(W.c.enterprise_id, E.c.name, E.c.lon, E.c.lat)
            .order_by(func.min(W.c.level), func.count().desc(), W.c.enterprise_id).limit(limit))
    return frame(stmt, eng)


def topic_times(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """The newest data of the non-live topics: last inspection day, last risk report, last credit rating."""
    eng, rs = prepare(scope, engine)
    out = {
        "inspections": row(select(func.max(IN.c.inspected_on).label("t")).where(rs.where(IN)), eng).get("t"),
        "risk_reports": row(select(func.max(RR.c.submitted_at).label("t")).where(rs.where(RR)), eng).get("t"),
        "credit": row(select(func.max(CR.c.rated_on).label("t")).where(rs.where(CR)), eng).get("t"),
    }
    for k, v in out.items():
        if isinstance(v, str):
            out[k] = dt.datetime.fromisoformat(v) if len(v) > 10 else dt.date.fromisoformat(v)
    return out


__all__ = ["pulse", "situation", "open_warning_sites", "topic_times", "freshness", "stale_thresholds"]
