"""Staff and what they may do: the staff registry's rules, and the table of which
function each staff operation needs.

A staff member (identified by a personal HSA-id) belongs to one care giver and works
at one or more of its care units; at each unit they hold some of the functions below.
A call from the staff web names the member and the care unit they act at
(``StaffActing``); the service layer checks the member against this table on every
call and narrows the staff web's access to the member's care giver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from .errors import CallerRefused, RuleViolation, SubCode
from .model import ConnectedSystem, SystemKind
from .operations import Operation


class StaffFunction(StrEnum):
    ASSIGN = "ASSIGN"  # assign and revoke offers
    SAMPLING = "SAMPLING"  # the sampling desk
    RESULTS = "RESULTS"  # type in results
    FOLLOW_UP = "FOLLOW_UP"  # follow-up of positive notifiable results; release of reviewed results
    ADMIN = "ADMIN"  # the care giver's catalogue and staff permissions
    LOG_REVIEW = "LOG_REVIEW"  # the care giver's log review (who accessed patients' data)
    REGION_ADMIN = "REGION_ADMIN"  # the region's agreements and statistics (staff of the region's own care giver)


F = StaffFunction
PATIENT_WORK = frozenset({F.ASSIGN, F.SAMPLING, F.RESULTS, F.FOLLOW_UP})

Op = Operation
# Which functions (any one of them, at the care unit the member acts at) each operation
# needs. An operation not in the table is refused to staff.
OPERATION_FUNCTIONS: dict[Operation, frozenset[StaffFunction]] = {
    # the patient page and looking up orders
    Op.PATIENT_VIEW: PATIENT_WORK,
    Op.GET_OFFERS: PATIENT_WORK,
    Op.GET_ORDERS: PATIENT_WORK,
    Op.GET_RESULTS: PATIENT_WORK,
    Op.GET_SAMPLING_SITES: PATIENT_WORK,
    # offers
    Op.GET_OFFER_CATALOG: frozenset({F.ASSIGN, F.ADMIN}),
    Op.ASSIGN_OFFER: frozenset({F.ASSIGN}),
    Op.REVOKE_OFFER: frozenset({F.ASSIGN}),
    # the sampling desk
    Op.SET_ORDER_STATUS: frozenset({F.SAMPLING}),
    # results typed in by hand: the worklist, an order's results, and the result itself
    Op.RESULT_WORKLIST: frozenset({F.RESULTS}),
    Op.RESULT_ORDER: frozenset({F.RESULTS}),
    Op.SET_RESULT: frozenset({F.RESULTS}),
    # follow-up and review
    Op.FOLLOW_UP_QUEUE: frozenset({F.FOLLOW_UP}),
    Op.FOLLOW_UP_CASE: frozenset({F.FOLLOW_UP}),
    Op.RECORD_FOLLOW_UP_STEP: frozenset({F.FOLLOW_UP}),
    Op.CLOSE_FOLLOW_UP: frozenset({F.FOLLOW_UP}),
    Op.REVIEW_QUEUE: frozenset({F.FOLLOW_UP}),
    Op.REVIEW_ORDER: frozenset({F.FOLLOW_UP}),
    Op.RELEASE_RESULTS: frozenset({F.FOLLOW_UP}),
    # administration
    Op.MANAGE_CATALOGUE: frozenset({F.ADMIN}),
    Op.MANAGE_STAFF: frozenset({F.ADMIN}),
    # the log review: the care giver's audit records, its checks and the reviewers' notes
    Op.LOG_REVIEW: frozenset({F.LOG_REVIEW}),
    Op.MANAGE_REGION: frozenset({F.REGION_ADMIN}),
    Op.REGION_STATISTICS: frozenset({F.REGION_ADMIN}),
}


@dataclass(frozen=True, slots=True)
class StaffMember:
    hsa_id: str
    name: str
    care_giver: str
    # care unit -> the functions held there (a unit with none is still one of the member's units)
    functions: Mapping[str, frozenset[StaffFunction]] = field(default_factory=dict)
    active: bool = True
    # the member's personal identity number, when registered (for the log review's check of
    # reads of one's own data): never shown in lists, pages or logs
    person_id: str | None = field(default=None, repr=False)

    @property
    def care_units(self) -> tuple[str, ...]:
        return tuple(sorted(self.functions))

    def functions_at(self, care_unit: str) -> frozenset[StaffFunction]:
        return self.functions.get(_unit_key(self.functions, care_unit), frozenset())

    def works_at(self, care_unit: str) -> bool:
        return _unit_key(self.functions, care_unit) in self.functions

    def may(self, care_unit: str, *functions: StaffFunction) -> bool:
        return bool(self.functions_at(care_unit) & set(functions))

    def granted(self, care_unit: str, functions: frozenset[StaffFunction]) -> StaffMember:
        key = _unit_key(self.functions, care_unit)
        merged = dict(self.functions)
        merged[key] = merged.get(key, frozenset()) | functions
        return replace(self, functions=merged)

    def revoked(self, care_unit: str, functions: frozenset[StaffFunction], *, leave_unit: bool = False) -> StaffMember:
        key = _unit_key(self.functions, care_unit)
        merged = dict(self.functions)
        if key in merged:
            if leave_unit:
                del merged[key]
            else:
                merged[key] = merged[key] - functions
        return replace(self, functions=merged)


def _unit_key(functions: Mapping[str, object], care_unit: str) -> str:
    """HSA-ids compare case-insensitively; the stored spelling wins."""
    for unit in functions:
        if unit.upper() == care_unit.upper():
            return unit
    return care_unit


@dataclass(frozen=True, slots=True)
class StaffActing:
    """Who acts in a call from the staff web, and at which care unit."""

    hsa_id: str
    care_unit: str


def check_staff_call(
    system: ConnectedSystem | None, member: StaffMember | None, acting: StaffActing, operation: Operation
) -> ConnectedSystem:
    """The staff web's registration narrowed to what this staff member may touch, if the
    member may make this call at the care unit they act at; else CallerRefused."""
    if system is None or system.kind is not SystemKind.STAFF_UI:
        raise CallerRefused("a staff member can only act through a registered staff web")
    if member is None or not member.active:
        raise CallerRefused("the staff member is not registered with the service")
    if not system.serves(member.care_giver):
        raise CallerRefused("the staff web does not serve the staff member's care giver")
    if not member.works_at(acting.care_unit):
        raise CallerRefused("the staff member does not work at that care unit")
    needed = OPERATION_FUNCTIONS.get(operation)
    if needed is None or not member.may(acting.care_unit, *needed):
        raise CallerRefused(f"the staff member's functions at the care unit do not allow {operation}")
    return replace(system, care_givers=frozenset({member.care_giver.upper()}), all_care_givers=False)


def check_unit(acting: StaffActing | None, care_unit: str) -> None:
    """Work bound to a care unit (its offers, follow-up cases, held results) is done at that unit."""
    if acting is not None and acting.care_unit.upper() != care_unit.upper():
        raise RuleViolation(SubCode.NOT_PERMITTED, "this belongs to another care unit")


def check_admin_of(admin: StaffMember, target_care_giver: str, care_unit: str) -> None:
    """An administrator manages staff of their own care giver, at units where they hold ADMIN."""
    if target_care_giver.upper() != admin.care_giver.upper():
        raise RuleViolation(SubCode.NOT_PERMITTED, "the staff member belongs to another care giver")
    if not admin.may(care_unit, StaffFunction.ADMIN):
        raise RuleViolation(SubCode.NOT_PERMITTED, "permissions at a care unit are managed by its administrators")
