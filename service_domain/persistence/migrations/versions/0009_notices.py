"""Notices to the patient: the patient's settings (channel and address), the log of notices
sent (no address, no content) and the reminders written.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notice_settings',
    sa.Column('patient_id', sa.String(length=32), nullable=False),
    sa.Column('patient_type', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('mobile', sa.String(length=16), nullable=True),
    sa.Column('changed_time', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('patient_id', 'patient_type', name=op.f('pk_notice_settings'))
    )
    op.create_table('notice_sent',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=32), nullable=False),
    sa.Column('patient_type', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('sent_time', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_notice_sent'))
    )
    op.create_index('ix_notice_sent_patient_time', 'notice_sent', ['patient_id', 'sent_time'], unique=False)
    op.create_table('notice_reminder',
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('written_time', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('order_id', 'kind', name=op.f('pk_notice_reminder'))
    )


def downgrade() -> None:
    op.drop_table('notice_reminder')
    op.drop_index('ix_notice_sent_patient_time', table_name='notice_sent')
    op.drop_table('notice_sent')
    op.drop_table('notice_settings')
