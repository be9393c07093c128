"""The patient's side: self-service catalogue entries, sampling sites, and an access log the
patient can page through (the kind of the acting person; the patient's records by row).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('offer_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('self_service', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('self_service_orders_per_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('accountable_care_unit', sa.String(length=31), nullable=True))
    op.create_table('sampling_site',
    sa.Column('hsa_id', sa.String(length=31), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('care_giver', sa.String(length=31), nullable=False),
    sa.Column('street', sa.String(length=255), nullable=False),
    sa.Column('postal_code', sa.String(length=8), nullable=False),
    sa.Column('city', sa.String(length=255), nullable=False),
    sa.Column('opening_hours', sa.Text(), nullable=True),
    sa.Column('performing_lab', sa.String(length=31), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.PrimaryKeyConstraint('hsa_id', name=op.f('pk_sampling_site'))
    )
    with op.batch_alter_table('sampling_site', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sampling_site_care_giver'), ['care_giver'], unique=False)
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_kind', sa.String(length=8), nullable=True))
        batch_op.create_index('ix_audit_record_patient_id', ['patient_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_record_patient_id')
        batch_op.drop_column('actor_kind')
    op.drop_table('sampling_site')
    with op.batch_alter_table('offer_definition', schema=None) as batch_op:
        batch_op.drop_column('accountable_care_unit')
        batch_op.drop_column('self_service_orders_per_year')
        batch_op.drop_column('self_service')
