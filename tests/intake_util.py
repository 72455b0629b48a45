"""Building city files for the intake tests from the seeded database (real enterprises, counties, campaigns)."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import marshal
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from queries.intake import KINDS, template_bytes
from seed import schema as S

# tables an import may write (audit_log and import_batches record the attempt itself)
WRITTEN = ["inspections", "hidden_hazards", "cases", "suspension_orders", "risk_obligations", "risk_reports",
           "credit_ratings", "grids", "campaign_stats"]


def xlsx(kind: str, rows: list[dict[str, Any]]) -> bytes:
    """The kind's own template with ``rows`` (column key -> value) filled in from row 2."""
    wb = load_workbook(io.BytesIO(template_bytes(kind)))
    ws = wb["数据"]
    keys = [c.key for c in KINDS[kind].columns]
    for i, r in enumerate(rows, start=2):
        for k, v in r.items():
            ws.cell(row=i, column=keys.index(k) + 1, value=v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(kind: str, rows: list[dict[str, Any]], encoding: str = "utf-8-sig") -> bytes:
    cols = KINDS[kind].columns
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([c.header for c in cols])
    for r in rows:
        w.writerow(["" if r.get(c.key) is None else r.get(c.key) for c in cols])
    return buf.getvalue().encode(encoding)


def table_digest(conn, table: str, columns: list[str] | None = None, order: list[str] | None = None) -> tuple[int, str]:
    """Row count and a digest of every row of ``table`` (over ``columns``, in ``order``; default all, by the primary
    key), computed where it is fast: in PostgreSQL (md5 of each row's text, aggregated in key order), and on SQLite
    through the raw driver (no SQLAlchemy type processing). Digests compare within one database only."""
    t = S.metadata.tables.get(table)
    order = order or ([c.name for c in t.primary_key.columns] if t is not None else None) or columns
    cols = ", ".join(f'"{c}"' for c in columns) if columns else "*"
    by = ", ".join(f'"{c}"' for c in order) if order else "1"
    if conn.dialect.name == "postgresql":
        row_text = f"ROW({cols})::text" if columns else "x::text"
        sql = (f'SELECT count(*), md5(coalesce(string_agg(md5({row_text}), \'\' ORDER BY {by}), \'\')) '
               f'FROM "{table}" x')
        n, h = conn.exec_driver_sql(sql).one()
        return int(n), h
    cur = conn.connection.driver_connection.cursor()
    cur.execute(f'SELECT {cols} FROM "{table}" ORDER BY {by}')
    h, n = hashlib.sha256(), 0
    while batch := cur.fetchmany(50000):
        h.update(marshal.dumps(batch, 2))  # version 2: no shared references, the bytes depend on values alone
        n += len(batch)
    cur.close()
    return n, h.hexdigest()


WRITES_LOG = "_test_writes"


def _watch(conn) -> None:
    """Row triggers on every table an import may write, logging each inserted, updated or deleted row into
    ``_test_writes`` (a test-only table of a throwaway copy). Whatever path writes — the import, a bug beside it,
    a statement that "changes" a row to the same values — leaves a line; a rolled-back transaction leaves none."""
    if conn.dialect.name == "postgresql":
        if conn.exec_driver_sql(f"SELECT to_regclass('{WRITES_LOG}')").scalar() is not None:
            return
        conn.exec_driver_sql(f"CREATE TABLE {WRITES_LOG} (id bigserial PRIMARY KEY, tbl text, op text)")
        conn.exec_driver_sql(f"""CREATE FUNCTION {WRITES_LOG}_note() RETURNS trigger LANGUAGE plpgsql
            SECURITY DEFINER SET search_path = public AS $$
            BEGIN INSERT INTO {WRITES_LOG}(tbl, op) VALUES (TG_TABLE_NAME, TG_OP); RETURN NULL; END $$""")
        for t in WRITTEN:
            conn.exec_driver_sql(f'CREATE TRIGGER {WRITES_LOG}_{t} AFTER INSERT OR UPDATE OR DELETE ON "{t}" '
                                 f"FOR EACH ROW EXECUTE FUNCTION {WRITES_LOG}_note()")
        return
    if conn.exec_driver_sql(f"SELECT 1 FROM sqlite_master WHERE name = '{WRITES_LOG}'").first():
        return
    conn.exec_driver_sql(f"CREATE TABLE {WRITES_LOG} (id INTEGER PRIMARY KEY, tbl TEXT, op TEXT)")
    for t in WRITTEN:
        for op in ("INSERT", "UPDATE", "DELETE"):
            conn.exec_driver_sql(f'CREATE TRIGGER {WRITES_LOG}_{t}_{op.lower()} AFTER {op} ON "{t}" FOR EACH ROW '
                                 f"BEGIN INSERT INTO {WRITES_LOG}(tbl, op) VALUES ('{t}', '{op}'); END")


def snapshot(engine) -> dict[str, int]:
    """How many rows of each table an import may write have been inserted, updated or deleted since the first
    snapshot of this database (equal snapshots: not one row written in between). The first call installs the
    row triggers; compare snapshots of one database only."""
    with engine.begin() as c:
        _watch(c)
        counts = dict(c.exec_driver_sql(f"SELECT tbl || ':' || op, count(*) FROM {WRITES_LOG} GROUP BY 1").all())
    return {f"{t}:{op}": counts.get(f"{t}:{op}", 0) for t in WRITTEN for op in ("INSERT", "UPDATE", "DELETE")}


def enterprises(engine, n: int, *, city: int | None = None, risk_scope: bool = False, offset: int = 0) -> list[dict]:
    E, Ind = S.enterprises, S.industries
    q = select(E.c.id, E.c.uscc, E.c.name, E.c.city_adcode, E.c.county_adcode, E.c.established_on)
    if city:
        q = q.where(E.c.city_adcode == city)
    if risk_scope:
        q = q.where(E.c.sector_code.in_(select(Ind.c.code).where(Ind.c.risk_report_scope.is_(True))))
    q = q.where(E.c.established_on < dt.date(2020, 1, 1)).order_by(E.c.id).offset(offset).limit(n)
    with engine.connect() as c:
        return [dict(r) for r in c.execute(q).mappings()]


def province_campaign(engine) -> dict:
    C = S.campaigns
    with engine.connect() as c:
        return dict(c.execute(select(C).where(C.c.city_adcode.is_(None)).order_by(C.c.id)).mappings().first())


def counties(engine, city: int | None = None) -> list[int]:
    D = S.divisions
    q = select(D.c.adcode).where(D.c.level == "county").order_by(D.c.adcode)
    if city:
        q = q.where(D.c.city_adcode == city)
    with engine.connect() as c:
        return [a for (a,) in c.execute(q)]
