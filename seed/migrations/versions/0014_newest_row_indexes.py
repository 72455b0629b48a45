"""indexes for the as-of figures' newest-row lookups: whether the maintained columns and cells may serve a figure
"as of" a time asks for the newest recorded_at of its fact table (and the newest rectification or verification the
cells count); on hidden_hazards, cases, suspension_orders, risk_obligations and risk_reports.verified_on these read
the whole table (~60 ms each for the hazards on the demo data, several per figure): an index's last entry instead

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 04:40:00
"""
from __future__ import annotations

from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

INDEXES = [
    ('ix_hidden_hazards_recorded_at', 'hidden_hazards', 'recorded_at'),
    ('ix_hidden_hazards_rectified_on', 'hidden_hazards', 'rectified_on'),
    ('ix_cases_recorded_at', 'cases', 'recorded_at'),
    ('ix_suspension_orders_recorded_at', 'suspension_orders', 'recorded_at'),
    ('ix_risk_obligations_recorded_at', 'risk_obligations', 'recorded_at'),
    ('ix_risk_reports_verified_on', 'risk_reports', 'verified_on'),
]


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
