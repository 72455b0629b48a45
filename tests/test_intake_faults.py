"""An import when the database fails: it lands whole or not at all.

- PostgreSQL: a throwaway server of the test's own is really stopped (fast shutdown, and a crash-like immediate
  shutdown) while the import is inside its transaction, after its rows were sent; the import is refused with a
  Chinese message, nothing of it is in the database once the server is back, and the same file then lands whole.
  Also a server that is down before the import starts, and the CLI's exit code.
- SQLite: another connection holds the write lock (e.g. a seed or a second import): the import waits for the busy
  timeout, is refused with the "locked" message, nothing is written; once the lock is gone the file lands whole.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from queries import db as dbmod
from queries.intake import KINDS, ImportRefused, import_file
from seed import schema as S
from tests.dbcache import ROOT, clone_database, remove_copy
from tests.intake_util import counties, snapshot, xlsx
from tests.pgserver import pg_demo  # noqa: F401 - fixture

NOW = dt.datetime(2021, 6, 1, 9, 0)
N = 120  # rows in the file: several statements' worth


def grid_file(eng, prefix: str) -> bytes:
    cs = counties(eng, 320500)
    return xlsx("grids", [{"code": f"{prefix}-{i:04d}", "name": f"故障测试网格{i}", "kind": "应急网格",
                           "county": cs[i % len(cs)], "enterprises_filed": i % 17,
                           "established_on": dt.date(2020, 3, 1)} for i in range(N)])


def imported(eng, prefix: str) -> int:
    with eng.connect() as c:
        return c.execute(select(func.count()).select_from(S.grids).where(S.grids.c.code.like(f"{prefix}-%"))).scalar()


def batches(eng) -> tuple[int, int]:
    """Import batches and audit entries of accepted imports."""
    with eng.connect() as c:
        return (c.execute(select(func.count()).select_from(S.import_batches)).scalar(),
                c.execute(select(func.count()).select_from(S.audit_log).where(S.audit_log.c.event == "import")).scalar())


def run(eng, data, name="网格.xlsx"):
    return import_file("grids", data, name, engine=eng, importer="tester", now=NOW)


@pytest.fixture
def stop_inside(monkeypatch):
    """Make the grids import call ``action`` right after it has written its rows, inside its transaction."""
    def arm(action):
        kind = KINDS["grids"]
        original = kind.apply

        def apply(conn, rows, ctx):
            out = original(conn, rows, ctx)
            with_rows = conn.execute(select(func.count()).select_from(S.grids)
                                     .where(S.grids.c.import_id == ctx.batch_id)).scalar()
            assert with_rows == N  # the rows are really in the open transaction
            action()
            return out

        monkeypatch.setattr(kind, "apply", apply)
        return lambda: monkeypatch.setattr(kind, "apply", original)
    return arm


@pytest.fixture(scope="module")
def pg_intake(pg_demo):
    """A database of the demo data on the throwaway server, private to this module (this module writes)."""
    dbmod.drop_connections(pg_demo.url("oversight"))  # a template database must have no other sessions
    pg_demo.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'oversight'")
    pg_demo.execute('DROP DATABASE IF EXISTS "intake_faults" WITH (FORCE)')
    pg_demo.execute('CREATE DATABASE "intake_faults" TEMPLATE "oversight" STRATEGY FILE_COPY')  # (tests/dbcache.py)
    eng = dbmod.get_engine(pg_demo.url("intake_faults"))
    yield eng
    dbmod.forget(pg_demo.url("intake_faults"))


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgresql_stopped_in_the_middle_of_an_import(pg_demo, pg_intake, stop_inside, mode):
    prefix = f"PGF{mode[0].upper()}"
    data = grid_file(pg_intake, prefix)
    before, n_batches = snapshot(pg_intake), batches(pg_intake)
    disarm = stop_inside(lambda: pg_demo.stop(mode))
    try:
        with pytest.raises(ImportRefused) as e:
            run(pg_intake, data)
    finally:
        disarm()
        pg_demo.start()
    assert "未写入任何数据" in str(e.value) and "重新导入" in str(e.value), str(e.value)
    assert imported(pg_intake, prefix) == 0 and batches(pg_intake) == n_batches
    assert snapshot(pg_intake) == before  # not one row of the file, not the batch, not the audit entry

    rep = run(pg_intake, data)  # the same file after the restart: lands whole, once
    assert rep.committed and rep.inserted == N and not rep.problems
    assert imported(pg_intake, prefix) == N and batches(pg_intake) == (n_batches[0] + 1, n_batches[1] + 1)
    with pg_intake.connect() as c:
        rows = sorted(c.execute(select(S.grids.c.import_row).where(S.grids.c.import_id == rep.batch_id)).scalars())
    assert rows == list(range(2, N + 2))


def test_postgresql_down_before_the_import_and_the_cli(pg_demo, pg_intake):
    data = grid_file(pg_intake, "PGD")
    before = snapshot(pg_intake)
    pg_demo.stop()
    try:
        with pytest.raises(ImportRefused) as e:
            run(pg_intake, data)
        assert "数据库连接中断" in str(e.value)
        path = ROOT / "artifacts" / "intake_faults_grids.xlsx"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        env = {"OVERSIGHT_DB_URL": pg_demo.url("intake_faults"), "OVERSIGHT_DB_CONNECT_TIMEOUT": "3",
               "PATH": "/usr/bin:/bin"}
        cli = subprocess.run([sys.executable, "-m", "cli", "import", "grids", str(path)],
                             capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
        assert cli.returncode == 3, (cli.returncode, cli.stderr)
        assert "未写入任何数据" in cli.stderr
    finally:
        pg_demo.start()
    assert snapshot(pg_intake) == before
    assert run(pg_intake, data).inserted == N


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_sqlite_locked_during_an_import(db, session_tmp, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_SQLITE_BUSY_MS", "300")
    url = clone_database(db, "intake_locked", session_tmp)
    eng = dbmod.get_engine(url)
    try:
        data = grid_file(eng, "SQL")
        before = snapshot(eng)
        holder = sqlite3.connect(url.split("///", 1)[1], isolation_level=None, timeout=1)
        holder.execute("BEGIN IMMEDIATE")  # another writer (a seed, a second import) holds the write lock
        holder.execute("UPDATE seed_runs SET seconds = seconds")
        try:
            with pytest.raises(ImportRefused) as e:
                run(eng, data)
            assert "锁定" in str(e.value) and "未写入任何数据" in str(e.value)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert snapshot(eng) == before and imported(eng, "SQL") == 0
        rep = run(eng, data)
        assert rep.committed and rep.inserted == N and imported(eng, "SQL") == N
    finally:
        remove_copy(url)
