"""The dashboards' PostgreSQL role can read and append to the audit log, and change nothing else."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from seed.roles import create_roles


def test_reader_role_cannot_change_facts(db):
    if db.dialect.name != "postgresql":
        pytest.skip("database roles exist on PostgreSQL only")
    reader, writer = f"ov_reader_{os.getpid()}", f"ov_writer_{os.getpid()}"
    create_roles(db, reader, writer)
    url = db.url.set(username=reader, password=None)
    eng = create_engine(url)
    try:
        with eng.connect() as c:
            assert c.execute(text("select count(*) from inspections")).scalar() > 0
        for stmt in ("update inspections set department = 'x' where id = 1",
                     "delete from hidden_hazards where id = 1",
                     "insert into cases (case_no) values ('x')",
                     "update audit_log set event = 'x'",
                     "delete from audit_log",
                     "update users set role = 'admin'",
                     "drop table readings"):
            with eng.connect() as c, pytest.raises(ProgrammingError, match="permission denied|must be owner"):
                c.execute(text(stmt))
        with eng.begin() as c:
            c.execute(text("insert into audit_log (at, username, event, detail) values (now(), 'pytest', 'page_view', '{}')"))
        weng = create_engine(db.url.set(username=writer, password=None))
        with weng.begin() as c:
            c.execute(text("update inspections set department = department where id = 1"))
        weng.dispose()
    finally:
        eng.dispose()
        with db.begin() as c:
            for role in (reader, writer):
                c.execute(text(f'REASSIGN OWNED BY "{role}" TO postgres'))
                c.execute(text(f'DROP OWNED BY "{role}"'))
                c.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
