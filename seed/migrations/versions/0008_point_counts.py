"""point_counts: the monitoring points' states counted by county, sector and industry at a moment (hourly by the
feed or the gateway), so that 报警监测点, 离线监测点 and 在线率 can be compared with 24 hours and 7 days earlier

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 07:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'point_counts',
        sa.Column('taken_at', sa.DateTime(), nullable=False),
        sa.Column('county_adcode', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('sector_code', sa.String(length=16), nullable=False),
        sa.Column('industry_code', sa.String(length=8), nullable=False),
        sa.Column('city_adcode', sa.Integer(), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('alarm', sa.Integer(), nullable=False),
        sa.Column('offline', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('taken_at', 'county_adcode', 'sector_code', 'industry_code',
                                name=op.f('pk_point_counts')),
    )


def downgrade() -> None:
    op.drop_table('point_counts')
