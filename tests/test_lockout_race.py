"""Lockout under parallel attempts: however many sign-ins for one account arrive at once, each on its own database
connection, at most MAX_FAILURES passwords are checked before the account is locked, and once it is locked the
right password does not get in (both databases)."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import create_engine, delete, event, select
from sqlalchemy.pool import NullPool

from queries import accounts
from queries import db as dbmod
from seed.schema import audit_log, users

PASSWORD = "correct-horse-9"
WAIT_S = 120  # generous bound for a busy 2-core machine; the conditions below end the waits long before


@pytest.fixture
def victim(db):
    name = f"race_{dt.datetime.now():%H%M%S%f}"
    accounts.add_user(name, "并发测试", "leader", PASSWORD, engine=db, by="pytest")
    yield name
    with db.begin() as c:
        c.execute(delete(users).where(users.c.username == name))
        c.execute(delete(audit_log).where(audit_log.c.username == name))


@pytest.fixture
def separate_connections(db):
    """An engine that opens a new connection for every checkout (no pool): each attempt has its own."""
    url = db.url.render_as_string(hide_password=False)
    if db.dialect.name == "sqlite":
        eng = create_engine(url, poolclass=NullPool, connect_args={"timeout": 60, "check_same_thread": False})
        event.listen(eng, "connect", dbmod._sqlite_pragmas)
    else:
        eng = create_engine(url, poolclass=NullPool)
    yield eng
    eng.dispose()


class Checks:
    """Counts the password checks (``accounts.check_password``, the only place a hash is checked). With ``gate``,
    every check waits until all attempts have either reached their check or returned without one, so that no
    success can reset the count while other attempts are still arriving."""

    def __init__(self, n: int, gate: bool):
        self.n, self.gate = n, gate
        self.cond = threading.Condition()
        self.checked: list[str] = []
        self.threads: set[int] = set()
        self.settled = 0
        self.real = accounts.check_password

    def __call__(self, password: str, password_hash: str) -> bool:
        with self.cond:
            self.checked.append(password)
            self.threads.add(threading.get_ident())
            self.settled += 1
            self.cond.notify_all()
            if self.gate and not self.cond.wait_for(lambda: self.settled >= self.n, timeout=WAIT_S):
                raise AssertionError("the other attempts never settled")
        return self.real(password, password_hash)

    def returned(self) -> None:
        with self.cond:
            if threading.get_ident() not in self.threads:
                self.settled += 1
                self.cond.notify_all()


def attack(engine, username: str, passwords: list[str], gate: bool = False):
    """Every password tried at once (a barrier), each in its own thread; (results in order, checked passwords)."""
    checks = Checks(len(passwords), gate)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "check_password", checks)
        return _run(engine, username, passwords, checks)


def _run(engine, username, passwords, checks):
    barrier = threading.Barrier(len(passwords))
    results: list = [None] * len(passwords)
    errors: list = []

    def one(i: int, pw: str) -> None:
        try:
            barrier.wait(timeout=WAIT_S)
            results[i] = accounts.authenticate(username, pw, engine=engine, source="race")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            checks.returned()

    threads = [threading.Thread(target=one, args=(i, pw)) for i, pw in enumerate(passwords)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_S)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors
    return results, checks.checked


def state(db, username):
    with db.connect() as c:
        return c.execute(select(users.c.failed_logins, users.c.locked_until)
                         .where(users.c.username == username)).one()


def fail_sequentially(db, username, n):
    for _ in range(n):
        assert accounts.authenticate(username, "wrong-password-x", engine=db).ok is False


N = 32  # parallel attempts (each its own connection)
MAX = accounts.MAX_FAILURES


def test_many_wrong_passwords_at_once_check_at_most_the_limit(db, victim, separate_connections):
    results, checked = attack(separate_connections, victim, [f"wrong-{i}-Xy!" for i in range(N)])
    assert len(checked) == MAX, f"{len(checked)} passwords checked for a limit of {MAX}"
    reasons = [r.reason for r in results]
    assert reasons.count("wrong_password") == MAX - 1 and reasons.count("locked") == N - MAX + 1
    failed, until = state(db, victim)
    assert failed == MAX and until > dt.datetime.now()
    with db.connect() as c:  # one lockout entry, every attempt audited
        events = [e for (e,) in c.execute(select(audit_log.c.event).where(audit_log.c.username == victim))]
    assert events.count("lockout") == 1 and events.count("login_failed") == N
    # the right password, many times at once, after the lock: not one check, nobody in
    results, checked = attack(separate_connections, victim, [PASSWORD] * N)
    assert checked == [] and all(r.reason == "locked" and not r.ok for r in results)


def test_the_last_attempt_before_the_lock_is_checked_once(db, victim, separate_connections):
    fail_sequentially(db, victim, MAX - 1)
    results, checked = attack(separate_connections, victim, [f"wrong-{i}-Xy!" for i in range(N)])
    assert len(checked) == 1
    assert all(r.reason == "locked" for r in results)
    assert state(db, victim)[1] is not None


def test_right_password_among_parallel_tries(db, victim, separate_connections):
    """The right password at several places among the tries: only reserved attempts are checked (exactly the
    limit, as every check waits for all attempts to arrive); a right password gets in only if it was among them."""
    tries = [PASSWORD if i % 8 == 3 else f"wrong-{i}-Xy!" for i in range(N)]
    results, checked = attack(separate_connections, victim, tries, gate=True)
    assert len(checked) == MAX
    ok = [r for r in results if r.ok]
    assert len(ok) == checked.count(PASSWORD)
    assert all(r.ok or r.reason in ("wrong_password", "locked") for r in results)
    assert sum(r.reason == "wrong_password" for r in results) + len(ok) <= MAX
    if ok:  # a success resets the count
        assert state(db, victim) == (0, None)
    else:  # locked before any right password was checked: it does not get in afterwards either
        assert state(db, victim)[1] is not None
        assert accounts.authenticate(victim, PASSWORD, engine=db).reason == "locked"


def test_locked_account_right_password_at_once(db, victim, separate_connections):
    fail_sequentially(db, victim, MAX)
    tries = [PASSWORD] * (N - 4) + ["wrong-a-Xy!", "wrong-b-Xy!", "wrong-c-Xy!", "wrong-d-Xy!"]
    results, checked = attack(separate_connections, victim, tries)
    assert checked == []
    assert not any(r.ok for r in results) and {r.reason for r in results} == {"locked"}
