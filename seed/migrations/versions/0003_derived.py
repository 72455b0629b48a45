"""derived columns for province-scale pages (seed.derived): each inspection's previous inspection of the
enterprise (overall, by department) and whether it is the first in its campaign; when a credit rating was
superseded; each risk report's place among its obligation's reports and its item counts; the triggers that keep
them exact; indexes for the per-enterprise recomputation and for the newest recorded time; on PostgreSQL,
room on point_state's pages for in-place (HOT) updates of the latest value of every point

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 19:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

COLUMNS = [
    ('inspections', sa.Column('prev_on', sa.Date(), nullable=True)),
    ('inspections', sa.Column('prev_dept_on', sa.Date(), nullable=True)),
    ('inspections', sa.Column('first_in_campaign', sa.Boolean(), nullable=False, server_default=sa.false())),
    ('credit_ratings', sa.Column('superseded_on', sa.Date(), nullable=True)),
    ('risk_reports', sa.Column('first_for_obligation', sa.Boolean(), nullable=False, server_default=sa.false())),
    ('risk_reports', sa.Column('first_for_required', sa.Boolean(), nullable=False, server_default=sa.false())),
    ('risk_reports', sa.Column('items_total', sa.Integer(), nullable=False, server_default='0')),
    ('risk_reports', sa.Column('items_major_or_above', sa.Integer(), nullable=False, server_default='0')),
    ('risk_reports', sa.Column('items_major', sa.Integer(), nullable=False, server_default='0')),
]
INDEXES = [
    ('ix_inspections_enterprise', 'inspections', ['enterprise_id', 'inspected_on']),
    ('ix_inspections_recorded_at', 'inspections', ['recorded_at']),
    ('ix_credit_ratings_recorded_at', 'credit_ratings', ['recorded_at']),
    ('ix_risk_reports_recorded_at', 'risk_reports', ['recorded_at']),
]

# Frozen at revision 0003 (generated from the derived-column code of that revision; never edit: a later
# change of the triggers is a new migration).
REFRESH = ['WITH w AS (SELECT id, lag(inspected_on) OVER (PARTITION BY enterprise_id ORDER BY inspected_on, id) AS p, '
 'lag(inspected_on) OVER (PARTITION BY enterprise_id, department ORDER BY inspected_on, id) AS pd, row_number() '
 'OVER (PARTITION BY enterprise_id, campaign_id ORDER BY inspected_on, id) AS rn FROM inspections) UPDATE '
 'inspections SET prev_on = w.p, prev_dept_on = w.pd, first_in_campaign = (inspections.campaign_id IS NOT NULL AND '
 'w.rn = 1) FROM w WHERE w.id = inspections.id',
 'WITH w AS (SELECT id, lead(rated_on) OVER (PARTITION BY enterprise_id ORDER BY rated_on, id) AS nx FROM '
 'credit_ratings) UPDATE credit_ratings SET superseded_on = w.nx FROM w WHERE w.id = credit_ratings.id',
 'WITH w AS (SELECT id, row_number() OVER (PARTITION BY obligation_id ORDER BY submitted_at, id) AS rn FROM '
 'risk_reports) UPDATE risk_reports SET first_for_obligation = (w.rn = 1), first_for_required = (w.rn = 1 AND '
 "EXISTS (SELECT 1 FROM risk_obligations o WHERE o.id = risk_reports.obligation_id AND o.kind = 'initial' AND "
 'o.above_scale = TRUE)) FROM w WHERE w.id = risk_reports.id',
 'UPDATE risk_reports SET items_total = 0, items_major_or_above = 0, items_major = 0 WHERE items_total <> 0 OR '
 'items_major_or_above <> 0 OR items_major <> 0',
 'WITH a AS (SELECT report_id, count(*) AS n, sum(CASE WHEN level <= 2 THEN 1 ELSE 0 END) AS b, sum(CASE WHEN '
 'level = 1 THEN 1 ELSE 0 END) AS c FROM risk_items GROUP BY report_id) UPDATE risk_reports SET items_total = a.n, '
 'items_major_or_above = a.b, items_major = a.c FROM a WHERE a.report_id = risk_reports.id']
CREATE = {'postgresql': ['CREATE OR REPLACE FUNCTION oversight_derive_inspections() RETURNS trigger LANGUAGE plpgsql AS $$\n'
                'BEGIN\n'
                "  IF TG_OP = 'UPDATE' AND NOT (NEW.enterprise_id IS DISTINCT FROM OLD.enterprise_id OR "
                'NEW.inspected_on IS DISTINCT FROM OLD.inspected_on OR NEW.department IS DISTINCT FROM '
                'OLD.department OR NEW.campaign_id IS DISTINCT FROM OLD.campaign_id) THEN RETURN NULL; END IF;\n'
                "  IF TG_OP <> 'INSERT' THEN UPDATE inspections SET prev_on = (SELECT max(p.inspected_on) FROM "
                'inspections p WHERE p.enterprise_id = inspections.enterprise_id AND (p.inspected_on < '
                'inspections.inspected_on OR (p.inspected_on = inspections.inspected_on AND p.id < '
                'inspections.id))), prev_dept_on = (SELECT max(p.inspected_on) FROM inspections p WHERE '
                'p.enterprise_id = inspections.enterprise_id AND p.department = inspections.department AND '
                '(p.inspected_on < inspections.inspected_on OR (p.inspected_on = inspections.inspected_on AND p.id '
                '< inspections.id))), first_in_campaign = (inspections.campaign_id IS NOT NULL AND NOT EXISTS '
                '(SELECT 1 FROM inspections p WHERE p.enterprise_id = inspections.enterprise_id AND p.campaign_id '
                '= inspections.campaign_id AND (p.inspected_on < inspections.inspected_on OR (p.inspected_on = '
                'inspections.inspected_on AND p.id < inspections.id)))) WHERE enterprise_id = OLD.enterprise_id; '
                'END IF;\n'
                "  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.enterprise_id IS DISTINCT FROM "
                'OLD.enterprise_id) THEN\n'
                '    UPDATE inspections SET prev_on = (SELECT max(p.inspected_on) FROM inspections p WHERE '
                'p.enterprise_id = inspections.enterprise_id AND (p.inspected_on < inspections.inspected_on OR '
                '(p.inspected_on = inspections.inspected_on AND p.id < inspections.id))), prev_dept_on = (SELECT '
                'max(p.inspected_on) FROM inspections p WHERE p.enterprise_id = inspections.enterprise_id AND '
                'p.department = inspections.department AND (p.inspected_on < inspections.inspected_on OR '
                '(p.inspected_on = inspections.inspected_on AND p.id < inspections.id))), first_in_campaign = '
                '(inspections.campaign_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM inspections p WHERE '
                'p.enterprise_id = inspections.enterprise_id AND p.campaign_id = inspections.campaign_id AND '
                '(p.inspected_on < inspections.inspected_on OR (p.inspected_on = inspections.inspected_on AND p.id '
                '< inspections.id)))) WHERE enterprise_id = NEW.enterprise_id;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER trg_derive_inspections AFTER INSERT OR DELETE OR UPDATE OF enterprise_id, '
                'inspected_on, department, campaign_id ON inspections FOR EACH ROW EXECUTE FUNCTION '
                'oversight_derive_inspections()',
                'CREATE OR REPLACE FUNCTION oversight_derive_credit_ratings() RETURNS trigger LANGUAGE plpgsql AS '
                '$$\n'
                'BEGIN\n'
                "  IF TG_OP = 'UPDATE' AND NOT (NEW.enterprise_id IS DISTINCT FROM OLD.enterprise_id OR "
                'NEW.rated_on IS DISTINCT FROM OLD.rated_on) THEN RETURN NULL; END IF;\n'
                "  IF TG_OP <> 'INSERT' THEN UPDATE credit_ratings SET superseded_on = (SELECT min(n.rated_on) "
                'FROM credit_ratings n WHERE n.enterprise_id = credit_ratings.enterprise_id AND (n.rated_on > '
                'credit_ratings.rated_on OR (n.rated_on = credit_ratings.rated_on AND n.id > credit_ratings.id))) '
                'WHERE enterprise_id = OLD.enterprise_id; END IF;\n'
                "  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.enterprise_id IS DISTINCT FROM "
                'OLD.enterprise_id) THEN\n'
                '    UPDATE credit_ratings SET superseded_on = (SELECT min(n.rated_on) FROM credit_ratings n WHERE '
                'n.enterprise_id = credit_ratings.enterprise_id AND (n.rated_on > credit_ratings.rated_on OR '
                '(n.rated_on = credit_ratings.rated_on AND n.id > credit_ratings.id))) WHERE enterprise_id = '
                'NEW.enterprise_id;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER trg_derive_credit_ratings AFTER INSERT OR DELETE OR UPDATE OF enterprise_id, '
                'rated_on ON credit_ratings FOR EACH ROW EXECUTE FUNCTION oversight_derive_credit_ratings()',
                'CREATE OR REPLACE FUNCTION oversight_derive_risk_reports() RETURNS trigger LANGUAGE plpgsql AS '
                '$$\n'
                'BEGIN\n'
                "  IF TG_OP = 'UPDATE' AND NOT (NEW.obligation_id IS DISTINCT FROM OLD.obligation_id OR "
                'NEW.submitted_at IS DISTINCT FROM OLD.submitted_at) THEN RETURN NULL; END IF;\n'
                "  IF TG_OP <> 'INSERT' THEN UPDATE risk_reports SET first_for_obligation = NOT EXISTS (SELECT 1 "
                'FROM risk_reports p WHERE p.obligation_id = risk_reports.obligation_id AND (p.submitted_at < '
                'risk_reports.submitted_at OR (p.submitted_at = risk_reports.submitted_at AND p.id < '
                'risk_reports.id))), first_for_required = (NOT EXISTS (SELECT 1 FROM risk_reports p WHERE '
                'p.obligation_id = risk_reports.obligation_id AND (p.submitted_at < risk_reports.submitted_at OR '
                '(p.submitted_at = risk_reports.submitted_at AND p.id < risk_reports.id))) AND EXISTS (SELECT 1 '
                "FROM risk_obligations o WHERE o.id = risk_reports.obligation_id AND o.kind = 'initial' AND "
                'o.above_scale = TRUE)) WHERE obligation_id = OLD.obligation_id; END IF;\n'
                "  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.obligation_id IS DISTINCT FROM "
                'OLD.obligation_id) THEN\n'
                '    UPDATE risk_reports SET first_for_obligation = NOT EXISTS (SELECT 1 FROM risk_reports p WHERE '
                'p.obligation_id = risk_reports.obligation_id AND (p.submitted_at < risk_reports.submitted_at OR '
                '(p.submitted_at = risk_reports.submitted_at AND p.id < risk_reports.id))), first_for_required = '
                '(NOT EXISTS (SELECT 1 FROM risk_reports p WHERE p.obligation_id = risk_reports.obligation_id AND '
                '(p.submitted_at < risk_reports.submitted_at OR (p.submitted_at = risk_reports.submitted_at AND '
                'p.id < risk_reports.id))) AND EXISTS (SELECT 1 FROM risk_obligations o WHERE o.id = '
                "risk_reports.obligation_id AND o.kind = 'initial' AND o.above_scale = TRUE)) WHERE obligation_id "
                '= NEW.obligation_id;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER trg_derive_risk_reports AFTER INSERT OR DELETE OR UPDATE OF obligation_id, '
                'submitted_at ON risk_reports FOR EACH ROW EXECUTE FUNCTION oversight_derive_risk_reports()',
                'CREATE OR REPLACE FUNCTION oversight_derive_risk_obligations() RETURNS trigger LANGUAGE plpgsql '
                'AS $$\n'
                'BEGIN\n'
                "  IF TG_OP = 'UPDATE' AND NOT (NEW.kind IS DISTINCT FROM OLD.kind OR NEW.above_scale IS DISTINCT "
                'FROM OLD.above_scale) THEN RETURN NULL; END IF;\n'
                "  IF TG_OP <> 'INSERT' THEN UPDATE risk_reports SET first_for_obligation = NOT EXISTS (SELECT 1 "
                'FROM risk_reports p WHERE p.obligation_id = risk_reports.obligation_id AND (p.submitted_at < '
                'risk_reports.submitted_at OR (p.submitted_at = risk_reports.submitted_at AND p.id < '
                'risk_reports.id))), first_for_required = (NOT EXISTS (SELECT 1 FROM risk_reports p WHERE '
                'p.obligation_id = risk_reports.obligation_id AND (p.submitted_at < risk_reports.submitted_at OR '
                '(p.submitted_at = risk_reports.submitted_at AND p.id < risk_reports.id))) AND EXISTS (SELECT 1 '
                "FROM risk_obligations o WHERE o.id = risk_reports.obligation_id AND o.kind = 'initial' AND "
                'o.above_scale = TRUE)) WHERE obligation_id = OLD.id; END IF;\n'
                "  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.id IS DISTINCT FROM OLD.id) THEN\n"
                '    UPDATE risk_reports SET first_for_obligation = NOT EXISTS (SELECT 1 FROM risk_reports p WHERE '
                'p.obligation_id = risk_reports.obligation_id AND (p.submitted_at < risk_reports.submitted_at OR '
                '(p.submitted_at = risk_reports.submitted_at AND p.id < risk_reports.id))), first_for_required = '
                '(NOT EXISTS (SELECT 1 FROM risk_reports p WHERE p.obligation_id = risk_reports.obligation_id AND '
                '(p.submitted_at < risk_reports.submitted_at OR (p.submitted_at = risk_reports.submitted_at AND '
                'p.id < risk_reports.id))) AND EXISTS (SELECT 1 FROM risk_obligations o WHERE o.id = '
                "risk_reports.obligation_id AND o.kind = 'initial' AND o.above_scale = TRUE)) WHERE obligation_id "
                '= NEW.id;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER trg_derive_risk_obligations AFTER INSERT OR DELETE OR UPDATE OF kind, above_scale '
                'ON risk_obligations FOR EACH ROW EXECUTE FUNCTION oversight_derive_risk_obligations()',
                'CREATE OR REPLACE FUNCTION oversight_derive_risk_items() RETURNS trigger LANGUAGE plpgsql AS $$\n'
                'BEGIN\n'
                "  IF TG_OP = 'UPDATE' AND NOT (NEW.report_id IS DISTINCT FROM OLD.report_id OR NEW.level IS "
                'DISTINCT FROM OLD.level) THEN RETURN NULL; END IF;\n'
                "  IF TG_OP <> 'INSERT' THEN UPDATE risk_reports SET items_total = (SELECT count(*) FROM "
                'risk_items i WHERE i.report_id = risk_reports.id), items_major_or_above = (SELECT count(*) FROM '
                'risk_items i WHERE i.report_id = risk_reports.id AND i.level <= 2), items_major = (SELECT '
                'count(*) FROM risk_items i WHERE i.report_id = risk_reports.id AND i.level = 1) WHERE id = '
                'OLD.report_id; END IF;\n'
                "  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.report_id IS DISTINCT FROM OLD.report_id) "
                'THEN\n'
                '    UPDATE risk_reports SET items_total = (SELECT count(*) FROM risk_items i WHERE i.report_id = '
                'risk_reports.id), items_major_or_above = (SELECT count(*) FROM risk_items i WHERE i.report_id = '
                'risk_reports.id AND i.level <= 2), items_major = (SELECT count(*) FROM risk_items i WHERE '
                'i.report_id = risk_reports.id AND i.level = 1) WHERE id = NEW.report_id;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER trg_derive_risk_items AFTER INSERT OR DELETE OR UPDATE OF report_id, level ON '
                'risk_items FOR EACH ROW EXECUTE FUNCTION oversight_derive_risk_items()'],
 'sqlite': ['CREATE TRIGGER trg_derive_inspections_ins AFTER INSERT ON inspections BEGIN UPDATE inspections SET '
            'prev_on = (SELECT max(p.inspected_on) FROM inspections p WHERE p.enterprise_id = '
            'inspections.enterprise_id AND (p.inspected_on < inspections.inspected_on OR (p.inspected_on = '
            'inspections.inspected_on AND p.id < inspections.id))), prev_dept_on = (SELECT max(p.inspected_on) '
            'FROM inspections p WHERE p.enterprise_id = inspections.enterprise_id AND p.department = '
            'inspections.department AND (p.inspected_on < inspections.inspected_on OR (p.inspected_on = '
            'inspections.inspected_on AND p.id < inspections.id))), first_in_campaign = (inspections.campaign_id '
            'IS NOT NULL AND NOT EXISTS (SELECT 1 FROM inspections p WHERE p.enterprise_id = '
            'inspections.enterprise_id AND p.campaign_id = inspections.campaign_id AND (p.inspected_on < '
            'inspections.inspected_on OR (p.inspected_on = inspections.inspected_on AND p.id < inspections.id)))) '
            'WHERE enterprise_id = NEW.enterprise_id; END',
            'CREATE TRIGGER trg_derive_inspections_del AFTER DELETE ON inspections BEGIN UPDATE inspections SET '
            'prev_on = (SELECT max(p.inspected_on) FROM inspections p WHERE p.enterprise_id = '
            'inspections.enterprise_id AND (p.inspected_on < inspections.inspected_on OR (p.inspected_on = '
            'inspections.inspected_on AND p.id < inspections.id))), prev_dept_on = (SELECT max(p.inspected_on) '
            'FROM inspections p WHERE p.enterprise_id = inspections.enterprise_id AND p.department = '
            'inspections.department AND (p.inspected_on < inspections.inspected_on OR (p.inspected_on = '
            'inspections.inspected_on AND p.id < inspections.id))), first_in_campaign = (inspections.campaign_id '
            'IS NOT NULL AND NOT EXISTS (SELECT 1 FROM inspections p WHERE p.enterprise_id = '
            'inspections.enterprise_id AND p.campaign_id = inspections.campaign_id AND (p.inspected_on < '
            'inspections.inspected_on OR (p.inspected_on = inspections.inspected_on AND p.id < inspections.id)))) '
            'WHERE enterprise_id = OLD.enterprise_id; END',
            'CREATE TRIGGER trg_derive_inspections_upd AFTER UPDATE OF enterprise_id, inspected_on, department, '
            'campaign_id ON inspections BEGIN UPDATE inspections SET prev_on = (SELECT max(p.inspected_on) FROM '
            'inspections p WHERE p.enterprise_id = inspections.enterprise_id AND (p.inspected_on < '
            'inspections.inspected_on OR (p.inspected_on = inspections.inspected_on AND p.id < inspections.id))), '
            'prev_dept_on = (SELECT max(p.inspected_on) FROM inspections p WHERE p.enterprise_id = '
            'inspections.enterprise_id AND p.department = inspections.department AND (p.inspected_on < '
            'inspections.inspected_on OR (p.inspected_on = inspections.inspected_on AND p.id < inspections.id))), '
            'first_in_campaign = (inspections.campaign_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM inspections p '
            'WHERE p.enterprise_id = inspections.enterprise_id AND p.campaign_id = inspections.campaign_id AND '
            '(p.inspected_on < inspections.inspected_on OR (p.inspected_on = inspections.inspected_on AND p.id < '
            'inspections.id)))) WHERE enterprise_id = OLD.enterprise_id; UPDATE inspections SET prev_on = (SELECT '
            'max(p.inspected_on) FROM inspections p WHERE p.enterprise_id = inspections.enterprise_id AND '
            '(p.inspected_on < inspections.inspected_on OR (p.inspected_on = inspections.inspected_on AND p.id < '
            'inspections.id))), prev_dept_on = (SELECT max(p.inspected_on) FROM inspections p WHERE '
            'p.enterprise_id = inspections.enterprise_id AND p.department = inspections.department AND '
            '(p.inspected_on < inspections.inspected_on OR (p.inspected_on = inspections.inspected_on AND p.id < '
            'inspections.id))), first_in_campaign = (inspections.campaign_id IS NOT NULL AND NOT EXISTS (SELECT 1 '
            'FROM inspections p WHERE p.enterprise_id = inspections.enterprise_id AND p.campaign_id = '
            'inspections.campaign_id AND (p.inspected_on < inspections.inspected_on OR (p.inspected_on = '
            'inspections.inspected_on AND p.id < inspections.id)))) WHERE enterprise_id = NEW.enterprise_id; END',
            'CREATE TRIGGER trg_derive_credit_ratings_ins AFTER INSERT ON credit_ratings BEGIN UPDATE '
            'credit_ratings SET superseded_on = (SELECT min(n.rated_on) FROM credit_ratings n WHERE '
            'n.enterprise_id = credit_ratings.enterprise_id AND (n.rated_on > credit_ratings.rated_on OR '
            '(n.rated_on = credit_ratings.rated_on AND n.id > credit_ratings.id))) WHERE enterprise_id = '
            'NEW.enterprise_id; END',
            'CREATE TRIGGER trg_derive_credit_ratings_del AFTER DELETE ON credit_ratings BEGIN UPDATE '
            'credit_ratings SET superseded_on = (SELECT min(n.rated_on) FROM credit_ratings n WHERE '
            'n.enterprise_id = credit_ratings.enterprise_id AND (n.rated_on > credit_ratings.rated_on OR '
            '(n.rated_on = credit_ratings.rated_on AND n.id > credit_ratings.id))) WHERE enterprise_id = '
            'OLD.enterprise_id; END',
            'CREATE TRIGGER trg_derive_credit_ratings_upd AFTER UPDATE OF enterprise_id, rated_on ON '
            'credit_ratings BEGIN UPDATE credit_ratings SET superseded_on = (SELECT min(n.rated_on) FROM '
            'credit_ratings n WHERE n.enterprise_id = credit_ratings.enterprise_id AND (n.rated_on > '
            'credit_ratings.rated_on OR (n.rated_on = credit_ratings.rated_on AND n.id > credit_ratings.id))) '
            'WHERE enterprise_id = OLD.enterprise_id; UPDATE credit_ratings SET superseded_on = (SELECT '
            'min(n.rated_on) FROM credit_ratings n WHERE n.enterprise_id = credit_ratings.enterprise_id AND '
            '(n.rated_on > credit_ratings.rated_on OR (n.rated_on = credit_ratings.rated_on AND n.id > '
            'credit_ratings.id))) WHERE enterprise_id = NEW.enterprise_id; END',
            'CREATE TRIGGER trg_derive_risk_reports_ins AFTER INSERT ON risk_reports BEGIN UPDATE risk_reports SET '
            'first_for_obligation = NOT EXISTS (SELECT 1 FROM risk_reports p WHERE p.obligation_id = '
            'risk_reports.obligation_id AND (p.submitted_at < risk_reports.submitted_at OR (p.submitted_at = '
            'risk_reports.submitted_at AND p.id < risk_reports.id))), first_for_required = (NOT EXISTS (SELECT 1 '
            'FROM risk_reports p WHERE p.obligation_id = risk_reports.obligation_id AND (p.submitted_at < '
            'risk_reports.submitted_at OR (p.submitted_at = risk_reports.submitted_at AND p.id < '
            'risk_reports.id))) AND EXISTS (SELECT 1 FROM risk_obligations o WHERE o.id = '
            "risk_reports.obligation_id AND o.kind = 'initial' AND o.above_scale = TRUE)) WHERE obligation_id = "
            'NEW.obligation_id; END',
            'CREATE TRIGGER trg_derive_risk_reports_del AFTER DELETE ON risk_reports BEGIN UPDATE risk_reports SET '
            'first_for_obligation = NOT EXISTS (SELECT 1 FROM risk_reports p WHERE p.obligation_id = '
            'risk_reports.obligation_id AND (p.submitted_at < risk_reports.submitted_at OR (p.submitted_at = '
            'risk_reports.submitted_at AND p.id < risk_reports.id))), first_for_required = (NOT EXISTS (SELECT 1 '
            'FROM risk_reports p WHERE p.obligation_id = risk_reports.obligation_id AND (p.submitted_at < '
            'risk_reports.submitted_at OR (p.submitted_at = risk_reports.submitted_at AND p.id < '
            'risk_reports.id))) AND EXISTS (SELECT 1 FROM risk_obligations o WHERE o.id = '
            "risk_reports.obligation_id AND o.kind = 'initial' AND o.above_scale = TRUE)) WHERE obligation_id = "
            'OLD.obligation_id; END',
            'CREATE TRIGGER trg_derive_risk_reports_upd AFTER UPDATE OF obligation_id, submitted_at ON '
            'risk_reports BEGIN UPDATE risk_reports SET first_for_obligation = NOT EXISTS (SELECT 1 FROM '
            'risk_reports p WHERE p.obligation_id = risk_reports.obligation_id AND (p.submitted_at < '
            'risk_reports.submitted_at OR (p.submitted_at = risk_reports.submitted_at AND p.id < '
            'risk_reports.id))), first_for_required = (NOT EXISTS (SELECT 1 FROM risk_reports p WHERE '
            'p.obligation_id = risk_reports.obligation_id AND (p.submitted_at < risk_reports.submitted_at OR '
            '(p.submitted_at = risk_reports.submitted_at AND p.id < risk_reports.id))) AND EXISTS (SELECT 1 FROM '
            "risk_obligations o WHERE o.id = risk_reports.obligation_id AND o.kind = 'initial' AND o.above_scale = "
            'TRUE)) WHERE obligation_id = OLD.obligation_id; UPDATE risk_reports SET first_for_obligation = NOT '
            'EXISTS (SELECT 1 FROM risk_reports p WHERE p.obligation_id = risk_reports.obligation_id AND '
            '(p.submitted_at < risk_reports.submitted_at OR (p.submitted_at = risk_reports.submitted_at AND p.id < '
            'risk_reports.id))), first_for_required = (NOT EXISTS (SELECT 1 FROM risk_reports p WHERE '
            'p.obligation_id = risk_reports.obligation_id AND (p.submitted_at < risk_reports.submitted_at OR '
            '(p.submitted_at = risk_reports.submitted_at AND p.id < risk_reports.id))) AND EXISTS (SELECT 1 FROM '
            "risk_obligations o WHERE o.id = risk_reports.obligation_id AND o.kind = 'initial' AND o.above_scale = "
            'TRUE)) WHERE obligation_id = NEW.obligation_id; END',
            'CREATE TRIGGER trg_derive_risk_obligations_ins AFTER INSERT ON risk_obligations BEGIN UPDATE '
            'risk_reports SET first_for_obligation = NOT EXISTS (SELECT 1 FROM risk_reports p WHERE '
            'p.obligation_id = risk_reports.obligation_id AND (p.submitted_at < risk_reports.submitted_at OR '
            '(p.submitted_at = risk_reports.submitted_at AND p.id < risk_reports.id))), first_for_required = (NOT '
            'EXISTS (SELECT 1 FROM risk_reports p WHERE p.obligation_id = risk_reports.obligation_id AND '
            '(p.submitted_at < risk_reports.submitted_at OR (p.submitted_at = risk_reports.submitted_at AND p.id < '
            'risk_reports.id))) AND EXISTS (SELECT 1 FROM risk_obligations o WHERE o.id = '
            "risk_reports.obligation_id AND o.kind = 'initial' AND o.above_scale = TRUE)) WHERE obligation_id = "
            'NEW.id; END',
            'CREATE TRIGGER trg_derive_risk_obligations_del AFTER DELETE ON risk_obligations BEGIN UPDATE '
            'risk_reports SET first_for_obligation = NOT EXISTS (SELECT 1 FROM risk_reports p WHERE '
            'p.obligation_id = risk_reports.obligation_id AND (p.submitted_at < risk_reports.submitted_at OR '
            '(p.submitted_at = risk_reports.submitted_at AND p.id < risk_reports.id))), first_for_required = (NOT '
            'EXISTS (SELECT 1 FROM risk_reports p WHERE p.obligation_id = risk_reports.obligation_id AND '
            '(p.submitted_at < risk_reports.submitted_at OR (p.submitted_at = risk_reports.submitted_at AND p.id < '
            'risk_reports.id))) AND EXISTS (SELECT 1 FROM risk_obligations o WHERE o.id = '
            "risk_reports.obligation_id AND o.kind = 'initial' AND o.above_scale = TRUE)) WHERE obligation_id = "
            'OLD.id; END',
            'CREATE TRIGGER trg_derive_risk_obligations_upd AFTER UPDATE OF kind, above_scale ON risk_obligations '
            'BEGIN UPDATE risk_reports SET first_for_obligation = NOT EXISTS (SELECT 1 FROM risk_reports p WHERE '
            'p.obligation_id = risk_reports.obligation_id AND (p.submitted_at < risk_reports.submitted_at OR '
            '(p.submitted_at = risk_reports.submitted_at AND p.id < risk_reports.id))), first_for_required = (NOT '
            'EXISTS (SELECT 1 FROM risk_reports p WHERE p.obligation_id = risk_reports.obligation_id AND '
            '(p.submitted_at < risk_reports.submitted_at OR (p.submitted_at = risk_reports.submitted_at AND p.id < '
            'risk_reports.id))) AND EXISTS (SELECT 1 FROM risk_obligations o WHERE o.id = '
            "risk_reports.obligation_id AND o.kind = 'initial' AND o.above_scale = TRUE)) WHERE obligation_id = "
            'OLD.id; UPDATE risk_reports SET first_for_obligation = NOT EXISTS (SELECT 1 FROM risk_reports p WHERE '
            'p.obligation_id = risk_reports.obligation_id AND (p.submitted_at < risk_reports.submitted_at OR '
            '(p.submitted_at = risk_reports.submitted_at AND p.id < risk_reports.id))), first_for_required = (NOT '
            'EXISTS (SELECT 1 FROM risk_reports p WHERE p.obligation_id = risk_reports.obligation_id AND '
            '(p.submitted_at < risk_reports.submitted_at OR (p.submitted_at = risk_reports.submitted_at AND p.id < '
            'risk_reports.id))) AND EXISTS (SELECT 1 FROM risk_obligations o WHERE o.id = '
            "risk_reports.obligation_id AND o.kind = 'initial' AND o.above_scale = TRUE)) WHERE obligation_id = "
            'NEW.id; END',
            'CREATE TRIGGER trg_derive_risk_items_ins AFTER INSERT ON risk_items BEGIN UPDATE risk_reports SET '
            'items_total = (SELECT count(*) FROM risk_items i WHERE i.report_id = risk_reports.id), '
            'items_major_or_above = (SELECT count(*) FROM risk_items i WHERE i.report_id = risk_reports.id AND '
            'i.level <= 2), items_major = (SELECT count(*) FROM risk_items i WHERE i.report_id = risk_reports.id '
            'AND i.level = 1) WHERE id = NEW.report_id; END',
            'CREATE TRIGGER trg_derive_risk_items_del AFTER DELETE ON risk_items BEGIN UPDATE risk_reports SET '
            'items_total = (SELECT count(*) FROM risk_items i WHERE i.report_id = risk_reports.id), '
            'items_major_or_above = (SELECT count(*) FROM risk_items i WHERE i.report_id = risk_reports.id AND '
            'i.level <= 2), items_major = (SELECT count(*) FROM risk_items i WHERE i.report_id = risk_reports.id '
            'AND i.level = 1) WHERE id = OLD.report_id; END',
            'CREATE TRIGGER trg_derive_risk_items_upd AFTER UPDATE OF report_id, level ON risk_items BEGIN UPDATE '
            'risk_reports SET items_total = (SELECT count(*) FROM risk_items i WHERE i.report_id = '
            'risk_reports.id), items_major_or_above = (SELECT count(*) FROM risk_items i WHERE i.report_id = '
            'risk_reports.id AND i.level <= 2), items_major = (SELECT count(*) FROM risk_items i WHERE i.report_id '
            '= risk_reports.id AND i.level = 1) WHERE id = OLD.report_id; UPDATE risk_reports SET items_total = '
            '(SELECT count(*) FROM risk_items i WHERE i.report_id = risk_reports.id), items_major_or_above = '
            '(SELECT count(*) FROM risk_items i WHERE i.report_id = risk_reports.id AND i.level <= 2), items_major '
            '= (SELECT count(*) FROM risk_items i WHERE i.report_id = risk_reports.id AND i.level = 1) WHERE id = '
            'NEW.report_id; END']}
DROP = {'postgresql': ['DROP TRIGGER IF EXISTS trg_derive_inspections ON inspections',
                'DROP FUNCTION IF EXISTS oversight_derive_inspections()',
                'DROP TRIGGER IF EXISTS trg_derive_credit_ratings ON credit_ratings',
                'DROP FUNCTION IF EXISTS oversight_derive_credit_ratings()',
                'DROP TRIGGER IF EXISTS trg_derive_risk_reports ON risk_reports',
                'DROP FUNCTION IF EXISTS oversight_derive_risk_reports()',
                'DROP TRIGGER IF EXISTS trg_derive_risk_obligations ON risk_obligations',
                'DROP FUNCTION IF EXISTS oversight_derive_risk_obligations()',
                'DROP TRIGGER IF EXISTS trg_derive_risk_items ON risk_items',
                'DROP FUNCTION IF EXISTS oversight_derive_risk_items()'],
 'sqlite': ['DROP TRIGGER IF EXISTS trg_derive_inspections_ins',
            'DROP TRIGGER IF EXISTS trg_derive_inspections_del',
            'DROP TRIGGER IF EXISTS trg_derive_inspections_upd',
            'DROP TRIGGER IF EXISTS trg_derive_credit_ratings_ins',
            'DROP TRIGGER IF EXISTS trg_derive_credit_ratings_del',
            'DROP TRIGGER IF EXISTS trg_derive_credit_ratings_upd',
            'DROP TRIGGER IF EXISTS trg_derive_risk_reports_ins',
            'DROP TRIGGER IF EXISTS trg_derive_risk_reports_del',
            'DROP TRIGGER IF EXISTS trg_derive_risk_reports_upd',
            'DROP TRIGGER IF EXISTS trg_derive_risk_obligations_ins',
            'DROP TRIGGER IF EXISTS trg_derive_risk_obligations_del',
            'DROP TRIGGER IF EXISTS trg_derive_risk_obligations_upd',
            'DROP TRIGGER IF EXISTS trg_derive_risk_items_ins',
            'DROP TRIGGER IF EXISTS trg_derive_risk_items_del',
            'DROP TRIGGER IF EXISTS trg_derive_risk_items_upd']}


def upgrade() -> None:
    # Plain ADD COLUMN (a constant default): no table rewrite on PostgreSQL 11+, no rebuild on SQLite.
    for table, col in COLUMNS:
        op.add_column(table, col)
    for name, table, cols in INDEXES:
        op.create_index(name, table, cols)
    conn = op.get_bind()
    for stmt in REFRESH + CREATE[conn.dialect.name]:
        conn.exec_driver_sql(stmt)
    if conn.dialect.name == "postgresql":
        # every ingest round rewrites a row per point: with free space on the page the new version stays there
        # (a HOT update: no index entry, pruned without VACUUM) instead of bloating the table and its index
        op.execute("ALTER TABLE point_state SET (fillfactor = 50)")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.execute("ALTER TABLE point_state RESET (fillfactor)")
    for stmt in DROP[conn.dialect.name]:
        conn.exec_driver_sql(stmt)
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    # SQLite (3.35+) drops a plain column in place; batch mode would rebuild the table.
    for table, col in reversed(COLUMNS):
        op.drop_column(table, col.name)
