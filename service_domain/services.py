"""The service layer: one function per interaction (and per staff operation).

Each function runs in one unit of work: it checks the caller and the input, loads
what it needs (locking what it will change), applies the domain rules, writes audit
records for the patient data it touched, and commits. On any error nothing is
written. Reads raise ``InvalidRequest`` / ``CallerRefused``; writes raise those or
``RuleViolation``; the producers turn them into SOAP Faults or ResultType.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from . import access, commands, manual_results, paging, release, staff, ucum
from .clock import day_after, day_start, local_date, utcnow
from .errors import CallerRefused, InvalidRequest, RuleViolation, SubCode
from .identity import InvalidIdentity, PersonId, check_hsa_id, national_type_of, parse_person_id
from .model import (
    AccessLogEntry,
    Actor,
    ActorKind,
    AnalysisStatus,
    AuditAction,
    AuditRecord,
    Bound,
    Code,
    ConnectedSystem,
    FollowUpCase,
    FollowUpStatus,
    FollowUpStep,
    FollowUpStepKind,
    Interval,
    LaboratoryResult,
    Offer,
    OfferDefinition,
    OfferStatus,
    Order,
    OrderStatus,
    Quantity,
    ReserveNumberType,
    SamplingMode,
    SamplingSite,
    StatusChange,
    StoredResult,
    SystemKey,
    SystemKind,
)
from .ports import ConcurrentWrite, OrderQuery, UnitOfWork
from .staff import StaffFunction, StaffMember
from .status import check_result_transition

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# Consumers' clocks drift; an event reported a little in the future is accepted.
CLOCK_SKEW = timedelta(minutes=5)
REFERRAL_ALPHABET = "ACEFHJKMNPRTWXY3479"  # no look-alikes (0/O/D, 1/I/L, 2/Z, 5/S, 6/G, 8/B, U/V)
REFERRAL_LENGTH = 8


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """A write that was accepted: OK, or INFO when it changed nothing (a repeat)."""

    info: bool = False
    message: str | None = None
    offer_id: str | None = None
    order_id: str | None = None
    referral_id: str | None = None



@dataclass(frozen=True, slots=True)
class OrdersPage:
    orders: list[Order]
    continuation_token: str | None


@dataclass(frozen=True, slots=True)
class OrderResultView:
    order: Order
    result: LaboratoryResult | None
    released_to_patient: bool
    release_time: datetime | None
    follow_up_required: bool
    earlier: tuple[LaboratoryResult, ...] = ()  # the correction history, newest first, when asked for


# ---------------------------------------------------------------- checks


def _patient(uow: UnitOfWork, pid: PersonId, now: datetime, care_giver: str | None = None) -> PersonId:
    """A checked patient id. A reservnummer is accepted under a type configured for the care
    giver the call concerns (``care_giver``), or for any care giver when the call names none."""
    reserve: dict[str, str | None] = {}
    if not pid.is_national:
        kind = uow.reserve_numbers.get(pid.type)
        if kind is not None and (care_giver is None or kind.care_giver.upper() == care_giver.upper()):
            reserve[kind.oid] = kind.pattern
    try:
        return parse_person_id(pid.id, pid.type, today=local_date(now), reserve_types=reserve)
    except InvalidIdentity as e:
        raise InvalidRequest(str(e)) from None


def _hsa(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    try:
        return check_hsa_id(value, what)
    except InvalidIdentity as e:
        raise InvalidRequest(str(e)) from None


def _actor(actor: Actor, what: str, now: datetime, *, allowed: Iterable[ActorKind] = tuple(ActorKind)) -> Actor:
    if actor.kind not in tuple(allowed):
        raise InvalidRequest(f"{what} must be one of {', '.join(sorted(allowed))}")
    if actor.kind is ActorKind.PATIENT:
        if not actor.id.isdigit() or len(actor.id) != 12:
            raise InvalidRequest(f"{what}: a PATIENT actor is identified by a 12-digit personal identity number")
        try:
            parse_person_id(actor.id, national_type_of(actor.id), today=local_date(now))
        except InvalidIdentity as e:
            raise InvalidRequest(f"{what}: {e}") from None
    else:
        _hsa(actor.id, f"{what} id")
    return actor


def _not_future(moment: datetime, what: str, now: datetime) -> None:
    if moment > now + CLOCK_SKEW:
        raise InvalidRequest(f"{what} lies in the future")


def _code(c: Code | None, what: str) -> None:
    """A coded value names a code in a code system, or is the original text of an uncoded concept."""
    if c is None:
        return
    if (c.code is None) != (c.code_system is None):
        raise InvalidRequest(f"{what}: code and codeSystem are given together")
    if c.code is None and not (c.original_text or "").strip():
        raise InvalidRequest(f"{what}: give code and codeSystem, or originalText for an uncoded concept")


def _unit(unit: str, what: str) -> None:
    if not ucum.is_ucum(unit):
        raise InvalidRequest(f"{what}: the unit is not in UCUM syntax")


def _bound(b: Bound | None, what: str) -> Decimal | None:
    if b is None:
        return None
    _unit(b.unit, what)
    try:
        return Decimal(b.value)
    except InvalidOperation:
        raise InvalidRequest(f"{what}: the value is not a decimal number") from None


def _interval(i: Interval | None, what: str) -> None:
    if i is None:
        return
    if i.low is None and i.high is None and not (i.text or "").strip():
        raise InvalidRequest(f"{what}: give low, high or text")
    low, high = _bound(i.low, f"{what} low"), _bound(i.high, f"{what} high")
    if low is not None and high is not None and i.low is not None and i.high is not None:
        if i.low.unit == i.high.unit and high < low:
            raise InvalidRequest(f"{what} has high below low")


def _system(uow: UnitOfWork, ctx: commands.CallContext) -> ConnectedSystem:
    """The calling system, if it may make this call; for the staff web, narrowed to the
    care giver of the staff member acting (who must hold a function that allows the call
    at the care unit they act at)."""
    system = uow.systems.get(ctx.consumer) if ctx.consumer else None
    if ctx.staff is not None:
        member = uow.staff.get(ctx.staff.hsa_id)
        return staff.check_staff_call(system, member, ctx.staff, ctx.interaction)
    if system is not None and system.kind is SystemKind.STAFF_UI:
        raise CallerRefused("a call from a staff web must name the staff member acting")
    return access.check_interaction(system, ctx.interaction)


def _staff_system(uow: UnitOfWork, ctx: commands.CallContext) -> ConnectedSystem | None:
    """For staff operations: the narrowed staff web when a staff member acts; None for an
    operator at the console (the ``eph`` command), who acts on every care giver's data."""
    return _system(uow, ctx) if ctx.staff is not None else None


def _as_staff_member(ctx: commands.CallContext, actor: Actor, what: str) -> None:
    """From the staff web, the person acting is the staff member who is logged in."""
    if ctx.staff is not None and (actor.kind is not ActorKind.STAFF or actor.id.upper() != ctx.staff.hsa_id.upper()):
        raise InvalidRequest(f"{what} must be the staff member acting")


def _audit(
    ctx: commands.CallContext,
    action: AuditAction,
    patients: Iterable[PersonId],
    actor: Actor | None = None,
    care_giver: str | None = None,
) -> list[AuditRecord]:
    seen: set[str] = set()
    records = []
    for p in patients:
        if p.id in seen:
            continue
        seen.add(p.id)
        records.append(
            AuditRecord(
                time=ctx.now,
                interaction=ctx.interaction,
                action=action,
                patient_id=p.id,
                patient_type=p.type,
                log_id=ctx.log_id,
                consumer_hsa_id=ctx.consumer,
                sender_hsa_id=ctx.sender,
                actor_id=ctx.staff.hsa_id if ctx.staff else actor.id if actor else None,
                care_giver=care_giver,
                care_unit=ctx.staff.care_unit if ctx.staff else None,
                actor_kind=ActorKind.STAFF if ctx.staff else actor.kind if actor else None,
            )
        )
    return records


def _stamp(ctx: commands.CallContext, action: AuditAction, actor: Actor | None = None,
           care_giver: str | None = None) -> AuditRecord:
    """An audit record of this call without its patient."""
    return _audit(ctx, action, [PersonId("")], actor, care_giver)[0]


def _repeat(
    uow: UnitOfWork,
    ctx: commands.CallContext,
    patient: PersonId,
    actor: Actor | None,
    care_giver: str,
    message: str,
    **ids: str,
) -> WriteOutcome:
    """A write that repeats one already done: nothing changes, but the patient's data was touched."""
    uow.audit.add(_audit(ctx, AuditAction.WRITE, [patient], actor, care_giver))
    uow.commit()
    return WriteOutcome(info=True, message=message, **ids)


def _new_id() -> str:
    return str(uuid.uuid4())


# ---------------------------------------------------------------- offers


def get_offer_catalog(
    uow: UnitOfWork, ctx: commands.CallContext, cmd: commands.GetOfferCatalog
) -> list[OfferDefinition]:
    _hsa(cmd.care_giver, "careGiverHSAId")
    with uow:
        system = _system(uow, ctx)
        definitions = uow.definitions.list(cmd.care_giver, cmd.sampling_mode, active_only=True)
        return [
            d for d in definitions if system.serves(d.care_giver) and (not cmd.self_service or d.self_service)
        ]


def _same_assignment(offer: Offer, cmd: commands.AssignOffer, definition: OfferDefinition) -> bool:
    """Whether an active offer is what this AssignOffer would make (a retry of the same request)."""
    return (
        offer.care_unit.upper() == cmd.care_unit.upper()
        and offer.assigned_by == cmd.assigned_by
        and offer.max_orders == (cmd.max_orders or definition.max_orders)
        and (cmd.valid_to is None or offer.valid_to == cmd.valid_to)
        and offer.comment == cmd.comment
    )


def assign_offer(uow: UnitOfWork, ctx: commands.CallContext, cmd: commands.AssignOffer) -> WriteOutcome:
    now = ctx.now
    _hsa(cmd.care_giver, "careGiverHSAId")
    _hsa(cmd.care_unit, "accountableCareUnit")
    _actor(cmd.assigned_by, "assignedBy", now, allowed=(ActorKind.STAFF, ActorKind.SYSTEM))
    _as_staff_member(ctx, cmd.assigned_by, "assignedBy")
    if cmd.valid_to is not None and cmd.valid_to <= now:
        raise InvalidRequest("validTo must lie in the future")
    with uow:
        patient = _patient(uow, cmd.patient, now, cmd.care_giver)
        system = _system(uow, ctx)
        access.check_serves(system, cmd.care_giver)
        staff.check_unit(ctx.staff, cmd.care_unit)
        definition = uow.definitions.get(cmd.care_giver, cmd.offer_code)
        if definition is None or not definition.active:
            raise RuleViolation(SubCode.NOT_IN_CATALOGUE, "the offer code is not in the care giver's catalogue")
        age = patient.age_on(local_date(now))
        if age is None and definition.has_age_limits:
            raise RuleViolation(
                SubCode.NOT_IN_CATALOGUE, "the offer has age limits and a reservnummer does not tell the patient's age"
            )
        if age is not None and not definition.fits_age(age):
            raise RuleViolation(SubCode.NOT_IN_CATALOGUE, "the patient's age is outside the offer's age limits")
        # One active offer of a code per patient and care giver: the same request again (a retry
        # after a timeout) gets the offer it made; another one is refused.
        for existing in uow.offers.for_patient(patient, for_update=True):
            if (
                existing.offer_code == definition.offer_code
                and existing.care_giver.upper() == definition.care_giver.upper()
                and existing.status_at(now) is OfferStatus.ACTIVE
            ):
                if _same_assignment(existing, cmd, definition):
                    return _repeat(uow, ctx, patient, cmd.assigned_by, existing.care_giver,
                                   "the patient already has this offer; it is returned", offer_id=existing.offer_id)
                raise RuleViolation(
                    SubCode.WRONG_STATE, "the patient already has an active offer with this code; revoke it first"
                )
        offer = Offer(
            offer_id=_new_id(),
            offer_code=definition.offer_code,
            display_name=definition.display_name,
            patient=patient,
            care_giver=definition.care_giver,
            care_unit=cmd.care_unit,
            assigned_by=cmd.assigned_by,
            assigned_time=now,
            valid_to=cmd.valid_to or now + timedelta(days=definition.validity_days),
            max_orders=cmd.max_orders or definition.max_orders,
            orders_placed=0,
            status=OfferStatus.ACTIVE,
            sampling_modes=definition.sampling_modes,
            comment=cmd.comment,
        )
        uow.offers.add(offer)
        uow.audit.add(_audit(ctx, AuditAction.WRITE, [patient], cmd.assigned_by, offer.care_giver))
        uow.commit()
        return WriteOutcome(offer_id=offer.offer_id)


def revoke_offer(uow: UnitOfWork, ctx: commands.CallContext, cmd: commands.RevokeOffer) -> WriteOutcome:
    _actor(cmd.revoked_by, "revokedBy", ctx.now, allowed=(ActorKind.STAFF, ActorKind.SYSTEM))
    _as_staff_member(ctx, cmd.revoked_by, "revokedBy")
    with uow:
        system = _system(uow, ctx)
        offer = uow.offers.get(cmd.offer_id, for_update=True)
        if offer is None:
            raise RuleViolation(SubCode.UNKNOWN_ID, "no offer with that offerId")
        access.check_serves(system, offer.care_giver)
        staff.check_unit(ctx.staff, offer.care_unit)
        if offer.status is OfferStatus.REVOKED:
            return _repeat(uow, ctx, offer.patient, cmd.revoked_by, offer.care_giver, "the offer was already revoked")
        offer.revoke(ctx.now)
        uow.offers.save(offer)
        uow.audit.add(_audit(ctx, AuditAction.WRITE, [offer.patient], cmd.revoked_by, offer.care_giver))
        uow.commit()
        return WriteOutcome()


def get_offers(uow: UnitOfWork, ctx: commands.CallContext, cmd: commands.GetOffers) -> list[Offer]:
    with uow:
        patient = _patient(uow, cmd.patient, ctx.now)
        system = _system(uow, ctx)
        offers = []
        for offer in uow.offers.for_patient(patient):
            if not system.serves(offer.care_giver):
                continue
            offer.status = offer.status_at(ctx.now)
            if cmd.statuses and offer.status not in cmd.statuses:
                continue
            offers.append(offer)
        uow.audit.add(_audit(ctx, AuditAction.READ, [patient]))
        uow.commit()
        return offers


# ---------------------------------------------------------------- orders


def _new_referral_id(uow: UnitOfWork) -> str:
    """A referral id no other order has, open or closed: a look-up by referral id finds one order."""
    for _ in range(20):
        candidate = "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(REFERRAL_LENGTH))
        if not uow.orders.referral_in_use(candidate):
            return candidate
    raise RuntimeError("could not find a free referral id")  # 19^8 codes: does not happen in practice


def create_order(uow: UnitOfWork, ctx: commands.CallContext, cmd: commands.CreateOrder) -> WriteOutcome:
    try:
        return _create_order(uow, ctx, cmd)
    except ConcurrentWrite:
        # another order took the same referral id at the same moment; draw again
        return _create_order(uow, ctx, cmd)


YEAR = timedelta(days=365)


def _create_order(uow: UnitOfWork, ctx: commands.CallContext, cmd: commands.CreateOrder) -> WriteOutcome:
    now = ctx.now
    _hsa(cmd.performing_lab, "performingLabHSAId")
    _hsa(cmd.sampling_unit, "samplingUnitHSAId")
    _hsa(cmd.care_giver, "careGiverHSAId")
    self_service = cmd.offer_id is None
    if self_service and not (cmd.care_giver and cmd.offer_code):
        raise InvalidRequest("give offerId, or careGiverHSAId and offerCode of a self-service catalogue entry")
    if not self_service and (cmd.care_giver or cmd.offer_code):
        raise InvalidRequest("give offerId, or careGiverHSAId and offerCode, not both")
    if cmd.sampling_mode is SamplingMode.HOME_KIT and cmd.delivery_address is None:
        raise InvalidRequest("a HOME_KIT order needs a deliveryAddress")
    if cmd.sampling_mode is SamplingMode.HOME_KIT and cmd.sampling_unit:
        raise InvalidRequest("a HOME_KIT order has no sampling site")
    with uow:
        patient = _patient(uow, cmd.patient, now, cmd.care_giver)
        system = _system(uow, ctx)
        actor = (
            Actor(ActorKind.PATIENT, patient.id)
            if system.kind is SystemKind.CITIZEN
            else Actor(ActorKind.SYSTEM, system.hsa_id)
        )
        if self_service:
            offer, definition, existing = _self_service_offer(uow, system, cmd, patient, actor, now)
        else:
            found = uow.offers.get(cmd.offer_id or "", for_update=True)
            # An offer of another patient is reported as unknown: its existence is not disclosed.
            if found is None or found.patient != patient:
                raise RuleViolation(SubCode.UNKNOWN_ID, "no offer with that offerId for this patient")
            offer = found
            access.check_serves(system, offer.care_giver)
            existing = uow.orders.open_for_offer(offer.offer_id, cmd.sampling_mode)
            definition = None
        if existing is not None:
            return _repeat(
                uow, ctx, patient, None, offer.care_giver,
                "an open order for this offer and sampling mode exists; it is returned",
                order_id=existing.order_id, referral_id=existing.referral_id, offer_id=existing.offer_id,
            )
        if cmd.sampling_mode not in offer.sampling_modes:
            raise RuleViolation(SubCode.NOT_IN_CATALOGUE, f"the offer does not allow sampling mode {cmd.sampling_mode}")
        definition = definition or uow.definitions.get(offer.care_giver, offer.offer_code)
        if definition is None or not definition.active:
            raise RuleViolation(SubCode.WRONG_STATE, "the offer is no longer in the care giver's catalogue")
        performing_lab, sampling_unit = _where(uow, cmd, offer.care_giver, definition)
        offer.take_order(now)
        order = Order(
            order_id=_new_id(),
            referral_id=_new_referral_id(uow),
            offer_id=offer.offer_id,
            offer_code=offer.offer_code,
            display_name=offer.display_name,
            patient=patient,
            status=OrderStatus.ORDERED,
            sampling_mode=cmd.sampling_mode,
            care_giver=offer.care_giver,
            care_unit=offer.care_unit,
            analyses=definition.analyses,
            created_time=now,
            valid_to=now + timedelta(days=definition.validity_days),
            notifiable=definition.notifiable,
            result_release=definition.result_release,
            performing_lab=performing_lab,
            sampling_unit=sampling_unit,
            result_recipient_unit=offer.care_unit,
            delivery_address=cmd.delivery_address,
            contact_phone=cmd.contact_phone,
            history=[StatusChange(OrderStatus.ORDERED, now, actor)],
            kit_return_days=definition.kit_return_days,
        )
        if self_service:
            uow.offers.add(offer)
        uow.orders.add(order)
        uow.offers.save(offer)
        uow.audit.add(_audit(ctx, AuditAction.WRITE, [patient], actor, offer.care_giver))
        uow.commit()
        return WriteOutcome(order_id=order.order_id, referral_id=order.referral_id, offer_id=offer.offer_id)


def _self_service_offer(
    uow: UnitOfWork, system: ConnectedSystem, cmd: commands.CreateOrder, patient: PersonId, actor: Actor,
    now: datetime,
) -> tuple[Offer, OfferDefinition, Order | None]:
    """The offer a self-service order is placed from (made for it, recorded like any other), the
    catalogue entry, and the patient's open order of the entry in the same mode if this is a
    repeat. The patient's limits are checked: one open order of the entry, and at most the
    entry's number of orders in twelve months."""
    assert cmd.care_giver is not None and cmd.offer_code is not None
    if system.kind is not SystemKind.CITIZEN:
        raise RuleViolation(SubCode.NOT_PERMITTED, "patients order from self-service entries through the citizen e-service")
    access.check_serves(system, cmd.care_giver)
    definition = uow.definitions.get(cmd.care_giver, cmd.offer_code)
    if definition is None or not definition.active or not definition.self_service:
        raise RuleViolation(SubCode.NOT_IN_CATALOGUE, "the care giver's catalogue has no self-service entry with that code")
    age = patient.age_on(local_date(now))
    if age is None or not definition.fits_age(age):
        raise RuleViolation(SubCode.NOT_IN_CATALOGUE, "the patient's age is outside the offer's age limits")
    uow.offers.for_patient(patient, for_update=True)  # the patient's writes take turns: limits hold under retries
    orders = uow.orders.of_kind(patient, definition.care_giver, definition.offer_code, now - YEAR)
    open_orders = [o for o in orders if o.is_open]
    same = next((o for o in open_orders if o.sampling_mode is cmd.sampling_mode), None)
    offer = Offer(
        offer_id=_new_id(),
        offer_code=definition.offer_code,
        display_name=definition.display_name,
        patient=patient,
        care_giver=definition.care_giver,
        care_unit=definition.accountable_care_unit or definition.care_giver,
        assigned_by=actor,
        assigned_time=now,
        valid_to=now + timedelta(days=definition.validity_days),
        max_orders=1,
        orders_placed=0,
        status=OfferStatus.ACTIVE,
        sampling_modes=definition.sampling_modes,
        comment="beställd utan erbjudande (egenbeställning)",
    )
    if same is not None:
        return offer, definition, same
    if open_orders:
        raise RuleViolation(SubCode.WRONG_STATE, "the patient already has an open order of this kind")
    limit = definition.self_service_orders_per_year
    placed = [o for o in orders if o.status is not OrderStatus.CANCELLED and o.created_time >= now - YEAR]
    if limit is not None and len(placed) >= limit:
        raise RuleViolation(SubCode.WRONG_STATE, f"at most {limit} orders of this kind in twelve months")
    return offer, definition, None


def _where(
    uow: UnitOfWork, cmd: commands.CreateOrder, care_giver: str, definition: OfferDefinition
) -> tuple[str | None, str | None]:
    """The order's performing lab and sampling unit: the lab of the sampling site the patient
    chose from the care giver's register, or the lab of the catalogue entry."""
    if cmd.sampling_unit:
        site = uow.sites.get(cmd.sampling_unit)
        if site is not None and site.active and site.care_giver.upper() == care_giver.upper():
            if cmd.performing_lab and cmd.performing_lab.upper() != site.performing_lab.upper():
                raise InvalidRequest("performingLabHSAId is not the lab of the chosen sampling site; leave it out")
            return site.performing_lab, site.hsa_id
        if uow.sites.for_care_giver(care_giver):
            raise RuleViolation(SubCode.NOT_IN_CATALOGUE, "samplingUnitHSAId is not a sampling site of the care giver")
    return cmd.performing_lab or definition.performing_lab, cmd.sampling_unit


def get_orders(uow: UnitOfWork, ctx: commands.CallContext, cmd: commands.GetOrders) -> OrdersPage:
    if not cmd.has_selector:
        raise InvalidRequest(
            "give at least one of patientId, orderId, referralId, performingLabHSAId, samplingUnitHSAId"
        )
    _hsa(cmd.performing_lab, "performingLabHSAId")
    _hsa(cmd.sampling_unit, "samplingUnitHSAId")
    if cmd.created_start and cmd.created_end and cmd.created_end < cmd.created_start:
        raise InvalidRequest("createdPeriod ends before it starts")
    limit = cmd.max_results or DEFAULT_PAGE_SIZE
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"maxResults must be between 1 and {MAX_PAGE_SIZE}")
    with uow:
        patient = _patient(uow, cmd.patient, ctx.now) if cmd.patient else None
        system = _system(uow, ctx)
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
        rows = uow.orders.find_audited(query, after, limit + 1, limit, _stamp(ctx, AuditAction.READ))
        more = len(rows) > limit
        rows = rows[:limit]
        token = paging.encode(rows[-1][0], digest) if more else None
        uow.commit()
        return OrdersPage([order for _, order in rows], token)


def _load_order_for_write(uow: UnitOfWork, system: ConnectedSystem, order_id: str) -> Order:
    order = uow.orders.get(order_id, for_update=True)
    if order is None:
        raise RuleViolation(SubCode.UNKNOWN_ID, "no order with that orderId")
    access.check_serves(system, order.care_giver)
    return order


def set_order_status(
    uow: UnitOfWork, ctx: commands.CallContext, cmd: commands.SetOrderStatus
) -> WriteOutcome:
    now = ctx.now
    _actor(cmd.performed_by, "performedBy", now)
    _as_staff_member(ctx, cmd.performed_by, "performedBy")
    _hsa(cmd.performing_unit, "performingUnitHSAId")
    _not_future(cmd.event_time, "eventTime", now)
    for s in cmd.specimens:
        if s.collected_time is not None:
            _not_future(s.collected_time, "specimen collectedTime", now)
    if cmd.status is OrderStatus.SPECIMEN_COLLECTED and not cmd.specimens:
        raise InvalidRequest("SPECIMEN_COLLECTED needs the collected specimen (its barcode)")
    if cmd.status is OrderStatus.REJECTED and cmd.reason is None:
        raise InvalidRequest("REJECTED needs the coded reason why the order cannot be performed")
    _code(cmd.reason, "reason")
    for s in cmd.specimens:
        _code(s.material, "specimen material")
    if len({s.identifier for s in cmd.specimens}) != len(cmd.specimens):
        raise InvalidRequest("the same specimen identifier is given twice")
    with uow:
        system = _system(uow, ctx)
        access.check_may_report(system, cmd.status)
        order = _load_order_for_write(uow, system, cmd.order_id)
        if system.kind is SystemKind.LAB and order.performing_lab and not system.acts_for(order.performing_lab):
            raise RuleViolation(SubCode.NOT_PERMITTED, "the order is addressed to another lab")
        known = {s.identifier for s in order.specimens}
        new_specimens = [s for s in cmd.specimens if s.identifier not in known]
        if order.status is cmd.status and not new_specimens:
            # the same report again (a retry after a timeout, perhaps with a fresh eventTime)
            return _repeat(
                uow, ctx, order.patient, cmd.performed_by, order.care_giver, f"the order already has status {cmd.status}"
            )
        change = StatusChange(
            cmd.status, cmd.event_time, cmd.performed_by, cmd.performing_unit, cmd.reason, cmd.comment
        )
        order.apply(change)
        order.specimens.extend(new_specimens)
        if cmd.status is OrderStatus.SPECIMEN_COLLECTED and order.sampling_unit is None:
            order.sampling_unit = cmd.performing_unit
        uow.orders.record_change(order, change, new_specimens)
        uow.audit.add(_audit(ctx, AuditAction.WRITE, [order.patient], cmd.performed_by, order.care_giver))
        uow.commit()
        return WriteOutcome()


def cancel_order(uow: UnitOfWork, ctx: commands.CallContext, cmd: commands.CancelOrder) -> WriteOutcome:
    now = ctx.now
    _actor(cmd.cancelled_by, "cancelledBy", now)
    _as_staff_member(ctx, cmd.cancelled_by, "cancelledBy")
    with uow:
        system = _system(uow, ctx)
        order = _load_order_for_write(uow, system, cmd.order_id)
        if system.kind is SystemKind.CITIZEN and (
            cmd.cancelled_by.kind is not ActorKind.PATIENT or cmd.cancelled_by.id != order.patient.id
        ):
            raise RuleViolation(SubCode.NOT_PERMITTED, "through the citizen e-service only the patient may cancel")
        if order.status is OrderStatus.CANCELLED:
            return _repeat(uow, ctx, order.patient, cmd.cancelled_by, order.care_giver, "the order was already cancelled")
        change = StatusChange(OrderStatus.CANCELLED, now, cmd.cancelled_by, comment=cmd.reason)
        order.apply(change)
        uow.orders.record_change(order, change)
        # A cancelled order does not use up the offer.
        offer = uow.offers.get(order.offer_id, for_update=True)
        if offer is not None:
            offer.return_order()
            uow.offers.save(offer)
        uow.audit.add(_audit(ctx, AuditAction.WRITE, [order.patient], cmd.cancelled_by, order.care_giver))
        uow.commit()
        return WriteOutcome()


# ---------------------------------------------------------------- results


NO_VALUE = (AnalysisStatus.CANNOT_BE_DONE, AnalysisStatus.ENTERED_IN_ERROR)


def _check_result_input(result: LaboratoryResult, now: datetime) -> None:
    _hsa(result.performing_lab, "performingLabHSAId")
    _not_future(result.report_time, "reportTime", now)
    if result.signed_by is not None:
        _actor(result.signed_by, "signedBy", now, allowed=(ActorKind.STAFF, ActorKind.SYSTEM))
    for n, a in enumerate(result.analysis_results, start=1):
        what = f"analysisResult {n}"
        _code(a.code, f"{what} code")
        if a.status in NO_VALUE:
            if a.value is not None:
                raise InvalidRequest(f"{what}: an analysis that is {a.status} carries no value")
        elif a.value is None:
            raise InvalidRequest(f"{what}: a {a.status} analysis result needs a value")
        if isinstance(a.value, Quantity):
            _bound(Bound(a.value.value, a.value.unit), f"{what} value")
        elif isinstance(a.value, Code):
            _code(a.value, f"{what} coded value")
        elif isinstance(a.value, Interval):
            _interval(a.value, f"{what} interval")
        _interval(a.reference_interval, f"{what} reference interval")
    keys = [a.code.key for a in result.analysis_results]
    if len(set(keys)) != len(keys):
        raise InvalidRequest("the same analysis code is reported twice in one result")


def set_result(uow: UnitOfWork, ctx: commands.CallContext, cmd: commands.SetResult) -> WriteOutcome:
    _check_result_input(cmd.result, ctx.now)
    if ctx.staff is not None:
        if cmd.result.signed_by is None:
            raise InvalidRequest("a result typed in by staff is signed by the staff member")
        _as_staff_member(ctx, cmd.result.signed_by, "signedBy")
    try:
        return _store_result(uow, ctx, cmd.result)
    except ConcurrentWrite:
        # Another transaction stored the same version between our read and write
        # (only possible where the order row lock is not available); decide again.
        return _store_result(uow, ctx, cmd.result)


def _store_result(uow: UnitOfWork, ctx: commands.CallContext, result: LaboratoryResult) -> WriteOutcome:
    now = ctx.now
    with uow:
        system = _system(uow, ctx)
        order = _load_order_for_write(uow, system, result.order_id)
        # the result comes from the order's lab, through a system that reports for that lab
        if order.performing_lab and result.performing_lab.upper() != order.performing_lab.upper():
            raise RuleViolation(SubCode.NOT_PERMITTED, "the order is addressed to another lab")
        if system.kind is SystemKind.LAB and not system.acts_for(result.performing_lab):
            raise RuleViolation(SubCode.NOT_PERMITTED, "the calling system does not report for this lab")
        if ctx.staff is not None:  # typed in on the staff web: only where no lab system reports
            manual_results.check_staff_entry(ctx.staff, order, uow.systems.list())
        same, newest = uow.results.version_and_newest(order.order_id, result.version)
        if same is not None:
            if same.result == result:
                return _repeat(
                    uow, ctx, order.patient, result.signed_by, order.care_giver, "this result version is already stored"
                )
            raise RuleViolation(
                SubCode.VERSION_CONFLICT, "this result version is already stored with other content"
            )
        if result.version < newest:
            raise RuleViolation(
                SubCode.VERSION_CONFLICT, f"a newer result version ({newest}) is already stored"
            )
        new_status = check_result_transition(order.status, result.report_status, order.sampling_mode)

        case = uow.follow_ups.open_for_order(order.order_id)
        decision = release.decide(
            order.result_release, order.notifiable, result, case is not None, order.positive_values_of
        )
        if decision.needs_follow_up and case is None:
            case = FollowUpCase(
                case_id=_new_id(),
                order_id=order.order_id,
                care_giver=order.care_giver,
                care_unit=order.care_unit,
                opened_time=now,
            )
            uow.follow_ups.add(case)
        uow.results.add(
            StoredResult(
                result=result,
                received_time=now,
                released=decision.released,
                release_time=now if decision.released else None,
                follow_up_case_id=case.case_id if case is not None and not decision.released else None,
            )
        )
        actor = result.signed_by or Actor(ActorKind.SYSTEM, system.hsa_id)
        change = StatusChange(new_status, result.report_time, actor, result.performing_lab)
        order.apply(change)
        uow.orders.record_change(order, change)
        uow.audit.add(_audit(ctx, AuditAction.WRITE, [order.patient], actor, order.care_giver))
        uow.commit()
        return WriteOutcome()


def get_results(
    uow: UnitOfWork, ctx: commands.CallContext, cmd: commands.GetResults
) -> list[OrderResultView]:
    if cmd.period_start and cmd.period_end and cmd.period_end < cmd.period_start:
        raise InvalidRequest("period ends before it starts")
    with uow:
        patient = _patient(uow, cmd.patient, ctx.now)
        system = _system(uow, ctx)
        citizen = system.kind is SystemKind.CITIZEN
        orders = [o for o in uow.orders.for_patient(patient, cmd.order_ids) if system.serves(o.care_giver)]
        ids = [o.order_id for o in orders]
        newest = uow.results.newest(ids)
        held: set[str] = set()
        if citizen:
            # the patient sees the newest version released to them, never a newer one that is held
            with_results = set(newest)
            newest = uow.results.newest(ids, released_only=True)
            held = with_results - set(newest)
        open_cases = set() if citizen else uow.follow_ups.open_for_orders(list(newest))
        views = []
        for order in orders:
            stored = newest.get(order.order_id)
            if stored is None:
                if order.order_id in held:
                    # Neither the result nor a pending follow-up (which would disclose a
                    # positive finding) reaches the patient before release.
                    views.append(OrderResultView(order, None, False, None, False))
                continue
            day = local_date(stored.result.report_time)
            if (cmd.period_start and day < cmd.period_start) or (cmd.period_end and day > cmd.period_end):
                continue
            # follow-up is staff business: the patient is never told a case is open
            follow_up = order.order_id in open_cases
            earlier: tuple[LaboratoryResult, ...] = ()
            if cmd.include_earlier:
                earlier = tuple(
                    v.result for v in reversed(uow.results.versions(order.order_id))
                    if v.result.version < stored.result.version and (v.released or not citizen)
                )
            views.append(
                OrderResultView(order, stored.result, stored.released, stored.release_time, follow_up, earlier)
            )
        uow.audit.add(_audit(ctx, AuditAction.READ, [patient]))
        uow.commit()
        return views


# ---------------------------------------------------------------- the patient's side


def get_sampling_sites(
    uow: UnitOfWork, ctx: commands.CallContext, cmd: commands.GetSamplingSites
) -> list[SamplingSite]:
    """The sites a patient may choose: a care giver's, or those of the care giver of an offer or
    order of the patient (where the offer allows site sampling). An id that is not the patient's
    gives an empty list, like an id that does not exist."""
    given = [x for x in (cmd.care_giver, cmd.offer_id, cmd.order_id) if x]
    if len(given) != 1:
        raise InvalidRequest("give exactly one of careGiverHSAId, offerId and orderId")
    if (cmd.offer_id or cmd.order_id) and cmd.patient is None:
        raise InvalidRequest("an offerId or orderId is given with the patientId")
    _hsa(cmd.care_giver, "careGiverHSAId")
    with uow:
        system = _system(uow, ctx)
        patient = _patient(uow, cmd.patient, ctx.now) if cmd.patient else None
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
            uow.audit.add(_audit(ctx, AuditAction.READ, [patient]))
        uow.commit()
        return sites


@dataclass(frozen=True, slots=True)
class AccessLogPage:
    entries: list[AccessLogEntry]
    continuation_token: str | None


def get_access_log(uow: UnitOfWork, ctx: commands.CallContext, cmd: commands.GetAccessLog) -> AccessLogPage:
    """Who has read or changed the patient's data, newest first, in pages: built from the audit
    records of this patient only. Reading the log is itself recorded."""
    if cmd.period_start and cmd.period_end and cmd.period_end < cmd.period_start:
        raise InvalidRequest("period ends before it starts")
    limit = cmd.max_results or DEFAULT_PAGE_SIZE
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"maxResults must be between 1 and {MAX_PAGE_SIZE}")
    since = day_start(cmd.period_start) if cmd.period_start else None
    until = day_after(cmd.period_end) if cmd.period_end and cmd.period_end < date.max else None
    with uow:
        patient = _patient(uow, cmd.patient, ctx.now)
        _system(uow, ctx)
        digest = paging.keyed_digest(
            uow.paging_key(), "GetAccessLog", patient.type, patient.id,
            since.isoformat() if since else "", until.isoformat() if until else "",
        )
        before = paging.decode(cmd.continuation_token, digest) if cmd.continuation_token else None
        rows = uow.audit.page_for_patient(patient, before, limit + 1, since, until)
        more = len(rows) > limit
        rows = rows[:limit]
        entries = [_log_entry(uow, record) for _, record in rows]
        token = paging.encode(rows[-1][0], digest) if more else None
        uow.audit.add(_audit(ctx, AuditAction.READ, [patient]))
        uow.commit()
        return AccessLogPage(entries, token)


def _log_entry(uow: UnitOfWork, record: AuditRecord) -> AccessLogEntry:
    system = uow.systems.get(record.consumer_hsa_id) if record.consumer_hsa_id else None
    performed_by = None
    if record.actor_id:
        kind = record.actor_kind or (ActorKind.PATIENT if record.actor_id.isdigit() else ActorKind.SYSTEM)
        name = None
        if kind is ActorKind.STAFF:
            member = uow.staff.get(record.actor_id)
            name = member.name if member is not None else None
        elif kind is ActorKind.SYSTEM:
            named = uow.systems.get(record.actor_id)
            name = named.name if named is not None else None
        performed_by = Actor(kind, record.actor_id, name)
    return AccessLogEntry(
        time=record.time,
        action=record.action,
        interaction=record.interaction,
        system_hsa_id=record.consumer_hsa_id,
        system_name=system.name if system is not None else None,
        care_giver=record.care_giver,
        care_unit=record.care_unit,
        performed_by=performed_by,
    )


# ---------------------------------------------------------------- staff operations


def list_follow_ups(uow: UnitOfWork, status: FollowUpStatus | None = None) -> list[FollowUpCase]:
    with uow:
        return uow.follow_ups.list(status.value if status else None)


def close_follow_up(
    uow: UnitOfWork, ctx: commands.CallContext, case_id: str, closed_by: Actor, note: str | None = None
) -> int:
    """Close a follow-up case; return how many result versions it released to the patient."""
    _actor(closed_by, "closedBy", ctx.now, allowed=(ActorKind.STAFF,))
    _as_staff_member(ctx, closed_by, "closedBy")
    with uow:
        case = _load_case(uow, ctx, case_id, for_update=True)
        if case.status is FollowUpStatus.CLOSED:
            raise RuleViolation(SubCode.WRONG_STATE, "the follow-up case is already closed")
        order = uow.orders.get(case.order_id, for_update=True)
        assert order is not None  # a case always belongs to an order
        case.status = FollowUpStatus.CLOSED
        case.closed_time = ctx.now
        case.closed_by = closed_by.id
        case.note = note
        uow.follow_ups.save(case)
        released = 0
        if release.released_when_case_closes(order.result_release):
            released = uow.results.release(order.order_id, ctx.now)
        uow.audit.add(_audit(ctx, AuditAction.WRITE, [order.patient], closed_by, order.care_giver))
        uow.commit()
        return released


def release_results(uow: UnitOfWork, ctx: commands.CallContext, order_id: str, released_by: Actor) -> int:
    """Staff release an order's held results (AFTER_REVIEW); refused while a follow-up is open."""
    _actor(released_by, "releasedBy", ctx.now, allowed=(ActorKind.STAFF,))
    _as_staff_member(ctx, released_by, "releasedBy")
    with uow:
        system = _staff_system(uow, ctx)
        order = uow.orders.get(order_id, for_update=True)
        if order is None:
            raise RuleViolation(SubCode.UNKNOWN_ID, "no order with that orderId")
        if system is not None:
            access.check_serves(system, order.care_giver)
            staff.check_unit(ctx.staff, order.care_unit)
        if uow.follow_ups.open_for_order(order_id) is not None:
            raise RuleViolation(SubCode.WRONG_STATE, "close the order's follow-up case first")
        released = uow.results.release(order_id, ctx.now)
        uow.audit.add(_audit(ctx, AuditAction.WRITE, [order.patient], released_by, order.care_giver))
        uow.commit()
        return released


HOUSEKEEPING_ACTOR = Actor(ActorKind.SYSTEM, "SE5565594230-EPH", "housekeeping")


EXPIRY_BATCH = 500
T = TypeVar("T")


def expire_due(
    uow: UnitOfWork, now: datetime, actor: Actor = HOUSEKEEPING_ACTOR, batch: int = EXPIRY_BATCH
) -> tuple[int, int]:
    """Mark unsampled orders and offers past validTo as EXPIRED. Returns (offers, orders).

    In transactions of at most ``batch`` rows each: a backlog of thousands (the first round after
    a long pause, or after a bulk import) never holds thousands of row locks, or their rows in
    memory, at once. Rows another transaction holds are skipped and left for the next round, so
    housekeeping never makes a caller wait. Each transaction locks one kind of row only."""
    ctx = commands.CallContext("Housekeeping", str(uuid.uuid4()), None, now)

    def expire_order(u: UnitOfWork, order: Order) -> bool:
        if order.expires_at() >= now:  # a kit that is out may still come back within its return window
            return False
        change = StatusChange(OrderStatus.EXPIRED, now, actor)
        order.apply(change)
        u.orders.record_change(order, change)
        u.audit.add(_audit(ctx, AuditAction.WRITE, [order.patient], actor, order.care_giver))
        return True

    def expire_offer(u: UnitOfWork, offer: Offer) -> bool:
        offer.status = OfferStatus.EXPIRED
        u.offers.save(offer)
        u.audit.add(_audit(ctx, AuditAction.WRITE, [offer.patient], actor, offer.care_giver))
        return True

    orders = _in_batches(uow, batch, lambda u, after: u.orders.due_to_expire(now, after, batch), expire_order)
    offers = _in_batches(uow, batch, lambda u, after: u.offers.due_to_expire(now, after, batch), expire_offer)
    return offers, orders


def _in_batches(
    uow: UnitOfWork,
    batch: int,
    due_after: Callable[[UnitOfWork, int], list[tuple[int, T]]],
    expire: Callable[[UnitOfWork, T], bool],
) -> int:
    """Run ``expire`` on every row ``due_after`` hands over, a transaction per batch, going on
    after the last row number seen (so rows that stay never stall it); how many it expired."""
    done = after = 0
    while True:
        with uow:
            found = due_after(uow, after)
            done += sum(expire(uow, item) for _, item in found)
            uow.commit()
        if len(found) < batch:
            return done
        after = found[-1][0]


# ---------------------------------------------------------------- operations


def ping(uow: UnitOfWork) -> str:
    """The storage's kind, once it has answered (PingForConfiguration)."""
    return uow.ping()


# ---------------------------------------------------------------- catalogue and registry


def import_catalogue(
    uow: UnitOfWork,
    definitions: Sequence[OfferDefinition],
    *,
    replace_all: bool = False,
    ctx: commands.CallContext | None = None,
    sites: Sequence[SamplingSite] = (),
) -> tuple[int, int]:
    """Store catalogue entries in one transaction; returns (added, updated).

    With ``replace_all`` a care giver's entries that are not in ``definitions`` are deactivated
    (never deleted: assigned offers refer to them); care givers not in ``definitions`` keep theirs.
    From the staff web (``ctx`` naming an administrator) every entry must be of their care giver."""
    with uow:
        system = _staff_system(uow, ctx) if ctx is not None else None
        if system is not None:
            for d in definitions:
                access.check_serves(system, d.care_giver)
        counts = uow.definitions.replace_all(definitions) if replace_all else uow.definitions.upsert(definitions)
        for site in sites:
            if system is not None:
                access.check_serves(system, site.care_giver)
            _put_site(uow, site)
        uow.commit()
        return counts


def _put_site(uow: UnitOfWork, site: SamplingSite) -> None:
    for value, what in ((site.hsa_id, "samplingUnitHSAId"), (site.care_giver, "careGiverHSAId"),
                        (site.performing_lab, "performingLabHSAId")):
        _hsa(value, what)
    uow.sites.put(site)


def register_sampling_sites(uow: UnitOfWork, sites: Sequence[SamplingSite]) -> int:
    """Add or change sampling sites (a site retired stays, marked inactive); returns how many."""
    with uow:
        for site in sites:
            _put_site(uow, site)
        uow.commit()
        return len(sites)


def list_sampling_sites(uow: UnitOfWork, care_giver: str | None = None, *, active_only: bool = False) -> list[SamplingSite]:
    with uow:
        return uow.sites.for_care_giver(care_giver, active_only=active_only)


def export_catalogue(uow: UnitOfWork, ctx: commands.CallContext | None = None) -> list[OfferDefinition]:
    """Every catalogue entry, retired ones too; from the staff web, the administrator's care giver's."""
    with uow:
        system = _staff_system(uow, ctx) if ctx is not None else None
        return [d for d in uow.definitions.list(active_only=False) if system is None or system.serves(d.care_giver)]


def register_systems(uow: UnitOfWork, systems: Sequence[ConnectedSystem]) -> None:
    with uow:
        for s in systems:
            uow.systems.put(replace(s, care_givers=frozenset(c.upper() for c in s.care_givers),
                                    units=frozenset(u.upper() for u in s.units)))
        uow.commit()


def register_reserve_number_type(uow: UnitOfWork, kind: ReserveNumberType) -> None:
    """Let a care giver's reservnummer (under its OID) identify patients."""
    try:
        check_hsa_id(kind.care_giver, "care giver")
    except InvalidIdentity as e:
        raise InvalidRequest(str(e)) from None
    if kind.pattern is not None:
        try:
            re.compile(kind.pattern)
        except re.error:
            raise InvalidRequest("the reservnummer pattern is not a regular expression") from None
    with uow:
        uow.reserve_numbers.put(kind)
        uow.commit()



# ---------------------------------------------------------------- the staff web


def _load_case(uow: UnitOfWork, ctx: commands.CallContext, case_id: str, *, for_update: bool = False) -> FollowUpCase:
    """A follow-up case; from the staff web, only one of the member's care giver and care unit."""
    system = _staff_system(uow, ctx)
    case = uow.follow_ups.get(case_id, for_update=for_update)
    if case is None:
        raise RuleViolation(SubCode.UNKNOWN_ID, "no follow-up case with that id")
    if system is not None:
        access.check_serves(system, case.care_giver)
        staff.check_unit(ctx.staff, case.care_unit)
    return case


def _acting_member(uow: UnitOfWork, ctx: commands.CallContext) -> tuple[ConnectedSystem, StaffMember]:
    """For operations only the staff web makes: the narrowed staff web and the member acting."""
    if ctx.staff is None:
        raise CallerRefused(f"{ctx.interaction} is made by a staff member")
    system = _system(uow, ctx)
    member = uow.staff.get(ctx.staff.hsa_id)
    assert member is not None  # _system checked it
    return system, member


@dataclass(frozen=True, slots=True)
class PatientView:
    """What the staff member's care giver holds about a patient."""

    patient: PersonId
    offers: list[Offer]
    orders: list[Order]
    results: dict[str, list[StoredResult]]  # order id -> every stored version, oldest first
    open_cases: set[str]  # order ids with an open follow-up case


def patient_view(uow: UnitOfWork, ctx: commands.CallContext, patient: PersonId) -> PatientView:
    """The patient page: offers, orders with their history, every result version. Audited
    (``PatientView``) with the staff member and care unit, whether or not anything was found."""
    with uow:
        patient = _patient(uow, patient, ctx.now)
        system, _ = _acting_member(uow, ctx)
        offers = [o for o in uow.offers.for_patient(patient) if system.serves(o.care_giver)]
        for offer in offers:
            offer.status = offer.status_at(ctx.now)
        orders = [o for o in uow.orders.for_patient(patient) if system.serves(o.care_giver)]
        results = {o.order_id: uow.results.versions(o.order_id) for o in orders}
        open_cases = uow.follow_ups.open_for_orders([o.order_id for o in orders])
        uow.audit.add(_audit(ctx, AuditAction.READ, [patient]))
        uow.commit()
        return PatientView(patient, offers, orders, results, open_cases)


@dataclass(frozen=True, slots=True)
class CaseEntry:
    case: FollowUpCase
    order: Order


def follow_up_queue(uow: UnitOfWork, ctx: commands.CallContext) -> list[CaseEntry]:
    """The open follow-up cases of the care unit the staff member acts at. The queue shows no
    patient's identity (not audited); opening a case is."""
    with uow:
        _, member = _acting_member(uow, ctx)
        assert ctx.staff is not None
        cases = uow.follow_ups.list(FollowUpStatus.OPEN.value, member.care_giver, ctx.staff.care_unit)
        entries = []
        for case in cases:
            order = uow.orders.get(case.order_id)
            assert order is not None
            entries.append(CaseEntry(case, order))
        return entries


@dataclass(frozen=True, slots=True)
class CaseView:
    case: FollowUpCase
    order: Order
    results: list[StoredResult]


def follow_up_case(uow: UnitOfWork, ctx: commands.CallContext, case_id: str) -> CaseView:
    """A follow-up case with its order, patient and results; audited."""
    if ctx.staff is None:
        raise CallerRefused(f"{ctx.interaction} is made by a staff member")
    with uow:
        case = _load_case(uow, ctx, case_id)
        order = uow.orders.get(case.order_id)
        assert order is not None
        view = CaseView(case, order, uow.results.versions(order.order_id))
        uow.audit.add(_audit(ctx, AuditAction.READ, [order.patient], care_giver=order.care_giver))
        uow.commit()
        return view


FOLLOW_UP_NOTE_MAX = 2000


def record_follow_up_step(
    uow: UnitOfWork,
    ctx: commands.CallContext,
    case_id: str,
    kind: FollowUpStepKind,
    time: datetime,
    performed_by: str,
    note: str | None = None,
) -> FollowUpStep:
    """Record a step of an open case (patient contacted, treatment, contact tracing, SmiNet report).
    A step may be recorded again (a second attempt to reach the patient, say)."""
    _hsa(performed_by, "performedBy")
    _not_future(time, "the step's time", ctx.now)
    if note is not None and len(note) > FOLLOW_UP_NOTE_MAX:
        raise InvalidRequest(f"the note is longer than {FOLLOW_UP_NOTE_MAX} characters")
    with uow:
        case = _load_case(uow, ctx, case_id, for_update=True)
        if case.status is not FollowUpStatus.OPEN:
            raise RuleViolation(SubCode.WRONG_STATE, "the follow-up case is closed")
        if time < case.opened_time - CLOCK_SKEW:
            raise InvalidRequest("the step's time lies before the case was opened")
        order = uow.orders.get(case.order_id)
        assert order is not None
        step = FollowUpStep(kind, time, performed_by, ctx.now, note or None)
        uow.follow_ups.add_step(case_id, step)
        actor = Actor(ActorKind.STAFF, ctx.staff.hsa_id) if ctx.staff else None
        uow.audit.add(_audit(ctx, AuditAction.WRITE, [order.patient], actor, order.care_giver))
        uow.commit()
        return step


def review_queue(uow: UnitOfWork, ctx: commands.CallContext) -> list[Order]:
    """Orders of the care unit (released after review) whose results wait for release. Shown
    without the patient's identity (not audited); opening one is."""
    with uow:
        _, member = _acting_member(uow, ctx)
        assert ctx.staff is not None
        return uow.orders.with_held_results(member.care_giver, ctx.staff.care_unit)


@dataclass(frozen=True, slots=True)
class ReviewView:
    order: Order
    results: list[StoredResult]
    case_open: bool


def review_order(uow: UnitOfWork, ctx: commands.CallContext, order_id: str) -> ReviewView:
    with uow:
        system, _ = _acting_member(uow, ctx)
        order = uow.orders.get(order_id)
        if order is None or not system.serves(order.care_giver):
            raise RuleViolation(SubCode.UNKNOWN_ID, "no order with that orderId")
        staff.check_unit(ctx.staff, order.care_unit)
        view = ReviewView(order, uow.results.versions(order_id), uow.follow_ups.open_for_order(order_id) is not None)
        uow.audit.add(_audit(ctx, AuditAction.READ, [order.patient], care_giver=order.care_giver))
        uow.commit()
        return view


# ---------------------------------------------------------------- the staff registry

STAFF_NAME_MAX = 255


def find_staff_member(uow: UnitOfWork, hsa_id: str) -> StaffMember | None:
    """A registered staff member (for logging in; the registry holds no patient data)."""
    with uow:
        return uow.staff.get(hsa_id)


def dev_password_hash(uow: UnitOfWork, hsa_id: str) -> str | None:
    with uow:
        return uow.staff.dev_password_hash(hsa_id)


def _admin(uow: UnitOfWork, ctx: commands.CallContext | None) -> StaffMember | None:
    """The administrator acting from the staff web, or None for an operator at the console."""
    if ctx is None or ctx.staff is None:
        return None
    _, member = _acting_member(uow, ctx)
    return member


def list_staff(uow: UnitOfWork, ctx: commands.CallContext | None = None, care_giver: str | None = None) -> list[StaffMember]:
    with uow:
        admin = _admin(uow, ctx)
        return uow.staff.list(admin.care_giver if admin else care_giver)


def _functions(functions: Iterable[StaffFunction | str]) -> frozenset[StaffFunction]:
    try:
        return frozenset(StaffFunction(f) for f in functions)
    except ValueError:
        raise InvalidRequest("a function must be one of " + ", ".join(StaffFunction)) from None


def register_staff(
    uow: UnitOfWork, ctx: commands.CallContext | None, hsa_id: str, name: str, care_giver: str | None = None
) -> StaffMember:
    """Register a staff member (no functions yet). From the staff web, of the administrator's
    care giver, at the care unit the administrator acts at."""
    _hsa(hsa_id, "the staff member's HSA-id")
    name = name.strip()
    if not name or len(name) > STAFF_NAME_MAX:
        raise InvalidRequest(f"the name must be 1 to {STAFF_NAME_MAX} characters")
    with uow:
        admin = _admin(uow, ctx)
        if admin is not None:
            care_giver = admin.care_giver
        if care_giver is None:
            raise InvalidRequest("the staff member's care giver is required")
        _hsa(care_giver, "careGiverHSAId")
        if uow.staff.get(hsa_id) is not None:
            raise RuleViolation(SubCode.WRONG_STATE, "a staff member with that HSA-id is already registered")
        member = StaffMember(hsa_id, name, care_giver.upper(), {})
        if admin is not None and ctx is not None and ctx.staff is not None:
            member = member.granted(ctx.staff.care_unit, frozenset())
        uow.staff.put(member)
        uow.commit()
        return member


def _load_member(uow: UnitOfWork, hsa_id: str) -> StaffMember:
    member = uow.staff.get(hsa_id)
    if member is None:
        raise RuleViolation(SubCode.UNKNOWN_ID, "no staff member with that HSA-id")
    return member


def grant_functions(
    uow: UnitOfWork, ctx: commands.CallContext | None, hsa_id: str, care_unit: str, functions: Iterable[StaffFunction | str]
) -> StaffMember:
    """Let a staff member use these functions at a care unit (the unit becomes one of theirs)."""
    _hsa(care_unit, "the care unit")
    wanted = _functions(functions)
    with uow:
        admin = _admin(uow, ctx)
        member = _load_member(uow, hsa_id)
        if admin is not None:
            staff.check_admin_of(admin, member.care_giver, care_unit)
        member = member.granted(care_unit, wanted)
        uow.staff.put(member)
        uow.commit()
        return member


def revoke_functions(
    uow: UnitOfWork,
    ctx: commands.CallContext | None,
    hsa_id: str,
    care_unit: str,
    functions: Iterable[StaffFunction | str],
    *,
    leave_unit: bool = False,
) -> StaffMember:
    """Take functions at a care unit away (or, with ``leave_unit``, the unit and all its functions)."""
    unwanted = _functions(functions)
    with uow:
        admin = _admin(uow, ctx)
        member = _load_member(uow, hsa_id)
        if admin is not None:
            staff.check_admin_of(admin, member.care_giver, care_unit)
            if member.hsa_id.upper() == admin.hsa_id.upper() and StaffFunction.ADMIN in unwanted | (
                member.functions_at(care_unit) if leave_unit else frozenset()
            ):
                raise RuleViolation(SubCode.NOT_PERMITTED, "an administrator cannot take away their own ADMIN function")
        if not member.works_at(care_unit):
            raise RuleViolation(SubCode.UNKNOWN_ID, "the staff member does not work at that care unit")
        member = member.revoked(care_unit, unwanted, leave_unit=leave_unit)
        uow.staff.put(member)
        uow.commit()
        return member


def set_dev_password(uow: UnitOfWork, ctx: commands.CallContext | None, hsa_id: str, password_hash: str) -> None:
    """Store the (already hashed) development-login password of a staff member."""
    with uow:
        admin = _admin(uow, ctx)
        member = _load_member(uow, hsa_id)
        if admin is not None and not any(admin.may(u, StaffFunction.ADMIN) for u in member.care_units):
            raise RuleViolation(SubCode.NOT_PERMITTED, "the staff member works at no care unit you administer")
        if admin is not None:
            staff.check_admin_of(admin, member.care_giver, next(u for u in member.care_units if admin.may(u, StaffFunction.ADMIN)))
        uow.staff.set_dev_password_hash(member.hsa_id, password_hash, ctx.now if ctx else utcnow())
        uow.commit()


# ---------------------------------------------------------------- journal systems' signing keys


def add_system_key(uow: UnitOfWork, key: SystemKey) -> None:
    """Register a public key a journal system signs uthopp tokens with (the PEM is checked by the caller)."""
    with uow:
        system = uow.systems.get(key.hsa_id)
        if system is None:
            raise RuleViolation(SubCode.UNKNOWN_ID, "no connected system with that HSA-id")
        if system.kind is not SystemKind.EHR:
            raise RuleViolation(SubCode.NOT_PERMITTED, "only journal systems (EHR) sign uthopp tokens")
        uow.systems.add_key(replace(key, hsa_id=system.hsa_id))
        uow.commit()


def remove_system_key(uow: UnitOfWork, hsa_id: str, key_id: str) -> bool:
    with uow:
        removed = uow.systems.remove_key(hsa_id, key_id)
        uow.commit()
        return removed


def signing_keys(uow: UnitOfWork, hsa_id: str) -> tuple[ConnectedSystem | None, list[SystemKey]]:
    """A connected system and the keys it signs with."""
    with uow:
        return uow.systems.get(hsa_id), uow.systems.keys(hsa_id)


# ---------------------------------------------------------------- results typed in on the staff web

RESULT_WORKLIST_LIMIT = 500
# how long an order with a final result stays on the worklist, for a correction or a withdrawal
RECENT_FINAL = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class WorklistEntry:
    order: Order
    newest: StoredResult | None  # the newest result version, if any
    case_open: bool


@dataclass(frozen=True, slots=True)
class ResultWorklist:
    entries: list[WorklistEntry]
    more: bool  # the list was cut at RESULT_WORKLIST_LIMIT


def result_worklist(uow: UnitOfWork, ctx: commands.CallContext, referral_id: str | None = None) -> ResultWorklist:
    """The orders of the care unit the staff member acts at whose lab has no connected system
    (``manual_results``), in a status where a result may be reported: those waiting for a
    result, and those with a final result stored in the last RECENT_FINAL (to correct or
    withdraw). With ``referral_id``, that order in any such status. Like the follow-up and
    review queues it shows no patient's identity and is not audited; opening an order is."""
    with uow:
        _, member = _acting_member(uow, ctx)
        assert ctx.staff is not None
        labs = manual_results.connected_labs(uow.systems.list(), member.care_giver)
        orders = uow.orders.for_result_entry(
            member.care_giver,
            ctx.staff.care_unit,
            manual_results.RESULT_STATUSES,
            labs,
            final_since=None if referral_id else ctx.now - RECENT_FINAL,
            referral_id=referral_id,
            limit=RESULT_WORKLIST_LIMIT + 1,
        )
        more = len(orders) > RESULT_WORKLIST_LIMIT
        orders = orders[:RESULT_WORKLIST_LIMIT]
        ids = [o.order_id for o in orders]
        newest = uow.results.newest(ids)
        open_cases = uow.follow_ups.open_for_orders(ids)
        return ResultWorklist(
            [WorklistEntry(o, newest.get(o.order_id), o.order_id in open_cases) for o in orders], more
        )


@dataclass(frozen=True, slots=True)
class ResultOrderView:
    order: Order
    results: list[StoredResult]  # every version, oldest first
    case_open: bool

    @property
    def newest(self) -> StoredResult | None:
        return self.results[-1] if self.results else None


def result_order(uow: UnitOfWork, ctx: commands.CallContext, order_id: str) -> ResultOrderView:
    """An order to type results in for, with every result version; audited. Only an order of
    the care unit the member acts at whose lab has no connected system (as for SetResult)."""
    with uow:
        system, _ = _acting_member(uow, ctx)
        assert ctx.staff is not None
        order = uow.orders.get(order_id)
        if order is None or not system.serves(order.care_giver):
            raise RuleViolation(SubCode.UNKNOWN_ID, "no order with that orderId")
        manual_results.check_staff_entry(ctx.staff, order, uow.systems.list())
        view = ResultOrderView(order, uow.results.versions(order_id), uow.follow_ups.open_for_order(order_id) is not None)
        uow.audit.add(_audit(ctx, AuditAction.READ, [order.patient], care_giver=order.care_giver))
        uow.commit()
        return view
