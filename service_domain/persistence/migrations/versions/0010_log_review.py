"""The log review: indexes of a care giver's audit records, the reviews of flags, and the staff
member's optional personal identity number.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_audit_record_care_giver_time': ['care_giver', 'time', 'id'],
    'ix_audit_record_care_giver_actor': ['care_giver', 'actor_id', 'time', 'id'],
    'ix_audit_record_care_giver_unit': ['care_giver', 'care_unit', 'time', 'id'],
    'ix_audit_record_care_giver_system': ['care_giver', 'consumer_hsa_id', 'time', 'id'],
    'ix_audit_record_care_giver_interaction': ['care_giver', 'interaction', 'time', 'id'],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, 'audit_record', columns, unique=False)
    op.create_table('log_review_flag',
    sa.Column('care_giver', sa.String(length=31), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.BigInteger(), nullable=False),
    sa.Column('reviewed_by', sa.String(length=31), nullable=False),
    sa.Column('reviewed_time', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('care_giver', 'rule', 'record_id', name=op.f('pk_log_review_flag'))
    )
    with op.batch_alter_table('staff_member') as batch:
        batch.add_column(sa.Column('person_id', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staff_member') as batch:
        batch.drop_column('person_id')
    op.drop_table('log_review_flag')
    for name in reversed(INDEXES):
        op.drop_index(name, table_name='audit_record')
