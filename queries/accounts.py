"""Accounts: bcrypt-hashed users in the database, sign-in with lockout, sessions that can be ended, the password
and cookie-key policies, and production-readiness checks.

Sign-in state lives on the ``users`` row (migration 0004), not in the audit log:
- ``failed_logins`` / ``locked_until``: every attempt first *reserves* itself with one conditional
  ``UPDATE … RETURNING`` (atomic on both databases: SQLite runs one writer at a time, PostgreSQL re-evaluates the
  WHERE clause on the locked row), and only a reserved attempt gets its password checked. The
  ``MAX_FAILURES``-th reservation sets the lock (lifted again if that attempt turns out right), so however many
  attempts arrive at once, at most ``MAX_FAILURES`` passwords are checked before the account is locked for
  ``LOCKOUT_MINUTES``. A successful sign-in resets the count.
- ``session_version``: carried in the sign-in cookie and compared on every page run (``pages.auth``). Sign-out
  increments it, and a trigger increments it whenever ``password_hash``, ``role``, ``region_adcode`` or ``active``
  change, so every session of that user ends.
An unknown or disabled name costs as much time as a wrong password (a check against a dummy hash) and gets the
same message. On PostgreSQL the dashboards' reader role can neither read ``password_hash`` nor write the sign-in
state; sign-in runs on ``OVERSIGHT_AUTH_DB_URL`` (the sign-in role of ``oversight db-roles``), by default on
``OVERSIGHT_DB_URL``. Every sign-in event is written to ``audit_log``.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
import os
import secrets
import threading
from dataclasses import dataclass

import bcrypt
from sqlalchemy import Engine, and_, case, insert, or_, select, update

from queries import audit
from queries.base import clean_text

from seed.schema import users as U

# leader: the province's leaders (read); city: a city's leaders (read, bound to a city); officer (监管人员): a city's
# or a county's regulators who handle warnings there (bound to a city or a county); duty: the provincial duty room
# (wall screen; acknowledges and escalates warnings anywhere); writer: the briefing; admin: administration
ROLES = ("leader", "city", "officer", "duty", "writer", "admin")
# roles that must be bound to a region, and the levels of division each may be bound to
BOUND_ROLES = {"city": ("city",), "officer": ("city", "county")}
MAX_FAILURES = int(os.environ.get("OVERSIGHT_LOCKOUT_FAILURES", "5"))
LOCKOUT_MINUTES = float(os.environ.get("OVERSIGHT_LOCKOUT_MINUTES", "15"))
MIN_PASSWORD = 10
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further
BCRYPT_ROUNDS = 12
MIN_COOKIE_KEY = 32
MIN_COOKIE_KEY_BITS = 128


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
    session_version: int | None = None

    @property
    def message(self) -> str:
        if self.reason == "locked":
            until = self.locked_until.strftime("%H:%M") if self.locked_until else ""
            return f"连续登录失败次数过多，账号已锁定，请于 {until} 后再试或联系管理员。"
        # unknown, disabled and wrong password read the same: the form does not tell which names exist
        return "用户名或密码错误。"


def _audit(conn, event: str, username: str | None, at: dt.datetime | None = None, **detail) -> None:
    audit.append(conn, event, username, detail, at)


def signin_engine() -> Engine:
    """Where sign-in reads password hashes and writes the sign-in state: ``OVERSIGHT_AUTH_DB_URL`` (on PostgreSQL
    the sign-in role of ``oversight db-roles``), else the primary database."""
    from queries import db

    url = os.environ.get("OVERSIGHT_AUTH_DB_URL", "").strip()
    return db.get_engine(url) if url else db.get_engine()


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=BCRYPT_ROUNDS)).decode()


def check_password(password: str, password_hash: str) -> bool:
    """The one place a password is checked against an account's hash (the lockout tests count the calls)."""
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except (ValueError, TypeError):  # not a bcrypt hash, a password over 72 bytes, a NUL
        return False


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _dummy_check(password: str) -> None:
    """As much work as checking a real account's password (same bcrypt cost as ``hash_password``)."""
    try:
        bcrypt.checkpw(password.encode(), _dummy_hash().encode())
    except (ValueError, TypeError):
        pass


def authenticate(username: str, password: str, *, engine: Engine, now: dt.datetime | None = None,
                 source: str = "") -> SignIn:
    """Check a sign-in; lock after ``MAX_FAILURES`` consecutive failures for ``LOCKOUT_MINUTES``; audit it all.

    1. reserve an attempt (one conditional UPDATE: refused while locked; the ``MAX_FAILURES``-th sets the lock);
    2. check the password (a dummy hash when the name is unknown or disabled, so the time does not tell);
    3. on success reset the count (only if the account and its hash are still those checked).
    """
    now = (now or dt.datetime.now()).replace(microsecond=0)
    username = clean_text(username, 32)
    password = password if isinstance(password, str) else ""
    until = now + dt.timedelta(minutes=LOCKOUT_MINUTES)
    lock_over = and_(U.c.locked_until.is_not(None), U.c.locked_until <= now)
    count = case((lock_over, 1), else_=U.c.failed_logins + 1)
    state = None
    with engine.begin() as conn:  # the UPDATE comes first: on SQLite it takes the write lock at once
        row = conn.execute(update(U).where(U.c.username == username, U.c.active.is_(True),
                                           or_(U.c.locked_until.is_(None), U.c.locked_until <= now))
                           .values(failed_logins=count,
                                   locked_until=case((count >= MAX_FAILURES, until), else_=None))
                           .returning(U.c.failed_logins, U.c.password_hash, U.c.locked_until)).first()
        if row is None:
            state = conn.execute(select(U.c.active, U.c.locked_until).where(U.c.username == username)).first()
            if state is not None and state.active:
                _audit(conn, "login_failed", username, reason="locked", source=source, at=now)
                return SignIn(False, "locked", username, locked_until=state.locked_until)
    ok = check_password(password, row.password_hash) if row is not None else _dummy_check(password)
    with engine.begin() as conn:
        if row is None:
            reason = "unknown" if state is None else "disabled"
            _audit(conn, "login_failed", username or None, reason=reason, source=source, at=now)
            return SignIn(False, reason, username if state is not None else None)
        if ok:
            u = conn.execute(update(U).where(U.c.username == username, U.c.active.is_(True),
                                             U.c.password_hash == row.password_hash)
                             .values(failed_logins=0, locked_until=None)
                             .returning(U.c.role, U.c.region_adcode, U.c.display_name, U.c.session_version)).first()
            if u is not None:
                _audit(conn, "login", username, source=source, at=now)
                return SignIn(True, "ok", username, u.role, u.region_adcode, u.display_name,
                              session_version=u.session_version)
            # disabled or given a new password while this attempt was being checked
            _audit(conn, "login_failed", username, reason="changed", source=source, at=now)
            return SignIn(False, "wrong_password", username)
        _audit(conn, "login_failed", username, reason="wrong_password", source=source, at=now)
        if row.failed_logins >= MAX_FAILURES and conn.execute(  # the lock this attempt set (unless a success
                select(U.c.locked_until).where(U.c.username == username)).scalar() is not None:  # lifted it)
            _audit(conn, "lockout", username, until=row.locked_until.isoformat(sep=" "), source=source, at=now)
            return SignIn(False, "locked", username, locked_until=row.locked_until)
        return SignIn(False, "wrong_password", username)


def unlock(username: str, *, engine: Engine, by: str = "") -> None:
    with engine.begin() as conn:
        n = conn.execute(update(U).where(U.c.username == username)
                         .values(failed_logins=0, locked_until=None)).rowcount
        if not n:
            raise AccountError(f"用户不存在：{username}")
        _audit(conn, "user_unlock", username, by=by)


def end_sessions(username: str, *, engine: Engine, event: str = "sessions_ended", **detail) -> None:
    """End every session of ``username`` (every sign-in cookie issued so far stops working)."""
    with engine.begin() as conn:
        n = conn.execute(update(U).where(U.c.username == username)
                         .values(session_version=U.c.session_version + 1)).rowcount
        if not n:
            raise AccountError(f"用户不存在：{username}")
        _audit(conn, event, username, **detail)


def record_logout(username: str, *, engine: Engine, app: str = "") -> None:
    """Sign-out: ends every session of the user, not only this browser's (a copied cookie stops working too)."""
    end_sessions(username, engine=engine, event="logout", **({"app": app} if app else {}))


# --- user management ------------------------------------------------------------------------------------

def _check_role(role: str, region: int | None, engine: Engine) -> None:
    from queries.regions import reference

    if role not in ROLES:
        raise AccountError(f"未知角色：{role}（可选 {', '.join(ROLES)}）")
    if role == "city" and region is None:
        raise AccountError("市级账号必须绑定地区（--region）")
    if role == "officer" and region is None:
        raise AccountError("监管人员账号必须绑定设区市或县（市、区）（--region）")
    divisions = reference(engine).divisions
    if region is not None and region not in divisions:
        raise AccountError(f"未知的地区代码：{region}")
    if role in BOUND_ROLES and divisions[region].level not in BOUND_ROLES[role]:
        raise AccountError("市级账号只能绑定设区市（区县的监管人员请用 officer 角色）" if role == "city"
                           else "监管人员账号只能绑定设区市或县（市、区）")


_COMMON_WORDS = ["jiangsu", "oversight", "yingji", "anquan", "admin", "password", "江苏", "应急", "安全", "监管"]
_PATTERN_MESSAGES = [  # zxcvbn's pattern of the weakest part -> why the password is refused
    ("repeat", "密码不能由重复的字符或片段组成"),
    ("sequence", "密码不能是连续的字母或数字序列"),
    ("spatial", "密码不能是键盘上相邻的按键"),
    ("dictionary", "密码不能是常见密码、常用词或与账号相关的词"),
    ("date", "密码不能是日期"),
    ("regex", "密码不能是年份等常见格式"),
]
_zxcvbn_lock = threading.Lock()  # zxcvbn keeps the user inputs in a module-level dictionary


def _zxcvbn(text: str, user_inputs: list[str] | None = None) -> dict:
    from zxcvbn import zxcvbn

    with _zxcvbn_lock:
        return zxcvbn(text, user_inputs=user_inputs or [], max_length=max(len(text), 1))


def _classes(text: str) -> int:
    return (any(c.islower() for c in text) + any(c.isupper() for c in text) + any(c.isdigit() for c in text)
            + any(not c.isalnum() for c in text))


def check_password_policy(password: str, username: str = "", display_name: str = "") -> None:
    """Refuse a weak password (``AccountError`` with the reason in Chinese): at least ``MIN_PASSWORD`` characters
    and at most 72 bytes, three of four character classes (lower case, upper case, digits, symbols), not the user
    name (nor containing it, nor reversed), and not guessable per zxcvbn (score 3 of 4 at least, also with its
    letters in lower case: not a common password or word, repetition, sequence, keyboard walk or date, nor built
    from the account's own names). The demo seed's ``<username>-demo`` passwords never pass here; the seed writes
    their hashes itself."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise AccountError(f"密码不能超过 {MAX_PASSWORD_BYTES} 字节")
    if password.lower().endswith("-demo"):
        raise AccountError("不能使用演示密码格式")
    if any(not c.isprintable() for c in password):
        raise AccountError("密码不能包含控制字符")
    if _classes(password) < 3:
        raise AccountError("密码须包含小写字母、大写字母、数字、符号中的至少三类")
    low, name = password.lower(), username.strip().lower()
    if len(name) >= 3 and (name in low or name[::-1] in low) or low == name:
        raise AccountError("密码不能包含用户名")
    inputs = [username, display_name, *_COMMON_WORDS]
    # upper case letters alone do not hide a sequence or a word ("Abcdefghij1!"): the weaker of both readings counts
    r = min((_zxcvbn(password, inputs), _zxcvbn(password.lower(), inputs)), key=lambda x: x["score"])
    if r["score"] < 3:
        patterns = {m["pattern"] for m in r["sequence"]}
        raise AccountError(next((msg for p, msg in _PATTERN_MESSAGES if p in patterns), "密码太容易被猜到") +
                           "，请换一个更长、更随机的密码")


def add_user(username: str, display_name: str, role: str, password: str, *, region: int | None = None,
             engine: Engine, by: str = "") -> None:
    username = username.strip()
    if not username or len(username) > 32 or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise AccountError("用户名只能包含字母、数字、点、下划线和连字符，且不超过 32 位")
    _check_role(role, region, engine)
    check_password_policy(password, username, display_name)
    with engine.begin() as conn:
        if conn.execute(select(U.c.username).where(U.c.username == username)).first():
            raise AccountError(f"用户已存在：{username}")
        conn.execute(insert(U).values(username=username, display_name=display_name or username,
                                      password_hash=hash_password(password), role=role, region_adcode=region,
                                      active=True, demo=False,
                                      created_at=dt.datetime.now().replace(microsecond=0)))
        _audit(conn, "user_add", by or None, user=username, role=role, region=region)


def set_active(username: str, active: bool, *, engine: Engine, by: str = "") -> None:
    """Enable or disable an account; disabling ends its sessions (the trigger increments session_version)."""
    with engine.begin() as conn:
        n = conn.execute(update(U).where(U.c.username == username).values(active=active)).rowcount
        if not n:
            raise AccountError(f"用户不存在：{username}")
        _audit(conn, "user_enable" if active else "user_disable", by or None, user=username)


def set_role(username: str, role: str, *, region: int | None = None, engine: Engine, by: str = "") -> None:
    """Change an account's role and binding; its sessions end (they carried the old role)."""
    _check_role(role, region, engine)
    with engine.begin() as conn:
        n = conn.execute(update(U).where(U.c.username == username).values(role=role, region_adcode=region)).rowcount
        if not n:
            raise AccountError(f"用户不存在：{username}")
        _audit(conn, "user_role", by or None, user=username, role=role, region=region)


def reset_password(username: str, password: str, *, engine: Engine, by: str = "") -> None:
    """A new password: lifts a lock and ends every session of the account."""
    with engine.connect() as conn:
        u = conn.execute(select(U.c.display_name).where(U.c.username == username)).first()
    if u is None:
        raise AccountError(f"用户不存在：{username}")
    check_password_policy(password, username, u.display_name)
    with engine.begin() as conn:
        n = conn.execute(update(U).where(U.c.username == username).values(
            password_hash=hash_password(password), failed_logins=0, locked_until=None)).rowcount
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


@functools.lru_cache(maxsize=8)  # production mode checks the key on every page run; zxcvbn takes ~0.1 s
def cookie_key_bits(key: str) -> float:
    """Estimated entropy of a cookie key in bits: the parts zxcvbn recognises (repetitions, sequences, keyboard
    walks, words, dates) count what guessing them costs, the rest counts its length times the bits of the key's
    character set (only the first 128 characters are looked at)."""
    key = key[:128]
    if not key:
        return 0.0
    pool = (26 * any(c.islower() for c in key) + 26 * any(c.isupper() for c in key) + 10 * any(c.isdigit() for c in key)
            + 33 * any(not c.isalnum() for c in key))
    bits = 0.0
    for m in _zxcvbn(key)["sequence"]:
        if m["pattern"] == "bruteforce":
            bits += len(m["token"]) * math.log2(max(pool, 2))
        else:
            bits += math.log2(max(float(m["guesses"]), 1.0))
    return bits


def cookie_key_problem(key: str | None) -> str | None:
    """Why ``key`` must not sign production cookies (None when it may)."""
    key = (key or "").strip()
    if not key:
        return "缺少登录 Cookie 签名密钥（OVERSIGHT_COOKIE_KEY 或 secrets.toml 的 cookie_key）"
    if len(key) < MIN_COOKIE_KEY or key.lower() in {"some_key", "changeme", "secret", "oversight"}:
        return f"登录 Cookie 签名密钥过短或为默认值（至少 {MIN_COOKIE_KEY} 个字符的随机串）"
    bits = cookie_key_bits(key)
    if bits < MIN_COOKIE_KEY_BITS:
        return (f"登录 Cookie 签名密钥过于规律（估计熵约 {bits:.0f} 位，至少需要 {MIN_COOKIE_KEY_BITS} 位；"
                "请用 python -c \"import secrets; print(secrets.token_urlsafe(48))\" 生成）")
    return None


def production_problems(cookie_key: str | None, *, engine: Engine) -> list[str]:
    """Why this install must not serve in production mode (empty when it may)."""
    problems = []
    key_problem = cookie_key_problem(cookie_key)
    if key_problem:
        problems.append(key_problem)
    with engine.connect() as conn:
        demo = [r[0] for r in conn.execute(select(U.c.username).where(U.c.demo.is_(True), U.c.active.is_(True)))]
    if demo:
        problems.append(f"存在演示账号：{', '.join(sorted(demo))}（生产环境不得保留演示账号）")
    return problems
