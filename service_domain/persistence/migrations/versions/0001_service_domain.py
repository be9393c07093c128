"""Initial schema of the service domain.

Times are stored as UTC without zone. The paging key (continuation tokens of
GetOrders) is created here, once per deployment.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = ('service_domain',)
depends_on = None


def upgrade() -> None:
    op.create_table('audit_record',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('time', sa.DateTime(), nullable=False),
    sa.Column('interaction', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('patient_id', sa.String(length=12), nullable=False),
    sa.Column('log_id', sa.String(length=36), nullable=False),
    sa.Column('consumer_hsa_id', sa.String(length=64), nullable=True),
    sa.Column('sender_hsa_id', sa.String(length=64), nullable=True),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.Column('care_giver', sa.String(length=31), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_record'))
    )
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.create_index('ix_audit_record_log_id', ['log_id'], unique=False)
        batch_op.create_index('ix_audit_record_patient_time', ['patient_id', 'time'], unique=False)

    op.create_table('connected_system',
    sa.Column('hsa_id', sa.String(length=31), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('all_care_givers', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('hsa_id', name=op.f('pk_connected_system'))
    )
    op.create_table('offer',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('offer_id', sa.String(length=64), nullable=False),
    sa.Column('offer_code', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('patient_root', sa.String(length=32), nullable=False),
    sa.Column('patient_id', sa.String(length=12), nullable=False),
    sa.Column('care_giver', sa.String(length=31), nullable=False),
    sa.Column('care_unit', sa.String(length=31), nullable=False),
    sa.Column('assigned_by', sa.JSON(), nullable=False),
    sa.Column('assigned_time', sa.DateTime(), nullable=False),
    sa.Column('valid_to', sa.DateTime(), nullable=False),
    sa.Column('max_orders', sa.Integer(), nullable=False),
    sa.Column('orders_placed', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sampling_modes', sa.String(length=32), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_offer')),
    sa.UniqueConstraint('offer_id', name=op.f('uq_offer_offer_id'))
    )
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_offer_status_valid_to', ['status', 'valid_to'], unique=False)

    op.create_table('offer_definition',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('care_giver', sa.String(length=31), nullable=False),
    sa.Column('offer_code', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('analyses', sa.JSON(), nullable=False),
    sa.Column('sampling_modes', sa.String(length=32), nullable=False),
    sa.Column('specimen_material', sa.JSON(), nullable=True),
    sa.Column('notifiable', sa.Boolean(), nullable=False),
    sa.Column('result_release', sa.String(length=32), nullable=False),
    sa.Column('validity_days', sa.Integer(), nullable=False),
    sa.Column('max_orders', sa.Integer(), nullable=False),
    sa.Column('performing_lab', sa.String(length=31), nullable=False),
    sa.Column('min_age', sa.Integer(), nullable=True),
    sa.Column('max_age', sa.Integer(), nullable=True),
    sa.Column('patient_instructions', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer_definition')),
    sa.UniqueConstraint('care_giver', 'offer_code', name='uq_offer_definition_care_giver_code')
    )
    service_setting = op.create_table('service_setting',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_service_setting'))
    )
    op.bulk_insert(service_setting, [{'name': 'paging_key', 'value': secrets.token_hex(32)}])
    op.create_table('connected_system_care_giver',
    sa.Column('hsa_id', sa.String(length=31), nullable=False),
    sa.Column('care_giver', sa.String(length=31), nullable=False),
    sa.ForeignKeyConstraint(['hsa_id'], ['connected_system.hsa_id'], name=op.f('fk_connected_system_care_giver_hsa_id_connected_system'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hsa_id', 'care_giver', name=op.f('pk_connected_system_care_giver'))
    )
    op.create_table('patient_order',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('referral_id', sa.String(length=16), nullable=False),
    sa.Column('offer_id', sa.String(length=64), nullable=False),
    sa.Column('offer_code', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('patient_root', sa.String(length=32), nullable=False),
    sa.Column('patient_id', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('sampling_mode', sa.String(length=16), nullable=False),
    sa.Column('performing_lab', sa.String(length=31), nullable=True),
    sa.Column('sampling_unit', sa.String(length=31), nullable=True),
    sa.Column('care_giver', sa.String(length=31), nullable=False),
    sa.Column('care_unit', sa.String(length=31), nullable=False),
    sa.Column('result_recipient_unit', sa.String(length=31), nullable=True),
    sa.Column('analyses', sa.JSON(), nullable=False),
    sa.Column('created_time', sa.DateTime(), nullable=False),
    sa.Column('valid_to', sa.DateTime(), nullable=False),
    sa.Column('notifiable', sa.Boolean(), nullable=False),
    sa.Column('result_release', sa.String(length=32), nullable=False),
    sa.Column('delivery_address', sa.JSON(), nullable=True),
    sa.Column('contact_phone', sa.String(length=24), nullable=True),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.offer_id'], name=op.f('fk_patient_order_offer_id_offer')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_patient_order')),
    sa.UniqueConstraint('order_id', name=op.f('uq_patient_order_order_id'))
    )
    with op.batch_alter_table('patient_order', schema=None) as batch_op:
        batch_op.create_index('ix_patient_order_lab_seq', ['performing_lab', 'seq'], unique=False)
        batch_op.create_index('ix_patient_order_offer', ['offer_id', 'sampling_mode'], unique=False)
        batch_op.create_index('ix_patient_order_patient_seq', ['patient_id', 'seq'], unique=False)
        batch_op.create_index('ix_patient_order_referral', ['referral_id'], unique=False)
        batch_op.create_index('ix_patient_order_status_valid_to', ['status', 'valid_to'], unique=False)
        batch_op.create_index('ix_patient_order_unit_seq', ['sampling_unit', 'seq'], unique=False)
        batch_op.create_index('uq_patient_order_open_referral', ['referral_id'], unique=True, postgresql_where=sa.text("status IN ('KIT_SENT', 'ORDERED', 'PRELIMINARY_RESULT', 'RECEIVED_BY_LAB', 'SPECIMEN_COLLECTED')"), sqlite_where=sa.text("status IN ('KIT_SENT', 'ORDERED', 'PRELIMINARY_RESULT', 'RECEIVED_BY_LAB', 'SPECIMEN_COLLECTED')"))

    op.create_table('follow_up_case',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('care_giver', sa.String(length=31), nullable=False),
    sa.Column('care_unit', sa.String(length=31), nullable=False),
    sa.Column('opened_time', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('closed_time', sa.DateTime(), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['patient_order.order_id'], name=op.f('fk_follow_up_case_order_id_patient_order')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_follow_up_case'))
    )
    with op.batch_alter_table('follow_up_case', schema=None) as batch_op:
        batch_op.create_index('ix_follow_up_case_order_status', ['order_id', 'status'], unique=False)
        batch_op.create_index('ix_follow_up_case_status_opened', ['status', 'opened_time'], unique=False)

    op.create_table('lab_result',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('report_status', sa.String(length=16), nullable=False),
    sa.Column('report_time', sa.DateTime(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('received_time', sa.DateTime(), nullable=False),
    sa.Column('released', sa.Boolean(), nullable=False),
    sa.Column('release_time', sa.DateTime(), nullable=True),
    sa.Column('follow_up_case_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['patient_order.order_id'], name=op.f('fk_lab_result_order_id_patient_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_result')),
    sa.UniqueConstraint('order_id', 'version', name='uq_lab_result_order_version')
    )
    op.create_table('order_status_change',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('order_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('time', sa.DateTime(), nullable=False),
    sa.Column('performed_by', sa.JSON(), nullable=False),
    sa.Column('unit', sa.String(length=31), nullable=True),
    sa.Column('reason', sa.JSON(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['order_seq'], ['patient_order.seq'], name=op.f('fk_order_status_change_order_seq_patient_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_status_change'))
    )
    with op.batch_alter_table('order_status_change', schema=None) as batch_op:
        batch_op.create_index('ix_order_status_change_order', ['order_seq', 'id'], unique=False)

    op.create_table('specimen',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('order_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('identifier', sa.String(length=255), nullable=False),
    sa.Column('material', sa.JSON(), nullable=True),
    sa.Column('collected_time', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['order_seq'], ['patient_order.seq'], name=op.f('fk_specimen_order_seq_patient_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_specimen')),
    sa.UniqueConstraint('order_seq', 'identifier', name='uq_specimen_order_identifier')
    )


def downgrade() -> None:
    op.drop_table('specimen')
    with op.batch_alter_table('order_status_change', schema=None) as batch_op:
        batch_op.drop_index('ix_order_status_change_order')

    op.drop_table('order_status_change')
    op.drop_table('lab_result')
    with op.batch_alter_table('follow_up_case', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_up_case_status_opened')
        batch_op.drop_index('ix_follow_up_case_order_status')

    op.drop_table('follow_up_case')
    with op.batch_alter_table('patient_order', schema=None) as batch_op:
        batch_op.drop_index('uq_patient_order_open_referral', postgresql_where=sa.text("status IN ('KIT_SENT', 'ORDERED', 'PRELIMINARY_RESULT', 'RECEIVED_BY_LAB', 'SPECIMEN_COLLECTED')"), sqlite_where=sa.text("status IN ('KIT_SENT', 'ORDERED', 'PRELIMINARY_RESULT', 'RECEIVED_BY_LAB', 'SPECIMEN_COLLECTED')"))
        batch_op.drop_index('ix_patient_order_unit_seq')
        batch_op.drop_index('ix_patient_order_status_valid_to')
        batch_op.drop_index('ix_patient_order_referral')
        batch_op.drop_index('ix_patient_order_patient_seq')
        batch_op.drop_index('ix_patient_order_offer')
        batch_op.drop_index('ix_patient_order_lab_seq')

    op.drop_table('patient_order')
    op.drop_table('connected_system_care_giver')
    op.drop_table('service_setting')
    op.drop_table('offer_definition')
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.drop_index('ix_offer_status_valid_to')
        batch_op.drop_index(batch_op.f('ix_offer_patient_id'))

    op.drop_table('offer')
    op.drop_table('connected_system')
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_record_patient_time')
        batch_op.drop_index('ix_audit_record_log_id')

    op.drop_table('audit_record')
