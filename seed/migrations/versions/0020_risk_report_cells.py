"""risk reports in two more stores of the maintained aggregates (seed.cells ``FIRST_REPORTS`` and ``CATALOGUE``):
report_day_cells, the obliged enterprises' first reports per day and county (the completion curve by day: a GROUP BY
over every first report otherwise, ~250 ms at three times the province), and catalogue_cells, the 较大以上 risk items
per month of their report, county, catalogue entry, name and level (the risks by catalogue entry: every major item
joined to its report otherwise, ~260 ms at three times the province); the triggers on risk_reports and risk_items
that keep them exact (a report moved in time or space moves its items' cells); their cells built from the rows; and
an index of the reports by submission time (the risk topic's first day, a scan of every report otherwise)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 13:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

# Frozen at revision 0020 (generated from seed.cells of that revision; never edit: a later change of the cells or
# their triggers is a new migration).
REBUILD = {'postgresql': ['DELETE FROM report_day_cells',
                'INSERT INTO report_day_cells (fact, month, city_adcode, county_adcode, n, a, b, amount_fen) '
                "SELECT 'first_required' AS fact, CAST(r.submitted_at AS date) AS month, r.city_adcode, "
                'r.county_adcode, count(*) AS n, sum(0) AS a, sum(0) AS b, sum(0) AS amount_fen FROM risk_reports '
                'r WHERE r.first_for_required GROUP BY CAST(r.submitted_at AS date), r.city_adcode, '
                'r.county_adcode',
                'DELETE FROM catalogue_cells',
                'INSERT INTO catalogue_cells (fact, month, city_adcode, county_adcode, catalogue_code, name, '
                "level, n, a, b, amount_fen) SELECT 'major_items' AS fact, CAST(date_trunc('month', "
                'p.submitted_at) AS date) AS month, p.city_adcode AS city_adcode, p.county_adcode AS '
                "county_adcode, coalesce(r.catalogue_code, '') AS catalogue_code, r.name AS name, r.level AS "
                'level, count(*) AS n, sum(0) AS a, sum(0) AS b, sum(0) AS amount_fen FROM risk_items r JOIN '
                "risk_reports p ON p.id = r.report_id WHERE r.level <= 2 GROUP BY CAST(date_trunc('month', "
                "p.submitted_at) AS date), p.city_adcode, p.county_adcode, coalesce(r.catalogue_code, ''), r.name, "
                'r.level'],
 'sqlite': ['DELETE FROM report_day_cells',
            'INSERT INTO report_day_cells (fact, month, city_adcode, county_adcode, n, a, b, amount_fen) SELECT '
            "'first_required' AS fact, date(r.submitted_at) AS month, r.city_adcode, r.county_adcode, count(*) AS "
            'n, sum(0) AS a, sum(0) AS b, sum(0) AS amount_fen FROM risk_reports r WHERE r.first_for_required '
            'GROUP BY date(r.submitted_at), r.city_adcode, r.county_adcode',
            'DELETE FROM catalogue_cells',
            'INSERT INTO catalogue_cells (fact, month, city_adcode, county_adcode, catalogue_code, name, level, n, '
            "a, b, amount_fen) SELECT 'major_items' AS fact, date(p.submitted_at, 'start of month') AS month, "
            "p.city_adcode AS city_adcode, p.county_adcode AS county_adcode, coalesce(r.catalogue_code, '') AS "
            'catalogue_code, r.name AS name, r.level AS level, count(*) AS n, sum(0) AS a, sum(0) AS b, sum(0) AS '
            'amount_fen FROM risk_items r JOIN risk_reports p ON p.id = r.report_id WHERE r.level <= 2 GROUP BY '
            "date(p.submitted_at, 'start of month'), p.city_adcode, p.county_adcode, coalesce(r.catalogue_code, "
            "''), r.name, r.level"]}
CREATE = {'postgresql': ['CREATE OR REPLACE FUNCTION oversight_day_cells_risk_reports() RETURNS trigger LANGUAGE plpgsql AS '
                '$$\n'
                'BEGIN\n'
                "  IF TG_OP = 'UPDATE' AND NOT (NEW.submitted_at IS DISTINCT FROM OLD.submitted_at OR "
                'NEW.city_adcode IS DISTINCT FROM OLD.city_adcode OR NEW.county_adcode IS DISTINCT FROM '
                'OLD.county_adcode OR NEW.first_for_required IS DISTINCT FROM OLD.first_for_required) THEN RETURN '
                'NULL; END IF;\n'
                "  IF TG_OP <> 'INSERT' THEN\n"
                '    INSERT INTO report_day_cells (fact, month, city_adcode, county_adcode, n, a, b, amount_fen) '
                "SELECT 'first_required', CAST(OLD.submitted_at AS date), OLD.city_adcode, OLD.county_adcode, -1, "
                '-0, -0, -0 WHERE OLD.first_for_required ON CONFLICT (fact, month, city_adcode, county_adcode) DO '
                'UPDATE SET n = report_day_cells.n + excluded.n, a = report_day_cells.a + excluded.a, b = '
                'report_day_cells.b + excluded.b, amount_fen = report_day_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                "  IF TG_OP <> 'DELETE' THEN\n"
                '    INSERT INTO report_day_cells (fact, month, city_adcode, county_adcode, n, a, b, amount_fen) '
                "SELECT 'first_required', CAST(NEW.submitted_at AS date), NEW.city_adcode, NEW.county_adcode, 1, "
                '0, 0, 0 WHERE NEW.first_for_required ON CONFLICT (fact, month, city_adcode, county_adcode) DO '
                'UPDATE SET n = report_day_cells.n + excluded.n, a = report_day_cells.a + excluded.a, b = '
                'report_day_cells.b + excluded.b, amount_fen = report_day_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER trg_day_cells_risk_reports AFTER INSERT OR DELETE OR UPDATE OF submitted_at, '
                'city_adcode, county_adcode, first_for_required ON risk_reports FOR EACH ROW EXECUTE FUNCTION '
                'oversight_day_cells_risk_reports()',
                'CREATE OR REPLACE FUNCTION oversight_cat_cells_risk_items() RETURNS trigger LANGUAGE plpgsql AS '
                '$$\n'
                'BEGIN\n'
                "  IF TG_OP = 'UPDATE' AND NOT (NEW.report_id IS DISTINCT FROM OLD.report_id OR NEW.catalogue_code "
                'IS DISTINCT FROM OLD.catalogue_code OR NEW.name IS DISTINCT FROM OLD.name OR NEW.level IS '
                'DISTINCT FROM OLD.level) THEN RETURN NULL; END IF;\n'
                "  IF TG_OP <> 'INSERT' THEN\n"
                '    PERFORM 1 FROM risk_reports WHERE id = OLD.report_id FOR SHARE;\n'
                '    INSERT INTO catalogue_cells (fact, month, city_adcode, county_adcode, catalogue_code, name, '
                "level, n, a, b, amount_fen) SELECT 'major_items', CAST(date_trunc('month', p.submitted_at) AS "
                "date), p.city_adcode, p.county_adcode, coalesce(OLD.catalogue_code, ''), OLD.name, OLD.level, -1, "
                '-0, -0, -0 FROM risk_reports p WHERE p.id = OLD.report_id AND OLD.level <= 2 ON CONFLICT (fact, '
                'month, city_adcode, county_adcode, catalogue_code, name, level) DO UPDATE SET n = '
                'catalogue_cells.n + excluded.n, a = catalogue_cells.a + excluded.a, b = catalogue_cells.b + '
                'excluded.b, amount_fen = catalogue_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                "  IF TG_OP <> 'DELETE' THEN\n"
                '    PERFORM 1 FROM risk_reports WHERE id = NEW.report_id FOR SHARE;\n'
                '    INSERT INTO catalogue_cells (fact, month, city_adcode, county_adcode, catalogue_code, name, '
                "level, n, a, b, amount_fen) SELECT 'major_items', CAST(date_trunc('month', p.submitted_at) AS "
                "date), p.city_adcode, p.county_adcode, coalesce(NEW.catalogue_code, ''), NEW.name, NEW.level, 1, "
                '0, 0, 0 FROM risk_reports p WHERE p.id = NEW.report_id AND NEW.level <= 2 ON CONFLICT (fact, '
                'month, city_adcode, county_adcode, catalogue_code, name, level) DO UPDATE SET n = '
                'catalogue_cells.n + excluded.n, a = catalogue_cells.a + excluded.a, b = catalogue_cells.b + '
                'excluded.b, amount_fen = catalogue_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER trg_cat_cells_risk_items AFTER INSERT OR DELETE OR UPDATE OF report_id, '
                'catalogue_code, name, level ON risk_items FOR EACH ROW EXECUTE FUNCTION '
                'oversight_cat_cells_risk_items()',
                'CREATE OR REPLACE FUNCTION oversight_cat_cells_risk_reports() RETURNS trigger LANGUAGE plpgsql AS '
                '$$\n'
                'BEGIN\n'
                "  IF TG_OP = 'UPDATE' AND NOT (NEW.submitted_at IS DISTINCT FROM OLD.submitted_at OR "
                'NEW.city_adcode IS DISTINCT FROM OLD.city_adcode OR NEW.county_adcode IS DISTINCT FROM '
                'OLD.county_adcode) THEN RETURN NULL; END IF;\n'
                "  IF TG_OP <> 'INSERT' THEN\n"
                '    INSERT INTO catalogue_cells (fact, month, city_adcode, county_adcode, catalogue_code, name, '
                "level, n, a, b, amount_fen) SELECT 'major_items', CAST(date_trunc('month', OLD.submitted_at) AS "
                "date), OLD.city_adcode, OLD.county_adcode, coalesce(r.catalogue_code, ''), r.name, r.level, "
                '-count(*), -sum(0), -sum(0), -sum(0) FROM risk_items r WHERE r.report_id = OLD.id AND r.level <= '
                "2 GROUP BY coalesce(r.catalogue_code, ''), r.name, r.level ON CONFLICT (fact, month, city_adcode, "
                'county_adcode, catalogue_code, name, level) DO UPDATE SET n = catalogue_cells.n + excluded.n, a = '
                'catalogue_cells.a + excluded.a, b = catalogue_cells.b + excluded.b, amount_fen = '
                'catalogue_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                "  IF TG_OP <> 'DELETE' THEN\n"
                '    INSERT INTO catalogue_cells (fact, month, city_adcode, county_adcode, catalogue_code, name, '
                "level, n, a, b, amount_fen) SELECT 'major_items', CAST(date_trunc('month', NEW.submitted_at) AS "
                "date), NEW.city_adcode, NEW.county_adcode, coalesce(r.catalogue_code, ''), r.name, r.level, "
                'count(*), sum(0), sum(0), sum(0) FROM risk_items r WHERE r.report_id = NEW.id AND r.level <= 2 '
                "GROUP BY coalesce(r.catalogue_code, ''), r.name, r.level ON CONFLICT (fact, month, city_adcode, "
                'county_adcode, catalogue_code, name, level) DO UPDATE SET n = catalogue_cells.n + excluded.n, a = '
                'catalogue_cells.a + excluded.a, b = catalogue_cells.b + excluded.b, amount_fen = '
                'catalogue_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER trg_cat_cells_risk_reports AFTER INSERT OR DELETE OR UPDATE OF submitted_at, '
                'city_adcode, county_adcode ON risk_reports FOR EACH ROW EXECUTE FUNCTION '
                'oversight_cat_cells_risk_reports()'],
 'sqlite': ['CREATE TRIGGER trg_day_cells_risk_reports_ins AFTER INSERT ON risk_reports BEGIN INSERT INTO '
            'report_day_cells (fact, month, city_adcode, county_adcode, n, a, b, amount_fen) SELECT '
            "'first_required', date(NEW.submitted_at), NEW.city_adcode, NEW.county_adcode, 1, 0, 0, 0 WHERE "
            'NEW.first_for_required ON CONFLICT (fact, month, city_adcode, county_adcode) DO UPDATE SET n = '
            'report_day_cells.n + excluded.n, a = report_day_cells.a + excluded.a, b = report_day_cells.b + '
            'excluded.b, amount_fen = report_day_cells.amount_fen + excluded.amount_fen; END',
            'CREATE TRIGGER trg_day_cells_risk_reports_del AFTER DELETE ON risk_reports BEGIN INSERT INTO '
            'report_day_cells (fact, month, city_adcode, county_adcode, n, a, b, amount_fen) SELECT '
            "'first_required', date(OLD.submitted_at), OLD.city_adcode, OLD.county_adcode, -1, -0, -0, -0 WHERE "
            'OLD.first_for_required ON CONFLICT (fact, month, city_adcode, county_adcode) DO UPDATE SET n = '
            'report_day_cells.n + excluded.n, a = report_day_cells.a + excluded.a, b = report_day_cells.b + '
            'excluded.b, amount_fen = report_day_cells.amount_fen + excluded.amount_fen; END',
            'CREATE TRIGGER trg_day_cells_risk_reports_upd AFTER UPDATE OF submitted_at, city_adcode, '
            'county_adcode, first_for_required ON risk_reports BEGIN INSERT INTO report_day_cells (fact, month, '
            "city_adcode, county_adcode, n, a, b, amount_fen) SELECT 'first_required', date(OLD.submitted_at), "
            'OLD.city_adcode, OLD.county_adcode, -1, -0, -0, -0 WHERE OLD.first_for_required ON CONFLICT (fact, '
            'month, city_adcode, county_adcode) DO UPDATE SET n = report_day_cells.n + excluded.n, a = '
            'report_day_cells.a + excluded.a, b = report_day_cells.b + excluded.b, amount_fen = '
            'report_day_cells.amount_fen + excluded.amount_fen; INSERT INTO report_day_cells (fact, month, '
            "city_adcode, county_adcode, n, a, b, amount_fen) SELECT 'first_required', date(NEW.submitted_at), "
            'NEW.city_adcode, NEW.county_adcode, 1, 0, 0, 0 WHERE NEW.first_for_required ON CONFLICT (fact, month, '
            'city_adcode, county_adcode) DO UPDATE SET n = report_day_cells.n + excluded.n, a = report_day_cells.a '
            '+ excluded.a, b = report_day_cells.b + excluded.b, amount_fen = report_day_cells.amount_fen + '
            'excluded.amount_fen; END',
            'CREATE TRIGGER trg_cat_cells_risk_items_ins AFTER INSERT ON risk_items BEGIN INSERT INTO '
            'catalogue_cells (fact, month, city_adcode, county_adcode, catalogue_code, name, level, n, a, b, '
            "amount_fen) SELECT 'major_items', date(p.submitted_at, 'start of month'), p.city_adcode, "
            "p.county_adcode, coalesce(NEW.catalogue_code, ''), NEW.name, NEW.level, 1, 0, 0, 0 FROM risk_reports "
            'p WHERE p.id = NEW.report_id AND NEW.level <= 2 ON CONFLICT (fact, month, city_adcode, county_adcode, '
            'catalogue_code, name, level) DO UPDATE SET n = catalogue_cells.n + excluded.n, a = catalogue_cells.a '
            '+ excluded.a, b = catalogue_cells.b + excluded.b, amount_fen = catalogue_cells.amount_fen + '
            'excluded.amount_fen; END',
            'CREATE TRIGGER trg_cat_cells_risk_items_del AFTER DELETE ON risk_items BEGIN INSERT INTO '
            'catalogue_cells (fact, month, city_adcode, county_adcode, catalogue_code, name, level, n, a, b, '
            "amount_fen) SELECT 'major_items', date(p.submitted_at, 'start of month'), p.city_adcode, "
            "p.county_adcode, coalesce(OLD.catalogue_code, ''), OLD.name, OLD.level, -1, -0, -0, -0 FROM "
            'risk_reports p WHERE p.id = OLD.report_id AND OLD.level <= 2 ON CONFLICT (fact, month, city_adcode, '
            'county_adcode, catalogue_code, name, level) DO UPDATE SET n = catalogue_cells.n + excluded.n, a = '
            'catalogue_cells.a + excluded.a, b = catalogue_cells.b + excluded.b, amount_fen = '
            'catalogue_cells.amount_fen + excluded.amount_fen; END',
            'CREATE TRIGGER trg_cat_cells_risk_items_upd AFTER UPDATE OF report_id, catalogue_code, name, level ON '
            'risk_items BEGIN INSERT INTO catalogue_cells (fact, month, city_adcode, county_adcode, '
            "catalogue_code, name, level, n, a, b, amount_fen) SELECT 'major_items', date(p.submitted_at, 'start "
            "of month'), p.city_adcode, p.county_adcode, coalesce(OLD.catalogue_code, ''), OLD.name, OLD.level, "
            '-1, -0, -0, -0 FROM risk_reports p WHERE p.id = OLD.report_id AND OLD.level <= 2 ON CONFLICT (fact, '
            'month, city_adcode, county_adcode, catalogue_code, name, level) DO UPDATE SET n = catalogue_cells.n + '
            'excluded.n, a = catalogue_cells.a + excluded.a, b = catalogue_cells.b + excluded.b, amount_fen = '
            'catalogue_cells.amount_fen + excluded.amount_fen; INSERT INTO catalogue_cells (fact, month, '
            "city_adcode, county_adcode, catalogue_code, name, level, n, a, b, amount_fen) SELECT 'major_items', "
            "date(p.submitted_at, 'start of month'), p.city_adcode, p.county_adcode, coalesce(NEW.catalogue_code, "
            "''), NEW.name, NEW.level, 1, 0, 0, 0 FROM risk_reports p WHERE p.id = NEW.report_id AND NEW.level <= "
            '2 ON CONFLICT (fact, month, city_adcode, county_adcode, catalogue_code, name, level) DO UPDATE SET n '
            '= catalogue_cells.n + excluded.n, a = catalogue_cells.a + excluded.a, b = catalogue_cells.b + '
            'excluded.b, amount_fen = catalogue_cells.amount_fen + excluded.amount_fen; END',
            'CREATE TRIGGER trg_cat_cells_risk_reports_ins AFTER INSERT ON risk_reports BEGIN INSERT INTO '
            'catalogue_cells (fact, month, city_adcode, county_adcode, catalogue_code, name, level, n, a, b, '
            "amount_fen) SELECT 'major_items', date(NEW.submitted_at, 'start of month'), NEW.city_adcode, "
            "NEW.county_adcode, coalesce(r.catalogue_code, ''), r.name, r.level, count(*), sum(0), sum(0), sum(0) "
            'FROM risk_items r WHERE r.report_id = NEW.id AND r.level <= 2 GROUP BY coalesce(r.catalogue_code, '
            "''), r.name, r.level ON CONFLICT (fact, month, city_adcode, county_adcode, catalogue_code, name, "
            'level) DO UPDATE SET n = catalogue_cells.n + excluded.n, a = catalogue_cells.a + excluded.a, b = '
            'catalogue_cells.b + excluded.b, amount_fen = catalogue_cells.amount_fen + excluded.amount_fen; END',
            'CREATE TRIGGER trg_cat_cells_risk_reports_del AFTER DELETE ON risk_reports BEGIN INSERT INTO '
            'catalogue_cells (fact, month, city_adcode, county_adcode, catalogue_code, name, level, n, a, b, '
            "amount_fen) SELECT 'major_items', date(OLD.submitted_at, 'start of month'), OLD.city_adcode, "
            "OLD.county_adcode, coalesce(r.catalogue_code, ''), r.name, r.level, -count(*), -sum(0), -sum(0), "
            '-sum(0) FROM risk_items r WHERE r.report_id = OLD.id AND r.level <= 2 GROUP BY '
            "coalesce(r.catalogue_code, ''), r.name, r.level ON CONFLICT (fact, month, city_adcode, county_adcode, "
            'catalogue_code, name, level) DO UPDATE SET n = catalogue_cells.n + excluded.n, a = catalogue_cells.a '
            '+ excluded.a, b = catalogue_cells.b + excluded.b, amount_fen = catalogue_cells.amount_fen + '
            'excluded.amount_fen; END',
            'CREATE TRIGGER trg_cat_cells_risk_reports_upd AFTER UPDATE OF submitted_at, city_adcode, '
            'county_adcode ON risk_reports BEGIN INSERT INTO catalogue_cells (fact, month, city_adcode, '
            "county_adcode, catalogue_code, name, level, n, a, b, amount_fen) SELECT 'major_items', "
            "date(OLD.submitted_at, 'start of month'), OLD.city_adcode, OLD.county_adcode, "
            "coalesce(r.catalogue_code, ''), r.name, r.level, -count(*), -sum(0), -sum(0), -sum(0) FROM risk_items "
            "r WHERE r.report_id = OLD.id AND r.level <= 2 GROUP BY coalesce(r.catalogue_code, ''), r.name, "
            'r.level ON CONFLICT (fact, month, city_adcode, county_adcode, catalogue_code, name, level) DO UPDATE '
            'SET n = catalogue_cells.n + excluded.n, a = catalogue_cells.a + excluded.a, b = catalogue_cells.b + '
            'excluded.b, amount_fen = catalogue_cells.amount_fen + excluded.amount_fen; INSERT INTO '
            'catalogue_cells (fact, month, city_adcode, county_adcode, catalogue_code, name, level, n, a, b, '
            "amount_fen) SELECT 'major_items', date(NEW.submitted_at, 'start of month'), NEW.city_adcode, "
            "NEW.county_adcode, coalesce(r.catalogue_code, ''), r.name, r.level, count(*), sum(0), sum(0), sum(0) "
            'FROM risk_items r WHERE r.report_id = NEW.id AND r.level <= 2 GROUP BY coalesce(r.catalogue_code, '
            "''), r.name, r.level ON CONFLICT (fact, month, city_adcode, county_adcode, catalogue_code, name, "
            'level) DO UPDATE SET n = catalogue_cells.n + excluded.n, a = catalogue_cells.a + excluded.a, b = '
            'catalogue_cells.b + excluded.b, amount_fen = catalogue_cells.amount_fen + excluded.amount_fen; END']}
DROP = {'postgresql': ['DROP TRIGGER IF EXISTS trg_day_cells_risk_reports ON risk_reports',
                'DROP FUNCTION IF EXISTS oversight_day_cells_risk_reports()',
                'DROP TRIGGER IF EXISTS trg_cat_cells_risk_items ON risk_items',
                'DROP FUNCTION IF EXISTS oversight_cat_cells_risk_items()',
                'DROP TRIGGER IF EXISTS trg_cat_cells_risk_reports ON risk_reports',
                'DROP FUNCTION IF EXISTS oversight_cat_cells_risk_reports()'],
 'sqlite': ['DROP TRIGGER IF EXISTS trg_day_cells_risk_reports_ins',
            'DROP TRIGGER IF EXISTS trg_day_cells_risk_reports_del',
            'DROP TRIGGER IF EXISTS trg_day_cells_risk_reports_upd',
            'DROP TRIGGER IF EXISTS trg_cat_cells_risk_items_ins',
            'DROP TRIGGER IF EXISTS trg_cat_cells_risk_items_del',
            'DROP TRIGGER IF EXISTS trg_cat_cells_risk_items_upd',
            'DROP TRIGGER IF EXISTS trg_cat_cells_risk_reports_ins',
            'DROP TRIGGER IF EXISTS trg_cat_cells_risk_reports_del',
            'DROP TRIGGER IF EXISTS trg_cat_cells_risk_reports_upd']}


def _cells(name: str, *extra_key) -> None:
    op.create_table(
        name,
        sa.Column('fact', sa.String(16), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('city_adcode', sa.Integer(), nullable=False),
        sa.Column('county_adcode', sa.Integer(), nullable=False),
        *extra_key,
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('a', sa.Integer(), nullable=False),
        sa.Column('b', sa.Integer(), nullable=False),
        sa.Column('amount_fen', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('fact', 'month', 'city_adcode', 'county_adcode', *(c.name for c in extra_key)),
    )
    op.create_index(f'ix_{name}_city', name, ['fact', 'city_adcode', 'month'])


def upgrade() -> None:
    _cells('report_day_cells')
    _cells('catalogue_cells', sa.Column('catalogue_code', sa.String(16), nullable=False),
           sa.Column('name', sa.String(128), nullable=False), sa.Column('level', sa.Integer(), nullable=False))
    op.create_index('ix_risk_reports_submitted', 'risk_reports', ['submitted_at'])
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":  # no report or item may slip in between the rebuild and the triggers
        conn.exec_driver_sql("LOCK TABLE risk_reports, risk_items IN SHARE ROW EXCLUSIVE MODE")
    for stmt in REBUILD[conn.dialect.name] + CREATE[conn.dialect.name]:
        conn.exec_driver_sql(stmt)
    if conn.dialect.name == "postgresql":  # statistics for the planner (a new table has none: it would guess 4 rows)
        conn.exec_driver_sql("ANALYZE report_day_cells, catalogue_cells")


def downgrade() -> None:
    conn = op.get_bind()
    for stmt in DROP[conn.dialect.name]:
        conn.exec_driver_sql(stmt)
    op.drop_index('ix_risk_reports_submitted', table_name='risk_reports')
    for name in ('catalogue_cells', 'report_day_cells'):
        op.drop_index(f'ix_{name}_city', table_name=name)
        op.drop_table(name)
