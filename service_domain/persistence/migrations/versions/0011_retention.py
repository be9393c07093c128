"""Retention: the deletion record, a row per retention run and kind (no personal data).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    id_type = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    op.create_table('retention_run',
    sa.Column('id', id_type, autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('cutoff', sa.DateTime(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('time', sa.DateTime(), nullable=False),
    sa.Column('node', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_run'))
    )
    op.create_index('ix_retention_run_time', 'retention_run', ['time'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_retention_run_time', table_name='retention_run')
    op.drop_table('retention_run')
