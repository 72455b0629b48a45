"""Sign-in for the three apps (streamlit-authenticator over the ``users`` table).

- Passwords are bcrypt hashes in the database; demo accounts exist only in demo data.
- The cookie key comes from ``OVERSIGHT_COOKIE_KEY`` or ``st.secrets["cookie_key"]``; in demo mode, without
  either, a random key is generated once into ``data/.cookie_key`` (git-ignored), never into the repository.
- Roles: leader (province), city (bound to a city), duty (wall screen only), writer (briefing), admin.
- Cookie lifetime per role (``expiry_days``): the duty room's kiosk account ``OVERSIGHT_KIOSK_DAYS`` (30), people
  ``OVERSIGHT_SESSION_DAYS`` (0.5); a long kiosk cookie is never accepted for another role.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass

import streamlit as st
from sqlalchemy import select

from queries.db import ROOT
from seed.schema import users as U

COOKIE_NAME = "oversight_auth"
ROLE_NAMES = {"leader": "省级领导", "city": "市级领导", "duty": "值班室", "writer": "简报编辑", "admin": "管理员"}
PERSON_EXPIRY_DAYS = float(os.environ.get("OVERSIGHT_SESSION_DAYS", "0.5"))  # 12 h for people
# The duty room's wall screen is a kiosk: its account stays signed in across browser restarts for this long.
KIOSK_ROLES = frozenset({"duty"})
KIOSK_EXPIRY_DAYS = float(os.environ.get("OVERSIGHT_KIOSK_DAYS", "30"))


def expiry_days(role: str | None) -> float:
    """How long a sign-in cookie lasts for ``role``: kiosk roles ``OVERSIGHT_KIOSK_DAYS`` (default 30), people
    ``OVERSIGHT_SESSION_DAYS`` (default 0.5)."""
    return KIOSK_EXPIRY_DAYS if role in KIOSK_ROLES else PERSON_EXPIRY_DAYS


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: str
    binding: int | None  # region adcode; None = whole province


def configured_cookie_key() -> str:
    """The cookie key from the environment or ``st.secrets`` ('' when neither has one)."""
    key = os.environ.get("OVERSIGHT_COOKIE_KEY", "").strip()
    if not key:
        try:
            key = str(st.secrets.get("cookie_key", "")).strip()
        except Exception:  # noqa: BLE001 - no secrets file
            key = ""
    return key


def cookie_key() -> str:
    """The configured key; in demo mode only, without one, a random key generated once into data/.cookie_key."""
    key = configured_cookie_key()
    if key:
        return key
    from queries.accounts import production_mode

    if production_mode():
        raise RuntimeError("OVERSIGHT_COOKIE_KEY is required in production mode")
    path = ROOT / "data" / ".cookie_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        os.chmod(path, 0o600)
    return path.read_text().strip()


@st.cache_data(ttl=30, show_spinner=False)
def _users(url: str) -> dict[str, dict]:
    from queries.db import get_engine

    with get_engine(url).connect() as c:
        rows = c.execute(select(U).where(U.c.active.is_(True))).mappings().all()
    return {r["username"]: dict(r) for r in rows}


def users(engine) -> dict[str, dict]:
    return _users(engine.url.render_as_string(hide_password=False))


def credentials(engine) -> dict:
    """The credentials dict streamlit-authenticator wants (a fresh copy: it mutates it)."""
    return {"usernames": {u: {"name": r["display_name"], "password": r["password_hash"], "roles": [r["role"]],
                              "email": f"{u}@oversight.local"}
                          for u, r in users(engine).items()}}  # lockout: queries.accounts.authenticate


def user_from_state(engine) -> User | None:
    """The signed-in user: from this session, else from a valid cookie (before any widget runs)."""
    username = st.session_state.get("username") if st.session_state.get("authentication_status") else None
    token_exp = None
    if not username and not st.session_state.get("logout"):
        token = st.context.cookies.get(COOKIE_NAME) if hasattr(st, "context") else None
        if token:
            import jwt

            try:
                data = jwt.decode(token, cookie_key(), algorithms=["HS256"])
                if data.get("exp_date", 0) > dt.datetime.now().timestamp():
                    username = data.get("username")
                    token_exp = float(data["exp_date"])
            except jwt.PyJWTError:
                username = None
    if not username:
        return None
    r = users(engine).get(username)
    if r is None:
        return None
    if token_exp is not None and token_exp - dt.datetime.now().timestamp() > expiry_days(r["role"]) * 86400 + 120:
        return None  # a cookie issued for a longer (kiosk) sign-in does not lengthen a person's session
    return User(username, r["display_name"], r["role"], r["region_adcode"])
