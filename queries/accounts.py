"""Accounts: bcrypt-hashed users in the database, sign-in with lockout, and production-readiness checks.

Sign-in state that must survive a restart (failed attempts, lockout) lives in the ``users`` table; every
sign-in event is written to ``audit_log`` in the same transaction.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import bcrypt
from sqlalchemy import Engine, insert, select, update

from queries import audit
from queries.base import clean_text

from seed.schema import audit_log, users as U

ROLES = ("leader", "city", "duty", "writer", "admin")
MAX_FAILURES = int(os.environ.get("OVERSIGHT_LOCKOUT_FAILURES", "5"))
LOCKOUT_MINUTES = float(os.environ.get("OVERSIGHT_LOCKOUT_MINUTES", "15"))
MIN_PASSWORD = 10


class AccountError(ValueError):
    """A user-management request that cannot be carried out (message in Chinese)."""


@dataclass(frozen=True)
class SignIn:
    ok: bool
    reason: str  # ok | unknown | wrong_password | locked | disabled
    username: str | None = None
    role: str | None = None
    binding: int | None = None
    display_name: str | None = None
    locked_until: dt.datetime | None = None

    @property
    def message(self) -> str:
        if self.reason == "locked":
            until = self.locked_until.strftime("%H:%M") if self.locked_until else ""
            return f"连续登录失败次数过多，账号已锁定，请于 {until} 后再试或联系管理员。"
        if self.reason == "disabled":
            return "账号已停用，请联系管理员。"
        return "用户名或密码错误。"


def _audit(conn, event: str, username: str | None, at: dt.datetime | None = None, **detail) -> None:
    audit.append(conn, event, username, detail, at)


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=12)).decode()


def lock_state(username: str, conn, now: dt.datetime) -> dt.datetime | None:
    """Until when ``username`` is locked (None: not locked), derived from the append-only audit log.

    Failures count since the last successful sign-in, unlock or password reset; the ``MAX_FAILURES``-th
    consecutive failure locks the account for ``LOCKOUT_MINUTES``. Deriving it from the audit log keeps it across
    restarts and needs no UPDATE right for the dashboards' database role.
    """
    since = now - dt.timedelta(minutes=LOCKOUT_MINUTES) - dt.timedelta(days=1)
    rows = conn.execute(select(audit_log.c.at, audit_log.c.event, audit_log.c.detail)
                        .where(audit_log.c.username == username, audit_log.c.at >= since,
                               audit_log.c.event.in_(("login", "login_failed", "password_reset", "user_unlock")))
                        .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())).all()
    fails = []
    for at, event, detail in rows:
        if event != "login_failed":
            break
        if '"wrong_password"' in (detail or ""):
            fails.append(at)
    if len(fails) < MAX_FAILURES:
        return None
    # newest first: the latest failure whose count is a multiple of MAX_FAILURES started the current lock
    start = fails[len(fails) % MAX_FAILURES]
    until = start + dt.timedelta(minutes=LOCKOUT_MINUTES)
    return until if until > now else None


def authenticate(username: str, password: str, *, engine: Engine, now: dt.datetime | None = None,
                 source: str = "") -> SignIn:
    """Check a sign-in; lock after ``MAX_FAILURES`` consecutive failures for ``LOCKOUT_MINUTES``; audit it all.

    Writes only to ``audit_log`` (INSERT), so it works under the dashboards' read-only database role.
    """
    now = (now or dt.datetime.now()).replace(microsecond=0)
    username = clean_text(username, 32)
    with engine.begin() as conn:
        u = conn.execute(select(U).where(U.c.username == username)).mappings().first()
        if u is None:
            _audit(conn, "login_failed", username or None, reason="unknown", source=source, at=now)
            return SignIn(False, "unknown")
        if not u["active"]:
            _audit(conn, "login_failed", username, reason="disabled", source=source, at=now)
            return SignIn(False, "disabled", username)
        locked = lock_state(username, conn, now)
        if locked:
            _audit(conn, "login_failed", username, reason="locked", source=source, at=now)
            return SignIn(False, "locked", username, locked_until=locked)
        try:
            ok = bcrypt.checkpw(password.encode(), u["password_hash"].encode())
        except ValueError:
            ok = False
        if not ok:
            _audit(conn, "login_failed", username, reason="wrong_password", source=source, at=now)
            locked = lock_state(username, conn, now)
            if locked:
                _audit(conn, "lockout", username, until=locked.isoformat(sep=" "), source=source, at=now)
                return SignIn(False, "locked", username, locked_until=locked)
            return SignIn(False, "wrong_password", username)
        _audit(conn, "login", username, source=source, at=now)
        return SignIn(True, "ok", username, u["role"], u["region_adcode"], u["display_name"])


def unlock(username: str, *, engine: Engine, by: str = "") -> None:
    with engine.begin() as conn:
        _audit(conn, "user_unlock", username, by=by)


def record_logout(username: str, *, engine: Engine) -> None:
    with engine.begin() as conn:
        _audit(conn, "logout", username)


# --- user management ------------------------------------------------------------------------------------

def _check_role(role: str, region: int | None, engine: Engine) -> None:
    from queries.regions import reference

    if role not in ROLES:
        raise AccountError(f"未知角色：{role}（可选 {', '.join(ROLES)}）")
    if role == "city":
        if region is None:
            raise AccountError("市级账号必须绑定地区（--region）")
    if region is not None and region not in reference(engine).divisions:
        raise AccountError(f"未知的地区代码：{region}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位")
    if password.lower().endswith("-demo"):
        raise AccountError("不能使用演示密码格式")


def add_user(username: str, display_name: str, role: str, password: str, *, region: int | None = None,
             engine: Engine, by: str = "") -> None:
    username = username.strip()
    if not username or len(username) > 32 or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise AccountError("用户名只能包含字母、数字、点、下划线和连字符，且不超过 32 位")
    _check_role(role, region, engine)
    _check_password(password)
    with engine.begin() as conn:
        if conn.execute(select(U.c.username).where(U.c.username == username)).first():
            raise AccountError(f"用户已存在：{username}")
        conn.execute(insert(U).values(username=username, display_name=display_name or username,
                                      password_hash=hash_password(password), role=role, region_adcode=region,
                                      active=True, demo=False,
                                      created_at=dt.datetime.now().replace(microsecond=0)))
        _audit(conn, "user_add", by or None, user=username, role=role, region=region)


def set_active(username: str, active: bool, *, engine: Engine, by: str = "") -> None:
    with engine.begin() as conn:
        n = conn.execute(update(U).where(U.c.username == username).values(active=active)).rowcount
        if not n:
            raise AccountError(f"用户不存在：{username}")
        _audit(conn, "user_enable" if active else "user_disable", by or None, user=username)


def reset_password(username: str, password: str, *, engine: Engine, by: str = "") -> None:
    _check_password(password)
    with engine.begin() as conn:
        n = conn.execute(update(U).where(U.c.username == username).values(
            password_hash=hash_password(password))).rowcount
        if not n:
            raise AccountError(f"用户不存在：{username}")
        _audit(conn, "password_reset", username, by=by)


def list_users(*, engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(U.c.username, U.c.display_name, U.c.role, U.c.region_adcode, U.c.active, U.c.demo,
                                   U.c.created_at).order_by(U.c.username)).mappings().all()
    return [dict(r) for r in rows]


# --- production readiness -----------------------------------------------------------------------------------

def production_mode() -> bool:
    return os.environ.get("OVERSIGHT_ENV", "").strip().lower() == "production"


def production_problems(cookie_key: str | None, *, engine: Engine) -> list[str]:
    """Why this install must not serve in production mode (empty when it may)."""
    problems = []
    key = (cookie_key or "").strip()
    if not key:
        problems.append("缺少登录 Cookie 签名密钥（OVERSIGHT_COOKIE_KEY 或 secrets.toml 的 cookie_key）")
    elif len(key) < 32 or key.lower() in {"some_key", "changeme", "secret", "oversight"}:
        problems.append("登录 Cookie 签名密钥过短或为默认值（至少 32 个字符的随机串）")
    with engine.connect() as conn:
        demo = [r[0] for r in conn.execute(select(U.c.username).where(U.c.demo.is_(True), U.c.active.is_(True)))]
    if demo:
        problems.append(f"存在演示账号：{', '.join(sorted(demo))}（生产环境不得保留演示账号）")
    return problems
