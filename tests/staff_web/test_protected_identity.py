"""Protected identity on the staff web: the marking on the patient page, the sampling desk's list
and order page, and the patient's phone shown only to the desk handling the open order (a view
that is audited)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from eph import demo
from service_domain import commands, services
from service_domain.clock import utcnow
from service_domain.identity import PersonId
from service_domain.model import Actor, ActorKind, SamplingMode
from service_domain.persistence.database import Database
from service_domain.persistence.tables import audit_record
from tests.fake_population import FakePopulationRegister
from tests.support import person_number

from .clients import dev_client, web_database
from .test_app import csrf, login

PHONE = "+46701234567"
MARKING = "Skyddad identitet"


@pytest.fixture(scope="module")
def register() -> FakePopulationRegister:
    return FakePopulationRegister()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, register: FakePopulationRegister) -> Iterator[Database]:
    database = web_database(tmp_path_factory, register)
    yield database
    database.dispose()


@pytest.fixture()
def client(db: Database) -> FlaskClient:
    return dev_client(db)


def logged_in(client: FlaskClient, hsa_id: str = "SE2321000016-SSK1") -> FlaskClient:
    login(client, hsa_id)
    return client


def ctx(consumer: str) -> commands.CallContext:
    return commands.CallContext(str(uuid.uuid4()), consumer, utcnow())


def patient_with_order(db: Database, register: FakePopulationRegister, protected: bool) -> tuple[PersonId, str]:
    """A patient the register knows, with a home kit to a pickup point and a phone number."""
    patient = PersonId(person_number(date(1990, 1, 1)))
    register.put(patient, protected=protected)
    offer = services.assign_offer(db.uow(), ctx(demo.EHR_A), commands.AssignOffer(
        patient, "CTNG", demo.CARE_GIVER_A, demo.CARE_UNIT_A, Actor(ActorKind.STAFF, "SE2321000016-ST01")))
    order = services.create_order(db.uow(), ctx(demo.CITIZEN_SERVICE), commands.CreateOrder(
        offer.offer_id, patient, SamplingMode.HOME_KIT, sampling_unit=demo.SITE_A_CENTRE, contact_phone=PHONE))
    assert order.order_id is not None
    return patient, order.order_id


def open_patient(client: FlaskClient, patient: PersonId) -> Any:
    client.post("/patient", data={"csrf_token": csrf(client, "/patient"), "number": patient.id})
    return client.get("/patient")


def desk(client: FlaskClient, patient: PersonId) -> Any:
    client.post("/sampling", data={"csrf_token": csrf(client, "/sampling"), "query": patient.id})
    return client.get("/sampling")


def test_the_patient_page_marks_a_protected_patient(client: FlaskClient, db: Database,
                                                     register: FakePopulationRegister) -> None:
    patient, _ = patient_with_order(db, register, True)
    assert MARKING in open_patient(logged_in(client), patient).text


def test_the_patient_page_does_not_mark_anyone_else(client: FlaskClient, db: Database,
                                                     register: FakePopulationRegister) -> None:
    patient, _ = patient_with_order(db, register, False)
    assert MARKING not in open_patient(logged_in(client), patient).text


def test_the_patient_page_shows_a_marking_the_register_made_since(client: FlaskClient, db: Database,
                                                                   register: FakePopulationRegister) -> None:
    patient, _ = patient_with_order(db, register, False)
    register.put(patient, protected=True)
    assert MARKING in open_patient(logged_in(client), patient).text


def test_the_desks_list_marks_the_order(client: FlaskClient, db: Database, register: FakePopulationRegister) -> None:
    patient, _ = patient_with_order(db, register, True)
    assert MARKING in desk(logged_in(client), patient).text


def test_the_desk_handling_the_order_sees_the_phone(client: FlaskClient, db: Database,
                                                     register: FakePopulationRegister) -> None:
    _, order_id = patient_with_order(db, register, True)
    assert PHONE in logged_in(client).get(f"/sampling/order/{order_id}").text


def test_the_order_page_marks_the_order(client: FlaskClient, db: Database, register: FakePopulationRegister) -> None:
    _, order_id = patient_with_order(db, register, True)
    assert MARKING in logged_in(client).get(f"/sampling/order/{order_id}").text


def test_the_desks_view_of_the_order_is_audited(client: FlaskClient, db: Database,
                                                 register: FakePopulationRegister) -> None:
    patient, order_id = patient_with_order(db, register, True)
    logged_in(client).get(f"/sampling/order/{order_id}")
    with db.engine.connect() as conn:
        actors = conn.execute(select(audit_record.c.actor_id, audit_record.c.care_unit).where(
            audit_record.c.patient_id == patient.id, audit_record.c.interaction == "GetOrders")).all()
    assert ("SE2321000016-SSK1", demo.CARE_UNIT_A) in [tuple(a) for a in actors]


def _cancelled(db: Database, register: FakePopulationRegister, protected: bool) -> str:
    patient, order_id = patient_with_order(db, register, protected)
    services.cancel_order(db.uow(), ctx(demo.CITIZEN_SERVICE),
                          commands.CancelOrder(order_id, Actor(ActorKind.PATIENT, patient.id)))
    return order_id


def test_once_the_order_is_closed_the_desk_no_longer_sees_a_protected_persons_phone(
        client: FlaskClient, db: Database, register: FakePopulationRegister) -> None:
    order_id = _cancelled(db, register, True)
    assert PHONE not in logged_in(client).get(f"/sampling/order/{order_id}").text


def test_anyone_elses_phone_stays_on_the_closed_order(client: FlaskClient, db: Database,
                                                      register: FakePopulationRegister) -> None:
    order_id = _cancelled(db, register, False)
    assert PHONE in logged_in(client).get(f"/sampling/order/{order_id}").text
