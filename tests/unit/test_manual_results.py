"""What is particular to results typed in by staff, without the service layer: which labs are
connected (their systems send the results), who may type in a result for an order, the coded
findings offered, the report status of the next version and the withdrawal of a version sent
in error."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from service_domain import manual_results, status
from service_domain.errors import InvalidRequest, RuleViolation, SubCode
from service_domain.identity import PersonId
from service_domain.manual_results import (
    NOT_DETECTED,
    check_staff_entry,
    coded_choices,
    connected_labs,
    lab_is_connected,
    report_status_for,
    withdrawal,
)
from service_domain.model import (
    Actor,
    ActorKind,
    Analysis,
    AnalysisResult,
    AnalysisStatus,
    Code,
    ConnectedSystem,
    LaboratoryResult,
    Order,
    OrderStatus,
    ReportStatus,
    ResultRelease,
    SamplingMode,
    StoredResult,
    SystemKind,
)
from service_domain.staff import StaffActing
from tests.support import person_number

CARE_GIVER = "SE2321000016-CG01"
OTHER_CARE_GIVER = "SE2321000255-CG02"
UNIT = "SE2321000016-CU01"
LAB = "SE2321000016-LAB1"
LAB_UNIT = "SE2321000016-LAB2"  # a lab the system of LAB reports for as one of its units
PAPER_LAB = "SE2321000016-LAB3"  # a lab without a system
SNOMED_CT_SE = "1.2.752.116.2.1.1"  # the OID of SNOMED CT, Swedish edition
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
STAFF = Actor(ActorKind.STAFF, "SE2321000016-ST01", "Sara Staff")
DETECTED = Code("260373001", SNOMED_CT_SE, "SNOMED CT-SE", "påvisad")
CT = Analysis(Code("CT-NAAT", "1.2.752.129.2.2.2.1", "local"), "Klamydia", (DETECTED,))


def lab_system(hsa_id: str = LAB, *, kind: SystemKind = SystemKind.LAB, care_givers: frozenset[str] = frozenset({CARE_GIVER}),
               units: frozenset[str] = frozenset({LAB_UNIT}), all_care_givers: bool = False) -> ConnectedSystem:
    return ConnectedSystem(hsa_id, kind, "a system", care_givers, all_care_givers, units)


def order(lab: str | None = PAPER_LAB, order_status: OrderStatus = OrderStatus.SPECIMEN_COLLECTED) -> Order:
    return Order("O-1", "R-1", "OF-1", "CTNG", "Klamydia", PersonId(person_number(date(1990, 1, 2))), order_status,
                 SamplingMode.SITE, CARE_GIVER, UNIT, (CT,), NOW - timedelta(days=3), NOW + timedelta(days=27),
                 True, ResultRelease.IMMEDIATE, performing_lab=lab)


def stored(*statuses: AnalysisStatus, report: ReportStatus = ReportStatus.FINAL) -> StoredResult:
    result = LaboratoryResult(
        "O-1", PAPER_LAB, 3, report, NOW - timedelta(days=1),
        tuple(AnalysisResult(Code(f"A{i}", "1.2.3"), DETECTED, s, f"analysis {i}") for i, s in enumerate(statuses)),
        laboratory_id="LAB-ID-7", signed_by=Actor(ActorKind.STAFF, "SE2321000016-ST09"), comment="first",
        specimen_identifiers=("TUB-1", "TUB-2"),
    )
    return StoredResult(result, NOW - timedelta(days=1), True)


def withdrawn(comment: str = "wrong patient's tube", order_status: OrderStatus = OrderStatus.FINAL_RESULT) -> LaboratoryResult:
    return withdrawal(order(order_status=order_status), stored(AnalysisStatus.FINAL, AnalysisStatus.PRELIMINARY),
                      NOW, STAFF, comment)


# ---------------------------------------------------------------- the statuses a result is reported in


@pytest.mark.parametrize("order_status", list(OrderStatus))
def test_a_result_may_be_reported_in_a_status_the_status_machine_lets_a_result_leave(order_status: OrderStatus) -> None:
    def accepted(report: ReportStatus) -> bool:
        try:
            status.check_result_transition(order_status, report, SamplingMode.SITE)
        except RuleViolation:
            return False
        return True

    assert (order_status in manual_results.RESULT_STATUSES) == any(accepted(r) for r in ReportStatus)


def test_an_order_with_a_final_result_awaits_none() -> None:
    assert set(manual_results.AWAITING_RESULT) == set(manual_results.RESULT_STATUSES) - {OrderStatus.FINAL_RESULT}


# ---------------------------------------------------------------- connected labs


def test_a_lab_systems_own_hsa_id_is_a_connected_lab_in_upper_case() -> None:
    assert LAB in connected_labs([lab_system(LAB.lower())], CARE_GIVER)


def test_the_units_a_lab_system_reports_for_are_connected_labs_in_upper_case() -> None:
    assert LAB_UNIT in connected_labs([lab_system(units=frozenset({LAB_UNIT.lower()}))], CARE_GIVER)


def test_the_connected_labs_are_the_systems_and_their_units() -> None:
    assert connected_labs([lab_system()], CARE_GIVER.lower()) == {LAB, LAB_UNIT}


def test_a_lab_system_of_another_care_giver_connects_no_lab() -> None:
    assert connected_labs([lab_system()], OTHER_CARE_GIVER) == frozenset()


def test_a_lab_system_serving_every_care_giver_connects_its_labs() -> None:
    assert connected_labs([lab_system(care_givers=frozenset(), all_care_givers=True)], OTHER_CARE_GIVER) == {LAB, LAB_UNIT}


@pytest.mark.parametrize("kind", sorted(set(SystemKind) - {SystemKind.LAB}))
def test_a_system_that_is_no_lab_system_connects_no_lab(kind: SystemKind) -> None:
    assert connected_labs([lab_system(kind=kind)], CARE_GIVER) == frozenset()


def test_the_labs_of_every_lab_system_are_connected() -> None:
    two = [lab_system(), lab_system(PAPER_LAB, units=frozenset())]
    assert connected_labs(two, CARE_GIVER) == {LAB, LAB_UNIT, PAPER_LAB}


def test_an_order_without_a_performing_lab_has_no_connected_lab() -> None:
    assert lab_is_connected(order(lab=None), [lab_system()]) is False


def test_an_orders_lab_is_connected_whatever_its_case() -> None:
    assert lab_is_connected(order(lab=LAB_UNIT.lower()), [lab_system()]) is True


def test_an_orders_lab_without_a_system_is_not_connected() -> None:
    assert lab_is_connected(order(lab=PAPER_LAB), [lab_system()]) is False


def test_an_orders_lab_connected_for_another_care_giver_only_is_not_connected() -> None:
    assert lab_is_connected(order(lab=LAB), [lab_system(care_givers=frozenset({OTHER_CARE_GIVER}))]) is False


# ---------------------------------------------------------------- who types in a result


def test_staff_type_in_results_for_their_units_order_whose_lab_has_no_system() -> None:
    assert check_staff_entry(StaffActing(STAFF.id, UNIT.lower()), order(), [lab_system()]) is None


def test_staff_do_not_type_in_results_for_another_units_order() -> None:
    with pytest.raises(RuleViolation, match="^this belongs to another care unit$"):
        check_staff_entry(StaffActing(STAFF.id, "SE2321000016-CU02"), order(), [lab_system()])


def test_staff_do_not_type_in_results_for_an_order_without_a_lab() -> None:
    with pytest.raises(RuleViolation, match="^the order names no performing lab$") as refused:
        check_staff_entry(StaffActing(STAFF.id, UNIT), order(lab=None), [])
    assert refused.value.sub_code is SubCode.NOT_PERMITTED


def test_staff_do_not_type_in_results_for_an_order_whose_lab_has_a_system() -> None:
    with pytest.raises(RuleViolation, match="^the order's lab sends its results through a connected system$") as refused:
        check_staff_entry(StaffActing(STAFF.id, UNIT), order(lab=LAB_UNIT), [lab_system()])
    assert refused.value.sub_code is SubCode.NOT_PERMITTED


# ---------------------------------------------------------------- the coded findings offered


def test_not_detected_is_snomed_ct_260415000() -> None:
    assert NOT_DETECTED.key == (SNOMED_CT_SE, "260415000")


def test_an_analysis_with_positive_values_offers_them_and_then_not_detected() -> None:
    assert coded_choices(CT) == (DETECTED, NOT_DETECTED)


def test_an_analysis_without_positive_values_offers_no_coded_finding() -> None:
    assert coded_choices(replace(CT, positive_values=())) == ()


def test_not_detected_among_the_positive_values_is_not_offered_twice() -> None:
    spelt_otherwise = Code(NOT_DETECTED.code, NOT_DETECTED.code_system, None, "not detected")
    analysis = replace(CT, positive_values=(spelt_otherwise, DETECTED))
    assert coded_choices(analysis) == (spelt_otherwise, DETECTED)


# ---------------------------------------------------------------- the report status of the next version


@pytest.mark.parametrize("final", [True, False])
def test_a_change_to_a_final_result_is_a_correction(final: bool) -> None:
    assert report_status_for(OrderStatus.FINAL_RESULT, final) is ReportStatus.CORRECTED


@pytest.mark.parametrize("order_status", sorted(set(OrderStatus) - {OrderStatus.FINAL_RESULT}))
def test_a_final_result_before_a_final_one(order_status: OrderStatus) -> None:
    assert report_status_for(order_status, True) is ReportStatus.FINAL


@pytest.mark.parametrize("order_status", sorted(set(OrderStatus) - {OrderStatus.FINAL_RESULT}))
def test_a_preliminary_result_before_a_final_one(order_status: OrderStatus) -> None:
    assert report_status_for(order_status, False) is ReportStatus.PRELIMINARY


# ---------------------------------------------------------------- withdrawing a version sent in error


def test_a_withdrawal_withdraws_every_value_of_the_newest_version() -> None:
    newest = stored(AnalysisStatus.FINAL, AnalysisStatus.PRELIMINARY).result
    assert withdrawn().analysis_results == tuple(
        AnalysisResult(a.code, None, AnalysisStatus.ENTERED_IN_ERROR, a.display_name) for a in newest.analysis_results)


def test_a_withdrawal_is_the_next_version() -> None:
    assert withdrawn().version == stored().result.version + 1


def test_a_withdrawal_is_of_the_order() -> None:
    assert withdrawn().order_id == order().order_id


def test_a_withdrawal_keeps_the_lab_of_the_newest_version() -> None:
    assert withdrawn().performing_lab == stored().result.performing_lab


def test_a_withdrawal_keeps_the_laboratory_id_of_the_newest_version() -> None:
    assert withdrawn().laboratory_id == stored().result.laboratory_id


def test_a_withdrawal_keeps_the_specimens_of_the_newest_version() -> None:
    assert withdrawn().specimen_identifiers == stored().result.specimen_identifiers


def test_a_withdrawal_is_reported_at_the_time_given() -> None:
    assert withdrawn().report_time == NOW


def test_a_withdrawal_is_signed_by_who_withdrew() -> None:
    assert withdrawn().signed_by == STAFF


def test_a_withdrawal_carries_the_reason_without_surrounding_space() -> None:
    assert withdrawn("  sent for the wrong order \n").comment == "sent for the wrong order"


def test_withdrawing_a_final_result_is_a_correction() -> None:
    assert withdrawn(order_status=OrderStatus.FINAL_RESULT).report_status is ReportStatus.CORRECTED


def test_withdrawing_a_preliminary_result_does_not_make_it_final() -> None:
    assert withdrawn(order_status=OrderStatus.PRELIMINARY_RESULT).report_status is ReportStatus.PRELIMINARY


@pytest.mark.parametrize("comment", ["", "   ", "\n\t"])
def test_a_withdrawal_needs_a_reason(comment: str) -> None:
    with pytest.raises(InvalidRequest, match="^a withdrawal needs a comment saying why$"):
        withdrawn(comment)


def test_a_reason_of_1000_characters_is_taken() -> None:
    assert withdrawn(" " + "x" * 1000 + " ").comment == "x" * 1000


def test_a_reason_of_1001_characters_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="^the comment is longer than 1000 characters$"):
        withdrawn("x" * 1001)


def test_a_withdrawal_is_not_withdrawn_again() -> None:
    already = stored(AnalysisStatus.ENTERED_IN_ERROR, AnalysisStatus.ENTERED_IN_ERROR)
    with pytest.raises(RuleViolation, match="^the newest result version is already a withdrawal$") as refused:
        withdrawal(order(), already, NOW, STAFF, "again")
    assert refused.value.sub_code is SubCode.WRONG_STATE


def test_a_version_with_a_value_left_may_be_withdrawn() -> None:
    partly = stored(AnalysisStatus.ENTERED_IN_ERROR, AnalysisStatus.CANNOT_BE_DONE)
    assert withdrawal(order(), partly, NOW, STAFF, "again").is_withdrawal
