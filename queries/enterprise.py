"""The drill-down's last level: one enterprise, and finding enterprises by name or credit code."""
from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select

from queries.base import clean_text, frame, prepare, row
from queries.labels import CREDIT_NAMES
from queries.scope import Scope, ScopeError
from seed.schema import (
    cases as C, credit_ratings as CR, enterprises as E, hazard_sources as HS, hidden_hazards as H,
    inspections as IN, risk_reports as RR, warnings as W,
)


def search(scope: Scope, text: str, *, engine: Engine | None = None, limit: int = 50) -> pd.DataFrame:
    """Enterprises in scope whose name contains ``text`` or whose credit code starts with it."""
    eng, rs = prepare(scope, engine)
    text = clean_text(text, 64)
    if not text:
        return pd.DataFrame(columns=["id", "name", "uscc", "above_scale", "is_key", "city", "county", "sector"])
    cond = E.c.name.contains(text, autoescape=True) | E.c.uscc.startswith(text.upper(), autoescape=True)
    df = frame(select(E.c.id, E.c.name, E.c.uscc, E.c.above_scale, E.c.is_key, E.c.city_adcode, E.c.county_adcode,
                      E.c.sector_code)
               .where(rs.where(E), cond).order_by(E.c.name, E.c.id).limit(limit), eng)
    df["above_scale"] = df["above_scale"].astype(bool)
    df["is_key"] = df["is_key"].astype(bool)
    df["city"] = [rs.ref.name(int(a)) for a in df["city_adcode"]]
    df["county"] = [rs.ref.name(int(a)) for a in df["county_adcode"]]
    df["sector"] = [rs.ref.industries[s].name for s in df["sector_code"]]
    return df.drop(columns=["city_adcode", "county_adcode", "sector_code"])


def profile(enterprise_id: int, scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """One enterprise's basics and its record in every topic (period figures use the scope's period)."""
    eng, rs = prepare(scope, engine)
    e = row(select(E).where(E.c.id == enterprise_id, rs.region_filter(E)), eng)
    if not e:
        raise ScopeError("该企业不存在或不在您的权限范围内")
    own = lambda t: t.c.enterprise_id == enterprise_id  # noqa: E731
    with eng.connect() as conn:
        def n(stmt):
            return int(conn.execute(stmt).scalar() or 0)
        figures = {
            "inspections": n(select(func.count()).where(own(IN), rs.where(IN, "inspected_on"))),
            "hazards_found": n(select(func.count()).where(own(H), rs.where(H, "found_on"))),
            "hazards_open": n(select(func.count()).where(own(H), rs.where(H), H.c.rectified_on.is_(None))),
            "cases_filed": n(select(func.count()).where(own(C), rs.where(C, "filed_on"))),
            "hazard_sources": n(select(func.count()).where(own(HS), rs.recorded_filter(HS))),
            "open_warnings": n(select(func.count()).where(own(W), rs.recorded_filter(W), rs.open_at(W.c.closed_at))),
            "risk_reports": n(select(func.count()).where(own(RR), rs.recorded_filter(RR),
                                                         rs.until_cutoff(RR.c.submitted_at))),
        }
        cr = conn.execute(select(CR.c.colour, CR.c.score, CR.c.rated_on)
                          .where(own(CR), rs.recorded_filter(CR), rs.until_cutoff(CR.c.rated_on))
                          .order_by(CR.c.rated_on.desc(), CR.c.id.desc()).limit(1)).mappings().first()
    e["county"] = rs.ref.name(int(e["county_adcode"]))
    e["city"] = rs.ref.name(int(e["city_adcode"]))
    e["sector"] = rs.ref.industries[e["sector_code"]].name
    e["industry"] = rs.ref.industries[e["industry_code"]].name
    credit = dict(cr) if cr else None
    if credit:
        credit["colour_name"] = CREDIT_NAMES[credit["colour"]]
    return {"enterprise": e, "figures": figures, "credit": credit}
