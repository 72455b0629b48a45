"""Alembic migrations build the whole schema on an empty database, and can be undone and redone."""
from __future__ import annotations

from sqlalchemy import inspect, text

from queries.db import get_engine
from seed.migrate import downgrade, upgrade
from seed.schema import metadata
from tests.conftest import fresh_url


def test_upgrade_downgrade_upgrade(session_tmp, db):
    kind = db.dialect.name
    url = fresh_url("sqlite" if kind == "sqlite" else "postgresql", session_tmp, "oversight_migrate")
    eng = get_engine(url)
    upgrade(eng)
    names = set(inspect(eng).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= names
    with eng.connect() as c:
        assert c.execute(text("select version_num from alembic_version")).scalar()
    downgrade(eng, "base")
    assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
    upgrade(eng)
    assert {t.name for t in metadata.sorted_tables} <= set(inspect(eng).get_table_names())
    eng.dispose()
    if kind == "postgresql":
        from tests.conftest import drop_pg_database

        drop_pg_database(url.rsplit("/", 1)[1])
