"""The national results contract (GetLaboratoryOrderOutcome 4) over real HTTP: a demo system
calls the real platform, which routes by the demo catalogue to the real service; the client is
zeep in strict mode, built from the WSDL the platform serves."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
import zeep
import zeep.exceptions
from zeep.transports import Transport

from contracts.interactions import GET_LABORATORY_ORDER_OUTCOME as GLOO
from eph import demo
from service_domain.clock import SWEDISH_TZ
from tests.support import CHECK, PlatformProcess, ServiceProcess, Soap, person_number, platform_session

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PERSONNUMMER = "1.2.752.129.2.1.3.1"
HSA = "1.2.752.129.2.1.4.1"
CORE = "urn:riv:clinicalprocess:healthcond:actoutcome:4"
ADDRESS = {"name": "Test Person", "street": "Gatan 1", "postalCode": "111 22", "city": "Stockholm"}


def _client(platform: PlatformProcess, sender: str) -> Any:
    """zeep strict from the WSDL the platform serves, calling the platform as ``sender``."""
    session = requests.Session()
    session.headers.update({"x-vp-sender-id": sender, "x-vp-instance-id": platform.instance_id})
    url = f"{platform.base_url}/vp{GLOO.path}"
    client = zeep.Client(url + "?wsdl", transport=Transport(session=session), settings=zeep.Settings(strict=True),
                         plugins=[CHECK])
    return client.service


def _outcomes(platform: PlatformProcess, patient: str, sender: str = demo.AGGREGATOR, **filters: Any) -> list[Any]:
    answer = _client(platform, sender).GetLaboratoryOrderOutcome(
        patientId={"root": PERSONNUMMER, "extension": patient},
        _soapheaders={"LogicalAddress": demo.SERVICE_ADDRESS}, **filters)
    return list(answer.laboratoryOrderOutcome)


def _now() -> str:
    return (datetime.now(SWEDISH_TZ) - timedelta(minutes=1)).strftime("%Y%m%d%H%M%S")


def _ordered(platform: PlatformProcess, patient: str, code: str, mode: str) -> Any:
    ehr = Soap(platform.base_url, demo.EHR_A, via_platform=platform.instance_id)
    citizen = Soap(platform.base_url, demo.CITIZEN_SERVICE, via_platform=platform.instance_id)
    offer = ehr("AssignOffer", patientId={"id": patient, "type": PERSONNUMMER}, offerCode=code,
                careGiverHSAId=demo.CARE_GIVER_A, accountableCareUnit=demo.CARE_UNIT_A,
                assignedBy={"actorType": "STAFF", "id": "SE2321000016-ST01"})
    return citizen("CreateOrder", offerId=offer.offerId, patientId={"id": patient, "type": PERSONNUMMER},
                   samplingMode=mode, deliveryAddress=ADDRESS if mode == "HOME_KIT" else None)


def _hba1c_result(platform: PlatformProcess, patient: str) -> Any:
    order = _ordered(platform, patient, "HBA1C", "SITE")
    lab = Soap(platform.base_url, demo.LAB_A, via_platform=platform.instance_id)
    answer = lab("SetResult", laboratoryResult={
        "orderId": order.orderId, "performingLabHSAId": demo.LAB_A, "resultVersion": 1, "reportStatus": "FINAL",
        "reportTime": _now(), "analysisResult": [{
            "code": {"code": "NPU27300", "codeSystem": "1.2.752.108.1"},
            "pq": {"value": Decimal("39"), "unit": "mmol/mol"}, "status": "FINAL", "interpretation": "NORMAL"}]})
    assert answer.result.resultCode == "OK"
    return order


def test_the_platform_serves_the_national_wsdl_at_its_own_address(demo_platform: PlatformProcess) -> None:
    service = _client(demo_platform, demo.AGGREGATOR)
    assert service._binding_options["address"] == f"{demo_platform.base_url}/vp{GLOO.path}"


def test_the_service_serves_the_national_wsdl_too(service: ServiceProcess) -> None:
    session = platform_session()
    session.headers["x-rivta-original-serviceconsumer-hsaid"] = demo.AGGREGATOR
    client = zeep.Client(f"{service.base_url}{GLOO.url_path}?wsdl", transport=Transport(session=session),
                         settings=zeep.Settings(strict=True), plugins=[CHECK])
    patient = person_number(date(1981, 7, 7))
    answer = client.service.GetLaboratoryOrderOutcome(patientId={"root": PERSONNUMMER, "extension": patient},
                                                      _soapheaders={"LogicalAddress": demo.SERVICE_ADDRESS})
    assert list(answer.laboratoryOrderOutcome) == []


def test_the_aggregator_reads_a_released_result(demo_platform: PlatformProcess) -> None:
    patient = person_number(date(1980, 5, 5))
    order = _hba1c_result(demo_platform, patient)
    (outcome,) = _outcomes(demo_platform, patient)
    assert outcome.body.referral.identifier.extension == order.referralId


def test_the_answer_is_approved_for_the_patient(demo_platform: PlatformProcess) -> None:
    patient = person_number(date(1980, 5, 5))
    _hba1c_result(demo_platform, patient)
    (outcome,) = _outcomes(demo_platform, patient)
    assert outcome.header.accessControlHeader.approvedForPatient is True


def test_the_answer_carries_the_value_as_reported(demo_platform: PlatformProcess) -> None:
    patient = person_number(date(1980, 5, 5))
    _hba1c_result(demo_platform, patient)
    (outcome,) = _outcomes(demo_platform, patient)
    (analysis,) = outcome.body.groupOfAnalyses[0].analysis
    assert (analysis.result[0].value.pq.value, analysis.result[0].value.pq.unit) == ("39", "mmol/mol")


def test_the_journal_system_reads_it_too(demo_platform: PlatformProcess) -> None:
    patient = person_number(date(1980, 5, 5))
    _hba1c_result(demo_platform, patient)
    assert len(_outcomes(demo_platform, patient, demo.EHR_A)) == 1


def test_a_positive_held_for_follow_up_is_not_answered(demo_platform: PlatformProcess) -> None:
    patient = person_number(date(1990, 6, 6))
    order = _ordered(demo_platform, patient, "CTNG", "HOME_KIT")
    lab = Soap(demo_platform.base_url, demo.LAB_A, via_platform=demo_platform.instance_id)
    detected = {"code": demo.DETECTED.code, "codeSystem": demo.DETECTED.code_system}
    answer = lab("SetResult", laboratoryResult={
        "orderId": order.orderId, "performingLabHSAId": demo.LAB_A, "resultVersion": 1, "reportStatus": "FINAL",
        "reportTime": _now(), "analysisResult": [
            {"code": {"code": code, "codeSystem": demo.LOCAL_ANALYSIS_CODES}, "coded": detected, "status": "FINAL",
             "interpretation": "POSITIVE"} for code in ("CT-NAAT", "NG-NAAT")]})
    assert answer.result.resultCode == "OK"
    assert _outcomes(demo_platform, patient) == []


def test_a_filter_for_another_source_system_finds_nothing(demo_platform: PlatformProcess) -> None:
    patient = person_number(date(1980, 5, 5))
    _hba1c_result(demo_platform, patient)
    assert _outcomes(demo_platform, patient, sourceSystemHSAId={"root": HSA, "extension": demo.LAB_A}) == []


def test_a_system_the_catalogue_does_not_authorize_is_refused_by_the_platform(demo_platform: PlatformProcess) -> None:
    with pytest.raises(zeep.exceptions.Fault) as e:
        _outcomes(demo_platform, person_number(date(1980, 5, 5)), demo.LAB_A)
    assert e.value.message.startswith("VP007")


def _post(platform: PlatformProcess, body: str) -> requests.Response:
    envelope = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>'
        f'<la:LogicalAddress xmlns:la="urn:riv:itintegration:registry:1">{demo.SERVICE_ADDRESS}</la:LogicalAddress>'
        f"</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"
    )
    return requests.post(f"{platform.base_url}/vp{GLOO.path}", data=envelope.encode(), timeout=30, headers={
        "x-vp-sender-id": demo.AGGREGATOR, "x-vp-instance-id": platform.instance_id,
        "Content-Type": "text/xml; charset=utf-8"})


def _request(inner: str) -> str:
    return (f'<r:GetLaboratoryOrderOutcome xmlns:r="{GLOO.responder_ns}" xmlns:c="{CORE}">{inner}'
            "</r:GetLaboratoryOrderOutcome>")


def _patient(number: str) -> str:
    """IIType's elements are the core components' (elementFormDefault qualified)."""
    return f"<r:patientId><c:root>{PERSONNUMMER}</c:root><c:extension>{number}</c:extension></r:patientId>"


def test_a_request_without_a_patient_is_a_client_fault(demo_platform: PlatformProcess) -> None:
    answer = _post(demo_platform, _request(""))
    assert answer.status_code == 500
    assert b"<faultcode>soap:Client</faultcode>" in answer.content


def test_a_fault_does_not_echo_the_patient(demo_platform: PlatformProcess) -> None:
    answer = _post(demo_platform, _request(_patient("191212121213")))  # a wrong check digit
    assert answer.status_code == 500
    assert b"191212121213" not in answer.content


def test_a_wrong_check_digit_is_a_client_fault_saying_so(demo_platform: PlatformProcess) -> None:
    answer = _post(demo_platform, _request(_patient("191212121213")))
    assert b"<faultcode>soap:Client</faultcode>" in answer.content
    assert b"check digit" in answer.content


def test_an_extension_of_another_namespace_is_accepted(demo_platform: PlatformProcess) -> None:
    patient = person_number(date(1980, 5, 5))
    _hba1c_result(demo_platform, patient)
    answer = _post(demo_platform, _request(_patient(patient) + '<x:hint xmlns:x="urn:example:extension">any</x:hint>'))
    assert answer.status_code == 200
    assert answer.content.count(b"laboratoryOrderOutcome>") == 2


def test_the_referral_id_is_under_the_service_s_hsa_id(demo_platform: PlatformProcess) -> None:
    patient = person_number(date(1980, 5, 5))
    _hba1c_result(demo_platform, patient)
    (outcome,) = _outcomes(demo_platform, patient)
    assert outcome.body.referral.identifier.root == demo.SERVICE_ADDRESS


def test_the_recipient_unit_is_named_over_http(demo_platform: PlatformProcess) -> None:
    patient = person_number(date(1980, 5, 5))
    _hba1c_result(demo_platform, patient)
    (outcome,) = _outcomes(demo_platform, patient)
    assert outcome.body.recipientUnit.name == demo.UNIT_NAMES[demo.CARE_UNIT_A]
