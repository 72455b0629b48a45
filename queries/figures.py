"""Headline figures of every topic with their definitions (口径): one list for the CLI, the briefing, exports and
the pages. Each figure is declared once, beside the query function that computes it (``FIGURES`` in the topic
modules, see queries/figure_defs.py); this module assembles the catalogue and takes the figures for a scope."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine

from queries import credit, enforcement, grids, handling, hazards, overview, risk, supervision, warnings
from queries.base import prepare
from queries.figure_defs import BASIS_NAMES, BETTER_NAMES, FigureDef  # noqa: F401 - the names are used from here
from queries.scope import Resolved, Scope


@dataclass(frozen=True)
class Figure:
    key: str  # topic.name, stable: documented in README
    topic: str
    label: str
    value: Any
    unit: str
    definition: str  # 口径
    source: str  # the query function that computed it
    # what the figure was taken for (filled by ``collect``): citable with its scope, period and as-of time
    basis: str = "period"  # period (统计期内) | cutoff (截至截止时间) | live (实时, not reproducible as of a past time)
    region: int | None = None
    region_name: str = ""
    scope: str = ""  # 地区 · 行业
    period: str = ""  # "2021-01-01 至 2021-02-28" | "截至 2021-03-13 23:59:59" | "实时（生成时）"
    as_of: str = ""  # the as-of cut-off ("" = none: everything recorded when generated)
    better: str | None = None  # "up": higher is better, "down": lower is better, None: neither


# The topics in catalogue order; each module declares its figures (``FIGURES``) beside the query function that
# computes them (queries/figure_defs.py says how).
_MODULES = (overview, hazards, warnings, handling, enforcement, risk, credit, grids, supervision)
_CATALOGUE: dict[str, FigureDef] = {d.key: d for m in _MODULES for d in m.FIGURES}
TOPIC_NAMES = {"platform": "平台汇集", "hazards": "重大危险源监测", "warnings": "预警处置", "enforcement": "执法专项行动",
               "risk": "风险报告", "credit": "安全信用脸谱", "grids": "网格化监管", "supervision": "督办"}


def catalogue() -> dict[str, FigureDef]:
    """Every headline figure's declaration by key, in catalogue order."""
    return dict(_CATALOGUE)


def basis_of(key: str) -> str:
    return _CATALOGUE[key].basis


def source_of(key: str) -> str:
    return _CATALOGUE[key].source_name


def _dt(v: dt.datetime) -> str:
    return v.isoformat(sep=" ", timespec="seconds")


def period_text(rs: Resolved, basis: str) -> str:
    """The period a figure of ``basis`` covers, in words (for tables and exports)."""
    if basis == "live":
        return "实时（生成时，不随截止时间回溯）"
    if basis == "cutoff":
        return f"截至 {_dt(rs.cutoff)}" if rs.cutoff else "截至生成时"
    if rs.date_from or rs.date_to:
        return f"{rs.date_from.isoformat() if rs.date_from else '…'} 至 {rs.date_to.isoformat() if rs.date_to else '…'}"
    return "全部时间"


def scope_text(rs: Resolved) -> str:
    d = rs.describe()
    return f"{d['region_name']} · {d['industry_name']}"


def collect(scope: Scope, *, engine: Engine | None = None, keys: set[str] | None = None,
            basis: set[str] | None = None) -> list[Figure]:
    """Every headline figure for the scope, in catalogue order (optionally only ``keys`` / figures of ``basis``).

    Each figure carries its definition, the query that produced it and what it was taken for (region, scope,
    period, as-of), so it can be cited and reproduced. Only the query functions the chosen figures need run.
    """
    eng, rs = prepare(scope, engine)
    wanted = [d for d in _CATALOGUE.values() if (keys is None or d.key in keys) and (basis is None or d.basis in basis)]
    data: dict[Any, dict] = {}
    for d in wanted:  # each query function once
        if d.source not in data:
            data[d.source] = d.source(scope, engine=eng)
    region_name = rs.ref.name(rs.region)
    as_of = _dt(rs.as_of) if rs.as_of else ""
    out = []
    for d in wanted:
        out.append(Figure(d.key, d.topic, d.label, d.value_of(data[d.source]), d.unit, d.definition, d.source_name,
                          d.basis, rs.region, region_name, scope_text(rs), period_text(rs, d.basis), as_of, d.better))
    return out


def as_json(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    eng, rs = prepare(scope, engine)
    figs = collect(scope, engine=eng)
    out: dict[str, Any] = {"scope": rs.describe(), "generated_at": dt.datetime.now().isoformat(sep=" ", timespec="seconds")}
    for f in figs:
        out.setdefault(f.topic, {})[f.key.split(".", 1)[1]] = f.value
    better: dict[str, dict[str, str | None]] = {}
    for f in figs:
        better.setdefault(f.topic, {})[f.key.split(".", 1)[1]] = f.better
    out["better"] = better  # the same shape as the values: "up", "down" or null per figure
    return out


def as_records(scope: Scope, *, engine: Engine | None = None) -> list[dict[str, Any]]:
    return [asdict(f) for f in collect(scope, engine=engine)]
