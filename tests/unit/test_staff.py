"""The staff rules without the service layer: which staff function each operation needs, a
staff member's functions per care unit, the checks of a call from the staff web, of the care
unit a piece of work belongs to and of an administrator's reach. The table below is the rule
as docs/staff-web.md ("What staff may do") states it, written apart from the code: every
operation is tried with every function alone, so adding, dropping or moving a function breaks
a test."""

from __future__ import annotations

from dataclasses import replace

import pytest

from service_domain.errors import CallerRefused, RuleViolation, SubCode
from service_domain.model import ConnectedSystem, SystemKind
from service_domain.operations import Operation
from service_domain.staff import (
    StaffActing,
    StaffFunction,
    StaffMember,
    check_admin_of,
    check_staff_call,
    check_unit,
)

F = StaffFunction
Op = Operation
PATIENT_WORK = {F.ASSIGN, F.SAMPLING, F.RESULTS, F.FOLLOW_UP}

# operation -> the functions that (any one of them) allow it; operations absent are never staff's
NEEDS: dict[Operation, set[StaffFunction]] = {
    Op.PATIENT_VIEW: PATIENT_WORK,
    Op.GET_OFFERS: PATIENT_WORK,
    Op.GET_ORDERS: PATIENT_WORK,
    Op.GET_RESULTS: PATIENT_WORK,
    Op.GET_SAMPLING_SITES: PATIENT_WORK,
    Op.GET_OFFER_CATALOG: {F.ASSIGN, F.ADMIN},
    Op.ASSIGN_OFFER: {F.ASSIGN},
    Op.REVOKE_OFFER: {F.ASSIGN},
    Op.SET_ORDER_STATUS: {F.SAMPLING},
    Op.RESULT_WORKLIST: {F.RESULTS},
    Op.RESULT_ORDER: {F.RESULTS},
    Op.SET_RESULT: {F.RESULTS},
    Op.FOLLOW_UP_QUEUE: {F.FOLLOW_UP},
    Op.FOLLOW_UP_CASE: {F.FOLLOW_UP},
    Op.RECORD_FOLLOW_UP_STEP: {F.FOLLOW_UP},
    Op.CLOSE_FOLLOW_UP: {F.FOLLOW_UP},
    Op.REVIEW_QUEUE: {F.FOLLOW_UP},
    Op.REVIEW_ORDER: {F.FOLLOW_UP},
    Op.RELEASE_RESULTS: {F.FOLLOW_UP},
    Op.MANAGE_CATALOGUE: {F.ADMIN},
    Op.MANAGE_STAFF: {F.ADMIN},
    Op.LOG_REVIEW: {F.LOG_REVIEW},
    Op.MANAGE_REGION: {F.REGION_ADMIN},
    Op.REGION_STATISTICS: {F.REGION_ADMIN},
}

CARE_GIVER = "SE2321000016-CG01"
OTHER_CARE_GIVER = "SE2321000255-CG02"
UNIT = "SE2321000016-CU01"
OTHER_UNIT = "SE2321000016-CU02"
STAFF_WEB = ConnectedSystem("SE2321000016-WEB1", SystemKind.STAFF_UI, "the staff web",
                            frozenset({CARE_GIVER}), units=frozenset({"SE2321000016-X"}))


def member(*functions: StaffFunction, unit: str = UNIT, **kw: object) -> StaffMember:
    return StaffMember("SE2321000016-ST01", "Sara Staff", CARE_GIVER, {unit: frozenset(functions)}, **kw)  # type: ignore[arg-type]


def at(unit: str = UNIT) -> StaffActing:
    return StaffActing("SE2321000016-ST01", unit)


# ---------------------------------------------------------------- the operations table


@pytest.mark.parametrize("operation", list(Operation))
@pytest.mark.parametrize("function", list(StaffFunction))
def test_which_function_allows_which_operation(operation: Operation, function: StaffFunction) -> None:
    if function in NEEDS.get(operation, set()):
        assert check_staff_call(STAFF_WEB, member(function), at(), operation).kind is SystemKind.STAFF_UI
    else:
        with pytest.raises(CallerRefused, match=f"^the staff member's functions at the care unit do not allow {operation}$"):
            check_staff_call(STAFF_WEB, member(function), at(), operation)


@pytest.mark.parametrize("operation", sorted(set(Operation) - set(NEEDS)))
def test_an_operation_not_in_the_table_is_refused_to_a_member_with_every_function(operation: Operation) -> None:
    with pytest.raises(CallerRefused, match=f"^the staff member's functions at the care unit do not allow {operation}$"):
        check_staff_call(STAFF_WEB, member(*StaffFunction), at(), operation)


def test_a_member_with_no_function_at_the_unit_may_do_nothing_there() -> None:
    with pytest.raises(CallerRefused, match="do not allow PatientView$"):
        check_staff_call(STAFF_WEB, member(), at(), Op.PATIENT_VIEW)


def test_functions_held_at_another_unit_do_not_count() -> None:
    both = replace(member(F.ASSIGN), functions={UNIT: frozenset(), OTHER_UNIT: frozenset({F.ASSIGN})})
    with pytest.raises(CallerRefused, match="do not allow AssignOffer$"):
        check_staff_call(STAFF_WEB, both, at(UNIT), Op.ASSIGN_OFFER)


# ---------------------------------------------------------------- the checks of a staff call, in order


def test_a_call_without_a_registered_system_is_refused() -> None:
    with pytest.raises(CallerRefused, match="^a staff member can only act through a registered staff web$"):
        check_staff_call(None, member(F.ASSIGN), at(), Op.ASSIGN_OFFER)


@pytest.mark.parametrize("kind", sorted(set(SystemKind) - {SystemKind.STAFF_UI}))
def test_a_call_through_a_system_other_than_a_staff_web_is_refused(kind: SystemKind) -> None:
    with pytest.raises(CallerRefused, match="^a staff member can only act through a registered staff web$"):
        check_staff_call(replace(STAFF_WEB, kind=kind), member(F.ASSIGN), at(), Op.ASSIGN_OFFER)


def test_an_unregistered_member_is_refused() -> None:
    with pytest.raises(CallerRefused, match="^the staff member is not registered with the service$"):
        check_staff_call(STAFF_WEB, None, at(), Op.ASSIGN_OFFER)


def test_an_inactive_member_is_refused() -> None:
    with pytest.raises(CallerRefused, match="^the staff member is not registered with the service$"):
        check_staff_call(STAFF_WEB, member(F.ASSIGN, active=False), at(), Op.ASSIGN_OFFER)


def test_a_member_is_active_unless_told() -> None:
    assert member().active


def test_a_staff_web_that_does_not_serve_the_members_care_giver_is_refused() -> None:
    web = replace(STAFF_WEB, care_givers=frozenset({OTHER_CARE_GIVER}))
    with pytest.raises(CallerRefused, match="^the staff web does not serve the staff member's care giver$"):
        check_staff_call(web, member(F.ASSIGN), at(), Op.ASSIGN_OFFER)


def test_a_member_acting_at_a_unit_they_do_not_work_at_is_refused() -> None:
    with pytest.raises(CallerRefused, match="^the staff member does not work at that care unit$"):
        check_staff_call(STAFF_WEB, member(*StaffFunction), at(OTHER_UNIT), Op.ASSIGN_OFFER)


def test_the_unit_acted_at_compares_case_insensitively() -> None:
    assert check_staff_call(STAFF_WEB, member(F.ASSIGN), at(UNIT.lower()), Op.ASSIGN_OFFER).hsa_id == STAFF_WEB.hsa_id


def test_an_allowed_call_narrows_the_staff_web_to_the_members_care_giver() -> None:
    web = replace(STAFF_WEB, care_givers=frozenset({CARE_GIVER, OTHER_CARE_GIVER}))
    lower = replace(member(F.ASSIGN), care_giver=CARE_GIVER.lower())
    assert check_staff_call(web, lower, at(), Op.ASSIGN_OFFER).care_givers == {CARE_GIVER}


def test_a_staff_web_serving_every_care_giver_is_narrowed_too() -> None:
    web = replace(STAFF_WEB, care_givers=frozenset(), all_care_givers=True)
    assert check_staff_call(web, member(F.ASSIGN), at(), Op.ASSIGN_OFFER).all_care_givers is False


def test_narrowing_keeps_the_rest_of_the_registration() -> None:
    narrowed = check_staff_call(STAFF_WEB, member(F.ASSIGN), at(), Op.ASSIGN_OFFER)
    assert replace(narrowed, care_givers=STAFF_WEB.care_givers) == STAFF_WEB


# ---------------------------------------------------------------- a member's functions per unit


def test_care_units_are_the_units_with_or_without_functions_sorted() -> None:
    m = replace(member(), functions={"B": frozenset({F.ADMIN}), "C": frozenset(), "A": frozenset({F.SAMPLING})})
    assert m.care_units == ("A", "B", "C")


def test_functions_at_a_unit_are_found_whatever_the_case() -> None:
    assert member(F.RESULTS, unit="se-unit").functions_at("SE-UNIT") == {F.RESULTS}


def test_functions_at_a_unit_the_member_does_not_work_at_are_none() -> None:
    assert member(F.RESULTS).functions_at(OTHER_UNIT) == frozenset()


def test_works_at_a_unit_with_no_functions() -> None:
    assert member().works_at(UNIT.lower())


def test_does_not_work_at_another_unit() -> None:
    assert not member(F.ADMIN).works_at(OTHER_UNIT)


def test_may_when_any_of_the_functions_is_held() -> None:
    assert member(F.SAMPLING).may(UNIT, F.ASSIGN, F.SAMPLING)


def test_may_not_when_none_of_the_functions_is_held() -> None:
    assert not member(F.SAMPLING, F.RESULTS).may(UNIT, F.ASSIGN, F.ADMIN)


def test_may_nothing_when_no_function_is_asked() -> None:
    assert not member(*StaffFunction).may(UNIT)


def test_granting_adds_to_the_functions_held() -> None:
    assert member(F.ASSIGN).granted(UNIT, frozenset({F.ADMIN})).functions == {UNIT: {F.ASSIGN, F.ADMIN}}


def test_granting_at_a_unit_spelt_otherwise_keeps_the_stored_spelling() -> None:
    assert member(F.ASSIGN).granted(UNIT.lower(), frozenset({F.ADMIN})).functions == {UNIT: {F.ASSIGN, F.ADMIN}}


def test_granting_at_a_new_unit_adds_the_unit() -> None:
    granted = member(F.ASSIGN).granted(OTHER_UNIT, frozenset({F.RESULTS}))
    assert granted.functions == {UNIT: {F.ASSIGN}, OTHER_UNIT: {F.RESULTS}}


def test_granting_leaves_the_member_it_was_made_from_unchanged() -> None:
    m = member(F.ASSIGN)
    m.granted(UNIT, frozenset({F.ADMIN}))
    assert m.functions == {UNIT: {F.ASSIGN}}


def test_revoking_removes_only_the_functions_named() -> None:
    revoked = member(F.ASSIGN, F.ADMIN).revoked(UNIT.lower(), frozenset({F.ADMIN, F.RESULTS}))
    assert revoked.functions == {UNIT: {F.ASSIGN}}


def test_revoking_every_function_keeps_the_unit() -> None:
    assert member(F.ASSIGN).revoked(UNIT, frozenset({F.ASSIGN})).care_units == (UNIT,)


def test_leaving_a_unit_removes_it() -> None:
    two = member(F.ASSIGN).granted(OTHER_UNIT, frozenset({F.RESULTS}))
    assert two.revoked(UNIT.lower(), frozenset(), leave_unit=True).functions == {OTHER_UNIT: {F.RESULTS}}


def test_revoking_at_a_unit_the_member_does_not_work_at_changes_nothing() -> None:
    assert member(F.ASSIGN).revoked(OTHER_UNIT, frozenset({F.ASSIGN}), leave_unit=True).functions == {UNIT: {F.ASSIGN}}


def test_revoking_leaves_the_member_it_was_made_from_unchanged() -> None:
    m = member(F.ASSIGN)
    m.revoked(UNIT, frozenset({F.ASSIGN}))
    assert m.functions == {UNIT: {F.ASSIGN}}


# ---------------------------------------------------------------- work bound to a unit


def test_work_of_the_unit_acted_at_is_allowed_whatever_the_case() -> None:
    assert check_unit(at(UNIT), UNIT.lower()) is None


def test_work_checked_without_a_staff_member_is_not_bound_to_a_unit() -> None:
    assert check_unit(None, OTHER_UNIT) is None


def test_work_of_another_unit_is_refused() -> None:
    with pytest.raises(RuleViolation, match="^this belongs to another care unit$") as refused:
        check_unit(at(UNIT), OTHER_UNIT)
    assert refused.value.sub_code is SubCode.NOT_PERMITTED


# ---------------------------------------------------------------- administrators


def test_an_administrator_manages_their_care_givers_staff_at_their_unit() -> None:
    assert check_admin_of(member(F.ADMIN), CARE_GIVER.lower(), UNIT.lower()) is None


def test_an_administrator_does_not_manage_another_care_givers_staff() -> None:
    with pytest.raises(RuleViolation, match="^the staff member belongs to another care giver$") as refused:
        check_admin_of(member(F.ADMIN), OTHER_CARE_GIVER, UNIT)
    assert refused.value.sub_code is SubCode.NOT_PERMITTED


def test_an_administrator_does_not_manage_a_unit_where_they_hold_no_admin() -> None:
    admin = member(F.ADMIN).granted(OTHER_UNIT, frozenset({F.ASSIGN, F.SAMPLING, F.RESULTS, F.FOLLOW_UP}))
    with pytest.raises(RuleViolation, match="^permissions at a care unit are managed by its administrators$") as refused:
        check_admin_of(admin, CARE_GIVER, OTHER_UNIT)
    assert refused.value.sub_code is SubCode.NOT_PERMITTED
