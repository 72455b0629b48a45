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


# columns a migration removed on purpose (0002: the users' lockout columns, unused since lockouts moved to the
# audit log); every other column of the previous schema must come through an upgrade with every value
DROPPED = {("users", "failed_attempts"), ("users", "locked_until")}


def _every_row(eng, columns: dict[str, list[str]]) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row (in key order) of each table, over the given columns."""
    from tests.intake_util import table_digest

    with eng.connect() as c:
        return {name: table_digest(c, name, cols) for name, cols in sorted(columns.items())}


def test_upgrade_from_the_previous_schema_keeps_every_row(db, session_tmp):
    """The seeded demo database taken back to the previous schema (0001) is the 'older database with data'; the
    upgrade to head must keep every row and value of every table, and add the new columns empty."""
    from alembic.script import ScriptDirectory

    from seed.migrate import alembic_config
    from tests.conftest import clone_database

    url = clone_database(db, "migrate_prev", session_tmp)
    eng = get_engine(url)
    try:
        downgrade(eng, "0001")
        insp = inspect(eng)
        old = {t: [c["name"] for c in insp.get_columns(t)] for t in insp.get_table_names() if t != "alembic_version"}
        assert "import_batches" not in old and "failed_attempts" in old["users"]
        kept = {t: [c for c in cols if (t, c) not in DROPPED] for t, cols in old.items()}
        before = _every_row(eng, kept)
        assert sum(n for n, _ in before.values()) > 1_000_000  # the whole demo data set, not an empty schema

        upgrade(eng)
        insp = inspect(eng)
        new = {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names()}
        assert all(set(cols) <= new[t] for t, cols in kept.items())
        assert _every_row(eng, kept) == before
        with eng.connect() as c:  # the new provenance columns exist and are empty for rows that were not imported
            for t in ("inspections", "hidden_hazards", "grids", "credit_ratings", "risk_reports"):
                assert c.execute(text(f"select count(*) from {t} where import_id is not null")).scalar() == 0
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert c.execute(text("select version_num from alembic_version")).scalar() == head
    finally:
        eng.dispose()
