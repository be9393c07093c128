"""Settings that make the platform behave as the national one where this project's defaults differ,
and the national look-up rules: HSA tree climbing on or off per contract, VG#VE addresses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from routing import store
from routing.catalogue import Catalogue
from tests.fake_producer import FakeProducer
from tests.platform.conftest import FROM, NOW, SENDER, TO, contract, routed, save
from tests.platform.test_router import assert_vp, body_for, call
from tests.support import PlatformProcess, soap_envelope

CARE_GIVER, CARE_UNIT = "SE2321000016-CG01", "SE2321000016-CU01"
WSDL = "http://schemas.xmlsoap.org/wsdl/soap/"


def at(cat: Catalogue, name: str, address: str, url: str, *, route: bool = True, grant: bool = True) -> Catalogue:
    if route:
        cat, _ = store.with_routing(cat, contract(name), address, url, "SE5565594230-P01", "RIVTABP21", FROM, TO,
                                    now=NOW, who="t")
    if grant:
        cat, _ = store.with_authorization(cat, SENDER, contract(name), address, FROM, TO, now=NOW, who="t")
    return cat


@pytest.fixture(scope="module")
def national(platform_db: str, producer: FakeProducer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformProcess]:
    """A platform set as the national one is: every sender may set the original consumer; tree climbing
    off for routing of NoClimbRoute* and for authorization of NoClimbAuth*; a public address of its own."""
    folder = Path(tmp_path_factory.mktemp("national"))
    hierarchy = folder / "hsa.json"
    hierarchy.write_text(json.dumps({CARE_UNIT: CARE_GIVER, CARE_GIVER: "SE"}), encoding="utf-8")
    u = producer.url + "/ok"
    cat = routed(store.empty(), "Ping", u)
    for name in ("Climb", "NoClimbRoute", "NoClimbAuth"):
        cat = at(cat, name, CARE_GIVER, u)  # a routing and a grant at the care giver only
    cat = at(cat, "NoClimbRoute", CARE_UNIT, u, route=False)  # the unit has its own grant, not its own routing
    cat = at(cat, "NoClimbAuth", CARE_UNIT, u, grant=False)  # and its own routing, not its own grant
    cat = at(cat, "Vgve", CARE_GIVER, u)
    cat = at(cat, "Vgve", "*", producer.url + "/default")
    save(platform_db, cat)
    p = PlatformProcess(platform_db, folder / "p")
    p.start(EPH_HSA_HIERARCHY=str(hierarchy), EPH_VP_ORIGINAL_CONSUMER_SENDERS="*",
            EPH_VP_HSA_CLIMB_ROUTING_EXCEPT=contract("NoClimbRoute").rsplit(":", 1)[0],
            EPH_VP_HSA_CLIMB_AUTHORIZATION_EXCEPT=contract("NoClimbAuth"),
            EPH_VP_PUBLIC_URL="https://vp.example.org:8443")
    yield p
    p.stop()


def test_every_sender_may_set_the_original_consumer_when_so_set(national: PlatformProcess, producer: FakeProducer) -> None:
    before = len(producer.received)
    r = call(national, body_for("Ping"), headers={"x-rivta-original-serviceconsumer-hsaid": "SE2321000016-EHR1"})
    assert r.status_code == 200
    assert producer.received[before].headers["x-rivta-original-serviceconsumer-hsaid"] == "SE2321000016-EHR1"


def test_tree_climbing_per_contract(national: PlatformProcess) -> None:
    unit = {"address": CARE_UNIT}
    assert call(national, body_for("Climb", **unit)).status_code == 200  # routing and grant found above
    # routing may not climb: the unit's own grant does not help
    assert_vp(call(national, body_for("NoClimbRoute", **unit)), "VP004", "Client", CARE_UNIT)
    # authorization may not climb: routed by the unit's own routing, the grant above does not count
    assert_vp(call(national, body_for("NoClimbAuth", **unit)), "VP007", "Server", CARE_UNIT, SENDER)
    for name in ("NoClimbRoute", "NoClimbAuth"):  # at the care giver itself, nothing needs climbing
        assert call(national, body_for(name, address=CARE_GIVER)).status_code == 200


def test_default_routing_by_care_giver_and_care_unit(national: PlatformProcess, producer: FakeProducer) -> None:
    before = len(producer.received)
    r = call(national, body_for("Vgve", address=f"{CARE_GIVER}#SE2321000016-NOUNIT"))
    assert r.status_code == 200
    assert producer.received[before].path == "/ok"  # the care giver's routing, not the default
    # such an address uses no default routing and climbs no tree
    assert_vp(call(national, body_for("Vgve", address="SE2321000016-X#SE2321000016-Y")), "VP004", "Client")
    assert call(national, body_for("Vgve", address="SE2321000016-Y")).status_code == 200  # (a plain one does)


def test_contract_documents_name_the_configured_public_address(national: PlatformProcess) -> None:
    import requests

    path = "/vp/clinicalprocess/activity/selfsampling/GetOrders/1/rivtabp21"
    r = requests.get(national.base_url + path + "?wsdl", headers={"Host": "attacker.example"}, timeout=10)
    (address,) = etree.fromstring(r.content).iter(f"{{{WSDL}}}address")
    assert address.get("location") == "https://vp.example.org:8443" + path
    assert b"attacker.example" not in r.content


def test_the_registry_look_ups_read_their_v2_header(national: PlatformProcess) -> None:
    import requests

    ns = "urn:riv:infrastructure:itintegration:registry:GetSupportedServiceContractsResponder:2"
    header = ('<itr:LogicalAddress xmlns:itr="urn:riv:infrastructure:itintegration:registry:2">5565594230'
              "</itr:LogicalAddress>")
    data = soap_envelope(f'<r:GetSupportedServiceContracts xmlns:r="{ns}"><r:logicalAdress>{CARE_GIVER}'
                         "</r:logicalAdress></r:GetSupportedServiceContracts>", header=header)
    r = requests.post(national.base_url + "/registry/infrastructure/itintegration/registry/GetSupportedServiceContracts/2/"
                      "rivtabp21", data=data, headers={"x-vp-sender-id": SENDER, "x-vp-instance-id": national.instance_id},
                      timeout=10)
    assert r.status_code == 200, r.text
    found = {e.text for e in etree.fromstring(r.content).iter("{urn:riv:infrastructure:itintegration:registry:2}"
                                                               "ServiceContractNamespace")}
    assert contract("Climb") in found
    assert contract("Vgve") in found
