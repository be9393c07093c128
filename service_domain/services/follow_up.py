"""Follow-up and review: staff follow up positive results of notifiable offers, review results
held for review, and release what the patient may then read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import access, checks, release, staff
from ..enums import AuditAction, FollowUpStatus, FollowUpStepKind
from ..errors import CallerRefused, InvalidRequest, RuleViolation, SubCode
from ..model import Actor, ActorKind, FollowUpCase, FollowUpStep, NoticeKind, Order, StoredResult
from ..operations import Operation
from ..ports import UnitOfWork
from .calls import Call, acting_member, as_staff_member, check_performer, performs, staff_caller
from .outbox import tell_of_change

FOLLOW_UP_NOTE_MAX = 2000


def list_follow_ups(uow: UnitOfWork, status: FollowUpStatus | None = None) -> list[FollowUpCase]:
    """Every follow-up case (or those in a status), for an operator at the console."""
    with uow:
        return uow.follow_ups.list(status.value if status else None)


def _load_case(uow: UnitOfWork, call: Call, case_id: str, *, for_update: bool = False) -> FollowUpCase:
    """A follow-up case; from the staff web, only one of the member's care giver and care unit."""
    system = staff_caller(uow, call)
    case = uow.follow_ups.get(case_id, for_update=for_update)
    if case is None:
        raise RuleViolation(SubCode.UNKNOWN_ID, "no follow-up case with that id")
    if system is not None:
        access.check_serves(system, case.care_giver)
        staff.check_unit(call.staff, case.care_unit)
    return case


def _order_of(uow: UnitOfWork, case: FollowUpCase, *, for_update: bool = False) -> Order:
    order = uow.orders.get(case.order_id, for_update=for_update)
    assert order is not None  # a case always belongs to an order
    return order


@dataclass(frozen=True, slots=True)
class CaseEntry:
    case: FollowUpCase
    order: Order


@performs(Operation.FOLLOW_UP_QUEUE)
def follow_up_queue(uow: UnitOfWork, call: Call) -> list[CaseEntry]:
    """The open follow-up cases of the care unit the staff member acts at. The queue shows no
    patient's identity (not audited); opening a case is."""
    with uow:
        _, member, acting = acting_member(uow, call)
        cases = uow.follow_ups.list(FollowUpStatus.OPEN.value, member.care_giver, acting.care_unit)
        return [CaseEntry(case, _order_of(uow, case)) for case in cases]


@dataclass(frozen=True, slots=True)
class CaseView:
    case: FollowUpCase
    order: Order
    results: list[StoredResult]


@performs(Operation.FOLLOW_UP_CASE)
def follow_up_case(uow: UnitOfWork, call: Call, case_id: str) -> CaseView:
    """A follow-up case with its order, patient and results; audited."""
    if call.staff is None:
        raise CallerRefused(f"{call.operation} is made by a staff member")
    with uow:
        case = _load_case(uow, call, case_id)
        order = _order_of(uow, case)
        view = CaseView(case, order, uow.results.versions(order.order_id))
        uow.audit.add(call.audit(AuditAction.READ, [order.patient], care_giver=order.care_giver))
        uow.commit()
        return view


@performs(Operation.RECORD_FOLLOW_UP_STEP)
def record_follow_up_step(
    uow: UnitOfWork,
    call: Call,
    case_id: str,
    kind: FollowUpStepKind,
    time: datetime,
    performed_by: str,
    note: str | None = None,
) -> FollowUpStep:
    """Record a step of an open case (patient contacted, treatment, contact tracing, SmiNet report).
    A step may be recorded again (a second attempt to reach the patient, say)."""
    checks.hsa(performed_by, "performedBy")
    as_staff_member(call, Actor(ActorKind.STAFF, performed_by), "performedBy")
    checks.not_future(time, "the step's time", call.now)
    if note is not None and len(note) > FOLLOW_UP_NOTE_MAX:
        raise InvalidRequest(f"the note is longer than {FOLLOW_UP_NOTE_MAX} characters")
    with uow:
        case = _load_case(uow, call, case_id, for_update=True)
        check_performer(uow, call, None, Actor(ActorKind.STAFF, performed_by), "performedBy", case.care_giver)
        step = FollowUpStep(kind, time, performed_by, call.now, note or None)
        case.record_step(step)
        order = _order_of(uow, case)
        uow.follow_ups.add_step(case_id, step)
        actor = Actor(ActorKind.STAFF, call.staff.hsa_id) if call.staff else None
        uow.audit.add(call.audit(AuditAction.WRITE, [order.patient], actor, order.care_giver))
        uow.commit()
        return step


@performs(Operation.CLOSE_FOLLOW_UP)
def close_follow_up(uow: UnitOfWork, call: Call, case_id: str, closed_by: Actor, note: str | None = None) -> int:
    """Close a follow-up case; return how many result versions it released to the patient."""
    checks.actor(closed_by, "closedBy", call.now, allowed=(ActorKind.STAFF,))
    as_staff_member(call, closed_by, "closedBy")
    with uow:
        case = _load_case(uow, call, case_id, for_update=True)
        check_performer(uow, call, None, closed_by, "closedBy", case.care_giver)
        case.close(closed_by.id, call.now, note)
        order = _order_of(uow, case, for_update=True)
        uow.follow_ups.save(case)
        released = 0
        if release.released_when_case_closes(order.result_release):
            released = uow.results.release(order.order_id, call.now)
        if released:
            _told_of_release(uow, order, call.now)
        uow.audit.add(call.audit(AuditAction.WRITE, [order.patient], closed_by, order.care_giver))
        uow.commit()
        return released


def _told_of_release(uow: UnitOfWork, order: Order, now: datetime) -> None:
    """The index told that held versions were released, and the patient too, unless the newest
    of them withdraws the result (nothing new to read, as when a withdrawal is released on
    arrival)."""
    newest = uow.results.newest([order.order_id], released_only=True).get(order.order_id)
    withdrawn = newest is not None and newest.result.is_withdrawal
    tell_of_change(uow, order, now, None if withdrawn else NoticeKind.NEW_RESULT)


@performs(Operation.REVIEW_QUEUE)
def review_queue(uow: UnitOfWork, call: Call) -> list[Order]:
    """Orders of the care unit (released after review) whose results wait for release. Shown
    without the patient's identity (not audited); opening one is."""
    with uow:
        _, member, acting = acting_member(uow, call)
        return uow.orders.with_held_results(member.care_giver, acting.care_unit)


@dataclass(frozen=True, slots=True)
class ReviewView:
    order: Order
    results: list[StoredResult]
    case_open: bool


@performs(Operation.REVIEW_ORDER)
def review_order(uow: UnitOfWork, call: Call, order_id: str) -> ReviewView:
    with uow:
        system, _, _ = acting_member(uow, call)
        order = uow.orders.get(order_id)
        if order is None or not system.serves(order.care_giver):
            raise RuleViolation(SubCode.UNKNOWN_ID, "no order with that orderId")
        staff.check_unit(call.staff, order.care_unit)
        view = ReviewView(order, uow.results.versions(order_id), uow.follow_ups.open_for_order(order_id) is not None)
        uow.audit.add(call.audit(AuditAction.READ, [order.patient], care_giver=order.care_giver))
        uow.commit()
        return view


@performs(Operation.RELEASE_RESULTS)
def release_results(uow: UnitOfWork, call: Call, order_id: str, released_by: Actor) -> int:
    """Staff release an order's held results (AFTER_REVIEW); refused while a follow-up is open."""
    checks.actor(released_by, "releasedBy", call.now, allowed=(ActorKind.STAFF,))
    as_staff_member(call, released_by, "releasedBy")
    with uow:
        system = staff_caller(uow, call)
        order = uow.orders.get(order_id, for_update=True)
        if order is None:
            raise RuleViolation(SubCode.UNKNOWN_ID, "no order with that orderId")
        if system is not None:
            access.check_serves(system, order.care_giver)
            staff.check_unit(call.staff, order.care_unit)
        check_performer(uow, call, None, released_by, "releasedBy", order.care_giver)
        if uow.follow_ups.open_for_order(order_id) is not None:
            raise RuleViolation(SubCode.WRONG_STATE, "close the order's follow-up case first")
        released = uow.results.release(order_id, call.now)
        if released:
            _told_of_release(uow, order, call.now)
        uow.audit.add(call.audit(AuditAction.WRITE, [order.patient], released_by, order.care_giver))
        uow.commit()
        return released
