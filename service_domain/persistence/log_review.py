"""The log review in SQL: a care giver's audit records searched and checked, newest first, each
page one range scan of an index that leads with the care giver (see tables.audit_record), and
the reviewers' verdicts on flags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, or_, select, tuple_

from ..enums import ActorKind, AuditAction
from ..model import FlagReview, LoggedAccess, LogQuery, Rule
from ..operations import Operation
from .audit import _audit
from .common import insert_or_ignore
from .tables import audit_record, follow_up_case, log_review_flag, offer, patient_order

a = audit_record.c


def _spellings(value: str) -> list[str]:
    """An HSA-id as given and in upper case (HSA-ids compare case-insensitively; the index is
    used only by an equal comparison)."""
    return sorted({value, value.upper()})


def _conditions(query: LogQuery, before: tuple[datetime, int] | None) -> list[Any]:
    found: list[Any] = [a.care_giver.in_(_spellings(query.care_giver))]
    if query.patient_id:
        found.append(a.patient_id == query.patient_id)
    if query.staff_id:
        found.append(a.actor_id.in_(_spellings(query.staff_id)))
    if query.care_unit:
        found.append(a.care_unit.in_(_spellings(query.care_unit)))
    if query.system:
        found.append(a.consumer_hsa_id.in_(_spellings(query.system)))
    if query.interaction:
        found.append(a.interaction == query.interaction)
    if query.since is not None:
        found.append(a.time >= query.since)
    if query.until is not None:
        found.append(a.time < query.until)
    if before is not None:
        found.append(tuple_(a.time, a.id) < tuple_(before[0], before[1]))
    return found


def _by_staff(query: LogQuery, before: tuple[datetime, int] | None) -> list[Any]:
    return [*_conditions(query, before), a.actor_kind == ActorKind.STAFF.value,
            a.interaction != Operation.LOG_REVIEW.value]


def _related() -> Any:
    """Whether the audited patient has an offer, an order or a follow-up case at the unit the
    staff member acted at."""
    unit = func.upper(a.care_unit)
    o, po, fc = offer.c, patient_order.c, follow_up_case.c
    offered = exists().where(o.patient_id == a.patient_id, func.upper(o.care_unit) == unit)
    ordered = exists().where(
        po.patient_id == a.patient_id,
        or_(func.upper(po.care_unit) == unit, func.upper(po.sampling_unit) == unit),
    )
    followed = exists().where(
        po.patient_id == a.patient_id, fc.order_id == po.order_id, func.upper(fc.care_unit) == unit
    )
    return or_(offered, ordered, followed)


class SqlLogReviewRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _page(self, conditions: Sequence[Any], limit: int | None) -> list[LoggedAccess]:
        q = select(audit_record).where(and_(*conditions)).order_by(a.time.desc(), a.id.desc())
        if limit is not None:
            q = q.limit(limit)
        return [LoggedAccess(r.id, _audit(r)) for r in self.conn.execute(q)]

    def search(self, query: LogQuery, before: tuple[datetime, int] | None, limit: int) -> list[LoggedAccess]:
        return self._page(_conditions(query, before), limit)

    def staff_accesses(
        self, query: LogQuery, before: tuple[datetime, int] | None, limit: int | None,
        within: Sequence[tuple[datetime, datetime]] | None = None,
    ) -> list[LoggedAccess]:
        conditions = _by_staff(query, before)
        if within is not None:
            if not within:
                return []
            conditions.append(or_(*(and_(a.time >= start, a.time < end) for start, end in within)))
        return self._page(conditions, limit)

    def without_relation(self, query: LogQuery, before: tuple[datetime, int] | None, limit: int) -> list[LoggedAccess]:
        conditions = [*_by_staff(query, before), a.action == AuditAction.READ.value, a.care_unit.is_not(None),
                      ~_related()]
        return self._page(conditions, limit)

    def record(self, care_giver: str, record_id: int) -> LoggedAccess | None:
        q = select(audit_record).where(a.id == record_id, a.care_giver.in_(_spellings(care_giver)))
        row = self.conn.execute(q).first()
        return LoggedAccess(row.id, _audit(row)) if row is not None else None

    def reviews(self, care_giver: str, flags: Iterable[tuple[Rule, int]]) -> dict[tuple[Rule, int], FlagReview]:
        wanted = {(rule.value, record_id) for rule, record_id in flags}
        if not wanted:
            return {}
        f = log_review_flag.c
        q = select(log_review_flag).where(
            f.care_giver == care_giver.upper(), f.record_id.in_(sorted({r for _, r in wanted}))
        )
        found = {}
        for r in self.conn.execute(q):
            if (r.rule, r.record_id) in wanted:
                rule = Rule(r.rule)
                found[(rule, r.record_id)] = FlagReview(
                    r.care_giver, rule, r.record_id, r.reviewed_by, r.reviewed_time, r.note
                )
        return found

    def add_review(self, review: FlagReview) -> bool:
        row = {
            "care_giver": review.care_giver.upper(),
            "rule": review.rule.value,
            "record_id": review.record_id,
            "reviewed_by": review.reviewed_by,
            "reviewed_time": review.reviewed_time,
            "note": review.note,
        }
        return insert_or_ignore(self.conn, log_review_flag, row)
