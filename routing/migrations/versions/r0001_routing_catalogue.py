"""The platform's routing catalogue (TAK): one table per entity kind of a published version.

Revision ID: r0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'r0001'
down_revision = None
branch_labels = ('routing',)
depends_on = None


def upgrade() -> None:
    op.create_table('tak_anropsadress',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('adress', sa.String(length=255), nullable=False),
    sa.Column('tjanstekomponent_id', sa.BigInteger(), nullable=False),
    sa.Column('rivtaprofil_id', sa.BigInteger(), nullable=False),
    sa.Column('pubversion', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('tak_anropsbehorighet',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('integrationsavtal', sa.String(length=255), nullable=True),
    sa.Column('tjanstekonsument_id', sa.BigInteger(), nullable=False),
    sa.Column('logiskadress_id', sa.BigInteger(), nullable=False),
    sa.Column('tjanstekontrakt_id', sa.BigInteger(), nullable=False),
    sa.Column('from_tidpunkt', sa.DateTime(), nullable=False),
    sa.Column('tom_tidpunkt', sa.DateTime(), nullable=False),
    sa.Column('pubversion', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('tak_filter',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('servicedomain', sa.String(length=255), nullable=False),
    sa.Column('anropsbehorighet_id', sa.BigInteger(), nullable=False),
    sa.Column('pubversion', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('tak_filtercategorization',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('category', sa.String(length=255), nullable=False),
    sa.Column('filter_id', sa.BigInteger(), nullable=False),
    sa.Column('pubversion', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('tak_logiskadress',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hsa_id', sa.String(length=255), nullable=False),
    sa.Column('beskrivning', sa.Text(), nullable=True),
    sa.Column('pubversion', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('tak_publication',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('format_version', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('tidpunkt', sa.DateTime(), nullable=True),
    sa.Column('utforare', sa.String(length=255), nullable=True),
    sa.Column('kommentar', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('tak_rivtaprofil',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('namn', sa.String(length=64), nullable=False),
    sa.Column('beskrivning', sa.Text(), nullable=True),
    sa.Column('pubversion', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('tak_tjanstekomponent',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hsa_id', sa.String(length=255), nullable=False),
    sa.Column('beskrivning', sa.Text(), nullable=True),
    sa.Column('pubversion', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('tak_tjanstekontrakt',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('namnrymd', sa.String(length=255), nullable=False),
    sa.Column('major_version', sa.Integer(), nullable=False),
    sa.Column('minor_version', sa.Integer(), nullable=False),
    sa.Column('beskrivning', sa.Text(), nullable=True),
    sa.Column('pubversion', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('tak_vagval',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('anropsadress_id', sa.BigInteger(), nullable=False),
    sa.Column('logiskadress_id', sa.BigInteger(), nullable=False),
    sa.Column('tjanstekontrakt_id', sa.BigInteger(), nullable=False),
    sa.Column('from_tidpunkt', sa.DateTime(), nullable=False),
    sa.Column('tom_tidpunkt', sa.DateTime(), nullable=False),
    sa.Column('pubversion', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('tak_vagval')
    op.drop_table('tak_tjanstekontrakt')
    op.drop_table('tak_tjanstekomponent')
    op.drop_table('tak_rivtaprofil')
    op.drop_table('tak_publication')
    op.drop_table('tak_logiskadress')
    op.drop_table('tak_filtercategorization')
    op.drop_table('tak_filter')
    op.drop_table('tak_anropsbehorighet')
    op.drop_table('tak_anropsadress')
