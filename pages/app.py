"""The router every app's entry script calls: sign-in, the pages a role may use, then the page.

Pages a role may not use are never registered with ``st.navigation`` (a hidden page is still reachable by
URL), and every query below is scoped by the user's binding anyway.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass

import streamlit as st
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from pages import supervision_ui
from pages.common import PAGES_DIR, add_header_action, drop_prefetched, engine
from queries import memo

DB_ERRORS = (SQLAlchemyError, OSError)  # the database is unreachable
# what a page's query raises while the database is down, restarting or locked (not a faulty statement)
OUTAGE_ERRORS = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout, OSError)
RETRY_S = float(os.environ.get("OVERSIGHT_DB_RETRY_S", "10"))  # a page hit by an outage retries this often
OUTAGE_MESSAGE = "数据库暂时无法连接，本页数据暂时无法显示。本页会自动重试，数据库恢复后自动刷新，无需手动操作。"


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    icon: str
    url_path: str
    roles: frozenset
    section: str = ""
    home_for: frozenset = frozenset()  # roles that land on this page (else the first page they may use)


# every page a city user sees: leaders, city leaders, officers (a city or a county: the same pages, narrowed)
PROVINCE_AND_CITY = frozenset({"leader", "city", "officer", "admin"})
# the handling desk: officers and the duty room act; leaders read (queries.handling.STEP_ROLES decides who acts)
DESK = frozenset({"duty", "officer", "leader", "city", "admin"})
# 督办: leaders and the duty room send, city accounts and officers reply, writers and admins read
# (queries.supervision decides who may do what; every role sees only the orders of its area or its own)
DUBAN = frozenset({"leader", "city", "officer", "duty", "writer", "admin"})

APPS: dict[str, dict] = {
    "leadership": {
        "title": "江苏应急管理 · 领导驾驶舱",
        "pages": [
            PageSpec("overview.py", "总览", ":material/dashboard:", "overview", PROVINCE_AND_CITY, "驾驶舱"),
            PageSpec("ranking.py", "排名", ":material/leaderboard:", "ranking", PROVINCE_AND_CITY, "驾驶舱"),
            PageSpec("hazards.py", "重大危险源实时监测", ":material/sensors:", "hazards", PROVINCE_AND_CITY, "专题"),
            PageSpec("handling.py", "预警处置", ":material/task_alt:", "handling", DESK, "驾驶舱",
                     home_for=frozenset({"officer", "duty"})),
            PageSpec(supervision_ui.PAGE_FILE, supervision_ui.NAV_TITLE, ":material/assignment_late:", "duban", DUBAN,
                     "驾驶舱"),
            PageSpec("warnings.py", "预警分布", ":material/warning:", "warnings", PROVINCE_AND_CITY | {"duty"}, "专题"),
            PageSpec("enforcement.py", "执法专项行动", ":material/gavel:", "enforcement", PROVINCE_AND_CITY, "专题"),
            PageSpec("risk.py", "风险报告", ":material/assignment:", "risk", PROVINCE_AND_CITY, "专题"),
            PageSpec("credit.py", "安全信用脸谱", ":material/verified:", "credit", PROVINCE_AND_CITY, "专题"),
            PageSpec("grids.py", "网格化监管", ":material/grid_on:", "grids", PROVINCE_AND_CITY, "专题"),
            PageSpec("enterprise.py", "企业档案", ":material/factory:", "enterprise", PROVINCE_AND_CITY | {"duty"},
                     "专题"),
            PageSpec("admin.py", "审计日志", ":material/policy:", "audit", frozenset({"admin"}), "管理"),
            PageSpec("imports.py", "数据导入", ":material/upload_file:", "imports", frozenset({"admin"}), "管理"),
        ],
    },
    "wallscreen": {
        "title": "江苏应急管理 · 值班大屏",
        "kiosk": True,  # no sidebar; keeps showing its last figures while the database is unreachable
        "pages": [PageSpec("wall.py", "值班大屏", ":material/tv:", "wall",
                           frozenset({"duty", "leader", "city", "admin"}))],
    },
    "briefing": {
        "title": "江苏应急管理 · 简报取数",
        "pages": [PageSpec("briefing.py", "简报取数", ":material/description:", "briefing",
                           frozenset({"writer", "leader", "city", "admin"}))],
    },
}

# every topic page's region header offers a 督办 about the view on screen (for the roles that may send)
add_header_action(supervision_ui.header_action)


def _title(p: PageSpec, user, live: bool) -> str:
    """A page's title in the navigation: 督办 carries the number of orders waiting for the user."""
    return supervision_ui.nav_title(user, live=live) if p.file == supervision_ui.PAGE_FILE else p.title


def _login_page() -> None:  # rendered by run() itself; registered so "/" exists for signed-out users
    pass


def _no_access_page() -> None:
    st.warning("当前账号无权使用本应用。请使用对应应用的地址，或退出后换用其他账号登录。")


def _db_unavailable_page() -> None:
    """Signed-out session while the database is unreachable: say so and retry by itself (nobody reloads)."""
    import datetime as dt


    st.error("数据库暂时无法连接。本页会自动重试，恢复后自动进入，无需刷新。")
    st.session_state["oversight_outage_at"] = time.time()

    @st.fragment(run_every=RETRY_S)
    def _retry() -> None:
        if time.time() - st.session_state.get("oversight_outage_at", 0) < RETRY_S / 2:
            return  # the run that just failed (rerunning at once would loop while the database is down)
        try:
            engine()
            _probe()  # engine() alone does not touch a database it already knows
        except DB_ERRORS:
            st.caption(f"最近一次重试：{dt.datetime.now():%H:%M:%S}")
            return
        st.rerun(scope="app")

    _retry()


def _probe() -> None:
    """One cheap read that needs the database (raises while it is down or locked)."""

    with engine().connect() as c:
        c.exec_driver_sql("SELECT count(*) FROM sqlite_master" if c.dialect.name == "sqlite" else "SELECT 1")


def _page_outage(slot, e: Exception) -> None:
    """A page's query failed because the database is unreachable: say so in place of the page (no traceback),
    keep the session, and rerun the page by itself once the database answers again (nobody has to reload)."""
    logging.getLogger("oversight").warning("page %s: database unavailable: %s", st.session_state.get(
        "oversight_page"), str(e).splitlines()[0][:200])
    st.session_state["oversight_outage_at"] = time.time()
    with slot.container():
        st.error(OUTAGE_MESSAGE, icon=":material/cloud_off:")

        @st.fragment(run_every=RETRY_S)
        def _retry() -> None:
            if time.time() - st.session_state.get("oversight_outage_at", 0) < RETRY_S / 2:
                return  # the run that just failed
            try:
                _probe()
            except OUTAGE_ERRORS:
                st.caption(f"最近一次重试：{dt.datetime.now():%H:%M:%S}，数据库仍无法连接。")
                return
            st.rerun(scope="app")

        _retry()


def _run_page(pg) -> None:
    """Run the page (the figures its parts share read once: queries/memo.py); a database outage during it becomes
    a clear message and an automatic retry."""
    slot = st.empty()
    try:
        with memo.one_run():
            try:
                pg.run()
            finally:
                drop_prefetched()
    except OUTAGE_ERRORS as e:
        _page_outage(slot, e)


_STATIC = PAGES_DIR / "static"
# every page of the apps but the wall (which has its own theme and puts fit.js on the page with its clock): the
# layout for narrow screens and phones, and the script that keeps every tile's number and label whole
COCKPIT_CSS = "<style>\n" + (_STATIC / "cockpit.css").read_text(encoding="utf-8") + "</style>\n"
FIT_JS = (_STATIC / "fit.js").read_text(encoding="utf-8")


def _chrome() -> None:
    """The cockpit's stylesheet and tile-fitting script, once per run, before the page (a style-only block takes
    no room; the script's block is hidden by the stylesheet)."""
    st.html(COCKPIT_CSS)
    with st.container(key="ov_chrome"):
        st.html(f"<script>\n{FIT_JS}</script>", unsafe_allow_javascript=True)


BANNER_ROLES = frozenset({"duty"})  # who sees the 超时 banner on every page of the leadership app


def _duty_banner(user) -> None:
    """Overdue 重大/较大 warnings in the user's region: a banner with their number and a link to the desk. Cached for
    a few seconds (shared by every session); a database that does not answer leaves the page without it."""
    from pages.common import q_ttl
    from queries import handling
    from queries.regions import PROVINCE
    from queries.scope import Scope, ScopeError

    try:
        s = q_ttl(handling.desk_summary, Scope(region=user.binding or PROVINCE, binding=user.binding), ttl=10)
    except (ScopeError,) + DB_ERRORS:
        return
    n = int(s.get("overdue_major") or 0)
    if n <= 0:
        return
    by = s["overdue_by_level"]
    with st.container(key="duty_banner"):
        st.error(f"有 {n:,} 条重大/较大预警已超时未处置（重大 {by[1]:,} 条，较大 {by[2]:,} 条），请督促办理。",
                 icon=":material/alarm:")
        st.page_link(PAGES_DIR / "handling.py", label="到预警处置 →")


def _record(event: str, username: str | None, detail: dict) -> None:
    """Append to the audit log on the primary database; a failing audit write must not break the page."""
    from queries import audit

    try:
        audit.record(event, username, detail)
    except DB_ERRORS:
        pass


def _sign_out(username: str, app: str) -> None:
    """Sign-out ends every session of the user (their cookies, copies included, stop working) and is audited."""
    from pages import auth
    from queries import accounts

    # nothing of the session stays: no pending sign-in cookie, no user for the pages drawn while the database is down
    for k in ("oversight_user", auth.PENDING_COOKIE):
        st.session_state.pop(k, None)
    try:
        accounts.record_logout(username, engine=accounts.signin_engine(), app=app)
    except (DB_ERRORS + (accounts.AccountError,)) as e:
        logging.getLogger("oversight").warning("sign-out of %s not recorded: %s", username,
                                               str(e).splitlines()[0][:200])


def _audit_page_view(app: str, pg, user) -> None:
    """One audit entry per page and scope a session opens (not one per widget rerun)."""
    params = {k: st.query_params.get(k) for k in sorted(st.query_params.keys())}
    key = (app, pg.url_path, tuple(params.items()))
    if st.session_state.get("oversight_last_view") == key:
        return
    st.session_state["oversight_last_view"] = key
    _record("page_view", user.username, {"app": app, "page": pg.url_path or "/", "scope": params,
                                         "binding": user.binding})


SIGNIN_ERROR = "oversight_signin_error"


def _sign_in(app: str) -> None:
    """The sign-in button's callback, run at the start of the click's run: a run replaced before it reached the
    form (by a rerun requested meanwhile) no longer takes the sign-in with it. The signed-out page draws no
    component that would request one (see ``run``). The password does not stay in the session."""
    from pages import auth
    from queries import accounts

    state = st.session_state
    username, password = (state.get("login_username") or ""), (state.get("login_password") or "")
    state["login_password"] = ""
    state[SIGNIN_ERROR] = None
    if not username.strip() or not password:
        state[SIGNIN_ERROR] = "请输入用户名和密码。"
        return
    try:
        r = accounts.authenticate(username, password, engine=accounts.signin_engine(), source=app)
    except DB_ERRORS:
        state[SIGNIN_ERROR] = "数据库暂时无法连接，请稍后再试。"
        return
    if not r.ok:
        state[SIGNIN_ERROR] = r.message
        return
    state.update(authentication_status=True, username=r.username, name=r.display_name, roles=[r.role], logout=None,
                 oversight_since=time.time(), oversight_sv=r.session_version, oversight_iat=time.time())
    # written by the page's runs from now on, until the browser has it (auth.write_cookie in run())
    state[auth.PENDING_COOKIE] = auth.cookie_to_write(r.username, r.role, r.session_version)


def _sign_in_form(app: str) -> None:
    """Our sign-in form over queries.accounts (lockout kept in the database, every attempt audited); the
    authenticator only writes the signed cookie (its lifetime follows the role)."""
    with st.form("login", clear_on_submit=False):
        st.subheader("登录")
        st.text_input("用户名", max_chars=32, autocomplete="username", key="login_username")
        st.text_input("密码", type="password", max_chars=128, autocomplete="current-password", key="login_password")
        st.form_submit_button("登录", on_click=_sign_in, args=(app,))
    error = st.session_state.get(SIGNIN_ERROR)
    if error:
        st.error(error)
    else:
        st.caption("请使用分配的账号登录。连续 5 次密码错误将锁定账号 15 分钟。")


def _production_refusal() -> list[str]:
    """In production mode (OVERSIGHT_ENV=production): what forbids serving (missing/default key, demo accounts)."""
    from pages import auth
    from queries import accounts

    if not accounts.production_mode():
        return []
    return accounts.production_problems(auth.configured_cookie_key(), engine=engine())


def pages_for(app: str, role: str | None) -> list[PageSpec]:
    return [p for p in APPS[app]["pages"] if role in p.roles]


def run(app: str) -> None:
    import streamlit_authenticator as stauth

    from pages import auth

    spec = APPS[app]
    kiosk = spec.get("kiosk", False)
    # an emoji icon becomes an inline SVG favicon; ":material/…:" icons would be fetched from fonts.gstatic.com
    st.set_page_config(page_title=spec["title"], page_icon="🛡️", layout="wide",
                       initial_sidebar_state="collapsed" if kiosk else "auto")
    try:
        problems = _production_refusal()
        if problems:
            st.error("生产模式下拒绝启动：\n\n" + "\n".join(f"- {p}" for p in problems))
            st.stop()
        eng = engine()
        user = auth.user_from_state(eng)
        creds = auth.credentials(eng)  # the users table: a signed-out session needs the database here
    except DB_ERRORS as e:  # database unreachable: a signed-in session keeps its pages (they show their last figures)
        logging.getLogger("oversight").warning("sign-in check: database unavailable: %s",
                                               (str(e).splitlines() or [type(e).__name__])[0][:200])
        eng, user = None, st.session_state.get("oversight_user")
        if user is None:
            st.navigation([st.Page(_db_unavailable_page, title="数据库不可用", url_path="unavailable",
                                   default=True)], position="hidden").run()
            return
    if user is None:
        # A deep link (…/handling?warning=12) opened signed out, or in the first run of a session that the cookie
        # restores (the cookie is read one round trip later): every page path of the app exists as the sign-in
        # page, so Streamlit neither says "Page not found" nor drops the address; once the user is known, the run
        # at the same address draws the page itself, with its parameters.
        login = st.Page(_login_page, title="登录", icon=":material/login:", url_path="login", default=True)
        pg = st.navigation([login] + [st.Page(_login_page, title="登录", url_path=p.url_path, visibility="hidden")
                                      for p in spec["pages"]], position="hidden")
    else:
        allowed = pages_for(app, user.role)
        if not allowed:
            pg = st.navigation([st.Page(_no_access_page, title="无权访问", url_path="denied", default=True)],
                               position="hidden")
        else:
            entries: dict[str, list] = {}
            home = next((p for p in allowed if user.role in p.home_for), allowed[0])
            for p in allowed:
                entries.setdefault(p.section, []).append(
                    st.Page(PAGES_DIR / p.file, title=_title(p, user, eng is not None), icon=p.icon,
                            url_path=p.url_path))
            # The app's root draws the role's home page. Streamlit serves its default page at the root only, so the
            # default is a hidden copy of the home page: every page, the home page too, keeps its own address and a
            # deep link to it (…/handling?warning=12) finds it.
            entries[home.section].append(st.Page(PAGES_DIR / home.file, title=home.title, icon=home.icon,
                                                 url_path="home", default=True, visibility="hidden"))
            pg = st.navigation(entries if len(allowed) > 1 else list(entries.values())[0],
                               position="sidebar" if len(allowed) > 1 else "hidden")
            # the page's own address (the root draws the home page): what a 督办 about the view links to
            st.session_state["oversight_page_path"] = pg.url_path or home.url_path
    if eng is None:
        st.session_state["oversight_user"] = user
        _run_page(pg)
        return
    if user is None:
        # No authenticator here: its cookie reader, a component, answers a moment after the page loads, and that
        # answer's rerun replaced a sign-in click's run (Streamlit stops the running script for a newer request),
        # losing the click. The signed-out page reruns only when its user acts.
        st.title(spec["title"])
        _sign_in_form(app)
        st.stop()
    authenticator = stauth.Authenticate(creds, auth.COOKIE_NAME, auth.cookie_key(),
                                        auth.PERSON_EXPIRY_DAYS)
    # a session restored from the cookie: tell the authenticator, so that logout works
    if not st.session_state.get("authentication_status"):
        st.session_state.update(authentication_status=True, username=user.username, name=user.name,
                                roles=[user.role], logout=None)
    since = st.session_state.setdefault("oversight_since", time.time())
    if time.time() - since > auth.expiry_days(user.role) * 86400:  # the session has expired: sign in again
        authenticator.logout(location="unrendered")
        for k in ("oversight_user", "oversight_since", auth.PENDING_COOKIE):
            st.session_state.pop(k, None)
        st.rerun()
    st.session_state["oversight_user"] = user
    st.session_state["oversight_page"] = pg.url_path
    _audit_page_view(app, pg, user)
    with st.sidebar:
        from queries.regions import reference

        region = reference(eng).name(user.binding) if user.binding else "江苏省"
        from pages.common import plain

        st.caption(f"{plain(user.name)}（{auth.ROLE_NAMES.get(user.role, user.role)} · {region}）")
        authenticator.logout("退出登录", "sidebar", key="logout_btn",
                             callback=lambda _info: _sign_out(user.username, app))
    if st.session_state.get("logout") and not st.session_state.get("authentication_status"):
        st.rerun()  # just signed out: the sign-in form at once, not this page once more
    # the sign-in cookie, until the browser has stored it (see auth.write_cookie); after the sign-out button, so that
    # a sign-out's run never writes it
    auth.write_cookie(authenticator, st.session_state)
    if not kiosk:
        _chrome()
    if user.role in BANNER_ROLES and app == "leadership":
        _duty_banner(user)
    _run_page(pg)
