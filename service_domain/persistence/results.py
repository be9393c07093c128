"""The lab results in SQL: every version of an order's result, and its release to the patient."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from ..model import StoredResult
from ..ports import ConcurrentWrite
from . import codec
from .tables import lab_result


@cache
def _version_and_newest_statement() -> Select[Any]:
    """One result version of an order (its columns NULL when not stored) and the order's newest
    version number (0 when none), in one round trip."""
    r = lab_result.c
    newest = (select(func.coalesce(func.max(r.version), 0)).where(r.order_id == bindparam("order_id"))
              .scalar_subquery())
    one = select(literal_column("1").label("one")).subquery("one")
    return select(newest.label("newest"), lab_result).select_from(
        one.outerjoin(lab_result, and_(r.order_id == bindparam("order_id"), r.version == bindparam("version"))))


def _stored(r: Row[Any]) -> StoredResult:
    return StoredResult(
        result=codec.result_from_json(r.content),
        received_time=r.received_time,
        released=r.released,
        release_time=r.release_time,
        follow_up_case_id=r.follow_up_case_id,
    )


class SqlResultRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def versions(self, order_id: str) -> list[StoredResult]:
        q = select(lab_result).where(lab_result.c.order_id == order_id).order_by(lab_result.c.version)
        return [_stored(r) for r in self.conn.execute(q)]

    def version_and_newest(self, order_id: str, version: int) -> tuple[StoredResult | None, int]:
        row = self.conn.execute(_version_and_newest_statement(), {"order_id": order_id, "version": version}).one()
        return (_stored(row) if row.id is not None else None), int(row.newest)

    def add(self, stored: StoredResult) -> None:
        r = stored.result
        try:
            self.conn.execute(
                insert(lab_result).values(
                    order_id=r.order_id,
                    version=r.version,
                    report_status=r.report_status.value,
                    report_time=r.report_time,
                    content=codec.result_to_json(r),
                    received_time=stored.received_time,
                    released=stored.released,
                    release_time=stored.release_time,
                    follow_up_case_id=stored.follow_up_case_id,
                )
            )
        except IntegrityError:
            raise ConcurrentWrite("result version stored concurrently") from None

    def newest(self, order_ids: Sequence[str], *, released_only: bool = False) -> dict[str, StoredResult]:
        if not order_ids:
            return {}
        among: ColumnElement[bool] = lab_result.c.order_id.in_(order_ids)
        if released_only:
            among = and_(among, lab_result.c.released.is_(True))
        newest_version = (
            select(lab_result.c.order_id, func.max(lab_result.c.version).label("version"))
            .where(among)
            .group_by(lab_result.c.order_id)
            .subquery()
        )
        q = select(lab_result).join(
            newest_version,
            and_(lab_result.c.order_id == newest_version.c.order_id, lab_result.c.version == newest_version.c.version),
        )
        return {r.order_id: _stored(r) for r in self.conn.execute(q)}

    def release(self, order_id: str, time: datetime) -> int:
        done = self.conn.execute(
            update(lab_result)
            .where(lab_result.c.order_id == order_id, lab_result.c.released.is_(False))
            .values(released=True, release_time=time, follow_up_case_id=None)
        )
        return done.rowcount or 0
