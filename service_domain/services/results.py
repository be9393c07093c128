"""Results: a lab (or staff typing in a result on paper) reports a result version; the patient,
the journal system and staff read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import checks, commands, manual_results, release
from ..clock import local_date
from ..enums import AuditAction
from ..errors import InvalidRequest, RuleViolation, SubCode
from ..model import (
    Actor,
    ActorKind,
    FollowUpCase,
    LaboratoryResult,
    NoticeKind,
    Order,
    StoredResult,
    SystemKind,
)
from ..operations import Operation
from ..ports import ConcurrentWrite, UnitOfWork
from .calls import (
    Call,
    WriteOutcome,
    acting_member,
    as_staff_member,
    caller,
    check_performer,
    checked_patient,
    performs,
    repeat,
)
from .orders import load_order_for_write, sampling_desk, shown_to
from .outbox import tell_of_change

RESULT_WORKLIST_LIMIT = 500
# how long an order with a final result stays on the worklist, for a correction or a withdrawal
RECENT_FINAL = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class OrderResultView:
    order: Order
    result: LaboratoryResult | None
    released_to_patient: bool
    release_time: datetime | None
    follow_up_required: bool
    earlier: tuple[LaboratoryResult, ...] = ()  # the correction history, newest first, when asked for


@performs(Operation.SET_RESULT)
def set_result(uow: UnitOfWork, call: Call, cmd: commands.SetResult) -> WriteOutcome:
    checks.laboratory_result(cmd.result, call.now)
    if call.staff is not None:
        if cmd.result.signed_by is None:
            raise InvalidRequest("a result typed in by staff is signed by the staff member")
        as_staff_member(call, cmd.result.signed_by, "signedBy")
    try:
        return _store_result(uow, call, cmd.result)
    except ConcurrentWrite:
        # Another transaction stored the same version between our read and write
        # (only possible where the order row lock is not available); decide again.
        return _store_result(uow, call, cmd.result)


def _store_result(uow: UnitOfWork, call: Call, result: LaboratoryResult) -> WriteOutcome:
    with uow:
        system = caller(uow, call)
        order = load_order_for_write(uow, system, result.order_id)
        order.check_result_lab(result.performing_lab)
        if system.kind is SystemKind.LAB and not system.acts_for(result.performing_lab):
            raise RuleViolation(SubCode.NOT_PERMITTED, "the calling system does not report for this lab")
        if result.signed_by is not None:
            check_performer(uow, call, system, result.signed_by, "signedBy", order.care_giver)
        if call.staff is not None:  # typed in on the staff web: only where no lab system reports
            manual_results.check_staff_entry(call.staff, order, uow.systems.list())
        same, newest = uow.results.version_and_newest(order.order_id, result.version)
        actor = result.signed_by or Actor(ActorKind.SYSTEM, system.hsa_id)
        change = order.accept_result(result, same, newest, actor)
        if change is None:
            return repeat(
                uow, call, order.patient, result.signed_by, order.care_giver, "this result version is already stored"
            )
        case = uow.follow_ups.open_for_order(order.order_id)
        decision = release.decide(order.result_release, order.notifiable, result, case is not None,
                                  order.positive_values_of)
        if decision.needs_follow_up and case is None:
            case = FollowUpCase.open(order, call.now)
            uow.follow_ups.add(case)
        uow.results.add(StoredResult.received(result, call.now, decision.released, case.case_id if case else None))
        uow.orders.record_change(order, change)
        if decision.released:  # a held version is told of when it is released (follow_up.py)
            # a withdrawal leaves nothing new to read: no notice
            tell_of_change(uow, order, call.now, None if result.is_withdrawal else NoticeKind.NEW_RESULT)
        uow.audit.add(call.audit(AuditAction.WRITE, [order.patient], actor, order.care_giver))
        uow.commit()
        return WriteOutcome()


@performs(Operation.GET_RESULTS)
def get_results(uow: UnitOfWork, call: Call, cmd: commands.GetResults) -> list[OrderResultView]:
    checks.period(cmd.period_start, cmd.period_end)
    with uow:
        patient = checked_patient(uow, call, cmd.patient)
        system = caller(uow, call)
        citizen = system.kind is SystemKind.CITIZEN
        desk = sampling_desk(uow, call)
        orders = [shown_to(system, o, desk)
                  for o in uow.orders.for_patient(patient, cmd.order_ids) if system.serves(o.care_giver)]
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
        uow.audit.add(call.audit(AuditAction.READ, [patient]))
        uow.commit()
        return views


# ------------------------------------------------------------------ results typed in on the staff web


@dataclass(frozen=True, slots=True)
class WorklistEntry:
    order: Order
    newest: StoredResult | None  # the newest result version, if any
    case_open: bool


@dataclass(frozen=True, slots=True)
class ResultWorklist:
    entries: list[WorklistEntry]
    more: bool  # the list was cut at RESULT_WORKLIST_LIMIT


@performs(Operation.RESULT_WORKLIST)
def result_worklist(uow: UnitOfWork, call: Call, referral_id: str | None = None) -> ResultWorklist:
    """The orders of the care unit the staff member acts at whose lab has no connected system
    (``manual_results``), in a status where a result may be reported: those waiting for a
    result, and those with a final result stored in the last RECENT_FINAL (to correct or
    withdraw). With ``referral_id``, that order in any such status. Like the follow-up and
    review queues it shows no patient's identity and is not audited; opening an order is."""
    with uow:
        _, member, acting = acting_member(uow, call)
        labs = manual_results.connected_labs(uow.systems.list(), member.care_giver)
        orders = uow.orders.for_result_entry(
            member.care_giver,
            acting.care_unit,
            manual_results.RESULT_STATUSES,
            labs,
            final_since=None if referral_id else call.now - RECENT_FINAL,
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


@performs(Operation.RESULT_ORDER)
def result_order(uow: UnitOfWork, call: Call, order_id: str) -> ResultOrderView:
    """An order to type results in for, with every result version; audited. Only an order of
    the care unit the member acts at whose lab has no connected system (as for SetResult)."""
    with uow:
        system, _, acting = acting_member(uow, call)
        order = uow.orders.get(order_id)
        if order is None or not system.serves(order.care_giver):
            raise RuleViolation(SubCode.UNKNOWN_ID, "no order with that orderId")
        manual_results.check_staff_entry(acting, order, uow.systems.list())
        view = ResultOrderView(order, uow.results.versions(order_id), uow.follow_ups.open_for_order(order_id) is not None)
        uow.audit.add(call.audit(AuditAction.READ, [order.patient], care_giver=order.care_giver))
        uow.commit()
        return view
