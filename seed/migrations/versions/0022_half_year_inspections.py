"""the enterprises inspected in a half-year from 1 July in the maintained aggregates: the inspections' cells count,
as their amount, each enterprise's first inspection of the half-year (its previous one before 1 January or 1 July),
so that the period before a half-year from 1 January (the comparisons' 上期: 1 July to 31 December) takes its
enterprises inspected from the cells (a scan of every inspection of that half-year otherwise: ~160 ms at three
times the province); the inspections' trigger of the period cells recreated, their cells rebuilt

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 14:30:00
"""
from __future__ import annotations

from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

# Frozen at revision 0022 (generated from seed.cells of that revision, and of 0021 for the downgrade; never edit).
CREATE = {'postgresql': ['CREATE OR REPLACE FUNCTION oversight_cells_inspections() RETURNS trigger LANGUAGE plpgsql AS $$\n'
                'BEGIN\n'
                "  IF TG_OP = 'UPDATE' AND NOT (NEW.inspected_on IS DISTINCT FROM OLD.inspected_on OR "
                'NEW.city_adcode IS DISTINCT FROM OLD.city_adcode OR NEW.county_adcode IS DISTINCT FROM '
                'OLD.county_adcode OR NEW.sector_code IS DISTINCT FROM OLD.sector_code OR NEW.industry_code IS '
                'DISTINCT FROM OLD.industry_code OR NEW.prev_on IS DISTINCT FROM OLD.prev_on) THEN RETURN NULL; '
                'END IF;\n'
                "  IF TG_OP <> 'INSERT' THEN\n"
                '    INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, '
                "industry_code, n, a, b, amount_fen) SELECT 'inspections', CAST(date_trunc('month', "
                'OLD.inspected_on) AS date), OLD.city_adcode, OLD.county_adcode, OLD.sector_code, '
                "OLD.industry_code, -1, -CASE WHEN OLD.prev_on IS NULL OR OLD.prev_on < CAST(date_trunc('year', "
                'OLD.inspected_on) AS date) THEN 1 ELSE 0 END, -CASE WHEN OLD.prev_on IS NULL OR OLD.prev_on < '
                "CAST(date_trunc('month', OLD.inspected_on) AS date) THEN 1 ELSE 0 END, -CASE WHEN OLD.prev_on IS "
                "NULL OR OLD.prev_on < CAST(date_trunc('year', OLD.inspected_on) + CASE WHEN extract(month FROM "
                "OLD.inspected_on) > 6 THEN interval '6 months' ELSE interval '0 months' END AS date) THEN 1 ELSE "
                '0 END WHERE 1 = 1 ON CONFLICT (fact, month, city_adcode, county_adcode, sector_code, '
                'industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = period_cells.a + excluded.a, b '
                '= period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                "  IF TG_OP <> 'DELETE' THEN\n"
                '    INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, '
                "industry_code, n, a, b, amount_fen) SELECT 'inspections', CAST(date_trunc('month', "
                'NEW.inspected_on) AS date), NEW.city_adcode, NEW.county_adcode, NEW.sector_code, '
                "NEW.industry_code, 1, CASE WHEN NEW.prev_on IS NULL OR NEW.prev_on < CAST(date_trunc('year', "
                'NEW.inspected_on) AS date) THEN 1 ELSE 0 END, CASE WHEN NEW.prev_on IS NULL OR NEW.prev_on < '
                "CAST(date_trunc('month', NEW.inspected_on) AS date) THEN 1 ELSE 0 END, CASE WHEN NEW.prev_on IS "
                "NULL OR NEW.prev_on < CAST(date_trunc('year', NEW.inspected_on) + CASE WHEN extract(month FROM "
                "NEW.inspected_on) > 6 THEN interval '6 months' ELSE interval '0 months' END AS date) THEN 1 ELSE "
                '0 END WHERE 1 = 1 ON CONFLICT (fact, month, city_adcode, county_adcode, sector_code, '
                'industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = period_cells.a + excluded.a, b '
                '= period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER trg_cells_inspections AFTER INSERT OR DELETE OR UPDATE OF inspected_on, '
                'city_adcode, county_adcode, sector_code, industry_code, prev_on ON inspections FOR EACH ROW '
                'EXECUTE FUNCTION oversight_cells_inspections()'],
 'sqlite': ['CREATE TRIGGER trg_cells_inspections_ins AFTER INSERT ON inspections BEGIN INSERT INTO period_cells '
            '(fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT '
            "'inspections', date(NEW.inspected_on, 'start of month'), NEW.city_adcode, NEW.county_adcode, "
            'NEW.sector_code, NEW.industry_code, 1, CASE WHEN NEW.prev_on IS NULL OR NEW.prev_on < '
            "date(NEW.inspected_on, 'start of year') THEN 1 ELSE 0 END, CASE WHEN NEW.prev_on IS NULL OR "
            "NEW.prev_on < date(NEW.inspected_on, 'start of month') THEN 1 ELSE 0 END, CASE WHEN NEW.prev_on IS "
            "NULL OR NEW.prev_on < date(NEW.inspected_on, 'start of year', CASE WHEN CAST(strftime('%m', "
            "NEW.inspected_on) AS integer) > 6 THEN '+6 months' ELSE '+0 months' END) THEN 1 ELSE 0 END WHERE 1 = "
            '1 ON CONFLICT (fact, month, city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = '
            'period_cells.n + excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, '
            'amount_fen = period_cells.amount_fen + excluded.amount_fen; END',
            'CREATE TRIGGER trg_cells_inspections_del AFTER DELETE ON inspections BEGIN INSERT INTO period_cells '
            '(fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT '
            "'inspections', date(OLD.inspected_on, 'start of month'), OLD.city_adcode, OLD.county_adcode, "
            'OLD.sector_code, OLD.industry_code, -1, -CASE WHEN OLD.prev_on IS NULL OR OLD.prev_on < '
            "date(OLD.inspected_on, 'start of year') THEN 1 ELSE 0 END, -CASE WHEN OLD.prev_on IS NULL OR "
            "OLD.prev_on < date(OLD.inspected_on, 'start of month') THEN 1 ELSE 0 END, -CASE WHEN OLD.prev_on IS "
            "NULL OR OLD.prev_on < date(OLD.inspected_on, 'start of year', CASE WHEN CAST(strftime('%m', "
            "OLD.inspected_on) AS integer) > 6 THEN '+6 months' ELSE '+0 months' END) THEN 1 ELSE 0 END WHERE 1 = "
            '1 ON CONFLICT (fact, month, city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = '
            'period_cells.n + excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, '
            'amount_fen = period_cells.amount_fen + excluded.amount_fen; END',
            'CREATE TRIGGER trg_cells_inspections_upd AFTER UPDATE OF inspected_on, city_adcode, county_adcode, '
            'sector_code, industry_code, prev_on ON inspections BEGIN INSERT INTO period_cells (fact, month, '
            "city_adcode, county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT 'inspections', "
            "date(OLD.inspected_on, 'start of month'), OLD.city_adcode, OLD.county_adcode, OLD.sector_code, "
            "OLD.industry_code, -1, -CASE WHEN OLD.prev_on IS NULL OR OLD.prev_on < date(OLD.inspected_on, 'start "
            "of year') THEN 1 ELSE 0 END, -CASE WHEN OLD.prev_on IS NULL OR OLD.prev_on < date(OLD.inspected_on, "
            "'start of month') THEN 1 ELSE 0 END, -CASE WHEN OLD.prev_on IS NULL OR OLD.prev_on < "
            "date(OLD.inspected_on, 'start of year', CASE WHEN CAST(strftime('%m', OLD.inspected_on) AS integer) > "
            "6 THEN '+6 months' ELSE '+0 months' END) THEN 1 ELSE 0 END WHERE 1 = 1 ON CONFLICT (fact, month, "
            'city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = period_cells.n + '
            'excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, amount_fen = '
            'period_cells.amount_fen + excluded.amount_fen; INSERT INTO period_cells (fact, month, city_adcode, '
            "county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT 'inspections', "
            "date(NEW.inspected_on, 'start of month'), NEW.city_adcode, NEW.county_adcode, NEW.sector_code, "
            "NEW.industry_code, 1, CASE WHEN NEW.prev_on IS NULL OR NEW.prev_on < date(NEW.inspected_on, 'start of "
            "year') THEN 1 ELSE 0 END, CASE WHEN NEW.prev_on IS NULL OR NEW.prev_on < date(NEW.inspected_on, "
            "'start of month') THEN 1 ELSE 0 END, CASE WHEN NEW.prev_on IS NULL OR NEW.prev_on < "
            "date(NEW.inspected_on, 'start of year', CASE WHEN CAST(strftime('%m', NEW.inspected_on) AS integer) > "
            "6 THEN '+6 months' ELSE '+0 months' END) THEN 1 ELSE 0 END WHERE 1 = 1 ON CONFLICT (fact, month, "
            'city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = period_cells.n + '
            'excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, amount_fen = '
            'period_cells.amount_fen + excluded.amount_fen; END']}
REBUILD = {'postgresql': ["DELETE FROM period_cells WHERE fact = 'inspections'",
                'INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, '
                "a, b, amount_fen) SELECT 'inspections' AS fact, CAST(date_trunc('month', r.inspected_on) AS date) "
                'AS month, r.city_adcode, r.county_adcode, r.sector_code, r.industry_code, count(*) AS n, sum(CASE '
                "WHEN r.prev_on IS NULL OR r.prev_on < CAST(date_trunc('year', r.inspected_on) AS date) THEN 1 "
                "ELSE 0 END) AS a, sum(CASE WHEN r.prev_on IS NULL OR r.prev_on < CAST(date_trunc('month', "
                'r.inspected_on) AS date) THEN 1 ELSE 0 END) AS b, sum(CASE WHEN r.prev_on IS NULL OR r.prev_on < '
                "CAST(date_trunc('year', r.inspected_on) + CASE WHEN extract(month FROM r.inspected_on) > 6 THEN "
                "interval '6 months' ELSE interval '0 months' END AS date) THEN 1 ELSE 0 END) AS amount_fen FROM "
                "inspections r GROUP BY CAST(date_trunc('month', r.inspected_on) AS date), r.city_adcode, "
                'r.county_adcode, r.sector_code, r.industry_code'],
 'sqlite': ["DELETE FROM period_cells WHERE fact = 'inspections'",
            'INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, '
            "b, amount_fen) SELECT 'inspections' AS fact, date(r.inspected_on, 'start of month') AS month, "
            'r.city_adcode, r.county_adcode, r.sector_code, r.industry_code, count(*) AS n, sum(CASE WHEN '
            "r.prev_on IS NULL OR r.prev_on < date(r.inspected_on, 'start of year') THEN 1 ELSE 0 END) AS a, "
            "sum(CASE WHEN r.prev_on IS NULL OR r.prev_on < date(r.inspected_on, 'start of month') THEN 1 ELSE 0 "
            "END) AS b, sum(CASE WHEN r.prev_on IS NULL OR r.prev_on < date(r.inspected_on, 'start of year', CASE "
            "WHEN CAST(strftime('%m', r.inspected_on) AS integer) > 6 THEN '+6 months' ELSE '+0 months' END) THEN "
            "1 ELSE 0 END) AS amount_fen FROM inspections r GROUP BY date(r.inspected_on, 'start of month'), "
            'r.city_adcode, r.county_adcode, r.sector_code, r.industry_code']}
CREATE_BEFORE = {'postgresql': ['CREATE OR REPLACE FUNCTION oversight_cells_inspections() RETURNS trigger LANGUAGE plpgsql AS $$\n'
                'BEGIN\n'
                "  IF TG_OP = 'UPDATE' AND NOT (NEW.inspected_on IS DISTINCT FROM OLD.inspected_on OR "
                'NEW.city_adcode IS DISTINCT FROM OLD.city_adcode OR NEW.county_adcode IS DISTINCT FROM '
                'OLD.county_adcode OR NEW.sector_code IS DISTINCT FROM OLD.sector_code OR NEW.industry_code IS '
                'DISTINCT FROM OLD.industry_code OR NEW.prev_on IS DISTINCT FROM OLD.prev_on) THEN RETURN NULL; '
                'END IF;\n'
                "  IF TG_OP <> 'INSERT' THEN\n"
                '    INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, '
                "industry_code, n, a, b, amount_fen) SELECT 'inspections', CAST(date_trunc('month', "
                'OLD.inspected_on) AS date), OLD.city_adcode, OLD.county_adcode, OLD.sector_code, '
                "OLD.industry_code, -1, -CASE WHEN OLD.prev_on IS NULL OR OLD.prev_on < CAST(date_trunc('year', "
                'OLD.inspected_on) AS date) THEN 1 ELSE 0 END, -CASE WHEN OLD.prev_on IS NULL OR OLD.prev_on < '
                "CAST(date_trunc('month', OLD.inspected_on) AS date) THEN 1 ELSE 0 END, -0 WHERE 1 = 1 ON CONFLICT "
                '(fact, month, city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = '
                'period_cells.n + excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, '
                'amount_fen = period_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                "  IF TG_OP <> 'DELETE' THEN\n"
                '    INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, '
                "industry_code, n, a, b, amount_fen) SELECT 'inspections', CAST(date_trunc('month', "
                'NEW.inspected_on) AS date), NEW.city_adcode, NEW.county_adcode, NEW.sector_code, '
                "NEW.industry_code, 1, CASE WHEN NEW.prev_on IS NULL OR NEW.prev_on < CAST(date_trunc('year', "
                'NEW.inspected_on) AS date) THEN 1 ELSE 0 END, CASE WHEN NEW.prev_on IS NULL OR NEW.prev_on < '
                "CAST(date_trunc('month', NEW.inspected_on) AS date) THEN 1 ELSE 0 END, 0 WHERE 1 = 1 ON CONFLICT "
                '(fact, month, city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = '
                'period_cells.n + excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, '
                'amount_fen = period_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER trg_cells_inspections AFTER INSERT OR DELETE OR UPDATE OF inspected_on, '
                'city_adcode, county_adcode, sector_code, industry_code, prev_on ON inspections FOR EACH ROW '
                'EXECUTE FUNCTION oversight_cells_inspections()'],
 'sqlite': ['CREATE TRIGGER trg_cells_inspections_ins AFTER INSERT ON inspections BEGIN INSERT INTO period_cells '
            '(fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT '
            "'inspections', date(NEW.inspected_on, 'start of month'), NEW.city_adcode, NEW.county_adcode, "
            'NEW.sector_code, NEW.industry_code, 1, CASE WHEN NEW.prev_on IS NULL OR NEW.prev_on < '
            "date(NEW.inspected_on, 'start of year') THEN 1 ELSE 0 END, CASE WHEN NEW.prev_on IS NULL OR "
            "NEW.prev_on < date(NEW.inspected_on, 'start of month') THEN 1 ELSE 0 END, 0 WHERE 1 = 1 ON CONFLICT "
            '(fact, month, city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = '
            'period_cells.n + excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, '
            'amount_fen = period_cells.amount_fen + excluded.amount_fen; END',
            'CREATE TRIGGER trg_cells_inspections_del AFTER DELETE ON inspections BEGIN INSERT INTO period_cells '
            '(fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT '
            "'inspections', date(OLD.inspected_on, 'start of month'), OLD.city_adcode, OLD.county_adcode, "
            'OLD.sector_code, OLD.industry_code, -1, -CASE WHEN OLD.prev_on IS NULL OR OLD.prev_on < '
            "date(OLD.inspected_on, 'start of year') THEN 1 ELSE 0 END, -CASE WHEN OLD.prev_on IS NULL OR "
            "OLD.prev_on < date(OLD.inspected_on, 'start of month') THEN 1 ELSE 0 END, -0 WHERE 1 = 1 ON CONFLICT "
            '(fact, month, city_adcode, county_adcode, sector_code, industry_code) DO UPDATE SET n = '
            'period_cells.n + excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + excluded.b, '
            'amount_fen = period_cells.amount_fen + excluded.amount_fen; END',
            'CREATE TRIGGER trg_cells_inspections_upd AFTER UPDATE OF inspected_on, city_adcode, county_adcode, '
            'sector_code, industry_code, prev_on ON inspections BEGIN INSERT INTO period_cells (fact, month, '
            "city_adcode, county_adcode, sector_code, industry_code, n, a, b, amount_fen) SELECT 'inspections', "
            "date(OLD.inspected_on, 'start of month'), OLD.city_adcode, OLD.county_adcode, OLD.sector_code, "
            "OLD.industry_code, -1, -CASE WHEN OLD.prev_on IS NULL OR OLD.prev_on < date(OLD.inspected_on, 'start "
            "of year') THEN 1 ELSE 0 END, -CASE WHEN OLD.prev_on IS NULL OR OLD.prev_on < date(OLD.inspected_on, "
            "'start of month') THEN 1 ELSE 0 END, -0 WHERE 1 = 1 ON CONFLICT (fact, month, city_adcode, "
            'county_adcode, sector_code, industry_code) DO UPDATE SET n = period_cells.n + excluded.n, a = '
            'period_cells.a + excluded.a, b = period_cells.b + excluded.b, amount_fen = period_cells.amount_fen + '
            'excluded.amount_fen; INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, '
            "industry_code, n, a, b, amount_fen) SELECT 'inspections', date(NEW.inspected_on, 'start of month'), "
            'NEW.city_adcode, NEW.county_adcode, NEW.sector_code, NEW.industry_code, 1, CASE WHEN NEW.prev_on IS '
            "NULL OR NEW.prev_on < date(NEW.inspected_on, 'start of year') THEN 1 ELSE 0 END, CASE WHEN "
            "NEW.prev_on IS NULL OR NEW.prev_on < date(NEW.inspected_on, 'start of month') THEN 1 ELSE 0 END, 0 "
            'WHERE 1 = 1 ON CONFLICT (fact, month, city_adcode, county_adcode, sector_code, industry_code) DO '
            'UPDATE SET n = period_cells.n + excluded.n, a = period_cells.a + excluded.a, b = period_cells.b + '
            'excluded.b, amount_fen = period_cells.amount_fen + excluded.amount_fen; END']}
REBUILD_BEFORE = {'postgresql': ["DELETE FROM period_cells WHERE fact = 'inspections'",
                'INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, '
                "a, b, amount_fen) SELECT 'inspections' AS fact, CAST(date_trunc('month', r.inspected_on) AS date) "
                'AS month, r.city_adcode, r.county_adcode, r.sector_code, r.industry_code, count(*) AS n, sum(CASE '
                "WHEN r.prev_on IS NULL OR r.prev_on < CAST(date_trunc('year', r.inspected_on) AS date) THEN 1 "
                "ELSE 0 END) AS a, sum(CASE WHEN r.prev_on IS NULL OR r.prev_on < CAST(date_trunc('month', "
                'r.inspected_on) AS date) THEN 1 ELSE 0 END) AS b, sum(0) AS amount_fen FROM inspections r GROUP '
                "BY CAST(date_trunc('month', r.inspected_on) AS date), r.city_adcode, r.county_adcode, "
                'r.sector_code, r.industry_code'],
 'sqlite': ["DELETE FROM period_cells WHERE fact = 'inspections'",
            'INSERT INTO period_cells (fact, month, city_adcode, county_adcode, sector_code, industry_code, n, a, '
            "b, amount_fen) SELECT 'inspections' AS fact, date(r.inspected_on, 'start of month') AS month, "
            'r.city_adcode, r.county_adcode, r.sector_code, r.industry_code, count(*) AS n, sum(CASE WHEN '
            "r.prev_on IS NULL OR r.prev_on < date(r.inspected_on, 'start of year') THEN 1 ELSE 0 END) AS a, "
            "sum(CASE WHEN r.prev_on IS NULL OR r.prev_on < date(r.inspected_on, 'start of month') THEN 1 ELSE 0 "
            "END) AS b, sum(0) AS amount_fen FROM inspections r GROUP BY date(r.inspected_on, 'start of month'), "
            'r.city_adcode, r.county_adcode, r.sector_code, r.industry_code']}
DROP = {'postgresql': ['DROP TRIGGER IF EXISTS trg_cells_inspections ON inspections'],
 'sqlite': ['DROP TRIGGER IF EXISTS trg_cells_inspections_ins',
            'DROP TRIGGER IF EXISTS trg_cells_inspections_del',
            'DROP TRIGGER IF EXISTS trg_cells_inspections_upd']}


def _run(create: dict, rebuild: dict) -> None:
    conn = op.get_bind()
    d = conn.dialect.name
    if d == "postgresql":  # no inspection may slip in between the rebuild's snapshot and the trigger
        conn.exec_driver_sql("LOCK TABLE inspections IN SHARE ROW EXCLUSIVE MODE")
    for stmt in DROP[d] + rebuild[d] + create[d]:
        conn.exec_driver_sql(stmt)


def upgrade() -> None:
    _run(CREATE, REBUILD)


def downgrade() -> None:
    _run(CREATE_BEFORE, REBUILD_BEFORE)
