"""Accounts: sign-in with lockout kept in the database, user management, production-readiness checks."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select

from queries import accounts
from seed.schema import audit_log, users


@pytest.fixture
def fresh_user(db):
    name = f"t_{dt.datetime.now():%H%M%S%f}"
    accounts.add_user(name, "测试", "city", "correct-horse-9", region=321300, engine=db, by="pytest")
    yield name
    with db.begin() as c:
        c.execute(delete(users).where(users.c.username == name))
        c.execute(delete(audit_log).where(audit_log.c.username == name))


def test_sign_in_ok_and_wrong_password(db, fresh_user):
    assert accounts.authenticate(fresh_user, "correct-horse-9", engine=db).ok
    r = accounts.authenticate(fresh_user, "nope", engine=db)
    assert not r.ok and r.reason == "wrong_password" and "用户名或密码错误" in r.message
    r = accounts.authenticate("no-such-user", "x", engine=db)
    assert not r.ok and r.reason == "unknown"


def test_five_failures_lock_for_fifteen_minutes_even_with_the_right_password(db, fresh_user):
    t0 = dt.datetime.now().replace(microsecond=0) - dt.timedelta(minutes=30)
    for i in range(4):
        assert accounts.authenticate(fresh_user, "bad", engine=db, now=t0 + dt.timedelta(seconds=i)).reason == \
            "wrong_password"
    r = accounts.authenticate(fresh_user, "bad", engine=db, now=t0 + dt.timedelta(seconds=5))
    assert r.reason == "locked" and "锁定" in r.message
    # the right password does not open a locked account
    r = accounts.authenticate(fresh_user, "correct-horse-9", engine=db, now=t0 + dt.timedelta(minutes=10))
    assert not r.ok and r.reason == "locked"
    # a restart changes nothing: the state is derived from the database on each attempt
    from queries.db import dispose_all

    dispose_all()
    r = accounts.authenticate(fresh_user, "correct-horse-9", engine=db, now=t0 + dt.timedelta(minutes=14))
    assert r.reason == "locked"
    assert accounts.authenticate(fresh_user, "correct-horse-9", engine=db, now=t0 + dt.timedelta(minutes=16)).ok
    with db.connect() as c:
        events = [e for (e,) in c.execute(select(audit_log.c.event).where(audit_log.c.username == fresh_user))]
    assert events.count("lockout") == 1 and events.count("login") >= 1 and events.count("login_failed") >= 6


def test_admin_unlock_and_reset(db, fresh_user):
    t0 = dt.datetime.now().replace(microsecond=0) - dt.timedelta(minutes=2)
    for i in range(5):
        accounts.authenticate(fresh_user, "bad", engine=db, now=t0 + dt.timedelta(seconds=i))
    assert accounts.authenticate(fresh_user, "correct-horse-9", engine=db, now=t0 + dt.timedelta(minutes=1)).reason == "locked"
    accounts.reset_password(fresh_user, "another-pass-77", engine=db, by="admin")
    assert accounts.authenticate(fresh_user, "another-pass-77", engine=db, now=dt.datetime.now()).ok


def test_disabled_user_cannot_sign_in(db, fresh_user):
    accounts.set_active(fresh_user, False, engine=db, by="admin")
    r = accounts.authenticate(fresh_user, "correct-horse-9", engine=db)
    assert r.reason == "disabled"


@pytest.mark.parametrize("kw,msg", [
    (dict(role="city", region=None), "必须绑定"), (dict(role="boss", region=None), "未知角色"),
    (dict(role="leader", region=999999), "未知的地区"), (dict(role="leader", region=None, password="short"), "至少"),
    (dict(role="leader", region=None, password="leader-demo"), "至少|演示"),
])
def test_bad_user_requests_are_refused(db, kw, msg):
    kw = dict(kw)
    pw = kw.pop("password", "long-enough-pw-1")
    with pytest.raises(accounts.AccountError, match=msg):
        accounts.add_user("x_bad", "x", password=pw, engine=db, **kw)
    with db.connect() as c:
        assert c.execute(select(users.c.username).where(users.c.username == "x_bad")).first() is None


def test_production_refuses_default_key_and_demo_accounts(db):
    probs = accounts.production_problems("", engine=db)
    assert any("密钥" in p for p in probs) and any("演示账号" in p for p in probs)
    assert any("过短" in p for p in accounts.production_problems("some_key", engine=db))
