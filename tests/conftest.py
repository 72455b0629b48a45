"""Test fixtures: every SQL-touching test runs on SQLite and on PostgreSQL.

``db`` is parametrised over both engines. Each engine gets its own throwaway database, migrated and seeded once
per test session with the same seed and anchor (so figures are comparable across engines):
- SQLite: a file in a temporary directory;
- PostgreSQL: a database ``oversight_test_<pid>`` on ``OVERSIGHT_TEST_PG`` (default
  ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), dropped at the end.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from queries import db as dbmod  # noqa: E402
from queries.regions import clear_cache  # noqa: E402

PG_ADMIN = os.environ.get("OVERSIGHT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ANCHOR = dt.datetime.now().replace(microsecond=0)
ENGINES = ["sqlite", "postgresql"]


def pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def create_pg_database(name: str) -> str:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return pg_url(name)


def drop_pg_database(name: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_url(kind: str, tmp: Path, name: str) -> str:
    """An empty database of ``kind`` (sqlite | postgresql)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / (name + '.db')}"
    return create_pg_database(f"{name}_{os.getpid()}")


def migrate_and_seed(url: str):
    from seed.demo import seed_demo
    from seed.migrate import upgrade

    eng = dbmod.get_engine(url)
    upgrade(eng)
    seed_demo(eng, anchor=ANCHOR)
    return eng


_seeded: dict[str, object] = {}
_pg_names: list[str] = []


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("oversight")


@pytest.fixture(scope="session", params=ENGINES)
def db(request, session_tmp):
    """A migrated, seeded engine; the same demo data on both databases."""
    kind = request.param
    if kind not in _seeded:
        url = fresh_url(kind, session_tmp, "oversight_test")
        if kind == "postgresql":
            _pg_names.append(url.rsplit("/", 1)[1])
        _seeded[kind] = migrate_and_seed(url)
    return _seeded[kind]


@pytest.fixture(autouse=True)
def _point_default_db_at(request, monkeypatch):
    """Code that takes the default engine (CLI, pages) sees the test's database."""
    if "db" in request.fixturenames:
        eng = request.getfixturevalue("db")
        monkeypatch.setenv("OVERSIGHT_DB_URL", eng.url.render_as_string(hide_password=False))
        dbmod._ready.add(str(eng.url))
    yield


def pytest_sessionfinish(session, exitstatus):
    dbmod.dispose_all()
    clear_cache()
    for name in _pg_names:
        try:
            drop_pg_database(name)
        except Exception:  # noqa: BLE001 - best effort clean-up
            pass


def clone_database(engine, name: str, tmp: Path) -> str:
    """A copy of a seeded test database (for tests that write: imports, migrations), as a URL.

    SQLite: the online backup API into ``tmp/name.db``. PostgreSQL: ``CREATE DATABASE name TEMPLATE …`` (the
    source's pooled connections are closed first: a template must have no other sessions).
    """
    if engine.dialect.name == "sqlite":
        import sqlite3

        dst = tmp / f"{name}.db"
        dst.unlink(missing_ok=True)
        src = sqlite3.connect(engine.url.database)
        out = sqlite3.connect(dst)
        with out:
            src.backup(out)
        src.close()
        out.close()
        return f"sqlite:///{dst}"
    engine.dispose()
    pg_name = f"{name}_{os.getpid()}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:  # a template must have no other sessions: other engines' pooled ones are ended
        c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d "
                       "AND pid <> pg_backend_pid()"), {"d": engine.url.database})
        c.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{pg_name}" TEMPLATE "{engine.url.database}"'))
    admin.dispose()
    _pg_names.append(pg_name)
    return pg_url(pg_name)
