"""The service domain release itself: every file compiles and follows RIV-TA BP 2.1."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import zeep
from lxml import etree

from contracts.interactions import REGISTRY_INTERACTIONS, RELEASE, SCHEMAS, Interaction
from contracts.ns import REGISTRY_NS, REGISTRY_V2_NS
from contracts.schema import documents

XS = "{http://www.w3.org/2001/XMLSchema}"
WSDL = "{http://schemas.xmlsoap.org/wsdl/}"
SOAP = "{http://schemas.xmlsoap.org/wsdl/soap/}"
ALL_XSD = sorted(SCHEMAS.rglob("*.xsd"))
IDS = [i.name for i in RELEASE]


def test_the_release_has_every_interaction_of_the_spec() -> None:
    folders = {p.name for p in (SCHEMAS / "interactions").iterdir()}
    assert folders == {f"{i.name}Interaction" for i in RELEASE}
    assert {i.name for i in RELEASE} == {
        "GetOfferCatalog", "AssignOffer", "RevokeOffer", "GetOffers", "CreateOrder", "GetOrders",
        "SetOrderStatus", "CancelOrder", "SetResult", "GetResults", "GetSamplingSites", "GetAccessLog",
        "GetNoticeSettings", "SetNoticeSettings", "PingForConfiguration", "GetLogicalAddresseesByServiceContract", "GetSupportedServiceContracts",
    }


@pytest.mark.parametrize("path", ALL_XSD, ids=[p.name for p in ALL_XSD])
def test_every_schema_compiles(path: Path) -> None:
    etree.XMLSchema(etree.parse(str(path)))


@pytest.mark.parametrize("path", ALL_XSD, ids=[p.name for p in ALL_XSD])
def test_every_complex_type_ends_with_an_extension_point(path: Path) -> None:
    tree = etree.parse(str(path))
    assert tree.getroot().get("elementFormDefault") == "qualified"
    for ct in tree.iter(f"{XS}complexType"):
        sequence = ct.find(f"{XS}sequence")
        assert sequence is not None, ct.get("name")
        last = sequence[-1]
        assert last.tag == f"{XS}any", ct.get("name")
        assert (last.get("namespace"), last.get("processContents"), last.get("maxOccurs")) == (
            "##other", "lax", "unbounded"), ct.get("name")


@pytest.mark.parametrize("path", ALL_XSD, ids=[p.name for p in ALL_XSD])
def test_names_and_enumerations_are_ascii_and_follow_the_naming_rules(path: Path) -> None:
    tree = etree.parse(str(path))
    # the registry look-ups keep the national contract's element names (ServiceContractNamespace)
    national = "infrastructure_itintegration_registry" in path.name
    for el in tree.iter(f"{XS}element"):
        name = el.get("name")
        if name and not national and el.getparent().tag != f"{XS}schema":  # local elements are lowerCamelCase
            assert name.isascii(), name
            assert name[0].islower(), name
    for t in tree.iter(f"{XS}complexType", f"{XS}simpleType"):
        name = t.get("name")
        assert name, name
        assert name.isascii(), name
        assert name[0].isupper(), name
        assert name.endswith("Type"), name
    for e in tree.iter(f"{XS}enumeration"):
        assert e.get("value", "").isascii()


@pytest.mark.parametrize("interaction", RELEASE, ids=IDS)
def test_wsdl_follows_rivta_bp21(interaction: Interaction) -> None:
    x = interaction.name
    root = etree.parse(str(interaction.wsdl_path)).getroot()
    assert root.get("name") == f"{x}Interaction"
    assert root.get("targetNamespace") == interaction.wsdl_ns
    assert [p.get("name") for p in root.iter(f"{WSDL}portType")] == [f"{x}ResponderInterface"]
    (binding,) = root.iter(f"{WSDL}binding")
    assert binding.get("name") == f"{x}ResponderBinding"
    assert binding.find(f"{SOAP}binding").get("style") == "document"
    (operation,) = binding.findall(f"{WSDL}operation")
    assert operation.get("name") == x
    assert operation.find(f"{SOAP}operation").get("soapAction") == interaction.soap_action
    header = operation.find(f"{WSDL}input/{SOAP}header")
    assert (header.get("part"), header.get("use")) == ("LogicalAddress", "literal")
    parts = {p.get("name"): p.get("element") for p in root.find(f"{WSDL}message").iter(f"{WSDL}part")}
    assert set(parts) == {"LogicalAddress", "parameters"}
    (service,) = root.iter(f"{WSDL}service")
    assert service.get("name") == f"{x}ResponderService"
    assert service.find(f"{WSDL}port").get("name") == f"{x}ResponderPort"
    # the responder schema: element X of XType and XResponse of XResponseType
    xsd = etree.parse(str(interaction.xsd_path)).getroot()
    assert xsd.get("targetNamespace") == interaction.responder_ns
    tops = {e.get("name"): e.get("type") for e in xsd.findall(f"{XS}element")}
    assert tops == {x: f"{x}Type", f"{x}Response": f"{x}ResponseType"}


@pytest.mark.parametrize("interaction", RELEASE, ids=IDS)
def test_wsdl_loads_in_zeep_strict(interaction: Interaction) -> None:
    client = zeep.Client(str(interaction.wsdl_path), settings=zeep.Settings(strict=True))
    binding = client.wsdl.bindings[f"{{{interaction.wsdl_ns}}}{interaction.name}ResponderBinding"]
    op = binding.get(interaction.name)
    assert op.soapaction == interaction.soap_action
    assert "_soapheaders={LogicalAddress: " in op.input.signature()
    # the registry look-ups v2 have the header in their own core namespace, as the national contracts do
    header_ns = REGISTRY_V2_NS if interaction in REGISTRY_INTERACTIONS else REGISTRY_NS
    assert op.input.header.type.elements[0][1].qname.text == f"{{{header_ns}}}LogicalAddress"


PHP_PROBE = r"""
$out = [];
foreach (array_slice($argv, 1) as $wsdl) {
    $c = new SoapClient($wsdl, ['cache_wsdl' => WSDL_CACHE_NONE, 'exceptions' => true]);
    $out[basename($wsdl)] = ['functions' => $c->__getFunctions(), 'types' => $c->__getTypes()];
}
echo json_encode($out);
"""


@pytest.mark.sysdeps
def test_every_wsdl_loads_in_php_soapclient(tmp_path: Path) -> None:
    """A non-Python SOAP stack (PHP's ext/soap, on libxml2 but its own WSDL model) reads every contract."""
    php = shutil.which("php")
    assert php, "php-cli with php-soap is needed (make test installs it)"
    script = tmp_path / "probe.php"
    script.write_text("<?php\n" + PHP_PROBE)
    wsdls = [str(i.wsdl_path) for i in RELEASE]
    done = subprocess.run([php, str(script), *wsdls], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    found = json.loads(done.stdout)
    for i in RELEASE:
        entry = found[i.wsdl_path.name]
        assert any(f" {i.name}(" in f for f in entry["functions"]), entry["functions"]
        assert any(f"struct {i.name}Type " in t for t in entry["types"]), entry["types"][:3]


@pytest.mark.parametrize("interaction", RELEASE, ids=IDS)
def test_documents_of_a_wsdl_are_in_the_release(interaction: Interaction) -> None:
    docs = documents(interaction)
    assert interaction.wsdl_path.name in docs
    assert interaction.xsd_path.name in docs
    core = "infrastructure_itintegration_registry_2.0.xsd" if interaction in REGISTRY_INTERACTIONS else (
        "itintegration_registry_1.0.xsd")
    assert core in docs
    for path in docs.values():
        assert path.is_relative_to(SCHEMAS.resolve())
