"""Grid-based supervision (网格化监管): grids of three kinds, enterprises filed per grid (registry counts)."""
from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, case, func, select

from queries import cells
from queries.base import frame, name_children, pct, prepare, row
from queries.figure_defs import declare, fig
from queries.labels import GRID_KINDS
from queries.scope import Scope
from seed.schema import enterprises as E, grids as G

KINDS = list(GRID_KINDS)


def _kind_sums():
    return [func.coalesce(func.sum(case((G.c.kind == k, 1), else_=0)), 0).label(k) for k in KINDS]


def _grids(rs):
    return (rs.where(G), rs.until_cutoff(G.c.established_on))


def summary(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """Grids by kind, enterprises filed in safety-supervision grids, and platform enterprises placed in a grid."""
    eng, rs = prepare(scope, engine)
    g = row(select(*_kind_sums(),
                   func.coalesce(func.sum(case((G.c.kind == "anquan", G.c.enterprises_filed), else_=0)), 0)
                   .label("enterprises_filed")).where(*_grids(rs)), eng)
    e = cells.sums(rs, eng, "enterprises", (("n", "enterprises"), ("amount_fen", "in_grid")), all_time=True)
    if e is None:
        e = row(select(func.count().label("enterprises"),
                       func.coalesce(func.sum(case((E.c.grid_id.is_not(None), 1), else_=0)), 0).label("in_grid"))
                .where(rs.where(E)), eng)
    out = {k: int(v) for k, v in {**g, **e}.items()}
    out["grid_coverage"] = pct(out["in_grid"], out["enterprises"])
    out["filed_per_grid"] = round(out["enterprises_filed"] / out["anquan"], 1) if out["anquan"] else 0.0
    return out


FIGURES = declare("grids", summary, basis="cutoff", figures=[
    fig("zongzhi", "综治网格", "个", "截至截止时间设立的综治网格数", better=None),
    fig("yingji", "应急网格", "个", "截至截止时间设立的应急网格数", better=None),
    fig("anquan", "安全生产监管网格", "个", "截至截止时间设立的安全生产监管网格数", better=None),
    fig("enterprises_filed", "网格内实有企业建档", "家", "安全生产监管网格登记的实有企业建档数（网格台账）", better=None),
    fig("in_grid", "已入格企业", "家", "平台登记企业中已落入某个网格的企业数", better="up"),
    fig("grid_coverage", "入格率", "%", "已入格企业 ÷ 平台登记企业", better="up", base="enterprises"),
    fig("filed_per_grid", "每个监管网格建档企业", "家", "网格内实有企业建档数 ÷ 安全生产监管网格数", better=None,
        base="anquan"),
])


def by_region(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    eng, rs = prepare(scope, engine)
    key = rs.group_column(G)
    df = frame(select(key.label("adcode"), *_kind_sums(),
                      func.sum(case((G.c.kind == "anquan", G.c.enterprises_filed), else_=0)).label("enterprises_filed"))
               .where(*_grids(rs)).group_by(key), eng)
    ents = cells.sums(rs, eng, "enterprises", (("n", "platform_enterprises"),), rs.group_column, all_time=True)
    if ents is None:
        ek = rs.group_column(E)
        ents = frame(select(ek.label("adcode"), func.count().label("platform_enterprises"))
                     .where(rs.where(E)).group_by(ek), eng)
    else:
        ents = ents.rename(columns={"k": "adcode"})
    df = name_children(df.merge(ents, on="adcode", how="outer"), rs)
    for c in df.columns[2:]:
        df[c] = df[c].astype(int)
    df["filed_per_grid"] = [round(f / a, 1) if a else 0.0 for f, a in zip(df["enterprises_filed"], df["anquan"])]
    return df


def top_grids(scope: Scope, *, engine: Engine | None = None, kind: str = "anquan", limit: int = 50) -> pd.DataFrame:
    """The grids with the most enterprises filed."""
    eng, rs = prepare(scope, engine)
    kind = kind if kind in GRID_KINDS else "anquan"
    df = frame(select(G.c.code, G.c.name, G.c.county_adcode, G.c.enterprises_filed, G.c.established_on)
               .where(*_grids(rs), G.c.kind == kind).order_by(G.c.enterprises_filed.desc(), G.c.code).limit(limit), eng)
    df["county"] = [rs.ref.name(int(a)) for a in df["county_adcode"]]
    return df.drop(columns=["county_adcode"])
