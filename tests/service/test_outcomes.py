"""GetLaboratoryOrderOutcome in the service layer: only results released to the patient are
answered, newest released version first; the contract's filters narrow them; every read is
audited and shows in the patient's access log."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from eph import demo
from service_domain import commands, services
from service_domain.errors import CallerRefused, InvalidRequest
from service_domain.identity import PersonId
from service_domain.model import (
    AnalysisResult,
    AnalysisStatus,
    FollowUpStatus,
    OrderStatus,
    ReportStatus,
)
from service_domain.persistence.database import Database
from tests.service.conftest import (
    NOW,
    STAFF,
    assign,
    ctx,
    lab_result,
    new_patient,
    order,
    positive_ctng,
    set_result,
    status,
)

SERVICE = demo.SERVICE_ADDRESS


def outcome(db: Database, patient: PersonId, consumer: str = demo.AGGREGATOR, **filters: object) -> list[services.OutcomeView]:
    cmd = commands.GetLaboratoryOrderOutcome(patient, SERVICE, **filters)  # type: ignore[arg-type]
    return services.get_laboratory_order_outcome(db.uow(), ctx(consumer), cmd).views


def hba1c_with_result(db: Database, patient: PersonId, version: int = 1) -> str:
    oid = order(db, patient, assign(db, patient, "HBA1C")).order_id
    assert oid
    set_result(db, lab_result(oid, version))
    return oid


def test_a_released_result_is_answered_by_patient(db: Database) -> None:
    p = new_patient()
    oid = hba1c_with_result(db, p)
    assert [v.order.order_id for v in outcome(db, p)] == [oid]


def test_the_answer_names_the_service_as_source_system(db: Database) -> None:
    p = new_patient()
    hba1c_with_result(db, p)
    assert [v.source_system for v in outcome(db, p)] == [SERVICE]


def test_another_patients_results_are_not_answered(db: Database) -> None:
    hba1c_with_result(db, new_patient())
    assert outcome(db, new_patient()) == []


def test_a_positive_held_for_follow_up_is_not_answered(db: Database) -> None:
    p = new_patient()
    positive_ctng(db, p)
    assert outcome(db, p) == []


def test_a_held_positive_is_not_answered_to_the_journal_system_either(db: Database) -> None:
    p = new_patient()
    positive_ctng(db, p)
    assert outcome(db, p, demo.EHR_A) == []


def test_a_positive_is_answered_once_the_follow_up_releases_it(db: Database) -> None:
    p = new_patient()
    oid = positive_ctng(db, p)
    (case,) = [c for c in services.list_follow_ups(db.uow(), FollowUpStatus.OPEN) if c.order_id == oid]
    services.close_follow_up(db.uow(), ctx("staff"), case.case_id, STAFF, "reached by phone")
    assert [v.order.order_id for v in outcome(db, p)] == [oid]


def test_a_result_awaiting_review_is_not_answered(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "REVIEW")).order_id
    assert oid
    set_result(db, lab_result(oid, 1))
    assert outcome(db, p) == []


def test_a_correction_replaces_the_earlier_version(db: Database) -> None:
    p = new_patient()
    oid = hba1c_with_result(db, p)
    set_result(db, lab_result(oid, 2, ReportStatus.CORRECTED, value="40"))
    assert [v.result.version for v in outcome(db, p)] == [2]


def test_a_withdrawn_result_is_not_answered(db: Database) -> None:
    p = new_patient()
    oid = hba1c_with_result(db, p)
    withdrawal = replace(lab_result(oid, 2, ReportStatus.CORRECTED), analysis_results=(
        AnalysisResult(demo.HBA1C.code, None, AnalysisStatus.ENTERED_IN_ERROR),))
    set_result(db, withdrawal)
    assert outcome(db, p) == []


def test_an_order_without_a_result_is_not_answered(db: Database) -> None:
    p = new_patient()
    order(db, p, assign(db, p, "HBA1C"))
    assert outcome(db, p) == []


@pytest.mark.parametrize(("filters", "found"), [
    ({"care_units": (demo.CARE_UNIT_A,)}, True),
    ({"care_units": (demo.CARE_UNIT_A.lower(),)}, True),
    ({"care_units": (demo.CARE_UNIT_B,)}, False),
    ({"care_givers": (demo.CARE_GIVER_A,)}, True),
    ({"care_givers": (demo.CARE_GIVER_A.lower(),)}, True),
    ({"care_givers": (demo.CARE_GIVER_B,)}, False),
    ({"source_system": SERVICE}, True),
    ({"source_system": SERVICE.lower()}, True),
    ({"source_system": demo.LAB_A}, False),
    ({"period_start": (NOW - timedelta(days=1)).date()}, True),
    ({"period_start": (NOW + timedelta(days=1)).date()}, False),
    ({"period_end": (NOW + timedelta(days=1)).date()}, True),
    ({"period_end": (NOW - timedelta(days=1)).date()}, False),
    ({"referral_ids": ("NO-SUCH-REFERRAL",)}, False),
    ({"specimen_ids": ("NO-SUCH-SPECIMEN",)}, False),
])
def test_each_filter_narrows_the_answer(db: Database, filters: dict[str, object], found: bool) -> None:
    p = new_patient()
    hba1c_with_result(db, p)
    assert bool(outcome(db, p, **filters)) is found


def test_the_referral_filter_finds_the_order(db: Database) -> None:
    p = new_patient()
    oid = hba1c_with_result(db, p)
    with db.uow() as uow:
        order_ = uow.orders.get(oid)
    assert order_ is not None
    assert [v.order.order_id for v in outcome(db, p, referral_ids=(order_.referral_id,))] == [oid]


def test_the_specimen_filter_finds_the_order(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id
    assert oid
    status(db, oid, OrderStatus.SPECIMEN_COLLECTED)
    set_result(db, lab_result(oid, 1))
    assert [v.order.order_id for v in outcome(db, p, specimen_ids=("BC-" + oid[:8],))] == [oid]


def test_a_journal_system_reads_only_its_care_givers_results(db: Database) -> None:
    p = new_patient()
    hba1c_with_result(db, p)
    with db.uow() as uow:
        uow.systems.put(replace(uow.systems.get(demo.EHR_A), care_givers=frozenset({demo.CARE_GIVER_B})))  # type: ignore[arg-type]
        uow.commit()
    try:
        assert outcome(db, p, demo.EHR_A) == []
    finally:
        with db.uow() as uow:
            uow.systems.put(replace(uow.systems.get(demo.EHR_A), care_givers=frozenset({demo.CARE_GIVER_A})))  # type: ignore[arg-type]
            uow.commit()


@pytest.mark.parametrize("consumer", [demo.CITIZEN_SERVICE, demo.LAB_A, "SE5565594230-NOPE"])
def test_other_callers_are_refused(db: Database, consumer: str) -> None:
    with pytest.raises(CallerRefused):
        outcome(db, new_patient(), consumer)


def test_a_period_that_ends_before_it_starts_is_refused(db: Database) -> None:
    with pytest.raises(InvalidRequest):
        outcome(db, new_patient(), period_start=date(2026, 2, 1), period_end=date(2026, 1, 1))


def test_a_malformed_patient_is_refused(db: Database) -> None:
    with pytest.raises(InvalidRequest):
        outcome(db, PersonId("191212121213"))


def test_every_read_is_audited_with_the_caller_and_the_patient(db: Database) -> None:
    p = new_patient()
    outcome(db, p)
    with db.uow() as uow:
        records = [r for r in uow.audit.for_patient(p.id) if r.operation == "GetLaboratoryOrderOutcome"]
    assert [(r.consumer_hsa_id, r.action.value) for r in records] == [(demo.AGGREGATOR, "READ")]


def test_the_read_shows_in_the_patients_access_log(db: Database) -> None:
    p = new_patient()
    outcome(db, p)
    page = services.get_access_log(db.uow(), ctx(demo.CITIZEN_SERVICE), commands.GetAccessLog(p))
    assert [e.operation for e in page.entries if e.system_hsa_id == demo.AGGREGATOR] == ["GetLaboratoryOrderOutcome"]


def test_the_answer_carries_the_care_unit_s_registered_name(db: Database) -> None:
    patient = new_patient()
    hba1c_with_result(db, patient)
    (view,) = outcome(db, patient)
    assert view.name(demo.CARE_UNIT_A) == demo.UNIT_NAMES[demo.CARE_UNIT_A]
