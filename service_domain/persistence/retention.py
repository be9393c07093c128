"""Retention in SQL: the rows the rules of ``model.retention`` are asked about, in batches, and
the batched deletes of what they let go (an order with every row tied to it, child rows first,
so the foreign keys hold), and the deletion record."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Delete, delete, exists, insert, or_, select, update

from ..enums import CLOSED_ORDER_STATUSES, FollowUpStatus, OrderStatus
from ..identity import PersonId
from ..model import DeletionRecord, FollowUpCase, NoticeChannel, NoticeSettings, Offer, Order, RetentionKind
from .follow_up import _case
from .offers import _offer
from .orders import SqlOrderRepository
from .tables import (
    audit_record,
    follow_up_case,
    follow_up_step,
    lab_result,
    log_review_flag,
    notice_reminder,
    notice_sent,
    notice_settings,
    offer,
    order_status_change,
    outbox_event,
    patient_order,
    retention_run,
    specimen,
)

_CLOSED = [s.value for s in CLOSED_ORDER_STATUSES]


class SqlRetentionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _count(self, statement: Delete) -> int:
        return self.conn.execute(statement).rowcount or 0

    # ------------------------------------------------------------ orders

    def finished_orders(
        self, created_before: datetime, after: int, limit: int, *, statuses: Sequence[OrderStatus] = (),
        with_logistics: bool = False,
    ) -> list[tuple[int, Order]]:
        """Finished orders (in ``statuses``, or any closed status) created before ``created_before``
        (an order ends after it was made), after row ``after`` in row order, at most ``limit``; with
        ``with_logistics`` only those that still hold a delivery address or contact phone. Locked,
        skipping any another transaction holds."""
        o = patient_order.c
        wanted = [s.value for s in statuses] or _CLOSED
        where = [o.status.in_(wanted), o.created_time < created_before, o.seq > after]
        if with_logistics:
            where.append(or_(o.delivery_address.is_not(None), o.contact_phone.is_not(None)))
        q = select(patient_order).where(*where).order_by(o.seq).limit(limit).with_for_update(skip_locked=True)
        return SqlOrderRepository(self.conn)._load(self.conn.execute(q).all())

    def cases_of(self, order_ids: Sequence[str]) -> dict[str, list[FollowUpCase]]:
        """The follow-up cases of these orders, open and closed (without their steps)."""
        out: dict[str, list[FollowUpCase]] = defaultdict(list)
        if order_ids:
            for r in self.conn.execute(select(follow_up_case).where(follow_up_case.c.order_id.in_(list(order_ids)))):
                out[r.order_id].append(_case(r))
        return out

    def delete_orders(self, orders: Sequence[tuple[int, str]]) -> int:
        """Delete these orders (row number, order id) with their specimens, status history, results,
        follow-up cases and steps, notices sent and reminders written, and outbox events; how many."""
        if not orders:
            return 0
        seqs = [seq for seq, _ in orders]
        ids = [order_id for _, order_id in orders]
        cases = select(follow_up_case.c.case_id).where(follow_up_case.c.order_id.in_(ids)).scalar_subquery()
        self.conn.execute(delete(follow_up_step).where(follow_up_step.c.case_id.in_(cases)))
        for statement in (
            delete(follow_up_case).where(follow_up_case.c.order_id.in_(ids)),
            delete(lab_result).where(lab_result.c.order_id.in_(ids)),
            delete(specimen).where(specimen.c.order_seq.in_(seqs)),
            delete(order_status_change).where(order_status_change.c.order_seq.in_(seqs)),
            delete(notice_sent).where(notice_sent.c.order_id.in_(ids)),
            delete(notice_reminder).where(notice_reminder.c.order_id.in_(ids)),
            delete(outbox_event).where(outbox_event.c.payload["orderId"].as_string().in_(ids)),
        ):
            self.conn.execute(statement)
        return self._count(delete(patient_order).where(patient_order.c.seq.in_(seqs)))

    def clear_logistics(self, seqs: Sequence[int]) -> int:
        """Clear the delivery address and contact phone of these orders; how many."""
        if not seqs:
            return 0
        done = self.conn.execute(
            update(patient_order).where(patient_order.c.seq.in_(list(seqs))).values(delivery_address=None,
                                                                                     contact_phone=None)
        )
        return done.rowcount or 0

    # ------------------------------------------------------------ offers

    def unordered_offers(self, valid_before: datetime, after: int, limit: int) -> list[tuple[int, Offer]]:
        """Offers valid to before ``valid_before`` that no order refers to, as ``finished_orders``."""
        c = offer.c
        ordered = exists().where(patient_order.c.offer_id == c.offer_id)
        q = (select(offer).where(c.valid_to < valid_before, c.seq > after, ~ordered)
             .order_by(c.seq).limit(limit).with_for_update(skip_locked=True))
        return [(r.seq, _offer(r)) for r in self.conn.execute(q)]

    def delete_offers(self, seqs: Sequence[int]) -> int:
        return self._count(delete(offer).where(offer.c.seq.in_(list(seqs)))) if seqs else 0

    # ------------------------------------------------------------ contact details

    def contacts(self, changed_before: datetime, after: PersonId | None, limit: int) -> list[NoticeSettings]:
        """Notice settings last changed before ``changed_before``, in patient order after ``after``."""
        c = notice_settings.c
        q = select(notice_settings).where(c.changed_time < changed_before)
        if after is not None:
            q = q.where(or_(c.patient_id > after.id, (c.patient_id == after.id) & (c.patient_type > after.type)))
        q = q.order_by(c.patient_id, c.patient_type).limit(limit)
        return [NoticeSettings(PersonId(r.patient_id, r.patient_type), NoticeChannel(r.channel), r.email, r.mobile,
                               r.changed_time) for r in self.conn.execute(q)]

    # ------------------------------------------------------------ by age alone

    def forget_cases(self, closed_before: datetime, limit: int) -> int:
        """Delete up to ``limit`` follow-up cases closed before ``closed_before``, with their steps."""
        c = follow_up_case.c
        old = (select(c.case_id).where(c.status == FollowUpStatus.CLOSED.value, c.closed_time < closed_before)
               .order_by(c.closed_time).limit(limit))
        case_ids = list(self.conn.execute(old).scalars())
        if not case_ids:
            return 0
        self.conn.execute(delete(follow_up_step).where(follow_up_step.c.case_id.in_(case_ids)))
        return self._count(delete(follow_up_case).where(c.case_id.in_(case_ids)))

    def forget_audit(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` audit records older than ``before``, oldest first, and the log
        review's marks of them (their notes go with the records they are about)."""
        c = audit_record.c
        ids = list(self.conn.execute(select(c.id).where(c.time < before).order_by(c.id).limit(limit)).scalars())
        if not ids:
            return 0
        self.conn.execute(delete(log_review_flag).where(log_review_flag.c.record_id.in_(ids)))
        return self._count(delete(audit_record).where(c.id.in_(ids)))

    # ------------------------------------------------------------ the deletion record

    def open_records(self, entries: Sequence[DeletionRecord]) -> dict[RetentionKind, int]:
        """Write a run's deletion record, a row per kind; the row ids by kind."""
        ids = {}
        for e in entries:
            done = self.conn.execute(insert(retention_run).values(kind=e.kind.value, cutoff=e.cutoff, count=e.count,
                                                                  time=e.time, node=e.node))
            key = done.inserted_primary_key
            assert key is not None
            ids[e.kind] = int(key[0])
        return ids

    def add_to_record(self, record_id: int, count: int) -> None:
        """Count ``count`` more in a deletion record's row (in the transaction that removed them)."""
        r = retention_run.c
        self.conn.execute(update(retention_run).where(r.id == record_id).values(count=r.count + count))

    def runs(self, limit: int = 100) -> list[DeletionRecord]:
        """The newest deletion records first."""
        r = retention_run.c
        q = select(retention_run).order_by(r.id.desc()).limit(limit)
        return [DeletionRecord(RetentionKind(x.kind), x.cutoff, x._mapping["count"], x.time, x.node)
                for x in self.conn.execute(q)]

