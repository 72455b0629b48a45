"""credit ratings in the maintained aggregates (seed.cells): each rating counts in its colour from the month it is
given (credit_in) and out from the month the enterprise's next rating supersedes it (credit_out), so the newest
rating of every enterprise at a month's end is a running sum of cells; the trigger on credit_ratings that keeps
them exact; their cells built from the ratings; indexes on the ratings' dates for a period's partial month

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 16:45:00
"""
from __future__ import annotations

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Frozen at revision 0009 (generated from seed.cells of that revision; never edit: a later change of the cells or
# their triggers is a new migration).
REBUILD = {'postgresql': ["DELETE FROM period_cells WHERE fact IN ('credit_in', 'credit_out')",
              'INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, '
              "b, amount_fen) SELECT 'credit_in' AS fact, CAST(date_trunc('month', r.rated_on) AS date) AS month, "
              'r.city_adcode, r.county_adcode, r.sector_code, r.industry_code, count(*) AS n, sum(CASE WHEN r.colour '
              "= 'green' THEN 1 ELSE 0 END) AS a, sum(CASE WHEN r.colour = 'blue' THEN 1 ELSE 0 END) AS b, sum(CASE "
              "WHEN r.colour = 'yellow' THEN 1 ELSE 0 END) AS amount_fen FROM credit_ratings r GROUP BY "
              "CAST(date_trunc('month', r.rated_on) AS date), r.city_adcode, r.county_adcode, r.sector_code, "
              'r.industry_code',
              'INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, '
              "b, amount_fen) SELECT 'credit_out' AS fact, CAST(date_trunc('month', r.superseded_on) AS date) AS "
              'month, r.city_adcode, r.county_adcode, r.sector_code, r.industry_code, count(*) AS n, sum(CASE WHEN '
              "r.colour = 'green' THEN 1 ELSE 0 END) AS a, sum(CASE WHEN r.colour = 'blue' THEN 1 ELSE 0 END) AS b, "
              "sum(CASE WHEN r.colour = 'yellow' THEN 1 ELSE 0 END) AS amount_fen FROM credit_ratings r WHERE "
              "r.superseded_on IS NOT NULL GROUP BY CAST(date_trunc('month', r.superseded_on) AS date), "
              'r.city_adcode, r.county_adcode, r.sector_code, r.industry_code'],
'sqlite': ["DELETE FROM period_cells WHERE fact IN ('credit_in', 'credit_out')",
          'INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, '
          "amount_fen) SELECT 'credit_in' AS fact, date(r.rated_on, 'start of month') AS month, r.city_adcode, "
          "r.county_adcode, r.sector_code, r.industry_code, count(*) AS n, sum(CASE WHEN r.colour = 'green' THEN 1 "
          "ELSE 0 END) AS a, sum(CASE WHEN r.colour = 'blue' THEN 1 ELSE 0 END) AS b, sum(CASE WHEN r.colour = "
          "'yellow' THEN 1 ELSE 0 END) AS amount_fen FROM credit_ratings r GROUP BY date(r.rated_on, 'start of "
          "month'), r.city_adcode, r.county_adcode, r.sector_code, r.industry_code",
          'INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, '
          "amount_fen) SELECT 'credit_out' AS fact, date(r.superseded_on, 'start of month') AS month, r.city_adcode, "
          "r.county_adcode, r.sector_code, r.industry_code, count(*) AS n, sum(CASE WHEN r.colour = 'green' THEN 1 "
          "ELSE 0 END) AS a, sum(CASE WHEN r.colour = 'blue' THEN 1 ELSE 0 END) AS b, sum(CASE WHEN r.colour = "
          "'yellow' THEN 1 ELSE 0 END) AS amount_fen FROM credit_ratings r WHERE r.superseded_on IS NOT NULL GROUP "
          "BY date(r.superseded_on, 'start of month'), r.city_adcode, r.county_adcode, r.sector_code, "
          'r.industry_code']}
CREATE = {'postgresql': ['CREATE OR REPLACE FUNCTION oversight_cells_credit_ratings() RETURNS trigger LANGUAGE plpgsql AS $$\n'
              'BEGIN\n'
              "  IF TG_OP = 'UPDATE' AND NOT (NEW.rated_on IS DISTINCT FROM OLD.rated_on OR NEW.city_adcode IS "
              'DISTINCT FROM OLD.city_adcode OR NEW.county_adcode IS DISTINCT FROM OLD.county_adcode OR '
              'NEW.sector_code IS DISTINCT FROM OLD.sector_code OR NEW.industry_code IS DISTINCT FROM '
              'OLD.industry_code OR NEW.colour IS DISTINCT FROM OLD.colour OR NEW.superseded_on IS DISTINCT FROM '
              'OLD.superseded_on) THEN RETURN NULL; END IF;\n'
              "  IF TG_OP <> 'INSERT' THEN\n"
              '    INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, '
              "a, b, amount_fen) SELECT 'credit_in', CAST(date_trunc('month', OLD.rated_on) AS date), "
              'OLD.city_adcode, OLD.county_adcode, OLD.sector_code, OLD.industry_code, -1, -CASE WHEN OLD.colour = '
              "'green' THEN 1 ELSE 0 END, -CASE WHEN OLD.colour = 'blue' THEN 1 ELSE 0 END, -CASE WHEN OLD.colour = "
              "'yellow' THEN 1 ELSE 0 END WHERE 1 = 1 ON CONFLICT (fact, month, city_adcode, county_adcode, "
              'sector_code, industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = period_cells.a + '
              'excluded.a, b = period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + '
              'excluded.amount_fen;\n'
              '    INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, '
              "a, b, amount_fen) SELECT 'credit_out', CAST(date_trunc('month', OLD.superseded_on) AS date), "
              'OLD.city_adcode, OLD.county_adcode, OLD.sector_code, OLD.industry_code, -1, -CASE WHEN OLD.colour = '
              "'green' THEN 1 ELSE 0 END, -CASE WHEN OLD.colour = 'blue' THEN 1 ELSE 0 END, -CASE WHEN OLD.colour = "
              "'yellow' THEN 1 ELSE 0 END WHERE OLD.superseded_on IS NOT NULL ON CONFLICT (fact, month, city_adcode, "
              'county_adcode, sector_code, industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = '
              'period_cells.a + excluded.a, b = period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + '
              'excluded.amount_fen;\n'
              '  END IF;\n'
              "  IF TG_OP <> 'DELETE' THEN\n"
              '    INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, '
              "a, b, amount_fen) SELECT 'credit_in', CAST(date_trunc('month', NEW.rated_on) AS date), "
              'NEW.city_adcode, NEW.county_adcode, NEW.sector_code, NEW.industry_code, 1, CASE WHEN NEW.colour = '
              "'green' THEN 1 ELSE 0 END, CASE WHEN NEW.colour = 'blue' THEN 1 ELSE 0 END, CASE WHEN NEW.colour = "
              "'yellow' THEN 1 ELSE 0 END WHERE 1 = 1 ON CONFLICT (fact, month, city_adcode, county_adcode, "
              'sector_code, industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = period_cells.a + '
              'excluded.a, b = period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + '
              'excluded.amount_fen;\n'
              '    INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, '
              "a, b, amount_fen) SELECT 'credit_out', CAST(date_trunc('month', NEW.superseded_on) AS date), "
              'NEW.city_adcode, NEW.county_adcode, NEW.sector_code, NEW.industry_code, 1, CASE WHEN NEW.colour = '
              "'green' THEN 1 ELSE 0 END, CASE WHEN NEW.colour = 'blue' THEN 1 ELSE 0 END, CASE WHEN NEW.colour = "
              "'yellow' THEN 1 ELSE 0 END WHERE NEW.superseded_on IS NOT NULL ON CONFLICT (fact, month, city_adcode, "
              'county_adcode, sector_code, industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = '
              'period_cells.a + excluded.a, b = period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + '
              'excluded.amount_fen;\n'
              '  END IF;\n'
              '  RETURN NULL;\n'
              'END $$',
              'CREATE TRIGGER trg_cells_credit_ratings AFTER INSERT OR DELETE OR UPDATE OF rated_on, city_adcode, '
              'county_adcode, sector_code, industry_code, colour, superseded_on ON credit_ratings FOR EACH ROW '
              'EXECUTE FUNCTION oversight_cells_credit_ratings()'],
'sqlite': ['CREATE TRIGGER trg_cells_credit_ratings_ins AFTER INSERT ON credit_ratings BEGIN INSERT INTO period_cells '
          '(fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT '
          "'credit_in', date(NEW.rated_on, 'start of month'), NEW.city_adcode, NEW.county_adcode, NEW.sector_code, "
          "NEW.industry_code, 1, CASE WHEN NEW.colour = 'green' THEN 1 ELSE 0 END, CASE WHEN NEW.colour = 'blue' "
          "THEN 1 ELSE 0 END, CASE WHEN NEW.colour = 'yellow' THEN 1 ELSE 0 END WHERE 1 = 1 ON CONFLICT (fact, "
          'month, city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = period_cells.n + '
          'excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, amount_fen = '
          'period_cells.amount_fen + excluded.amount_fen; INSERT INTO period_cells (fact, month, city_adcode, '
          "county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT 'credit_out', "
          "date(NEW.superseded_on, 'start of month'), NEW.city_adcode, NEW.county_adcode, NEW.sector_code, "
          "NEW.industry_code, 1, CASE WHEN NEW.colour = 'green' THEN 1 ELSE 0 END, CASE WHEN NEW.colour = 'blue' "
          "THEN 1 ELSE 0 END, CASE WHEN NEW.colour = 'yellow' THEN 1 ELSE 0 END WHERE NEW.superseded_on IS NOT NULL "
          'ON CONFLICT (fact, month, city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = '
          'period_cells.n + excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, amount_fen '
          '= period_cells.amount_fen + excluded.amount_fen; END',
          'CREATE TRIGGER trg_cells_credit_ratings_del AFTER DELETE ON credit_ratings BEGIN INSERT INTO period_cells '
          '(fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT '
          "'credit_in', date(OLD.rated_on, 'start of month'), OLD.city_adcode, OLD.county_adcode, OLD.sector_code, "
          "OLD.industry_code, -1, -CASE WHEN OLD.colour = 'green' THEN 1 ELSE 0 END, -CASE WHEN OLD.colour = 'blue' "
          "THEN 1 ELSE 0 END, -CASE WHEN OLD.colour = 'yellow' THEN 1 ELSE 0 END WHERE 1 = 1 ON CONFLICT (fact, "
          'month, city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = period_cells.n + '
          'excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, amount_fen = '
          'period_cells.amount_fen + excluded.amount_fen; INSERT INTO period_cells (fact, month, city_adcode, '
          "county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT 'credit_out', "
          "date(OLD.superseded_on, 'start of month'), OLD.city_adcode, OLD.county_adcode, OLD.sector_code, "
          "OLD.industry_code, -1, -CASE WHEN OLD.colour = 'green' THEN 1 ELSE 0 END, -CASE WHEN OLD.colour = 'blue' "
          "THEN 1 ELSE 0 END, -CASE WHEN OLD.colour = 'yellow' THEN 1 ELSE 0 END WHERE OLD.superseded_on IS NOT NULL "
          'ON CONFLICT (fact, month, city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = '
          'period_cells.n + excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, amount_fen '
          '= period_cells.amount_fen + excluded.amount_fen; END',
          'CREATE TRIGGER trg_cells_credit_ratings_upd AFTER UPDATE OF rated_on, city_adcode, county_adcode, '
          'sector_code, industry_code, colour, superseded_on ON credit_ratings BEGIN INSERT INTO period_cells (fact, '
          "month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT 'credit_in', "
          "date(OLD.rated_on, 'start of month'), OLD.city_adcode, OLD.county_adcode, OLD.sector_code, "
          "OLD.industry_code, -1, -CASE WHEN OLD.colour = 'green' THEN 1 ELSE 0 END, -CASE WHEN OLD.colour = 'blue' "
          "THEN 1 ELSE 0 END, -CASE WHEN OLD.colour = 'yellow' THEN 1 ELSE 0 END WHERE 1 = 1 ON CONFLICT (fact, "
          'month, city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = period_cells.n + '
          'excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, amount_fen = '
          'period_cells.amount_fen + excluded.amount_fen; INSERT INTO period_cells (fact, month, city_adcode, '
          "county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT 'credit_out', "
          "date(OLD.superseded_on, 'start of month'), OLD.city_adcode, OLD.county_adcode, OLD.sector_code, "
          "OLD.industry_code, -1, -CASE WHEN OLD.colour = 'green' THEN 1 ELSE 0 END, -CASE WHEN OLD.colour = 'blue' "
          "THEN 1 ELSE 0 END, -CASE WHEN OLD.colour = 'yellow' THEN 1 ELSE 0 END WHERE OLD.superseded_on IS NOT NULL "
          'ON CONFLICT (fact, month, city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = '
          'period_cells.n + excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, amount_fen '
          '= period_cells.amount_fen + excluded.amount_fen; INSERT INTO period_cells (fact, month, city_adcode, '
          "county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT 'credit_in', date(NEW.rated_on, "
          "'start of month'), NEW.city_adcode, NEW.county_adcode, NEW.sector_code, NEW.industry_code, 1, CASE WHEN "
          "NEW.colour = 'green' THEN 1 ELSE 0 END, CASE WHEN NEW.colour = 'blue' THEN 1 ELSE 0 END, CASE WHEN "
          "NEW.colour = 'yellow' THEN 1 ELSE 0 END WHERE 1 = 1 ON CONFLICT (fact, month, city_adcode, county_adcode, "
          'sector_code, industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = period_cells.a + '
          'excluded.a, b = period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + excluded.amount_fen; '
          'INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, '
          "amount_fen) SELECT 'credit_out', date(NEW.superseded_on, 'start of month'), NEW.city_adcode, "
          "NEW.county_adcode, NEW.sector_code, NEW.industry_code, 1, CASE WHEN NEW.colour = 'green' THEN 1 ELSE 0 "
          "END, CASE WHEN NEW.colour = 'blue' THEN 1 ELSE 0 END, CASE WHEN NEW.colour = 'yellow' THEN 1 ELSE 0 END "
          'WHERE NEW.superseded_on IS NOT NULL ON CONFLICT (fact, month, city_adcode, county_adcode, sector_code, '
          'industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = period_cells.a + excluded.a, b = '
          'period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + excluded.amount_fen; END']}
DROP = {'postgresql': ['DROP TRIGGER IF EXISTS trg_cells_credit_ratings ON credit_ratings',
              'DROP FUNCTION IF EXISTS oversight_cells_credit_ratings()'],
'sqlite': ['DROP TRIGGER IF EXISTS trg_cells_credit_ratings_ins',
          'DROP TRIGGER IF EXISTS trg_cells_credit_ratings_del',
          'DROP TRIGGER IF EXISTS trg_cells_credit_ratings_upd']}


INDEXES = [('ix_credit_ratings_rated_on', ['rated_on']), ('ix_credit_ratings_superseded_on', ['superseded_on'])]


def upgrade() -> None:
    for name, cols in INDEXES:
        op.create_index(name, 'credit_ratings', cols)
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":  # no rating may slip in between the rebuild's snapshot and the trigger
        conn.exec_driver_sql("LOCK TABLE credit_ratings IN SHARE ROW EXCLUSIVE MODE")
    for stmt in REBUILD[conn.dialect.name] + CREATE[conn.dialect.name]:
        conn.exec_driver_sql(stmt)


def downgrade() -> None:
    conn = op.get_bind()
    for stmt in DROP[conn.dialect.name]:
        conn.exec_driver_sql(stmt)
    conn.exec_driver_sql("DELETE FROM period_cells WHERE fact IN ('credit_in', 'credit_out')")
    for name, _ in reversed(INDEXES):
        op.drop_index(name, table_name='credit_ratings')
