"""The PostgreSQL roles of ``oversight db-roles``: the dashboards' reader can read and append page views and
exports to the audit log and change nothing else, nor read a password hash or touch the sign-in state; the
sign-in role signs in and out and changes nothing else; a forged audit entry does not lift a lock."""
from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import create_engine, delete, text
from sqlalchemy.exc import ProgrammingError

from cli.roles import create_roles

DENIED = "permission denied|must be owner|row-level security"


@pytest.fixture
def roles(db):
    if db.dialect.name != "postgresql":
        pytest.skip("database roles exist on PostgreSQL only")
    names = {k: f"ov_{k}_{os.getpid()}" for k in ("reader", "writer", "signin")}
    create_roles(db, names["reader"], names["writer"], signin=names["signin"])
    engines = {k: create_engine(db.url.set(username=n, password=None)) for k, n in names.items()}
    yield engines
    for e in engines.values():
        e.dispose()
    with db.begin() as c:
        for role in names.values():
            c.execute(text(f'REASSIGN OWNED BY "{role}" TO postgres'))
            c.execute(text(f'DROP OWNED BY "{role}"'))
            c.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


def _denied(eng, *stmts):
    for stmt in stmts:
        with eng.connect() as c, pytest.raises(ProgrammingError, match=DENIED):
            c.execute(text(stmt))


def _audit_insert(event: str, username: str = "pytest") -> str:
    return f"insert into audit_log (at, username, event, detail) values (now(), '{username}', '{event}', '{{}}')"


def test_reader_role_cannot_change_facts(db, roles):
    eng = roles["reader"]
    with eng.connect() as c:
        assert c.execute(text("select count(*) from inspections")).scalar() > 0
    _denied(eng, "update inspections set department = 'x' where id = 1",
            "delete from hidden_hazards where id = 1",
            "insert into cases (case_no) values ('x')",
            "update audit_log set event = 'x'",
            "delete from audit_log",
            "update users set role = 'admin'",
            "drop table readings")
    with eng.begin() as c:
        c.execute(text(_audit_insert("page_view")))
    with roles["writer"].begin() as c:
        c.execute(text("update inspections set department = department where id = 1"))


@pytest.fixture
def account(db):
    from queries import accounts
    from seed.schema import audit_log, users

    name = f"pg_{dt.datetime.now():%H%M%S%f}"
    accounts.add_user(name, "角色测试", "leader", "correct-horse-9", engine=db, by="pytest")
    yield name
    with db.begin() as c:
        c.execute(delete(users).where(users.c.username == name))
        c.execute(delete(audit_log).where(audit_log.c.username == name))


def test_reader_cannot_read_hashes_nor_lift_a_lock(db, roles, account):
    from pages import auth
    from queries import accounts, audit

    reader, signin = roles["reader"], roles["signin"]
    # no password hash, no sign-in state for the reader; what the pages need is there
    _denied(reader, "select password_hash from users", "select * from users", "select failed_logins from users",
            "select locked_until from users")
    assert any(u["username"] == account for u in accounts.list_users(engine=reader))
    assert account in auth.credentials(reader)["usernames"]
    # lock the account through the sign-in role
    for _ in range(accounts.MAX_FAILURES):
        accounts.authenticate(account, "bad", engine=signin)
    assert accounts.authenticate(account, "correct-horse-9", engine=signin).reason == "locked"
    # the reader can neither write the state nor append an event about sign-in or accounts
    _denied(reader, "update users set failed_logins = 0, locked_until = null",
            "update users set session_version = session_version + 1", "delete from users",
            *[_audit_insert(e, account) for e in ("user_unlock", "login", "password_reset", "lockout", "logout",
                                                  "user_role", "user_enable")])
    # even forged entries written by the owner lift nothing: the lock is not derived from the audit log
    with db.begin() as c:
        c.execute(text(_audit_insert("user_unlock", account)))
        c.execute(text(_audit_insert("login", account)))
    assert accounts.authenticate(account, "correct-horse-9", engine=signin).reason == "locked"
    # what the pages append is allowed
    audit.record("page_view", account, {"page": "overview"}, engine=reader)
    audit.record("export", account, {"kind": "xlsx"}, engine=reader)


def test_signin_role_signs_in_and_out_and_nothing_more(db, roles, account):
    from pages import auth
    from queries import accounts
    from tests.test_sessions import who

    signin, reader, writer = roles["signin"], roles["reader"], roles["writer"]
    r = accounts.authenticate(account, "correct-horse-9", engine=signin)
    assert r.ok
    cookie = auth.make_token(account, r.session_version, days=0.5)
    assert who(reader, cookie)[0] == account  # the reader validates cookies on every page run
    accounts.record_logout(account, engine=signin, app="leadership")
    assert who(reader, cookie)[0] is None
    _denied(signin, "update users set role = 'admin'", "update users set password_hash = 'x'",
            "update users set active = true", "update users set region_adcode = null", "select count(*) from inspections",
            "delete from audit_log", "select detail from audit_log", _audit_insert("user_unlock", account),
            _audit_insert("page_view", account))
    # the writer (oversight users) resets the password: the lock goes, the sessions end
    r = accounts.authenticate(account, "correct-horse-9", engine=signin)
    cookie = auth.make_token(account, r.session_version, days=0.5)
    accounts.reset_password(account, "Brand-new-pass-42", engine=writer, by="pytest")
    assert who(reader, cookie)[0] is None
    assert accounts.authenticate(account, "Brand-new-pass-42", engine=signin).ok
