"""The staff registry, follow-up steps, journal systems' signing keys, and the care unit
of the acting staff member in audit records.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('care_unit', sa.String(length=31), nullable=True))

    op.create_table('follow_up_step',
    sa.Column('id', SEQ, autoincrement=True, nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('time', sa.DateTime(), nullable=False),
    sa.Column('performed_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_time', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['follow_up_case.case_id'], name=op.f('fk_follow_up_step_case_id_follow_up_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_step'))
    )
    with op.batch_alter_table('follow_up_step', schema=None) as batch_op:
        batch_op.create_index('ix_follow_up_step_case', ['case_id', 'id'], unique=False)

    op.create_table('connected_system_key',
    sa.Column('hsa_id', sa.String(length=31), nullable=False),
    sa.Column('key_id', sa.String(length=128), nullable=False),
    sa.Column('public_key', sa.Text(), nullable=False),
    sa.Column('added_time', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hsa_id'], ['connected_system.hsa_id'], name=op.f('fk_connected_system_key_hsa_id_connected_system'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hsa_id', 'key_id', name=op.f('pk_connected_system_key'))
    )

    op.create_table('staff_member',
    sa.Column('hsa_id', sa.String(length=31), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('care_giver', sa.String(length=31), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('hsa_id', name=op.f('pk_staff_member'))
    )
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.create_index('ix_staff_member_care_giver', ['care_giver'], unique=False)

    op.create_table('staff_care_unit',
    sa.Column('hsa_id', sa.String(length=31), nullable=False),
    sa.Column('care_unit', sa.String(length=31), nullable=False),
    sa.Column('functions', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['hsa_id'], ['staff_member.hsa_id'], name=op.f('fk_staff_care_unit_hsa_id_staff_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hsa_id', 'care_unit', name=op.f('pk_staff_care_unit'))
    )
    op.create_table('staff_dev_login',
    sa.Column('hsa_id', sa.String(length=31), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('changed_time', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hsa_id'], ['staff_member.hsa_id'], name=op.f('fk_staff_dev_login_hsa_id_staff_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hsa_id', name=op.f('pk_staff_dev_login'))
    )


def downgrade() -> None:
    op.drop_table('staff_dev_login')
    op.drop_table('staff_care_unit')
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_member_care_giver')
    op.drop_table('staff_member')
    op.drop_table('connected_system_key')
    with op.batch_alter_table('follow_up_step', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_up_step_case')
    op.drop_table('follow_up_step')
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.drop_column('care_unit')
