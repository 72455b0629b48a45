"""Sign-in through the apps: the form, lockout kept in the database, audit of sign-in/out and page views,
production-mode refusal, the admin audit page."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select

from seed.schema import audit_log
from tests.apptest_util import app, clear_caches


@pytest.fixture(autouse=True)
def _fresh():
    clear_caches()
    yield


def _events(db, username):
    with db.connect() as c:
        return [(e, d) for e, d in c.execute(select(audit_log.c.event, audit_log.c.detail)
                                              .where(audit_log.c.username == username).order_by(audit_log.c.id))]


def _sign_in(at, user, pw):
    at.text_input[0].input(user)
    at.text_input[1].input(pw)
    at.button[0].click().run()
    return at


def test_form_sign_in_then_page_view_is_audited(db):
    with db.begin() as c:
        c.execute(delete(audit_log).where(audit_log.c.username == "yancheng"))
    at = _sign_in(app("leadership"), "yancheng", "yancheng-demo")
    at.run()
    assert not at.exception
    assert at.metric, "signed in: the overview shows its tiles"
    ev = _events(db, "yancheng")
    assert ev[0][0] == "login"
    views = [json.loads(d) for e, d in ev if e == "page_view"]
    assert views and views[-1]["app"] == "leadership" and views[-1]["binding"] == 320900


def test_wrong_password_then_lockout_message(db):
    at = app("leadership")
    for _ in range(4):
        _sign_in(at, "writer", "wrong-password")
        assert any("用户名或密码错误" in e.value for e in at.error)
    _sign_in(at, "writer", "wrong-password")
    assert any("锁定" in e.value for e in at.error)
    _sign_in(at, "writer", "writer-demo")  # locked: the right password does not help
    assert any("锁定" in e.value for e in at.error) and not at.metric
    events = [e for e, _ in _events(db, "writer")]
    assert "lockout" in events
    from queries import accounts

    accounts.unlock("writer", engine=db, by="pytest")


def test_production_mode_refuses_demo_accounts_and_missing_key(db, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_ENV", "production")
    monkeypatch.delenv("OVERSIGHT_COOKIE_KEY", raising=False)
    at = app("leadership")
    text = " ".join(e.value for e in at.error)
    assert "生产模式下拒绝启动" in text and "演示账号" in text and "密钥" in text
    assert not at.text_input  # no sign-in form at all


def test_admin_sees_audit_log_and_others_do_not_get_the_page(db):
    at = app("leadership", "admin", page="admin.py")
    assert not at.exception
    assert "审计日志" in at.markdown[0].value
    assert at.dataframe and len(at.dataframe[0].value) > 0
    leader = app("leadership", "leader")
    with pytest.raises(ValueError):  # the page is not registered for a leader at all
        leader.switch_page("../pages/admin.py")



def test_admin_sees_the_import_page_and_others_do_not_get_it(db):
    at = app("leadership", "admin", page="imports.py")
    assert not at.exception and not at.error
    assert "数据导入" in at.markdown[0].value
    assert at.selectbox(key="imp_kind").options[0].startswith("执法检查记录")
    for user in ("leader", "nanjing"):
        other = app("leadership", user)
        with pytest.raises(ValueError):  # not registered for them
            other.switch_page("../pages/imports.py")


def _components(at) -> list[str]:
    """The keys of the components (cookie readers and writers) the last run drew."""
    return [json.loads(e.proto.json_args).get("key") for e in at.get("component_instance")]


def test_the_sign_in_cookie_is_written_in_every_run_until_the_browser_has_it(db):
    """The sign-in cookie's component stays on the page, the same one (key, token, expiry), run after run, until it
    answers that the browser stored the cookie; then it goes. (A page's own rerun used to replace it before a busy
    browser had loaded it: the next address opened showed the sign-in form.)"""
    from pages import auth

    at = _sign_in(app("leadership"), "yancheng", "yancheng-demo")
    assert not at.exception and "oversight_user" in at.session_state
    pending = at.session_state[auth.PENDING_COOKIE]
    assert pending["key"].startswith("oversight_cookie_") and auth.read_token(pending["token"])["username"] == "yancheng"
    written = []

    class Manager:
        def set(self, name, value, key, expires_at):
            written.append((name, value, key, expires_at))

    class Authenticator:  # the part of streamlit-authenticator that write_cookie uses
        cookie_controller = type("C", (), {"cookie_model": type("M", (), {"cookie_manager": Manager()})()})()

    state = {auth.PENDING_COOKIE: pending}
    for _ in range(3):  # no answer yet: written again, identically
        auth.write_cookie(Authenticator(), state)
    assert written == [(auth.COOKIE_NAME, pending["token"], pending["key"], pending["expires_at"])] * 3
    state[pending["key"]] = True  # the component's answer
    auth.write_cookie(Authenticator(), state)
    assert len(written) == 3 and state[auth.PENDING_COOKIE] is None
    # in the app: drawn in every run while pending (AppTest runs no component), gone once the component answered
    at.run()
    assert not at.exception and at.session_state[auth.PENDING_COOKIE] == pending and pending["key"] in _components(at)
    at.session_state[pending["key"]] = True
    at.run()
    assert not at.exception and at.session_state[auth.PENDING_COOKIE] is None
    assert pending["key"] not in _components(at)


def test_sign_out_leaves_no_pending_cookie_and_no_user(db):
    """A sign-out right after signing in (the browser had not stored the cookie yet): the sign-out's run writes no
    cookie, and nothing of the user stays in the session (pages drawn while the database is down use it)."""
    from pages import auth

    at = _sign_in(app("leadership"), "yancheng", "yancheng-demo")
    key = at.session_state[auth.PENDING_COOKIE]["key"]
    at.button(key="logout_btn").click().run()
    assert not at.exception
    assert auth.PENDING_COOKIE not in at.session_state or at.session_state[auth.PENDING_COOKIE] is None
    assert "oversight_user" not in at.session_state or at.session_state["oversight_user"] is None
    assert key not in _components(at)
    assert at.text_input  # the sign-in form


def test_a_sign_in_whose_run_is_replaced_before_the_form_still_signs_in(db, monkeypatch):
    """The click's run can be replaced by a rerun requested meanwhile (the cookie reader's first answer after the page
    loads) before it reaches the form; the new run carries no button press. The sign-in is the button's callback,
    which Streamlit runs before the script, so it is not lost (it was, on a busy machine: the form came back empty)."""
    import streamlit as st

    import pages.app as app_module

    at = app("leadership")
    at.text_input[0].input("yancheng")
    at.text_input[1].input("yancheng-demo")
    drawn = app_module._sign_in_form
    monkeypatch.setattr(app_module, "_sign_in_form", lambda *_args: st.stop())  # the run ends before the form
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["username"] == "yancheng" and at.session_state["authentication_status"] is True
    assert not at.session_state["login_password"], "the password does not stay in the session"
    monkeypatch.setattr(app_module, "_sign_in_form", drawn)
    at.run()
    assert not at.exception and at.metric and not at.text_input, "signed in: the overview, not the form"


@pytest.mark.parametrize("username,password,message", [("", "x", "请输入用户名和密码"), ("yancheng", "", "请输入用户名和密码"),
                                                       ("yancheng", "wrong-password", "用户名或密码错误")])
def test_a_refused_sign_in_says_why_and_keeps_the_name(db, username, password, message):
    at = _sign_in(app("leadership"), username, password)
    assert not at.exception and any(message in e.value for e in at.error), [e.value for e in at.error]
    assert at.text_input(key="login_username").value == username and at.text_input(key="login_password").value == ""
    assert "oversight_user" not in at.session_state or at.session_state["oversight_user"] is None


@pytest.mark.parametrize("name", ["leadership", "wallscreen", "briefing"])
def test_the_signed_out_page_draws_no_component(db, name):
    """A component answers after the page loads, and its rerun would replace (and lose) a sign-in click's run
    (Streamlit stops a running script for a newer request): the signed-out page has none, so it reruns only when
    its user acts."""
    at = app(name)
    assert not at.exception and at.text_input, "the sign-in form"
    assert _components(at) == []
