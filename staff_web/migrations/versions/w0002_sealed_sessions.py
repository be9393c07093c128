"""Session data is stored encrypted (with a key derived from the cookie's token): the sessions
begun before held the current patient's and the sampling desk's identity numbers in plain
text. They are ended here, and again on the way down (the older code cannot read the new ones);
the staff log in again.

Revision ID: w0002
Revises: w0001
"""

from __future__ import annotations

from alembic import op

revision = 'w0002'
down_revision = 'w0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('DELETE FROM staff_web_session')


def downgrade() -> None:
    op.execute('DELETE FROM staff_web_session')
