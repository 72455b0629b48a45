"""derived columns for province-scale pages (queries.derived): each inspection's previous inspection of the
enterprise (overall, by department) and whether it is the first in its campaign; when a credit rating was
superseded; each risk report's place among its obligation's reports and its item counts; the triggers that keep
them exact; indexes for the per-enterprise recomputation and for the newest recorded time; on PostgreSQL,
room on point_state's pages for in-place (HOT) updates of the latest value of every point

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 19:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

COLUMNS = [
    ('inspections', sa.Column('prev_on', sa.Date(), nullable=True)),
    ('inspections', sa.Column('prev_dept_on', sa.Date(), nullable=True)),
    ('inspections', sa.Column('first_in_campaign', sa.Boolean(), nullable=False, server_default=sa.false())),
    ('credit_ratings', sa.Column('superseded_on', sa.Date(), nullable=True)),
    ('risk_reports', sa.Column('first_for_obligation', sa.Boolean(), nullable=False, server_default=sa.false())),
    ('risk_reports', sa.Column('first_for_required', sa.Boolean(), nullable=False, server_default=sa.false())),
    ('risk_reports', sa.Column('items_total', sa.Integer(), nullable=False, server_default='0')),
    ('risk_reports', sa.Column('items_major_or_above', sa.Integer(), nullable=False, server_default='0')),
    ('risk_reports', sa.Column('items_major', sa.Integer(), nullable=False, server_default='0')),
]
INDEXES = [
    ('ix_inspections_enterprise', 'inspections', ['enterprise_id', 'inspected_on']),
    ('ix_inspections_recorded_at', 'inspections', ['recorded_at']),
    ('ix_credit_ratings_recorded_at', 'credit_ratings', ['recorded_at']),
    ('ix_risk_reports_recorded_at', 'risk_reports', ['recorded_at']),
]


def upgrade() -> None:
    from queries import derived

    # Plain ADD COLUMN (a constant default): no table rewrite on PostgreSQL 11+, no rebuild on SQLite.
    for table, col in COLUMNS:
        op.add_column(table, col)
    for name, table, cols in INDEXES:
        op.create_index(name, table, cols)
    conn = op.get_bind()
    derived.refresh(conn)
    derived.create_triggers(conn)
    if conn.dialect.name == "postgresql":
        # every ingest round rewrites a row per point: with free space on the page the new version stays there
        # (a HOT update: no index entry, pruned without VACUUM) instead of bloating the table and its index
        op.execute("ALTER TABLE point_state SET (fillfactor = 50)")


def downgrade() -> None:
    from queries import derived

    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.execute("ALTER TABLE point_state RESET (fillfactor)")
    derived.drop_triggers(conn)
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    # SQLite (3.35+) drops a plain column in place; batch mode would rebuild the table.
    for table, col in reversed(COLUMNS):
        op.drop_column(table, col.name)
