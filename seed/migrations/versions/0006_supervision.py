"""督办: supervision orders (supervision_orders) and their events (supervision_events: send, reply, return,
close); list_checks: the on-site verification, rectification notice and follow-up of an entry of the risk
key-control list or of the “不放心” list

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 17:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# Frozen at revision 0006 (never edit: a later change is a new migration).
def upgrade() -> None:
    op.create_table(
        'supervision_orders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=20), nullable=False),
        sa.Column('issuer', sa.String(length=32), nullable=False),
        sa.Column('issuer_role', sa.String(length=10), nullable=False),
        sa.Column('issuer_region', sa.Integer(), nullable=True),
        sa.Column('region_adcode', sa.Integer(), nullable=False),
        sa.Column('city_adcode', sa.Integer(), nullable=False),
        sa.Column('county_adcode', sa.Integer(), nullable=True),
        sa.Column('subject_kind', sa.String(length=12), nullable=False),
        sa.Column('subject_ref', sa.String(length=500), nullable=False, server_default=''),
        sa.Column('subject_title', sa.String(length=200), nullable=False),
        sa.Column('instruction', sa.Text(), nullable=False),
        sa.Column('deadline', sa.DateTime(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False, server_default='1'),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('returned_count', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("subject_kind in ('view','campaign','enterprise','warning','text')",
                           name=op.f('ck_supervision_orders_subject_kind')),
        sa.CheckConstraint("state in ('open','answered','closed')", name=op.f('ck_supervision_orders_state')),
        sa.CheckConstraint('length(instruction) <= 2000', name=op.f('ck_supervision_orders_instruction')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_orders')),
        sa.UniqueConstraint('code', name=op.f('uq_supervision_orders_code')),
    )
    op.create_index('ix_supervision_orders_city_inbox', 'supervision_orders', ['city_adcode', 'state', 'deadline'])
    op.create_index('ix_supervision_orders_county_inbox', 'supervision_orders',
                    ['county_adcode', 'state', 'deadline'])
    op.create_index('ix_supervision_orders_issuer', 'supervision_orders', ['issuer', 'created_at'])
    op.create_table(
        'supervision_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('text', sa.Text(), nullable=False, server_default=''),
        sa.Column('actor', sa.String(length=32), nullable=False),
        sa.Column('actor_role', sa.String(length=10), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind in ('send','reply','return','close')", name=op.f('ck_supervision_events_kind')),
        sa.CheckConstraint('length(text) <= 5000', name=op.f('ck_supervision_events_text')),
        sa.ForeignKeyConstraint(['order_id'], ['supervision_orders.id'],
                                name=op.f('fk_supervision_events_order_id_supervision_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_events')),
        sa.UniqueConstraint('order_id', 'version', name='uq_supervision_events_order_version'),
    )
    op.create_index('ix_supervision_events_order', 'supervision_events', ['order_id', 'at'])
    op.create_table(
        'list_checks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('list_kind', sa.String(length=12), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('city_adcode', sa.Integer(), nullable=False),
        sa.Column('county_adcode', sa.Integer(), nullable=False),
        sa.Column('finding', sa.String(length=14), nullable=False),
        sa.Column('verified_on', sa.Date(), nullable=False),
        sa.Column('verified_by', sa.String(length=32), nullable=False),
        sa.Column('verify_note', sa.Text(), nullable=False, server_default=''),
        sa.Column('notice_no', sa.String(length=40), nullable=True),
        sa.Column('notice_deadline', sa.Date(), nullable=True),
        sa.Column('noticed_by', sa.String(length=32), nullable=True),
        sa.Column('rectified_on', sa.Date(), nullable=True),
        sa.Column('followed_by', sa.String(length=32), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False, server_default='1'),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("list_kind in ('key_control','watchlist')", name=op.f('ck_list_checks_list_kind')),
        sa.CheckConstraint("finding in ('substantiated','unfounded')", name=op.f('ck_list_checks_finding')),
        sa.CheckConstraint('length(verify_note) <= 2000', name=op.f('ck_list_checks_verify_note')),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'],
                                name=op.f('fk_list_checks_enterprise_id_enterprises')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_list_checks')),
        sa.UniqueConstraint('list_kind', 'entry_id', name='uq_list_checks_entry'),
    )
    op.create_index('ix_list_checks_city', 'list_checks', ['city_adcode', 'list_kind'])
    op.create_index('ix_list_checks_county', 'list_checks', ['county_adcode', 'list_kind'])


def downgrade() -> None:
    op.drop_index('ix_list_checks_county', table_name='list_checks')
    op.drop_index('ix_list_checks_city', table_name='list_checks')
    op.drop_table('list_checks')
    op.drop_index('ix_supervision_events_order', table_name='supervision_events')
    op.drop_table('supervision_events')
    op.drop_index('ix_supervision_orders_issuer', table_name='supervision_orders')
    op.drop_index('ix_supervision_orders_county_inbox', table_name='supervision_orders')
    op.drop_index('ix_supervision_orders_city_inbox', table_name='supervision_orders')
    op.drop_table('supervision_orders')
