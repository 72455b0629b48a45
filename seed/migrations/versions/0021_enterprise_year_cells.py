"""hidden hazards per enterprise and calendar year in the maintained aggregates (seed.cells ``ENTERPRISE_YEAR``):
enterprise_year_cells, an enterprise's hazards found in a year (in any region or industry), with an index by their
count, the bound of the enterprises with the most hazards in a period (a sum over every enterprise with a hazard in
the period otherwise: ~600 ms at three times the province); an index of the enterprises' monthly cells by
enterprise (the candidates' sums); the trigger on hidden_hazards that keeps the years exact; their cells built from
the hazards

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 14:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

# Frozen at revision 0021 (generated from seed.cells of that revision; never edit: a later change of the cells or
# their triggers is a new migration).
REBUILD = {'postgresql': ['DELETE FROM enterprise_year_cells',
                'INSERT INTO enterprise_year_cells (fact, month, enterprise_id, n, a, b, amount_fen) SELECT '
                "'hazards_year' AS fact, CAST(date_trunc('year', r.found_on) AS date) AS month, r.enterprise_id, "
                'count(*) AS n, sum(0) AS a, sum(0) AS b, sum(0) AS amount_fen FROM hidden_hazards r GROUP BY '
                "CAST(date_trunc('year', r.found_on) AS date), r.enterprise_id"],
 'sqlite': ['DELETE FROM enterprise_year_cells',
            'INSERT INTO enterprise_year_cells (fact, month, enterprise_id, n, a, b, amount_fen) SELECT '
            "'hazards_year' AS fact, date(r.found_on, 'start of year') AS month, r.enterprise_id, count(*) AS n, "
            "sum(0) AS a, sum(0) AS b, sum(0) AS amount_fen FROM hidden_hazards r GROUP BY date(r.found_on, 'start "
            "of year'), r.enterprise_id"]}
CREATE = {'postgresql': ['CREATE OR REPLACE FUNCTION oversight_ent_year_cells_hidden_hazards() RETURNS trigger LANGUAGE '
                'plpgsql AS $$\n'
                'BEGIN\n'
                "  IF TG_OP = 'UPDATE' AND NOT (NEW.found_on IS DISTINCT FROM OLD.found_on OR NEW.enterprise_id IS "
                'DISTINCT FROM OLD.enterprise_id) THEN RETURN NULL; END IF;\n'
                "  IF TG_OP <> 'INSERT' THEN\n"
                '    INSERT INTO enterprise_year_cells (fact, month, enterprise_id, n, a, b, amount_fen) SELECT '
                "'hazards_year', CAST(date_trunc('year', OLD.found_on) AS date), OLD.enterprise_id, -1, -0, -0, -0 "
                'WHERE 1 = 1 ON CONFLICT (fact, month, enterprise_id) DO UPDATE SET n = enterprise_year_cells.n + '
                'excluded.n, a = enterprise_year_cells.a + excluded.a, b = enterprise_year_cells.b + excluded.b, '
                'amount_fen = enterprise_year_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                "  IF TG_OP <> 'DELETE' THEN\n"
                '    INSERT INTO enterprise_year_cells (fact, month, enterprise_id, n, a, b, amount_fen) SELECT '
                "'hazards_year', CAST(date_trunc('year', NEW.found_on) AS date), NEW.enterprise_id, 1, 0, 0, 0 "
                'WHERE 1 = 1 ON CONFLICT (fact, month, enterprise_id) DO UPDATE SET n = enterprise_year_cells.n + '
                'excluded.n, a = enterprise_year_cells.a + excluded.a, b = enterprise_year_cells.b + excluded.b, '
                'amount_fen = enterprise_year_cells.amount_fen + excluded.amount_fen;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER trg_ent_year_cells_hidden_hazards AFTER INSERT OR DELETE OR UPDATE OF found_on, '
                'enterprise_id ON hidden_hazards FOR EACH ROW EXECUTE FUNCTION '
                'oversight_ent_year_cells_hidden_hazards()'],
 'sqlite': ['CREATE TRIGGER trg_ent_year_cells_hidden_hazards_ins AFTER INSERT ON hidden_hazards BEGIN INSERT INTO '
            "enterprise_year_cells (fact, month, enterprise_id, n, a, b, amount_fen) SELECT 'hazards_year', "
            "date(NEW.found_on, 'start of year'), NEW.enterprise_id, 1, 0, 0, 0 WHERE 1 = 1 ON CONFLICT (fact, "
            'month, enterprise_id) DO UPDATE SET n = enterprise_year_cells.n + excluded.n, a = '
            'enterprise_year_cells.a + excluded.a, b = enterprise_year_cells.b + excluded.b, amount_fen = '
            'enterprise_year_cells.amount_fen + excluded.amount_fen; END',
            'CREATE TRIGGER trg_ent_year_cells_hidden_hazards_del AFTER DELETE ON hidden_hazards BEGIN INSERT INTO '
            "enterprise_year_cells (fact, month, enterprise_id, n, a, b, amount_fen) SELECT 'hazards_year', "
            "date(OLD.found_on, 'start of year'), OLD.enterprise_id, -1, -0, -0, -0 WHERE 1 = 1 ON CONFLICT (fact, "
            'month, enterprise_id) DO UPDATE SET n = enterprise_year_cells.n + excluded.n, a = '
            'enterprise_year_cells.a + excluded.a, b = enterprise_year_cells.b + excluded.b, amount_fen = '
            'enterprise_year_cells.amount_fen + excluded.amount_fen; END',
            'CREATE TRIGGER trg_ent_year_cells_hidden_hazards_upd AFTER UPDATE OF found_on, enterprise_id ON '
            'hidden_hazards BEGIN INSERT INTO enterprise_year_cells (fact, month, enterprise_id, n, a, b, '
            "amount_fen) SELECT 'hazards_year', date(OLD.found_on, 'start of year'), OLD.enterprise_id, -1, -0, "
            '-0, -0 WHERE 1 = 1 ON CONFLICT (fact, month, enterprise_id) DO UPDATE SET n = enterprise_year_cells.n '
            '+ excluded.n, a = enterprise_year_cells.a + excluded.a, b = enterprise_year_cells.b + excluded.b, '
            'amount_fen = enterprise_year_cells.amount_fen + excluded.amount_fen; INSERT INTO '
            "enterprise_year_cells (fact, month, enterprise_id, n, a, b, amount_fen) SELECT 'hazards_year', "
            "date(NEW.found_on, 'start of year'), NEW.enterprise_id, 1, 0, 0, 0 WHERE 1 = 1 ON CONFLICT (fact, "
            'month, enterprise_id) DO UPDATE SET n = enterprise_year_cells.n + excluded.n, a = '
            'enterprise_year_cells.a + excluded.a, b = enterprise_year_cells.b + excluded.b, amount_fen = '
            'enterprise_year_cells.amount_fen + excluded.amount_fen; END']}
DROP = {'postgresql': ['DROP TRIGGER IF EXISTS trg_ent_year_cells_hidden_hazards ON hidden_hazards',
                'DROP FUNCTION IF EXISTS oversight_ent_year_cells_hidden_hazards()'],
 'sqlite': ['DROP TRIGGER IF EXISTS trg_ent_year_cells_hidden_hazards_ins',
            'DROP TRIGGER IF EXISTS trg_ent_year_cells_hidden_hazards_del',
            'DROP TRIGGER IF EXISTS trg_ent_year_cells_hidden_hazards_upd']}


def upgrade() -> None:
    op.create_table(
        'enterprise_year_cells',
        sa.Column('fact', sa.String(16), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('a', sa.Integer(), nullable=False),
        sa.Column('b', sa.Integer(), nullable=False),
        sa.Column('amount_fen', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('fact', 'month', 'enterprise_id'),
    )
    op.create_index('ix_enterprise_year_cells_n', 'enterprise_year_cells', ['fact', 'month', 'n'])
    op.create_index('ix_enterprise_cells_enterprise', 'enterprise_cells', ['fact', 'enterprise_id', 'month'])
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":  # no hazard may slip in between the rebuild's snapshot and the trigger
        conn.exec_driver_sql("LOCK TABLE hidden_hazards IN SHARE ROW EXCLUSIVE MODE")
    for stmt in REBUILD[conn.dialect.name] + CREATE[conn.dialect.name]:
        conn.exec_driver_sql(stmt)
    if conn.dialect.name == "postgresql":  # statistics for the planner (a new table has none: it would guess 4 rows)
        conn.exec_driver_sql("ANALYZE enterprise_year_cells")


def downgrade() -> None:
    conn = op.get_bind()
    for stmt in DROP[conn.dialect.name]:
        conn.exec_driver_sql(stmt)
    op.drop_index('ix_enterprise_cells_enterprise', table_name='enterprise_cells')
    op.drop_index('ix_enterprise_year_cells_n', table_name='enterprise_year_cells')
    op.drop_table('enterprise_year_cells')
