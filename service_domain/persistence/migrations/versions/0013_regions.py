"""Regions and the agreements that put care givers under them.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('region',
    sa.Column('hsa_id', sa.String(length=31), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('offer_codes', sa.JSON(), nullable=False),
    sa.Column('analyses', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('hsa_id', name=op.f('pk_region'))
    )
    op.create_table('region_agreement',
    sa.Column('agreement_id', sa.String(length=64), nullable=False),
    sa.Column('region', sa.String(length=31), nullable=False),
    sa.Column('care_giver', sa.String(length=31), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('own', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['region'], ['region.hsa_id'], name=op.f('fk_region_agreement_region_region')),
    sa.PrimaryKeyConstraint('agreement_id', name=op.f('pk_region_agreement'))
    )
    op.create_index('ix_region_agreement_care_giver', 'region_agreement', ['care_giver'], unique=False)
    op.create_index('ix_region_agreement_region', 'region_agreement', ['region'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_region_agreement_region', table_name='region_agreement')
    op.drop_index('ix_region_agreement_care_giver', table_name='region_agreement')
    op.drop_table('region_agreement')
    op.drop_table('region')
