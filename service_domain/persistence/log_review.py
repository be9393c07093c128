"""The log review in SQL: a care giver's audit records searched and checked, newest first, each
page one range scan of an index that leads with the care giver (see tables.audit_record), and
the reviewers' verdicts on flags."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Integer, and_, cast, distinct, exists, func, literal, or_, select, tuple_

from ..enums import ActorKind, AuditAction
from ..model import FlagReview, LoggedAccess, LogQuery, Rule, StaffPatient
from ..operations import Operation
from .audit import _audit
from .common import insert_or_ignore
from .tables import audit_record, follow_up_case, log_review_flag, offer, patient_order, staff_member

a = audit_record.c
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
        # the position's time bound as the column's own type (stored as naive UTC), not as a
        # timestamptz that PostgreSQL would compare in the session's time zone
        found.append(tuple_(a.time, a.id) < tuple_(literal(before[0], a.time.type), before[1]))
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


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans as one."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


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

    def own_records(self, query: LogQuery, before: tuple[datetime, int] | None, limit: int) -> list[LoggedAccess]:
        s = staff_member.c
        own = exists().where(s.hsa_id == a.actor_id, s.person_id == a.patient_id)
        return self._page([*_by_staff(query, before), own], limit)

    def _stretch(self, seconds: int) -> Any:
        """The number of the stretch of ``seconds`` since the epoch a record's time falls in."""
        if self.conn.dialect.name == "postgresql":
            return func.floor(func.extract("epoch", a.time) / seconds)
        return cast(func.strftime("%s", a.time), Integer) // seconds

    def busy(self, query: LogQuery, window: timedelta, patients: int) -> list[LoggedAccess]:
        seconds = int(window.total_seconds())
        stretch = self._stretch(seconds)
        conditions = _by_staff(query, None)
        crowded = (
            select(a.actor_id, stretch)
            .where(and_(*conditions))
            .group_by(a.actor_id, stretch)
            .having(func.count(distinct(a.patient_id)) >= patients)
        )
        spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for actor, number in self.conn.execute(crowded):
            spans[actor].append((int(number) - 1, int(number) + 2))  # the stretch and its neighbours
        if not spans:
            return []
        around = []
        for actor, found in spans.items():
            for first, last in _merged(found):
                around.append(and_(a.actor_id == actor, a.time >= _EPOCH + timedelta(seconds=first * seconds),
                                   a.time < _EPOCH + timedelta(seconds=last * seconds)))
        return self._page([*conditions, or_(*around)], None)

    def staff_patients(self, query: LogQuery) -> list[StaffPatient]:
        q = select(a.actor_id, a.patient_id, a.patient_type).where(and_(*_by_staff(query, None))).distinct()
        return [StaffPatient(r.actor_id, r.patient_id, r.patient_type) for r in self.conn.execute(q)]

    def accesses_of(
        self, query: LogQuery, pairs: Sequence[StaffPatient], before: tuple[datetime, int] | None, limit: int
    ) -> list[LoggedAccess]:
        if not pairs:
            return []
        wanted = or_(*(and_(a.actor_id == p.staff_id, a.patient_id == p.patient_id) for p in pairs))
        return self._page([*_by_staff(query, before), wanted], limit)

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
