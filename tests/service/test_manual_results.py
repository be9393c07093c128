"""Results typed in on the staff web, in the service layer: the worklist of the care unit's
orders whose lab has no connected system, the order view (audited), and the rules of
``set_result`` for staff (the unit, the lab not connected, signed by the member, versions,
corrections, withdrawals, where the result goes). Run against both database backends."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from eph import demo
from service_domain import commands, manual_results, services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.errors import CallerRefused, InvalidRequest, RuleViolation, SubCode
from service_domain.identity import PersonId
from service_domain.model import (
    Actor,
    ActorKind,
    AnalysisResult,
    AnalysisStatus,
    Code,
    ConnectedSystem,
    Interpretation,
    Interval,
    LaboratoryResult,
    OfferDefinition,
    OrderStatus,
    Quantity,
    ReportStatus,
    ResultRelease,
    SamplingMode,
    Specimen,
    SystemKind,
)
from service_domain.persistence.database import Database
from service_domain.staff import StaffActing, StaffFunction
from tests.support import person_number

F = StaffFunction
CU_A2 = "SE2321000016-CU02"
# a lab that a connected system reports for as one of its units (not by its own HSA-id)
LAB_SYSTEM_A9 = "SE2321000016-LAB9"
LAB_OF_A9 = "SE2321000016-LAB8"
# a lab that only care giver B's lab system reports for: not connected for care giver A
LAB_OF_B = "SE2321000255-LAB7"
REVIEWED = "MANUAL-REVIEW"
REPORTED = utcnow() - timedelta(minutes=10)


@pytest.fixture(scope="module")
def db(backend_db: Database) -> Database:
    """Both database backends (tests/service/conftest.py), with the labs and the entry these tests use."""
    services.register_systems(backend_db.uow(), [
        ConnectedSystem(LAB_SYSTEM_A9, SystemKind.LAB, "A lab system that reports for another lab",
                        frozenset({demo.CARE_GIVER_A}), units=frozenset({LAB_OF_A9})),
        ConnectedSystem("SE2321000255-LAB6", SystemKind.LAB, "Care giver B's second lab system",
                        frozenset({demo.CARE_GIVER_B}), units=frozenset({LAB_OF_B})),
    ])
    services.import_catalogue(backend_db.uow(), CallContext.operator(utcnow()), [OfferDefinition(
        demo.CARE_GIVER_A, REVIEWED, "Granskat prov, manuellt svar", (demo.HBA1C,), (SamplingMode.SITE,), False,
        ResultRelease.AFTER_REVIEW, 30, 2, demo.LAB_A3)])
    return backend_db


def staff_ctx(hsa_id: str, unit: str = demo.CARE_UNIT_A,
              now: datetime | None = None) -> commands.CallContext:
    return commands.CallContext(str(uuid.uuid4()), demo.STAFF_WEB, now or utcnow(),
                                staff=StaffActing(hsa_id, unit))


def new_member(db: Database, *functions: F, unit: str = demo.CARE_UNIT_A, care_giver: str = demo.CARE_GIVER_A) -> str:
    hsa_id = f"SE{care_giver[2:12]}-R{uuid.uuid4().hex[:8].upper()}"
    services.register_staff(db.uow(), CallContext.operator(utcnow()), hsa_id, "Rut Resultat", care_giver)
    services.grant_functions(db.uow(), CallContext.operator(utcnow()), hsa_id, unit, functions)
    return hsa_id


def me(hsa_id: str) -> Actor:
    return Actor(ActorKind.STAFF, hsa_id, "Rut Resultat")


def place_order(db: Database, lab: str | None = demo.LAB_A3, code: str = "CTNG", unit: str = demo.CARE_UNIT_A,
                care_giver: str = demo.CARE_GIVER_A) -> tuple[str, PersonId]:
    p = PersonId(person_number(date(1992, 3, 4)))
    offer = services.assign_offer(
        db.uow(), commands.CallContext("x", demo.EHR_A, utcnow()),
        commands.AssignOffer(p, code, care_giver, unit, Actor(ActorKind.STAFF, "SE2321000016-ST01")))
    assert offer.offer_id
    order = services.create_order(
        db.uow(), commands.CallContext("x", demo.CITIZEN_SERVICE, utcnow()),
        commands.CreateOrder(offer.offer_id, p, SamplingMode.SITE, performing_lab=lab))
    assert order.order_id
    return order.order_id, p


def collected(db: Database, order_id: str) -> None:
    services.set_order_status(
        db.uow(), commands.CallContext("x", demo.SAMPLING_A, utcnow()),
        commands.SetOrderStatus(order_id, OrderStatus.SPECIMEN_COLLECTED, utcnow(),
                                Actor(ActorKind.SYSTEM, demo.SAMPLING_A), demo.SAMPLING_A,
                                specimens=(Specimen(f"TUB-{order_id[:8]}"),)))


def ctng(order_id: str, version: int, staff: str, report: ReportStatus = ReportStatus.FINAL,
         ct: Code = manual_results.NOT_DETECTED, ct_interpretation: Interpretation | None = Interpretation.NEGATIVE,
         lab: str = demo.LAB_A3) -> LaboratoryResult:
    status = AnalysisStatus.PRELIMINARY if report is ReportStatus.PRELIMINARY else AnalysisStatus.FINAL
    return LaboratoryResult(order_id, lab, version, report, REPORTED, (
        AnalysisResult(demo.CHLAMYDIA.code, ct, status, "Klamydia", interpretation=ct_interpretation),
        AnalysisResult(demo.GONORRHOEA.code, manual_results.NOT_DETECTED, status, "Gonorré",
                       interpretation=Interpretation.NEGATIVE),
    ), signed_by=me(staff))


def type_in(db: Database, staff: str, result: LaboratoryResult, unit: str = demo.CARE_UNIT_A) -> services.WriteOutcome:
    return services.set_result(db.uow(), staff_ctx(staff, unit), commands.SetResult(result))


def worklist_ids(db: Database, staff: str, unit: str = demo.CARE_UNIT_A, now: datetime | None = None,
                 referral_id: str | None = None) -> set[str]:
    found = services.result_worklist(db.uow(), staff_ctx(staff, unit, now), referral_id)
    return {e.order.order_id for e in found.entries}


def citizen_results(db: Database, p: PersonId) -> list[services.OrderResultView]:
    return services.get_results(db.uow(), commands.CallContext("x", demo.CITIZEN_SERVICE, utcnow()),
                                commands.GetResults(p))


# ---------------------------------------------------------------- what "not connected" means


def test_the_statuses_a_result_may_be_reported_in_come_from_the_status_machine() -> None:
    assert set(manual_results.RESULT_STATUSES) == set(OrderStatus) - {
        OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
    assert OrderStatus.FINAL_RESULT not in manual_results.AWAITING_RESULT
    assert manual_results.report_status_for(OrderStatus.FINAL_RESULT, final=False) is ReportStatus.CORRECTED
    assert manual_results.report_status_for(OrderStatus.PRELIMINARY_RESULT, final=True) is ReportStatus.FINAL
    assert manual_results.report_status_for(OrderStatus.SPECIMEN_COLLECTED, final=False) is ReportStatus.PRELIMINARY


def test_a_lab_is_connected_when_a_lab_system_of_the_care_giver_reports_for_it() -> None:
    systems = [
        ConnectedSystem(demo.LAB_A, SystemKind.LAB, "lab", frozenset({demo.CARE_GIVER_A})),
        ConnectedSystem("SE2321000016-LAB9", SystemKind.LAB, "lab", frozenset({demo.CARE_GIVER_A}),
                        units=frozenset({"SE2321000016-LAB8"})),
        ConnectedSystem("SE2321000255-LAB6", SystemKind.LAB, "lab", frozenset({demo.CARE_GIVER_B}),
                        units=frozenset({"SE2321000255-LAB7"})),
        ConnectedSystem(demo.SAMPLING_A, SystemKind.SAMPLING, "site", frozenset({demo.CARE_GIVER_A})),
    ]
    labs = manual_results.connected_labs(systems, demo.CARE_GIVER_A.lower())
    assert labs == {demo.LAB_A, "SE2321000016-LAB9", "SE2321000016-LAB8"}  # not B's, not a sampling system
    assert "SE2321000255-LAB7" in manual_results.connected_labs(systems, demo.CARE_GIVER_B)


def test_coded_findings_offer_the_positive_values_and_not_detected() -> None:
    assert manual_results.coded_choices(demo.CHLAMYDIA) == (demo.DETECTED, manual_results.NOT_DETECTED)
    assert manual_results.coded_choices(demo.HBA1C) == ()
    both = demo.CHLAMYDIA.__class__(demo.CHLAMYDIA.code, "x", (manual_results.NOT_DETECTED,))
    assert manual_results.coded_choices(both) == (manual_results.NOT_DETECTED,)


# ---------------------------------------------------------------- the worklist


def test_the_worklist_holds_the_units_orders_whose_lab_is_not_connected(db: Database) -> None:
    member = new_member(db, F.RESULTS)
    elsewhere = new_member(db, F.RESULTS, unit=CU_A2)
    manual, _ = place_order(db)
    collected(db, manual)
    not_sampled, _ = place_order(db)
    connected, _ = place_order(db, demo.LAB_A)  # the demo lab system reports for it
    via_unit, _ = place_order(db, LAB_OF_A9)  # a lab system reports for it as one of its units
    only_b_reports, _ = place_order(db, LAB_OF_B)  # a system reports for it, but not for care giver A
    other_unit, _ = place_order(db, unit=CU_A2)
    cancelled, p = place_order(db)
    services.cancel_order(db.uow(), commands.CallContext("x", demo.CITIZEN_SERVICE, utcnow()),
                          commands.CancelOrder(cancelled, Actor(ActorKind.PATIENT, p.id)))
    mine = worklist_ids(db, member)
    assert {manual, not_sampled, only_b_reports} <= mine
    assert not {connected, via_unit, other_unit, cancelled} & mine
    assert other_unit in worklist_ids(db, elsewhere, CU_A2)
    assert manual not in worklist_ids(db, elsewhere, CU_A2)
    # care giver B's staff see nothing of care giver A's
    b = new_member(db, F.RESULTS, unit=demo.CARE_UNIT_B, care_giver=demo.CARE_GIVER_B)
    assert not {manual, not_sampled} & worklist_ids(db, b, demo.CARE_UNIT_B)
    # RESULTS is needed; the worklist shows no identity and is not audited
    with pytest.raises(CallerRefused):
        services.result_worklist(db.uow(), staff_ctx(new_member(db, F.SAMPLING, F.FOLLOW_UP)))
    with db.uow() as uow:
        assert [r for r in uow.audit.for_patient(p.id) if r.operation == "ResultWorklist"] == []
    entry = next(e for e in services.result_worklist(db.uow(), staff_ctx(member)).entries
                 if e.order.order_id == manual)
    assert entry.newest is None
    assert not entry.case_open
    assert entry.order.status is OrderStatus.SPECIMEN_COLLECTED


def test_a_final_result_stays_on_the_worklist_for_a_while_and_is_found_by_referral_after(db: Database) -> None:
    member = new_member(db, F.RESULTS)
    order_id, _ = place_order(db)
    type_in(db, member, ctng(order_id, 1, member))
    entries = services.result_worklist(db.uow(), staff_ctx(member)).entries
    entry = next(e for e in entries if e.order.order_id == order_id)
    assert entry.order.status is OrderStatus.FINAL_RESULT
    assert entry.newest
    assert entry.newest.result.version == 1
    later = utcnow() + services.RECENT_FINAL + timedelta(days=1)
    assert order_id not in worklist_ids(db, member, now=later)
    with db.uow() as uow:
        order = uow.orders.get(order_id)
    assert order is not None
    assert worklist_ids(db, member, now=later, referral_id=order.referral_id.lower()) == {order_id}


# ---------------------------------------------------------------- the order view


def test_opening_an_order_is_audited_and_bound_to_the_unit_and_a_lab_without_a_system(db: Database) -> None:
    member = new_member(db, F.RESULTS)
    order_id, p = place_order(db)
    view = services.result_order(db.uow(), staff_ctx(member), order_id)
    assert view.order.order_id == order_id
    assert view.results == []
    assert view.newest is None
    with db.uow() as uow:
        (record,) = [r for r in uow.audit.for_patient(p.id) if r.operation == "ResultOrder"]
    assert (record.action, record.actor_id, record.care_unit, record.consumer_hsa_id) == (
        "READ", member, demo.CARE_UNIT_A, demo.STAFF_WEB)
    connected, _ = place_order(db, demo.LAB_A)
    with pytest.raises(RuleViolation) as e:
        services.result_order(db.uow(), staff_ctx(member), connected)
    assert e.value.sub_code is SubCode.NOT_PERMITTED
    with pytest.raises(RuleViolation) as e:  # another unit's order
        services.result_order(db.uow(), staff_ctx(new_member(db, F.RESULTS, unit=CU_A2), CU_A2), order_id)
    assert e.value.sub_code is SubCode.NOT_PERMITTED
    b = new_member(db, F.RESULTS, unit=demo.CARE_UNIT_B, care_giver=demo.CARE_GIVER_B)
    with pytest.raises(RuleViolation) as e:  # another care giver's order does not exist for them
        services.result_order(db.uow(), staff_ctx(b, demo.CARE_UNIT_B), order_id)
    assert e.value.sub_code is SubCode.UNKNOWN_ID
    with pytest.raises(CallerRefused):
        services.result_order(db.uow(), staff_ctx(new_member(db, F.FOLLOW_UP)), order_id)
    with db.uow() as uow:
        assert len([r for r in uow.audit.for_patient(p.id) if r.operation == "ResultOrder"]) == 1


# ---------------------------------------------------------------- SetResult from staff


def test_staff_type_in_results_only_as_themselves_for_their_unit_and_a_lab_without_a_system(db: Database) -> None:
    member = new_member(db, F.RESULTS)
    order_id, _ = place_order(db)
    with pytest.raises(CallerRefused):  # RESULTS is needed
        type_in(db, (sampler := new_member(db, F.SAMPLING)), ctng(order_id, 1, sampler))
    with pytest.raises(InvalidRequest):  # signed by someone else
        type_in(db, member, ctng(order_id, 1, new_member(db, F.RESULTS)))
    with pytest.raises(InvalidRequest):  # not signed at all
        type_in(db, member, replace(ctng(order_id, 1, member), signed_by=None))
    with pytest.raises(RuleViolation) as e:  # the performing lab is the order's
        type_in(db, member, ctng(order_id, 1, member, lab=LAB_OF_B))
    assert e.value.sub_code is SubCode.NOT_PERMITTED
    other_unit = new_member(db, F.RESULTS, unit=CU_A2)
    with pytest.raises(RuleViolation) as e:
        type_in(db, other_unit, ctng(order_id, 1, other_unit), CU_A2)
    assert e.value.sub_code is SubCode.NOT_PERMITTED
    connected, _ = place_order(db, demo.LAB_A)
    with pytest.raises(RuleViolation) as e:  # its lab system sends the result
        type_in(db, member, ctng(connected, 1, member, lab=demo.LAB_A))
    assert e.value.sub_code is SubCode.NOT_PERMITTED
    assert "connected system" in e.value.message
    with pytest.raises(InvalidRequest, match="UCUM"):  # the same input checks as SetResult
        type_in(db, member, LaboratoryResult(order_id, demo.LAB_A3, 1, ReportStatus.FINAL, utcnow(), (
            AnalysisResult(demo.CHLAMYDIA.code, Quantity("12", "copies per mL"), AnalysisStatus.FINAL),
        ), signed_by=me(member)))
    with db.uow() as uow:
        order = uow.orders.get(order_id)
    assert order is not None
    assert order.status is OrderStatus.ORDERED  # nothing was stored
    assert type_in(db, member, ctng(order_id, 1, member)).info is False
    assert type_in(db, member, ctng(order_id, 1, member)).info is True  # the same version again changes nothing


def test_a_positive_notifiable_result_goes_to_follow_up_and_a_negative_one_to_the_patient(db: Database) -> None:
    member = new_member(db, F.RESULTS)
    nurse = new_member(db, F.FOLLOW_UP)
    positive, p_pos = place_order(db)
    collected(db, positive)
    type_in(db, member, ctng(positive, 1, member, ct=demo.DETECTED, ct_interpretation=Interpretation.POSITIVE))
    (case,) = [e for e in services.follow_up_queue(db.uow(), staff_ctx(nurse))
               if e.order.order_id == positive]
    view = services.result_order(db.uow(), staff_ctx(member), positive)
    assert view.case_open
    assert view.newest is not None
    assert not view.newest.released
    assert view.newest.follow_up_case_id == case.case.case_id
    assert view.newest.result.signed_by == me(member)
    assert view.newest.result.performing_lab == demo.LAB_A3
    (held,) = citizen_results(db, p_pos)
    assert (held.released_to_patient, held.result) == (False, None)
    # a finding without an interpretation is held too (fail safe), even when not detected
    unsure, _ = place_order(db)
    type_in(db, member, ctng(unsure, 1, member, ct_interpretation=None))
    assert services.result_order(db.uow(), staff_ctx(member), unsure).case_open
    negative, p_neg = place_order(db)
    type_in(db, member, ctng(negative, 1, member))
    (released,) = citizen_results(db, p_neg)
    assert released.released_to_patient
    assert released.result is not None
    assert {a.value for a in released.result.analysis_results} == {manual_results.NOT_DETECTED}
    with db.uow() as uow:
        writes = [r for r in uow.audit.for_patient(p_neg.id) if r.operation == "SetResult"]
    assert [(r.action, r.actor_id, r.care_unit) for r in writes] == [("WRITE", member, demo.CARE_UNIT_A)]


def test_after_review_a_typed_in_result_waits_in_the_review_queue(db: Database) -> None:
    member = new_member(db, F.RESULTS)
    reviewer = new_member(db, F.FOLLOW_UP)
    order_id, p = place_order(db, lab=None, code=REVIEWED)  # the catalogue's lab: LAB_A3
    type_in(db, member, LaboratoryResult(order_id, demo.LAB_A3, 1, ReportStatus.FINAL, utcnow(), (
        AnalysisResult(demo.HBA1C.code, Quantity("48.0", "mmol/mol"), AnalysisStatus.FINAL, "HbA1c",
                       Interval(None, None, "Under 42"), Interpretation.HIGH),
    ), signed_by=me(member)))
    assert order_id in {o.order_id for o in services.review_queue(db.uow(), staff_ctx(reviewer))}
    (view,) = citizen_results(db, p)
    assert not view.released_to_patient
    stored = services.result_order(db.uow(), staff_ctx(member), order_id).newest
    assert stored is not None
    assert stored.result.analysis_results[0].value == Quantity("48.0", "mmol/mol")


def test_corrections_are_new_versions_and_a_withdrawal_withdraws_every_value(db: Database) -> None:
    member = new_member(db, F.RESULTS)
    order_id, p = place_order(db)
    type_in(db, member, ctng(order_id, 1, member, ReportStatus.PRELIMINARY))
    type_in(db, member, ctng(order_id, 2, member, ReportStatus.FINAL))
    with pytest.raises(RuleViolation) as e:  # a final result is changed only by a correction
        type_in(db, member, ctng(order_id, 3, member, ReportStatus.FINAL))
    assert e.value.sub_code is SubCode.TRANSITION_REFUSED
    with pytest.raises(RuleViolation) as e:  # an older version number is refused
        type_in(db, member, ctng(order_id, 1, member, ReportStatus.CORRECTED))
    assert e.value.sub_code is SubCode.VERSION_CONFLICT
    view = services.result_order(db.uow(), staff_ctx(member), order_id)
    assert view.newest is not None
    withdrawal = manual_results.withdrawal(view.order, view.newest, utcnow(), me(member), " Fel patients svar ")
    assert (withdrawal.version, withdrawal.report_status, withdrawal.comment) == (3, ReportStatus.CORRECTED,
                                                                                   "Fel patients svar")
    with pytest.raises(InvalidRequest):
        manual_results.withdrawal(view.order, view.newest, utcnow(), me(member), "  ")
    type_in(db, member, withdrawal)
    view = services.result_order(db.uow(), staff_ctx(member), order_id)
    assert [s.result.report_status for s in view.results] == [
        ReportStatus.PRELIMINARY, ReportStatus.FINAL, ReportStatus.CORRECTED]
    assert view.newest is not None
    assert view.newest.result.is_withdrawal
    assert view.order.status is OrderStatus.FINAL_RESULT
    assert all(a.value is None for a in view.newest.result.analysis_results)
    assert all(a.status is AnalysisStatus.ENTERED_IN_ERROR for a in view.newest.result.analysis_results)
    with pytest.raises(RuleViolation):  # a withdrawal is not withdrawn again
        manual_results.withdrawal(view.order, view.newest, utcnow(), me(member), "igen")
    (seen,) = citizen_results(db, p)  # the patient sees the withdrawal, not the withdrawn values
    assert seen.released_to_patient
    assert seen.result is not None
    assert seen.result.is_withdrawal
    type_in(db, member, ctng(order_id, 4, member, ReportStatus.CORRECTED))
    (seen,) = citizen_results(db, p)
    assert seen.result is not None
    assert seen.result.version == 4
    assert not seen.result.is_withdrawal


def test_a_withdrawn_preliminary_result_leaves_the_order_waiting(db: Database) -> None:
    member = new_member(db, F.RESULTS)
    order_id, _ = place_order(db)
    type_in(db, member, ctng(order_id, 1, member, ReportStatus.PRELIMINARY))
    view = services.result_order(db.uow(), staff_ctx(member), order_id)
    assert view.newest is not None
    withdrawal = manual_results.withdrawal(view.order, view.newest, utcnow(), me(member), "Fel prov")
    assert withdrawal.report_status is ReportStatus.PRELIMINARY
    type_in(db, member, withdrawal)
    assert order_id in worklist_ids(db, member)
    with db.uow() as uow:
        order = uow.orders.get(order_id)
    assert order is not None
    assert order.status is OrderStatus.PRELIMINARY_RESULT
