"""Shared plumbing of the query modules: which engine, scope resolution, statement → DataFrame."""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Select, case, extract, func, select, true

from queries import db
from queries.scope import Resolved, Scope, resolve


def prepare(scope: Scope, engine: Engine | None) -> tuple[Engine, Resolved]:
    eng = engine or db.reader()
    return eng, resolve(scope, eng)


def one_place(scopes: list[Scope], engine: Engine | None, *, industry: bool = True) -> tuple[Engine, list, list]:
    """For a source's batched form (``fn.many``): the engine, the resolved scopes and the positions of those in the
    first one's place — its region, and its industry unless ``industry`` is False — which one statement can serve."""
    eng = engine or prepare(scopes[0], None)[0]
    resolved = [prepare(s, eng)[1] for s in scopes]

    def place(rs):
        return (rs.region, rs.level) + ((rs.industry, rs.industry_kind) if industry else ())

    return eng, resolved, [i for i, rs in enumerate(resolved) if place(rs) == place(resolved[0])]


def frame(stmt: Select, engine: Engine | Connection) -> pd.DataFrame:
    """The statement's rows as a DataFrame (on a connection of ``engine``, or on the connection given). The rows are
    handed to pandas as plain tuples: given SQLAlchemy's ``Row`` objects, pandas probes each for attributes (a
    failed lookup raises inside ``Row``), ~6 times slower: 170 against 27 ms for 20,000 rows."""
    with contextlib.nullcontext(engine) if isinstance(engine, Connection) else engine.connect() as conn:
        res = conn.execute(stmt)
        return pd.DataFrame([tuple(r) for r in res.fetchall()], columns=list(res.keys()))


@contextlib.contextmanager
def one_snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose statements all read the same state of the database (a figure computed in steps, each
    relying on the one before: PostgreSQL's REPEATABLE READ; on SQLite one read transaction), rolled back after."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin() as tx:
            yield conn
            tx.rollback()
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN")  # (the SQLite driver begins a transaction only before a write)
        try:
            yield conn
        finally:
            conn.rollback()


def gathered(stmts, engine: Engine) -> dict[Any, dict[str, Any]]:
    """Grouped statements (each selects the group as ``k`` and columns of its own: a column two parts select is
    refused) run over one connection and gathered per group: {k: {column: value}} with a NULL value left out — an
    outer merge of the parts without a DataFrame per part (those and their merges were most of a grouped figure's
    time on a few dozen groups). A part must not give a group twice (GROUP BY ``k``). ``group_order(result)``
    lists the groups as an outer merge orders them; ``per_group`` and ``per_child`` make the frame."""
    stmts = list(stmts)
    names = [c.name for s in stmts for c in s.selected_columns if c.name != "k"]
    if len(set(names)) != len(names):
        raise ValueError(f"gathered(): columns of two parts: {sorted({n for n in names if names.count(n) > 1})}")
    acc: dict[Any, dict[str, Any]] = {}
    with engine.connect() as conn:
        for stmt in stmts:
            for r in conn.execute(stmt).mappings():
                got = acc.setdefault(r["k"], {})
                got.update((c, v) for c, v in r.items() if c != "k" and v is not None)
    return acc


def group_order(acc: dict) -> list:
    """The groups of ``gathered`` in an outer merge's order: sorted, a NULL group last."""
    return sorted(acc, key=lambda k: (k is None, k))


def per_group(acc: dict, counts) -> pd.DataFrame:
    """``k`` (the groups of ``gathered`` in ``group_order``) and each of ``counts`` as int64, 0 where a group has
    none."""
    keys = group_order(acc)
    return pd.DataFrame({"k": pd.Series(keys, dtype=None if keys else object),
                         **{c: pd.Series([int(acc[k].get(c, 0)) for k in keys], dtype="int64") for c in counts}})


def together(stmts) -> Select:
    """One statement selecting every column of ``stmts`` — one-row aggregates with distinct labels, none of them
    grouped — side by side: one round trip instead of one each (a statement costs a connection check-out, its ping
    and its rollback besides the query). A grouped part (which may have no row, and would empty the whole) or a
    label used twice (SQLAlchemy would rename the second) is refused."""
    stmts = list(stmts)
    if not stmts:
        raise ValueError("together() needs at least one statement")
    labels = [c.name for s in stmts for c in s.selected_columns]
    if len(set(labels)) != len(labels):
        raise ValueError(f"together(): labels used twice: {sorted({n for n in labels if labels.count(n) > 1})}")
    if any(s._group_by_clauses for s in stmts):
        raise ValueError("together() takes one-row aggregates only: a grouped statement may have no row")
    subs = [s.subquery(f"part{i}") for i, s in enumerate(stmts)]
    joined = subs[0]
    for s in subs[1:]:
        joined = joined.join(s, true())
    return select(*subs).select_from(joined)


def count_where(cond, name: str):
    """SQL: how many rows meet ``cond``, labelled ``name`` (0, not NULL, over no rows)."""
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0).label(name)


def row(stmt: Select, engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        r = conn.execute(stmt).mappings().first()
        return dict(r) if r else {}


def children(rs: Resolved) -> list:
    """The regions a figure is broken down into: the child regions of the scope (a county: itself)."""
    return [rs.ref.divisions[rs.county]] if rs.level == "county" else rs.ref.children(rs.region)


def per_child(rs: Resolved, acc: dict, counts) -> pd.DataFrame:
    """``adcode, name`` and the ``counts`` of ``gathered`` (grouped by adcode) of every child region, zero where
    it has none (``name_children`` without a DataFrame per part)."""
    kids = children(rs)
    return pd.DataFrame({"adcode": pd.Series([d.adcode for d in kids], dtype="int64"), "name": [d.name for d in kids],
                         **{c: pd.Series([int(acc.get(d.adcode, {}).get(c, 0)) for d in kids], dtype="int64")
                            for c in counts}})


def name_children(df: pd.DataFrame, rs: Resolved, col: str = "adcode") -> pd.DataFrame:
    """Add region names and list every child region of the scope (zero where it has no rows): ``df`` merged onto
    the children, left, by ``col``. Where ``df`` has a row of every child and each once (a province's cities, a
    city's counties, as the grouped figures give them), the rows are taken by position, with each column's own type,
    instead of a pandas merge (~4 ms a call, seven calls a cold ranking page)."""
    kids = children(rs)
    codes = [d.adcode for d in kids]
    if not df.empty and col in df.columns and "name" not in df.columns:
        at: dict = {}
        for i, k in enumerate(df[col].tolist()):
            at[k] = -1 if k in at else i  # a code twice: the merge's rows, not this
        pos = [at.get(c, -1) for c in codes]
        if -1 not in pos:
            idx = np.asarray(pos)

            def taken(s: pd.Series):
                """The column's rows in the children's order, its gaps 0 as after the merge (a frame's own, e.g.
                of an outer merge): numpy's numbers by index, others (strings, times, objects) with their type."""
                if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iufb":
                    v = s.to_numpy()[idx]
                    return np.where(np.isnan(v), 0.0, v) if v.dtype.kind == "f" and np.isnan(v).any() else v
                v = s.take(idx).reset_index(drop=True)
                return v.fillna(0) if v.hasnans else v

            return pd.DataFrame({col: np.asarray(codes, dtype="int64"), "name": [d.name for d in kids],
                                 **{c: taken(df[c]) for c in df.columns if c != col}})
    base = pd.DataFrame({col: codes, "name": [d.name for d in kids]})
    out = base.merge(df, on=col, how="left") if not df.empty else base.assign(**{
        c: 0 for c in df.columns if c != col})
    num = [c for c in out.columns if c not in (col, "name")]
    out[num] = out[num].fillna(0)
    return out


def clean_text(text: object, max_len: int = 64) -> str:
    """Free text from a form or URL, safe to bind: control characters (NUL breaks PostgreSQL) removed, trimmed."""
    import unicodedata

    s = "".join(ch for ch in str(text or "") if unicodedata.category(ch) not in ("Cc", "Cs"))
    return s.strip()[:max_len]


def pct(num: float, den: float, digits: int = 1) -> float:
    return round(100.0 * num / den, digits) if den else 0.0


# --- dialect-neutral date expressions -------------------------------------------------------------------

def day_of(col, engine: Engine):
    """'YYYY-MM-DD' of a date or timestamp column."""
    return func.date(col) if engine.dialect.name == "sqlite" else func.to_char(col, "YYYY-MM-DD")


def month_of(col, engine: Engine):
    """'YYYY-MM' of a date or timestamp column. (SQLite holds both as ISO text, so its first seven characters:
    ``strftime`` parses each value, ~60 % slower over the work orders' 100 k rows at three times the province.)"""
    return func.substr(col, 1, 7) if engine.dialect.name == "sqlite" else func.to_char(col, "YYYY-MM")


def minutes_between(a, b, engine: Engine):
    if engine.dialect.name == "postgresql":
        return extract("epoch", b - a) / 60.0
    return (func.julianday(b) - func.julianday(a)) * 1440.0


def plus_minutes(col, minutes, engine: Engine):
    """``col`` (a timestamp) plus ``minutes`` (an integer expression), comparable with stored timestamps on both
    databases (on SQLite: the text form SQLAlchemy stores, ``YYYY-MM-DD HH:MM:SS.ffffff``, to the millisecond)."""
    from sqlalchemy import Integer, cast, literal_column

    if engine.dialect.name == "postgresql":
        return col + cast(minutes, Integer) * literal_column("interval '1 minute'")
    return func.strftime("%Y-%m-%d %H:%M:%f", col, func.printf("%+d minutes", minutes)).concat("000")
