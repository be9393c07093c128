"""The staff web's own tables: sessions, failed logins, used uthopp token ids, and the key
that signs its CSRF tokens (made here, once per deployment).

Revision ID: w0001
Revises:
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = 'w0001'
down_revision = None
branch_labels = ('staff_web',)
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    setting = op.create_table('staff_web_setting',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_staff_web_setting'))
    )
    op.bulk_insert(setting, [{'name': 'secret_key', 'value': secrets.token_hex(32)}])
    op.create_table('staff_web_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.Column('hsa_id', sa.String(length=31), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_web_session'))
    )
    with op.batch_alter_table('staff_web_session', schema=None) as batch_op:
        batch_op.create_index('ix_staff_web_session_last_seen', ['last_seen'], unique=False)
    op.create_table('staff_web_login_failure',
    sa.Column('id', SEQ, autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('time', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_web_login_failure'))
    )
    with op.batch_alter_table('staff_web_login_failure', schema=None) as batch_op:
        batch_op.create_index('ix_staff_web_login_failure_key_time', ['key', 'time'], unique=False)
    op.create_table('staff_web_used_token',
    sa.Column('issuer', sa.String(length=31), nullable=False),
    sa.Column('jti', sa.String(length=255), nullable=False),
    sa.Column('expires', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('issuer', 'jti', name=op.f('pk_staff_web_used_token'))
    )


def downgrade() -> None:
    op.drop_table('staff_web_used_token')
    with op.batch_alter_table('staff_web_login_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_web_login_failure_key_time')
    op.drop_table('staff_web_login_failure')
    with op.batch_alter_table('staff_web_session', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_web_session_last_seen')
    op.drop_table('staff_web_session')
    op.drop_table('staff_web_setting')
