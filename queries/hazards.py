"""Major hazard sources (GB 18218) and their online monitoring points: connection, live state, trends."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Engine, case, distinct, func, select

from queries.base import frame, name_children, pct, prepare, row
from queries.figure_defs import declare, fig
from queries.memo import shared
from queries.scope import Scope, ScopeError
from seed.schema import (
    enterprises as E, hazard_sources as HS, monitoring_points as MP, point_counts as PC, point_state as PS,
    readings as R,
)


def _point_counts(key=None):
    cols = [func.count().label("points"),
            func.coalesce(func.sum(case((PS.c.status == "normal", 1), else_=0)), 0).label("points_normal"),
            func.coalesce(func.sum(case((PS.c.status == "alarm", 1), else_=0)), 0).label("points_alarm"),
            func.coalesce(func.sum(case((PS.c.status == "offline", 1), else_=0)), 0).label("points_offline")]
    return ([key.label("k")] if key is not None else []) + cols


@shared
def summary(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """Hazard enterprises and sources (all / connected to online monitoring), points by live state."""
    eng, rs = prepare(scope, engine)
    src = select(
        func.count(distinct(HS.c.enterprise_id)).label("hazard_enterprises"),
        func.count(distinct(case((HS.c.online_since.is_not(None), HS.c.enterprise_id)))).label("connected_enterprises"),
        func.count().label("hazard_sources"),
        func.coalesce(func.sum(case((HS.c.online_since.is_not(None), 1), else_=0)), 0).label("connected_sources"),
        *[func.coalesce(func.sum(case((HS.c.level == lv, 1), else_=0)), 0).label(f"level_{lv}") for lv in (1, 2, 3, 4)],
    ).where(rs.where(HS))
    pts = (select(*_point_counts(), func.max(PS.c.reading_at).label("newest_reading"))
           .select_from(MP.join(PS, PS.c.point_id == MP.c.id)).where(rs.where(MP)))
    out = row(src, eng)
    out.update(row(pts, eng))
    out = {k: (int(v) if k != "newest_reading" else v) for k, v in out.items()}
    out["newest_reading"] = out["newest_reading"] or None
    out["access_rate"] = pct(out["connected_enterprises"], out["hazard_enterprises"])
    return point_figures(out)


def point_figures(out: dict[str, Any]) -> dict[str, Any]:
    """``out`` with the figures its point counts give: online points and the online rate (and normal points, every
    point neither alarming nor offline, where it holds no count of its own)."""
    out["points_online"] = out["points"] - out["points_offline"]
    out.setdefault("points_normal", out["points_online"] - out["points_alarm"])
    out["online_rate"] = pct(out["points_online"], out["points"])
    return out


POINT_COUNTS_WITHIN = dt.timedelta(hours=2)  # a count taken this long before a time stands for that time


def points_at(scope: Scope, at: dt.datetime, *, engine: Engine | None = None) -> dict[str, Any] | None:
    """The live point figures (``points``, ``points_alarm``, ``points_offline``, ``points_online``, ``points_normal``,
    ``online_rate``) as they were at
    ``at``: from the newest count of the points' states (point_counts, taken hourly while the feed or a gateway
    runs) at or before ``at`` and at most ``POINT_COUNTS_WITHIN`` older; None without such a count."""
    eng, rs = prepare(scope, engine)
    taken = row(select(func.max(PC.c.taken_at).label("t"))
                .where(PC.c.taken_at <= at, PC.c.taken_at > at - POINT_COUNTS_WITHIN), eng).get("t")
    if taken is None:
        return None
    r = row(select(func.coalesce(func.sum(PC.c.points), 0).label("points"),
                   func.coalesce(func.sum(PC.c.alarm), 0).label("points_alarm"),
                   func.coalesce(func.sum(PC.c.offline), 0).label("points_offline"))
            .where(PC.c.taken_at == taken, rs.region_filter(PC), rs.industry_filter(PC)), eng)
    out = point_figures({k: int(v) for k, v in r.items()})
    out["taken_at"] = taken
    return out


FIGURES = declare("hazards", summary, basis="cutoff", figures=[
    fig("hazard_enterprises", "重大危险源企业", "家", "辖区内有重大危险源（GB 18218）的企业数", better=None),
    fig("connected_enterprises", "接入在线监测的重大危险源企业", "家", "至少一个重大危险源已接入在线监测预警系统的企业数",
        better="up"),
    fig("access_rate", "重大危险源企业接入率", "%", "接入在线监测的企业 ÷ 重大危险源企业", better="up",
        base="hazard_enterprises"),
    fig("hazard_sources", "重大危险源", "个", "登记的重大危险源数", better=None),
    # (named for being connected, not "在线": beside 当前在线监测点 a leader read two different "online" counts)
    fig("points", "接入监测点（在线采集安全参数）", "个",
        "已接入的监测点数，不论当前是否在线（温度、压力、液位、流量、可燃/有毒气体）", better="up", short="接入监测点"),
    fig("points_alarm", "报警监测点", "个", "最新读数超出报警阈值的监测点数（实时）", better="down", basis="live",
        history=points_at),
    fig("points_offline", "离线监测点", "个", "当前离线的监测点数（实时）", better="down", basis="live", history=points_at),
    # (not "在线监测点" alone: beside the connected points it read as the same figure)
    fig("points_online", "当前在线监测点", "个", "已接入的监测点中当前在线的：监测点 − 离线监测点（实时）", better="up",
        basis="live", history=points_at),
    fig("points_normal", "正常监测点", "个", "在线且最新读数在报警阈值内的监测点数（实时）", better="up", basis="live",
        history=points_at),
    fig("online_rate", "监测点在线率", "%", "(监测点 − 离线监测点) ÷ 监测点（实时）", better="up", basis="live",
        history=points_at, base="points"),
])


def by_region(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    eng, rs = prepare(scope, engine)
    src = frame(select(rs.group_column(HS).label("adcode"),
                       func.count(distinct(HS.c.enterprise_id)).label("hazard_enterprises"),
                       func.count(distinct(case((HS.c.online_since.is_not(None), HS.c.enterprise_id))))
                       .label("connected_enterprises"),
                       func.count().label("hazard_sources"))
                .where(rs.where(HS)).group_by(rs.group_column(HS)), eng)
    pts = frame(select(*_point_counts(rs.group_column(MP)))
                .select_from(MP.join(PS, PS.c.point_id == MP.c.id)).where(rs.where(MP))
                .group_by(rs.group_column(MP)), eng).rename(columns={"k": "adcode"})
    for f in (src, pts):  # an empty result (e.g. as of a time before anything was registered) has no dtype
        f["adcode"] = f["adcode"].astype("int64")
    df = name_children(src.merge(pts, on="adcode", how="outer"), rs)
    for c in df.columns[2:]:
        df[c] = df[c].fillna(0).astype(int)
    df["online_rate"] = [pct(p - o, p) for p, o in zip(df["points"], df["points_offline"])]
    df["access_rate"] = [pct(c, h) for c, h in zip(df["connected_enterprises"], df["hazard_enterprises"])]
    return df


def enterprises(scope: Scope, *, engine: Engine | None = None, limit: int = 500) -> pd.DataFrame:
    """Hazard enterprises in the scope with their sources and points by live state (alarms first)."""
    eng, rs = prepare(scope, engine)
    pts = (select(*_point_counts(MP.c.enterprise_id)).select_from(MP.join(PS, PS.c.point_id == MP.c.id))
           .where(rs.where(MP)).group_by(MP.c.enterprise_id).subquery())
    src = (select(HS.c.enterprise_id.label("k"), func.count().label("hazard_sources"),
                  func.min(HS.c.level).label("top_level"),
                  func.max(case((HS.c.online_since.is_not(None), 1), else_=0)).label("connected"))
           .where(rs.where(HS)).group_by(HS.c.enterprise_id).subquery())
    stmt = (select(E.c.id, E.c.name, E.c.county_adcode, E.c.sector_code, src.c.hazard_sources, src.c.top_level,
                   src.c.connected, func.coalesce(pts.c.points, 0).label("points"),
                   func.coalesce(pts.c.points_alarm, 0).label("points_alarm"),
                   func.coalesce(pts.c.points_offline, 0).label("points_offline"))
            .select_from(src.join(E, E.c.id == src.c.k).outerjoin(pts, pts.c.k == src.c.k))
            .order_by(func.coalesce(pts.c.points_alarm, 0).desc(), func.coalesce(pts.c.points_offline, 0).desc(),
                      E.c.id).limit(limit))
    df = frame(stmt, eng)
    df["county"] = [rs.ref.name(int(a)) for a in df["county_adcode"]]
    df["sector"] = [rs.ref.industries[s].name for s in df["sector_code"]]
    return df.drop(columns=["county_adcode", "sector_code"])


def _check_enterprise(enterprise_id: int, rs, eng) -> dict:
    r = row(select(E.c.id, E.c.name, E.c.county_adcode, E.c.city_adcode)
            .where(E.c.id == enterprise_id, rs.region_filter(E)), eng)
    if not r:
        raise ScopeError("该企业不存在或不在您的权限范围内")
    return r


def enterprise_points(enterprise_id: int, scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """One enterprise's monitoring points: latest value against thresholds and live state."""
    eng, rs = prepare(scope, engine)
    _check_enterprise(enterprise_id, rs, eng)
    stmt = (select(MP.c.id, MP.c.code, MP.c.name, MP.c.kind, MP.c.unit, MP.c.low_alarm, MP.c.high_alarm,
                   MP.c.high_high_alarm, HS.c.name.label("hazard_source"), HS.c.level.label("hazard_level"),
                   PS.c.value, PS.c.status, PS.c.reading_at)
            .select_from(MP.join(PS, PS.c.point_id == MP.c.id).join(HS, HS.c.id == MP.c.hazard_source_id))
            .where(MP.c.enterprise_id == enterprise_id, rs.recorded_filter(MP))
            .order_by(case((PS.c.status == "alarm", 0), (PS.c.status == "offline", 1), else_=2), MP.c.id))
    return frame(stmt, eng)


def enterprise_overview(enterprise_id: int, scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """One hazard enterprise: basics, its hazard sources by level and its points by live state (same rows as
    ``enterprise_points``), the newest reading, access and online rate."""
    eng, rs = prepare(scope, engine)
    e = _check_enterprise(enterprise_id, rs, eng)
    src = row(select(
        func.count().label("hazard_sources"),
        func.coalesce(func.sum(case((HS.c.online_since.is_not(None), 1), else_=0)), 0).label("connected_sources"),
        *[func.coalesce(func.sum(case((HS.c.level == lv, 1), else_=0)), 0).label(f"level_{lv}") for lv in (1, 2, 3, 4)],
    ).where(HS.c.enterprise_id == enterprise_id, rs.recorded_filter(HS)), eng)
    pts = row(select(*_point_counts(), func.max(PS.c.reading_at).label("newest_reading"))
              .select_from(MP.join(PS, PS.c.point_id == MP.c.id))
              .where(MP.c.enterprise_id == enterprise_id, rs.recorded_filter(MP)), eng)
    sector = row(select(E.c.sector_code, E.c.uscc).where(E.c.id == enterprise_id), eng)
    out: dict[str, Any] = {
        "id": int(e["id"]), "name": e["name"], "uscc": sector.get("uscc"),
        "city": rs.ref.name(int(e["city_adcode"])), "county": rs.ref.name(int(e["county_adcode"])),
        "sector": rs.ref.industries[sector["sector_code"]].name if sector.get("sector_code") else None,
    }
    out.update({k: int(v or 0) for k, v in src.items()})
    out.update({k: int(v or 0) for k, v in pts.items() if k != "newest_reading"})
    newest = pts.get("newest_reading") or None
    if isinstance(newest, str):
        newest = dt.datetime.fromisoformat(newest)
    out["newest_reading"] = newest
    out["access_rate"] = pct(out["connected_sources"], out["hazard_sources"])
    out["online_rate"] = pct(out["points"] - out["points_offline"], out["points"])
    return out


def point_trend(point_id: int, scope: Scope, *, engine: Engine | None = None, hours: int = 24) -> pd.DataFrame:
    """Readings of one point over the last ``hours`` before its newest reading."""
    eng, rs = prepare(scope, engine)
    p = row(select(MP.c.id, MP.c.enterprise_id).where(MP.c.id == point_id, rs.region_filter(MP)), eng)
    if not p:
        raise ScopeError("该监测点不存在或不在您的权限范围内")
    newest = row(select(func.max(R.c.ts).label("t")).where(R.c.point_id == point_id), eng).get("t")
    if not newest:
        return pd.DataFrame(columns=["ts", "value"])
    if isinstance(newest, str):
        newest = dt.datetime.fromisoformat(newest)
    stmt = (select(R.c.ts, R.c.value).where(R.c.point_id == point_id,
                                             R.c.ts >= newest - dt.timedelta(hours=hours)).order_by(R.c.ts))
    df = frame(stmt, eng)
    df["ts"] = pd.to_datetime(df["ts"])
    return df
