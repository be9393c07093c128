"""The offers in SQL: what a care giver has offered a patient, and how much of it is used."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.engine import Row

from ..identity import PersonId
from ..model import Offer, OfferStatus
from . import codec
from .common import _LOCK_PATIENT, _advisory_lock, _modes_from_str, _modes_to_str
from .tables import offer


def _offer_row(o: Offer) -> dict[str, Any]:
    return {
        "offer_id": o.offer_id,
        "offer_code": o.offer_code,
        "display_name": o.display_name,
        "patient_type": o.patient.type,
        "patient_id": o.patient.id,
        "care_giver": o.care_giver,
        "care_unit": o.care_unit,
        "assigned_by": codec.actor_to_json(o.assigned_by),
        "assigned_time": o.assigned_time,
        "valid_to": o.valid_to,
        "max_orders": o.max_orders,
        "orders_placed": o.orders_placed,
        "status": o.status.value,
        "sampling_modes": _modes_to_str(o.sampling_modes),
        "comment": o.comment,
        "protected_identity": o.protected_identity,
    }


def _offer(r: Row[Any]) -> Offer:
    actor = codec.actor_from_json(r.assigned_by)
    assert actor is not None
    return Offer(
        offer_id=r.offer_id,
        offer_code=r.offer_code,
        display_name=r.display_name,
        patient=PersonId(r.patient_id, r.patient_type),
        care_giver=r.care_giver,
        care_unit=r.care_unit,
        assigned_by=actor,
        assigned_time=r.assigned_time,
        valid_to=r.valid_to,
        max_orders=r.max_orders,
        orders_placed=r.orders_placed,
        status=OfferStatus(r.status),
        sampling_modes=_modes_from_str(r.sampling_modes),
        comment=r.comment,
        protected_identity=r.protected_identity,
    )


class SqlOfferRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, o: Offer) -> None:
        self.conn.execute(insert(offer).values(**_offer_row(o)))

    def get(self, offer_id: str, *, for_update: bool = False) -> Offer | None:
        q = select(offer).where(offer.c.offer_id == offer_id)
        if for_update:
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        return _offer(row) if row else None

    def for_patient(self, patient: PersonId, *, for_update: bool = False) -> list[Offer]:
        q = select(offer).where(offer.c.patient_id == patient.id, offer.c.patient_type == patient.type)
        if for_update:
            _advisory_lock(self.conn, _LOCK_PATIENT, patient.id)
            q = q.with_for_update()
        return [_offer(r) for r in self.conn.execute(q.order_by(offer.c.seq))]

    def save(self, o: Offer) -> None:
        self.conn.execute(
            update(offer)
            .where(offer.c.offer_id == o.offer_id)
            .values(status=o.status.value, orders_placed=o.orders_placed)
        )

    def mark_protected(self, patient: PersonId, protected: bool) -> int:
        c = offer.c
        return self.conn.execute(
            update(offer)
            .where(c.patient_id == patient.id, c.patient_type == patient.type, c.protected_identity != protected)
            .values(protected_identity=protected)
        ).rowcount

    def due_to_expire(self, now: datetime, after: int = 0, limit: int | None = None) -> list[tuple[int, Offer]]:
        q = (
            select(offer)
            .where(offer.c.status.in_((OfferStatus.ACTIVE.value, OfferStatus.USED.value)), offer.c.valid_to < now,
                   offer.c.seq > after)
            .order_by(offer.c.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [(r.seq, _offer(r)) for r in self.conn.execute(q)]
