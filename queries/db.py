"""Database selection and connections. No Streamlit here.

``OVERSIGHT_DB_URL`` (an SQLAlchemy URL) selects the shared database; without it an embedded SQLite file
``data/oversight.db`` under the project root is used, created (migrated and seeded) the first time anything
needs it. ``OVERSIGHT_DB_READ_URL`` optionally points readers (the dashboards) at a replica.
"""
from __future__ import annotations

import os
import select as io_select
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc, inspect, select

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "data" / "oversight.db"

_engines: dict[str, Engine] = {}
_readers: dict[str, Engine] = {}
_lock = threading.Lock()
_ready: set[str] = set()


def database_url() -> str:
    url = os.environ.get("OVERSIGHT_DB_URL", "").strip()
    if url:
        return normalise_url(url)
    return f"sqlite:///{DEFAULT_SQLITE}"


def read_url() -> str:
    url = os.environ.get("OVERSIGHT_DB_READ_URL", "").strip()
    return normalise_url(url) if url else database_url()


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use psycopg 3 for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sqlite_busy_ms() -> int:
    """How long an SQLite statement waits for another connection's lock before failing with "database is locked"
    (``OVERSIGHT_SQLITE_BUSY_MS``, default 10000)."""
    try:
        return max(0, int(float(os.environ.get("OVERSIGHT_SQLITE_BUSY_MS", "10000"))))
    except ValueError:
        return 10000


def sqlite_mmap_mb() -> int:
    """How much of an SQLite database file is memory-mapped (``OVERSIGHT_SQLITE_MMAP_MB``, default 2048; 0 turns
    it off). Reads of mapped pages skip the copy into SQLite's page cache: aggregates over a province's
    inspections or risk reports run about 1.5× faster. SQLite caps it at its build's limit (2 GiB here)."""
    try:
        return max(0, int(float(os.environ.get("OVERSIGHT_SQLITE_MMAP_MB", "2048"))))
    except ValueError:
        return 2048


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={sqlite_busy_ms()}")  # first: switching to WAL needs the lock too
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute(f"PRAGMA mmap_size={sqlite_mmap_mb() * 2**20}")
    cur.close()


def get_engine(url: str | None = None) -> Engine:
    """One engine (connection pool) per URL per process."""
    url = normalise_url(url) if url else database_url()
    with _lock:
        eng = _engines.get(url)
        if eng is None:
            if url.startswith("sqlite"):
                path = url.split("///", 1)[-1]
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                eng = create_engine(url, connect_args={"timeout": sqlite_busy_ms() / 1000,
                                                 "check_same_thread": False})
                event.listen(eng, "connect", _sqlite_pragmas)
            else:
                # pre-ping: a pooled connection that died with a server restart is replaced, not handed out;
                # connect_timeout: an unreachable host fails a page in seconds instead of hanging it
                eng = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                                    connect_args={"connect_timeout": int(os.environ.get(
                                        "OVERSIGHT_DB_CONNECT_TIMEOUT", "5"))})
            _engines[url] = eng
        return eng


def dispose_all() -> None:
    with _lock:
        for eng in [*_engines.values(), *_readers.values()]:
            eng.dispose()
        _engines.clear()
        _readers.clear()
        _ready.clear()


def forget(url: str) -> None:
    """Close and drop the engines (primary and reader) this process holds for ``url``."""
    url = normalise_url(url)
    with _lock:
        for pool in (_engines, _readers):
            eng = pool.pop(url, None)
            if eng is not None:
                eng.dispose()
        _ready.discard(url)


def drop_connections(url: str) -> None:
    """Close the pooled connections this process holds for ``url`` (its engines stay usable)."""
    url = normalise_url(url)
    with _lock:
        for pool in (_engines, _readers):
            if url in pool:
                pool[url].dispose()


def is_seeded(engine: Engine) -> bool:
    from seed.schema import seed_runs

    if not inspect(engine).has_table("seed_runs"):
        return False
    with engine.connect() as conn:
        return conn.execute(select(seed_runs.c.id).limit(1)).first() is not None


def ensure_database(url: str | None = None, *, seed_if_empty: bool = True) -> Engine:
    """Migrate the database to the newest schema and seed the demo data if it holds none.

    Idempotent and cheap after the first call in a process.
    """
    eng = get_engine(url)
    key = str(eng.url)
    if key in _ready:
        return eng
    with _lock:
        if key in _ready:
            return eng
    from seed.migrate import upgrade

    upgrade(eng)
    if seed_if_empty and not is_seeded(eng):
        from seed.demo import seed_demo

        seed_demo(eng)
    with _lock:
        _ready.add(key)
    return eng


def ping_after_s() -> float:
    """A pooled read connection is pinged before use only when it has been idle this long
    (``OVERSIGHT_DB_PING_AFTER_S``, default 2 seconds)."""
    try:
        return max(0.0, float(os.environ.get("OVERSIGHT_DB_PING_AFTER_S", "2")))
    except ValueError:
        return 2.0


def _mark_used(_dbapi_conn, record, *_args) -> None:
    record.info["used_at"] = time.monotonic()


def _read_only(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("SET default_transaction_read_only = on")
    finally:
        cur.close()


def _has_news(dbapi_conn) -> bool:
    """The server has sent something to a connection nobody is using: it is going away (a restart, a terminated
    backend: PostgreSQL writes its FATAL message and closes the socket) or it is unusable. A poll of the socket, no
    round trip."""
    try:
        poll = io_select.poll()  # (not select(): it cannot watch a descriptor numbered 1024 or above)
        poll.register(dbapi_conn.fileno(), io_select.POLLIN | io_select.POLLERR | io_select.POLLHUP)
        return bool(poll.poll(0))
    except Exception:  # noqa: BLE001 - closed or broken: ask it properly
        return True


def _ping_if_idle(dbapi_conn, record, _proxy) -> None:
    """Before a check-out: a connection idle for longer than ``ping_after_s``, or whose socket holds something the
    server sent while it idled, answers ``SELECT 1`` first; one that cannot is replaced, and so is every other
    connection of the pool, as ``pool_pre_ping`` does. A page's statements follow each other within milliseconds:
    a page run pings each connection once at most instead of before each statement, and a restart or a terminated
    backend is still noticed before a statement is sent (the server closes the socket with a message)."""
    used = record.info.get("used_at")
    if used is not None and time.monotonic() - used < ping_after_s() and not _has_news(dbapi_conn):
        return
    try:
        cur = dbapi_conn.cursor()
        try:
            cur.execute("SELECT 1")
        finally:
            cur.close()
    except Exception as e:  # the server went away (restart, failover, network): every pooled connection is
        raise exc.InvalidatePoolError(str(e)) from e  # replaced (as a failed pre-ping does), this one at once
    record.info["used_at"] = time.monotonic()


def read_engine(url: str) -> Engine:
    """The engine the pages read through, one per URL per process. On PostgreSQL its connections are in autocommit
    and read-only: a statement is one round trip (no ``BEGIN`` before it, no ``ROLLBACK`` when the connection goes
    back to the pool, no ping unless the connection idled; a figure computed in steps still reads one snapshot,
    ``queries.base.one_snapshot``), and a write sent through it fails instead of committing statement by statement.
    Writes (people's steps, imports, the feed, sign-ins, the audit log) use ``get_engine``, transactional.
    On SQLite the primary engine serves both."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return get_engine(url)
    with _lock:
        eng = _readers.get(url)
        if eng is None:
            # (read-only by a SET on connecting: an ``options`` connect argument would replace the URL's or
            # PGOPTIONS' own, e.g. a search_path or statement_timeout the operator set)
            eng = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=5, max_overflow=10,
                                connect_args={"connect_timeout": int(os.environ.get(
                                    "OVERSIGHT_DB_CONNECT_TIMEOUT", "5"))})
            event.listen(eng, "connect", _read_only)
            event.listen(eng, "connect", _mark_used)
            event.listen(eng, "checkout", _ping_if_idle)
            event.listen(eng, "checkin", _mark_used)
            _readers[url] = eng
        return eng


def reader() -> Engine:
    """The engine the dashboards read from (a replica when OVERSIGHT_DB_READ_URL is set): ``read_engine``."""
    ensure_database()
    return read_engine(read_url())
