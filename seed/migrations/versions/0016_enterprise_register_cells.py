"""the enterprises' register in the maintained aggregates (seed.cells): every enterprise (n), key enterprises (a),
above-scale ones (b) and those placed in a grid (amount) per county, sector and industry, in one month (a register:
summed over every month), for the platform's and the grids' coverage figures (1 M enterprise rows counted twice on
every cold overview otherwise); the trigger on enterprises that keeps them exact; their cells built from the
enterprises; an index on enterprises.recorded_at for the as-of check

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 07:00:00
"""
from __future__ import annotations

from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# Frozen at revision 0016 (generated from seed.cells of that revision; never edit: a later change of the cells or
# their triggers is a new migration).
REBUILD = {'postgresql': ["DELETE FROM period_cells WHERE fact = 'enterprises'",
                'INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, '
                "a, b, amount_fen) SELECT 'enterprises' AS fact, DATE '1900-01-01' AS month, r.city_adcode, "
                'r.county_adcode, r.sector_code, r.industry_code, count(*) AS n, sum(CASE WHEN r.is_key THEN 1 ELSE '
                '0 END) AS a, sum(CASE WHEN r.above_scale THEN 1 ELSE 0 END) AS b, sum(CASE WHEN r.grid_id IS NOT '
                "NULL THEN 1 ELSE 0 END) AS amount_fen FROM enterprises r GROUP BY DATE '1900-01-01', r.city_adcode, "
                'r.county_adcode, r.sector_code, r.industry_code'],
 'sqlite': ["DELETE FROM period_cells WHERE fact = 'enterprises'",
            'INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, '
            "amount_fen) SELECT 'enterprises' AS fact, '1900-01-01' AS month, r.city_adcode, r.county_adcode, "
            'r.sector_code, r.industry_code, count(*) AS n, sum(CASE WHEN r.is_key THEN 1 ELSE 0 END) AS a, sum(CASE '
            'WHEN r.above_scale THEN 1 ELSE 0 END) AS b, sum(CASE WHEN r.grid_id IS NOT NULL THEN 1 ELSE 0 END) AS '
            "amount_fen FROM enterprises r GROUP BY '1900-01-01', r.city_adcode, r.county_adcode, r.sector_code, "
            'r.industry_code']}
CREATE = {'postgresql': ['CREATE OR REPLACE FUNCTION oversight_cells_enterprises() RETURNS trigger LANGUAGE plpgsql AS $$\n'
                'BEGIN\n'
                "  IF TG_OP = 'UPDATE' AND NOT (NEW.city_adcode IS DISTINCT FROM OLD.city_adcode OR "
                'NEW.county_adcode IS DISTINCT FROM OLD.county_adcode OR NEW.sector_code IS DISTINCT FROM '
                'OLD.sector_code OR NEW.industry_code IS DISTINCT FROM OLD.industry_code OR NEW.is_key IS DISTINCT '
                'FROM OLD.is_key OR NEW.above_scale IS DISTINCT FROM OLD.above_scale OR NEW.grid_id IS DISTINCT FROM '
                'OLD.grid_id) THEN RETURN NULL; END IF;\n'
                "  IF TG_OP <> 'INSERT' THEN\n"
                '    INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, '
                "n, a, b, amount_fen) SELECT 'enterprises', DATE '1900-01-01', OLD.city_adcode, OLD.county_adcode, "
                'OLD.sector_code, OLD.industry_code, -1, -CASE WHEN OLD.is_key THEN 1 ELSE 0 END, -CASE WHEN '
                'OLD.above_scale THEN 1 ELSE 0 END, -CASE WHEN OLD.grid_id IS NOT NULL THEN 1 ELSE 0 END WHERE 1 = 1 '
                'ON CONFLICT (fact, month, city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = '
                'period_cells.n + excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, '
                'amount_fen = period_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                "  IF TG_OP <> 'DELETE' THEN\n"
                '    INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, '
                "n, a, b, amount_fen) SELECT 'enterprises', DATE '1900-01-01', NEW.city_adcode, NEW.county_adcode, "
                'NEW.sector_code, NEW.industry_code, 1, CASE WHEN NEW.is_key THEN 1 ELSE 0 END, CASE WHEN '
                'NEW.above_scale THEN 1 ELSE 0 END, CASE WHEN NEW.grid_id IS NOT NULL THEN 1 ELSE 0 END WHERE 1 = 1 '
                'ON CONFLICT (fact, month, city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = '
                'period_cells.n + excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, '
                'amount_fen = period_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER trg_cells_enterprises AFTER INSERT OR DELETE OR UPDATE OF city_adcode, '
                'county_adcode, sector_code, industry_code, is_key, above_scale, grid_id ON enterprises FOR EACH ROW '
                'EXECUTE FUNCTION oversight_cells_enterprises()'],
 'sqlite': ['CREATE TRIGGER trg_cells_enterprises_ins AFTER INSERT ON enterprises BEGIN INSERT INTO period_cells '
            '(fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT '
            "'enterprises', '1900-01-01', NEW.city_adcode, NEW.county_adcode, NEW.sector_code, NEW.industry_code, 1, "
            'CASE WHEN NEW.is_key THEN 1 ELSE 0 END, CASE WHEN NEW.above_scale THEN 1 ELSE 0 END, CASE WHEN '
            'NEW.grid_id IS NOT NULL THEN 1 ELSE 0 END WHERE 1 = 1 ON CONFLICT (fact, month, city_adcode, '
            'county_adcode, sector_code, industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = '
            'period_cells.a + excluded.a, b = period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + '
            'excluded.amount_fen; END',
            'CREATE TRIGGER trg_cells_enterprises_del AFTER DELETE ON enterprises BEGIN INSERT INTO period_cells '
            '(fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT '
            "'enterprises', '1900-01-01', OLD.city_adcode, OLD.county_adcode, OLD.sector_code, OLD.industry_code, "
            '-1, -CASE WHEN OLD.is_key THEN 1 ELSE 0 END, -CASE WHEN OLD.above_scale THEN 1 ELSE 0 END, -CASE WHEN '
            'OLD.grid_id IS NOT NULL THEN 1 ELSE 0 END WHERE 1 = 1 ON CONFLICT (fact, month, city_adcode, '
            'county_adcode, sector_code, industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = '
            'period_cells.a + excluded.a, b = period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + '
            'excluded.amount_fen; END',
            'CREATE TRIGGER trg_cells_enterprises_upd AFTER UPDATE OF city_adcode, county_adcode, sector_code, '
            'industry_code, is_key, above_scale, grid_id ON enterprises BEGIN INSERT INTO period_cells (fact, month, '
            "city_adcode, county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT 'enterprises', "
            "'1900-01-01', OLD.city_adcode, OLD.county_adcode, OLD.sector_code, OLD.industry_code, -1, -CASE WHEN "
            'OLD.is_key THEN 1 ELSE 0 END, -CASE WHEN OLD.above_scale THEN 1 ELSE 0 END, -CASE WHEN OLD.grid_id IS '
            'NOT NULL THEN 1 ELSE 0 END WHERE 1 = 1 ON CONFLICT (fact, month, city_adcode, county_adcode, '
            'sector_code, industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = period_cells.a + '
            'excluded.a, b = period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + '
            'excluded.amount_fen; INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, '
            "industry_code, n, a, b, amount_fen) SELECT 'enterprises', '1900-01-01', NEW.city_adcode, "
            'NEW.county_adcode, NEW.sector_code, NEW.industry_code, 1, CASE WHEN NEW.is_key THEN 1 ELSE 0 END, CASE '
            'WHEN NEW.above_scale THEN 1 ELSE 0 END, CASE WHEN NEW.grid_id IS NOT NULL THEN 1 ELSE 0 END WHERE 1 = 1 '
            'ON CONFLICT (fact, month, city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = '
            'period_cells.n + excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, '
            'amount_fen = period_cells.amount_fen + excluded.amount_fen; END']}
DROP = {'postgresql': ['DROP TRIGGER IF EXISTS trg_cells_enterprises ON enterprises',
                'DROP FUNCTION IF EXISTS oversight_cells_enterprises()'],
 'sqlite': ['DROP TRIGGER IF EXISTS trg_cells_enterprises_ins',
            'DROP TRIGGER IF EXISTS trg_cells_enterprises_del',
            'DROP TRIGGER IF EXISTS trg_cells_enterprises_upd']}

INDEXES = [('ix_enterprises_recorded_at', ['recorded_at'])]


def upgrade() -> None:
    for name, cols in INDEXES:
        op.create_index(name, 'enterprises', cols)
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":  # no enterprise may slip in between the rebuild's snapshot and the trigger
        conn.exec_driver_sql("LOCK TABLE enterprises IN SHARE ROW EXCLUSIVE MODE")
    for stmt in REBUILD[conn.dialect.name] + CREATE[conn.dialect.name]:
        conn.exec_driver_sql(stmt)
    if conn.dialect.name == "postgresql":  # the planner's statistics with the new cells
        conn.exec_driver_sql("ANALYZE period_cells")


def downgrade() -> None:
    conn = op.get_bind()
    for stmt in DROP[conn.dialect.name]:
        conn.exec_driver_sql(stmt)
    conn.exec_driver_sql("DELETE FROM period_cells WHERE fact = 'enterprises'")
    for name, _ in reversed(INDEXES):
        op.drop_index(name, table_name='enterprises')
