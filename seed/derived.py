"""Derived columns that keep the province-scale pages cheap, kept exact by the database itself.

At a province's scale the expensive figures were the ones that need a whole history per enterprise:
"enterprises inspected in the period" (``COUNT(DISTINCT enterprise_id)`` over 0.3 M inspections), "the latest
credit rating at a date" (a window over every rating), "obligations with a report by the cut-off"
(``COUNT(DISTINCT obligation_id)``) and the risk items of the reports (a join of 0.7 M items). Each becomes a
plain filtered count over one table with a column that says where a row stands in its history:

- ``inspections.prev_on`` — the enterprise's previous inspection date (order ``inspected_on, id``); the
  enterprises inspected in ``[from, to]`` are the inspections in the period with ``prev_on`` null or before
  ``from`` (each enterprise's first inspection in the period). ``prev_dept_on`` is the same per department;
  ``first_in_campaign`` marks the enterprise's first inspection in its campaign.
- ``credit_ratings.superseded_on`` — when the enterprise's next rating took over; the latest rating at ``d``
  is the one rated by ``d`` and not superseded by ``d``.
- ``risk_reports.first_for_obligation`` — the obligation's first report (order ``submitted_at, id``); an
  obligation is completed by the cut-off iff its first report was submitted by then. ``first_for_required``:
  the same for the obligations completion is measured on (initial reports of above-scale enterprises). ``items_total``,
  ``items_major_or_above`` and ``items_major`` count the report's risk items.

Triggers (SQLite and PostgreSQL) recompute the columns of the enterprise / obligation / report a write
touches, whoever writes (seed, spreadsheet import, a test, a hand-made fix), so they are never stale. Bulk
loads drop the triggers, load, ``refresh`` everything in a few set-based statements and create them again
(``suspended``).

The columns describe the whole history. Figures "as of" a time before the newest recorded row must not see rows
recorded later, so the query functions use them only when ``usable`` says the scope sees every row (no as-of,
or an as-of at or after the table's newest ``recorded_at``: ``queries.derived.usable``); otherwise they run
the original statements. The
counts rely on each enterprise's rows carrying the enterprise's own region and industry (copied at insert
time; enterprises never change them), so a scope or a grouping by region or industry never splits an
enterprise's history.
"""
from __future__ import annotations

import contextlib

from sqlalchemy import Engine

from seed import cells

# per-key recompute statements; {k} is the key expression (NEW.x / OLD.x in a trigger, a bound parameter else)
_BEFORE = "(p.{d} < {t}.{d} OR (p.{d} = {t}.{d} AND p.id < {t}.id))"
# the obligations risk-report completion is measured on (queries.risk._required)
_REQUIRED = "o.id = risk_reports.obligation_id AND o.kind = 'initial' AND o.above_scale = TRUE"

_FIRST_REPORT = (
    "UPDATE risk_reports SET first_for_obligation = NOT EXISTS (SELECT 1 FROM risk_reports p "
    "WHERE p.obligation_id = risk_reports.obligation_id "
    f"AND {_BEFORE.format(d='submitted_at', t='risk_reports')}), "
    "first_for_required = (NOT EXISTS (SELECT 1 FROM risk_reports p "
    "WHERE p.obligation_id = risk_reports.obligation_id "
    f"AND {_BEFORE.format(d='submitted_at', t='risk_reports')}) "
    f"AND EXISTS (SELECT 1 FROM risk_obligations o WHERE {_REQUIRED})) "
    "WHERE obligation_id = {k}"
)

RECOMPUTE = {
    "inspections": (
        "UPDATE inspections SET "
        "prev_on = (SELECT max(p.inspected_on) FROM inspections p WHERE p.enterprise_id = inspections.enterprise_id "
        f"AND {_BEFORE.format(d='inspected_on', t='inspections')}), "
        "prev_dept_on = (SELECT max(p.inspected_on) FROM inspections p "
        "WHERE p.enterprise_id = inspections.enterprise_id AND p.department = inspections.department "
        f"AND {_BEFORE.format(d='inspected_on', t='inspections')}), "
        "first_in_campaign = (inspections.campaign_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM inspections p "
        "WHERE p.enterprise_id = inspections.enterprise_id AND p.campaign_id = inspections.campaign_id "
        f"AND {_BEFORE.format(d='inspected_on', t='inspections')})) "
        "WHERE enterprise_id = {k}"
    ),
    "credit_ratings": (
        "UPDATE credit_ratings SET superseded_on = (SELECT min(n.rated_on) FROM credit_ratings n "
        "WHERE n.enterprise_id = credit_ratings.enterprise_id AND (n.rated_on > credit_ratings.rated_on "
        "OR (n.rated_on = credit_ratings.rated_on AND n.id > credit_ratings.id))) "
        "WHERE enterprise_id = {k}"
    ),
    "risk_reports": _FIRST_REPORT,
    "risk_obligations": _FIRST_REPORT,
    "risk_items": (
        "UPDATE risk_reports SET "
        "items_total = (SELECT count(*) FROM risk_items i WHERE i.report_id = risk_reports.id), "
        "items_major_or_above = (SELECT count(*) FROM risk_items i WHERE i.report_id = risk_reports.id "
        "AND i.level <= 2), "
        "items_major = (SELECT count(*) FROM risk_items i WHERE i.report_id = risk_reports.id AND i.level = 1) "
        "WHERE id = {k}"
    ),
}

# table -> (key column, columns whose change moves the derived values)
WATCH = {
    "inspections": ("enterprise_id", ("enterprise_id", "inspected_on", "department", "campaign_id")),
    "credit_ratings": ("enterprise_id", ("enterprise_id", "rated_on")),
    "risk_reports": ("obligation_id", ("obligation_id", "submitted_at")),
    "risk_obligations": ("id", ("kind", "above_scale")),
    "risk_items": ("report_id", ("report_id", "level")),
}

# everything at once (bulk loads, the migration): window functions instead of per-key subqueries
REFRESH = [
    "WITH w AS (SELECT id, "
    "lag(inspected_on) OVER (PARTITION BY enterprise_id ORDER BY inspected_on, id) AS p, "
    "lag(inspected_on) OVER (PARTITION BY enterprise_id, department ORDER BY inspected_on, id) AS pd, "
    "row_number() OVER (PARTITION BY enterprise_id, campaign_id ORDER BY inspected_on, id) AS rn "
    "FROM inspections) "
    "UPDATE inspections SET prev_on = w.p, prev_dept_on = w.pd, "
    "first_in_campaign = (inspections.campaign_id IS NOT NULL AND w.rn = 1) FROM w WHERE w.id = inspections.id",
    "WITH w AS (SELECT id, lead(rated_on) OVER (PARTITION BY enterprise_id ORDER BY rated_on, id) AS nx "
    "FROM credit_ratings) "
    "UPDATE credit_ratings SET superseded_on = w.nx FROM w WHERE w.id = credit_ratings.id",
    "WITH w AS (SELECT id, row_number() OVER (PARTITION BY obligation_id ORDER BY submitted_at, id) AS rn "
    "FROM risk_reports) "
    "UPDATE risk_reports SET first_for_obligation = (w.rn = 1), "
    f"first_for_required = (w.rn = 1 AND EXISTS (SELECT 1 FROM risk_obligations o WHERE {_REQUIRED})) "
    "FROM w WHERE w.id = risk_reports.id",
    "UPDATE risk_reports SET items_total = 0, items_major_or_above = 0, items_major = 0 "
    "WHERE items_total <> 0 OR items_major_or_above <> 0 OR items_major <> 0",
    "WITH a AS (SELECT report_id, count(*) AS n, sum(CASE WHEN level <= 2 THEN 1 ELSE 0 END) AS b, "
    "sum(CASE WHEN level = 1 THEN 1 ELSE 0 END) AS c FROM risk_items GROUP BY report_id) "
    "UPDATE risk_reports SET items_total = a.n, items_major_or_above = a.b, items_major = a.c "
    "FROM a WHERE a.report_id = risk_reports.id",
]


def _trigger_ddl(dialect: str) -> list[str]:
    out = []
    for table, (key, cols) in WATCH.items():
        stmt = RECOMPUTE[table]
        if dialect == "postgresql":
            fn = f"oversight_derive_{table}"
            changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in cols)
            out.append(
                f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n"
                f"  IF TG_OP = 'UPDATE' AND NOT ({changed}) THEN RETURN NULL; END IF;\n"
                f"  IF TG_OP <> 'INSERT' THEN {stmt.format(k='OLD.' + key)}; END IF;\n"
                f"  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.{key} IS DISTINCT FROM OLD.{key}) THEN\n"
                f"    {stmt.format(k='NEW.' + key)};\n"
                f"  END IF;\n"
                f"  RETURN NULL;\n"
                f"END $$")
            out.append(f"CREATE TRIGGER trg_derive_{table} AFTER INSERT OR DELETE OR UPDATE OF {', '.join(cols)} "
                       f"ON {table} FOR EACH ROW EXECUTE FUNCTION {fn}()")
        else:
            out.append(f"CREATE TRIGGER trg_derive_{table}_ins AFTER INSERT ON {table} "
                       f"BEGIN {stmt.format(k='NEW.' + key)}; END")
            out.append(f"CREATE TRIGGER trg_derive_{table}_del AFTER DELETE ON {table} "
                       f"BEGIN {stmt.format(k='OLD.' + key)}; END")
            out.append(f"CREATE TRIGGER trg_derive_{table}_upd AFTER UPDATE OF {', '.join(cols)} ON {table} "
                       f"BEGIN {stmt.format(k='OLD.' + key)}; {stmt.format(k='NEW.' + key)}; END")
    return out


def _drop_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [s for t in WATCH for s in (f"DROP TRIGGER IF EXISTS trg_derive_{t} ON {t}",
                                           f"DROP FUNCTION IF EXISTS oversight_derive_{t}()")]
    return [f"DROP TRIGGER IF EXISTS trg_derive_{t}_{op}" for t in WATCH for op in ("ins", "del", "upd")]


def create_triggers(conn) -> None:
    """The triggers of the derived columns and of the maintained aggregates (``seed.cells``)."""
    for s in _trigger_ddl(conn.dialect.name):
        conn.exec_driver_sql(s)
    cells.create_triggers(conn)


def drop_triggers(conn) -> None:
    for s in _drop_ddl(conn.dialect.name):
        conn.exec_driver_sql(s)
    cells.drop_triggers(conn)


def refresh(conn) -> None:
    """Recompute every derived column from the facts, then every aggregate cell (set-based; seconds at province
    scale)."""
    for s in REFRESH:
        conn.exec_driver_sql(s)
    cells.rebuild(conn)


def compact(engine: Engine) -> None:
    """After a bulk ``refresh`` (the end of seeding), on PostgreSQL: the UPDATE of every row left each table half dead
    rows, so scans read twice the pages; rewrite the tables compactly (outside any transaction; nothing to rewrite
    on SQLite, which updates rows in place). Then a plain VACUUM of the whole database: VACUUM FULL leaves the
    rewritten tables' visibility maps empty, and freshly loaded tables have none, so PostgreSQL could answer no
    query from an index alone (the campaigns' progress where their cells cannot serve: a parallel scan of every
    inspection, 48-72 ms, against 26-29 ms from its index; ~2 s for the demo database). The VACUUM also gathers the
    planner's statistics (ANALYZE); on SQLite only those are gathered. (A seeding that ran ANALYZE again after it
    spent ~2 s on the demo database for nothing.)"""
    if engine.dialect.name != "postgresql":
        with engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
            c.commit()
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("VACUUM FULL " + ", ".join(sorted({*WATCH} - {"risk_items", "risk_obligations"})))
        c.exec_driver_sql("VACUUM (ANALYZE)")


@contextlib.contextmanager
def suspended(conn):
    """For a bulk load inside ``conn``'s transaction: no per-row triggers while it runs, one ``refresh`` after."""
    drop_triggers(conn)
    yield
    refresh(conn)
    create_triggers(conn)


def check(conn, *, enterprises=None, obligations=None) -> dict[str, int]:
    """Rows whose derived values differ from a fresh computation, per table (all zero when consistent); only the
    given enterprises' inspections and ratings and obligations' reports when ``enterprises`` / ``obligations``
    are given (whole histories: the windows partition by them)."""
    def only(col, ids):
        return "" if ids is None else f" WHERE {col} IN ({', '.join(str(int(i)) for i in ids) or 'NULL'})"
    ent, obl = only("enterprise_id", enterprises), only("obligation_id", obligations)
    q = {
        "inspections": "SELECT count(*) FROM inspections i JOIN (SELECT id, "
                       "lag(inspected_on) OVER (PARTITION BY enterprise_id ORDER BY inspected_on, id) AS p, "
                       "lag(inspected_on) OVER (PARTITION BY enterprise_id, department ORDER BY inspected_on, id) "
                       "AS pd, row_number() OVER (PARTITION BY enterprise_id, campaign_id ORDER BY inspected_on, id) "
                       f"AS rn FROM inspections{ent}) w ON w.id = i.id WHERE NOT ("
                       "coalesce(i.prev_on, '1900-01-01') = coalesce(w.p, '1900-01-01') AND "
                       "coalesce(i.prev_dept_on, '1900-01-01') = coalesce(w.pd, '1900-01-01') AND "
                       "i.first_in_campaign = (i.campaign_id IS NOT NULL AND w.rn = 1))",
        "credit_ratings": "SELECT count(*) FROM credit_ratings c JOIN (SELECT id, lead(rated_on) OVER "
                          f"(PARTITION BY enterprise_id ORDER BY rated_on, id) AS nx FROM credit_ratings{ent}) w "
                          "ON w.id = c.id WHERE NOT coalesce(c.superseded_on, '1900-01-01') = "
                          "coalesce(w.nx, '1900-01-01')",
        "risk_reports": "SELECT count(*) FROM risk_reports r JOIN (SELECT id, row_number() OVER "
                        f"(PARTITION BY obligation_id ORDER BY submitted_at, id) AS rn FROM risk_reports{obl}) w "
                        "ON w.id = r.id LEFT JOIN (SELECT report_id, count(*) AS n, "
                        "sum(CASE WHEN level <= 2 THEN 1 ELSE 0 END) AS b, "
                        "sum(CASE WHEN level = 1 THEN 1 ELSE 0 END) AS c FROM risk_items GROUP BY report_id) a "
                        "ON a.report_id = r.id LEFT JOIN risk_obligations o ON o.id = r.obligation_id "
                        "WHERE NOT (r.first_for_obligation = (w.rn = 1) AND "
                        "r.first_for_required = (w.rn = 1 AND o.kind = 'initial' AND o.above_scale = TRUE) AND "
                        "r.items_total = coalesce(a.n, 0) AND r.items_major_or_above = coalesce(a.b, 0) AND "
                        "r.items_major = coalesce(a.c, 0))",
    }
    if obligations is not None:  # the items of those reports only
        q["risk_reports"] = q["risk_reports"].replace(
            "FROM risk_items GROUP BY report_id",
            "FROM risk_items WHERE report_id IN (SELECT id FROM risk_reports" + obl + ") GROUP BY report_id")
    return {t: int(conn.exec_driver_sql(s).scalar()) for t, s in q.items()}
