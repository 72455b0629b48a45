"""handling of warnings by people: every step in warning_steps (who, when, result, note); on warnings a version
for the optimistic check of a step, when it was handled (处置), the verification result, the close reason, the
first 督办 and when a person first touched it (the feed's simulator leaves such warnings alone);
handling_deadlines (处置时限 by level, the product's defaults); the role officer (监管人员) in users' role check

Downgrade: an officer account cannot exist under the older role check: it is kept, disabled, as a city account
(no access is widened; an administrator decides what becomes of it).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 16:00:00
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Frozen at revision 0005 (never edit: a later change is a new migration).
def _warning_columns() -> list[sa.Column]:
    return [
        sa.Column('version', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('handled_at', sa.DateTime(), nullable=True),
        sa.Column('verify_result', sa.String(length=16), nullable=True),
        sa.Column('close_reason', sa.Text(), nullable=True),
        sa.Column('escalated_at', sa.DateTime(), nullable=True),
        sa.Column('touched_at', sa.DateTime(), nullable=True),
    ]
# level: (ack, verify, close) minutes from raising — 重大 15 min / 1 h / 24 h, 较大 30 min / 2 h / 48 h,
# 一般 1 h / 4 h / 72 h, 低 2 h / 8 h / 7 days
DEFAULT_DEADLINES = {1: (15, 60, 1440), 2: (30, 120, 2880), 3: (60, 240, 4320), 4: (120, 480, 10080)}
ROLES_BEFORE = "role in ('leader','city','duty','writer','admin')"
ROLES_AFTER = "role in ('leader','city','officer','duty','writer','admin')"

# the users table as of 0004 (for SQLite's table rebuild: a CHECK constraint cannot be altered in place)
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _users(check: str) -> sa.Table:
    return sa.Table(
        'users', sa.MetaData(naming_convention=NAMING),
        sa.Column('username', sa.String(32), primary_key=True),
        sa.Column('display_name', sa.String(64), nullable=False),
        sa.Column('password_hash', sa.String(100), nullable=False),
        sa.Column('role', sa.String(10), nullable=False),
        sa.Column('region_adcode', sa.Integer(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('demo', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'),
        sa.CheckConstraint(check, name='role'),
    )


# 0004's trigger on users (SQLite drops it with the rebuilt table: it is created again, unchanged)
WATCHED = ('password_hash', 'role', 'region_adcode', 'active')
SQLITE_TRIGGER = f"""
CREATE TRIGGER users_session_version AFTER UPDATE OF {', '.join(WATCHED)} ON users FOR EACH ROW
WHEN {' OR '.join(f'NEW.{c} IS NOT OLD.{c}' for c in WATCHED)}
BEGIN
    UPDATE users SET session_version = session_version + 1 WHERE username = NEW.username;
END
"""


def _role_check(conn, check: str) -> None:
    if conn.dialect.name == "postgresql":
        op.execute("ALTER TABLE users DROP CONSTRAINT IF EXISTS ck_users_role")
        op.execute(f"ALTER TABLE users ADD CONSTRAINT ck_users_role CHECK ({check})")
        return
    op.execute("DROP TRIGGER IF EXISTS users_session_version")
    with op.batch_alter_table('users', recreate='always', copy_from=_users(check)):
        pass
    op.execute(SQLITE_TRIGGER)


def upgrade() -> None:
    conn = op.get_bind()
    for col in _warning_columns():  # plain ADD COLUMN: no table rebuild on SQLite, instant on PostgreSQL
        op.add_column('warnings', col)
    op.create_table(
        'warning_steps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('warning_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=10), nullable=False),
        sa.Column('result', sa.String(length=16), nullable=True),
        sa.Column('note', sa.Text(), nullable=False, server_default=''),
        sa.Column('actor', sa.String(length=32), nullable=False),
        sa.Column('actor_role', sa.String(length=10), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("step in ('ack','verify','handle','close','escalate')", name=op.f('ck_warning_steps_step')),
        sa.CheckConstraint("result is null or result in ('confirmed','false_alarm','device_fault')",
                           name=op.f('ck_warning_steps_result')),
        sa.CheckConstraint("length(note) <= 2000", name=op.f('ck_warning_steps_note')),
        sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'], name=op.f('fk_warning_steps_warning_id_warnings')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_steps')),
        sa.UniqueConstraint('warning_id', 'version', name='uq_warning_steps_warning_version'),
    )
    op.create_index('ix_warning_steps_warning', 'warning_steps', ['warning_id', 'at'])
    deadlines = op.create_table(
        'handling_deadlines',
        sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('ack_minutes', sa.Integer(), nullable=False),
        sa.Column('verify_minutes', sa.Integer(), nullable=False),
        sa.Column('close_minutes', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('updated_by', sa.String(length=32), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('level between 1 and 4', name=op.f('ck_handling_deadlines_level')),
        sa.CheckConstraint('ack_minutes > 0 and ack_minutes <= verify_minutes and verify_minutes <= close_minutes',
                           name=op.f('ck_handling_deadlines_order')),
        sa.PrimaryKeyConstraint('level', name=op.f('pk_handling_deadlines')),
    )
    now = dt.datetime.now().replace(microsecond=0)
    op.bulk_insert(deadlines, [dict(level=lv, ack_minutes=a, verify_minutes=v, close_minutes=c, version=0,
                                    updated_by=None, updated_at=now)
                               for lv, (a, v, c) in DEFAULT_DEADLINES.items()])
    _role_check(conn, ROLES_AFTER)


def downgrade() -> None:
    conn = op.get_bind()
    users = sa.table('users', sa.column('role', sa.String), sa.column('active', sa.Boolean))
    conn.execute(sa.update(users).where(users.c.role == 'officer').values(role='city', active=False))
    _role_check(conn, ROLES_BEFORE)
    op.drop_table('handling_deadlines')
    op.drop_index('ix_warning_steps_warning', table_name='warning_steps')
    op.drop_table('warning_steps')
    # SQLite (3.35+) drops a plain column in place; batch mode would rebuild the table.
    for col in reversed(_warning_columns()):
        op.drop_column('warnings', col.name)
