"""Sign-in for the three apps (streamlit-authenticator over the ``users`` table).

- Passwords are bcrypt hashes in the database; demo accounts exist only in demo data.
- The cookie key comes from ``OVERSIGHT_COOKIE_KEY`` or ``st.secrets["cookie_key"]``; in demo mode, without
  either, a random key is generated once into ``data/.cookie_key`` (git-ignored), never into the repository.
- Roles: leader (province), city (bound to a city), officer (bound to a city or a county; handles warnings), duty
  (wall screen; the handling desk), writer (briefing), admin.
- Cookie lifetime per role (``expiry_days``): the duty room's kiosk account ``OVERSIGHT_KIOSK_DAYS`` (30), people
  ``OVERSIGHT_SESSION_DAYS`` (0.5); a long kiosk cookie is never accepted for another role.
- The cookie is an HS256 JWT ``{username, exp_date, iat, sv}`` (streamlit-authenticator's own token has only the
  first two, so the app writes it itself through the authenticator's cookie manager). ``sv`` is the user's
  ``session_version``: every page run compares it (and, in a running session, the version the session signed in
  with) with the database (it must not be older), so sign-out, a password reset, disabling the account or changing its role or region
  ends every session of the user, a copied cookie included. A cookie issued before the account was (re)created is
  refused too.
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
ROLE_NAMES = {"leader": "省级领导", "city": "市级领导", "officer": "监管人员", "duty": "值班室", "writer": "简报编辑",
              "admin": "管理员"}
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
    session_version: int = 0


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
    from queries.db import read_engine

    with read_engine(url).connect() as c:  # never password_hash: the dashboards' database role cannot read it
        rows = c.execute(select(U.c.username, U.c.display_name, U.c.role, U.c.region_adcode)
                         .where(U.c.active.is_(True))).mappings().all()
    return {r["username"]: dict(r) for r in rows}


def users(engine) -> dict[str, dict]:
    return _users(engine.url.render_as_string(hide_password=False))


def credentials(engine) -> dict:
    """The credentials dict streamlit-authenticator wants (a fresh copy: it mutates it). No password hashes: the
    authenticator only writes and deletes the cookie here; passwords are checked by queries.accounts."""
    return {"usernames": {u: {"name": r["display_name"], "roles": [r["role"]], "email": f"{u}@oversight.local"}
                          for u, r in users(engine).items()}}


def account(engine, username: str) -> dict | None:
    """The account as it is now (no cache: a revoked session must end on its next run)."""
    with engine.connect() as c:
        r = c.execute(select(U.c.username, U.c.display_name, U.c.role, U.c.region_adcode, U.c.active,
                             U.c.session_version, U.c.created_at).where(U.c.username == username)).mappings().first()
    return dict(r) if r else None


def make_token(username: str, version: int, *, days: float, key: str | None = None,
               now: dt.datetime | None = None) -> str:
    """The signed sign-in cookie's value for ``username`` at ``session_version`` ``version``, valid ``days``."""
    import jwt

    now = now or dt.datetime.now()
    return jwt.encode({"username": username, "exp_date": (now + dt.timedelta(days=days)).timestamp(),
                       "iat": now.timestamp(), "sv": int(version)}, key or cookie_key(), algorithm="HS256")


def cookie_for(username: str, *, engine, days: float | None = None, key: str | None = None) -> str:
    """A valid sign-in cookie for ``username`` as the app would issue it now (``oversight loadtest``, tests)."""
    r = account(engine, username)
    if r is None:
        raise ValueError(f"unknown user: {username}")
    return make_token(username, r["session_version"], days=expiry_days(r["role"]) if days is None else days, key=key)


def read_token(token: str | None, key: str | None = None) -> dict | None:
    """The claims of a correctly signed, unexpired cookie of our format (None for anything else)."""
    import jwt

    if not token:
        return None
    try:
        data = jwt.decode(token, key or cookie_key(), algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    try:
        if not isinstance(data.get("username"), str) or not isinstance(data.get("sv"), int):
            return None
        if float(data["exp_date"]) <= dt.datetime.now().timestamp():
            return None
        float(data["iat"])
    except (KeyError, TypeError, ValueError):
        return None
    return data


PENDING_COOKIE = "oversight_cookie_pending"


def cookie_to_write(username: str, role: str, version: int) -> dict:
    """The sign-in cookie of a sign-in (lifetime by role), to be written by :func:`write_cookie` until the browser
    says it has stored it; ``key`` is the writing component's, new for every sign-in."""
    days = expiry_days(role)
    return {"token": make_token(username, version, days=days),
            "expires_at": (dt.datetime.now() + dt.timedelta(days=days)).replace(microsecond=0),
            "key": f"oversight_cookie_{secrets.token_hex(6)}"}


def write_cookie(authenticator, state) -> None:
    """Write the pending sign-in cookie through the authenticator's cookie manager, the same component (same key
    and arguments) in every run until the browser has stored it: the component answers True once it has, and a
    run that replaced it sooner (the sign-in run reruns at once; a page may rerun on its first chart event) would
    otherwise leave the browser without the cookie, signed out at the next address it opens."""
    pending = state.get(PENDING_COOKIE)
    if not pending:
        return
    if state.get(pending["key"]) is True:
        state[PENDING_COOKIE] = None
        return
    authenticator.cookie_controller.cookie_model.cookie_manager.set(
        COOKIE_NAME, pending["token"], key=pending["key"], expires_at=pending["expires_at"])


def _end_session(state) -> None:
    for k in ("authentication_status", "username", "name", "roles", "oversight_sv", "oversight_iat", "oversight_user",
              PENDING_COOKIE):
        if k in state:
            state[k] = None


def user_from_state(engine) -> User | None:
    """The signed-in user: from this session, else from a valid cookie (before any widget runs). Either way the
    account is read afresh and the session's version must not be older than the account's."""
    state = st.session_state
    username = state.get("username") if state.get("authentication_status") else None
    version, issued = (state.get("oversight_sv"), state.get("oversight_iat")) if username else (None, None)
    token = None
    if not username and not state.get("logout"):
        token = read_token(st.context.cookies.get(COOKIE_NAME) if hasattr(st, "context") else None)
        if token:
            username, version, issued = token["username"], token["sv"], float(token["iat"])
    if not username:
        return None
    r = account(engine, username)
    if r is None or not r["active"]:
        if not token:
            _end_session(state)
        return None
    if version is None and token is None:  # a session the server itself marked signed in (no cookie involved)
        version, issued = r["session_version"], dt.datetime.now().timestamp()
    # signed out elsewhere, new password, disabled, role or region changed, or signed in to an earlier account of
    # the same name (its versions started again at 0). A newer version than the database shows is only possible on
    # a lagging read replica (versions only grow, and only the server signs cookies).
    if version < r["session_version"] or (issued or 0) < r["created_at"].timestamp():
        if not token:
            _end_session(state)
        return None
    if token is not None and \
            float(token["exp_date"]) - dt.datetime.now().timestamp() > expiry_days(r["role"]) * 86400 + 120:
        return None  # a cookie issued for a longer (kiosk) sign-in does not lengthen a person's session
    state["oversight_sv"], state["oversight_iat"] = version, issued
    return User(username, r["display_name"], r["role"], r["region_adcode"], version)


def end_if_revoked() -> None:
    """For a fragment that reruns by itself (the wall screen's live part, which a kiosk never leaves): if the
    session's account was signed out, disabled, given a new password or role since, rerun the whole app, whose
    ``user_from_state`` ends the session and shows the sign-in form. A database outage changes nothing here."""
    from sqlalchemy.exc import SQLAlchemyError

    from pages.common import engine

    state = st.session_state
    username, version = state.get("username"), state.get("oversight_sv")
    if not username or version is None:
        return
    try:
        r = account(engine(), username)
    except (SQLAlchemyError, OSError):
        return
    if r is None or not r["active"] or r["session_version"] > version:
        st.rerun(scope="app")
