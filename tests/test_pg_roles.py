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


@pytest.fixture
def handling_roles(db, session_tmp):
    """The roles of ``oversight db-roles`` on a private copy of the demo database (the handling test writes)."""
    from queries import db as dbmod
    from tests.dbcache import clone_database, remove_copy

    if db.dialect.name != "postgresql":
        pytest.skip("database roles exist on PostgreSQL only")
    url = clone_database(db, "pg_roles_handling", session_tmp)
    owner = dbmod.get_engine(url)
    names = {k: f"ovh_{k}_{os.getpid()}" for k in ("reader", "writer", "signin")}
    create_roles(owner, names["reader"], names["writer"], signin=names["signin"])
    engines = {k: create_engine(owner.url.set(username=n, password=None)) for k, n in names.items()}
    yield owner, engines
    for e in engines.values():
        e.dispose()
    with owner.begin() as c:
        for role in names.values():
            c.execute(text(f'REASSIGN OWNED BY "{role}" TO postgres'))
            c.execute(text(f'DROP OWNED BY "{role}"'))
            c.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    remove_copy(url)


def test_reader_role_handles_warnings_and_nothing_more(handling_roles):
    """The dashboards' role takes every handling step and edits the deadlines through queries.handling (its
    audit entries included), may change only the columns of warnings a step changes, and cannot rewrite or delete
    a step, raise a warning's level, or append another kind of audit entry."""
    from cli.roles import APP_EVENTS
    from queries import handling as H
    from tests.test_handling import new_warning

    owner, roles = handling_roles
    reader = roles["reader"]
    assert set(H.EVENTS) <= set(APP_EVENTS)
    wid = new_warning(owner, 320115)
    officer = H.Actor("jiangning-officer", "officer", 320115)
    v = 0
    for step, kw in (("ack", {}), ("verify", {"result": "confirmed", "note": "核查属实"}), ("handle", {"note": "处置"}),
                     ("close", {"note": "消警"})):
        v = H.take_step(wid, step, officer, version=v, engine=reader, **kw).version
    wid2 = new_warning(owner, 320115)
    H.escalate(wid2, H.Actor("duty", "duty", None), version=0, note="督办", engine=reader)
    with pytest.raises(H.OutOfScope):  # the refusal is audited through the reader too
        H.acknowledge(wid2, H.Actor("yancheng-officer", "officer", 320900), version=1, engine=reader)
    with pytest.raises(H.NotPermitted):
        H.acknowledge(wid2, H.Actor("leader", "leader", None), version=1, engine=reader)
    admin = H.Actor("admin", "admin", None)
    row = H.set_deadlines(4, 120, 480, 10080, admin, version=0, engine=reader)
    assert row["version"] == 1
    with pytest.raises(H.NotPermitted):
        H.set_deadlines(4, 120, 480, 10080, officer, version=1, engine=reader)
    with owner.connect() as c:
        events = {r[0] for r in c.execute(text("select event from audit_log where username in "
                                               "('jiangning-officer', 'duty', 'yancheng-officer', 'leader', 'admin', "
                                               "'officer') and at > now() - interval '1 hour'"))}
    assert {"warning_step", "step_refused", "deadline_update", "deadline_refused"} <= events
    _denied(reader, f"update warnings set level = 4 where id = {wid}",
            f"update warnings set raised_at = now() where id = {wid}",
            f"update warnings set title = 'x' where id = {wid}",
            f"update warnings set city_adcode = 320900 where id = {wid}",
            f"delete from warnings where id = {wid}",
            f"update warning_steps set note = 'x' where warning_id = {wid}",
            f"delete from warning_steps where warning_id = {wid}",
            "update handling_deadlines set level = 5",
            "delete from handling_deadlines",
            "insert into handling_deadlines (level, ack_minutes, verify_minutes, close_minutes, updated_at) "
            "values (9, 1, 2, 3, now())",
            "update sms_pushes set status = 'x'",
            _audit_insert("user_unlock"), _audit_insert("import"))


def test_reader_role_sends_and_answers_supervision_orders_and_nothing_more(handling_roles):
    """督办 through the dashboards' role: send, reply, return, close, list checks (their audit entries and refusals
    included); it may change only the columns of an order those change, and cannot rewrite or delete an event, move
    an order to another region, or rewrite a check's finding."""
    from cli.roles import APP_EVENTS
    from queries import supervision as SV

    owner, roles = handling_roles
    reader = roles["reader"]
    assert set(SV.EVENTS) <= set(APP_EVENTS)
    leader, officer = SV.Actor("leader", "leader", None), SV.Actor("yancheng-officer", "officer", 320900)
    r = SV.send(leader, 320900, SV.text_subject("权限测试"), "请反馈", dt.date.today() + dt.timedelta(days=3),
                engine=reader)
    v = SV.reply(officer, r.order_id, "已办", version=1, engine=reader).version
    v = SV.return_(leader, r.order_id, "请补充", version=v, engine=reader).version
    v = SV.reply(officer, r.order_id, "已补充", version=v, engine=reader).version
    assert SV.close(leader, r.order_id, version=v, engine=reader).order["state"] == "closed"
    with pytest.raises(SV.OutOfScope):  # the refusal is audited through the reader too
        SV.reply(SV.Actor("suqian", "city", 321300), r.order_id, "x", version=5, engine=reader)
    with owner.connect() as c:
        entry = c.execute(text("select id from watchlist_entries where city_adcode = 320900 and id not in "
                               "(select entry_id from list_checks where list_kind = 'watchlist') limit 1")).scalar()
    today = dt.date.today()
    SV.verify_entry(officer, "watchlist", entry, "substantiated", today, engine=reader)
    SV.issue_notice(officer, "watchlist", entry, "整改通知〔2026〕9号", today, version=1, engine=reader)
    SV.follow_up(officer, "watchlist", entry, today, version=2, engine=reader)
    with owner.connect() as c:
        events = {x[0] for x in c.execute(text("select event from audit_log where at > now() - interval '1 hour'"))}
    assert {"duban_send", "duban_reply", "duban_return", "duban_close", "duban_refused", "list_check"} <= events
    oid = r.order_id
    _denied(reader, f"update supervision_orders set city_adcode = 321300 where id = {oid}",
            f"update supervision_orders set instruction = 'x' where id = {oid}",
            f"update supervision_orders set issuer = 'x' where id = {oid}",
            f"delete from supervision_orders where id = {oid}",
            f"update supervision_events set text = 'x' where order_id = {oid}",
            f"delete from supervision_events where order_id = {oid}",
            f"update list_checks set finding = 'unfounded' where entry_id = {entry}",
            "delete from list_checks")
