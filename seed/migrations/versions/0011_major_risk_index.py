"""a partial covering index of the 较大以上 risk items (level 1-2) for the risks by catalogue entry: a quarter of the
items read from the index alone instead of every wide item row

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_risk_items_major', 'risk_items', ['report_id', 'level', 'catalogue_code', 'name'],
                    postgresql_where=sa.text('level <= 2'), sqlite_where=sa.text('level <= 2'))


def downgrade() -> None:
    op.drop_index('ix_risk_items_major', table_name='risk_items')
