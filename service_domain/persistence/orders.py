"""The orders in SQL: written with their specimens and status history, read by the queries of
``order_queries``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, insert, null, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from ..identity import PersonId
from ..model import (
    OPEN_ORDER_STATUSES,
    AuditRecord,
    Order,
    OrderStatus,
    ResultRelease,
    SamplingMode,
    Specimen,
    StatusChange,
)
from ..ports import ConcurrentWrite, OrderQuery
from . import codec
from .audit import SqlAuditRepository, _stamped
from .common import _LOCK_ORDER_SEQ, _advisory_lock, _on_its_own
from .order_queries import (
    _audited_page_statement,
    _change,
    _change_of,
    _order,
    _order_for_update_statement,
    _page_statement,
    _query_params,
    _shape,
    _specimen_of,
    _stamp_params,
)
from .tables import lab_result, order_status_change, patient_order, specimen


def _order_row(o: Order) -> dict[str, Any]:
    return {
        "order_id": o.order_id,
        "referral_id": o.referral_id,
        "offer_id": o.offer_id,
        "offer_code": o.offer_code,
        "display_name": o.display_name,
        "patient_type": o.patient.type,
        "patient_id": o.patient.id,
        "status": o.status.value,
        "sampling_mode": o.sampling_mode.value,
        "performing_lab": o.performing_lab,
        "sampling_unit": o.sampling_unit,
        "care_giver": o.care_giver,
        "care_unit": o.care_unit,
        "result_recipient_unit": o.result_recipient_unit,
        "analyses": codec.analyses_to_json(o.analyses),
        "created_time": o.created_time,
        "valid_to": o.valid_to,
        "notifiable": o.notifiable,
        "result_release": o.result_release.value,
        "delivery_address": codec.address_to_json(o.delivery_address),
        "contact_phone": o.contact_phone,
        "kit_return_days": o.kit_return_days,
        "protected_identity": o.protected_identity,
    }


class SqlOrderRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._seq: dict[str, int] = {}

    def _load(self, rows: Sequence[Row[Any]]) -> list[tuple[int, Order]]:
        """Orders with their specimens and status history, three queries for any number of orders."""
        if not rows:
            return []
        seqs = [r.seq for r in rows]
        specimens: dict[int, list[Specimen]] = defaultdict(list)
        for s in self.conn.execute(
            select(specimen).where(specimen.c.order_seq.in_(seqs)).order_by(specimen.c.id)
        ):
            specimens[s.order_seq].append(
                Specimen(s.identifier, codec.code_from_json(s.material), s.collected_time)
            )
        history: dict[int, list[StatusChange]] = defaultdict(list)
        for h in self.conn.execute(
            select(order_status_change)
            .where(order_status_change.c.order_seq.in_(seqs))
            .order_by(order_status_change.c.order_seq, order_status_change.c.id)
        ):
            history[h.order_seq].append(_change(h))
        out = []
        for r in rows:
            self._seq[r.order_id] = r.seq
            out.append((r.seq, _order(r, specimens[r.seq], history[r.seq])))
        return out

    def add(self, o: Order) -> None:
        # Row numbers are taken at insert and become visible at commit. A reader paging by row
        # number must never see a later number before an earlier one, or it would page past the
        # earlier order for good: inserters take turns from the insert to their commit.
        _advisory_lock(self.conn, _LOCK_ORDER_SEQ)
        try:
            seq = self.conn.execute(insert(patient_order).values(**_order_row(o)).returning(patient_order.c.seq)).scalar_one()
        except IntegrityError:
            raise ConcurrentWrite("referral id taken") from None
        self._seq[o.order_id] = seq
        for change in o.history:
            self._insert_change(seq, change)
        self._insert_specimens(seq, o.specimens)

    def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        if for_update and self.conn.dialect.name == "postgresql":  # one round trip for a write's read
            row = self.conn.execute(_order_for_update_statement(), {"order_id": order_id}).first()
            if row is None:
                return None
            self._seq[row.order_id] = row.seq
            return self._decoded(row)
        q = select(patient_order).where(patient_order.c.order_id == order_id)
        if for_update:
            q = q.with_for_update()
        loaded = self._load(self.conn.execute(q).all())
        return loaded[0][1] if loaded else None

    def find(self, query: OrderQuery, after: int, limit: int) -> list[tuple[int, Order]]:
        params = _query_params(query, after, limit)
        if params is None:
            return []
        return self._load(self.conn.execute(_page_statement(_shape(query)), params).all())

    def find_audited(
        self, query: OrderQuery, after: int, limit: int, returned: int, stamp: AuditRecord
    ) -> list[tuple[int, Order]]:
        params = _query_params(query, after, limit)
        if self.conn.dialect.name != "postgresql" or params is None:
            found = self.find(query, after, limit) if params is not None else []
            patients = ([query.patient] if query.patient else []) + [o.patient for _, o in found[:returned]]
            SqlAuditRepository(self.conn).add(_stamped(stamp, patients))
            return found
        # PostgreSQL: one statement reads the page with each order's specimens and history, and
        # records the read of every patient on the returned part of it (and of the patient asked
        # about); it is atomic by itself, so without a transaction it is one round trip
        params.update(_stamp_params(stamp), returned=returned)
        with _on_its_own(self.conn):
            rows = self.conn.execute(_audited_page_statement(_shape(query)), params).all()
        out = []
        for r in rows:
            self._seq[r.order_id] = r.seq
            out.append((r.seq, self._decoded(r)))
        return out

    @staticmethod
    def _decoded(r: Row[Any]) -> Order:
        """An order read with its children as JSON (_children_json)."""
        return _order(r, [_specimen_of(x) for x in r.specimens_json], [_change_of(x) for x in r.history_json])

    def for_patient(self, patient: PersonId, order_ids: Sequence[str] = ()) -> list[Order]:
        q = select(patient_order).where(
            patient_order.c.patient_id == patient.id, patient_order.c.patient_type == patient.type
        )
        if order_ids:
            q = q.where(patient_order.c.order_id.in_(order_ids))
        return [o for _, o in self._load(self.conn.execute(q.order_by(patient_order.c.seq)).all())]

    def open_for_offer(self, offer_id: str, mode: SamplingMode) -> Order | None:
        q = (
            select(patient_order)
            .where(
                patient_order.c.offer_id == offer_id,
                patient_order.c.sampling_mode == mode.value,
                patient_order.c.status.in_([s.value for s in OPEN_ORDER_STATUSES]),
            )
            .order_by(patient_order.c.seq)
            .limit(1)
        )
        loaded = self._load(self.conn.execute(q).all())
        return loaded[0][1] if loaded else None

    def mark_protected(self, patient: PersonId, protected: bool) -> int:
        c = patient_order.c
        values: dict[str, Any] = {"protected_identity": protected}
        if protected:  # the address is not kept (a kit not yet sent waits for a pickup point)
            values["delivery_address"] = null()
        return self.conn.execute(
            update(patient_order)
            .where(c.patient_id == patient.id, c.patient_type == patient.type, c.protected_identity != protected)
            .values(**values)
        ).rowcount

    def referral_in_use(self, referral_id: str) -> bool:
        q = select(patient_order.c.seq).where(patient_order.c.referral_id == referral_id)
        return self.conn.execute(q.limit(1)).first() is not None

    def of_kind(self, patient: PersonId, care_giver: str, offer_code: str, since: datetime) -> list[Order]:
        c = patient_order.c
        q = select(patient_order).where(
            c.patient_id == patient.id,
            c.patient_type == patient.type,
            func.upper(c.care_giver) == care_giver.upper(),
            c.offer_code == offer_code,
            or_(c.created_time >= since, c.status.in_([s.value for s in OPEN_ORDER_STATUSES])),
        )
        return [o for _, o in self._load(self.conn.execute(q.order_by(c.seq)).all())]

    def _seq_of(self, order_id: str) -> int:
        if order_id not in self._seq:
            self._seq[order_id] = self.conn.execute(
                select(patient_order.c.seq).where(patient_order.c.order_id == order_id)
            ).scalar_one()
        return self._seq[order_id]

    def _insert_change(self, seq: int, change: StatusChange) -> None:
        self.conn.execute(
            insert(order_status_change).values(
                order_seq=seq,
                status=change.status.value,
                time=change.time,
                performed_by=codec.actor_to_json(change.performed_by),
                unit=change.unit,
                reason=codec.code_to_json(change.reason),
                comment=change.comment,
            )
        )

    def _insert_specimens(self, seq: int, specimens: Sequence[Specimen]) -> None:
        if specimens:
            self.conn.execute(
                insert(specimen),
                [
                    {
                        "order_seq": seq,
                        "identifier": s.identifier,
                        "material": codec.code_to_json(s.material),
                        "collected_time": s.collected_time,
                    }
                    for s in specimens
                ],
            )

    def record_change(self, o: Order, change: StatusChange, new_specimens: Sequence[Specimen] = ()) -> None:
        seq = self._seq_of(o.order_id)
        self.conn.execute(
            update(patient_order)
            .where(patient_order.c.seq == seq)
            .values(status=o.status.value, sampling_unit=o.sampling_unit, performing_lab=o.performing_lab)
        )
        self._insert_change(seq, change)
        self._insert_specimens(seq, new_specimens)

    def due_to_expire(self, now: datetime, after: int = 0, limit: int | None = None) -> list[tuple[int, Order]]:
        q = (
            select(patient_order)
            .where(
                patient_order.c.status.in_((OrderStatus.ORDERED.value, OrderStatus.KIT_SENT.value)),
                patient_order.c.valid_to < now,
                patient_order.c.seq > after,
            )
            .order_by(patient_order.c.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return self._load(self.conn.execute(q).all())

    def open_valid_before(
        self, status: OrderStatus, before: datetime, after: int = 0, limit: int | None = None
    ) -> list[tuple[int, Order]]:
        q = (
            select(patient_order)
            .where(patient_order.c.status == status.value, patient_order.c.valid_to < before,
                   patient_order.c.seq > after)
            .order_by(patient_order.c.seq)
            .limit(limit)
        )
        return self._load(self.conn.execute(q).all())

    def with_held_results(self, care_giver: str, care_unit: str) -> list[Order]:
        """Orders of a care unit released only after review whose results wait for it."""
        held = select(lab_result.c.order_id).where(lab_result.c.released.is_(False))
        q = (
            select(patient_order)
            .where(
                func.upper(patient_order.c.care_giver) == care_giver.upper(),
                func.upper(patient_order.c.care_unit) == care_unit.upper(),
                patient_order.c.result_release == ResultRelease.AFTER_REVIEW.value,
                patient_order.c.order_id.in_(held),
            )
            .order_by(patient_order.c.seq)
        )
        return [o for _, o in self._load(self.conn.execute(q).all())]

    def for_result_entry(
        self,
        care_giver: str,
        care_unit: str,
        statuses: Sequence[OrderStatus],
        connected_labs: frozenset[str],
        *,
        final_since: datetime | None = None,
        referral_id: str | None = None,
        limit: int = 500,
    ) -> list[Order]:
        c = patient_order.c
        conditions: list[ColumnElement[bool]] = [
            func.upper(c.care_giver) == care_giver.upper(),
            func.upper(c.care_unit) == care_unit.upper(),
            c.status.in_([s.value for s in statuses]),
            c.performing_lab.is_not(None),
        ]
        if connected_labs:
            conditions.append(func.upper(c.performing_lab).not_in(sorted(connected_labs)))
        if referral_id is not None:
            conditions.append(c.referral_id == referral_id.upper())
        if final_since is not None:
            recent = select(lab_result.c.order_id).where(lab_result.c.received_time >= final_since)
            conditions.append(or_(c.status != OrderStatus.FINAL_RESULT.value, c.order_id.in_(recent)))
        q = select(patient_order).where(and_(*conditions)).order_by(c.seq).limit(limit)
        return [o for _, o in self._load(self.conn.execute(q).all())]
