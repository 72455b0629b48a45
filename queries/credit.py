"""Safety credit (安全信用脸谱): each enterprise's latest four-colour rating at the scope's cut-off.

Green is best and red worst. An enterprise counts once, with its newest rating dated by the cut-off and
recorded by the as-of time.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, case, distinct, func, or_, select

from queries import derived
from queries.base import frame, name_children, pct, prepare, row
from queries.figure_defs import declare, fig
from queries.labels import CREDIT_COLOURS, CREDIT_NAMES
from queries.scope import Scope
from seed.schema import credit_ratings as CR, enterprises as E


def _latest(rs, eng):
    """Subquery: the newest rating of each enterprise in scope by the cut-off — with the derived columns
    (``queries.derived``) the ratings not superseded by then, else the first of a window per enterprise."""
    if derived.usable(rs, CR, eng):
        cut = rs.cutoff.date() if rs.cutoff is not None else None
        current = CR.c.superseded_on.is_(None) if cut is None else or_(CR.c.superseded_on.is_(None),
                                                                          CR.c.superseded_on > cut)
        return (select(CR.c.enterprise_id, CR.c.colour, CR.c.score, CR.c.rated_on, CR.c.city_adcode,
                       CR.c.county_adcode, CR.c.sector_code)
                .where(rs.where(CR), rs.until_cutoff(CR.c.rated_on), current).subquery())
    rn = func.row_number().over(partition_by=CR.c.enterprise_id, order_by=(CR.c.rated_on.desc(), CR.c.id.desc()))
    inner = (select(CR.c.enterprise_id, CR.c.colour, CR.c.score, CR.c.rated_on, CR.c.city_adcode,
                    CR.c.county_adcode, CR.c.sector_code, rn.label("rn"))
             .where(rs.where(CR), rs.until_cutoff(CR.c.rated_on)).subquery())
    return select(inner).where(inner.c.rn == 1).subquery()


def _colour_sums(t):
    return [func.coalesce(func.sum(case((t.c.colour == c, 1), else_=0)), 0).label(c) for c in CREDIT_COLOURS]


def distribution(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """Rated enterprises, the sectors they cover, how many carry each colour, and the red+yellow share."""
    eng, rs = prepare(scope, engine)
    lat = _latest(rs, eng)
    r = row(select(func.count().label("rated"), func.count(distinct(lat.c.sector_code)).label("sectors"),
                   func.max(lat.c.rated_on).label("newest_rating"), *_colour_sums(lat)), eng)
    out = {k: (int(v) if k != "newest_rating" else (v or None)) for k, v in r.items()}
    out["shares"] = {c: pct(out[c], out["rated"]) for c in CREDIT_COLOURS}
    out["red_yellow"] = out["red"] + out["yellow"]
    out["red_yellow_share"] = pct(out["red_yellow"], out["rated"])
    return out


FIGURES = declare("credit", distribution, basis="cutoff", figures=[
    fig("rated", "安全信用脸谱评定企业", "家", "截至截止时间有安全信用等级的企业数（取最新一次评定）", better="up"),
    fig("sectors", "覆盖行业", "个", "评定企业所属监管行业数", better="up"),
    *[fig(c, f"{CREDIT_NAMES[c]}企业", "家", f"最新等级为{CREDIT_NAMES[c]}的企业数（绿最好、红最差）", better=b)
      for c, b in (("green", "up"), ("blue", None), ("yellow", "down"), ("red", "down"))],
])


def by_sector(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    eng, rs = prepare(scope, engine)
    lat = _latest(rs, eng)
    df = frame(select(lat.c.sector_code.label("sector"), func.count().label("rated"), *_colour_sums(lat))
               .group_by(lat.c.sector_code).order_by(func.count().desc(), lat.c.sector_code), eng)
    df.insert(1, "sector_name", [rs.ref.industries[s].name for s in df["sector"]])
    return df


def by_region(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    eng, rs = prepare(scope, engine)
    lat = _latest(rs, eng)
    g = lat.c.city_adcode if rs.level == "province" else lat.c.county_adcode
    df = frame(select(g.label("adcode"), func.count().label("rated"), *_colour_sums(lat)).group_by(g), eng)
    df = name_children(df, rs)
    for c in df.columns[2:]:
        df[c] = df[c].astype(int)
    df["red_yellow_share"] = [pct(r + y, n) for r, y, n in zip(df["red"], df["yellow"], df["rated"])]
    return df


def enterprises(scope: Scope, *, engine: Engine | None = None, colour: str | None = None,
                limit: int = 20000) -> pd.DataFrame:
    """Rated enterprises with location and colour, worst first (for the map and the list)."""
    eng, rs = prepare(scope, engine)
    lat = _latest(rs, eng)
    order = case(*[(lat.c.colour == c, i) for i, c in enumerate(reversed(CREDIT_COLOURS))], else_=9)
    stmt = (select(E.c.id, E.c.name, E.c.lon, E.c.lat, lat.c.colour, lat.c.score, lat.c.rated_on,
                   lat.c.sector_code, lat.c.county_adcode)
            .select_from(lat.join(E, E.c.id == lat.c.enterprise_id)))
    if colour:
        stmt = stmt.where(lat.c.colour == colour)
    df = frame(stmt.order_by(order, lat.c.score, E.c.id).limit(limit), eng)
    df["sector"] = [rs.ref.industries[s].name for s in df["sector_code"]]
    df["county"] = [rs.ref.name(int(a)) for a in df["county_adcode"]]
    return df.drop(columns=["sector_code", "county_adcode"])
