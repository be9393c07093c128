"""The follow-up cases in SQL: a result that needs a care unit's action, and the steps taken."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.engine import Row

from ..model import FollowUpCase, FollowUpStatus, FollowUpStep, FollowUpStepKind
from .tables import follow_up_case, follow_up_step


def _case(r: Row[Any], steps: list[FollowUpStep] | None = None) -> FollowUpCase:
    return FollowUpCase(
        case_id=r.case_id,
        order_id=r.order_id,
        care_giver=r.care_giver,
        care_unit=r.care_unit,
        opened_time=r.opened_time,
        status=FollowUpStatus(r.status),
        closed_time=r.closed_time,
        closed_by=r.closed_by,
        note=r.note,
        steps=steps or [],
    )


class SqlFollowUpRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _with_steps(self, rows: Sequence[Row[Any]]) -> list[FollowUpCase]:
        if not rows:
            return []
        steps: dict[str, list[FollowUpStep]] = defaultdict(list)
        q = (
            select(follow_up_step)
            .where(follow_up_step.c.case_id.in_([r.case_id for r in rows]))
            .order_by(follow_up_step.c.id)
        )
        for s in self.conn.execute(q):
            steps[s.case_id].append(
                FollowUpStep(FollowUpStepKind(s.kind), s.time, s.performed_by, s.recorded_time, s.note)
            )
        return [_case(r, steps[r.case_id]) for r in rows]

    def add_step(self, case_id: str, step: FollowUpStep) -> None:
        self.conn.execute(
            insert(follow_up_step).values(
                case_id=case_id,
                kind=step.kind.value,
                time=step.time,
                performed_by=step.performed_by,
                recorded_time=step.recorded_time,
                note=step.note,
            )
        )

    def open_for_order(self, order_id: str) -> FollowUpCase | None:
        row = self.conn.execute(
            select(follow_up_case).where(
                follow_up_case.c.order_id == order_id, follow_up_case.c.status == FollowUpStatus.OPEN.value
            )
        ).first()
        return _case(row) if row else None

    def open_for_orders(self, order_ids: Sequence[str]) -> set[str]:
        if not order_ids:
            return set()
        q = select(follow_up_case.c.order_id).where(
            follow_up_case.c.order_id.in_(order_ids), follow_up_case.c.status == FollowUpStatus.OPEN.value
        )
        return set(self.conn.execute(q).scalars())

    def get(self, case_id: str, *, for_update: bool = False) -> FollowUpCase | None:
        q = select(follow_up_case).where(follow_up_case.c.case_id == case_id)
        if for_update:
            q = q.with_for_update()
        found = self._with_steps(self.conn.execute(q).all())
        return found[0] if found else None

    def add(self, case: FollowUpCase) -> None:
        self.conn.execute(
            insert(follow_up_case).values(
                case_id=case.case_id,
                order_id=case.order_id,
                care_giver=case.care_giver,
                care_unit=case.care_unit,
                opened_time=case.opened_time,
                status=case.status.value,
            )
        )

    def save(self, case: FollowUpCase) -> None:
        self.conn.execute(
            update(follow_up_case)
            .where(follow_up_case.c.case_id == case.case_id)
            .values(status=case.status.value, closed_time=case.closed_time, closed_by=case.closed_by, note=case.note)
        )

    def list(
        self, status: str | None = None, care_giver: str | None = None, care_unit: str | None = None
    ) -> list[FollowUpCase]:
        q = select(follow_up_case).order_by(follow_up_case.c.opened_time)
        if status:
            q = q.where(follow_up_case.c.status == status)
        if care_giver:
            q = q.where(func.upper(follow_up_case.c.care_giver) == care_giver.upper())
        if care_unit:
            q = q.where(func.upper(follow_up_case.c.care_unit) == care_unit.upper())
        return self._with_steps(self.conn.execute(q).all())
