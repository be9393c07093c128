"""Stored results in the contract's shape: an analysis result's value is one of its elements
pq, text, coded and interval, as in AnalysisResultType, not an object of its own under "value"
(the persistence codec now maps through service_domain.shapes, as the producers do).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

VALUE_ELEMENTS = ("pq", "text", "coded", "interval")


def _flatten(a: dict[str, Any]) -> None:
    """{"value": {"pq": ...}} to {"pq": ...}, in the value's place (after displayName)."""
    if "value" not in a:
        return
    items = list(a.items())
    a.clear()
    for key, v in items:
        if key == "value":
            a.update(v or {})
        else:
            a[key] = v


def _nest(a: dict[str, Any]) -> None:
    """{"pq": ...} back to {"value": {"pq": ...}}."""
    given = [key for key in VALUE_ELEMENTS if key in a]
    if not given:
        return
    items = list(a.items())
    a.clear()
    for key, v in items:
        if key == given[0]:
            a["value"] = {key: v}
        elif key not in VALUE_ELEMENTS:
            a[key] = v


def _convert(change: Callable[[dict[str, Any]], None], lists: bool = False) -> None:
    """Each stored result's analyses changed; with ``lists``, the repeating elements the newer
    shape leaves out when empty are written back as empty lists (the older reader needs them)."""
    conn = op.get_bind()
    result = sa.table('lab_result', sa.column('id', sa.BigInteger()), sa.column('content', sa.JSON()))
    for row_id, content in conn.execute(sa.select(result.c.id, result.c.content)):
        data = json.loads(content) if isinstance(content, str) else content
        if lists:
            data.setdefault("specimenIdentifier", [])
            data.setdefault("analysisResult", [])
        for a in data.get("analysisResult", ()):
            change(a)
        conn.execute(sa.update(result).where(result.c.id == row_id).values(content=data))


def upgrade() -> None:
    _convert(_flatten)


def downgrade() -> None:
    _convert(_nest, lists=True)
