"""The demo systems through the platform to the real service, and the registry look-ups."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests
import zeep
import zeep.exceptions
from zeep.transports import Transport

from contracts.interactions import (
    GET_LOGICAL_ADDRESSEES,
    GET_ORDERS,
    GET_SUPPORTED_CONTRACTS,
    SERVED_INTERACTIONS,
    SET_RESULT,
    Interaction,
)
from eph import demo
from service_domain.clock import SWEDISH_TZ
from tests.support import CHECK, PlatformProcess, Soap

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_the_demo_lab_fetches_orders_and_sets_a_result_through_the_platform(demo_platform: PlatformProcess) -> None:
    lab = Soap(demo_platform.base_url, demo.LAB_A, via_platform=demo_platform.instance_id)
    orders = lab("GetOrders", performingLabHSAId=demo.LAB_A).order
    demo_orders = {o.patientId.id: o for o in orders if o.patientId.id in demo.DEMO_PATIENTS.values()}
    site = demo_orders[demo.DEMO_PATIENTS["A2"]]  # the HbA1c order
    now = datetime.now(SWEDISH_TZ)
    result = lab("SetResult", laboratoryResult={
        "orderId": site.orderId, "performingLabHSAId": demo.LAB_A, "resultVersion": 1, "reportStatus": "FINAL",
        "reportTime": (now - timedelta(minutes=1)).strftime("%Y%m%d%H%M%S"),
        "analysisResult": [{"code": {"code": "NPU27300", "codeSystem": "1.2.752.108.1"},
                            "pq": {"value": Decimal("39"), "unit": "mmol/mol"}, "status": "FINAL"}]}).result
    assert result.resultCode in ("OK", "INFO"), result
    (updated,) = lab("GetOrders", orderId=[site.orderId]).order
    assert updated.status == "FINAL_RESULT"


def test_the_demo_sampling_system_may_not_set_results(demo_platform: PlatformProcess) -> None:
    sampling = Soap(demo_platform.base_url, demo.SAMPLING_A, via_platform=demo_platform.instance_id)
    assert sampling("GetOrders", performingLabHSAId=demo.LAB_A).order is not None  # this it may do
    with pytest.raises(zeep.exceptions.Fault) as e:
        sampling("SetResult", laboratoryResult={
            "orderId": "x", "performingLabHSAId": demo.LAB_A, "resultVersion": 1, "reportStatus": "FINAL",
            "reportTime": "20260101120000",
            "analysisResult": [{"code": {"code": "a", "codeSystem": "1.2"}, "text": "t", "status": "FINAL"}]})
    assert e.value.message.startswith("VP007")
    assert demo.SAMPLING_A in e.value.detail.findtext("detailString")


def test_the_platform_serves_the_contract_with_its_own_address(demo_platform: PlatformProcess) -> None:
    session = requests.Session()
    session.headers.update({"x-vp-sender-id": demo.LAB_A, "x-vp-instance-id": demo_platform.instance_id})
    url = f"{demo_platform.base_url}/vp{GET_ORDERS.path}"
    client = zeep.Client(url + "?wsdl", transport=Transport(session=session), settings=zeep.Settings(strict=True))
    assert client.service._binding_options["address"] == url
    response = client.service.GetOrders(performingLabHSAId=demo.LAB_A, _soapheaders={"LogicalAddress": demo.SERVICE_ADDRESS})
    assert response.order is not None


def _registry(platform: PlatformProcess, interaction: Interaction, sender: str) -> object:
    session = requests.Session()
    session.headers.update({"x-vp-sender-id": sender, "x-vp-instance-id": platform.instance_id})
    client = zeep.Client(str(interaction.wsdl_path), transport=Transport(session=session),
                         settings=zeep.Settings(strict=True), plugins=[CHECK])
    return client.create_service(f"{{{interaction.wsdl_ns}}}{interaction.name}ResponderBinding",
                                 f"{platform.base_url}/registry{interaction.path}")


def test_get_logical_addressees_by_service_contract(demo_platform: PlatformProcess) -> None:
    svc = _registry(demo_platform, GET_LOGICAL_ADDRESSEES, demo.LAB_A)
    answer = svc.GetLogicalAddresseesByServiceContract(  # type: ignore[attr-defined]
        serviceConsumerHsaId=demo.SAMPLING_A,
        serviceContractNameSpace={"ServiceContractNamespace": SET_RESULT.responder_ns.upper()},
        _soapheaders={"LogicalAddress": "SE5565594230-TAK"})
    assert answer.logicalAddressRecord == []  # the sampling system may not call SetResult anywhere
    answer = svc.GetLogicalAddresseesByServiceContract(  # type: ignore[attr-defined]
        serviceConsumerHsaId=demo.LAB_A, serviceContractNameSpace={"ServiceContractNamespace": SET_RESULT.responder_ns},
        _soapheaders={"LogicalAddress": "SE5565594230-TAK"})
    assert [r.logicalAddress for r in answer.logicalAddressRecord] == [demo.SERVICE_ADDRESS]


def test_get_supported_service_contracts(demo_platform: PlatformProcess) -> None:
    svc = _registry(demo_platform, GET_SUPPORTED_CONTRACTS, demo.LAB_A)
    everything = svc.GetSupportedServiceContracts(  # type: ignore[attr-defined]
        logicalAdress=demo.SERVICE_ADDRESS, _soapheaders={"LogicalAddress": "SE5565594230-TAK"})
    assert len(everything.serviceContractNamespace) == len(SERVED_INTERACTIONS)
    for_sampling = svc.GetSupportedServiceContracts(  # type: ignore[attr-defined]
        serviceConsumerHsaId=demo.SAMPLING_A, logicalAdress=demo.SERVICE_ADDRESS,
        _soapheaders={"LogicalAddress": "SE5565594230-TAK"})
    assert sorted(n.ServiceContractNamespace for n in for_sampling.serviceContractNamespace) == sorted(
        ["urn:riv:clinicalprocess:activity:selfsampling:GetOrdersResponder:1",
         "urn:riv:clinicalprocess:activity:selfsampling:SetOrderStatusResponder:1"])


def test_registry_requests_are_validated(demo_platform: PlatformProcess) -> None:
    r = requests.post(
        f"{demo_platform.base_url}/registry{GET_SUPPORTED_CONTRACTS.path}",
        data=b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
             b'<r:GetSupportedServiceContracts xmlns:r="urn:riv:infrastructure:itintegration:registry:GetSupportedServiceContractsResponder:2"/>'
             b"</soap:Body></soap:Envelope>",
        headers={"x-vp-sender-id": demo.LAB_A, "x-vp-instance-id": demo_platform.instance_id, "Content-Type": "text/xml"},
        timeout=30)
    assert r.status_code == 500
    assert b"logicalAdress" in r.content
    assert b"Client" in r.content
