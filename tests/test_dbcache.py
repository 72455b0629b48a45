"""The test databases themselves: every private copy a test makes is removed again, and copies a killed run left
behind are dropped by the next (a demo copy is ~0.4 GB: kept for a whole run, they filled a CI machine's disk)."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from queries import db as dbmod
from tests import dbcache
from tests.dbcache import ROOT, clone_database, remove_copy

TESTS = ROOT / "tests"


def _pg_databases() -> set[str]:
    eng = create_engine(dbcache.PG_ADMIN)
    try:
        with eng.connect() as c:
            return {n for (n,) in c.execute(text("SELECT datname FROM pg_database"))}
    finally:
        eng.dispose()


def test_no_test_module_imports_conftest():
    """pytest loads conftest.py as a module of its own; importing it again (``tests.conftest``) made a second copy
    of the registry of copies, so the copies the tests made were never dropped."""
    offenders = []
    for path in sorted(TESTS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[-1] == "conftest"]
    assert offenders == []


def test_every_module_that_copies_the_database_removes_its_copies():
    makers = ("clone_database(", "fresh_url(", "seeded_copy(")
    missing = []
    for path in sorted(TESTS.glob("test_*.py")):
        src = path.read_text(encoding="utf-8")
        if path.name != "test_dbcache.py" and any(m in src for m in makers) \
                and "remove_copy(" not in src and "U.drop(" not in src:
            missing.append(path.name)
    assert missing == []


def test_a_copy_is_gone_after_remove_copy(db, session_tmp):
    url = clone_database(db, f"gone_{db.dialect.name}", session_tmp)
    eng = dbmod.get_engine(url)
    with eng.connect() as c:
        assert c.execute(text("SELECT count(*) FROM enterprises")).scalar() > 0
    remove_copy(url)
    assert dbmod.normalise_url(url) not in dbmod._engines and dbmod.normalise_url(url) not in dbmod._readers
    if db.dialect.name == "sqlite":
        path = Path(url.split("///", 1)[1])
        assert not path.exists() and not Path(f"{path}-wal").exists()
    else:
        assert url.rsplit("/", 1)[1] not in _pg_databases()
    assert all(url.endswith(k) is False for k in dbcache._copies)


@pytest.mark.engines("postgresql")
def test_copies_of_a_dead_process_are_dropped_and_a_live_ones_kept(db):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead_pid = int(dead.stdout)
    orphan = f"{dbcache.COPY_PREFIX}orphan_test_{dead_pid}"
    mine = f"{dbcache.COPY_PREFIX}orphan_test_{os.getpid()}"
    for name in (orphan, mine):
        dbcache.create_pg_database(name)
    try:
        dropped = dbcache.drop_orphans()
        names = _pg_databases()
        assert orphan in dropped and orphan not in names
        assert mine in names and mine not in dropped
        assert all(n.startswith(dbcache.COPY_PREFIX) for n in dropped)
        assert not any(n.startswith("oversight_tpl_") for n in dropped)
    finally:
        dbcache.drop_pg_database(orphan)
        dbcache.drop_pg_database(mine)
