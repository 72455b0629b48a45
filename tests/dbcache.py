"""The seeded demo databases the tests run on, and the private copies tests make of them.

The demo data are seeded once per *content hash* of the code that seeds them (``seed/`` and the query modules it
runs) and kept as a machine-wide cache, so a run (and every xdist worker of it) only copies them:
- SQLite: ``~/.cache/oversight-tests/demo-<tag>.db`` (``OVERSIGHT_TEST_CACHE``), copied into the process's
  temporary directory;
- PostgreSQL: the template database ``oversight_tpl_<tag>`` on ``OVERSIGHT_TEST_PG`` (default
  ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), cloned into ``ovt_<name>_<pid>``.
The demo data place live monitoring relative to their anchor (the wall-clock time of seeding): a cache older than
``OVERSIGHT_TEST_SEED_MAX_AGE`` minutes (default 20) is seeded anew. Both engines share one anchor, so figures are
comparable across engines.

Every copy a test process makes (``seeded_copy``, ``clone_database``, ``fresh_url``) is recorded here and removed by
``remove_copy`` (a fixture's teardown) or at the end of the process (``remove_all_copies``); copies left by a process
that died (``ovt_*_<pid>`` with no such process) are dropped when the next run starts (``drop_orphans``). A demo
copy is ~0.4 GB on either engine: the suite must not keep them for its whole length.

Import from here, never from ``conftest`` (pytest loads that as a module of its own: importing it again makes a second
copy of this state).
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from queries import db as dbmod  # noqa: E402

PG_ADMIN = os.environ.get("OVERSIGHT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# both by default; ``OVERSIGHT_TEST_ENGINES=sqlite`` (``make test-fast``) runs the database tests on SQLite alone
ENGINES = [e for e in ("sqlite", "postgresql")
           if e in os.environ.get("OVERSIGHT_TEST_ENGINES", "sqlite,postgresql").replace(" ", "").split(",")] \
    or ["sqlite", "postgresql"]
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
# a cache of another anchor or hash is kept this long after it was made (a run elsewhere may still copy from it:
# a run takes ~10 minutes, and uses the anchor it started with to its end); each anchor's caches take ~2.3 GB
KEEP_OTHERS = SEED_MAX_AGE + dt.timedelta(minutes=45)


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
        sql = f'CREATE DATABASE "{name}"'
        if template:
            sql += f' TEMPLATE "{template}"'
            # PostgreSQL 15 and later copy through the write-ahead log by default: every block of the ~0.5 GB
            # template read through shared buffers and logged (measured 1.7-3.4 s a copy, alone); FILE_COPY copies
            # the files (0.7-1.0 s), with a checkpoint before and after (cluster-wide: it also writes out what the
            # other workers' copies hold dirty; the whole suite was still faster, the system CPU 146 -> 108 s)
            if int(c.execute(text("SHOW server_version_num")).scalar()) >= 150000:
                sql += " STRATEGY FILE_COPY"
        c.execute(text(sql))
    admin.dispose()
    return pg_url(name)


def drop_pg_database(name: str) -> None:
    admin = _pg_admin()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_url(kind: str, tmp: Path, name: str) -> str:
    """An empty database of ``kind`` (sqlite | postgresql), recorded as this process's copy."""
    if kind == "sqlite":
        path = tmp / (name + ".db")
        _copies.append(str(path))
        return f"sqlite:///{path}"
    pg_name = copy_name(name)
    _copies.append(pg_name)
    return create_pg_database(pg_name)


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


# ---- private copies: every one recorded, every one removed ------------------------------------------------------

COPY_PREFIX = "ovt_"  # PostgreSQL databases of test processes: ovt_<name>_<pid>
_copies: list[str] = []  # this process's copies: SQLite file paths and PostgreSQL database names
_seeded: dict[str, object] = {}


def copy_name(name: str) -> str:
    return f"{COPY_PREFIX}{name}_{os.getpid()}"


def seeded_copy(kind: str, tmp: Path, name: str = "oversight_test") -> str:
    """A private copy of the seeded demo database of ``kind``, as a URL (remove it with :func:`remove_copy`)."""
    ensure_seed_cache(kind)
    if kind == "sqlite":
        dst = tmp / f"{name}.db"
        _copies.append(str(dst))
        shutil.copyfile(SQLITE_CACHE, dst)
        return f"sqlite:///{dst}"
    pg_name = copy_name(name)
    _copies.append(pg_name)
    with cache_lock("postgresql"):  # a template must have no other sessions while it is copied
        return create_pg_database(pg_name, template=PG_TEMPLATE)


def clone_database(engine, name: str, tmp: Path) -> str:
    """A pristine copy of the seeded demo database of ``engine``'s kind (for tests that write: imports,
    migrations), as a URL: copied from this content hash's cache, so it holds nothing earlier tests wrote."""
    return seeded_copy(engine.dialect.name, tmp, name)


def seeded_engine(kind: str, tmp: Path):
    """This test process's seeded engine of ``kind`` (one private copy per process, shared by its tests)."""
    if kind not in _seeded:
        url = seeded_copy(kind, tmp)
        eng = dbmod.get_engine(url)
        dbmod._ready.add(str(eng.url))
        _seeded[kind] = eng
    return _seeded[kind]


def _forget_engine(url: str) -> None:
    dbmod.forget(url)


def remove_copy(url: str) -> None:
    """Dispose the engine of a copy made here and remove the copy (file, with -wal/-shm, or database)."""
    _forget_engine(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        for f in (path, path + "-wal", path + "-shm", path + "-journal"):
            Path(f).unlink(missing_ok=True)
        key = path
    else:
        key = url.rsplit("/", 1)[1]
        drop_pg_database(key)
    if key in _copies:
        _copies.remove(key)


def remove_all_copies() -> None:
    """At the end of a test process: every copy it made and did not remove yet (best effort)."""
    _seeded.clear()
    dbmod.dispose_all()
    for key in list(_copies):
        try:
            if key.startswith(COPY_PREFIX):
                drop_pg_database(key)
            else:
                for f in (key, key + "-wal", key + "-shm", key + "-journal"):
                    Path(f).unlink(missing_ok=True)
        except Exception:  # noqa: BLE001 - best effort: drop_orphans catches what is left
            pass
    _copies.clear()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_orphans() -> list[str]:
    """Drop the PostgreSQL copies of test processes that no longer run (killed runs leave them behind)."""
    admin = _pg_admin()
    try:
        with admin.connect() as c:
            names = [n for (n,) in c.execute(text(
                "SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": COPY_PREFIX.replace("_", "\\_") + "%"})]
        dropped = []
        for name in names:
            m = re.search(r"_(\d+)$", name)
            if m and not _alive(int(m.group(1))):
                c_name = name.replace('"', "")
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{c_name}" WITH (FORCE)'))
                dropped.append(name)
        return dropped
    finally:
        admin.dispose()


def free_disk_gb(path: Path = CACHE_DIR) -> float:
    path.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(path).free / 2**30
