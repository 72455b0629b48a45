"""inspections per campaign in the maintained aggregates (seed.cells ``CAMPAIGN``): campaign_cells, a campaign's
inspections (n) and the enterprises inspected in it for the first time (a) per month, county, sector, industry and
campaign, for the campaigns' progress by a cut-off and their system inspections per region (GROUP BYs over every
campaign inspection otherwise: ~80 + ~55 ms at province scale); the trigger on inspections that keeps them exact
(beside the period cells' own); their cells built from the inspections

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 08:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# Frozen at revision 0018 (generated from seed.cells of that revision; never edit: a later change of the cells or
# their triggers is a new migration).
REBUILD = {'postgresql': ['DELETE FROM campaign_cells',
                'INSERT INTO campaign_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, '
                "campaign_id, n, a, b, amount_fen) SELECT 'campaign_insp' AS fact, CAST(date_trunc('month', "
                'r.inspected_on) AS date) AS month, r.city_adcode, r.county_adcode, r.sector_code, '
                'r.industry_code, r.campaign_id, count(*) AS n, sum(CASE WHEN r.first_in_campaign THEN 1 ELSE 0 '
                'END) AS a, sum(0) AS b, sum(0) AS amount_fen FROM inspections r WHERE r.campaign_id IS NOT NULL '
                "GROUP BY CAST(date_trunc('month', r.inspected_on) AS date), r.city_adcode, r.county_adcode, "
                'r.sector_code, r.industry_code, r.campaign_id'],
 'sqlite': ['DELETE FROM campaign_cells',
            'INSERT INTO campaign_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, '
            "campaign_id, n, a, b, amount_fen) SELECT 'campaign_insp' AS fact, date(r.inspected_on, 'start of "
            "month') AS month, r.city_adcode, r.county_adcode, r.sector_code, r.industry_code, r.campaign_id, "
            'count(*) AS n, sum(CASE WHEN r.first_in_campaign THEN 1 ELSE 0 END) AS a, sum(0) AS b, sum(0) AS '
            "amount_fen FROM inspections r WHERE r.campaign_id IS NOT NULL GROUP BY date(r.inspected_on, 'start of "
            "month'), r.city_adcode, r.county_adcode, r.sector_code, r.industry_code, r.campaign_id"]}
CREATE = {'postgresql': ['CREATE OR REPLACE FUNCTION oversight_cmp_cells_inspections() RETURNS trigger LANGUAGE plpgsql AS '
                '$$\n'
                'BEGIN\n'
                "  IF TG_OP = 'UPDATE' AND NOT (NEW.inspected_on IS DISTINCT FROM OLD.inspected_on OR "
                'NEW.city_adcode IS DISTINCT FROM OLD.city_adcode OR NEW.county_adcode IS DISTINCT FROM '
                'OLD.county_adcode OR NEW.sector_code IS DISTINCT FROM OLD.sector_code OR NEW.industry_code IS '
                'DISTINCT FROM OLD.industry_code OR NEW.campaign_id IS DISTINCT FROM OLD.campaign_id OR '
                'NEW.first_in_campaign IS DISTINCT FROM OLD.first_in_campaign) THEN RETURN NULL; END IF;\n'
                "  IF TG_OP <> 'INSERT' THEN\n"
                '    INSERT INTO campaign_cells (fact, month, city_adcode, county_adcode, sector_code, '
                "industry_code, campaign_id, n, a, b, amount_fen) SELECT 'campaign_insp', CAST(date_trunc('month', "
                'OLD.inspected_on) AS date), OLD.city_adcode, OLD.county_adcode, OLD.sector_code, '
                'OLD.industry_code, OLD.campaign_id, -1, -CASE WHEN OLD.first_in_campaign THEN 1 ELSE 0 END, -0, '
                '-0 WHERE OLD.campaign_id IS NOT NULL ON CONFLICT (fact, month, city_adcode, county_adcode, '
                'sector_code, industry_code, campaign_id) DO UPDATE SET n = campaign_cells.n + excluded.n, a = '
                'campaign_cells.a + excluded.a, b = campaign_cells.b + excluded.b, amount_fen = '
                'campaign_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                "  IF TG_OP <> 'DELETE' THEN\n"
                '    INSERT INTO campaign_cells (fact, month, city_adcode, county_adcode, sector_code, '
                "industry_code, campaign_id, n, a, b, amount_fen) SELECT 'campaign_insp', CAST(date_trunc('month', "
                'NEW.inspected_on) AS date), NEW.city_adcode, NEW.county_adcode, NEW.sector_code, '
                'NEW.industry_code, NEW.campaign_id, 1, CASE WHEN NEW.first_in_campaign THEN 1 ELSE 0 END, 0, 0 '
                'WHERE NEW.campaign_id IS NOT NULL ON CONFLICT (fact, month, city_adcode, county_adcode, '
                'sector_code, industry_code, campaign_id) DO UPDATE SET n = campaign_cells.n + excluded.n, a = '
                'campaign_cells.a + excluded.a, b = campaign_cells.b + excluded.b, amount_fen = '
                'campaign_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER trg_cmp_cells_inspections AFTER INSERT OR DELETE OR UPDATE OF inspected_on, '
                'city_adcode, county_adcode, sector_code, industry_code, campaign_id, first_in_campaign ON '
                'inspections FOR EACH ROW EXECUTE FUNCTION oversight_cmp_cells_inspections()'],
 'sqlite': ['CREATE TRIGGER trg_cmp_cells_inspections_ins AFTER INSERT ON inspections BEGIN INSERT INTO '
            'campaign_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, campaign_id, n, '
            "a, b, amount_fen) SELECT 'campaign_insp', date(NEW.inspected_on, 'start of month'), NEW.city_adcode, "
            'NEW.county_adcode, NEW.sector_code, NEW.industry_code, NEW.campaign_id, 1, CASE WHEN '
            'NEW.first_in_campaign THEN 1 ELSE 0 END, 0, 0 WHERE NEW.campaign_id IS NOT NULL ON CONFLICT (fact, '
            'month, city_adcode, county_adcode, sector_code, industry_code, campaign_id) DO UPDATE SET n = '
            'campaign_cells.n + excluded.n, a = campaign_cells.a + excluded.a, b = campaign_cells.b + excluded.b, '
            'amount_fen = campaign_cells.amount_fen + excluded.amount_fen; END',
            'CREATE TRIGGER trg_cmp_cells_inspections_del AFTER DELETE ON inspections BEGIN INSERT INTO '
            'campaign_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, campaign_id, n, '
            "a, b, amount_fen) SELECT 'campaign_insp', date(OLD.inspected_on, 'start of month'), OLD.city_adcode, "
            'OLD.county_adcode, OLD.sector_code, OLD.industry_code, OLD.campaign_id, -1, -CASE WHEN '
            'OLD.first_in_campaign THEN 1 ELSE 0 END, -0, -0 WHERE OLD.campaign_id IS NOT NULL ON CONFLICT (fact, '
            'month, city_adcode, county_adcode, sector_code, industry_code, campaign_id) DO UPDATE SET n = '
            'campaign_cells.n + excluded.n, a = campaign_cells.a + excluded.a, b = campaign_cells.b + excluded.b, '
            'amount_fen = campaign_cells.amount_fen + excluded.amount_fen; END',
            'CREATE TRIGGER trg_cmp_cells_inspections_upd AFTER UPDATE OF inspected_on, city_adcode, '
            'county_adcode, sector_code, industry_code, campaign_id, first_in_campaign ON inspections BEGIN INSERT '
            'INTO campaign_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, '
            "campaign_id, n, a, b, amount_fen) SELECT 'campaign_insp', date(OLD.inspected_on, 'start of month'), "
            'OLD.city_adcode, OLD.county_adcode, OLD.sector_code, OLD.industry_code, OLD.campaign_id, -1, -CASE '
            'WHEN OLD.first_in_campaign THEN 1 ELSE 0 END, -0, -0 WHERE OLD.campaign_id IS NOT NULL ON CONFLICT '
            '(fact, month, city_adcode, county_adcode, sector_code, industry_code, campaign_id) DO UPDATE SET n = '
            'campaign_cells.n + excluded.n, a = campaign_cells.a + excluded.a, b = campaign_cells.b + excluded.b, '
            'amount_fen = campaign_cells.amount_fen + excluded.amount_fen; INSERT INTO campaign_cells (fact, '
            'month, city_adcode, county_adcode, sector_code, industry_code, campaign_id, n, a, b, amount_fen) '
            "SELECT 'campaign_insp', date(NEW.inspected_on, 'start of month'), NEW.city_adcode, NEW.county_adcode, "
            'NEW.sector_code, NEW.industry_code, NEW.campaign_id, 1, CASE WHEN NEW.first_in_campaign THEN 1 ELSE 0 '
            'END, 0, 0 WHERE NEW.campaign_id IS NOT NULL ON CONFLICT (fact, month, city_adcode, county_adcode, '
            'sector_code, industry_code, campaign_id) DO UPDATE SET n = campaign_cells.n + excluded.n, a = '
            'campaign_cells.a + excluded.a, b = campaign_cells.b + excluded.b, amount_fen = '
            'campaign_cells.amount_fen + excluded.amount_fen; END']}
DROP = {'postgresql': ['DROP TRIGGER IF EXISTS trg_cmp_cells_inspections ON inspections',
                'DROP FUNCTION IF EXISTS oversight_cmp_cells_inspections()'],
 'sqlite': ['DROP TRIGGER IF EXISTS trg_cmp_cells_inspections_ins',
            'DROP TRIGGER IF EXISTS trg_cmp_cells_inspections_del',
            'DROP TRIGGER IF EXISTS trg_cmp_cells_inspections_upd']}


def upgrade() -> None:
    op.create_table(
        'campaign_cells',
        sa.Column('fact', sa.String(16), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('city_adcode', sa.Integer(), nullable=False),
        sa.Column('county_adcode', sa.Integer(), nullable=False),
        sa.Column('sector_code', sa.String(16), nullable=False),
        sa.Column('industry_code', sa.String(8), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('a', sa.Integer(), nullable=False),
        sa.Column('b', sa.Integer(), nullable=False),
        sa.Column('amount_fen', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('fact', 'month', 'city_adcode', 'county_adcode', 'sector_code', 'industry_code',
                                'campaign_id'),
    )
    op.create_index('ix_campaign_cells_city', 'campaign_cells', ['fact', 'city_adcode', 'month'])
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":  # no inspection may slip in between the rebuild's snapshot and the trigger
        conn.exec_driver_sql("LOCK TABLE inspections IN SHARE ROW EXCLUSIVE MODE")
    for stmt in REBUILD[conn.dialect.name] + CREATE[conn.dialect.name]:
        conn.exec_driver_sql(stmt)
    if conn.dialect.name == "postgresql":  # statistics for the planner (a new table has none: it would guess 4 rows)
        conn.exec_driver_sql("ANALYZE campaign_cells")


def downgrade() -> None:
    conn = op.get_bind()
    for stmt in DROP[conn.dialect.name]:
        conn.exec_driver_sql(stmt)
    op.drop_index('ix_campaign_cells_city', table_name='campaign_cells')
    op.drop_table('campaign_cells')
