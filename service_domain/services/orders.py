"""Orders: a patient orders from an offer (or a self-service entry), systems find orders and
report their status, an order is cancelled; and the sites where a patient may be sampled."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from .. import access, checks, commands, paging
from ..clock import day_after, day_start, local_date
from ..enums import AuditAction
from ..errors import InvalidRequest, RuleViolation, SubCode
from ..identity import PersonId
from ..model import (
    Actor,
    ActorKind,
    ConnectedSystem,
    NoticeKind,
    Offer,
    OfferDefinition,
    Order,
    OrderStatus,
    RegisterAnswer,
    SamplingChoice,
    SamplingMode,
    SamplingSite,
    SystemKind,
)
from ..model.definitions import YEAR
from ..operations import Operation
from ..ports import ConcurrentWrite, OrderQuery, StorageUnavailable, UnitOfWork
from ..staff import StaffFunction
from .calls import (
    Call,
    WriteOutcome,
    as_staff_member,
    caller,
    check_performer,
    checked_patient,
    performs,
    repeat,
    system_care_giver,
)
from .notices import notice_due
from .population import ask_register, refresh_flags
from .regions import standing_of

REFERRAL_ALPHABET = "ACEFHJKMNPRTWXY3479"  # no look-alikes (0/O/D, 1/I/L, 2/Z, 5/S, 6/G, 8/B, U/V)
REFERRAL_LENGTH = 8


@dataclass(frozen=True, slots=True)
class OrdersPage:
    orders: list[Order]
    continuation_token: str | None


def load_order_for_write(uow: UnitOfWork, system: ConnectedSystem, order_id: str) -> Order:
    """The order, locked, if the calling system may act on its care giver's data."""
    order = uow.orders.get(order_id, for_update=True)
    if order is None:
        raise RuleViolation(SubCode.UNKNOWN_ID, "no order with that orderId")
    access.check_serves(system, order.care_giver)
    return order


def _new_referral_id(uow: UnitOfWork) -> str:
    """A referral id no other order has, open or closed: a look-up by referral id finds one order."""
    for _ in range(20):
        candidate = "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(REFERRAL_LENGTH))
        if not uow.orders.referral_in_use(candidate):
            return candidate
    raise RuntimeError("could not find a free referral id")  # 19^8 codes: does not happen in practice


@performs(Operation.CREATE_ORDER)
def create_order(uow: UnitOfWork, call: Call, cmd: commands.CreateOrder) -> WriteOutcome:
    """The population register (the unit of work's) is asked once, before the transaction: whether
    the patient has protected identity, and for a self-service order their home region (made only
    from a care giver under it; while the register cannot be reached no self-service order is
    made). Without a register configured, nobody is protected and the home region is not checked."""
    checks.create_order(cmd)
    answer = ask_register(uow, cmd.patient)
    home: HomeRegion | None = None
    if uow.population is not None and cmd.offer_id is None:
        if not answer.reachable:
            raise StorageUnavailable("the population register cannot be reached")
        home = HomeRegion(answer.record.home_region if answer.record is not None else None)
    try:
        return _create_order(uow, call, cmd, answer, home)
    except ConcurrentWrite:
        # another order took the same referral id at the same moment; draw again
        return _create_order(uow, call, cmd, answer, home)


@dataclass(frozen=True, slots=True)
class HomeRegion:
    """What the population register said of the patient's home region (None: nothing)."""

    hsa_id: str | None


def _create_order(
    uow: UnitOfWork, call: Call, cmd: commands.CreateOrder, register: RegisterAnswer, home: HomeRegion | None
) -> WriteOutcome:
    with uow:
        patient = checked_patient(uow, call, cmd.patient, cmd.care_giver)
        system = caller(uow, call)
        if not register.reachable and cmd.delivery_address is not None:
            # whether a kit may go to this address is the register's to say: try again later
            raise StorageUnavailable("the population register cannot be reached")
        actor = (
            Actor(ActorKind.PATIENT, patient.id)
            if system.kind is SystemKind.CITIZEN
            else Actor(ActorKind.SYSTEM, system.hsa_id)
        )
        definition: OfferDefinition | None
        if cmd.offer_id is None:
            offer, definition, existing = _self_service_offer(uow, call, system, cmd, patient, actor, home)
        else:
            offer, existing = _assigned_offer(uow, system, cmd.offer_id, patient, cmd.sampling_mode)
            definition = None
        if existing is not None:
            return repeat(
                uow, call, patient, None, offer.care_giver,
                "an open order for this offer and sampling mode exists; it is returned",
                order_id=existing.order_id, referral_id=existing.referral_id, offer_id=existing.offer_id,
            )
        definition = definition or uow.definitions.get(offer.care_giver, offer.offer_code)
        sites = uow.sites.for_care_giver(offer.care_giver) if cmd.sampling_unit else []
        order = Order.place(
            offer, definition, SamplingChoice(cmd.sampling_unit, cmd.performing_lab, sites), actor, call.now,
            mode=cmd.sampling_mode, referral_id=_new_referral_id(uow),
            delivery_address=cmd.delivery_address, contact_phone=cmd.contact_phone, protected=register.protected,
        )
        offer.protected_identity = register.protected
        if cmd.offer_id is None:
            uow.offers.add(offer)
        uow.orders.add(order)
        uow.offers.save(offer)
        refresh_flags(uow, patient, register)
        uow.audit.add(call.audit(AuditAction.WRITE, [patient], actor, offer.care_giver))
        uow.commit()
        return WriteOutcome(order_id=order.order_id, referral_id=order.referral_id, offer_id=offer.offer_id)


def _assigned_offer(
    uow: UnitOfWork, system: ConnectedSystem, offer_id: str, patient: PersonId, mode: SamplingMode
) -> tuple[Offer, Order | None]:
    """The patient's offer, locked, and their open order from it in the same mode if this is a repeat."""
    offer = uow.offers.get(offer_id, for_update=True)
    # An offer of another patient is reported as unknown: its existence is not disclosed.
    if offer is None or offer.patient != patient:
        raise RuleViolation(SubCode.UNKNOWN_ID, "no offer with that offerId for this patient")
    access.check_serves(system, offer.care_giver)
    return offer, uow.orders.open_for_offer(offer.offer_id, mode)


def _self_service_offer(
    uow: UnitOfWork, call: Call, system: ConnectedSystem, cmd: commands.CreateOrder, patient: PersonId, actor: Actor,
    home: HomeRegion | None,
) -> tuple[Offer, OfferDefinition, Order | None]:
    """The offer a self-service order is placed from, the catalogue entry, and the patient's
    open order of the entry in the same mode if this is a repeat (the entry's limits checked,
    and the region's: the care giver under a region, the patient's home region when known)."""
    assert cmd.care_giver is not None and cmd.offer_code is not None
    if system.kind is not SystemKind.CITIZEN:
        raise RuleViolation(SubCode.NOT_PERMITTED, "patients order from self-service entries through the citizen e-service")
    access.check_serves(system, cmd.care_giver)
    definition = uow.definitions.get(cmd.care_giver, cmd.offer_code)
    if definition is None or not definition.active or not definition.self_service:
        raise RuleViolation(SubCode.NOT_IN_CATALOGUE, "the care giver's catalogue has no self-service entry with that code")
    position = standing_of(uow, definition.care_giver, local_date(call.now))
    position.check_may_offer(definition)
    if home is not None:
        position.check_home_region(home.hsa_id)
    uow.offers.for_patient(patient, for_update=True)  # the patient's writes take turns: limits hold under retries
    orders = uow.orders.of_kind(patient, definition.care_giver, definition.offer_code, call.now - YEAR)
    same = definition.check_self_service(patient, orders, cmd.sampling_mode, call.now)
    return Offer.for_self_service(definition, patient, actor, call.now), definition, same


@performs(Operation.GET_ORDERS)
def get_orders(uow: UnitOfWork, call: Call, cmd: commands.GetOrders) -> OrdersPage:
    limit = checks.get_orders(cmd)
    with uow:
        patient = checked_patient(uow, call, cmd.patient) if cmd.patient else None
        system = caller(uow, call)
        if system.kind is SystemKind.CITIZEN and patient is None:
            raise InvalidRequest("the citizen e-service must give the patientId")
        query = OrderQuery(
            patient=patient,
            order_ids=tuple(dict.fromkeys(cmd.order_ids)),
            referral_ids=tuple(dict.fromkeys(r.upper() for r in cmd.referral_ids)),
            performing_lab=cmd.performing_lab,
            sampling_unit=cmd.sampling_unit,
            statuses=tuple(dict.fromkeys(cmd.statuses)),
            created_from=day_start(cmd.created_start) if cmd.created_start else None,
            created_before=day_after(cmd.created_end) if cmd.created_end and cmd.created_end < date.max else None,
            care_givers=access.care_giver_scope(system),
        )
        digest = paging.query_digest(uow.paging_key(), query)
        after = paging.decode(cmd.continuation_token, digest) if cmd.continuation_token else 0
        # one more than a page, to know whether more remain; the read of each patient on the page
        # (and of the patient asked about) is recorded with it
        # (from the staff web, with the member's care giver: it is in that care giver's log review)
        stamp = call.stamp(AuditAction.READ, care_giver=system_care_giver(system) if call.staff else None)
        rows = uow.orders.find_audited(query, after, limit + 1, limit, stamp)
        more = len(rows) > limit
        rows = rows[:limit]
        token = paging.encode(rows[-1][0], digest) if more else None
        desk = sampling_desk(uow, call)
        uow.commit()
        return OrdersPage([shown_to(system, order, desk) for _, order in rows], token)


def sampling_desk(uow: UnitOfWork, call: Call) -> str | None:
    """For a staff member: the care unit they act at if they work its sampling desk, else empty;
    None for a system."""
    if call.staff is None:
        return None
    member = uow.staff.get(call.staff.hsa_id)
    desk = member is not None and member.may(call.staff.care_unit, StaffFunction.SAMPLING)
    return call.staff.care_unit if desk else ""


def shown_to(system: ConnectedSystem, order: Order, desk: str | None = None) -> Order:
    """The order as the caller may see it (``access.sees_contact_details``)."""
    return order if access.sees_contact_details(system, order, desk) else order.without_contact_details()


@performs(Operation.SET_ORDER_STATUS)
def set_order_status(uow: UnitOfWork, call: Call, cmd: commands.SetOrderStatus) -> WriteOutcome:
    checks.set_order_status(cmd, call.now)
    as_staff_member(call, cmd.performed_by, "performedBy")
    with uow:
        system = caller(uow, call)
        access.check_may_report(system, cmd.status)
        order = load_order_for_write(uow, system, cmd.order_id)
        if system.kind is SystemKind.LAB and order.performing_lab and not system.acts_for(order.performing_lab):
            raise RuleViolation(SubCode.NOT_PERMITTED, "the order is addressed to another lab")
        check_performer(uow, call, system, cmd.performed_by, "performedBy", order.care_giver)
        before = order.status
        report = order.report_status(
            cmd.status, cmd.event_time, cmd.performed_by, cmd.performing_unit, cmd.specimens, cmd.reason, cmd.comment
        )
        if report is None:  # the same report again (a retry after a timeout, perhaps with a fresh eventTime)
            return repeat(
                uow, call, order.patient, cmd.performed_by, order.care_giver, f"the order already has status {cmd.status}"
            )
        uow.orders.record_change(order, report.change, report.new_specimens)
        if report.change.status is OrderStatus.KIT_SENT and before is not OrderStatus.KIT_SENT:
            notice_due(uow, order, NoticeKind.KIT_SENT, call.now)
        uow.audit.add(call.audit(AuditAction.WRITE, [order.patient], cmd.performed_by, order.care_giver))
        uow.commit()
        return WriteOutcome()


@performs(Operation.CANCEL_ORDER)
def cancel_order(uow: UnitOfWork, call: Call, cmd: commands.CancelOrder) -> WriteOutcome:
    checks.actor(cmd.cancelled_by, "cancelledBy", call.now)
    as_staff_member(call, cmd.cancelled_by, "cancelledBy")
    with uow:
        system = caller(uow, call)
        order = load_order_for_write(uow, system, cmd.order_id)
        check_performer(uow, call, system, cmd.cancelled_by, "cancelledBy", order.care_giver, order.patient)
        change = order.cancel(cmd.cancelled_by, call.now, cmd.reason)
        if change is None:
            return repeat(uow, call, order.patient, cmd.cancelled_by, order.care_giver, "the order was already cancelled")
        uow.orders.record_change(order, change)
        # A cancelled order does not use up the offer.
        offer = uow.offers.get(order.offer_id, for_update=True)
        if offer is not None:
            offer.return_order()
            uow.offers.save(offer)
        uow.audit.add(call.audit(AuditAction.WRITE, [order.patient], cmd.cancelled_by, order.care_giver))
        uow.commit()
        return WriteOutcome()


@performs(Operation.GET_SAMPLING_SITES)
def get_sampling_sites(uow: UnitOfWork, call: Call, cmd: commands.GetSamplingSites) -> list[SamplingSite]:
    """The sites a patient may choose: a care giver's, or those of the care giver of an offer or
    order of the patient (where the offer allows site sampling). An id that is not the patient's
    gives an empty list, like an id that does not exist."""
    given = [x for x in (cmd.care_giver, cmd.offer_id, cmd.order_id) if x]
    if len(given) != 1:
        raise InvalidRequest("give exactly one of careGiverHSAId, offerId and orderId")
    if (cmd.offer_id or cmd.order_id) and cmd.patient is None:
        raise InvalidRequest("an offerId or orderId is given with the patientId")
    checks.hsa(cmd.care_giver, "careGiverHSAId")
    with uow:
        system = caller(uow, call)
        patient = checked_patient(uow, call, cmd.patient) if cmd.patient else None
        care_giver = cmd.care_giver
        if cmd.offer_id:
            offer = uow.offers.get(cmd.offer_id)
            mine = offer is not None and offer.patient == patient and SamplingMode.SITE in offer.sampling_modes
            care_giver = offer.care_giver if offer is not None and mine else None
        elif cmd.order_id:
            order = uow.orders.get(cmd.order_id)
            mine = order is not None and order.patient == patient and order.sampling_mode is SamplingMode.SITE
            care_giver = order.care_giver if order is not None and mine else None
        sites = uow.sites.for_care_giver(care_giver) if care_giver and system.serves(care_giver) else []
        if patient is not None:
            uow.audit.add(call.audit(AuditAction.READ, [patient]))
        uow.commit()
        return sites
