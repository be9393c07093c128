"""Whom a write may name as the one acting (issue 17, "What acceptance found"): the patient reads
it in their access log, so a performer must belong to the caller. A system names itself or
staff registered at a care giver it serves; only the citizen e-service names a patient, and only
the patient the request is about. Over a real SQLite database through the service layer."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from eph import demo
from service_domain import commands, services
from service_domain.errors import RuleViolation, SubCode
from service_domain.identity import PersonId
from service_domain.model import (
    Actor,
    ActorKind,
    ConnectedSystem,
    FollowUpStatus,
    Interpretation,
    OrderStatus,
    SamplingMode,
    SystemKind,
)
from service_domain.persistence.database import Database
from service_domain.staff import StaffMember
from tests.service.conftest import NOW, STAFF, assign, ctx, lab_result, new_patient, order, set_result

STAFF_B = Actor(ActorKind.STAFF, "SE2321000255-SSK1")  # registered at care giver B
NOBODY = Actor(ActorKind.STAFF, "SE2321000016-NOBODY1")  # in no staff registry
ANALYST = Actor(ActorKind.STAFF, "SE2321000016-BMA1")  # care giver A's lab staff


def refusal(call: object, *args: object) -> RuleViolation:
    """The refusal a service function answers these arguments with."""
    with pytest.raises(RuleViolation) as e:
        call(*args)  # type: ignore[operator]
    return e.value


def assign_by(db: Database, patient: PersonId, by: Actor) -> services.WriteOutcome:
    return services.assign_offer(db.uow(), ctx(demo.EHR_A), commands.AssignOffer(
        patient, "CTNG", demo.CARE_GIVER_A, demo.CARE_UNIT_A, by))


def report(db: Database, order_id: str, by: Actor, consumer: str = demo.LAB_A) -> services.WriteOutcome:
    return services.set_order_status(db.uow(), ctx(consumer), commands.SetOrderStatus(
        order_id, OrderStatus.KIT_SENT, NOW - timedelta(hours=1), by, demo.LAB_A))


def cancel(db: Database, order_id: str, by: Actor, consumer: str = demo.CITIZEN_SERVICE) -> services.WriteOutcome:
    return services.cancel_order(db.uow(), ctx(consumer), commands.CancelOrder(order_id, by))


def kit_order(db: Database) -> tuple[PersonId, str]:
    p = new_patient()
    return p, order(db, p, assign(db, p), SamplingMode.HOME_KIT).order_id or ""


# ------------------------------------------------------------------ the patient


def test_a_lab_system_may_not_name_the_patient(db: Database) -> None:
    p, oid = kit_order(db)
    assert refusal(report, db, oid, Actor(ActorKind.PATIENT, p.id)).sub_code is SubCode.NOT_PERMITTED


def test_the_refusal_names_the_field_and_not_the_patient(db: Database) -> None:
    p, oid = kit_order(db)
    message = refusal(report, db, oid, Actor(ActorKind.PATIENT, p.id)).message
    assert message.startswith("performedBy:")
    assert p.id not in message


def test_a_refused_performer_changes_nothing(db: Database) -> None:
    p, oid = kit_order(db)
    refusal(report, db, oid, Actor(ActorKind.PATIENT, p.id))
    page = services.get_orders(db.uow(), ctx(demo.LAB_A), commands.GetOrders(order_ids=(oid,)))
    assert page.orders[0].status is OrderStatus.ORDERED


def test_the_citizen_service_may_name_the_patient(db: Database) -> None:
    p, oid = kit_order(db)
    assert not cancel(db, oid, Actor(ActorKind.PATIENT, p.id)).info


def test_the_citizen_service_may_not_name_another_patient(db: Database) -> None:
    _, oid = kit_order(db)
    other = new_patient()
    assert refusal(cancel, db, oid, Actor(ActorKind.PATIENT, other.id)).sub_code is SubCode.NOT_PERMITTED


def test_the_citizen_service_may_not_name_staff(db: Database) -> None:
    _, oid = kit_order(db)
    assert refusal(cancel, db, oid, STAFF).sub_code is SubCode.NOT_PERMITTED


def test_a_journal_system_may_not_cancel_as_the_patient(db: Database) -> None:
    p, oid = kit_order(db)
    assert refusal(cancel, db, oid, Actor(ActorKind.PATIENT, p.id), demo.EHR_A).sub_code is SubCode.NOT_PERMITTED


# ------------------------------------------------------------------ staff


def test_a_system_may_name_its_care_givers_staff(db: Database) -> None:
    assert assign_by(db, new_patient(), STAFF).offer_id


def test_a_system_may_not_name_another_care_givers_staff(db: Database) -> None:
    assert refusal(assign_by, db, new_patient(), STAFF_B).sub_code is SubCode.NOT_PERMITTED


def test_a_system_may_not_name_an_unregistered_hsa_id(db: Database) -> None:
    assert refusal(assign_by, db, new_patient(), NOBODY).sub_code is SubCode.NOT_PERMITTED


def test_both_refusals_read_the_same(db: Database) -> None:
    """Whether an HSA-id is registered at another care giver is not disclosed."""
    assert refusal(assign_by, db, new_patient(), STAFF_B).message == refusal(assign_by, db, new_patient(), NOBODY).message


def test_a_system_may_not_name_staff_who_left(db: Database) -> None:
    leaver = StaffMember("SE2321000016-LEFT1", "Lämnat", demo.CARE_GIVER_A, {demo.CARE_UNIT_A: frozenset()}, False)
    with db.uow() as uow:
        uow.staff.put(leaver)
        uow.commit()
    by = Actor(ActorKind.STAFF, leaver.hsa_id)
    assert refusal(assign_by, db, new_patient(), by).sub_code is SubCode.NOT_PERMITTED


def test_revoking_names_the_systems_staff(db: Database) -> None:
    offer_id = assign(db, new_patient())
    revoke = services.revoke_offer
    assert refusal(revoke, db.uow(), ctx(demo.EHR_A), commands.RevokeOffer(offer_id, STAFF_B)).sub_code \
        is SubCode.NOT_PERMITTED


def test_a_lab_may_sign_a_result_with_its_staff(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id or ""
    assert not set_result(db, replace(lab_result(oid, 1), signed_by=ANALYST)).info


def test_a_lab_may_not_sign_a_result_with_another_care_givers_staff(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id or ""
    assert refusal(set_result, db, replace(lab_result(oid, 1), signed_by=STAFF_B)).sub_code is SubCode.NOT_PERMITTED


# ------------------------------------------------------------------ systems


def test_a_system_may_name_itself(db: Database) -> None:
    _, oid = kit_order(db)
    assert not report(db, oid, Actor(ActorKind.SYSTEM, demo.LAB_A)).info


def test_a_system_may_not_name_another_system(db: Database) -> None:
    _, oid = kit_order(db)
    assert refusal(report, db, oid, Actor(ActorKind.SYSTEM, demo.SAMPLING_A)).sub_code is SubCode.NOT_PERMITTED


def test_a_journal_system_may_not_assign_as_another_system(db: Database) -> None:
    by = Actor(ActorKind.SYSTEM, demo.LAB_A)
    assert refusal(assign_by, db, new_patient(), by).sub_code is SubCode.NOT_PERMITTED


# ------------------------------------------------------------------ the console


def held_case(db: Database) -> str:
    p = new_patient()
    oid = order(db, p, assign(db, p), SamplingMode.HOME_KIT).order_id or ""
    set_result(db, replace(lab_result(oid, 1), analysis_results=(
        replace(lab_result(oid, 1).analysis_results[0], code=demo.CHLAMYDIA.code, value=demo.DETECTED,
                interpretation=Interpretation.POSITIVE),
        replace(lab_result(oid, 1).analysis_results[0], code=demo.GONORRHOEA.code, value=demo.NOT_DETECTED,
                interpretation=Interpretation.NEGATIVE),
    )))
    (case,) = [c for c in services.list_follow_ups(db.uow(), FollowUpStatus.OPEN) if c.order_id == oid]
    return case.case_id


def test_an_operator_may_not_close_a_case_as_another_care_givers_staff(db: Database) -> None:
    close = services.close_follow_up
    case_id = held_case(db)
    assert refusal(close, db.uow(), ctx("console"), case_id, STAFF_B, "reached by letter").sub_code \
        is SubCode.NOT_PERMITTED


def test_an_operator_may_close_a_case_as_its_care_givers_staff(db: Database) -> None:
    # closing releases the held result: one version
    assert services.close_follow_up(db.uow(), ctx("console"), held_case(db), STAFF, "reached by letter") == 1


def test_a_system_serving_two_care_givers_may_name_the_staff_of_either(db: Database) -> None:
    """A shared system (a regional journal serving A and B) names staff of any care giver it serves."""
    shared = "SE2321000016-EHR7"
    services.register_systems(db.uow(), [ConnectedSystem(
        shared, SystemKind.EHR, "Delat journalsystem", frozenset({demo.CARE_GIVER_A, demo.CARE_GIVER_B}))])
    out = services.assign_offer(db.uow(), ctx(shared), commands.AssignOffer(
        new_patient(), "CTNG", demo.CARE_GIVER_A, demo.CARE_UNIT_A, STAFF_B))
    assert out.offer_id
