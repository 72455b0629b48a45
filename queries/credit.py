"""Safety credit (安全信用脸谱): each enterprise's latest four-colour rating at the scope's cut-off.

Green is best and red worst. An enterprise counts once, with its newest rating dated by the cut-off and
recorded by the as-of time.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, case, distinct, false, func, or_, select, union_all

from queries import cells, derived
from queries.base import clean_text, frame, name_children, pct, prepare, row
from queries.figure_defs import declare, fig
from queries.labels import CREDIT_COLOURS, CREDIT_NAMES
from queries.scope import Scope
from seed.schema import credit_ratings as CR
from seed.schema import enterprises as E


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


def _from_cells(rs, eng, group: str | None = None):
    """The colour counts at the cut-off from the maintained aggregates (``seed.cells``: ratings given up to the
    cut-off minus ratings superseded by then), per ``group`` (a cell key column) if given: a statement with the
    columns (group,) rated, green, blue, yellow, red; ``None`` when the cells cannot serve the scope."""
    keys = {group: (lambda t, day: t.c[group])} if group else {}
    given = cells.rows(rs, eng, "credit_in", keys, to_date=True)
    gone = cells.rows(rs, eng, "credit_out", keys, to_date=True)
    if given is None or gone is None:
        return None
    signed = union_all(*(select(*(q.c[k] for k in keys), (sign * q.c.n).label("n"), (sign * q.c.a).label("a"),
                                (sign * q.c.b).label("b"), (sign * q.c.amount_fen).label("y"))
                         for q, sign in ((given, 1), (gone, -1)))).subquery("credit_net")
    rated, green, blue, yellow = (cells.total(signed.c[c]) for c in ("n", "a", "b", "y"))
    stmt = select(*(signed.c[k] for k in keys), rated.label("rated"), green.label("green"), blue.label("blue"),
                  yellow.label("yellow"), (rated - green - blue - yellow).label("red"))
    return stmt.group_by(*(signed.c[k] for k in keys)) if keys else stmt


def _newest_rating(rs):
    """The newest rating date by the cut-off in scope (a scalar subquery): the newest enterprise rating is never
    superseded by then (a later one would be newer), so it is the newest of all ratings in scope up to the cut-off
    (an index's last entry). Like the derived columns and the cells, this relies on every rating carrying its
    enterprise's own region and industry (seed.derived), so that the rating superseding one is in scope with it."""
    return (select(func.max(CR.c.rated_on)).where(rs.where(CR), rs.until_cutoff(CR.c.rated_on))
            .scalar_subquery().label("newest_rating"))


def distribution(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """Rated enterprises, the sectors they cover, how many carry each colour, and the red+yellow share."""
    eng, rs = prepare(scope, engine)
    by_sector = _from_cells(rs, eng, "sector_code")
    if by_sector is not None:
        per = by_sector.subquery()
        r = row(select(*(cells.total(per.c[c]).label(c) for c in ("rated", *CREDIT_COLOURS)),
                       func.count(case((per.c.rated > 0, 1))).label("sectors"), _newest_rating(rs)), eng)
    else:
        lat = _latest(rs, eng)
        r = row(select(func.count().label("rated"), func.count(distinct(lat.c.sector_code)).label("sectors"),
                       func.max(lat.c.rated_on).label("newest_rating"), *_colour_sums(lat)), eng)
    return _with_shares({k: (int(v) if k != "newest_rating" else (v or None)) for k, v in r.items()})


def _with_shares(out: dict[str, Any]) -> dict[str, Any]:
    """``distribution``'s counts with each colour's share and red+yellow."""
    out["shares"] = {c: pct(out[c], out["rated"]) for c in CREDIT_COLOURS}
    out["red_yellow"] = out["red"] + out["yellow"]
    out["red_yellow_share"] = pct(out["red_yellow"], out["rated"])
    return out


def distributions(scopes: list[Scope], *, engine: Engine | None = None,
                  partial: bool = False) -> list[dict[str, Any] | None]:
    """``[distribution(s) for s in scopes]`` for scopes of one place and industry at different cut-offs (the
    comparisons' earlier months), the cut-offs at whole months' ends reading the maintained aggregates once: each
    fact's cells by month and sector up to the latest of those months, summed per cut-off here (one statement for
    all instead of one each), and the newest rating dates in one more. Any other scope (a mid-month or mid-day
    cut-off, an as-of time the cells cannot serve, another place) is ``distribution(s)``, or with ``partial``
    None (the caller runs those beside the batch)."""
    if not scopes:
        return []
    eng = engine or prepare(scopes[0], None)[0]

    resolved, lasts = cells.batchable(scopes, eng, ("credit_in", "credit_out"), cells.cutoff_month)
    out: list[dict[str, Any] | None] = [None] * len(scopes)
    if len(lasts) > 1:
        stmt = cells.by_month(resolved[0], ("credit_in", "credit_out"), None, max(lasts.values()), "sector_code")
        newest = select(*(_newest_rating(resolved[i]).label(f"d{i}") for i in lasts))
        with eng.connect() as conn:
            got = conn.execute(stmt).all()
            dates = conn.execute(newest).mappings().first()
        for i, last in lasts.items():
            per: dict[str, list[int]] = {}
            for fact, month, sector, n, a, b, y in got:
                if cells.as_date(month) <= last:
                    sign = 1 if fact == "credit_in" else -1
                    acc = per.setdefault(sector, [0, 0, 0, 0])
                    for j, v in enumerate((n, a, b, y)):
                        acc[j] += sign * int(v)
            rated, green, blue, yellow = (sum(v[j] for v in per.values()) for j in range(4))
            out[i] = _with_shares({"rated": rated, "green": green, "blue": blue, "yellow": yellow,
                                   "red": rated - green - blue - yellow,
                                   "sectors": sum(1 for v in per.values() if v[0] > 0),
                                   "newest_rating": dates[f"d{i}"] or None})
    return [r if r is not None or partial else distribution(s, engine=eng) for s, r in zip(scopes, out)]


distribution.many = distributions  # type: ignore[attr-defined]


FIGURES = declare("credit", distribution, basis="cutoff", figures=[
    fig("rated", "安全信用脸谱评定企业", "家", "截至截止时间有安全信用等级的企业数（取最新一次评定）", better="up"),
    fig("sectors", "覆盖行业", "个", "评定企业所属监管行业数", better="up"),
    fig("red_yellow_share", "红黄色企业占比", "%", "最新等级为红色或黄色的企业 ÷ 评定企业", better="down", base="rated"),
    fig("red_yellow", "红黄色企业", "家", "最新等级为红色或黄色、需提高检查频次的企业数", better="down"),
    *[fig(c, f"{CREDIT_NAMES[c]}企业", "家", f"最新等级为{CREDIT_NAMES[c]}的企业数（绿最好、红最差）", better=b)
      for c, b in (("green", "up"), ("blue", None), ("yellow", "down"), ("red", "down"))],
])


def by_sector(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    eng, rs = prepare(scope, engine)
    per = _from_cells(rs, eng, "sector_code")
    if per is not None:
        per = per.subquery()
        df = frame(select(per.c.sector_code.label("sector"), per.c.rated, *(per.c[c] for c in CREDIT_COLOURS))
                   .where(per.c.rated > 0).order_by(per.c.rated.desc(), per.c.sector_code), eng)
    else:
        lat = _latest(rs, eng)
        df = frame(select(lat.c.sector_code.label("sector"), func.count().label("rated"), *_colour_sums(lat))
                   .group_by(lat.c.sector_code).order_by(func.count().desc(), lat.c.sector_code), eng)
    df.insert(1, "sector_name", [rs.ref.industries[s].name for s in df["sector"]])
    return df


def by_region(scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    eng, rs = prepare(scope, engine)
    per = _from_cells(rs, eng, "city_adcode" if rs.level == "province" else "county_adcode")
    if per is not None:
        per = per.subquery()
        g = per.c.city_adcode if rs.level == "province" else per.c.county_adcode
        df = frame(select(g.label("adcode"), per.c.rated, *(per.c[c] for c in CREDIT_COLOURS))
                   .where(per.c.rated > 0), eng)
    else:
        lat = _latest(rs, eng)
        g = lat.c.city_adcode if rs.level == "province" else lat.c.county_adcode
        df = frame(select(g.label("adcode"), func.count().label("rated"), *_colour_sums(lat)).group_by(g), eng)
    df = name_children(df, rs)
    for c in df.columns[2:]:
        df[c] = df[c].astype(int)
    df["red_yellow_share"] = [pct(r + y, n) for r, y, n in zip(df["red"], df["yellow"], df["rated"])]
    return df


def worst_colours(counts: dict[str, Any], limit: int) -> list[str]:
    """The worst colours, worst first, whose enterprises (``counts``: a ``distribution``) first reach ``limit``."""
    out, n = [], 0
    for c in reversed(CREDIT_COLOURS):
        out.append(c)
        n += counts[c]
        if n >= limit:
            break
    return out


def enterprises(scope: Scope, *, engine: Engine | None = None, colour: str | None = None,
                limit: int = 20000, counts: dict[str, Any] | None = None, colours: tuple[str, ...] | None = None,
                sector: str | None = None, name_contains: str | None = None) -> pd.DataFrame:
    """Rated enterprises with location and colour, worst first (for the map and the list). The first ``limit`` of
    them are of the worst colours only: where the cells serve the scope, the colour counts (``distribution``, a few
    thousand cells) say which worst colours alone fill the limit, and only those ratings are read and sorted (the
    province's 20,000 worst are red and yellow: 36 k ratings sorted instead of 162 k). (The counts and the list are
    two reads: a rating changed between them can leave the list shorter than the limit, as a view a moment later
    would show it.) ``counts``: the scope's ``distribution`` when the caller has it already (the credit page).
    ``colours``, ``sector`` (within the scope's own industry) and ``name_contains`` (taken literally: % and _ are no
    wildcards; letters in either case) narrow the list: a search among all the scope's rated enterprises, not among
    the worst ``limit``."""
    eng, rs = prepare(scope, engine)
    lat = _latest(rs, eng)
    stmt = (select(E.c.id, E.c.name, E.c.lon, E.c.lat, lat.c.colour, lat.c.score, lat.c.rated_on,
                   lat.c.sector_code, lat.c.county_adcode)
            .select_from(lat.join(E, E.c.id == lat.c.enterprise_id)))
    name = clean_text(name_contains, 40) if name_contains else ""
    if name:
        stmt = stmt.where(E.c.name.icontains(name, autoescape=True))
    if sector:
        stmt = stmt.where(lat.c.sector_code == sector)
    read = list(reversed(CREDIT_COLOURS))  # the colours to read, worst first
    if colours is not None:
        read = [c for c in read if c in colours]
    if colour:
        read = [c for c in read if c == colour]
    elif colours is None and not name and not sector and cells.serves(rs, eng, "credit_in", "credit_out"):  # (else the counts would read the ratings twice)
        read = worst_colours(counts if counts is not None else distribution(scope, engine=eng), limit)
    # one colour at a time, lowest score first, each stopping at the limit (the index by colour and score: the
    # 3,000 worst of 35,689 red ratings at three times the province 862 → 17 ms on SQLite), then the colours in order
    # (an enterprise has one current rating: the parts never repeat one)
    parts = [stmt.where(lat.c.colour == c).order_by(lat.c.score, lat.c.enterprise_id).limit(limit) for c in read]
    if not parts:
        stmt = stmt.where(false()).limit(0)
    elif len(parts) == 1:
        stmt = parts[0]
    elif "rn" in lat.c:  # the newest ratings by a window (a view as of an earlier time): one window, not one a part
        order = case(*[(lat.c.colour == c, i) for i, c in enumerate(read)], else_=9)
        stmt = stmt.where(lat.c.colour.in_(read)).order_by(order, lat.c.score, lat.c.enterprise_id).limit(limit)
    else:
        u = union_all(*(select(p.subquery()) for p in parts)).subquery("worst_first")
        order = case(*[(u.c.colour == c, i) for i, c in enumerate(read)], else_=9)
        stmt = select(u).order_by(order, u.c.score, u.c.id).limit(limit)
    df = frame(stmt, eng)
    # names looked up once per distinct code (a few dozen), not per row (20,000 rows: ~70 → ~5 ms)
    df["sector"] = df["sector_code"].map({s: rs.ref.industries[s].name for s in df["sector_code"].unique()})
    df["county"] = df["county_adcode"].map({a: rs.ref.name(int(a)) for a in df["county_adcode"].unique()})
    return df.drop(columns=["sector_code", "county_adcode"])
