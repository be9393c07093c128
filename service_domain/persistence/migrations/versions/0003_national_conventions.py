"""Contracts in the national conventions, and safer rules.

- Patients are identified by id + type (the OID of the number's kind); reservnummer up to
  32 characters; audit records keep the type too.
- A referral id is unique over every order (a look-up by referral id finds one order
  whatever its status); older duplicates among closed orders get a new id.
- Home kits have a return window (kit_return_days) on the catalogue entry and the order.
- Connected systems may report for units besides themselves; reservnummer types per care giver.
- Stored results: reference intervals become intervals of bounds with inclusive flags.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

REFERRAL_ALPHABET = "ACEFHJKMNPRTWXY3479"


def _new_intervals(content: Any) -> Any:
    data = json.loads(content) if isinstance(content, str) else content
    for a in data.get("analysisResult", ()):
        ri = a.get("referenceInterval")
        if ri is None or "unit" not in ri:
            continue
        unit = ri.get("unit") or "1"
        new: dict[str, Any] = {}
        for end in ("low", "high"):
            if ri.get(end) is not None:
                new[end] = {"value": str(ri[end]), "unit": unit, "inclusive": True}
        if ri.get("text"):
            new["text"] = ri["text"]
        a["referenceInterval"] = new
    return data


def upgrade() -> None:
    conn = op.get_bind()
    for table in ("offer", "patient_order"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('patient_root', new_column_name='patient_type',
                                  existing_type=sa.String(length=32), type_=sa.String(length=64), existing_nullable=False)
            batch_op.alter_column('patient_id', existing_type=sa.String(length=12), type_=sa.String(length=32),
                                  existing_nullable=False)
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.alter_column('patient_id', existing_type=sa.String(length=12), type_=sa.String(length=32),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('patient_type', sa.String(length=64), nullable=True))
    with op.batch_alter_table('offer_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kit_return_days', sa.Integer(), server_default=sa.text('0'), nullable=False))

    # referral ids unique over every order: re-issue the older of any duplicates
    order = sa.table('patient_order', sa.column('seq', sa.BigInteger()), sa.column('referral_id', sa.String()))
    taken = {r for (r,) in conn.execute(sa.select(order.c.referral_id))}
    seen: set[str] = set()
    for seq, referral in conn.execute(sa.select(order.c.seq, order.c.referral_id).order_by(order.c.seq.desc())):
        if referral in seen:
            fresh = referral
            while fresh in taken:
                fresh = "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(8))
            taken.add(fresh)
            conn.execute(sa.update(order).where(order.c.seq == seq).values(referral_id=fresh))
        seen.add(referral)
    with op.batch_alter_table('patient_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kit_return_days', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.drop_index('uq_patient_order_open_referral')
        batch_op.drop_index('ix_patient_order_referral')
        batch_op.create_index('uq_patient_order_referral', ['referral_id'], unique=True)

    op.create_table('connected_system_unit',
    sa.Column('hsa_id', sa.String(length=31), nullable=False),
    sa.Column('unit', sa.String(length=31), nullable=False),
    sa.ForeignKeyConstraint(['hsa_id'], ['connected_system.hsa_id'], name=op.f('fk_connected_system_unit_hsa_id_connected_system'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hsa_id', 'unit', name=op.f('pk_connected_system_unit'))
    )
    op.create_table('reserve_number_type',
    sa.Column('oid', sa.String(length=64), nullable=False),
    sa.Column('care_giver', sa.String(length=31), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('pattern', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('oid', name=op.f('pk_reserve_number_type'))
    )

    result = sa.table('lab_result', sa.column('id', sa.BigInteger()), sa.column('content', sa.JSON()))
    for row_id, content in conn.execute(sa.select(result.c.id, result.c.content)):
        conn.execute(sa.update(result).where(result.c.id == row_id).values(content=_new_intervals(content)))


def downgrade() -> None:
    op.drop_table('reserve_number_type')
    op.drop_table('connected_system_unit')
    with op.batch_alter_table('patient_order', schema=None) as batch_op:
        batch_op.drop_index('uq_patient_order_referral')
        batch_op.create_index('ix_patient_order_referral', ['referral_id'], unique=False)
        batch_op.drop_column('kit_return_days')
    with op.batch_alter_table('offer_definition', schema=None) as batch_op:
        batch_op.drop_column('kit_return_days')
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.drop_column('patient_type')
    for table in ("offer", "patient_order"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('patient_type', new_column_name='patient_root',
                                  existing_type=sa.String(length=64), type_=sa.String(length=32), existing_nullable=False)
