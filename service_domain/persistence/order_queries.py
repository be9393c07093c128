"""Reading orders: a row and its children into an ``Order``, and the GetOrders statements (the
page, and on PostgreSQL the page with its children and the audit insert in one statement)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, bindparam, func, insert, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Row

from ..identity import PersonId
from ..model import AuditRecord, Order, OrderStatus, ResultRelease, SamplingMode, Specimen, StatusChange
from ..ports import OrderQuery
from . import codec
from .tables import UTCDateTime, audit_record, order_status_change, patient_order, specimen


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
        protected_identity=r.protected_identity,
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
