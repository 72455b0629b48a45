"""a partial index of the reports on the key-control list (重点管控清单), whose rates and entries every page run
reads live: a few per cent of the reports instead of all of them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 20:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_risk_reports_key_control', 'risk_reports', ['submitted_at'],
                    postgresql_where=sa.text('key_control IS true'), sqlite_where=sa.text('key_control IS 1'))


def downgrade() -> None:
    op.drop_index('ix_risk_reports_key_control', table_name='risk_reports')
