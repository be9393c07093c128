"""The reload signal: several platform nodes on one database follow each other's reloads.

Revision ID: r0002
Revises: r0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'r0002'
down_revision = 'r0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tak_reload',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('generation', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('reloaded_at', sa.DateTime(), nullable=False),
    sa.Column('reloaded_by', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('tak_reload')
