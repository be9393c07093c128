"""Whom a write may name as the one acting, over real HTTP through the platform to the service
(issue 17): a performer belongs to the caller, or the patient's access log tells a lie."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from eph import demo
from service_domain.clock import SWEDISH_TZ
from tests.support import PlatformProcess, Soap, patient

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ADDRESS = {"name": "Test Testsson", "street": "Storgatan 1", "postalCode": "111 22", "city": "Stockholm"}


def as_system(platform: PlatformProcess, hsa_id: str) -> Soap:
    return Soap(platform.base_url, hsa_id, via_platform=platform.instance_id)


def assign(platform: PlatformProcess, p: dict[str, str], by: dict[str, str]) -> Any:
    return as_system(platform, demo.EHR_A)(
        "AssignOffer", patientId=p, offerCode="CTNG", careGiverHSAId=demo.CARE_GIVER_A,
        accountableCareUnit=demo.CARE_UNIT_A, assignedBy=by)


def home_kit_order(platform: PlatformProcess, p: dict[str, str]) -> str:
    """An order of a home kit for ``p``, from an offer the journal system assigns."""
    offer = assign(platform, p, {"actorType": "STAFF", "id": "SE2321000016-ST01"})
    placed = as_system(platform, demo.CITIZEN_SERVICE)(
        "CreateOrder", offerId=offer.offerId, patientId=p, samplingMode="HOME_KIT", deliveryAddress=ADDRESS)
    return str(placed.orderId)


def kit_sent(platform: PlatformProcess, order_id: str, by: dict[str, str]) -> Any:
    now = datetime.now(SWEDISH_TZ) - timedelta(minutes=1)
    return as_system(platform, demo.LAB_A)(
        "SetOrderStatus", orderId=order_id, status="KIT_SENT", eventTime=now.strftime("%Y%m%d%H%M%S"),
        performedBy=by, performingUnitHSAId=demo.LAB_A).result


def cancel(platform: PlatformProcess, order_id: str, by: dict[str, str]) -> Any:
    return as_system(platform, demo.CITIZEN_SERVICE)("CancelOrder", orderId=order_id, cancelledBy=by).result


def refusal(result: Any) -> tuple[str, str | None, str | None]:
    return result.resultCode, result.errorCode, result.subCode


NOT_PERMITTED = ("ERROR", "APPLICATION_ERROR", "EPH006")


def test_a_lab_system_naming_the_patient_is_refused(demo_platform: PlatformProcess) -> None:
    p = patient()
    result = kit_sent(demo_platform, home_kit_order(demo_platform, p), {"actorType": "PATIENT", "id": p["id"]})
    assert refusal(result) == NOT_PERMITTED


def test_the_refusal_says_which_field_without_the_patient(demo_platform: PlatformProcess) -> None:
    p = patient()
    result = kit_sent(demo_platform, home_kit_order(demo_platform, p), {"actorType": "PATIENT", "id": p["id"]})
    assert result.message.startswith("performedBy:")
    assert p["id"] not in result.message


def test_a_lab_system_naming_itself_is_accepted(demo_platform: PlatformProcess) -> None:
    order_id = home_kit_order(demo_platform, patient())
    assert kit_sent(demo_platform, order_id, {"actorType": "SYSTEM", "id": demo.LAB_A}).resultCode == "OK"


def test_a_system_naming_another_system_is_refused(demo_platform: PlatformProcess) -> None:
    order_id = home_kit_order(demo_platform, patient())
    assert refusal(kit_sent(demo_platform, order_id, {"actorType": "SYSTEM", "id": demo.SAMPLING_A})) == NOT_PERMITTED


def test_a_system_naming_its_care_givers_staff_is_accepted(demo_platform: PlatformProcess) -> None:
    result = assign(demo_platform, patient(), {"actorType": "STAFF", "id": "SE2321000016-ST01"}).result
    assert result.resultCode == "OK"


def test_a_system_of_care_giver_a_naming_care_giver_b_staff_is_refused(demo_platform: PlatformProcess) -> None:
    result = assign(demo_platform, patient(), {"actorType": "STAFF", "id": "SE2321000255-SSK1"}).result
    assert refusal(result) == NOT_PERMITTED


def test_a_system_naming_an_unregistered_hsa_id_is_refused(demo_platform: PlatformProcess) -> None:
    result = assign(demo_platform, patient(), {"actorType": "STAFF", "id": "SE2321000016-NOBODY1"}).result
    assert refusal(result) == NOT_PERMITTED


def test_the_citizen_service_naming_the_patient_is_accepted(demo_platform: PlatformProcess) -> None:
    p = patient()
    order_id = home_kit_order(demo_platform, p)
    assert cancel(demo_platform, order_id, {"actorType": "PATIENT", "id": p["id"]}).resultCode == "OK"


def test_the_citizen_service_naming_another_patient_is_refused(demo_platform: PlatformProcess) -> None:
    order_id = home_kit_order(demo_platform, patient())
    assert refusal(cancel(demo_platform, order_id, {"actorType": "PATIENT", "id": patient()["id"]})) == NOT_PERMITTED


def test_the_patients_access_log_shows_no_refused_performer(demo_platform: PlatformProcess) -> None:
    """After the lab's refused attempt to act as the patient, the log holds no change by the patient."""
    p = patient()
    order_id = home_kit_order(demo_platform, p)
    kit_sent(demo_platform, order_id, {"actorType": "PATIENT", "id": p["id"]})
    log = as_system(demo_platform, demo.CITIZEN_SERVICE)("GetAccessLog", patientId=p)
    by_patient = [e for e in log.accessLogEntry if e.performedBy is not None and e.performedBy.actorType == "PATIENT"
                  and e.interaction == "SetOrderStatus"]
    assert by_patient == []
