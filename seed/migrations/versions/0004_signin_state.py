"""sign-in state on the users row: failed attempts and the lock they set (reserved atomically before a password is
checked, instead of being derived from the audit log, which the dashboards' role can append to), and a session
version that the sign-in cookie carries (a trigger increments it whenever password_hash, role, region_adcode or
active change; sign-out increments it); locks in force at the upgrade are carried over from the audit log

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""
from __future__ import annotations

import datetime as dt
import os

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

COLUMNS = [
    sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'),
]
WATCHED = ('password_hash', 'role', 'region_adcode', 'active')  # a change of any ends every session of the user

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION oversight_users_session_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.password_hash IS DISTINCT FROM OLD.password_hash OR NEW.role IS DISTINCT FROM OLD.role
       OR NEW.region_adcode IS DISTINCT FROM OLD.region_adcode OR NEW.active IS DISTINCT FROM OLD.active THEN
        NEW.session_version := GREATEST(NEW.session_version, OLD.session_version + 1);
    END IF;
    RETURN NEW;
END $$
"""
PG_TRIGGER = ("CREATE TRIGGER users_session_version BEFORE UPDATE ON users FOR EACH ROW "
              "EXECUTE FUNCTION oversight_users_session_version()")
SQLITE_TRIGGER = f"""
CREATE TRIGGER users_session_version AFTER UPDATE OF {', '.join(WATCHED)} ON users FOR EACH ROW
WHEN {' OR '.join(f'NEW.{c} IS NOT OLD.{c}' for c in WATCHED)}
BEGIN
    UPDATE users SET session_version = session_version + 1 WHERE username = NEW.username;
END
"""


def _carry_over_locks(conn) -> None:
    """Until 0003 a lock was derived from the audit log (the MAX_FAILURES-th consecutive wrong password since the
    last sign-in, unlock or reset locked for LOCKOUT_MINUTES): write each user's current count and lock, so that an
    upgrade does not unlock an account under attack."""
    max_failures = int(os.environ.get("OVERSIGHT_LOCKOUT_FAILURES", "5"))
    minutes = float(os.environ.get("OVERSIGHT_LOCKOUT_MINUTES", "15"))
    now = dt.datetime.now().replace(microsecond=0)
    users = sa.table('users', sa.column('username', sa.String), sa.column('failed_logins', sa.Integer),
                     sa.column('locked_until', sa.DateTime))
    audit = sa.table('audit_log', sa.column('id', sa.Integer), sa.column('at', sa.DateTime),
                     sa.column('username', sa.String), sa.column('event', sa.String), sa.column('detail', sa.Text))
    since = now - dt.timedelta(minutes=minutes) - dt.timedelta(days=1)
    rows = conn.execute(sa.select(audit.c.username, audit.c.at, audit.c.event, audit.c.detail)
                        .where(audit.c.at >= since, audit.c.username.is_not(None),
                               audit.c.event.in_(("login", "login_failed", "password_reset", "user_unlock")))
                        .order_by(audit.c.username, audit.c.at.desc(), audit.c.id.desc())).all()
    fails: dict[str, list] = {}
    closed: set[str] = set()
    for username, at, event, detail in rows:
        if username in closed:
            continue
        if event != "login_failed":
            closed.add(username)
        elif '"wrong_password"' in (detail or ""):
            fails.setdefault(username, []).append(at)
    for username, f in fails.items():  # newest first
        count, until = len(f) % max_failures, None
        if len(f) >= max_failures:
            start = f[len(f) % max_failures]
            if start + dt.timedelta(minutes=minutes) > now:
                count, until = max_failures, start + dt.timedelta(minutes=minutes)
        conn.execute(sa.update(users).where(users.c.username == username)
                     .values(failed_logins=count, locked_until=until))


def upgrade() -> None:
    for col in COLUMNS:
        op.add_column('users', col)
    conn = op.get_bind()
    _carry_over_locks(conn)
    if conn.dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    conn = op.get_bind()
    op.execute("DROP TRIGGER IF EXISTS users_session_version" + (" ON users" if conn.dialect.name == "postgresql"
                                                                 else ""))
    if conn.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS oversight_users_session_version()")
    # SQLite (3.35+) drops a plain column in place; batch mode would rebuild the table.
    for col in reversed(COLUMNS):
        op.drop_column('users', col.name)
