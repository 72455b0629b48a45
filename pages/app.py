"""The router every app's entry script calls: sign-in, the pages a role may use, then the page.

Pages a role may not use are never registered with ``st.navigation`` (a hidden page is still reachable by
URL), and every query below is scoped by the user's binding anyway.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    icon: str
    url_path: str
    roles: frozenset
    section: str = ""


PROVINCE_AND_CITY = frozenset({"leader", "city", "admin"})

APPS: dict[str, dict] = {
    "leadership": {
        "title": "江苏应急管理 · 领导驾驶舱",
        "pages": [
            PageSpec("overview.py", "总览", ":material/dashboard:", "overview", PROVINCE_AND_CITY, "驾驶舱"),
            PageSpec("hazards.py", "重大危险源实时监测", ":material/sensors:", "hazards", PROVINCE_AND_CITY, "专题"),
            PageSpec("warnings.py", "预警分布", ":material/warning:", "warnings", PROVINCE_AND_CITY, "专题"),
            PageSpec("enforcement.py", "执法专项行动", ":material/gavel:", "enforcement", PROVINCE_AND_CITY, "专题"),
            PageSpec("risk.py", "风险报告", ":material/assignment:", "risk", PROVINCE_AND_CITY, "专题"),
            PageSpec("credit.py", "安全信用脸谱", ":material/verified:", "credit", PROVINCE_AND_CITY, "专题"),
            PageSpec("grids.py", "网格化监管", ":material/grid_on:", "grids", PROVINCE_AND_CITY, "专题"),
            PageSpec("enterprise.py", "企业档案", ":material/factory:", "enterprise", PROVINCE_AND_CITY, "专题"),
        ],
    },
    "wallscreen": {
        "title": "江苏应急管理 · 值班大屏",
        "pages": [PageSpec("wall.py", "值班大屏", ":material/tv:", "wall",
                           frozenset({"duty", "leader", "city", "admin"}))],
    },
    "briefing": {
        "title": "江苏应急管理 · 简报取数",
        "pages": [PageSpec("briefing.py", "简报取数", ":material/description:", "briefing",
                           frozenset({"writer", "leader", "city", "admin"}))],
    },
}

LOGIN_FIELDS = {"Form name": "登录", "Username": "用户名", "Password": "密码", "Login": "登录", "Captcha": "验证码"}


def _login_page() -> None:  # rendered by run() itself; registered so "/" exists for signed-out users
    pass


def _no_access_page() -> None:
    st.warning("当前账号无权使用本应用。请使用对应应用的地址，或退出后换用其他账号登录。")


def pages_for(app: str, role: str | None) -> list[PageSpec]:
    return [p for p in APPS[app]["pages"] if role in p.roles]


def run(app: str) -> None:
    import streamlit_authenticator as stauth

    from pages import auth
    from pages.common import engine

    spec = APPS[app]
    st.set_page_config(page_title=spec["title"], page_icon=":material/shield:", layout="wide")
    eng = engine()
    user = auth.user_from_state(eng)
    if user is None:
        pg = st.navigation([st.Page(_login_page, title="登录", icon=":material/login:", url_path="login",
                                    default=True)], position="hidden")
    else:
        allowed = pages_for(app, user.role)
        if not allowed:
            pg = st.navigation([st.Page(_no_access_page, title="无权访问", url_path="denied", default=True)],
                               position="hidden")
        else:
            entries: dict[str, list] = {}
            for i, p in enumerate(allowed):
                entries.setdefault(p.section, []).append(
                    st.Page(PAGES_DIR / p.file, title=p.title, icon=p.icon, url_path=p.url_path, default=i == 0))
            pg = st.navigation(entries if len(allowed) > 1 else list(entries.values())[0],
                               position="sidebar" if len(allowed) > 1 else "hidden")
    authenticator = stauth.Authenticate(auth.credentials(eng), auth.COOKIE_NAME, auth.cookie_key(),
                                        auth.PERSON_EXPIRY_DAYS)
    if user is None:
        st.title(spec["title"])
        authenticator.login(location="main", fields=LOGIN_FIELDS, key="login")
        status = st.session_state.get("authentication_status")
        if status:
            st.session_state["logout"] = None
            st.rerun()
        elif status is False:
            st.error("用户名或密码错误。")
        else:
            st.caption("请使用分配的账号登录。")
        st.stop()
    # a session restored from the cookie: tell the authenticator, so that logout works
    if not st.session_state.get("authentication_status"):
        st.session_state.update(authentication_status=True, username=user.username, name=user.name,
                                roles=[user.role], logout=None)
    st.session_state["oversight_user"] = user
    with st.sidebar:
        from queries.regions import reference

        region = reference(eng).name(user.binding) if user.binding else "江苏省"
        st.caption(f"{user.name}（{auth.ROLE_NAMES.get(user.role, user.role)} · {region}）")
        authenticator.logout("退出登录", "sidebar", key="logout_btn")
    pg.run()
