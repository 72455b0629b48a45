"""hidden hazards per enterprise in the maintained aggregates (seed.cells ``ENTERPRISE``): enterprise_cells, the
hazards found (n), major (a) and rectified (b) per month, county, sector, industry and enterprise, for the enterprises
with the most hazards in a period (a GROUP BY over every hazard of the period otherwise: ~470 ms at province scale);
the trigger on hidden_hazards that keeps them exact (beside the period cells' own); their cells built from the hazards

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 07:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# Frozen at revision 0017 (generated from seed.cells of that revision; never edit: a later change of the cells or
# their triggers is a new migration).
REBUILD = {'postgresql': ['DELETE FROM enterprise_cells',
                'INSERT INTO enterprise_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, '
                "enterprise_id, n, a, b, amount_fen) SELECT 'hazards' AS fact, CAST(date_trunc('month', r.found_on) "
                'AS date) AS month, r.city_adcode, r.county_adcode, r.sector_code, r.industry_code, r.enterprise_id, '
                'count(*) AS n, sum(CASE WHEN r.major THEN 1 ELSE 0 END) AS a, sum(CASE WHEN r.rectified_on IS NOT '
                'NULL THEN 1 ELSE 0 END) AS b, sum(0) AS amount_fen FROM hidden_hazards r GROUP BY '
                "CAST(date_trunc('month', r.found_on) AS date), r.city_adcode, r.county_adcode, r.sector_code, "
                'r.industry_code, r.enterprise_id'],
 'sqlite': ['DELETE FROM enterprise_cells',
            'INSERT INTO enterprise_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, '
            "enterprise_id, n, a, b, amount_fen) SELECT 'hazards' AS fact, date(r.found_on, 'start of month') AS "
            'month, r.city_adcode, r.county_adcode, r.sector_code, r.industry_code, r.enterprise_id, count(*) AS n, '
            'sum(CASE WHEN r.major THEN 1 ELSE 0 END) AS a, sum(CASE WHEN r.rectified_on IS NOT NULL THEN 1 ELSE 0 '
            "END) AS b, sum(0) AS amount_fen FROM hidden_hazards r GROUP BY date(r.found_on, 'start of month'), "
            'r.city_adcode, r.county_adcode, r.sector_code, r.industry_code, r.enterprise_id']}
CREATE = {'postgresql': ['CREATE OR REPLACE FUNCTION oversight_ent_cells_hidden_hazards() RETURNS trigger LANGUAGE plpgsql AS '
                '$$\n'
                'BEGIN\n'
                "  IF TG_OP = 'UPDATE' AND NOT (NEW.found_on IS DISTINCT FROM OLD.found_on OR NEW.city_adcode IS "
                'DISTINCT FROM OLD.city_adcode OR NEW.county_adcode IS DISTINCT FROM OLD.county_adcode OR '
                'NEW.sector_code IS DISTINCT FROM OLD.sector_code OR NEW.industry_code IS DISTINCT FROM '
                'OLD.industry_code OR NEW.enterprise_id IS DISTINCT FROM OLD.enterprise_id OR NEW.major IS DISTINCT '
                'FROM OLD.major OR NEW.rectified_on IS DISTINCT FROM OLD.rectified_on) THEN RETURN NULL; END IF;\n'
                "  IF TG_OP <> 'INSERT' THEN\n"
                '    INSERT INTO enterprise_cells (fact, month, city_adcode, county_adcode, sector_code, '
                "industry_code, enterprise_id, n, a, b, amount_fen) SELECT 'hazards', CAST(date_trunc('month', "
                'OLD.found_on) AS date), OLD.city_adcode, OLD.county_adcode, OLD.sector_code, OLD.industry_code, '
                'OLD.enterprise_id, -1, -CASE WHEN OLD.major THEN 1 ELSE 0 END, -CASE WHEN OLD.rectified_on IS NOT '
                'NULL THEN 1 ELSE 0 END, -0 WHERE 1 = 1 ON CONFLICT (fact, month, city_adcode, county_adcode, '
                'sector_code, industry_code, enterprise_id) DO UPDATE SET n = enterprise_cells.n + excluded.n, a = '
                'enterprise_cells.a + excluded.a, b = enterprise_cells.b + excluded.b, amount_fen = '
                'enterprise_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                "  IF TG_OP <> 'DELETE' THEN\n"
                '    INSERT INTO enterprise_cells (fact, month, city_adcode, county_adcode, sector_code, '
                "industry_code, enterprise_id, n, a, b, amount_fen) SELECT 'hazards', CAST(date_trunc('month', "
                'NEW.found_on) AS date), NEW.city_adcode, NEW.county_adcode, NEW.sector_code, NEW.industry_code, '
                'NEW.enterprise_id, 1, CASE WHEN NEW.major THEN 1 ELSE 0 END, CASE WHEN NEW.rectified_on IS NOT NULL '
                'THEN 1 ELSE 0 END, 0 WHERE 1 = 1 ON CONFLICT (fact, month, city_adcode, county_adcode, sector_code, '
                'industry_code, enterprise_id) DO UPDATE SET n = enterprise_cells.n + excluded.n, a = '
                'enterprise_cells.a + excluded.a, b = enterprise_cells.b + excluded.b, amount_fen = '
                'enterprise_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER trg_ent_cells_hidden_hazards AFTER INSERT OR DELETE OR UPDATE OF found_on, '
                'city_adcode, county_adcode, sector_code, industry_code, enterprise_id, major, rectified_on ON '
                'hidden_hazards FOR EACH ROW EXECUTE FUNCTION oversight_ent_cells_hidden_hazards()'],
 'sqlite': ['CREATE TRIGGER trg_ent_cells_hidden_hazards_ins AFTER INSERT ON hidden_hazards BEGIN INSERT INTO '
            'enterprise_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, enterprise_id, '
            "n, a, b, amount_fen) SELECT 'hazards', date(NEW.found_on, 'start of month'), NEW.city_adcode, "
            'NEW.county_adcode, NEW.sector_code, NEW.industry_code, NEW.enterprise_id, 1, CASE WHEN NEW.major THEN 1 '
            'ELSE 0 END, CASE WHEN NEW.rectified_on IS NOT NULL THEN 1 ELSE 0 END, 0 WHERE 1 = 1 ON CONFLICT (fact, '
            'month, city_adcode, county_adcode, sector_code, industry_code, enterprise_id) DO UPDATE SET n = '
            'enterprise_cells.n + excluded.n, a = enterprise_cells.a + excluded.a, b = enterprise_cells.b + '
            'excluded.b, amount_fen = enterprise_cells.amount_fen + excluded.amount_fen; END',
            'CREATE TRIGGER trg_ent_cells_hidden_hazards_del AFTER DELETE ON hidden_hazards BEGIN INSERT INTO '
            'enterprise_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, enterprise_id, '
            "n, a, b, amount_fen) SELECT 'hazards', date(OLD.found_on, 'start of month'), OLD.city_adcode, "
            'OLD.county_adcode, OLD.sector_code, OLD.industry_code, OLD.enterprise_id, -1, -CASE WHEN OLD.major THEN '
            '1 ELSE 0 END, -CASE WHEN OLD.rectified_on IS NOT NULL THEN 1 ELSE 0 END, -0 WHERE 1 = 1 ON CONFLICT '
            '(fact, month, city_adcode, county_adcode, sector_code, industry_code, enterprise_id) DO UPDATE SET n = '
            'enterprise_cells.n + excluded.n, a = enterprise_cells.a + excluded.a, b = enterprise_cells.b + '
            'excluded.b, amount_fen = enterprise_cells.amount_fen + excluded.amount_fen; END',
            'CREATE TRIGGER trg_ent_cells_hidden_hazards_upd AFTER UPDATE OF found_on, city_adcode, county_adcode, '
            'sector_code, industry_code, enterprise_id, major, rectified_on ON hidden_hazards BEGIN INSERT INTO '
            'enterprise_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, enterprise_id, '
            "n, a, b, amount_fen) SELECT 'hazards', date(OLD.found_on, 'start of month'), OLD.city_adcode, "
            'OLD.county_adcode, OLD.sector_code, OLD.industry_code, OLD.enterprise_id, -1, -CASE WHEN OLD.major THEN '
            '1 ELSE 0 END, -CASE WHEN OLD.rectified_on IS NOT NULL THEN 1 ELSE 0 END, -0 WHERE 1 = 1 ON CONFLICT '
            '(fact, month, city_adcode, county_adcode, sector_code, industry_code, enterprise_id) DO UPDATE SET n = '
            'enterprise_cells.n + excluded.n, a = enterprise_cells.a + excluded.a, b = enterprise_cells.b + '
            'excluded.b, amount_fen = enterprise_cells.amount_fen + excluded.amount_fen; INSERT INTO '
            'enterprise_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, enterprise_id, '
            "n, a, b, amount_fen) SELECT 'hazards', date(NEW.found_on, 'start of month'), NEW.city_adcode, "
            'NEW.county_adcode, NEW.sector_code, NEW.industry_code, NEW.enterprise_id, 1, CASE WHEN NEW.major THEN 1 '
            'ELSE 0 END, CASE WHEN NEW.rectified_on IS NOT NULL THEN 1 ELSE 0 END, 0 WHERE 1 = 1 ON CONFLICT (fact, '
            'month, city_adcode, county_adcode, sector_code, industry_code, enterprise_id) DO UPDATE SET n = '
            'enterprise_cells.n + excluded.n, a = enterprise_cells.a + excluded.a, b = enterprise_cells.b + '
            'excluded.b, amount_fen = enterprise_cells.amount_fen + excluded.amount_fen; END']}
DROP = {'postgresql': ['DROP TRIGGER IF EXISTS trg_ent_cells_hidden_hazards ON hidden_hazards',
                'DROP FUNCTION IF EXISTS oversight_ent_cells_hidden_hazards()'],
 'sqlite': ['DROP TRIGGER IF EXISTS trg_ent_cells_hidden_hazards_ins',
            'DROP TRIGGER IF EXISTS trg_ent_cells_hidden_hazards_del',
            'DROP TRIGGER IF EXISTS trg_ent_cells_hidden_hazards_upd']}


def upgrade() -> None:
    op.create_table(
        'enterprise_cells',
        sa.Column('fact', sa.String(16), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('city_adcode', sa.Integer(), nullable=False),
        sa.Column('county_adcode', sa.Integer(), nullable=False),
        sa.Column('sector_code', sa.String(16), nullable=False),
        sa.Column('industry_code', sa.String(8), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('a', sa.Integer(), nullable=False),
        sa.Column('b', sa.Integer(), nullable=False),
        sa.Column('amount_fen', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('fact', 'month', 'city_adcode', 'county_adcode', 'sector_code', 'industry_code',
                                'enterprise_id'),
    )
    op.create_index('ix_enterprise_cells_city', 'enterprise_cells', ['fact', 'city_adcode', 'month'])
    op.create_index('ix_enterprise_cells_county', 'enterprise_cells', ['fact', 'county_adcode', 'month'])
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":  # no hazard may slip in between the rebuild's snapshot and the trigger
        conn.exec_driver_sql("LOCK TABLE hidden_hazards IN SHARE ROW EXCLUSIVE MODE")
    for stmt in REBUILD[conn.dialect.name] + CREATE[conn.dialect.name]:
        conn.exec_driver_sql(stmt)
    if conn.dialect.name == "postgresql":  # statistics for the planner (a new table has none: it would guess 4 rows)
        conn.exec_driver_sql("ANALYZE enterprise_cells")


def downgrade() -> None:
    conn = op.get_bind()
    for stmt in DROP[conn.dialect.name]:
        conn.exec_driver_sql(stmt)
    op.drop_index('ix_enterprise_cells_county', table_name='enterprise_cells')
    op.drop_index('ix_enterprise_cells_city', table_name='enterprise_cells')
    op.drop_table('enterprise_cells')
