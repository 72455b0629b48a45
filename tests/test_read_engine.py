"""The engine the pages read through (``queries.db.read_engine``): on PostgreSQL its own pool of autocommit,
read-only connections, pinged only after idling or when the server has sent something; on SQLite the primary."""
from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from queries import db as dbmod
from seed import schema as S

pytestmark = pytest.mark.engines("postgresql")


def _url(db) -> str:
    return db.url.render_as_string(hide_password=False)


def _last_query(db, pid: int) -> str:
    """What the server last ran for backend ``pid`` (seen from another connection)."""
    with db.connect() as c:
        return c.execute(text("SELECT query FROM pg_stat_activity WHERE pid = :p"), {"p": pid}).scalar()


def test_sqlite_reads_through_the_primary(engines):
    eng = engines["sqlite"]
    assert dbmod.read_engine(_url(eng)) is dbmod.get_engine(_url(eng))


def test_reads_are_one_statement_each_and_writes_are_refused(db):
    reader = dbmod.read_engine(_url(db))
    assert reader is not dbmod.get_engine(_url(db)) and reader is dbmod.read_engine(_url(db))
    with reader.connect() as c:
        assert c.execute(text("SELECT count(*) FROM enterprises")).scalar() > 0
        raw = c.connection.dbapi_connection
        # no transaction was opened for the read: nothing to BEGIN before it, nothing to roll back after it
        assert raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        assert c.execute(text("SHOW transaction_read_only")).scalar() == "on"
    for stmt in (S.audit_log.insert().values(at=text("now()"), username="x", event="export", detail="{}"),
                 text("UPDATE users SET display_name = display_name"),
                 text("CREATE TEMP TABLE t_read_engine (x int)")):
        with pytest.raises(DBAPIError) as e, reader.begin() as c:
            c.execute(stmt)
        assert isinstance(e.value.orig, psycopg.errors.ReadOnlySqlTransaction), e.value.orig
    # a figure read in steps still gets one snapshot on it (queries.base.one_snapshot)
    from queries.base import one_snapshot

    with one_snapshot(reader) as c:
        a = c.execute(text("SELECT count(*) FROM warnings")).scalar()
        assert c.connection.dbapi_connection.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        assert c.execute(text("SHOW transaction_isolation")).scalar() == "repeatable read"
        assert c.execute(text("SELECT count(*) FROM warnings")).scalar() == a
    with reader.connect() as c:  # and the connection goes back to autocommit
        c.execute(text("SELECT 1"))
        assert c.connection.dbapi_connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


@pytest.fixture
def own_reader(db):
    """A read engine with a pool of its own (another URL: an application name), so the tests know its connections."""
    url = _url(db) + "?application_name=read_engine_test"
    yield dbmod.read_engine(url)
    dbmod.forget(url)


def test_a_connection_is_pinged_only_after_idling(db, own_reader, monkeypatch):
    marker = "SELECT 42 AS read_engine_marker"
    for after, last in (("60", marker), ("0", "SELECT 1")):
        monkeypatch.setenv("OVERSIGHT_DB_PING_AFTER_S", after)
        with own_reader.connect() as c:
            pid = c.connection.dbapi_connection.info.backend_pid
            c.execute(text(marker))
        with own_reader.connect() as c:  # the pool's one connection again
            assert c.connection.dbapi_connection.info.backend_pid == pid
            # used a moment ago: the check-out sent nothing; idle longer than the threshold: a ping first
            assert _last_query(db, pid) == last


@pytest.mark.parametrize("how", ["one", "every", "cancelled-then-terminated"])
def test_a_backend_ended_by_the_server_is_replaced_before_use(db, own_reader, monkeypatch, how):
    """Used a moment ago (no ping due), then ended by the server (a restart or an administrator's
    pg_terminate_backend): the next reads get new connections instead of failing."""
    monkeypatch.setenv("OVERSIGHT_DB_PING_AFTER_S", "60")
    with own_reader.connect() as c1, own_reader.connect() as c2:  # two pooled connections
        pids = [c.connection.dbapi_connection.info.backend_pid for c in (c1, c2)]
        assert c1.execute(text("SELECT 1")).scalar() == c2.execute(text("SELECT 1")).scalar() == 1
    victims = pids if how == "every" else pids[:1]
    with db.connect() as admin:
        if how.startswith("cancelled"):
            admin.execute(text("SELECT pg_cancel_backend(:p)"), {"p": victims[0]})  # idle: nothing to cancel
        for p in victims:
            assert admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": p}).scalar()
        deadline = time.monotonic() + 30
        while admin.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:p)"),
                            {"p": victims}).scalar() and time.monotonic() < deadline:
            admin.rollback()  # (a transaction sees one snapshot of pg_stat_activity)
            time.sleep(0.05)
    with own_reader.connect() as c1, own_reader.connect() as c2, own_reader.connect() as c3:
        for c in (c1, c2, c3):
            assert c.execute(text("SELECT count(*) FROM divisions")).scalar() > 0
            assert c.connection.dbapi_connection.info.backend_pid not in victims


def test_the_urls_own_connection_options_are_kept(db):
    """An operator's options in the URL (a statement timeout, a search path) hold on the read engine too, beside
    its read-only default."""
    url = _url(db) + "?options=-c%20statement_timeout%3D4321%20-c%20search_path%3Dpublic"
    try:
        with dbmod.read_engine(url).connect() as c:
            assert c.execute(text("SHOW statement_timeout")).scalar() == "4321ms"
            assert c.execute(text("SHOW search_path")).scalar() == "public"
            assert c.execute(text("SHOW transaction_read_only")).scalar() == "on"
            assert c.execute(text("SELECT count(*) FROM divisions")).scalar() > 0
    finally:
        dbmod.forget(url)
