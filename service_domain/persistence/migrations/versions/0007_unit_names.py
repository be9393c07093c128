"""The names of care givers and care units, so that the patient's access log names them.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unit_name',
    sa.Column('hsa_id', sa.String(length=31), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('hsa_id', name=op.f('pk_unit_name'))
    )


def downgrade() -> None:
    op.drop_table('unit_name')
