"""The order status machine: the one place where transitions are decided."""

from __future__ import annotations

from .enums import OrderStatus, ReportStatus, SamplingMode
from .errors import RuleViolation, SubCode

S = OrderStatus

# target statuses reachable from each status; results move an order to
# PRELIMINARY_RESULT or FINAL_RESULT (see result_status).
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.ORDERED: frozenset(
        {S.KIT_SENT, S.SPECIMEN_COLLECTED, S.PRELIMINARY_RESULT, S.FINAL_RESULT, S.CANCELLED, S.EXPIRED}
    ),
    S.KIT_SENT: frozenset(
        {S.SPECIMEN_COLLECTED, S.PRELIMINARY_RESULT, S.FINAL_RESULT, S.CANCELLED, S.EXPIRED}
    ),
    S.SPECIMEN_COLLECTED: frozenset({S.RECEIVED_BY_LAB, S.PRELIMINARY_RESULT, S.FINAL_RESULT, S.REJECTED}),
    S.RECEIVED_BY_LAB: frozenset({S.PRELIMINARY_RESULT, S.FINAL_RESULT, S.REJECTED}),
    S.PRELIMINARY_RESULT: frozenset({S.PRELIMINARY_RESULT, S.FINAL_RESULT}),
    S.FINAL_RESULT: frozenset({S.FINAL_RESULT}),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
}


def is_allowed(current: OrderStatus, target: OrderStatus, mode: SamplingMode) -> bool:
    if target is S.KIT_SENT and mode is not SamplingMode.HOME_KIT:
        return False
    return target in TRANSITIONS[current]


def check_transition(current: OrderStatus, target: OrderStatus, mode: SamplingMode) -> None:
    if not is_allowed(current, target, mode):
        if target is S.KIT_SENT and mode is not SamplingMode.HOME_KIT:
            raise RuleViolation(SubCode.TRANSITION_REFUSED, "KIT_SENT applies to home-kit orders only")
        raise RuleViolation(
            SubCode.TRANSITION_REFUSED, f"an order in status {current} cannot move to {target}"
        )


def result_status(report: ReportStatus) -> OrderStatus:
    """The order status a result report moves the order to."""
    if report in (ReportStatus.FINAL, ReportStatus.CORRECTED):
        return S.FINAL_RESULT
    return S.PRELIMINARY_RESULT


def check_result_transition(current: OrderStatus, report: ReportStatus, mode: SamplingMode) -> OrderStatus:
    """Check that a new result version with ``report`` status may be stored; return the new status.

    A final result may only be replaced by a CORRECTED report, and CORRECTED only
    replaces a final result.
    """
    target = result_status(report)
    if current is S.FINAL_RESULT and report is not ReportStatus.CORRECTED:
        raise RuleViolation(
            SubCode.TRANSITION_REFUSED, "the order has a final result; send a CORRECTED report to change it"
        )
    if report is ReportStatus.CORRECTED and current is not S.FINAL_RESULT:
        raise RuleViolation(
            SubCode.TRANSITION_REFUSED, "a CORRECTED report replaces a final result; this order has none"
        )
    check_transition(current, target, mode)
    return target
