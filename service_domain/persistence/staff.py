"""The staff in SQL: members, their functions at each care unit, and the development logins."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.engine import Row

from ..staff import StaffFunction, StaffMember
from .tables import staff_care_unit, staff_dev_login, staff_member


def _functions_from_str(value: str) -> frozenset[StaffFunction]:
    return frozenset(StaffFunction(f) for f in value.split(",") if f)


class SqlStaffRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _build(self, rows: Sequence[Row[Any]]) -> list[StaffMember]:
        if not rows:
            return []
        units: dict[str, dict[str, frozenset[StaffFunction]]] = defaultdict(dict)
        q = select(staff_care_unit).where(staff_care_unit.c.hsa_id.in_([r.hsa_id for r in rows]))
        for u in self.conn.execute(q):
            units[u.hsa_id][u.care_unit] = _functions_from_str(u.functions)
        return [StaffMember(r.hsa_id, r.name, r.care_giver, units[r.hsa_id], r.active, r.person_id) for r in rows]

    def get(self, hsa_id: str) -> StaffMember | None:
        rows = self.conn.execute(select(staff_member).where(func.upper(staff_member.c.hsa_id) == hsa_id.upper())).all()
        found = self._build(rows)
        return found[0] if found else None

    def list(self, care_giver: str | None = None) -> list[StaffMember]:
        q = select(staff_member).order_by(staff_member.c.name, staff_member.c.hsa_id)
        if care_giver:
            q = q.where(func.upper(staff_member.c.care_giver) == care_giver.upper())
        return self._build(self.conn.execute(q).all())

    def put(self, member: StaffMember) -> None:
        values = {"name": member.name, "care_giver": member.care_giver.upper(), "active": member.active,
                  "person_id": member.person_id}
        done = self.conn.execute(
            update(staff_member).where(staff_member.c.hsa_id == member.hsa_id).values(**values)
        )
        if not done.rowcount:
            self.conn.execute(insert(staff_member).values(hsa_id=member.hsa_id, **values))
        self.conn.execute(delete(staff_care_unit).where(staff_care_unit.c.hsa_id == member.hsa_id))
        if member.functions:
            self.conn.execute(
                insert(staff_care_unit),
                [
                    {"hsa_id": member.hsa_id, "care_unit": unit, "functions": ",".join(sorted(fns))}
                    for unit, fns in sorted(member.functions.items())
                ],
            )

    def dev_password_hash(self, hsa_id: str) -> str | None:
        q = (
            select(staff_dev_login.c.password_hash)
            .join(staff_member, staff_member.c.hsa_id == staff_dev_login.c.hsa_id)
            .where(func.upper(staff_dev_login.c.hsa_id) == hsa_id.upper())
        )
        return self.conn.execute(q).scalar()

    def set_dev_password_hash(self, hsa_id: str, password_hash: str, time: datetime) -> None:
        self.conn.execute(delete(staff_dev_login).where(staff_dev_login.c.hsa_id == hsa_id))
        self.conn.execute(
            insert(staff_dev_login).values(hsa_id=hsa_id, password_hash=password_hash, changed_time=time)
        )
