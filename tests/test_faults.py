"""Faults: the database restarts (PostgreSQL, a throwaway server of the test's own, really stopped and started) or
is locked (SQLite, another connection holding the lock) during a page view and during the feed.

- A page view: the page says so in Chinese (no traceback), keeps the session, and renders its figures again once
  the database is back, by itself (a retry fragment reruns the page; checked in a real browser).
- The feed: readings produced during the outage are buffered and written when the database is back; every
  reading lands exactly once, also when the server dies in the middle of the feed's write.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import time

import pytest
from sqlalchemy import event, func, select

from pages.app import OUTAGE_MESSAGE
from queries import db as dbmod, ingest as I
from queries.regions import clear_cache
from seed import schema as S
from tests import ingest_util as U
from tests.apptest_util import app, clear_caches, metrics
from tests.pgserver import pg_demo  # noqa: F401 - fixture
from tests.test_feed import N_EXTRA, Clock, make_feed, stored, tick

R = S.readings


def outage_shown(at) -> bool:
    return any(OUTAGE_MESSAGE in e.value for e in at.error)


def figures(at) -> dict[str, str]:
    m = metrics(at)
    assert m and all(v not in ("", "—") for v in list(m.values())[:3]), m
    return m


@pytest.fixture
def on(monkeypatch):
    """Point the apps at ``url`` (primary = reader), with fresh caches."""
    def point(url: str) -> None:
        monkeypatch.setenv("OVERSIGHT_DB_URL", url)
        monkeypatch.delenv("OVERSIGHT_DB_READ_URL", raising=False)
        dbmod._ready.add(str(dbmod.get_engine(url).url))
        clear_caches()
        clear_cache()
    yield point
    clear_caches()
    clear_cache()


# --- a page view --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", [None, "risk.py"])
def test_page_view_through_a_postgresql_restart(pg_demo, on, page):
    on(pg_demo.url("oversight"))
    at = app("leadership", "leader", page=page)
    assert not at.exception and not at.error
    before = figures(at)
    pg_demo.stop()
    try:
        clear_caches()  # figures cached less than a minute ago would still show: ask the database
        t0 = time.monotonic()
        at.run()
        assert time.monotonic() - t0 < 15
        assert not at.exception, at.exception  # no traceback
        assert outage_shown(at), [e.value for e in at.error]
        assert at.session_state["oversight_user"].username == "leader"  # still signed in
        at.run()  # a second view while it is still down: the same
        assert not at.exception and outage_shown(at)
    finally:
        pg_demo.start()
    at.run()  # what the retry fragment does when the database answers again
    assert not at.exception and not at.error
    assert figures(at) == before


def test_sign_in_page_through_a_postgresql_restart(pg_demo, on):
    """Signed out (the sign-in form needs the users table): the message, then the form again by itself."""
    on(pg_demo.url("oversight"))
    at = app("leadership")
    assert not at.exception and [t.label for t in at.text_input] == ["用户名", "密码"]
    pg_demo.stop()
    try:
        clear_caches()
        at.run()
        assert not at.exception, at.exception
        assert any("数据库暂时无法连接" in e.value for e in at.error) and not at.text_input
    finally:
        pg_demo.start()
    at.run()
    assert not at.exception and not at.error
    at.text_input[0].input("leader")
    at.text_input[1].input("leader-demo")
    at.button[0].click().run()
    assert not at.exception and at.session_state["oversight_user"].username == "leader"


@pytest.fixture
def sqlite_copy(db, tmp_path):
    """A private copy of the seeded SQLite test database (the test locks it); ``db`` is parametrised to SQLite."""
    path = tmp_path / "oversight.db"
    s = sqlite3.connect(db.url.database)
    d = sqlite3.connect(path)
    s.backup(d)
    d.execute("PRAGMA journal_mode=WAL")
    d.close()
    s.close()
    return f"sqlite:///{path}"


def _drop_pool(url: str) -> None:
    dbmod.drop_connections(url)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_page_view_with_the_sqlite_database_locked(db, sqlite_copy, on, monkeypatch):
    """A writer holding the lock (an import, a seed) does not stop the pages (WAL readers go on; the page-view
    audit entry gives up after the busy timeout); a lock that excludes readers gets the message, then recovery."""
    monkeypatch.setenv("OVERSIGHT_SQLITE_BUSY_MS", "300")
    on(sqlite_copy)
    path = sqlite_copy.split("///", 1)[1]
    at = app("leadership", "leader")
    assert not at.exception and not at.error
    before = figures(at)

    writer = sqlite3.connect(path, isolation_level=None, timeout=1)
    writer.execute("BEGIN EXCLUSIVE")  # e.g. an import in its transaction
    try:
        clear_caches()
        at.query_params["industry"] = "chem"  # a new view: its page-view audit entry meets the lock
        t0 = time.monotonic()
        at.run()
        took = time.monotonic() - t0
        assert not at.exception and not at.error
        assert figures(at)
        assert took < 8, took  # not the default 10 s wait per view
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    del at.query_params["industry"]

    _drop_pool(sqlite_copy)  # an exclusive-mode lock can only be taken while no other connection is open
    holder = sqlite3.connect(path, isolation_level=None, timeout=1)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE seed_runs SET seconds = seconds")  # holds the exclusive lock: readers are shut out
    try:
        clear_caches()
        t0 = time.monotonic()
        at.run()
        assert time.monotonic() - t0 < 15
        assert not at.exception, at.exception
        assert outage_shown(at), [e.value for e in at.error]
    finally:
        holder.execute("ROLLBACK")
        holder.execute("PRAGMA locking_mode=NORMAL")
        holder.execute("SELECT count(*) FROM seed_runs")  # the lock is released at the next access
        holder.close()
    at.run()
    assert not at.exception and not at.error
    assert figures(at) == before


# --- the feed -----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def feed_db(pg_demo):
    """A small monitoring network in its own database on the throwaway server."""
    url = pg_demo.create_database("feed")
    eng = U.build(url, extra_points=N_EXTRA)
    yield eng
    eng.dispose()
    dbmod.forget(url)
    I.forget_points()


def _exactly_once(eng, produced: dict) -> None:
    want = {(pid, ts): v for ts, vals in produced.items() for pid, v in vals.items()}
    got = stored(eng)
    with eng.connect() as c:
        rows = c.execute(select(func.count()).select_from(R)).scalar()
    assert rows == len(got) == len(want), "every reading once: none lost, none twice"
    assert set(got) == set(want)
    assert all(got[k] == pytest.approx(v) for k, v in want.items())


def test_feed_through_a_postgresql_restart(pg_demo, feed_db):
    U.reset(feed_db)
    clock = Clock(U.T0)
    feed = make_feed(feed_db, clock, alarm_rate=50, offline_rate=0)
    produced: dict = {}
    assert tick(feed, clock, 1, produced)
    pg_demo.stop()
    try:
        t0 = time.monotonic()
        for k in range(2, 7):  # five ticks (50 s of the network) while the server is down
            assert tick(feed, clock, k, produced) is False
        assert time.monotonic() - t0 < 15
        assert feed.buffered == 5 * (len(U.POINTS) + N_EXTRA) and feed.outage_since is not None
    finally:
        pg_demo.start()
    for k in range(7, 9):
        assert tick(feed, clock, k, produced)
    assert feed.buffered == 0 and feed.lost == 0 and feed.outage_since is None
    _exactly_once(feed_db, produced)
    with feed_db.connect() as c:  # point state follows the newest reading
        assert c.execute(select(func.max(S.point_state.c.reading_at))).scalar() == U.T0 + dt.timedelta(seconds=80)


def test_feed_when_the_server_dies_in_the_middle_of_its_write(pg_demo, feed_db):
    """The server is killed (immediate shutdown, like a crash) while the feed writes its readings: the half-done
    transaction is gone, the feed keeps the batch, and writes it once when the server is back."""
    U.reset(feed_db)
    clock = Clock(U.T0)
    feed = make_feed(feed_db, clock, alarm_rate=50, offline_rate=0)
    produced: dict = {}
    assert tick(feed, clock, 1, produced)
    state = {"armed": True}

    def crash(conn, cursor, statement, parameters, context, executemany):
        if state["armed"] and "readings" in statement and statement.lstrip().upper().startswith("INSERT"):
            state["armed"] = False
            pg_demo.stop("immediate")

    event.listen(feed_db, "before_cursor_execute", crash)
    try:
        assert tick(feed, clock, 2, produced) is False
        assert not state["armed"] and feed.buffered == len(U.POINTS) + N_EXTRA
        assert tick(feed, clock, 3, produced) is False  # still down
    finally:
        event.remove(feed_db, "before_cursor_execute", crash)
        pg_demo.start()
    assert tick(feed, clock, 4, produced)
    assert feed.buffered == 0 and feed.lost == 0
    _exactly_once(feed_db, produced)


def test_feed_with_the_sqlite_database_locked(tmp_path, monkeypatch):
    """The apps' own engine (``OVERSIGHT_SQLITE_BUSY_MS`` short) against another connection's exclusive lock."""
    monkeypatch.setenv("OVERSIGHT_SQLITE_BUSY_MS", "200")
    url = f"sqlite:///{tmp_path / 'feed.db'}"
    eng = U.build(url, extra_points=N_EXTRA)
    try:
        clock = Clock(U.T0)
        feed = make_feed(eng, clock, alarm_rate=50, offline_rate=0)
        produced: dict = {}
        assert tick(feed, clock, 1, produced)
        holder = sqlite3.connect(tmp_path / "feed.db", isolation_level=None, timeout=1)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            t0 = time.monotonic()
            for k in range(2, 6):
                assert tick(feed, clock, k, produced) is False
            assert time.monotonic() - t0 < 10
            assert feed.buffered == 4 * (len(U.POINTS) + N_EXTRA)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert tick(feed, clock, 6, produced)
        assert feed.buffered == 0 and feed.lost == 0
        _exactly_once(eng, produced)
    finally:
        eng.dispose()
        dbmod.forget(url)
        I.forget_points()
