"""Who may do what: the connected-systems registry decides, per kind of system,
which interactions and status reports it may make, and which care givers' data it
may touch."""

from __future__ import annotations

from .errors import CallerRefused, RuleViolation, SubCode
from .model import Actor, ActorKind, ConnectedSystem, Order, OrderStatus, SystemKind
from .operations import Operation
from .staff import StaffMember

K = SystemKind

Op = Operation
# The kinds of system that may call each interaction (the staff web's own operations are the
# staff functions' business: ``staff.OPERATION_FUNCTIONS``).
INTERACTIONS_BY_KIND: dict[Operation, frozenset[SystemKind]] = {
    Op.GET_OFFER_CATALOG: frozenset({K.EHR, K.STAFF_UI, K.CITIZEN}),
    Op.ASSIGN_OFFER: frozenset({K.EHR, K.STAFF_UI}),
    Op.REVOKE_OFFER: frozenset({K.EHR, K.STAFF_UI}),
    Op.GET_OFFERS: frozenset({K.CITIZEN, K.STAFF_UI, K.EHR}),
    Op.CREATE_ORDER: frozenset({K.CITIZEN, K.STAFF_UI}),
    Op.GET_ORDERS: frozenset({K.SAMPLING, K.LAB, K.STAFF_UI, K.CITIZEN, K.EHR}),
    Op.SET_ORDER_STATUS: frozenset({K.SAMPLING, K.LAB, K.STAFF_UI}),
    Op.CANCEL_ORDER: frozenset({K.CITIZEN, K.STAFF_UI, K.EHR}),
    Op.SET_RESULT: frozenset({K.LAB, K.STAFF_UI}),
    Op.GET_RESULTS: frozenset({K.CITIZEN, K.EHR, K.STAFF_UI}),
    Op.GET_SAMPLING_SITES: frozenset({K.CITIZEN, K.EHR, K.STAFF_UI}),
    Op.GET_ACCESS_LOG: frozenset({K.CITIZEN}),
    # the patient's notice settings: the citizen e-service, for the patient it names
    Op.GET_NOTICE_SETTINGS: frozenset({K.CITIZEN}),
    Op.SET_NOTICE_SETTINGS: frozenset({K.CITIZEN}),
    # the national results contract: journal systems and the national aggregating services
    Op.GET_LABORATORY_ORDER_OUTCOME: frozenset({K.EHR, K.AGGREGATOR}),
}

S = OrderStatus
REPORTABLE_STATUSES: dict[SystemKind, frozenset[OrderStatus]] = {
    K.SAMPLING: frozenset({S.KIT_SENT, S.SPECIMEN_COLLECTED, S.REJECTED}),
    K.LAB: frozenset({S.KIT_SENT, S.SPECIMEN_COLLECTED, S.RECEIVED_BY_LAB, S.REJECTED}),
    K.STAFF_UI: frozenset({S.KIT_SENT, S.SPECIMEN_COLLECTED, S.RECEIVED_BY_LAB, S.REJECTED}),
}


def check_interaction(system: ConnectedSystem | None, operation: Operation) -> ConnectedSystem:
    """The system making the call, if it may make this interaction at all."""
    if system is None:
        raise CallerRefused("the calling system is not registered with the service")
    if system.kind not in INTERACTIONS_BY_KIND.get(operation, frozenset()):
        raise CallerRefused(f"a {system.kind} system may not call {operation}")
    return system


def check_serves(system: ConnectedSystem, care_giver: str) -> None:
    if not system.serves(care_giver):
        raise RuleViolation(SubCode.NOT_PERMITTED, "the calling system may not act on this care giver's data")


def check_may_report(system: ConnectedSystem, status: OrderStatus) -> None:
    if status not in REPORTABLE_STATUSES.get(system.kind, frozenset()):
        raise RuleViolation(SubCode.NOT_PERMITTED, f"a {system.kind} system may not report {status}")


def care_giver_scope(system: ConnectedSystem) -> frozenset[str] | None:
    """The care givers whose data a read may return; None means all of them."""
    return None if system.all_care_givers else system.care_givers


def check_performer(
    system: ConnectedSystem | None,
    actor: Actor,
    what: str,
    care_giver: str,
    member: StaffMember | None,
    patient: str | None = None,
) -> None:
    """Whom a call may name as the one acting (the patient reads it in their access log).

    A system names itself (its own HSA-id, never another system) or an active staff member
    registered at a care giver it serves (``member``, from the staff registry). Only the
    citizen e-service names a patient, and only ``patient``, the one the request is about;
    it names nobody else. With no system (an operator at the console) the one named is an
    active staff member of ``care_giver``, whose data it is. The refusal says which field
    and why, never who was named."""
    if actor.kind is ActorKind.PATIENT:
        if system is None or system.kind is not SystemKind.CITIZEN:
            raise RuleViolation(SubCode.NOT_PERMITTED, f"{what}: only the citizen e-service may name a patient")
        if patient is None or actor.id != patient:
            raise RuleViolation(SubCode.NOT_PERMITTED, f"{what}: the patient named is not the patient of the request")
        return
    if system is not None and system.kind is SystemKind.CITIZEN:
        raise RuleViolation(SubCode.NOT_PERMITTED, f"{what}: the citizen e-service names the patient")
    if actor.kind is ActorKind.SYSTEM:
        if system is None or actor.id.upper() != system.hsa_id.upper():
            raise RuleViolation(SubCode.NOT_PERMITTED, f"{what}: a system names itself (its own HSA-id), not another")
        return
    registered = member is not None and member.active and (
        system.serves(member.care_giver) if system is not None else member.care_giver.upper() == care_giver.upper()
    )
    if not registered:
        raise RuleViolation(
            SubCode.NOT_PERMITTED,
            f"{what}: no active staff member with that HSA-id is registered at a care giver the caller serves",
        )


def sees_contact_details(system: ConnectedSystem, order: Order, desk: str | None = None) -> bool:
    """Whether the caller sees the order's delivery address and phone number. Anyone the order
    is shown to does, unless the patient has protected identity: then only the patient's own
    e-service and whoever handles the open order with the patient: a system reporting for its
    sampling site, pickup point or (home kit) sending lab (``Order.handled_at``), or on the staff
    web the sampling desk (``desk``: the care unit a staff member with the sampling function acts
    at; empty for other staff) of its accountable care unit or its sampling site."""
    if not order.protected_identity:
        return True
    if desk is not None:
        return bool(desk) and order.is_open and (order.care_unit.upper() == desk.upper() or order.handled_at(desk))
    if system.kind is K.CITIZEN:
        return True
    if system.kind not in (K.SAMPLING, K.LAB):
        return False
    return any(system.acts_for(unit) and order.handled_at(unit)
               for unit in (order.sampling_unit, order.performing_lab) if unit)
