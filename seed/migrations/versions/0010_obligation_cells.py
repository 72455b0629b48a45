"""risk reporting obligations in the maintained aggregates (seed.cells): the initial obligations of every enterprise
(n) and of above-scale ones (a) per month of their due date, summed over every month for the required counts; the
trigger on risk_obligations that keeps them exact; their cells built from the obligations; an index on the due date
for the earliest deadline

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:00:00
"""
from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# Frozen at revision 0010 (generated from seed.cells of that revision; never edit: a later change of the cells or
# their triggers is a new migration).
REBUILD = {'postgresql': ["DELETE FROM period_cells WHERE fact = 'obligations'",
                'INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, '
                "a, b, amount_fen) SELECT 'obligations' AS fact, CAST(date_trunc('month', r.due_on) AS date) AS "
                'month, r.city_adcode, r.county_adcode, r.sector_code, r.industry_code, count(*) AS n, sum(CASE '
                'WHEN r.above_scale THEN 1 ELSE 0 END) AS a, sum(0) AS b, sum(0) AS amount_fen FROM '
                "risk_obligations r WHERE r.kind = 'initial' GROUP BY CAST(date_trunc('month', r.due_on) AS date), "
                'r.city_adcode, r.county_adcode, r.sector_code, r.industry_code'],
 'sqlite': ["DELETE FROM period_cells WHERE fact = 'obligations'",
            'INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, '
            "b, amount_fen) SELECT 'obligations' AS fact, date(r.due_on, 'start of month') AS month, "
            'r.city_adcode, r.county_adcode, r.sector_code, r.industry_code, count(*) AS n, sum(CASE WHEN '
            'r.above_scale THEN 1 ELSE 0 END) AS a, sum(0) AS b, sum(0) AS amount_fen FROM risk_obligations r '
            "WHERE r.kind = 'initial' GROUP BY date(r.due_on, 'start of month'), r.city_adcode, r.county_adcode, "
            'r.sector_code, r.industry_code']}
CREATE = {'postgresql': ['CREATE OR REPLACE FUNCTION oversight_cells_risk_obligations() RETURNS trigger LANGUAGE plpgsql AS '
                '$$\n'
                'BEGIN\n'
                "  IF TG_OP = 'UPDATE' AND NOT (NEW.due_on IS DISTINCT FROM OLD.due_on OR NEW.city_adcode IS "
                'DISTINCT FROM OLD.city_adcode OR NEW.county_adcode IS DISTINCT FROM OLD.county_adcode OR '
                'NEW.sector_code IS DISTINCT FROM OLD.sector_code OR NEW.industry_code IS DISTINCT FROM '
                'OLD.industry_code OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.above_scale IS DISTINCT FROM '
                'OLD.above_scale) THEN RETURN NULL; END IF;\n'
                "  IF TG_OP <> 'INSERT' THEN\n"
                '    INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, '
                "industry_code, n, a, b, amount_fen) SELECT 'obligations', CAST(date_trunc('month', OLD.due_on) AS "
                'date), OLD.city_adcode, OLD.county_adcode, OLD.sector_code, OLD.industry_code, -1, -CASE WHEN '
                "OLD.above_scale THEN 1 ELSE 0 END, -0, -0 WHERE OLD.kind = 'initial' ON CONFLICT (fact, month, "
                'city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = period_cells.n + '
                'excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, amount_fen = '
                'period_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                "  IF TG_OP <> 'DELETE' THEN\n"
                '    INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, '
                "industry_code, n, a, b, amount_fen) SELECT 'obligations', CAST(date_trunc('month', NEW.due_on) AS "
                'date), NEW.city_adcode, NEW.county_adcode, NEW.sector_code, NEW.industry_code, 1, CASE WHEN '
                "NEW.above_scale THEN 1 ELSE 0 END, 0, 0 WHERE NEW.kind = 'initial' ON CONFLICT (fact, month, "
                'city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = period_cells.n + '
                'excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, amount_fen = '
                'period_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER trg_cells_risk_obligations AFTER INSERT OR DELETE OR UPDATE OF due_on, '
                'city_adcode, county_adcode, sector_code, industry_code, kind, above_scale ON risk_obligations FOR '
                'EACH ROW EXECUTE FUNCTION oversight_cells_risk_obligations()'],
 'sqlite': ['CREATE TRIGGER trg_cells_risk_obligations_ins AFTER INSERT ON risk_obligations BEGIN INSERT INTO '
            'period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, '
            "amount_fen) SELECT 'obligations', date(NEW.due_on, 'start of month'), NEW.city_adcode, "
            'NEW.county_adcode, NEW.sector_code, NEW.industry_code, 1, CASE WHEN NEW.above_scale THEN 1 ELSE 0 '
            "END, 0, 0 WHERE NEW.kind = 'initial' ON CONFLICT (fact, month, city_adcode, county_adcode, "
            'sector_code, industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = period_cells.a + '
            'excluded.a, b = period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + '
            'excluded.amount_fen; END',
            'CREATE TRIGGER trg_cells_risk_obligations_del AFTER DELETE ON risk_obligations BEGIN INSERT INTO '
            'period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, '
            "amount_fen) SELECT 'obligations', date(OLD.due_on, 'start of month'), OLD.city_adcode, "
            'OLD.county_adcode, OLD.sector_code, OLD.industry_code, -1, -CASE WHEN OLD.above_scale THEN 1 ELSE 0 '
            "END, -0, -0 WHERE OLD.kind = 'initial' ON CONFLICT (fact, month, city_adcode, county_adcode, "
            'sector_code, industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = period_cells.a + '
            'excluded.a, b = period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + '
            'excluded.amount_fen; END',
            'CREATE TRIGGER trg_cells_risk_obligations_upd AFTER UPDATE OF due_on, city_adcode, county_adcode, '
            'sector_code, industry_code, kind, above_scale ON risk_obligations BEGIN INSERT INTO period_cells '
            '(fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT '
            "'obligations', date(OLD.due_on, 'start of month'), OLD.city_adcode, OLD.county_adcode, "
            'OLD.sector_code, OLD.industry_code, -1, -CASE WHEN OLD.above_scale THEN 1 ELSE 0 END, -0, -0 WHERE '
            "OLD.kind = 'initial' ON CONFLICT (fact, month, city_adcode, county_adcode, sector_code, "
            'industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = period_cells.a + excluded.a, b = '
            'period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + excluded.amount_fen; INSERT INTO '
            'period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, '
            "amount_fen) SELECT 'obligations', date(NEW.due_on, 'start of month'), NEW.city_adcode, "
            'NEW.county_adcode, NEW.sector_code, NEW.industry_code, 1, CASE WHEN NEW.above_scale THEN 1 ELSE 0 '
            "END, 0, 0 WHERE NEW.kind = 'initial' ON CONFLICT (fact, month, city_adcode, county_adcode, "
            'sector_code, industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = period_cells.a + '
            'excluded.a, b = period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + '
            'excluded.amount_fen; END']}
DROP = {'postgresql': ['DROP TRIGGER IF EXISTS trg_cells_risk_obligations ON risk_obligations',
                'DROP FUNCTION IF EXISTS oversight_cells_risk_obligations()'],
 'sqlite': ['DROP TRIGGER IF EXISTS trg_cells_risk_obligations_ins',
            'DROP TRIGGER IF EXISTS trg_cells_risk_obligations_del',
            'DROP TRIGGER IF EXISTS trg_cells_risk_obligations_upd']}

INDEXES = [('ix_risk_obligations_due_on', ['due_on'])]


def upgrade() -> None:
    for name, cols in INDEXES:
        op.create_index(name, 'risk_obligations', cols)
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":  # no obligation may slip in between the rebuild's snapshot and the trigger
        conn.exec_driver_sql("LOCK TABLE risk_obligations IN SHARE ROW EXCLUSIVE MODE")
    for stmt in REBUILD[conn.dialect.name] + CREATE[conn.dialect.name]:
        conn.exec_driver_sql(stmt)


def downgrade() -> None:
    conn = op.get_bind()
    for stmt in DROP[conn.dialect.name]:
        conn.exec_driver_sql(stmt)
    conn.exec_driver_sql("DELETE FROM period_cells WHERE fact = 'obligations'")
    for name, _ in reversed(INDEXES):
        op.drop_index(name, table_name='risk_obligations')
