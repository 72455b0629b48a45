"""Reading the maintained aggregates (``seed.cells``): a period's whole months from the cells, its partial months at
either end from the fact rows, in one statement.

``rows(rs, eng, fact, keys)`` returns a subquery of (keys…, n, a, b, amount_fen) — the cells of the scope's whole
months and one row per fact row of the partial months — to be summed by the caller, or ``None`` when the cells
cannot serve the scope (then the caller runs its statement over the fact rows, as before):

- the derived data are switched off (``OVERSIGHT_DERIVED=0``, ``queries.derived.enabled``), or the cells alone
  (``OVERSIGHT_CELLS=0``);
- the scope is "as of" a time before the fact table's newest recorded row (the cells hold every row ever
  recorded), or before the latest date of what the cells count as of now (a hazard's rectification, a report's
  on-site verification: ``Fact.settled``);
- the period holds no whole month (then every row is a partial-month row: the fact rows are the cheaper read).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import BigInteger, DateTime, Engine, and_, cast, func, literal, literal_column, or_, select, union_all

from queries import derived
from queries.base import frame, one_place, row
from seed import cells as spec
from seed import schema as S

CELLS = S.period_cells


def _next_month(d: dt.date) -> dt.date:
    return (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _month_end(d: dt.date) -> dt.date:
    return _next_month(d) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Months:
    """The whole months of a period: ``first`` … ``last`` (first days of months; ``None`` = unbounded)."""
    first: dt.date | None
    last: dt.date | None


def whole_months(date_from: dt.date | None, date_to: dt.date | None) -> Months | None:
    first = None if date_from is None else (date_from if date_from.day == 1 else _next_month(date_from))
    last = None if date_to is None else (date_to.replace(day=1) if date_to == _month_end(date_to)
                                         else (date_to.replace(day=1) - dt.timedelta(days=1)).replace(day=1))
    if first is not None and last is not None and first > last:
        return None
    return Months(first, last)


def _table(fact: spec.Fact):
    return S.metadata.tables[fact.table]


def table_and_day(fact_name: str):
    """The fact table of ``fact_name`` and the name of the date column its period filters on."""
    fact = spec.BY_NAME[fact_name]
    return _table(fact), fact.day


def _as_date(v) -> dt.date | None:
    if v is None:
        return None
    if isinstance(v, str):
        return dt.date.fromisoformat(v[:10])
    return v.date() if isinstance(v, dt.datetime) else v


def enabled() -> bool:
    """``OVERSIGHT_CELLS=0`` makes the query functions ignore the cells only (to measure what they save; the
    derived columns stay on)."""
    import os

    return os.environ.get("OVERSIGHT_CELLS", "1").strip() not in ("0", "false", "no", "off")


def usable(rs, eng: Engine, fact: spec.Fact) -> bool:
    """May a figure of ``fact`` for the scope ``rs`` be read from the cells? (See the module doc.)"""
    if not enabled():
        return False
    t = _table(fact)
    if not derived.usable(rs, t, eng) or fact.via and not derived.usable(rs, S.metadata.tables[fact.via[0]], eng):
        return False
    if rs.as_of is not None and fact.settled is not None:
        latest = _as_date(row(select(func.max(t.c[fact.settled]).label("d")), eng).get("d"))
        return latest is None or latest <= rs.as_of.date()
    return True


def serves(rs, eng: Engine, *fact_names: str) -> bool:
    """May figures of all of ``fact_names`` for the scope ``rs`` be read from the cells? (``usable``)"""
    return all(usable(rs, eng, spec.BY_NAME[f]) for f in fact_names)


def month_end(d: dt.date) -> dt.date:
    """The last day of ``d``'s month."""
    return _month_end(d)


def cutoff_month(rs) -> dt.date | None:
    """The month (its first day) whose last second is the to-date cut-off of the resolved scope ``rs``: a to-date
    figure (risk reports, credit ratings) at that cut-off is every cell up to that month. None for any other
    cut-off (mid-month, mid-day, none): the batched sources leave those scopes to the one-by-one path."""
    cut = rs.cutoff
    whole = cut is not None and cut.time() >= dt.time(23, 59, 59) and cut.date() == _month_end(cut.date())
    return cut.date().replace(day=1) if whole else None


def as_date(v) -> dt.date | None:
    """A date column's value as a date (SQLite returns text)."""
    return _as_date(v)


def batchable(scopes: list, eng: Engine, facts: tuple[str, ...], pick: Callable) -> tuple[list, dict]:
    """For a source's batched form (several periods of one place and industry at once): the resolved scopes and
    ``{position: pick(rs)}`` for those the cells of ``facts`` serve — of the first scope's place and industry,
    ``pick`` giving a value (what the caller needs of a period it can batch: its months) and the cells usable at
    its as-of time (checked once per as-of time)."""
    _, resolved, same = one_place(scopes, eng)
    served: dict = {}
    picked = {}
    for i in same:
        rs = resolved[i]
        v = pick(rs)
        if v is None:
            continue
        if rs.as_of not in served:
            served[rs.as_of] = serves(rs, eng, *facts)
        if served[rs.as_of]:
            picked[i] = v
    return resolved, picked


def by_month(rs, facts: tuple[str, ...], first: dt.date | None, last: dt.date, *keys: str):
    """Statement: the cells of ``facts`` in the place and industry of ``rs``, months ``first`` (None: from the
    start) to ``last``, summed by fact, month and the cell columns ``keys``: (fact, month, keys…, n, a, b,
    amount_fen)."""
    group = [CELLS.c.fact, CELLS.c.month, *(CELLS.c[k] for k in keys)]
    conds = [CELLS.c.fact.in_(facts), rs.region_filter(CELLS), rs.industry_filter(CELLS), CELLS.c.month <= last]
    if first is not None:
        conds.append(CELLS.c.month >= first)
    return (select(*group, *(total(CELLS.c[c]).label(c) for c in ("n", "a", "b", "amount_fen")))
            .where(*conds).group_by(*group))


def enterprises_column(rs, half: bool = False) -> str | None:
    """Which counted condition of the inspections' cells gives "enterprises inspected" for the scope's period:
    ``a`` (first inspection of the year) for a period from 1 January to a day of the same year, ``b`` (first of the
    month) for exactly one calendar month, with ``half`` ``amount_fen`` (first of the half-year) for 1 July to 31
    December (the period before a half-year from 1 January: the comparisons' 上期; the inspections' cells alone count
    it); ``None`` for any other period (then it is counted from the rows)."""
    f, t = rs.date_from, rs.date_to
    if f is None or t is None or f.day != 1:
        return None
    if f.month == 1 and t.year == f.year:
        return "a"
    if t == _month_end(f):
        return "b"
    if half and f.month == 7 and t == dt.date(f.year, 12, 31):
        return "amount_fen"
    return None


KeyFn = Callable[[object, object], object]  # (table, its date column) -> key expression


def rows(rs, eng: Engine, fact_name: str, keys: dict[str, KeyFn] | None = None, *, to_date: bool = False,
         all_time: bool = False, per_enterprise: bool = False, store: spec.Store | None = None, enterprises=None):
    """The scope's cells of whole months plus its partial-month fact rows, as one subquery with the columns
    ``keys`` (name -> function of (table, date column)), ``n``, ``a``, ``b`` and ``amount_fen``; ``None`` when the
    cells cannot serve the scope. The months are the scope's period's, with ``to_date`` every month up to its
    cut-off (``Resolved.cutoff``: the end of the period or the as-of time), with ``all_time`` every month (a fact
    not taken over a period: every row recorded by the as-of time counts); with ``per_enterprise`` the cells per
    enterprise (``seed.cells.ENTERPRISE``: the keys may use ``enterprise_id``); ``store``: another table of cells
    (``seed.cells.CAMPAIGN`` or ``DEPARTMENT``: the keys may use ``campaign_id`` or ``department``; ``CATALOGUE``
    or ``FIRST_REPORTS``, which serve only scopes of every industry). A store of days (``Fact.grain``) reads every
    whole day from its cells, only a mid-day cut-off's day from the rows; a ``via`` fact's rows are read joined to
    their parents, which hold the day and the scope's columns. ``enterprises`` (a statement of enterprise ids, with
    ``per_enterprise``): only theirs, in the cells and in the rows alike (through the cells' index by enterprise:
    SQLite does not push a condition with a subquery into the union's parts)."""
    fact = spec.BY_NAME[fact_name]
    store = store or (spec.ENTERPRISE if per_enterprise else spec.PERIOD)
    if fact not in store.facts:
        raise ValueError(f"{fact_name} has no cells in {store.table}")
    if rs.industry and not store.by_industry:  # cells of every industry together
        return None
    C = S.metadata.tables[store.table]
    t = _table(fact)
    # the table holding the day and the scope's columns: a ``via`` fact's parent (a risk item's report)
    home = S.metadata.tables[fact.via[0]] if fact.via else t
    if fact.day is None and not all_time:
        raise ValueError(f"{fact_name} is a register: its cells are read over every month (all_time)")
    day = home.c[fact.day] if fact.day else None
    mid_day = False
    if all_time:
        date_from = date_to = None
        raw = rs.where(home)
    elif to_date:
        date_from, cut = None, rs.cutoff
        # the cut-off's day is whole only when the cut-off is its last second
        mid_day = cut is not None and cut.time() < dt.time(23, 59, 59)
        date_to = None if cut is None else (cut.date() - dt.timedelta(days=1) if mid_day else cut.date())
        raw = and_(rs.where(home), rs.until_cutoff(day))
    else:
        date_from, date_to, raw = rs.date_from, rs.date_to, rs.where(home, fact.day)
    daily = fact.grain == "day"
    if daily:  # cells of days: every whole day of the period
        months = None if date_from and date_to and date_from > date_to else Months(date_from, date_to)
    else:
        months = whole_months(date_from, date_to)
    if months is None or not usable(rs, eng, fact):
        return None
    keys = keys or {}
    stamp = day is not None and isinstance(day.type, DateTime)

    def bound(d: dt.date):
        return dt.datetime.combine(d, dt.time()) if stamp else d

    d = eng.dialect.name
    in_cells = [C.c.fact == fact.name, rs.region_filter(C), rs.industry_filter(C)]
    if enterprises is not None:
        in_cells.append(C.c.enterprise_id.in_(enterprises))
    edge = []
    if months.first is not None:
        in_cells.append(C.c.month >= months.first)
        if date_from != months.first:  # the period starts mid-month: those days from the rows
            edge.append(day < bound(months.first))
    if months.last is not None:
        in_cells.append(C.c.month <= months.last)
        if mid_day or (not daily and date_to != _month_end(months.last)):  # it ends mid-month (or mid-day)
            edge.append(day >= bound(months.last + dt.timedelta(days=1) if daily else _next_month(months.last)))
    part_cells = select(*(k(C, C.c.month).label(n) for n, k in keys.items()),
                        C.c.n, C.c.a, C.c.b, C.c.amount_fen).where(*in_cells)
    parts = [part_cells]
    if edge:
        conds = [raw, or_(*edge)]
        if enterprises is not None:
            conds.append(t.c.enterprise_id.in_(enterprises))
        if fact.only:
            conds.append(literal_column(spec._on(fact.only, t.name, d)))
        src = t.join(home, home.c.id == t.c[fact.via[1]]) if fact.via else t
        parts.append(select(*(k(t, day).label(n) for n, k in keys.items()),
                            literal(1).label("n"),
                            literal_column(spec._flag(fact.a, t.name, d)).label("a"),
                            literal_column(spec._flag(fact.b, t.name, d)).label("b"),
                            literal_column(spec._amount(fact, t.name, d)).label("amount_fen"))
                     .select_from(src).where(and_(*conds)))
    return union_all(*parts).subquery(f"cells_{fact.name}")


def total(col):
    """``coalesce(sum(col), 0)`` as an integer (PostgreSQL sums bigints as numeric): a sum over no cells is 0, as a
    count over no rows."""
    return cast(func.coalesce(func.sum(col), 0), BigInteger)


def sums(rs, eng: Engine, fact_name: str, cols, key=None, *, to_date: bool = False, all_time: bool = False,
         nonzero: str = "n"):
    """Sums of the cells' columns ``cols`` ((cell column, label), …) for the scope (``rows``: its period, with
    ``to_date`` every month up to its cut-off, with ``all_time`` every month), labelled as the fact-row statements
    label them: a dict of ints, or with ``key`` (a function of the table: the group) a frame per group (column
    ``k``; the groups whose ``nonzero`` column sums to more than nothing); ``None`` when the cells cannot serve the
    scope."""
    stmt = sums_statement(rs, eng, fact_name, cols, key, to_date=to_date, all_time=all_time, nonzero=nonzero)
    if stmt is None:
        return None
    if key is None:
        return {k: int(v) for k, v in row(stmt, eng).items()}
    return frame(stmt, eng)


def sums_statement(rs, eng: Engine, fact_name: str, cols, key=None, *, to_date: bool = False,
                   all_time: bool = False, nonzero: str = "n"):
    """The statement ``sums`` runs (grouped as ``k`` with ``key``), or ``None`` when the cells cannot serve."""
    u = rows(rs, eng, fact_name, {"k": lambda t, day: key(t)} if key else None, to_date=to_date, all_time=all_time)
    if u is None:
        return None
    got = [total(u.c[c]).label(label) for c, label in cols]
    if key is None:
        return select(*got)
    return select(u.c.k, *got).group_by(u.c.k).having(func.sum(u.c[nonzero]) != 0)
