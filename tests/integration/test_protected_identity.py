"""Protected identity over SOAP, end to end: the service (``eph serve service``) asks the
population register stand-in (``eph serve population-register``) over HTTP, and a protected
person's address is in no GetOrders answer. SQLite only (the service tests cover PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from eph import demo
from service_domain.model import PICKUP_POINT_ONLY
from tests.conftest import seeded
from tests.support import ServiceProcess, Soap, person_number, serving

TOKEN = "protected-identity-test"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ADDRESS = {"name": "Skyddad Person", "street": "Hemliga gatan 7", "postalCode": "111 22", "city": "Stockholm"}


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_path = Path(tmp_path_factory.mktemp("population")) / "register.log"
    with serving("population-register", {"EPH_POPULATION_REGISTER_TOKEN": TOKEN}, log_path) as base:
        yield base


@pytest.fixture(scope="module")
def service(register: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    folder = Path(tmp_path_factory.mktemp("protected"))
    url = seeded(f"sqlite:///{folder / 'eph.sqlite3'}")
    proc = ServiceProcess(url, folder / "service.log").start(EPH_POPULATION_URL=register, EPH_POPULATION_TOKEN=TOKEN)
    yield proc
    proc.stop()


def person(register: str, protected: bool) -> dict[str, str]:
    """A new patient the register knows, with or without protected identity."""
    number = person_number(date(1990, 1, 1) if protected else date(1991, 1, 1))
    answer = requests.put(register + "/admin/person", headers=AUTH, timeout=5, json={
        "personId": number, "givenName": "Testa", "surname": "Testsson", "protected": protected})
    assert answer.ok
    return {"id": number, "type": "1.2.752.129.2.1.3.1"}


def protect(register: str, patient: dict[str, str]) -> None:
    assert requests.post(register + "/admin/protected", headers=AUTH, timeout=5,
                         json={"personId": patient["id"], "protected": True}).ok


def assign(service: ServiceProcess, patient: dict[str, str], code: str = "CTNG") -> str:
    answer = Soap(service.base_url, demo.EHR_A)(
        "AssignOffer", patientId=patient, offerCode=code, careGiverHSAId=demo.CARE_GIVER_A,
        accountableCareUnit=demo.CARE_UNIT_A, assignedBy={"actorType": "STAFF", "id": "SE2321000016-ST01"})
    assert answer.result.resultCode == "OK"
    return str(answer.offerId)


def home_kit(service: ServiceProcess, patient: dict[str, str], **where: Any) -> Any:
    return Soap(service.base_url, demo.CITIZEN_SERVICE)(
        "CreateOrder", offerId=assign(service, patient), patientId=patient, samplingMode="HOME_KIT",
        contactPhone="+46701234567", **where)


def the_order(service: ServiceProcess, order_id: str, reader: str = demo.LAB_A) -> Any:
    return Soap(service.base_url, reader)("GetOrders", orderId=[order_id]).order[0]


def test_anyone_elses_address_is_in_the_labs_answer(service: ServiceProcess, register: str) -> None:
    created = home_kit(service, person(register, False), deliveryAddress=ADDRESS)
    assert the_order(service, created.orderId).deliveryAddress.street == ADDRESS["street"]


def test_a_person_who_becomes_protected_has_no_address_in_the_labs_answer(service: ServiceProcess, register: str) -> None:
    patient = person(register, False)
    created = home_kit(service, patient, deliveryAddress=ADDRESS)
    protect(register, patient)
    assign(service, patient, "HBA1C")  # the next look-up of the person
    assert the_order(service, created.orderId).deliveryAddress is None


def test_nor_in_the_journal_systems_answer(service: ServiceProcess, register: str) -> None:
    patient = person(register, False)
    created = home_kit(service, patient, deliveryAddress=ADDRESS)
    protect(register, patient)
    assign(service, patient, "HBA1C")
    assert the_order(service, created.orderId, demo.EHR_A).deliveryAddress is None


def test_a_home_kit_to_a_protected_persons_address_is_a_validation_error(service: ServiceProcess, register: str) -> None:
    answer = home_kit(service, person(register, True), deliveryAddress=ADDRESS)
    assert (answer.result.resultCode, answer.result.errorCode) == ("ERROR", "VALIDATION_ERROR")


def test_the_refusal_says_what_to_do(service: ServiceProcess, register: str) -> None:
    answer = home_kit(service, person(register, True), deliveryAddress=ADDRESS)
    assert answer.result.message == PICKUP_POINT_ONLY


def test_a_protected_persons_kit_goes_to_the_pickup_point(service: ServiceProcess, register: str) -> None:
    created = home_kit(service, person(register, True), samplingUnitHSAId=demo.SITE_A_CENTRE)
    assert the_order(service, created.orderId).samplingUnitHSAId == demo.SITE_A_CENTRE


def test_while_the_register_is_down_a_home_kit_to_an_address_is_a_server_fault(service: ServiceProcess,
                                                                              register: str) -> None:
    patient = person(register, False)
    offer_id = assign(service, patient)
    assert requests.post(register + "/faults", headers=AUTH, json={"status": 503, "count": 1}, timeout=5).ok
    with pytest.raises(Exception, match="temporarily unavailable") as fault:
        Soap(service.base_url, demo.CITIZEN_SERVICE)(
            "CreateOrder", offerId=offer_id, patientId=patient, samplingMode="HOME_KIT", deliveryAddress=ADDRESS)
    assert patient["id"] not in str(fault.value)


def test_the_service_log_names_no_person(service: ServiceProcess, register: str) -> None:
    patient = person(register, True)
    home_kit(service, patient, deliveryAddress=ADDRESS)
    assert (patient["id"] in service.log_text(), ADDRESS["street"] in service.log_text()) == (False, False)
