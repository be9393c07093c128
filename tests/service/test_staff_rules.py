"""The staff rules in the service layer: a call from the staff web names the staff member and
the care unit; their functions there decide, their care giver narrows what they see, and the
audit records carry them. Run against both database backends."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from eph import demo
from service_domain import commands, services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.errors import CallerRefused, InvalidRequest, RuleViolation, SubCode
from service_domain.identity import PersonId, rikskod
from service_domain.model import (
    Actor,
    ActorKind,
    AnalysisResult,
    AnalysisStatus,
    FollowUpStepKind,
    Interpretation,
    LaboratoryResult,
    OrderStatus,
    ReportStatus,
    SamplingMode,
    Specimen,
)
from service_domain.persistence.database import Database
from service_domain.staff import StaffActing, StaffFunction
from tests.support import person_number

F = StaffFunction
CU_A2 = "SE2321000016-CU02"


@pytest.fixture(scope="module")
def db(backend_db: Database) -> Database:
    """Both database backends (tests/service/conftest.py)."""
    return backend_db


def staff_ctx(hsa_id: str, unit: str = demo.CARE_UNIT_A) -> commands.CallContext:
    return commands.CallContext(str(uuid.uuid4()), demo.STAFF_WEB, utcnow(), staff=StaffActing(hsa_id, unit))


def new_member(db: Database, *functions: F, unit: str = demo.CARE_UNIT_A, care_giver: str = demo.CARE_GIVER_A) -> str:
    hsa_id = f"SE{care_giver[2:12]}-T{uuid.uuid4().hex[:8].upper()}"
    services.register_staff(db.uow(), CallContext.operator(utcnow()), hsa_id, "Test Testsson", care_giver)
    services.grant_functions(db.uow(), CallContext.operator(utcnow()), hsa_id, unit, functions)
    return hsa_id


def me(hsa_id: str) -> Actor:
    return Actor(ActorKind.STAFF, hsa_id)


def new_patient() -> PersonId:
    return PersonId(person_number(date(1990, 6, 1)))


def assign(db: Database, staff: str, patient: PersonId, unit: str = demo.CARE_UNIT_A) -> str:
    out = services.assign_offer(
        db.uow(), staff_ctx(staff, unit),
        commands.AssignOffer(patient, "CTNG", demo.CARE_GIVER_A, unit, me(staff)),
    )
    assert out.offer_id
    return out.offer_id


def test_functions_decide_what_a_staff_member_may_do(db: Database) -> None:
    assigner = new_member(db, F.ASSIGN)
    sampler = new_member(db, F.SAMPLING)
    p = new_patient()
    assign(db, assigner, p)
    with pytest.raises(CallerRefused):  # SAMPLING does not allow assigning
        assign(db, sampler, p)
    with pytest.raises(CallerRefused):  # a unit the member does not work at
        assign(db, assigner, p, CU_A2)
    # functions are read on every call: revoked now, refused now
    services.revoke_functions(db.uow(), CallContext.operator(utcnow()), assigner, demo.CARE_UNIT_A, [F.ASSIGN])
    with pytest.raises(CallerRefused):
        assign(db, assigner, p)
    # the staff web must name the member; a member cannot act through another kind of system
    with pytest.raises(CallerRefused):
        services.get_offers(db.uow(), commands.CallContext("x", demo.STAFF_WEB, utcnow()),
                            commands.GetOffers(p))
    with pytest.raises(CallerRefused):
        services.get_offers(db.uow(), commands.CallContext("x", demo.EHR_A, utcnow(),
                                                           staff=StaffActing(sampler, demo.CARE_UNIT_A)),
                            commands.GetOffers(p))


def test_the_acting_person_is_the_staff_member(db: Database) -> None:
    assigner = new_member(db, F.ASSIGN)
    other = new_member(db, F.ASSIGN)
    p = new_patient()
    with pytest.raises(InvalidRequest):
        services.assign_offer(db.uow(), staff_ctx(assigner),
                              commands.AssignOffer(p, "CTNG", demo.CARE_GIVER_A, demo.CARE_UNIT_A, me(other)))
    with pytest.raises(RuleViolation) as e:  # an offer is assigned at the unit the member acts at
        services.assign_offer(db.uow(), staff_ctx(assigner),
                              commands.AssignOffer(p, "CTNG", demo.CARE_GIVER_A, CU_A2, me(assigner)))
    assert e.value.sub_code is SubCode.NOT_PERMITTED


def test_a_staff_member_sees_only_their_care_giver_and_is_audited(db: Database) -> None:
    a = new_member(db, F.ASSIGN, F.SAMPLING)
    b = new_member(db, F.ASSIGN, F.SAMPLING, unit=demo.CARE_UNIT_B, care_giver=demo.CARE_GIVER_B)
    p = new_patient()
    offer_id = assign(db, a, p)
    order = services.create_order(
        db.uow(), commands.CallContext("x", demo.CITIZEN_SERVICE, utcnow()),
        commands.CreateOrder(offer_id, p, SamplingMode.SITE))
    assert order.order_id
    seen_by_a = services.patient_view(db.uow(), staff_ctx(a), p)
    assert [o.offer_id for o in seen_by_a.offers] == [offer_id]
    assert len(seen_by_a.orders) == 1
    seen_by_b = services.patient_view(db.uow(), staff_ctx(b, demo.CARE_UNIT_B), p)
    assert (seen_by_b.offers, seen_by_b.orders) == ([], [])
    page = services.get_orders(db.uow(), staff_ctx(b, demo.CARE_UNIT_B),
                               commands.GetOrders(order_ids=(order.order_id,)))
    assert page.orders == []
    with pytest.raises(RuleViolation) as e:
        services.set_order_status(
            db.uow(), staff_ctx(b, demo.CARE_UNIT_B),
            commands.SetOrderStatus(order.order_id, OrderStatus.SPECIMEN_COLLECTED, utcnow(), me(b),
                                    demo.CARE_UNIT_B, specimens=(Specimen("TUBE-B"),)))
    assert e.value.sub_code is SubCode.NOT_PERMITTED
    with db.uow() as uow:
        records = uow.audit.for_patient(p.id)
    views = [(r.operation, r.actor_id, r.care_unit, r.consumer_hsa_id) for r in records if r.operation == "PatientView"]
    assert views == [("PatientView", a, demo.CARE_UNIT_A, demo.STAFF_WEB),
                     ("PatientView", b, demo.CARE_UNIT_B, demo.STAFF_WEB)]


def _positive(db: Database, staff: str) -> tuple[str, PersonId]:
    p = new_patient()
    offer_id = assign(db, staff, p)
    order = services.create_order(
        db.uow(), commands.CallContext("x", demo.CITIZEN_SERVICE, utcnow()),
        commands.CreateOrder(offer_id, p, SamplingMode.SITE))
    assert order.order_id
    services.set_result(db.uow(), commands.CallContext("x", demo.LAB_A, utcnow()), commands.SetResult(
        LaboratoryResult(order.order_id, demo.LAB_A, 1, ReportStatus.FINAL, utcnow() - timedelta(minutes=1), (
            AnalysisResult(demo.CHLAMYDIA.code, "Positiv", AnalysisStatus.FINAL, interpretation=Interpretation.POSITIVE),
        ))))
    return order.order_id, p


def test_follow_up_steps_and_closing_by_the_care_unit(db: Database) -> None:
    assigner = new_member(db, F.ASSIGN)
    nurse = new_member(db, F.FOLLOW_UP)
    elsewhere = new_member(db, F.FOLLOW_UP, unit=CU_A2)
    order_id, p = _positive(db, assigner)
    queue = services.follow_up_queue(db.uow(), staff_ctx(nurse))
    (entry,) = [e for e in queue if e.order.order_id == order_id]
    assert all(e.order.order_id != order_id for e in services.follow_up_queue(db.uow(), staff_ctx(elsewhere, CU_A2)))
    case_id = entry.case.case_id
    with pytest.raises(RuleViolation):  # another care unit's case
        services.follow_up_case(db.uow(), staff_ctx(elsewhere, CU_A2), case_id)
    with pytest.raises(CallerRefused):  # ASSIGN does not allow follow-up
        services.follow_up_case(db.uow(), staff_ctx(assigner), case_id)
    now = utcnow()
    with pytest.raises(InvalidRequest):
        services.record_follow_up_step(db.uow(), staff_ctx(nurse), case_id,
                                       FollowUpStepKind.PATIENT_CONTACTED, now + timedelta(hours=1), nurse)
    services.record_follow_up_step(db.uow(), staff_ctx(nurse), case_id,
                                   FollowUpStepKind.PATIENT_CONTACTED, now, nurse, "Ringt")
    view = services.follow_up_case(db.uow(), staff_ctx(nurse), case_id)
    assert [(s.kind, s.performed_by, s.note) for s in view.case.steps] == [
        (FollowUpStepKind.PATIENT_CONTACTED, nurse, "Ringt")]
    assert services.close_follow_up(db.uow(), staff_ctx(nurse), case_id, me(nurse)) == 1
    with pytest.raises(RuleViolation) as e:
        services.record_follow_up_step(db.uow(), staff_ctx(nurse), case_id,
                                       FollowUpStepKind.TREATMENT, utcnow(), nurse)
    assert e.value.sub_code is SubCode.WRONG_STATE
    citizen = services.get_results(db.uow(), commands.CallContext("x", demo.CITIZEN_SERVICE, utcnow()),
                                   commands.GetResults(p))
    assert citizen[0].released_to_patient


def test_a_follow_up_step_from_the_staff_web_is_the_logged_in_members(db: Database) -> None:
    assigner = new_member(db, F.ASSIGN)
    nurse = new_member(db, F.FOLLOW_UP)
    colleague = new_member(db, F.FOLLOW_UP)
    order_id, _ = _positive(db, assigner)
    (entry,) = [e for e in services.follow_up_queue(db.uow(), staff_ctx(nurse)) if e.order.order_id == order_id]
    with pytest.raises(InvalidRequest, match="performedBy must be the staff member acting"):
        services.record_follow_up_step(db.uow(), staff_ctx(nurse), entry.case.case_id,
                                       FollowUpStepKind.PATIENT_CONTACTED, utcnow(), colleague)


def test_administrators_manage_their_own_units(db: Database) -> None:
    admin = new_member(db, F.ADMIN)
    member = new_member(db)
    ctx = staff_ctx(admin)
    services.grant_functions(db.uow(), ctx, member, demo.CARE_UNIT_A, [F.SAMPLING])
    with pytest.raises(RuleViolation):  # not an administrator at that unit
        services.grant_functions(db.uow(), ctx, member, CU_A2, [F.SAMPLING])
    other_cg = new_member(db, unit=demo.CARE_UNIT_B, care_giver=demo.CARE_GIVER_B)
    with pytest.raises(RuleViolation):  # another care giver's staff
        services.grant_functions(db.uow(), ctx, other_cg, demo.CARE_UNIT_A, [F.SAMPLING])
    with pytest.raises(RuleViolation):
        services.revoke_functions(db.uow(), ctx, admin, demo.CARE_UNIT_A, [F.ADMIN])
    registered = services.register_staff(db.uow(), ctx, f"SE2321000016-R{uuid.uuid4().hex[:6]}", "Ny Person",
                                         demo.CARE_GIVER_B)  # the care giver is the administrator's
    assert registered.care_giver == demo.CARE_GIVER_A
    assert registered.care_units == (demo.CARE_UNIT_A,)
    assert {m.care_giver for m in services.list_staff(db.uow(), ctx)} == {demo.CARE_GIVER_A}
    with pytest.raises(CallerRefused):  # SAMPLING does not manage staff
        services.list_staff(db.uow(), staff_ctx(member))


def test_the_catalogue_from_the_staff_web_is_the_administrators_care_giver(db: Database) -> None:
    admin = new_member(db, F.ADMIN)
    ctx = staff_ctx(admin)
    mine = services.export_catalogue(db.uow(), ctx)
    assert mine
    assert {d.care_giver for d in mine} == {demo.CARE_GIVER_A}
    theirs = [d for d in demo.catalogue() if d.care_giver == demo.CARE_GIVER_B]
    with pytest.raises(RuleViolation):
        services.import_catalogue(db.uow(), ctx, theirs)


def test_rikskod() -> None:
    assert rikskod("198503172382") == "85-2382"


def test_the_migration_keeps_existing_data(tmp_path: Path) -> None:
    """0002 on a database at 0001 with data in it."""
    from eph.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0001")
    upgrade(url, "r0001")
    db = Database(url)
    try:
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO audit_record (time, interaction, action, patient_id, log_id) "
                "VALUES ('2026-01-01 00:00:00', 'GetOffers', 'READ', '198503172382', 'x')")
        upgrade(url)
        with db.uow() as uow:
            (record,) = uow.audit.for_patient("198503172382")
        assert record.care_unit is None
        services.register_systems(db.uow(), demo.SYSTEMS)
        demo.seed_staff(db.uow)
        assert len(services.list_staff(db.uow(), CallContext.operator(utcnow()))) == len(demo.DEMO_STAFF + demo.CONNECTED_STAFF)
    finally:
        db.dispose()
