"""Alembic migrations build the whole schema on an empty database, and can be undone and redone."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from queries.db import get_engine
from seed.migrate import downgrade, upgrade
from seed.schema import metadata
from tests.dbcache import fresh_url, remove_copy

pytestmark = pytest.mark.slow  # whole upgrades and downgrades of the demo database


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
    remove_copy(url)


# columns a migration removed on purpose (0002: the users' lockout columns, unused since lockouts moved to the
# audit log); every other column of the previous schema must come through an upgrade with every value
DROPPED = {("users", "failed_attempts"), ("users", "locked_until")}


def _every_row(eng, columns: dict[str, list[str]]) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row (in key order) of each table, over the given columns."""
    from tests.intake_util import table_digest

    with eng.connect() as c:
        return {name: table_digest(c, name, cols) for name, cols in sorted(columns.items())}


# The five largest tables thinned to about a tenth (every table keeps rows of every kind; nothing left dangling):
# the upgrade's data steps run over ~0.9 million rows instead of 2.5 million (PostgreSQL 28 -> 7 s, SQLite 7 -> 3 s).
# Foreign keys are checked off while thinning (the child columns have no index at 0001; PostgreSQL would check
# every deleted parent by a scan), and the statements keep only rows nothing refers to.
_UNREFERENCED = {
    "sqlite": (("id NOT IN (SELECT inspection_id FROM hidden_hazards) AND id NOT IN (SELECT inspection_id FROM cases "
                "WHERE inspection_id IS NOT NULL) AND id NOT IN (SELECT inspection_id FROM suspension_orders WHERE "
                "inspection_id IS NOT NULL)"), "id NOT IN (SELECT grid_id FROM enterprises WHERE grid_id IS NOT NULL)"),
    "postgresql": (("NOT EXISTS (SELECT 1 FROM hidden_hazards h WHERE h.inspection_id = inspections.id) AND NOT EXISTS "
                    "(SELECT 1 FROM cases c WHERE c.inspection_id = inspections.id) AND NOT EXISTS (SELECT 1 FROM "
                    "suspension_orders s WHERE s.inspection_id = inspections.id)"),
                   "NOT EXISTS (SELECT 1 FROM enterprises e WHERE e.grid_id = grids.id)"),
}


def _thin(eng) -> None:
    inspections, grids = _UNREFERENCED[eng.dialect.name]
    with eng.connect() as c:
        off, on = (("PRAGMA foreign_keys=OFF", "PRAGMA foreign_keys=ON") if c.dialect.name == "sqlite" else
                   ("SET session_replication_role = replica", "RESET session_replication_role"))
        c.exec_driver_sql(off)
        c.commit()
        for stmt in ("DELETE FROM readings WHERE point_id % 10 <> 0", "DELETE FROM hidden_hazards WHERE id % 10 <> 0",
                     "DELETE FROM risk_items WHERE id % 10 <> 0",
                     f"DELETE FROM inspections WHERE id % 10 <> 0 AND {inspections}",
                     f"DELETE FROM grids WHERE id % 10 <> 0 AND {grids}"):
            c.execute(text(stmt))
        c.commit()
        c.exec_driver_sql(on)
        if c.dialect.name == "sqlite":
            assert c.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        c.commit()


def test_upgrade_from_the_previous_schema_keeps_every_row(db, session_tmp):
    """The seeded demo database taken back to the previous schema (0001) is the 'older database with data'; the
    upgrade to head must keep every row and value of every table, and add the new columns empty."""
    from alembic.script import ScriptDirectory

    from seed.migrate import alembic_config
    from tests.dbcache import clone_database

    url = clone_database(db, "migrate_prev", session_tmp)
    eng = get_engine(url)
    try:
        downgrade(eng, "0001")
        insp = inspect(eng)
        old = {t: [c["name"] for c in insp.get_columns(t)] for t in insp.get_table_names() if t != "alembic_version"}
        assert "import_batches" not in old and "failed_attempts" in old["users"]
        _thin(eng)
        now = _sign_in_history_of_the_old_schema(eng)
        kept = {t: [c for c in cols if (t, c) not in DROPPED] for t, cols in old.items()}
        before = _every_row(eng, kept)
        # the demo data set (thinned), not an empty schema: every table of facts keeps thousands of rows
        assert sum(n for n, _ in before.values()) > 800_000
        assert min(before[t][0] for t in ("readings", "hidden_hazards", "inspections", "grids", "risk_items",
                                          "credit_ratings", "risk_reports", "enterprises")) > 10_000

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
            # the maintained aggregates the migrations built (frozen copies) equal the current code's definition
            from seed import cells as cell_spec

            assert cell_spec.check(c) == {name: 0 for name in cell_spec.CHECKS}
        _sign_in_state_carried_over(eng, now)
    finally:
        remove_copy(url)


def _old_tables():
    import sqlalchemy as sa

    users = sa.table("users", *(sa.column(n, t) for n, t in (
        ("username", sa.String), ("display_name", sa.String), ("password_hash", sa.String), ("role", sa.String),
        ("active", sa.Boolean), ("demo", sa.Boolean), ("failed_attempts", sa.Integer), ("created_at", sa.DateTime),
        ("failed_logins", sa.Integer), ("locked_until", sa.DateTime), ("session_version", sa.Integer))))
    audit = sa.table("audit_log", sa.column("at", sa.DateTime), sa.column("username", sa.String),
                     sa.column("event", sa.String), sa.column("detail", sa.Text))
    return users, audit


def _sign_in_history_of_the_old_schema(eng):
    """Before 0004 a lock was derived from the audit log: one account locked now (five wrong passwords a few minutes
    ago), one with three failures, one whose failures ended with a sign-in, one whose lock has run out."""
    import datetime as dt

    users, audit = _old_tables()
    now = dt.datetime.now().replace(microsecond=0)
    history = {
        "mig_locked": [("login", 60)] + [("login_failed", 10 - i) for i in range(5)],
        "mig_three": [("login_failed", 9 - i) for i in range(3)],
        "mig_back": [("login_failed", 30 - i) for i in range(5)] + [("login", 2)],
        "mig_expired": [("login_failed", 40 - i) for i in range(6)],
    }
    with eng.begin() as c:
        for name, events in history.items():
            c.execute(users.insert().values(username=name, display_name=name, password_hash="x", role="leader",
                                            active=True, demo=False, failed_attempts=0, created_at=now))
            for event, minutes_ago in events:
                c.execute(audit.insert().values(at=now - dt.timedelta(minutes=minutes_ago), username=name, event=event,
                                                detail='{"reason": "wrong_password"}' if event == "login_failed" else "{}"))
    return now


def _sign_in_state_carried_over(eng, now):
    import datetime as dt

    from sqlalchemy import select, update

    users, _ = _old_tables()
    with eng.connect() as c:
        state = {r.username: (r.failed_logins, r.locked_until, r.session_version) for r in c.execute(
            select(users.c.username, users.c.failed_logins, users.c.locked_until, users.c.session_version)
            .where(users.c.username.like("mig_%")))}
    assert state == {"mig_locked": (5, now - dt.timedelta(minutes=6) + dt.timedelta(minutes=15), 0),
                     "mig_three": (3, None, 0), "mig_back": (0, None, 0), "mig_expired": (1, None, 0)}
    with eng.begin() as c:  # the trigger of 0004: a new role ends the sessions
        c.execute(update(users).where(users.c.username == "mig_three").values(role="writer"))
        assert c.execute(select(users.c.session_version).where(users.c.username == "mig_three")).scalar() == 1
        c.execute(update(users).where(users.c.username == "mig_three").values(display_name="x"))
        assert c.execute(select(users.c.session_version).where(users.c.username == "mig_three")).scalar() == 1
