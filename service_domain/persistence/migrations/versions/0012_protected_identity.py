"""Protected identity: each offer and order keeps whether the population register said, when it
was made (or last looked up), that the patient has protected identity.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both backends (SQLite has had ADD and DROP COLUMN since 3.35): a batch
# copy of ``offer`` would trip the foreign key of ``patient_order`` on SQLite.
def upgrade() -> None:
    for table in ('offer', 'patient_order'):
        op.add_column(table, sa.Column('protected_identity', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    for table in ('offer', 'patient_order'):
        op.drop_column(table, 'protected_identity')
