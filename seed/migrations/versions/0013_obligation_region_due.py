"""the obligations' region indexes in order of the due date (city_adcode, due_on) and (county_adcode, due_on),
replacing (…, year): a region's earliest deadline is its first matching entry — every initial obligation carries
the rule's one deadline, so the due-date index alone walked most of the province before a late city's first row

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 20:35:00
"""
from __future__ import annotations

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_risk_obligations_city', table_name='risk_obligations')
    op.drop_index('ix_risk_obligations_county', table_name='risk_obligations')
    op.create_index('ix_risk_obligations_city_due', 'risk_obligations', ['city_adcode', 'due_on'])
    op.create_index('ix_risk_obligations_county_due', 'risk_obligations', ['county_adcode', 'due_on'])


def downgrade() -> None:
    op.drop_index('ix_risk_obligations_county_due', table_name='risk_obligations')
    op.drop_index('ix_risk_obligations_city_due', table_name='risk_obligations')
    op.create_index('ix_risk_obligations_city', 'risk_obligations', ['city_adcode', 'year'])
    op.create_index('ix_risk_obligations_county', 'risk_obligations', ['county_adcode', 'year'])
