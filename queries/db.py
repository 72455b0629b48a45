"""Database selection and connections. No Streamlit here.

``OVERSIGHT_DB_URL`` (an SQLAlchemy URL) selects the shared database; without it an embedded SQLite file
``data/oversight.db`` under the project root is used, created (migrated and seeded) the first time anything
needs it. ``OVERSIGHT_DB_READ_URL`` optionally points readers (the dashboards) at a replica.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, select

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "data" / "oversight.db"

_engines: dict[str, Engine] = {}
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
        for eng in _engines.values():
            eng.dispose()
        _engines.clear()
        _ready.clear()


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


def reader() -> Engine:
    """The engine the dashboards read from (a replica when OVERSIGHT_DB_READ_URL is set)."""
    primary = ensure_database()
    rurl = read_url()
    if rurl == str(primary.url.render_as_string(hide_password=False)) or rurl == database_url():
        return primary
    return get_engine(rurl)
