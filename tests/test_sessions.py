"""Sessions end for real: a sign-in cookie (or a running session) stops working after sign-out, a password reset,
disabling, a role or region change (also one made in SQL), or the account being created anew; forged and altered
cookies are refused. Both databases; the cookie is validated as the apps do (``pages.auth.user_from_state``) and
the sign-out button and a revocation from elsewhere are driven through the app (AppTest)."""
from __future__ import annotations

import datetime as dt
import types

import jwt
import pytest
from sqlalchemy import delete, text

from pages import auth
from queries import accounts
from seed.schema import audit_log, users
from tests.apptest_util import app, clear_caches

PASSWORD = "correct-horse-9"


@pytest.fixture(autouse=True)
def _fresh():
    clear_caches()
    yield


def _drop(db, name):
    with db.begin() as c:
        c.execute(delete(users).where(users.c.username == name))
        c.execute(delete(audit_log).where(audit_log.c.username == name))


@pytest.fixture
def person(db):
    name = f"s_{dt.datetime.now():%H%M%S%f}"
    accounts.add_user(name, "会话测试", "city", PASSWORD, region=321300, engine=db, by="pytest")
    yield name
    _drop(db, name)


def who(db, cookie: str | None = None, session: dict | None = None):
    """(username or None, the session state afterwards) as the apps see it on a page run."""
    state = dict(session or {})
    fake = types.SimpleNamespace(session_state=state, secrets={}, cache_data=auth.st.cache_data,
                                 context=types.SimpleNamespace(cookies={auth.COOKIE_NAME: cookie} if cookie else {}))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth, "st", fake)
        u = auth.user_from_state(db)
    return (u.username if u else None), state


def sign_in(db, name, password=PASSWORD):
    """Sign in as the form does; (cookie, running session state)."""
    r = accounts.authenticate(name, password, engine=db, source="pytest")
    assert r.ok, r
    cookie = auth.make_token(name, r.session_version, days=auth.expiry_days(r.role))
    return cookie, {"authentication_status": True, "username": name, "oversight_sv": r.session_version,
                    "oversight_iat": dt.datetime.now().timestamp()}


def _sql_role_change(db, name):
    with db.begin() as c:  # straight in SQL, past queries.accounts: the trigger still ends the sessions
        c.execute(text("update users set role = 'writer', region_adcode = null where username = :u"), {"u": name})


def _disable_enable(db, name):
    accounts.set_active(name, False, engine=db, by="pytest")
    accounts.set_active(name, True, engine=db, by="pytest")


REVOCATIONS = {
    "sign_out": lambda db, u: accounts.record_logout(u, engine=db, app="leadership"),
    "admin_sign_out": lambda db, u: accounts.end_sessions(u, engine=db, by="pytest"),
    "reset_password": lambda db, u: accounts.reset_password(u, "Brand-new-pass-42", engine=db, by="pytest"),
    "disable_and_enable": _disable_enable,
    "role_change": lambda db, u: accounts.set_role(u, "leader", engine=db, by="pytest"),
    "region_change": lambda db, u: accounts.set_role(u, "city", region=320100, engine=db, by="pytest"),
    "role_change_in_sql": _sql_role_change,
}


@pytest.mark.parametrize("how", list(REVOCATIONS))
def test_a_copied_cookie_and_the_running_session_end(db, person, how):
    cookie, session = sign_in(db, person)
    assert who(db, cookie)[0] == person and who(db, session=session)[0] == person  # valid before
    REVOCATIONS[how](db, person)
    assert who(db, cookie)[0] is None, "the copied cookie still works"
    name, state = who(db, session=session)
    assert name is None and not state["authentication_status"] and not state["username"]
    # signing in again works (with the current password) and gives a cookie that works
    password = "Brand-new-pass-42" if how == "reset_password" else PASSWORD
    cookie2, session2 = sign_in(db, person, password)
    assert who(db, cookie2)[0] == person and who(db, session=session2)[0] == person
    assert who(db, cookie)[0] is None  # the old one stays dead


def test_disabled_account_cookie_refused(db, person):
    cookie, session = sign_in(db, person)
    accounts.set_active(person, False, engine=db, by="pytest")
    assert who(db, cookie)[0] is None and who(db, session=session)[0] is None
    assert accounts.authenticate(person, PASSWORD, engine=db).reason == "disabled"


def test_cookie_of_an_earlier_account_of_the_same_name_refused(db, person):
    """A cookie issued, or a session signed in, before the account was created (deleted and added again: its
    version starts at 0 again)."""
    old = auth.make_token(person, 0, days=0.4, now=dt.datetime.now() - dt.timedelta(minutes=5))
    with db.begin() as c:
        c.execute(text("update users set created_at = :t where username = :u"),
                  {"t": dt.datetime.now().replace(microsecond=0) - dt.timedelta(minutes=1), "u": person})
    assert who(db, old)[0] is None
    earlier = (dt.datetime.now() - dt.timedelta(minutes=5)).timestamp()
    running = {"authentication_status": True, "username": person, "oversight_sv": 0, "oversight_iat": earlier}
    assert who(db, session=running)[0] is None  # a session signed in to the earlier account ends too
    assert who(db, auth.make_token(person, 0, days=0.4))[0] == person


def test_forged_and_altered_cookies_refused(db, person):
    key = auth.cookie_key()
    exp = (dt.datetime.now() + dt.timedelta(hours=2)).timestamp()
    now = dt.datetime.now().timestamp()
    good = {"username": person, "exp_date": exp, "iat": now, "sv": 0}
    assert who(db, jwt.encode(good, key, algorithm="HS256"))[0] == person
    forged = [
        jwt.encode(good, "not-the-key-" + "x" * 40, algorithm="HS256"),  # another key
        jwt.encode({"username": person, "exp_date": exp}, key, algorithm="HS256"),  # the library's own token: no sv
        jwt.encode({**good, "sv": "0"}, key, algorithm="HS256"),
        jwt.encode({**good, "sv": -1}, key, algorithm="HS256"),  # an older version
        jwt.encode({**good, "exp_date": now - 1}, key, algorithm="HS256"),
        jwt.encode({k: v for k, v in good.items() if k != "iat"}, key, algorithm="HS256"),
        jwt.encode({**good, "username": "admin"}, "wrong-key-" * 4, algorithm="HS256"),
        jwt.encode(good, None, algorithm="none"),
        "garbage",
    ]
    assert [who(db, c)[0] for c in forged] == [None] * len(forged)


def test_wall_fragment_notices_a_revoked_session(db, person):
    _, session = sign_in(db, person)
    reruns = []
    fake = types.SimpleNamespace(session_state=session, rerun=lambda scope="app": reruns.append(scope))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth, "st", fake)
        auth.end_if_revoked()
        assert reruns == []
        accounts.record_logout(person, engine=db)
        auth.end_if_revoked()
    assert reruns == ["app"]


# --- through the app --------------------------------------------------------------------------------------------

def _form_sign_in(at, user, pw):
    at.text_input[0].input(user)
    at.text_input[1].input(pw)
    at.button[0].click().run()
    return at


@pytest.fixture
def leader(db):
    name = f"l_{dt.datetime.now():%H%M%S%f}"
    accounts.add_user(name, "会话测试", "leader", PASSWORD, engine=db, by="pytest")
    yield name
    _drop(db, name)


def _version(db, name):
    with db.connect() as c:
        return c.execute(text("select session_version from users where username = :u"), {"u": name}).scalar()


def test_sign_out_button_ends_every_session(db, leader):
    at = _form_sign_in(app("leadership"), leader, PASSWORD)
    at.run()
    assert not at.exception and at.metric, "signed in"
    v = at.session_state["oversight_sv"]
    copied = auth.make_token(leader, v, days=0.5)  # the cookie as another browser holds it
    assert who(db, copied)[0] == leader
    at.button(key="logout_btn").click().run()
    assert not at.exception and at.text_input, "back at the sign-in form"
    assert _version(db, leader) == v + 1
    assert who(db, copied)[0] is None


def test_revoked_from_elsewhere_the_open_page_signs_out(db, leader):
    at = _form_sign_in(app("leadership"), leader, PASSWORD)
    at.run()
    assert at.metric
    accounts.reset_password(leader, "Brand-new-pass-42", engine=db, by="pytest")
    at.run()
    assert not at.exception and not at.metric and len(at.text_input) == 2  # the sign-in form again
