"""Test fixtures: every SQL-touching test runs on SQLite and on PostgreSQL.

``db`` is parametrised over both engines. The demo data are seeded once per *content hash* of the code that seeds
them (``seed/`` and the query modules it runs) and kept as a cache, so a run (and every xdist worker of it) only
clones them:
- SQLite: ``data/test-cache/demo-<hash>.db``, copied into the worker's temporary directory;
- PostgreSQL: the template database ``oversight_tpl_<hash>`` on ``OVERSIGHT_TEST_PG`` (default
  ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), cloned into ``oversight_test_<pid>`` (dropped at the
  end; the template stays for the next run).
The demo data place live monitoring relative to their anchor (the wall-clock time of seeding): a cache older than
``OVERSIGHT_TEST_SEED_MAX_AGE`` minutes (default 20) is seeded anew. Both engines share one anchor, so figures are
comparable across engines. Under xdist the controller seeds both engines in parallel before the workers start.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from queries import db as dbmod  # noqa: E402
from queries.regions import clear_cache  # noqa: E402

PG_ADMIN = os.environ.get("OVERSIGHT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ENGINES = ["sqlite", "postgresql"]
# one cache per machine, shared by every checkout (worktrees of one repository seed the same data once)
CACHE_DIR = Path(os.environ.get("OVERSIGHT_TEST_CACHE")
                 or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "oversight-tests")
SEED_MAX_AGE = dt.timedelta(minutes=float(os.environ.get("OVERSIGHT_TEST_SEED_MAX_AGE", "20")))
# what seed_demo runs: a change to any of these seeds the cache anew
SEED_INPUTS = ["seed", "queries/base.py", "queries/db.py", "queries/scope.py",
               "queries/regions.py", "queries/labels.py"]


def seed_hash() -> str:
    h = hashlib.sha256()
    for entry in SEED_INPUTS:
        base = ROOT / entry
        files = sorted(base.rglob("*")) if base.is_dir() else [base]
        for f in files:
            if f.is_file() and f.suffix in (".py", ".json", ".geojson", ".mako", ".md"):
                h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


SEED_HASH = seed_hash()
# a cache of another anchor or hash is kept this long after it was made (a run elsewhere may still copy from it)
KEEP_OTHERS = SEED_MAX_AGE + dt.timedelta(hours=2)


@contextmanager
def cache_lock(name: str = "seed"):
    """An exclusive lock shared by every pytest process on this machine (xdist workers, parallel runs)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _decide_anchor() -> dt.datetime:
    """The anchor of this content hash's cache if it is fresh enough, else now (and a new cache is made)."""
    meta = CACHE_DIR / f"anchor-{SEED_HASH}.json"
    now = dt.datetime.now().replace(microsecond=0)
    with cache_lock("anchor"):
        if meta.exists():
            try:
                anchor = dt.datetime.fromisoformat(json.loads(meta.read_text())["anchor"])
                if now - anchor <= SEED_MAX_AGE:
                    return anchor
            except (ValueError, KeyError):
                pass
        for old in CACHE_DIR.glob("*-*"):  # caches of other anchors and hashes no run is likely to use any more
            if old.suffix != ".lock" and now - dt.datetime.fromtimestamp(old.stat().st_mtime) > KEEP_OTHERS:
                shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
        meta.write_text(json.dumps({"anchor": now.isoformat(), "hash": SEED_HASH}))
        return now


ANCHOR = _decide_anchor()
# the caches of this hash and anchor: names carry both, so no run ever sees a cache change under it
CACHE_TAG = f"{SEED_HASH}_{ANCHOR:%Y%m%d%H%M%S}"
SQLITE_CACHE = CACHE_DIR / f"demo-{CACHE_TAG}.db"
PG_TEMPLATE = f"oversight_tpl_{CACHE_TAG}"


def pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def _pg_admin():
    return create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")


def create_pg_database(name: str, template: str | None = None) -> str:
    admin = _pg_admin()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    return pg_url(name)


def drop_pg_database(name: str) -> None:
    admin = _pg_admin()
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


def _sqlite_backup(src_path: Path, dst_path: Path) -> None:
    import sqlite3

    dst_path.unlink(missing_ok=True)
    src = sqlite3.connect(src_path)
    out = sqlite3.connect(dst_path)
    with out:
        src.backup(out)
    src.close()
    out.close()


def _pg_template_anchor() -> dt.datetime | None:
    admin = _pg_admin()
    try:
        with admin.connect() as c:
            if c.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": PG_TEMPLATE}).first() is None:
                return None
        eng = create_engine(pg_url(PG_TEMPLATE))
        try:
            with eng.connect() as c:
                return c.execute(text("SELECT max(anchor_at) FROM seed_runs")).scalar()
        except Exception:  # noqa: BLE001 - a half-built template: rebuild it
            return None
        finally:
            eng.dispose()
    finally:
        admin.dispose()


def _drop_stale_templates() -> None:
    """Templates of other hashes or anchors seeded longer than KEEP_OTHERS ago go (a run in another checkout on
    this machine may be using a recent one)."""
    admin = _pg_admin()
    with admin.connect() as c:
        names = [n for (n,) in c.execute(text(
            "SELECT datname FROM pg_database WHERE datname LIKE 'oversight\\_tpl\\_%' "
            "OR datname LIKE 'oversight\\_build\\_%'"))]
    for name in names:  # (builds are made under the machine-wide lock held now: one left over is a crash's)
        if name != PG_TEMPLATE and not name.startswith("oversight_build_"):
            eng = create_engine(pg_url(name))
            try:
                with eng.connect() as c:
                    anchor = c.execute(text("SELECT max(anchor_at) FROM seed_runs")).scalar()
            except Exception:  # noqa: BLE001 - unreadable: treat as stale
                anchor = None
            finally:
                eng.dispose()
            if anchor is not None and dt.datetime.now() - anchor < KEEP_OTHERS:
                continue
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def ensure_seed_cache(kind: str) -> None:
    """Seed this content hash's cache of ``kind`` unless a fresh one with the session's anchor exists."""
    with cache_lock(kind):
        if kind == "sqlite":
            if SQLITE_CACHE.exists():
                return
            building = SQLITE_CACHE.with_suffix(f".building-{os.getpid()}.db")
            eng = migrate_and_seed(f"sqlite:///{building}")
            with eng.connect() as c:
                c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            eng.dispose()
            dbmod.dispose_all()
            _sqlite_backup(building, SQLITE_CACHE)  # one self-contained file, no -wal beside it
            for f in CACHE_DIR.glob(building.name + "*"):
                f.unlink(missing_ok=True)
            return
        if _pg_template_anchor() == ANCHOR:
            return
        _drop_stale_templates()
        building = f"oversight_build_{CACHE_TAG}"
        eng = migrate_and_seed(create_pg_database(building))
        eng.dispose()
        dbmod.dispose_all()
        admin = _pg_admin()
        with admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{building}" RENAME TO "{PG_TEMPLATE}"'))
        admin.dispose()


def _ensure_both_caches() -> None:
    """Seed both engines' caches in parallel (two processes: the machine has two cores)."""
    import multiprocessing

    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool:
        for f in [pool.submit(ensure_seed_cache, k) for k in ENGINES]:
            f.result()


def pytest_configure(config):
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput") \
            and not config.option.collectonly:
        _ensure_both_caches()


_seeded: dict[str, object] = {}
_pg_names: list[str] = []


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("oversight")


def seeded_copy(kind: str, tmp: Path, name: str = "oversight_test") -> str:
    """A private copy of the seeded demo database of ``kind``, as a URL."""
    ensure_seed_cache(kind)
    if kind == "sqlite":
        dst = tmp / f"{name}.db"
        shutil.copyfile(SQLITE_CACHE, dst)
        return f"sqlite:///{dst}"
    pg_name = f"{name}_{os.getpid()}"
    with cache_lock("postgresql"):  # a template must have no other sessions while it is copied
        url = create_pg_database(pg_name, template=PG_TEMPLATE)
    _pg_names.append(pg_name)
    return url


def seeded_engine(kind: str, tmp: Path):
    """This test process's seeded engine of ``kind`` (one private copy per process, shared by its tests)."""
    if kind not in _seeded:
        url = seeded_copy(kind, tmp)
        eng = dbmod.get_engine(url)
        dbmod._ready.add(str(eng.url))
        _seeded[kind] = eng
    return _seeded[kind]


@pytest.fixture(scope="session", params=ENGINES)
def db(request, session_tmp):
    """A migrated, seeded engine; the same demo data on both databases."""
    return seeded_engine(request.param, session_tmp)


@pytest.fixture(scope="session")
def engines(session_tmp):
    """Both seeded engines at once, for comparing the databases: {"sqlite": …, "postgresql": …}."""
    return {kind: seeded_engine(kind, session_tmp) for kind in ENGINES}


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc):
    """``pytestmark = pytest.mark.engines("sqlite")``: the module's tests take ``db`` on those engines only (page
    tests: what a page draws from a query does not depend on the database; tests/test_pages_postgresql.py renders
    every page on PostgreSQL and compares it with SQLite)."""
    mark = metafunc.definition.get_closest_marker("engines")
    if mark and "db" in metafunc.fixturenames:  # as a mark, so the fixture's own params step aside
        metafunc.definition.add_marker(pytest.mark.parametrize("db", list(mark.args), indirect=True, scope="session"))


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
    """A pristine copy of the seeded demo database of ``engine``'s kind (for tests that write: imports,
    migrations), as a URL: copied from this content hash's cache, so it holds nothing earlier tests wrote."""
    return seeded_copy(engine.dialect.name, tmp, name)


PGSERVER_NAMES = ("pg_server", "pg_demo", "PgServer", "demo_server")


def _starts_pg_servers(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    return any(f"import {n}" in text or f", {n}" in text for n in PGSERVER_NAMES)


def _group_of(nodeid: str) -> str:
    """Tests that must not run at once with their like: the real-browser tests (each starts a Streamlit server and
    Chromium; two at once on two cores starve both) and those that start throwaway PostgreSQL servers."""
    file = nodeid.split("::", 1)[0]
    name = file.rsplit("/", 1)[-1]
    if name.startswith("test_browser_"):
        return "browser"
    path = ROOT / file
    if path.exists() and _starts_pg_servers(path):
        return "pgserver"
    # a module's tests of one database stay together, so its module-scoped fixtures (private copies of the demo
    # database, servers) are set up once; the two databases' halves of a module may run on different workers
    engine = next((e for e in ENGINES if f"[{e}" in nodeid or f"-{e}" in nodeid.split("[", 1)[-1]), "")
    return f"{file}::{engine}"


def pytest_xdist_make_scheduler(config, log):
    """One worker runs the browser tests one after another, one the throwaway-server tests; the rest spread over
    both. (xdist's own ``--dist loadgroup`` relies on rewriting node ids, which this pytest no longer honours.)"""
    from xdist.scheduler import LoadScopeScheduling

    class Grouped(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _group_of(nodeid)

    return Grouped(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark the throwaway-server tests (``-m "not pgserver"`` leaves them out)."""
    for item in items:
        if _group_of(item.nodeid) == "pgserver":
            item.add_marker(pytest.mark.pgserver)
