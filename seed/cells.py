"""Maintained aggregates of the period facts: pre-summed cells of month × county × sector × industry.

(Credit ratings are in them too, as a running sum: see ``credit_in`` / ``credit_out`` in ``FACTS``; and two
registers summed over every month: the risk reporting obligations, ``obligations``, and the enterprises,
``enterprises``. A second table, ``enterprise_cells``, keeps the hidden hazards per enterprise as well, and two more
the inspections per campaign and per inspecting department, ``campaign_cells`` and ``department_cells``: ``STORES``.)

A period figure (inspections, hidden hazards found / major / rectified, suspensions, cases filed / online /
transferred, cases decided and their fines) summed over a year of a province reads a few tens of thousands of
cells instead of hundreds of thousands of fact rows. ``period_cells`` holds, per fact and per (month of the fact's
date, county, sector, industry), the number of rows and up to two counted conditions and one amount (``FACTS``
says which). The query functions read the whole months of a period from the cells and only the partial months at
its ends from the fact rows (``queries.cells``).

Kept exact like the derived columns (``seed.derived``): row triggers on the fact tables add a row's contribution to
its cell on INSERT, take it away on DELETE and move it on an UPDATE of any column a cell depends on — whoever
writes (seed, spreadsheet import, a hand fix). Bulk loads drop the triggers and ``rebuild`` every cell in one
statement per fact. A cell whose count falls to zero stays (it sums to nothing).

The cells describe every row ever recorded: a figure "as of" a time before the newest recorded row (or, for
rectified hazards, before the latest rectification) is computed from the fact rows (``queries.cells.usable``).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fact:
    name: str  # the cells' ``fact`` value
    table: str
    day: str | None  # the date column the period filters on (None: a register, summed over every month, in one)
    only: str | None = None  # rows counted at all (SQL over the row, e.g. "decided_on IS NOT NULL")
    a: str | None = None  # first counted condition (``=expr``: a summed value)
    b: str | None = None  # second counted condition (``=expr``: a summed value)
    amount: str | None = None  # summed money in fen (``=expr``: a summed value, or a counted condition)
    watch: tuple[str, ...] = ()  # further columns whose change moves the row's contribution
    settled: str | None = None  # a date column the cells count as of now (a view as of an earlier day cannot use them)
    grain: str = "month"  # "day" / "year": a cell per day / year (its ``month`` column holds the day / 1 January)
    # (parent table, this table's column holding the parent's id): the row's day and the store's key columns it does
    # not hold itself (``Store.own``) are its parent row's (a risk item's are its report's)
    via: tuple[str, str] | None = None


FACTS = [
    # a: the enterprise's first inspection of the calendar year, b: of the month, amount: of the half-year (its
    # previous one, ``prev_on`` of seed.derived, is before the year's / month's / half-year's first day or does not
    # exist): the enterprises inspected in a period from 1 January (in one calendar month, from 1 July to 31
    # December) are the sum of a (of b, of amount)
    Fact("inspections", "inspections", "inspected_on", a="prev_on IS NULL OR prev_on < @year(inspected_on)",
         b="prev_on IS NULL OR prev_on < @month(inspected_on)",
         amount="?prev_on IS NULL OR prev_on < @half(inspected_on)", watch=("prev_on",)),
    Fact("hazards", "hidden_hazards", "found_on", a="major", b="rectified_on IS NOT NULL",
         watch=("major", "rectified_on"), settled="rectified_on"),
    Fact("suspensions", "suspension_orders", "ordered_on"),
    Fact("cases_filed", "cases", "filed_on", a="online", b="transferred_judicial",
         watch=("online", "transferred_judicial")),
    Fact("cases_decided", "cases", "decided_on", only="decided_on IS NOT NULL", amount="fine_yuan",
         watch=("fine_yuan",)),
    # risk reports by month of submission (risk-report figures are taken at a cut-off: the months up to it): the
    # obligations they complete (first report of an obligation, and of one completion is measured on — derived
    # columns of seed.derived), what they say, and their risk items (counted per report by seed.derived)
    Fact("reports_done", "risk_reports", "submitted_at", a="first_for_required", b="first_for_obligation",
         watch=("first_for_required", "first_for_obligation")),
    Fact("reports_quality", "risk_reports", "submitted_at", a="zero_risk", b="key_control",
         amount="?verification = 'under_reported'", watch=("zero_risk", "key_control", "verification", "verified_on"),
         settled="verified_on"),
    Fact("reports_items", "risk_reports", "submitted_at", a="=items_major_or_above", b="=items_major",
         amount="=items_total", watch=("items_major_or_above", "items_major", "items_total")),
    # the reporting obligations themselves (not taken over a period: every obligation recorded counts, so their cells
    # are summed over all months, ``queries.cells.rows(..., all_time=True)``; the month is that of the due date):
    # n: initial obligations of every enterprise, a: of above-scale enterprises (应报规上工业企业)
    Fact("obligations", "risk_obligations", "due_on", only="kind = 'initial'", a="above_scale",
         watch=("kind", "above_scale")),
    # credit ratings (安全信用脸谱) as a running sum: a rating counts in its colour from the month it is given
    # (credit_in) and out again from the month the enterprise's next rating supersedes it (credit_out, by the derived
    # ``superseded_on`` of seed.derived), so the newest rating of every enterprise at a month's end is the sum of the
    # cells up to that month of credit_in minus credit_out; n: every rating, a: green, b: blue, amount: yellow (red is
    # the rest)
    Fact("credit_in", "credit_ratings", "rated_on", a="colour = 'green'", b="colour = 'blue'",
         amount="?colour = 'yellow'", watch=("colour",)),
    Fact("credit_out", "credit_ratings", "superseded_on", only="superseded_on IS NOT NULL", a="colour = 'green'",
         b="colour = 'blue'", amount="?colour = 'yellow'", watch=("colour",)),
    # the enterprises on the platform's register (a registered size, read like the obligations over every month, with
    # no date of its own: all in one month, ``REGISTER_MONTH``; by their establishment month the cells would be
    # nearly as many as the enterprises): n every enterprise, a key enterprises (重点企业), b above-scale ones,
    # amount those placed in a grid (the platform's and the grids' coverage figures count 1 M rows otherwise)
    Fact("enterprises", "enterprises", None, a="is_key", b="above_scale", amount="?grid_id IS NOT NULL",
         watch=("is_key", "above_scale", "grid_id")),
]
BY_NAME = {f.name: f for f in FACTS}
KEY = ("city_adcode", "county_adcode", "sector_code", "industry_code")


@dataclass(frozen=True)
class Store:
    """A table of cells: the facts it holds, keyed by month and ``key``; its triggers are named after ``tag``. A
    store whose key has no sector and industry serves only scopes of every industry."""
    table: str
    key: tuple[str, ...]
    facts: tuple[Fact, ...]
    tag: str
    own: tuple[str, ...] = ()  # the key columns a ``via`` fact's own row holds (the others are its parent's)
    fill: tuple[tuple[str, str], ...] = ()  # (key column, SQL value standing for its NULL: the key holds no NULL)

    @property
    def tables(self) -> list[str]:
        return sorted({f.table for f in self.facts} | {f.via[0] for f in self.facts if f.via})

    @property
    def by_industry(self) -> bool:
        return "sector_code" in self.key


PERIOD = Store("period_cells", KEY, tuple(FACTS), "cells")
# hidden hazards also per enterprise (month × county × sector × industry × enterprise; a = major, b = rectified): the
# enterprises with the most hazards in a period sum about a third as many cells as hazards instead of every hazard
ENTERPRISE = Store("enterprise_cells", (*KEY, "enterprise_id"), (BY_NAME["hazards"],), "ent_cells")
# inspections also per campaign (month × county × sector × industry × campaign; a = the enterprise's first inspection
# in the campaign, a derived column of seed.derived): a campaign's progress by a cut-off (its inspections and the
# enterprises inspected) and its system inspections per region sum ~30 k cells instead of ~600 k inspections
CAMPAIGN_FACT = Fact("campaign_insp", "inspections", "inspected_on", only="campaign_id IS NOT NULL",
                     a="first_in_campaign", watch=("first_in_campaign",))
BY_NAME[CAMPAIGN_FACT.name] = CAMPAIGN_FACT
CAMPAIGN = Store("campaign_cells", (*KEY, "campaign_id"), (CAMPAIGN_FACT,), "cmp_cells")
# and per inspecting department (… × department; a / b = the enterprise's first inspection by that department of the
# year / month, by the derived ``prev_dept_on``): the period's inspections and enterprises by department sum ~120 k
# cells instead of ~600 k inspections
DEPARTMENT_FACT = Fact("dept_insp", "inspections", "inspected_on",
                       a="prev_dept_on IS NULL OR prev_dept_on < @year(inspected_on)",
                       b="prev_dept_on IS NULL OR prev_dept_on < @month(inspected_on)", watch=("prev_dept_on",))
BY_NAME[DEPARTMENT_FACT.name] = DEPARTMENT_FACT
DEPARTMENT = Store("department_cells", (*KEY, "department"), (DEPARTMENT_FACT,), "dept_cells")
# the obliged enterprises' first reports per day (day × county: the completion curve by day sums ~14 k cells at the
# province, as many at three times its enterprises, instead of every first report); no sector or industry: by them
# the cells would be two thirds as many as the reports (a scope of one industry reads its rows)
FIRST_REPORTS_FACT = Fact("first_required", "risk_reports", "submitted_at", only="first_for_required",
                          watch=("first_for_required",), grain="day")
BY_NAME[FIRST_REPORTS_FACT.name] = FIRST_REPORTS_FACT
FIRST_REPORTS = Store("report_day_cells", ("city_adcode", "county_adcode"), (FIRST_REPORTS_FACT,), "day_cells")
# the 较大以上 risk items per month of their report, county, catalogue entry, name and level (~9 k cells at the
# province for ~176 k items; with sector and industry 75 k): the risks by catalogue entry without joining every item
# to its report
MAJOR_ITEMS_FACT = Fact("major_items", "risk_items", "submitted_at", only="level <= 2",
                        via=("risk_reports", "report_id"))
BY_NAME[MAJOR_ITEMS_FACT.name] = MAJOR_ITEMS_FACT
CATALOGUE = Store("catalogue_cells", ("city_adcode", "county_adcode", "catalogue_code", "name", "level"),
                  (MAJOR_ITEMS_FACT,), "cat_cells", own=("catalogue_code", "name", "level"),
                  fill=(("catalogue_code", "''"),))
# hidden hazards per enterprise and calendar year, whatever the region or industry (an enterprise's year is one
# cell): a bound for the enterprises with the most hazards — a period within one year holds no more of an enterprise's
# hazards than its year does, so once 100 enterprises are known to have T hazards in the period, only enterprises
# whose year reaches T can be among the first 100 (``queries.enforcement.enterprises``)
YEAR_FACT = Fact("hazards_year", "hidden_hazards", "found_on", grain="year")
BY_NAME[YEAR_FACT.name] = YEAR_FACT
ENTERPRISE_YEAR = Store("enterprise_year_cells", ("enterprise_id",), (YEAR_FACT,), "ent_year_cells")
STORES = (PERIOD, ENTERPRISE, CAMPAIGN, DEPARTMENT, FIRST_REPORTS, CATALOGUE, ENTERPRISE_YEAR)
TABLES = sorted({t for st in STORES for t in st.tables})


REGISTER_MONTH = "1900-01-01"  # the one month of a register's cells (``Fact.day`` None)


def _month(expr: str | None, dialect: str) -> str:
    if expr is None:
        return f"DATE '{REGISTER_MONTH}'" if dialect == "postgresql" else f"'{REGISTER_MONTH}'"
    if dialect == "postgresql":
        return f"CAST(date_trunc('month', {expr}) AS date)"
    return f"date({expr}, 'start of month')"


def _year(expr: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"CAST(date_trunc('year', {expr}) AS date)"
    return f"date({expr}, 'start of year')"


def _half(expr: str, dialect: str) -> str:
    """The first day of ``expr``'s half-year (1 January or 1 July)."""
    if dialect == "postgresql":
        return (f"CAST(date_trunc('year', {expr}) + CASE WHEN extract(month FROM {expr}) > 6 "
                f"THEN interval '6 months' ELSE interval '0 months' END AS date)")
    return f"date({expr}, 'start of year', CASE WHEN CAST(strftime('%m', {expr}) AS integer) > 6 " \
           f"THEN '+6 months' ELSE '+0 months' END)"


def _flag(cond: str | None, row: str, dialect: str) -> str:
    """1 or 0 for the condition ``cond`` evaluated on the row ``row`` (NEW / OLD in a trigger, a table alias else);
    for ``=expr`` the value of ``expr``."""
    if cond is None:
        return "0"
    if cond.startswith("="):
        return f"({_on(cond[1:], row, dialect)})"
    return f"CASE WHEN {_on(cond, row, dialect)} THEN 1 ELSE 0 END"


def _on(expr: str, row: str, dialect: str) -> str:
    """``expr`` over the row's columns, qualified by ``row``; ``@year(col)`` / ``@half(col)`` / ``@month(col)``
    are the first day of the column's year / half-year / month."""
    import re

    cols = {c for st in STORES for f in st.facts for c in (f.day, *st.key, *f.watch) if c}
    s = re.sub(r"(?<![@.\w])(" + "|".join(sorted(cols, key=len, reverse=True)) + r")\b",
               lambda m: f"{row}.{m.group(1)}", expr)
    s = re.sub(r"@year\(([\w.]+)\)", lambda m: _year(m.group(1), dialect), s)
    s = re.sub(r"@half\(([\w.]+)\)", lambda m: _half(m.group(1), dialect), s)
    return re.sub(r"@month\(([\w.]+)\)", lambda m: _month(m.group(1), dialect), s)


def _amount(f: Fact, row: str, dialect: str) -> str:
    """Money in fen; ``=expr`` a value, ``?cond`` 1 or 0."""
    if f.amount is None:
        return "0"
    if f.amount[0] in "=?":
        return _flag(f.amount[1:] if f.amount[0] == "?" else f.amount, row, dialect)
    return f"CAST(round({_on(f.amount, row, dialect)} * 100) AS BIGINT)"


def _bucket(f: Fact, expr: str | None, dialect: str) -> str:
    """The cell's ``month`` value for the date expression ``expr``: its month's first day, or with a day grain its
    day."""
    if f.grain == "day" and expr is not None:
        return f"CAST({expr} AS date)" if dialect == "postgresql" else f"date({expr})"
    if f.grain == "year" and expr is not None:
        return _year(expr, dialect)
    return _month(expr, dialect)


def _keys(f: Fact, store: Store, row: str, parent: str = "p", alias: bool = False) -> list[str]:
    """The store's key values of the row ``row`` (a ``via`` fact's parent columns from ``parent``), a column standing
    for NULL where the store says (``Store.fill``)."""
    fill = dict(store.fill)
    out = []
    for k in store.key:
        v = f"{parent if f.via and k not in store.own else row}.{k}"
        if k in fill:
            v = f"coalesce({v}, {fill[k]})"
        out.append(f"{v} AS {k}" if alias and (f.via or k in fill) else v)
    return out


def _day(f: Fact, row: str, parent: str = "p") -> str | None:
    return f.day and f"{parent if f.via else row}.{f.day}"


def _upsert(store: Store) -> str:
    t, keys = store.table, ", ".join(store.key)
    return (f"INSERT INTO {t} (fact, month, {keys}, n, a, b, amount_fen) SELECT {{vals}}{{src}} WHERE {{cond}}"
            f"{{group}} ON CONFLICT (fact, month, {keys}) DO UPDATE SET "
            f"n = {t}.n + excluded.n, a = {t}.a + excluded.a, b = {t}.b + excluded.b, "
            f"amount_fen = {t}.amount_fen + excluded.amount_fen")


def _apply(f: Fact, row: str, sign: int, dialect: str, store: Store = PERIOD) -> str:
    """The statement adding (``sign`` 1) or taking away (-1) the row ``row``'s contribution to its cell (a ``via``
    fact's row: with its parent's day and key columns, if it has a parent)."""
    s = "" if sign > 0 else "-"
    vals = ", ".join([f"'{f.name}'", _bucket(f, _day(f, row), dialect), *_keys(f, store, row),
                      f"{s}1", f"{s}{_flag(f.a, row, dialect)}", f"{s}{_flag(f.b, row, dialect)}",
                      f"{s}{_amount(f, row, dialect)}"])
    conds = [_on(f.only, row, dialect)] if f.only else []
    src = ""
    if f.via:
        src = f" FROM {f.via[0]} p"
        conds.insert(0, f"p.id = {row}.{f.via[1]}")
    return _upsert(store).format(vals=vals, src=src, cond=" AND ".join(conds) or "1 = 1", group="")


def _move(f: Fact, row: str, sign: int, dialect: str, store: Store) -> str:
    """For a ``via`` fact, in its parent table's trigger: the statement adding (``sign`` 1) or taking away (-1) the
    contributions of the parent row ``row``'s children (a report's day or county changed: its items' cells move)."""
    s = "" if sign > 0 else "-"
    own = [k for k, k2 in zip(_keys(f, store, "r", parent=row), store.key) if k2 in store.own]
    vals = ", ".join([f"'{f.name}'", _bucket(f, f"{row}.{f.day}", dialect), *_keys(f, store, "r", parent=row),
                      f"{s}count(*)", f"{s}sum({_flag(f.a, 'r', dialect)})", f"{s}sum({_flag(f.b, 'r', dialect)})",
                      f"{s}sum({_amount(f, 'r', dialect)})"])
    conds = [f"r.{f.via[1]} = {row}.id"] + ([_on(f.only, "r", dialect)] if f.only else [])
    return _upsert(store).format(vals=vals, src=f" FROM {f.table} r", cond=" AND ".join(conds),
                                 group=f" GROUP BY {', '.join(own)}")


def _watched(store: Store, table: str) -> list[str]:
    cols: list[str] = []
    for f in store.facts:
        if f.table == table:
            own = (f.via[1], *store.own) if f.via else (f.day, *store.key)
        elif f.via and f.via[0] == table:
            own = (f.day, *(k for k in store.key if k not in store.own))
        else:
            continue
        for c in (*own, *(f.watch if f.table == table else ())):
            if c and c not in cols:
                cols.append(c)
    return cols


def _changes(store: Store, table: str, row: str, sign: int, dialect: str) -> list[str]:
    """The statements of ``table``'s trigger in ``store`` for the row ``row`` (OLD: ``sign`` -1, NEW: 1). On
    PostgreSQL a ``via`` fact's row first takes a share lock on its parent: a writer moving the parent (its day or
    county) and another writing one of its children would otherwise pass each other (neither lock conflicts under
    READ COMMITTED), and the child would stay in the parent's old cell; so one waits for the other and then reads
    what it committed."""
    out = []
    for f in store.facts:
        if f.table == table:
            if f.via and dialect == "postgresql":
                out.append(f"PERFORM 1 FROM {f.via[0]} WHERE id = {row}.{f.via[1]} FOR SHARE")
            out.append(_apply(f, row, sign, dialect, store))
    return out + [_move(f, row, sign, dialect, store) for f in store.facts if f.via and f.via[0] == table]


def trigger_ddl(dialect: str) -> list[str]:
    out = []
    for st in STORES:
        for table in st.tables:
            cols = _watched(st, table)
            trg = f"trg_{st.tag}_{table}"
            if dialect == "postgresql":
                fn = f"oversight_{st.tag}_{table}"
                changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in cols)
                minus = "\n".join(f"    {x};" for x in _changes(st, table, "OLD", -1, dialect))
                plus = "\n".join(f"    {x};" for x in _changes(st, table, "NEW", 1, dialect))
                out.append(
                    f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                    f"BEGIN\n"
                    f"  IF TG_OP = 'UPDATE' AND NOT ({changed}) THEN RETURN NULL; END IF;\n"
                    f"  IF TG_OP <> 'INSERT' THEN\n{minus}\n  END IF;\n"
                    f"  IF TG_OP <> 'DELETE' THEN\n{plus}\n  END IF;\n"
                    f"  RETURN NULL;\n"
                    f"END $$")
                out.append(f"CREATE TRIGGER {trg} AFTER INSERT OR DELETE OR UPDATE OF {', '.join(cols)} "
                           f"ON {table} FOR EACH ROW EXECUTE FUNCTION {fn}()")
            else:
                minus = " ".join(f"{x};" for x in _changes(st, table, "OLD", -1, dialect))
                plus = " ".join(f"{x};" for x in _changes(st, table, "NEW", 1, dialect))
                out.append(f"CREATE TRIGGER {trg}_ins AFTER INSERT ON {table} BEGIN {plus} END")
                out.append(f"CREATE TRIGGER {trg}_del AFTER DELETE ON {table} BEGIN {minus} END")
                out.append(f"CREATE TRIGGER {trg}_upd AFTER UPDATE OF {', '.join(cols)} ON {table} "
                           f"BEGIN {minus} {plus} END")
    return out


def drop_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [s for st in STORES for t in st.tables
                for s in (f"DROP TRIGGER IF EXISTS trg_{st.tag}_{t} ON {t}",
                          f"DROP FUNCTION IF EXISTS oversight_{st.tag}_{t}()")]
    return [f"DROP TRIGGER IF EXISTS trg_{st.tag}_{t}_{op}" for st in STORES for t in st.tables
            for op in ("ins", "del", "upd")]


def _fresh(f: Fact, dialect: str, store: Store = PERIOD) -> str:
    """Every cell of ``f`` in ``store`` computed from the fact rows (a ``via`` fact's joined to their parents)."""
    where = f" WHERE {_on(f.only, 'r', dialect)}" if f.only else ""
    month = _bucket(f, _day(f, "r"), dialect)
    keys = ", ".join(_keys(f, store, "r", alias=True))
    group = ", ".join(_keys(f, store, "r"))
    src = f"{f.table} r" + (f" JOIN {f.via[0]} p ON p.id = r.{f.via[1]}" if f.via else "")
    return (f"SELECT '{f.name}' AS fact, {month} AS month, {keys}, count(*) AS n, "
            f"sum({_flag(f.a, 'r', dialect)}) AS a, sum({_flag(f.b, 'r', dialect)}) AS b, "
            f"sum({_amount(f, 'r', dialect)}) AS amount_fen "
            f"FROM {src}{where} GROUP BY {month}, {group}")


def rebuild_sql(dialect: str) -> list[str]:
    out = []
    for st in STORES:
        cols = f"fact, month, {', '.join(st.key)}, n, a, b, amount_fen"
        out += [f"DELETE FROM {st.table}",
                *(f"INSERT INTO {st.table} ({cols}) {_fresh(f, dialect, st)}" for f in st.facts)]
    return out


def create_triggers(conn) -> None:
    for s in trigger_ddl(conn.dialect.name):
        conn.exec_driver_sql(s)


def drop_triggers(conn) -> None:
    for s in drop_ddl(conn.dialect.name):
        conn.exec_driver_sql(s)


def rebuild(conn) -> None:
    """Every cell from the fact rows (set-based; one GROUP BY per fact)."""
    for s in rebuild_sql(conn.dialect.name):
        conn.exec_driver_sql(s)


def _check_name(store: Store, f: Fact) -> str:
    return f.name if store is PERIOD else f"{f.name}@{store.table.removesuffix('_cells')}"


CHECKS = [_check_name(st, f) for st in STORES for f in st.facts]  # what ``check`` reports on: "hazards@enterprise"


def check(conn, facts: list[str] | None = None) -> dict[str, int]:
    """Cells that differ from a fresh computation, per fact and store (``CHECKS``; all zero when consistent; a stored
    cell summing to nothing matches a missing one); only the named ones (``CHECKS``' names) if given."""
    unknown = set(facts or ()) - set(CHECKS)
    if unknown:
        raise KeyError(f"no such cells: {sorted(unknown)}")
    out = {}
    for st in STORES:
        cols = f"month, {', '.join(st.key)}, n, a, b, amount_fen"
        for f in st.facts:
            name = _check_name(st, f)
            if facts is not None and name not in facts:
                continue
            stored = (f"SELECT {cols} FROM {st.table} WHERE fact = '{f.name}' AND "
                      "NOT (n = 0 AND a = 0 AND b = 0 AND amount_fen = 0)")
            fresh = f"SELECT {cols} FROM ({_fresh(f, conn.dialect.name, st)}) w"
            # each side computed once: materialized common table expressions, each read by both EXCEPTs
            q = (f"WITH s AS MATERIALIZED ({stored}), f AS MATERIALIZED ({fresh}) "
                 "SELECT (SELECT count(*) FROM (SELECT * FROM s EXCEPT SELECT * FROM f) x) + "
                 "(SELECT count(*) FROM (SELECT * FROM f EXCEPT SELECT * FROM s) y)")
            out[name] = int(conn.exec_driver_sql(q).scalar())
    return out
