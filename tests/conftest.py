"""Test fixtures: every SQL-touching test runs on SQLite and on PostgreSQL.

``db`` is parametrised over both engines: a private copy, per test process, of the seeded demo database (see
tests/dbcache.py: seeded once per content hash of the seed code, kept as a machine-wide cache). Under xdist the
controller seeds both engines in parallel before the workers start, and first drops the copies that killed runs left
behind. Test modules import helpers from ``tests.dbcache``, never from this module.
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cli.apptest import as_a_server_does  # noqa: E402
from queries import db as dbmod  # noqa: E402
from queries.regions import clear_cache  # noqa: E402
from tests.dbcache import (  # noqa: E402
    ENGINES, ROOT, _ensure_both_caches, drop_orphans, free_disk_gb, remove_all_copies, seeded_engine,
)

# what a run of the whole suite adds to the disk at its peak (measured: README, Tests), with room to spare
DISK_NEEDED_GB = 10


def pytest_configure(config):
    as_a_server_does()  # AppTest scans components and compiles each script once per process (cli/apptest.py)
    # accounts the tests create hash their passwords at bcrypt's lowest cost (the product's cost, 12, is not what
    # they test; the tests that compare an unknown name's cost with a real one's read accounts.BCRYPT_ROUNDS)
    from queries import accounts

    accounts.BCRYPT_ROUNDS = 4
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput") \
            and not config.option.collectonly:
        drop_orphans()
        _ensure_both_caches()


def pytest_report_header(config):
    free = free_disk_gb()
    line = f"disk: {free:.1f} GB free where the test databases go"
    if free < DISK_NEEDED_GB:
        line += f" -- LOW: the whole suite needs about {DISK_NEEDED_GB} GB at its peak"
    return line


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("oversight")


@pytest.fixture(scope="session", params=ENGINES)
def db(request, session_tmp):
    """A migrated, seeded engine; the same demo data on both databases."""
    return seeded_engine(request.param, session_tmp)


@pytest.fixture(scope="session")
def engines(session_tmp):
    """Both seeded engines at once, for comparing the databases: {"sqlite": …, "postgresql": …}."""
    if len(ENGINES) < 2:
        pytest.skip("compares the two databases; OVERSIGHT_TEST_ENGINES names one")
    return {kind: seeded_engine(kind, session_tmp) for kind in ENGINES}


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc):
    """``pytestmark = pytest.mark.engines("sqlite")``: the module's tests take ``db`` on those engines only (page
    tests: what a page draws from a query does not depend on the database; tests/test_pages_postgresql.py renders
    every page on PostgreSQL and compares it with SQLite)."""
    mark = metafunc.definition.get_closest_marker("engines")
    if mark and "db" in metafunc.fixturenames:  # as a mark, so the fixture's own params step aside
        kinds = [k for k in mark.args if k in ENGINES]  # none: the test is skipped (an empty parameter set)
        metafunc.definition.add_marker(pytest.mark.parametrize("db", kinds, indirect=True, scope="session"))


@pytest.fixture(autouse=True)
def _point_default_db_at(request, monkeypatch):
    """Code that takes the default engine (CLI, pages) sees the test's database."""
    if "db" in request.fixturenames:
        eng = request.getfixturevalue("db")
        monkeypatch.setenv("OVERSIGHT_DB_URL", eng.url.render_as_string(hide_password=False))
        dbmod._ready.add(str(eng.url))
    yield


def pytest_sessionfinish(session, exitstatus):
    clear_cache()
    remove_all_copies()


PGSERVER_NAMES = ("pg_server", "pg_demo", "PgServer", "demo_server")


@functools.cache
def _module_text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


@functools.cache
def _marked_slow_as_a_whole(path: Path) -> bool:
    """The module's own ``pytestmark`` names the slow mark (not a decorator or a parameter's marks on some tests)."""
    import ast

    text = _module_text(path)
    if not text:
        return False
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            return any(isinstance(n, ast.Attribute) and n.attr == "slow" for n in ast.walk(node.value))
    return False


def _starts_pg_servers(path: Path) -> bool:
    text = _module_text(path)
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

        def _assign_work_unit(self, node) -> None:
            # The longest work first, so that the run does not end with one worker alone on it: the browser tests
            # (~5 minutes, one after another), then the throwaway servers, then the modules marked slow (they
            # mostly wait for real time: the other worker's browser uses the core meanwhile), then the other
            # groups, the larger first (xdist's own order, by the number of tests, started the browser tests a
            # third into the run). Done on the first assignment, when the queue is complete; the workers'
            # collections keep their order (the scheduler addresses tests by their index in them).
            if not getattr(self, "_longest_first", False):
                self._longest_first = True

                def rank(unit):
                    scope, tests = unit
                    slow = _marked_slow_as_a_whole(ROOT / scope.split("::", 1)[0])
                    return {"browser": 0, "pgserver": 1}.get(scope, 2 if slow else 3), -len(tests)

                units = sorted(self.workqueue.items(), key=rank)
                self.workqueue.clear()
                self.workqueue.update(units)
            super()._assign_work_unit(node)

    return Grouped(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark the throwaway-server tests (``-m "not pgserver"`` leaves them out)."""
    for item in items:
        if _group_of(item.nodeid) == "pgserver":
            item.add_marker(pytest.mark.pgserver)
