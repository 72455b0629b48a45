"""spreadsheet intake: import batches, provenance columns, natural keys, campaign monthly statistics;
drop the users' unused lockout columns (lockout is derived from the audit log)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 14:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# tables whose rows can come from an imported file (see seed.schema._provenance)
PROVENANCE = ["grids", "inspections", "hidden_hazards", "cases", "suspension_orders", "risk_obligations",
              "risk_reports", "credit_ratings"]


def upgrade() -> None:
    op.create_table(
        'import_batches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('file_sha256', sa.String(length=64), nullable=False),
        sa.Column('importer', sa.String(length=64), nullable=False),
        sa.Column('imported_at', sa.DateTime(), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('inserted', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('unchanged', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches')),
    )
    op.create_index('ix_import_batches_at', 'import_batches', ['imported_at'])

    op.create_table(
        'campaign_stats',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('city_adcode', sa.Integer(), nullable=False),
        sa.Column('county_adcode', sa.Integer(), nullable=False),
        sa.Column('enterprises_checked', sa.Integer(), nullable=False),
        sa.Column('inspections', sa.Integer(), nullable=False),
        sa.Column('hidden_hazards', sa.Integer(), nullable=False),
        sa.Column('major_hazards', sa.Integer(), nullable=False),
        sa.Column('rectified', sa.Integer(), nullable=False),
        sa.Column('suspensions', sa.Integer(), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.Column('fines_yuan', sa.Numeric(14, 2), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=True),
        sa.Column('import_row', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_campaign_stats_campaign_id_campaigns')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_stats')),
        sa.UniqueConstraint('campaign_id', 'county_adcode', 'month', name='uq_campaign_stats_natural'),
    )
    op.create_index('ix_campaign_stats_city_month', 'campaign_stats', ['city_adcode', 'month'])

    # Plain ADD COLUMN (nullable, no constraint): instant on PostgreSQL, no table rebuild on SQLite.
    for t in PROVENANCE:
        op.add_column(t, sa.Column('import_id', sa.Integer(), nullable=True))
        op.add_column(t, sa.Column('import_row', sa.Integer(), nullable=True))
    op.add_column('inspections', sa.Column('record_no', sa.String(length=40), nullable=True))
    op.create_index('uq_inspections_record_no', 'inspections', ['record_no'], unique=True)
    op.add_column('risk_reports', sa.Column('report_no', sa.String(length=40), nullable=True))
    op.create_index('uq_risk_reports_report_no', 'risk_reports', ['report_no'], unique=True)

    with op.batch_alter_table('users') as b:
        b.drop_column('locked_until')
        b.drop_column('failed_attempts')


def downgrade() -> None:
    with op.batch_alter_table('users') as b:
        b.add_column(sa.Column('failed_attempts', sa.Integer(), nullable=False, server_default='0'))
        b.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
    op.drop_index('uq_risk_reports_report_no', table_name='risk_reports')
    op.drop_index('uq_inspections_record_no', table_name='inspections')
    # SQLite (3.35+) drops a plain column in place; batch mode would rebuild the table.
    op.drop_column('risk_reports', 'report_no')
    op.drop_column('inspections', 'record_no')
    for t in reversed(PROVENANCE):
        op.drop_column(t, 'import_row')
        op.drop_column(t, 'import_id')
    op.drop_index('ix_campaign_stats_city_month', table_name='campaign_stats')
    op.drop_table('campaign_stats')
    op.drop_index('ix_import_batches_at', table_name='import_batches')
    op.drop_table('import_batches')
