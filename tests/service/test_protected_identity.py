"""Protected identity through the service layer, on the database (SQLite, and PostgreSQL with
EPH_TEST_POSTGRES=1): the register asked when offers and orders are made and when staff open the
patient page, never when orders are read; the flags kept on offers and orders; a protected
person's home kit to a pickup point only; their contact details only to who handles the order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Table, select

from eph import demo
from service_domain import commands, services
from service_domain.errors import InvalidRequest
from service_domain.identity import PersonId
from service_domain.model import PICKUP_POINT_ONLY, AuditAction, SamplingMode
from service_domain.persistence.database import Database
from service_domain.persistence.tables import audit_record, offer, patient_order
from service_domain.ports import StorageUnavailable
from service_domain.staff import StaffActing
from tests.fake_population import FakePopulationRegister

from .conftest import ADDRESS, NOW, assign, ctx, new_patient

PHONE = "+46701234567"


@pytest.fixture
def register(backend_db: Database) -> Iterator[FakePopulationRegister]:
    backend_db.population = fake = FakePopulationRegister()
    yield fake
    backend_db.population = None


def home_kit(db: Database, patient: PersonId, offer_id: str, *, address: bool = True,
             pickup: str | None = None) -> services.WriteOutcome:
    return services.create_order(db.uow(), ctx(demo.CITIZEN_SERVICE), commands.CreateOrder(
        offer_id, patient, SamplingMode.HOME_KIT, sampling_unit=pickup,
        delivery_address=ADDRESS if address else None, contact_phone=PHONE))


def stored(db: Database, table: Table, patient: PersonId, column: str) -> list[object]:
    """The column of the patient's rows of ``table`` (offer or patient_order), as stored."""
    with db.engine.connect() as conn:
        return [getattr(r, column) for r in conn.execute(select(table).where(table.c.patient_id == patient.id))]


def read_order(db: Database, consumer: str, order_id: str, staff: StaffActing | None = None) -> object:
    context = ctx(consumer)
    if staff is not None:
        context = commands.CallContext(context.log_id, consumer, NOW, staff=staff)
    page = services.get_orders(db.uow(), context, commands.GetOrders(order_ids=(order_id,)))
    return page.orders[0]


def test_a_home_kit_to_a_protected_persons_address_is_refused(backend_db: Database, register: FakePopulationRegister) -> None:
    patient = new_patient()
    register.put(patient, protected=True)
    offer_id = assign(backend_db, patient)
    with pytest.raises(InvalidRequest) as refused:
        home_kit(backend_db, patient, offer_id)
    assert refused.value.message == PICKUP_POINT_ONLY


def test_a_refused_home_kit_stores_no_order(backend_db: Database, register: FakePopulationRegister) -> None:
    patient = new_patient()
    register.put(patient, protected=True)
    offer_id = assign(backend_db, patient)
    with pytest.raises(InvalidRequest):
        home_kit(backend_db, patient, offer_id)
    assert stored(backend_db, patient_order, patient, "order_id") == []


def test_a_protected_persons_home_kit_to_a_pickup_point_is_flagged(backend_db: Database, register: FakePopulationRegister) -> None:
    patient = new_patient()
    register.put(patient, protected=True)
    home_kit(backend_db, patient, assign(backend_db, patient), address=False, pickup=demo.SITE_A_CENTRE)
    assert stored(backend_db, patient_order, patient, "protected_identity") == [True]


def test_an_offer_made_for_a_protected_person_is_flagged(backend_db: Database, register: FakePopulationRegister) -> None:
    patient = new_patient()
    register.put(patient, protected=True)
    assign(backend_db, patient)
    assert stored(backend_db, offer, patient, "protected_identity") == [True]


def test_anyone_elses_home_kit_keeps_its_address(backend_db: Database, register: FakePopulationRegister) -> None:
    patient = new_patient()
    register.put(patient)
    home_kit(backend_db, patient, assign(backend_db, patient))
    assert stored(backend_db, patient_order, patient, "delivery_address")[0] is not None


def test_while_the_register_is_down_a_home_kit_to_an_address_waits(backend_db: Database, register: FakePopulationRegister) -> None:
    patient = new_patient()
    offer_id = assign(backend_db, patient)
    register.reachable = False
    with pytest.raises(StorageUnavailable):
        home_kit(backend_db, patient, offer_id)


def test_while_the_register_is_down_an_order_is_flagged_protected(backend_db: Database, register: FakePopulationRegister) -> None:
    patient = new_patient()
    offer_id = assign(backend_db, patient)
    register.reachable = False
    home_kit(backend_db, patient, offer_id, address=False, pickup=demo.SITE_A_CENTRE)
    assert stored(backend_db, patient_order, patient, "protected_identity") == [True]


def _become_protected(db: Database, register: FakePopulationRegister) -> tuple[PersonId, str]:
    """A patient with a home kit at their address who is then marked in the register, and the
    staff web's patient page opened on them (a look-up)."""
    patient = new_patient()
    register.put(patient)
    order_id = home_kit(db, patient, assign(db, patient)).order_id
    assert order_id is not None
    register.put(patient, protected=True)
    services.patient_view(db.uow(), _staff_ctx(), patient)
    return patient, order_id


def _staff_ctx(unit: str = demo.CARE_UNIT_A) -> commands.CallContext:
    return commands.CallContext(ctx(demo.STAFF_WEB).log_id, demo.STAFF_WEB, NOW, staff=StaffActing("SE2321000016-SSK1", unit))


def test_a_later_look_up_flags_the_earlier_orders(backend_db: Database, register: FakePopulationRegister) -> None:
    patient, _ = _become_protected(backend_db, register)
    assert stored(backend_db, patient_order, patient, "protected_identity") == [True]


def test_a_later_look_up_drops_the_stored_address(backend_db: Database, register: FakePopulationRegister) -> None:
    patient, _ = _become_protected(backend_db, register)
    assert stored(backend_db, patient_order, patient, "delivery_address") == [None]


def test_a_later_look_up_flags_the_earlier_offers(backend_db: Database, register: FakePopulationRegister) -> None:
    patient, _ = _become_protected(backend_db, register)
    assert stored(backend_db, offer, patient, "protected_identity") == [True]


def test_the_marking_taken_away_clears_the_flags(backend_db: Database, register: FakePopulationRegister) -> None:
    patient, _ = _become_protected(backend_db, register)
    register.put(patient, protected=False)
    services.patient_view(backend_db.uow(), _staff_ctx(), patient)
    assert stored(backend_db, patient_order, patient, "protected_identity") == [False]


def test_the_patient_page_says_the_patient_is_protected(backend_db: Database, register: FakePopulationRegister) -> None:
    patient, _ = _become_protected(backend_db, register)
    assert services.patient_view(backend_db.uow(), _staff_ctx(), patient).protected


def test_the_patient_page_view_is_audited(backend_db: Database, register: FakePopulationRegister) -> None:
    patient, _ = _become_protected(backend_db, register)
    with backend_db.engine.connect() as conn:
        reads = conn.execute(select(audit_record.c.actor_id).where(
            audit_record.c.patient_id == patient.id, audit_record.c.action == AuditAction.READ.value)).all()
    assert ("SE2321000016-SSK1",) in [tuple(r) for r in reads]


def test_reading_orders_never_asks_the_register(backend_db: Database, register: FakePopulationRegister) -> None:
    patient, order_id = _become_protected(backend_db, register)
    asked = len(register.asked)
    services.get_orders(backend_db.uow(), ctx(demo.LAB_A), commands.GetOrders(performing_lab=demo.LAB_A, max_results=1000))
    assert len(register.asked) == asked


def test_the_sending_lab_sees_the_phone(backend_db: Database, register: FakePopulationRegister) -> None:
    patient = new_patient()
    register.put(patient, protected=True)
    order_id = home_kit(backend_db, patient, assign(backend_db, patient), address=False, pickup=demo.SITE_A_CENTRE).order_id
    assert read_order(backend_db, demo.LAB_A, str(order_id)).contact_phone == PHONE  # type: ignore[attr-defined]


def test_the_journal_system_does_not_see_the_phone(backend_db: Database, register: FakePopulationRegister) -> None:
    patient = new_patient()
    register.put(patient, protected=True)
    order_id = home_kit(backend_db, patient, assign(backend_db, patient), address=False, pickup=demo.SITE_A_CENTRE).order_id
    assert read_order(backend_db, demo.EHR_A, str(order_id)).contact_phone is None  # type: ignore[attr-defined]


def test_the_sampling_desk_of_the_care_unit_sees_the_phone(backend_db: Database, register: FakePopulationRegister) -> None:
    patient = new_patient()
    register.put(patient, protected=True)
    order_id = home_kit(backend_db, patient, assign(backend_db, patient), address=False, pickup=demo.SITE_A_CENTRE).order_id
    seen = read_order(backend_db, demo.STAFF_WEB, str(order_id), StaffActing("SE2321000016-SSK1", demo.CARE_UNIT_A))
    assert seen.contact_phone == PHONE  # type: ignore[attr-defined]


def test_staff_without_the_sampling_function_do_not_see_the_phone(backend_db: Database, register: FakePopulationRegister) -> None:
    patient = new_patient()
    register.put(patient, protected=True)
    order_id = home_kit(backend_db, patient, assign(backend_db, patient), address=False, pickup=demo.SITE_A_CENTRE).order_id
    seen = read_order(backend_db, demo.STAFF_WEB, str(order_id), StaffActing("SE2321000016-SSK2", demo.CARE_UNIT_A))
    assert seen.contact_phone is None  # type: ignore[attr-defined]
