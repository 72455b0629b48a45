"""Throwaway PostgreSQL servers for tests: a private cluster in a temporary directory on a free loopback port,
which a test may stop, start and restart at will (database outages), and streaming replicas of it
(``pg_basebackup -R``, hot standby) for the read-replica path.

    with PgServer() as pg:                       # initdb + start, ~1-2 s
        url = pg.create_database("oversight")    # postgresql+psycopg://postgres@127.0.0.1:<port>/oversight
        with pg.replica() as rep:                # pg_basebackup -R + start as a hot standby
            ...write on pg...
            pg.wait_for_replay(rep)              # the replica has replayed everything the primary wrote so far
        pg.stop(); pg.start()                    # an outage

Binaries come from ``OVERSIGHT_PG_BIN`` or ``pg_config --bindir`` or /usr/lib/postgresql/<ver>/bin. PostgreSQL
refuses to run as root: when the tests run as root, every server command runs as the ``postgres`` OS user
(``runuser``) in a directory that user owns. Authentication is ``trust`` on 127.0.0.1 and the private socket
directory only. ``fast=True`` (the default) turns off fsync and full-page writes: a test server survives its own crash
(``stop("immediate")``) with every committed transaction, only not a crash of the machine.

Pytest fixtures (import them into a test module: ``from tests.pgserver import pg_server``):
``pg_server`` (module scope, a started server), ``pg_replica`` (module scope, a hot standby of ``pg_server``) and
``pg_demo`` (one server per test process whose database ``oversight`` holds the seeded demo data, ~35 s once;
tests may stop and start it but must leave it running). All skip the test with the reason when the binaries
are missing.
"""
from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

RUN_AS = "postgres"  # the OS user servers run as when we are root


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and pg_basebackup, or None."""
    cands = [os.environ.get("OVERSIGHT_PG_BIN", "")]
    if shutil.which("pg_config"):
        try:
            cands.append(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                                        timeout=10).stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    cands += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    cands += [str(Path(p).parent) for p in (shutil.which("initdb"),) if p]
    for c in cands:
        if c and all((Path(c) / b).is_file() for b in ("initdb", "pg_ctl", "pg_basebackup", "postgres")):
            return Path(c)
    return None


def unavailable_reason() -> str | None:
    """Why throwaway servers cannot run here (None if they can)."""
    if find_bindir() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found; set OVERSIGHT_PG_BIN"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            return f"running as root and there is no '{RUN_AS}' OS user to run PostgreSQL as"
        if not shutil.which("runuser"):
            return "running as root and runuser is missing"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgError(RuntimeError):
    pass


class PgServer:
    """One private PostgreSQL cluster: ``start``, ``stop`` (fast or immediate), ``restart``, ``url(db)``,
    ``create_database``, ``replica``, ``wait_for_replay``, ``cleanup``; a context manager (start … cleanup)."""

    def __init__(self, *, port: int | None = None, fast: bool = True, settings: dict | None = None,
                 primary: "PgServer | None" = None, name: str = "primary"):
        reason = unavailable_reason()
        if reason:
            raise PgError(reason)
        self.bindir = find_bindir()
        self.port = port or free_port()
        self.fast = fast
        self.settings = dict(settings or {})
        self.primary = primary
        self.name = name
        self.base = Path(tempfile.mkdtemp(prefix=f"oversight_pg_{name}_"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self._as_user = os.geteuid() == 0
        if self._as_user:
            pw = pwd.getpwnam(RUN_AS)
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
        os.chmod(self.base, 0o700)
        self._initialised = False
        self.replicas: list[PgServer] = []

    # --- running server commands -------------------------------------------------------------------------------
    def _cmd(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as_user:
            cmd = ["runuser", "-u", RUN_AS, "--", *cmd]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.base,
                           env={**os.environ, "LC_ALL": "C.UTF-8"})
        if check and p.returncode != 0:
            raise PgError(f"{args[0]} failed ({p.returncode}): {p.stderr.strip() or p.stdout.strip()}\n"
                          f"{self.log_tail()}")
        return p

    def log_tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def _conf(self) -> str:
        s = {
            "port": self.port, "listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{self.base}'",
            "max_connections": 60, "shared_buffers": "'64MB'", "wal_level": "replica", "max_wal_senders": 5,
            "hot_standby": "on", "hot_standby_feedback": "on", "logging_collector": "off",
            "log_min_messages": "warning",
        }
        if self.fast:
            # not synchronous_commit=off: an immediate shutdown (a simulated crash) would lose committed work
            s.update({"fsync": "off", "full_page_writes": "off"})
        s.update(self.settings)
        return "\n# oversight test server\n" + "\n".join(f"{k} = {v}" for k, v in s.items()) + "\n"

    def init(self, copy_of: Path | None = None) -> "PgServer":
        """Create the data directory: initdb, a base backup of the primary, or a copy of a stopped server's
        directory ``copy_of`` (its databases as they were; this server's settings appended)."""
        if self._initialised:
            return self
        if copy_of is not None:
            subprocess.run(["cp", "-a", str(copy_of), str(self.data)], check=True, timeout=600)
            (self.data / "postmaster.pid").unlink(missing_ok=True)
        elif self.primary is None:
            self._cmd("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-sync", "--no-instructions")
        else:
            if not self.primary.running():
                raise PgError("the primary is not running")
            self._cmd("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
                      "-D", str(self.data), "-R", "-X", "stream", "-c", "fast", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as f:  # later lines win over the copied primary's
            f.write(self._conf())
        self._initialised = True
        return self

    # --- lifecycle --------------------------------------------------------------------------------------------
    def start(self, timeout: float = 60) -> "PgServer":
        self.init()
        if self.running():
            return self
        self._cmd("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(int(timeout)), "start",
                  timeout=timeout + 10)
        self.wait_ready(timeout)
        return self

    def stop(self, mode: str = "fast", timeout: float = 60) -> None:
        """Stop the server: ``fast`` (sessions terminated, clean shutdown) or ``immediate`` (like a crash)."""
        if self._initialised and self.running():
            self._cmd("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", str(int(timeout)), "stop",
                      timeout=timeout + 10)

    def restart(self, mode: str = "fast") -> "PgServer":
        self.stop(mode)
        return self.start()

    def running(self) -> bool:
        if not self._initialised:
            return False
        return self._cmd("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the server accepts queries (a standby: until it accepts read-only connections)."""
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.dsn(), connect_timeout=2) as c:
                    c.execute("SELECT 1")
                return
            except psycopg.Error as e:
                if time.monotonic() > deadline:
                    raise PgError(f"{self.name} on port {self.port} not ready: {e}\n{self.log_tail()}") from e
                time.sleep(0.1)

    def cleanup(self) -> None:
        for r in self.replicas:
            r.cleanup()
        self.replicas.clear()
        try:
            self.stop("immediate")
        except (PgError, subprocess.SubprocessError):
            pass
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> "PgServer":
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc) -> None:
        self.cleanup()

    # --- connecting -------------------------------------------------------------------------------------------
    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3) of database ``dbname`` on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def execute(self, sql: str, dbname: str = "postgres", params: tuple | None = None) -> list[tuple]:
        """Run one statement in autocommit mode; the rows it returns (if any)."""
        import psycopg

        with psycopg.connect(self.dsn(dbname), autocommit=True, connect_timeout=5) as c:
            cur = c.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def create_database(self, name: str) -> str:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    # --- replication ------------------------------------------------------------------------------------------
    def replica(self, **kw) -> "PgServer":
        """A streaming replica of this (running) server, started as a hot standby on another port."""
        r = PgServer(primary=self, name=f"replica{len(self.replicas) + 1}", fast=kw.pop("fast", self.fast), **kw)
        self.replicas.append(r)
        try:
            return r.start()
        except BaseException:
            r.cleanup()
            self.replicas.remove(r)
            raise

    def in_recovery(self) -> bool:
        return bool(self.execute("SELECT pg_is_in_recovery()")[0][0])

    def wait_for_replay(self, replica: "PgServer", timeout: float = 30) -> str:
        """Wait until ``replica`` has replayed the primary's WAL up to now; the LSN waited for."""
        lsn = self.execute("SELECT pg_current_wal_insert_lsn()::text")[0][0]
        deadline = time.monotonic() + timeout
        while True:
            done = replica.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", params=(lsn,))[0][0]
            if done:
                return lsn
            if time.monotonic() > deadline:
                raise PgError(f"replica did not replay up to {lsn} within {timeout} s\n{replica.log_tail()}")
            time.sleep(0.05)


# --- pytest fixtures ---------------------------------------------------------------------------------------------

def _skip_if_unavailable() -> None:
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def pg_server():
    """A started throwaway PostgreSQL server for the module (stopped and removed afterwards)."""
    _skip_if_unavailable()
    with PgServer() as pg:
        yield pg


@pytest.fixture(scope="module")
def pg_replica(pg_server):
    """A hot-standby streaming replica of ``pg_server``."""
    rep = pg_server.replica()
    yield rep
    rep.cleanup()
    if rep in pg_server.replicas:
        pg_server.replicas.remove(rep)


_demo: dict[str, PgServer] = {}


def _restore_seed_cache(pg: PgServer, name: str) -> None:
    """Database ``name`` on ``pg`` holding what the seed cache's template on the main server holds (the same demo
    data, schema, triggers and migration version), by pg_dump and pg_restore."""
    from sqlalchemy.engine import make_url

    from tests.dbcache import PG_ADMIN, PG_TEMPLATE, ensure_seed_cache

    ensure_seed_cache("postgresql")
    pg.create_database(name)
    src = make_url(PG_ADMIN).set(database=PG_TEMPLATE)
    env = {**os.environ, **({"PGPASSWORD": src.password} if src.password else {})}
    with tempfile.TemporaryDirectory(prefix="ovt-dump-") as d:
        dump = str(Path(d) / "demo.dump")
        subprocess.run([str(pg.bindir / "pg_dump"), "-h", src.host or "127.0.0.1", "-p", str(src.port or 5432),
                        "-U", src.username or "postgres", "-Fc", "-Z0", "-f", dump, src.database],
                       check=True, timeout=600, env=env, capture_output=True)
        subprocess.run([str(pg.bindir / "pg_restore"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres",
                        "--no-owner", "--no-privileges", "--exit-on-error", "-j", "2", "-d", name, dump],
                       check=True, timeout=600, capture_output=True)
    pg.execute("ANALYZE", dbname=name)


def demo_server() -> PgServer:
    """A throwaway server whose database ``oversight`` is migrated and seeded with the demo data, one per process,
    removed at exit. Callers may stop/start it; they leave it running.

    The first server of a seed cache (see tests/dbcache.py: one per content hash of the seed code and anchor)
    is filled from the seed cache's PostgreSQL template (a dump and a parallel restore: ~25 s, where seeding took
    two to three minutes on a busy machine) and its stopped data directory kept beside the cache; later servers,
    in this run or the next, start from a copy of that directory (~2 s)."""
    if "pg" not in _demo:
        from tests.dbcache import CACHE_DIR, CACHE_TAG, cache_lock

        cached = CACHE_DIR / f"pgdata-{CACHE_TAG}"
        pg = PgServer(name="demo")
        atexit.register(pg.cleanup)
        with cache_lock("pgdemo"):
            if (cached / "PG_VERSION").is_file():
                pg.init(copy_of=cached)
                pg.start()
            else:
                pg.start()
                _restore_seed_cache(pg, "oversight")
                pg.execute("CHECKPOINT")
                pg.stop()
                building = cached.with_name(f"{cached.name}.building-{os.getpid()}")
                subprocess.run(["cp", "-a", str(pg.data), str(building)], check=True, timeout=600)
                building.rename(cached)
                pg.start()
        _demo["pg"] = pg
    pg = _demo["pg"]
    pg.start()  # in case a test left it stopped
    return pg


@pytest.fixture(scope="module")
def pg_demo():
    """The throwaway server of :func:`demo_server` (database ``oversight`` with the demo data)."""
    _skip_if_unavailable()
    return demo_server()
