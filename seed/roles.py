"""``oversight db-roles``: least-privilege PostgreSQL roles.

- the dashboards' role (reader): CONNECT, SELECT on every table, INSERT on ``audit_log`` only (sign-in events,
  page views and exports are appended; nothing can be edited);
- the writer role (feed, imports, migrations, seeding): all rights on the schema's tables and sequences.
Point the apps at the reader (``OVERSIGHT_DB_READ_URL`` and, for the apps' process, ``OVERSIGHT_DB_URL``) and
the feed/imports at the writer.
"""
from __future__ import annotations

import re
import sys

from sqlalchemy import Engine, text

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ident(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"invalid role name: {name!r}")
    return f'"{name}"'


def create_roles(engine: Engine, reader: str = "oversight_reader", writer: str = "oversight_writer",
                 reader_password: str | None = None, writer_password: str | None = None) -> None:
    if engine.dialect.name != "postgresql":
        raise ValueError("database roles are a PostgreSQL feature")
    r, w = _ident(reader), _ident(writer)
    with engine.begin() as c:
        db = c.execute(text("select current_database()")).scalar()
        for role, pw in ((reader, reader_password), (writer, writer_password)):
            exists = c.execute(text("select 1 from pg_roles where rolname = :n"), {"n": role}).first()
            if not exists:
                c.execute(text(f"CREATE ROLE {_ident(role)} LOGIN"))
            if pw:
                # ALTER ROLE takes no bind parameters: quote the literal (single quotes doubled)
                c.execute(text(f"ALTER ROLE {_ident(role)} PASSWORD '" + pw.replace("'", "''") + "'"))
        d = '"' + db.replace('"', '""') + '"'
        c.execute(text(f"GRANT CONNECT ON DATABASE {d} TO {r}, {w}"))
        c.execute(text(f"GRANT USAGE ON SCHEMA public TO {r}"))
        c.execute(text(f"GRANT USAGE, CREATE ON SCHEMA public TO {w}"))
        c.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {r}"))
        c.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {r}"))
        c.execute(text(f"GRANT INSERT ON audit_log TO {r}"))
        c.execute(text(f"GRANT USAGE ON SEQUENCE audit_log_id_seq TO {r}"))
        c.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {w}"))
        c.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {w}"))
        c.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {r}"))
        c.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO {w}"))
        c.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO {w}"))


def _cmd(args) -> int:
    from queries.db import get_engine

    try:
        create_roles(get_engine(), args.reader, args.writer, args.reader_password, args.writer_password)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"ok: roles {args.reader} (SELECT + INSERT audit_log) and {args.writer} (read/write)")
    return 0


def register_cli(sub) -> None:
    p = sub.add_parser("db-roles", help="create least-privilege PostgreSQL roles for the apps and the writers")
    p.add_argument("--reader", default="oversight_reader")
    p.add_argument("--writer", default="oversight_writer")
    p.add_argument("--reader-password")
    p.add_argument("--writer-password")
    p.set_defaults(fn=_cmd)
