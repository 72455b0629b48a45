"""Fast bulk loading: COPY on PostgreSQL, executemany on SQLite, inside the caller's transaction."""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Sequence

from sqlalchemy import Boolean, Connection, Date, DateTime, Numeric, Table, text


def _sqlite_datetime(v):
    """SQLAlchemy's SQLite storage format for DateTime; isoformat is 2.5 times faster than strftime (millions of
    readings at seeding) and gives the same text for a naive datetime."""
    if v is None:
        return None
    if type(v) is dt.datetime and v.tzinfo is None:
        return v.isoformat(" ", "microseconds")
    return v.strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_converter(col):
    t = col.type
    if isinstance(t, DateTime):
        return _sqlite_datetime
    if isinstance(t, Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(t, Boolean):
        return lambda v: None if v is None else int(bool(v))
    if isinstance(t, Numeric):
        return lambda v: None if v is None else float(v)
    return None


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence],
                batch: int = 50_000) -> int:
    """Insert tuples (in ``columns`` order) into ``table``; returns the number of rows."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return 0
    dialect = conn.dialect.name
    raw = conn.connection.driver_connection
    if dialect == "postgresql":
        cols = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cur:
            with cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as cp:
                for r in rows:
                    cp.write_row(r)
        return len(rows)
    convs = [_sqlite_converter(table.c[c]) for c in columns]
    if any(convs):
        idx = [(i, f) for i, f in enumerate(convs) if f is not None]

        def conv(r):
            r = list(r)
            for i, f in idx:
                r[i] = f(r[i])
            return r
    else:
        conv = None
    sql = f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
    cur = raw.cursor()
    try:
        for i in range(0, len(rows), batch):
            chunk = rows[i:i + batch]
            cur.executemany(sql, [conv(r) for r in chunk] if conv else chunk)
    finally:
        cur.close()
    return len(rows)


def reset_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """After explicit ids were loaded on PostgreSQL, move each serial sequence past the largest id."""
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        if "id" in t.c and t.c.id.primary_key:
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM \"{t.name}\"), 0) + 1, false)"))
