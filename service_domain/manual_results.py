"""Results typed in by staff, for orders whose lab is not connected.

A lab is *connected* for an order when a registered system of kind LAB reports for it (the
lab's own HSA-id, or a unit the system acts for: ``ConnectedSystem.acts_for``) and serves
the order's care giver: such a system can fetch the order and send its result with
``SetResult``. For every other lab the result arrives on paper, by phone or by fax, and
staff with the RESULTS function at the order's care unit type it in on the staff web. They
go through the same rules as ``SetResult`` (``services.set_result``); this module holds
what is particular to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .errors import InvalidRequest, RuleViolation, SubCode
from .model import (
    Actor,
    Analysis,
    AnalysisResult,
    AnalysisStatus,
    Code,
    ConnectedSystem,
    LaboratoryResult,
    Order,
    OrderStatus,
    ReportStatus,
    StoredResult,
    SystemKind,
)
from .staff import StaffActing, check_unit
from .status import TRANSITIONS

# The statuses in which a result may be reported: those the status machine lets a result
# version leave (a final result only by a correction, see status.check_result_transition).
RESULT_STATUSES: tuple[OrderStatus, ...] = tuple(
    s for s in OrderStatus
    if TRANSITIONS[s] & {OrderStatus.PRELIMINARY_RESULT, OrderStatus.FINAL_RESULT}
)
# ... and of those, the ones still waiting for a (final) result
AWAITING_RESULT: tuple[OrderStatus, ...] = tuple(s for s in RESULT_STATUSES if s is not OrderStatus.FINAL_RESULT)

WITHDRAWAL_COMMENT_MAX = 1000

# The negative finding offered beside an analysis's configured positive values (a nucleic-acid
# test is "detected" or "not detected"): SNOMED CT qualifier value 260415000 |Not detected|.
SNOMED_CT_SE = "1.2.752.116.2.1.1"
NOT_DETECTED = Code("260415000", SNOMED_CT_SE, "SNOMED CT-SE", "ej påvisad")


def connected_labs(systems: Iterable[ConnectedSystem], care_giver: str) -> frozenset[str]:
    """The lab HSA-ids (upper case) that a connected lab system reports for on the care giver's data."""
    labs: set[str] = set()
    for s in systems:
        if s.kind is SystemKind.LAB and s.serves(care_giver):
            labs.add(s.hsa_id.upper())
            labs.update(u.upper() for u in s.units)
    return frozenset(labs)


def lab_is_connected(order: Order, systems: Iterable[ConnectedSystem]) -> bool:
    if order.performing_lab is None:
        return False
    return order.performing_lab.upper() in connected_labs(systems, order.care_giver)


def check_staff_entry(acting: StaffActing, order: Order, systems: Iterable[ConnectedSystem]) -> None:
    """A staff member types in results for an order of the care unit they act at, whose lab
    has no connected system (that system sends the results itself)."""
    check_unit(acting, order.care_unit)
    if order.performing_lab is None:
        raise RuleViolation(SubCode.NOT_PERMITTED, "the order names no performing lab")
    if lab_is_connected(order, systems):
        raise RuleViolation(SubCode.NOT_PERMITTED, "the order's lab sends its results through a connected system")


def coded_choices(analysis: Analysis) -> tuple[Code, ...]:
    """The coded findings staff choose from for an analysis: its positive values and "not
    detected"; none for an analysis without configured positive values (its value is typed)."""
    if not analysis.positive_values:
        return ()
    if any(p.same_concept(NOT_DETECTED) for p in analysis.positive_values):
        return analysis.positive_values
    return (*analysis.positive_values, NOT_DETECTED)


def report_status_for(order_status: OrderStatus, final: bool) -> ReportStatus:
    """The report status of the next version: a change to a final result is a correction."""
    if order_status is OrderStatus.FINAL_RESULT:
        return ReportStatus.CORRECTED
    return ReportStatus.FINAL if final else ReportStatus.PRELIMINARY


def withdrawal(
    order: Order, newest: StoredResult, time: datetime, signed_by: Actor, comment: str
) -> LaboratoryResult:
    """A new version that withdraws every value of the newest one, which was sent in error:
    each of its analyses ENTERED_IN_ERROR, without a value, and the reason as the comment."""
    comment = comment.strip()
    if not comment:
        raise InvalidRequest("a withdrawal needs a comment saying why")
    if len(comment) > WITHDRAWAL_COMMENT_MAX:
        raise InvalidRequest(f"the comment is longer than {WITHDRAWAL_COMMENT_MAX} characters")
    if newest.result.is_withdrawal:
        raise RuleViolation(SubCode.WRONG_STATE, "the newest result version is already a withdrawal")
    return LaboratoryResult(
        order_id=order.order_id,
        performing_lab=newest.result.performing_lab,
        version=newest.result.version + 1,
        # it does not make a preliminary result final: a final one follows when the lab reports again
        report_status=report_status_for(order.status, final=False),
        report_time=time,
        analysis_results=tuple(
            AnalysisResult(a.code, None, AnalysisStatus.ENTERED_IN_ERROR, a.display_name)
            for a in newest.result.analysis_results
        ),
        laboratory_id=newest.result.laboratory_id,
        signed_by=signed_by,
        comment=comment,
        specimen_identifiers=newest.result.specimen_identifiers,
    )
