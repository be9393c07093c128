"""SQL implementations of the repositories in ``service_domain.ports``."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from ..identity import PersonId
from ..model import (
    OPEN_ORDER_STATUSES,
    ActorKind,
    AuditAction,
    AuditRecord,
    ConnectedSystem,
    FollowUpCase,
    FollowUpStatus,
    FollowUpStep,
    FollowUpStepKind,
    Offer,
    OfferDefinition,
    OfferStatus,
    Order,
    OrderStatus,
    ReserveNumberType,
    ResultRelease,
    SamplingMode,
    SamplingSite,
    Specimen,
    StatusChange,
    StoredResult,
    SystemKey,
    SystemKind,
)
from ..operations import Operation
from ..ports import ConcurrentWrite, OrderQuery
from ..staff import StaffFunction, StaffMember
from . import codec
from .tables import (
    UTCDateTime,
    audit_record,
    connected_system,
    connected_system_care_giver,
    connected_system_key,
    connected_system_unit,
    follow_up_case,
    follow_up_step,
    lab_result,
    offer,
    offer_definition,
    order_status_change,
    patient_order,
    reserve_number_type,
    sampling_site,
    specimen,
    staff_care_unit,
    staff_dev_login,
    staff_member,
)

# PostgreSQL advisory locks held to the end of a transaction (two-key form: kind, key)
_LOCK_PATIENT = 1  # writes that must see each other's offers for one patient
_LOCK_ORDER_SEQ = 2  # order inserts: row numbers become visible in the order they are taken


@contextmanager
def _on_its_own(conn: Connection) -> Iterator[None]:
    """Run one statement outside a transaction when the unit of work has not begun one (no BEGIN
    and COMMIT round trips): it must be atomic by itself. Inside a begun transaction, as usual."""
    dbapi = conn.connection.dbapi_connection
    alone = not conn.in_transaction() and conn.dialect.name == "postgresql" and dbapi is not None
    if alone:
        dbapi.autocommit = True  # type: ignore[union-attr]
    try:
        yield
    except BaseException:
        if alone:
            # the connection may have broken under the statement (the server restarted): then
            # setting the mode fails too, and the statement's error is the one that says why
            try:
                dbapi.autocommit = False  # type: ignore[union-attr]
            except Exception:
                pass
        raise
    if alone:
        dbapi.autocommit = False  # type: ignore[union-attr]


def _advisory_lock(conn: Connection, kind: int, key: str = "") -> None:
    """Wait for the transaction-scoped lock (PostgreSQL; SQLite's writers take turns anyway)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:kind, hashtext(:key))"), {"kind": kind, "key": key})


def _modes_to_str(modes: Iterable[SamplingMode]) -> str:
    return ",".join(m.value for m in modes)


def _modes_from_str(value: str) -> tuple[SamplingMode, ...]:
    return tuple(SamplingMode(m) for m in value.split(",") if m)


# ---------------------------------------------------------------- catalogue


def _definition_row(d: OfferDefinition) -> dict[str, Any]:
    return {
        "care_giver": d.care_giver.upper(),
        "offer_code": d.offer_code,
        "display_name": d.display_name,
        "analyses": codec.analyses_to_json(d.analyses),
        "sampling_modes": _modes_to_str(d.sampling_modes),
        "specimen_material": codec.code_to_json(d.specimen_material),
        "notifiable": d.notifiable,
        "result_release": d.result_release.value,
        "validity_days": d.validity_days,
        "max_orders": d.max_orders,
        "performing_lab": d.performing_lab,
        "min_age": d.min_age,
        "max_age": d.max_age,
        "patient_instructions": d.patient_instructions,
        "active": d.active,
        "kit_return_days": d.kit_return_days,
        "self_service": d.self_service,
        "self_service_orders_per_year": d.self_service_orders_per_year,
        "accountable_care_unit": d.accountable_care_unit,
    }


def _definition(r: Row[Any]) -> OfferDefinition:
    return OfferDefinition(
        care_giver=r.care_giver,
        offer_code=r.offer_code,
        display_name=r.display_name,
        analyses=codec.analyses_from_json(r.analyses),
        sampling_modes=_modes_from_str(r.sampling_modes),
        notifiable=r.notifiable,
        result_release=ResultRelease(r.result_release),
        validity_days=r.validity_days,
        max_orders=r.max_orders,
        performing_lab=r.performing_lab,
        specimen_material=codec.code_from_json(r.specimen_material),
        min_age=r.min_age,
        max_age=r.max_age,
        patient_instructions=r.patient_instructions,
        active=r.active,
        kit_return_days=r.kit_return_days,
        self_service=r.self_service,
        self_service_orders_per_year=r.self_service_orders_per_year,
        accountable_care_unit=r.accountable_care_unit,
    )


class SqlDefinitionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, care_giver: str, offer_code: str) -> OfferDefinition | None:
        row = self.conn.execute(
            select(offer_definition).where(
                offer_definition.c.care_giver == care_giver.upper(), offer_definition.c.offer_code == offer_code
            )
        ).first()
        return _definition(row) if row else None

    def list(
        self, care_giver: str | None = None, mode: SamplingMode | None = None, active_only: bool = True
    ) -> list[OfferDefinition]:
        q = select(offer_definition).order_by(offer_definition.c.care_giver, offer_definition.c.offer_code)
        if care_giver:
            q = q.where(offer_definition.c.care_giver == care_giver.upper())
        if active_only:
            q = q.where(offer_definition.c.active.is_(True))
        defs = [_definition(r) for r in self.conn.execute(q)]
        return [d for d in defs if mode is None or mode in d.sampling_modes]

    def upsert(self, definitions: Sequence[OfferDefinition]) -> tuple[int, int]:
        added = updated = 0
        for d in definitions:
            row = _definition_row(d)
            done = self.conn.execute(
                update(offer_definition)
                .where(
                    offer_definition.c.care_giver == row["care_giver"],
                    offer_definition.c.offer_code == row["offer_code"],
                )
                .values(**row)
            )
            if done.rowcount:
                updated += 1
            else:
                self.conn.execute(insert(offer_definition).values(**row))
                added += 1
        return added, updated

    def replace_all(self, definitions: Sequence[OfferDefinition]) -> tuple[int, int]:
        """The catalogues of the care givers in ``definitions`` become exactly these entries;
        other care givers' catalogues are left as they are."""
        care_givers = sorted({d.care_giver.upper() for d in definitions})
        self.conn.execute(
            update(offer_definition).where(offer_definition.c.care_giver.in_(care_givers)).values(active=False)
        )
        return self.upsert(definitions)


# ---------------------------------------------------------------- offers


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


# ---------------------------------------------------------------- orders


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
    }


def _order(r: Row[Any], specimens: list[Specimen], history: list[StatusChange]) -> Order:
    return Order(
        order_id=r.order_id,
        referral_id=r.referral_id,
        offer_id=r.offer_id,
        offer_code=r.offer_code,
        display_name=r.display_name,
        patient=PersonId(r.patient_id, r.patient_type),
        status=OrderStatus(r.status),
        sampling_mode=SamplingMode(r.sampling_mode),
        care_giver=r.care_giver,
        care_unit=r.care_unit,
        analyses=codec.analyses_from_json(r.analyses),
        created_time=r.created_time,
        valid_to=r.valid_to,
        notifiable=r.notifiable,
        result_release=ResultRelease(r.result_release),
        performing_lab=r.performing_lab,
        sampling_unit=r.sampling_unit,
        result_recipient_unit=r.result_recipient_unit,
        delivery_address=codec.address_from_json(r.delivery_address),
        contact_phone=r.contact_phone,
        specimens=specimens,
        history=history,
        kit_return_days=r.kit_return_days,
    )


def _utc(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _specimen_of(item: list[Any]) -> Specimen:
    """A specimen as the PostgreSQL read of a page aggregates it: [identifier, material, collected]."""
    identifier, material, collected = item
    return Specimen(identifier, codec.code_from_json(material), _utc(collected))


def _change_of(item: list[Any]) -> StatusChange:
    """A status change as the PostgreSQL read of a page aggregates it: [status, time, by, unit, reason, comment]."""
    status, time, performed_by, unit, reason, comment = item
    actor = codec.actor_from_json(performed_by)
    assert actor is not None
    changed = _utc(time)
    assert changed is not None
    return StatusChange(OrderStatus(status), changed, actor, unit, codec.code_from_json(reason), comment)


def _change(r: Row[Any]) -> StatusChange:
    actor = codec.actor_from_json(r.performed_by)
    assert actor is not None
    return StatusChange(
        OrderStatus(r.status), r.time, actor, r.unit, codec.code_from_json(r.reason), r.comment
    )


# ---------------------------------------------------------------- GetOrders statements
# Built once per shape of query (which selectors and filters it has) with bound parameters, so a
# call only binds values: building a statement costs more than running it.

Shape = tuple[bool, ...]


def _shape(q: OrderQuery) -> Shape:
    return (
        q.patient is not None, bool(q.order_ids), bool(q.referral_ids), bool(q.performing_lab),
        bool(q.sampling_unit), bool(q.statuses), q.created_from is not None, q.created_before is not None,
        q.care_givers is not None,
    )


def _query_params(q: OrderQuery, after: int, limit: int) -> dict[str, Any] | None:
    """The values of a GetOrders query; None when it cannot match anything."""
    if q.care_givers is not None and not q.care_givers:
        return None
    params: dict[str, Any] = {"after": after, "limit": limit}
    if q.patient is not None:
        params.update(patient_id=q.patient.id, patient_type=q.patient.type)
    params.update(
        order_ids=list(q.order_ids), referral_ids=list(q.referral_ids), lab=q.performing_lab, unit=q.sampling_unit,
        statuses=[s.value for s in q.statuses], created_from=q.created_from, created_before=q.created_before,
        care_givers=sorted(q.care_givers or ()),
    )
    return params


@cache
def _where(shape: Shape) -> ColumnElement[bool]:
    patient, orders, referrals, lab, unit, statuses, created_from, created_before, care_givers = shape
    c = patient_order.c
    conditions: list[ColumnElement[bool]] = [c.seq > bindparam("after")]
    if patient:
        conditions += [c.patient_id == bindparam("patient_id"), c.patient_type == bindparam("patient_type")]
    if orders:
        conditions.append(c.order_id.in_(bindparam("order_ids", expanding=True)))
    if referrals:
        conditions.append(c.referral_id.in_(bindparam("referral_ids", expanding=True)))
    if lab:
        conditions.append(c.performing_lab == bindparam("lab"))
    if unit:
        conditions.append(c.sampling_unit == bindparam("unit"))
    if statuses:
        conditions.append(c.status.in_(bindparam("statuses", expanding=True)))
    if created_from:
        conditions.append(c.created_time >= bindparam("created_from", type_=UTCDateTime()))
    if created_before:
        conditions.append(c.created_time < bindparam("created_before", type_=UTCDateTime()))
    if care_givers:
        conditions.append(func.upper(c.care_giver).in_(bindparam("care_givers", expanding=True)))
    return and_(*conditions)


@cache
def _page_statement(shape: Shape) -> Select[Any]:
    return select(patient_order).where(_where(shape)).order_by(patient_order.c.seq).limit(bindparam("limit"))


_STAMP_COLUMNS = ("time", "interaction", "action", "log_id", "consumer_hsa_id", "sender_hsa_id", "actor_id",
                  "care_giver", "care_unit", "actor_kind")


def _stamp_params(stamp: AuditRecord) -> dict[str, Any]:
    return {
        "a_time": stamp.time, "a_interaction": stamp.operation.value, "a_action": stamp.action.value,
        "a_log_id": stamp.log_id, "a_consumer_hsa_id": stamp.consumer_hsa_id, "a_sender_hsa_id": stamp.sender_hsa_id,
        "a_actor_id": stamp.actor_id, "a_care_giver": stamp.care_giver, "a_care_unit": stamp.care_unit,
        "a_actor_kind": stamp.actor_kind.value if stamp.actor_kind else None,
    }


@cache
def _audited_page_statement(shape: Shape) -> Select[Any]:
    """PostgreSQL: the page, its specimens and history as JSON, and the audit insert, in one statement."""
    c = patient_order.c
    page = select(patient_order).where(_where(shape)).order_by(c.seq).limit(bindparam("limit")).cte("page")
    shown = select(page.c.patient_id, page.c.patient_type).order_by(page.c.seq).limit(bindparam("returned")).subquery("shown")
    page_patients = select(shown.c.patient_id, shown.c.patient_type)
    asked = select(bindparam("patient_id", type_=String()), bindparam("patient_type", type_=String()))
    who = (page_patients.union(asked) if shape[0] else page_patients.distinct()).subquery("who")
    stamp = [bindparam(f"a_{name}", type_=UTCDateTime() if name == "time" else String()) for name in _STAMP_COLUMNS]
    audited = (
        insert(audit_record)
        .from_select(["patient_id", "patient_type", *_STAMP_COLUMNS], select(who.c.patient_id, who.c.patient_type, *stamp))
        .cte("audited")
    )
    return select(page, *_children_json(page.c.seq)).order_by(page.c.seq).add_cte(audited)


def _children_json(seq: ColumnElement[int]) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """PostgreSQL: an order's specimens and status history, each as one JSON array (see
    _specimen_of and _change_of), read in the statement that reads the order."""
    s, h = specimen.c, order_status_change.c
    none: ColumnElement[Any] = literal_column("'[]'::json")
    specimens = (
        select(func.coalesce(func.json_agg(aggregate_order_by(
            func.json_build_array(s.identifier, s.material, s.collected_time), s.id)), none))
        .where(s.order_seq == seq).scalar_subquery()
    )
    history = (
        select(func.coalesce(func.json_agg(aggregate_order_by(
            func.json_build_array(h.status, h.time, h.performed_by, h.unit, h.reason, h.comment), h.id)), none))
        .where(h.order_seq == seq).scalar_subquery()
    )
    return specimens.label("specimens_json"), history.label("history_json")


@cache
def _order_for_update_statement() -> Select[Any]:
    """PostgreSQL: one order with its specimens and history, its row locked for the write."""
    c = patient_order.c
    return (select(patient_order, *_children_json(c.seq)).where(c.order_id == bindparam("order_id"))
            .with_for_update(of=patient_order))


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


# ---------------------------------------------------------------- results


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


# ---------------------------------------------------------------- follow-up


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


# ---------------------------------------------------------------- registry and audit


class SystemCache:
    """Connected systems found recently, shared by a process's units of work.

    Every call looks up its caller, and registrations change seldom: a system found is
    remembered for ``ttl`` seconds (a changed registration takes effect within that time);
    a system not found is looked up again on every call, so a new one counts at once."""

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._found: dict[str, tuple[float, ConnectedSystem]] = {}

    def get(self, key: str) -> ConnectedSystem | None:
        hit = self._found.get(key)
        if hit is None or time.monotonic() - hit[0] > self.ttl:
            return None
        return hit[1]

    def put(self, key: str, system: ConnectedSystem) -> None:
        self._found[key] = (time.monotonic(), system)

    def forget(self, key: str) -> None:
        self._found.pop(key, None)


class SqlSystemRepository:
    def __init__(self, conn: Connection, cache: SystemCache | None = None) -> None:
        self.conn = conn
        self.cache = cache or SystemCache(ttl=0)

    def _build(self, rows: Sequence[Row[Any]]) -> list[ConnectedSystem]:
        if not rows:
            return []
        ids = [r.hsa_id for r in rows]
        served: dict[str, set[str]] = defaultdict(set)
        for r in self.conn.execute(
            select(connected_system_care_giver).where(connected_system_care_giver.c.hsa_id.in_(ids))
        ):
            served[r.hsa_id].add(r.care_giver)
        units: dict[str, set[str]] = defaultdict(set)
        for r in self.conn.execute(select(connected_system_unit).where(connected_system_unit.c.hsa_id.in_(ids))):
            units[r.hsa_id].add(r.unit)
        return [
            ConnectedSystem(r.hsa_id, SystemKind(r.kind), r.name, frozenset(served[r.hsa_id]), r.all_care_givers,
                            frozenset(units[r.hsa_id]))
            for r in rows
        ]

    def get(self, hsa_id: str) -> ConnectedSystem | None:
        key = hsa_id.upper()
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        rows = self.conn.execute(
            select(connected_system).where(func.upper(connected_system.c.hsa_id) == key)
        ).all()
        found = self._build(rows)
        if found:
            self.cache.put(key, found[0])
        return found[0] if found else None

    def keys(self, hsa_id: str) -> list[SystemKey]:
        q = (
            select(connected_system_key)
            .where(func.upper(connected_system_key.c.hsa_id) == hsa_id.upper())
            .order_by(connected_system_key.c.added_time)
        )
        return [SystemKey(r.hsa_id, r.key_id, r.public_key, r.added_time) for r in self.conn.execute(q)]

    def list(self) -> list[ConnectedSystem]:
        return self._build(self.conn.execute(select(connected_system).order_by(connected_system.c.hsa_id)).all())

    def put(self, system: ConnectedSystem) -> None:
        # updated in place: the system's signing keys hang on its row
        self.cache.forget(system.hsa_id.upper())
        self.conn.execute(delete(connected_system_unit).where(connected_system_unit.c.hsa_id == system.hsa_id))
        self.conn.execute(delete(connected_system_care_giver).where(connected_system_care_giver.c.hsa_id == system.hsa_id))
        values = {"kind": system.kind.value, "name": system.name, "all_care_givers": system.all_care_givers}
        done = self.conn.execute(
            update(connected_system).where(connected_system.c.hsa_id == system.hsa_id).values(**values)
        )
        if not done.rowcount:
            self.conn.execute(insert(connected_system).values(hsa_id=system.hsa_id, **values))
        if system.care_givers:
            self.conn.execute(
                insert(connected_system_care_giver),
                [{"hsa_id": system.hsa_id, "care_giver": c} for c in sorted(system.care_givers)],
            )
        if system.units:
            self.conn.execute(
                insert(connected_system_unit), [{"hsa_id": system.hsa_id, "unit": u} for u in sorted(system.units)]
            )


    def add_key(self, key: SystemKey) -> None:
        self.conn.execute(
            delete(connected_system_key).where(
                connected_system_key.c.hsa_id == key.hsa_id, connected_system_key.c.key_id == key.key_id
            )
        )
        self.conn.execute(
            insert(connected_system_key).values(
                hsa_id=key.hsa_id, key_id=key.key_id, public_key=key.public_key_pem, added_time=key.added_time
            )
        )

    def remove_key(self, hsa_id: str, key_id: str) -> bool:
        done = self.conn.execute(
            delete(connected_system_key).where(
                func.upper(connected_system_key.c.hsa_id) == hsa_id.upper(), connected_system_key.c.key_id == key_id
            )
        )
        return bool(done.rowcount)


class SqlReserveNumberRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @staticmethod
    def _kind(r: Row[Any]) -> ReserveNumberType:
        return ReserveNumberType(r.oid, r.care_giver, r.name, r.pattern)

    def get(self, oid: str) -> ReserveNumberType | None:
        row = self.conn.execute(select(reserve_number_type).where(reserve_number_type.c.oid == oid)).first()
        return self._kind(row) if row else None

    def list(self) -> list[ReserveNumberType]:
        return [self._kind(r) for r in self.conn.execute(select(reserve_number_type).order_by(reserve_number_type.c.oid))]

    def put(self, kind: ReserveNumberType) -> None:
        self.conn.execute(delete(reserve_number_type).where(reserve_number_type.c.oid == kind.oid))
        self.conn.execute(
            insert(reserve_number_type).values(
                oid=kind.oid, care_giver=kind.care_giver.upper(), name=kind.name, pattern=kind.pattern
            )
        )


class SqlSamplingSiteRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @staticmethod
    def _site(r: Row[Any]) -> SamplingSite:
        return SamplingSite(r.hsa_id, r.name, r.care_giver, r.street, r.postal_code, r.city, r.performing_lab,
                            r.opening_hours, r.active)

    def get(self, hsa_id: str) -> SamplingSite | None:
        row = self.conn.execute(select(sampling_site).where(func.upper(sampling_site.c.hsa_id) == hsa_id.upper())).first()
        return self._site(row) if row else None

    def for_care_giver(self, care_giver: str | None = None, *, active_only: bool = True) -> list[SamplingSite]:
        q = select(sampling_site).order_by(sampling_site.c.care_giver, sampling_site.c.name)
        if care_giver:
            q = q.where(sampling_site.c.care_giver == care_giver.upper())
        if active_only:
            q = q.where(sampling_site.c.active.is_(True))
        return [self._site(r) for r in self.conn.execute(q)]

    def put(self, site: SamplingSite) -> None:
        values = {
            "name": site.name, "care_giver": site.care_giver.upper(), "street": site.street,
            "postal_code": site.postal_code, "city": site.city, "opening_hours": site.opening_hours,
            "performing_lab": site.performing_lab, "active": site.active,
        }
        done = self.conn.execute(update(sampling_site).where(sampling_site.c.hsa_id == site.hsa_id).values(**values))
        if not done.rowcount:
            self.conn.execute(insert(sampling_site).values(hsa_id=site.hsa_id, **values))


# ---------------------------------------------------------------- staff


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
        return [StaffMember(r.hsa_id, r.name, r.care_giver, units[r.hsa_id], r.active) for r in rows]

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
        values = {"name": member.name, "care_giver": member.care_giver.upper(), "active": member.active}
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


def _stamped(stamp: AuditRecord, patients: Iterable[PersonId]) -> list[AuditRecord]:
    """The stamp's record for each patient, once each."""
    seen: dict[tuple[str, str], AuditRecord] = {}
    for p in patients:
        seen.setdefault((p.id, p.type), replace(stamp, patient_id=p.id, patient_type=p.type))
    return list(seen.values())


def _audit(r: Row[Any]) -> AuditRecord:
    return AuditRecord(
        time=r.time,
        operation=Operation(r.interaction),
        action=AuditAction(r.action),
        patient_id=r.patient_id,
        patient_type=r.patient_type,
        log_id=r.log_id,
        consumer_hsa_id=r.consumer_hsa_id,
        sender_hsa_id=r.sender_hsa_id,
        actor_id=r.actor_id,
        care_giver=r.care_giver,
        care_unit=r.care_unit,
        actor_kind=ActorKind(r.actor_kind) if r.actor_kind else None,
    )


class SqlAuditRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, records: Iterable[AuditRecord]) -> None:
        rows = [
            {
                "time": a.time,
                "interaction": a.operation.value,
                "action": a.action.value,
                "patient_id": a.patient_id,
                "patient_type": a.patient_type,
                "log_id": a.log_id,
                "consumer_hsa_id": a.consumer_hsa_id,
                "sender_hsa_id": a.sender_hsa_id,
                "actor_id": a.actor_id,
                "care_giver": a.care_giver,
                "care_unit": a.care_unit,
                "actor_kind": a.actor_kind.value if a.actor_kind else None,
            }
            for a in records
        ]
        if rows:
            self.conn.execute(insert(audit_record), rows)

    def for_log_id(self, log_id: str) -> list[AuditRecord]:
        q = select(audit_record).where(audit_record.c.log_id == log_id).order_by(audit_record.c.id)
        return [_audit(r) for r in self.conn.execute(q)]

    def for_patient(self, patient_id: str) -> list[AuditRecord]:
        q = select(audit_record).where(audit_record.c.patient_id == patient_id).order_by(audit_record.c.id)
        return [_audit(r) for r in self.conn.execute(q)]

    def page_for_patient(
        self, patient: PersonId, before: int | None, limit: int, since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[tuple[int, AuditRecord]]:
        c = audit_record.c
        conditions = [c.patient_id == patient.id, or_(c.patient_type == patient.type, c.patient_type.is_(None))]
        if before is not None:
            conditions.append(c.id < before)
        if since is not None:
            conditions.append(c.time >= since)
        if until is not None:
            conditions.append(c.time < until)
        q = select(audit_record).where(and_(*conditions)).order_by(c.id.desc()).limit(limit)
        return [(r.id, _audit(r)) for r in self.conn.execute(q)]
