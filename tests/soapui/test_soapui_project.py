"""The SoapUI project: it parses, covers the release and the national GetLaboratoryOrderOutcome,
its requests follow the contracts, and its test suites pass when replayed over plain HTTP against
the platform and the service (Schema Compliance checked against the contracts' own schemas)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from contracts.interactions import BY_RESPONDER_NS, NATIONAL_INTERACTIONS, RELEASE
from contracts.ns import SOAP11_ENV_NS
from contracts.schema import schema_for
from service_domain.clock import SWEDISH_TZ
from tests.soapui.runner import (
    FAULT_ID,
    NOT_FAULT_ID,
    NS,
    SOAP,
    Exchange,
    Project,
    Replayer,
    Scopes,
    envelope_only,
)
from tests.support import PlatformProcess, patient
from tools.soapui.build_project import NATIONAL, NEGATIVE, PROJECT_FILE, SOAPUI_TYPE_IDS, STORY, build

DATA = Path(__file__).resolve().parent.parent / "data"
XS = "{http://www.w3.org/2001/XMLSchema}"
# SoapUI's own label of each assertion type id the project uses (from SoapUI's source: the
# classes' ID and LABEL constants)
SOAPUI_LABELS = {"SOAP Response": "SOAP Response", "SOAP Fault Assertion": "Not SOAP Fault",
                 "Not SOAP Fault Assertion": "SOAP Fault", "XPath Match": "XPath Match",
                 "Schema Compliance": "Schema Compliance"}


def contract_compliance(request: bytes, exchange: Exchange) -> str | None:
    """SoapUI's Schema Compliance as the replay judges it: the envelope as ``envelope_only`` checks
    it, and an answer that is not a fault valid by its own contract's schemas (SoapUI validates it
    against the WSDL and schemas cached in the project, which are the contract's)."""
    problem = envelope_only(request, exchange)
    doc = exchange.document()
    if problem is not None or doc is None:
        return problem
    answer = doc.find(f"{{{SOAP}}}Body")[0]
    if answer.tag == f"{{{SOAP}}}Fault":
        return None
    errors = schema_for(BY_RESPONDER_NS[etree.QName(answer).namespace]).errors(answer)
    return "; ".join(errors[:3]) or None


def soapui_schema() -> etree.XMLSchema:
    """SoapUI's published project schema (tests/data/soapui.xsd, a verbatim copy of
    soapui/src/main/xsd/soapui/soapui.xsd of SmartBear/soapui, EUPL 1.1). One of its types redeclares
    an attribute its base type has: XMLBeans, which SoapUI compiles it with, lets that pass and
    libxml2 does not, so the redeclaration is dropped when the schema is loaded."""
    doc = etree.parse(str(DATA / "soapui.xsd"))
    types = {t.get("name"): t for t in doc.getroot().findall(f"{XS}complexType")}

    def attributes(type_name: str) -> set[str]:
        t = types.get(type_name.split(":")[-1])
        if t is None:
            return set()
        own = {str(a.get("name")) for a in t.findall(f"{XS}attribute")}
        return own.union(*(attributes(str(e.get("base"))) for e in t.iter(f"{XS}extension")))

    for t in types.values():
        for extension in t.iter(f"{XS}extension"):
            inherited = attributes(str(extension.get("base")))
            for attribute in extension.findall(f"{XS}attribute"):
                if attribute.get("name") in inherited:
                    extension.remove(attribute)
    return etree.XMLSchema(doc)

SAMPLE_VALUES = {"offerId": "f47ac10b-58cc-4372-a567-0e02b2c3d479", "orderId": "6fa459ea-ee8a-3ca4-894e-db77e160355e",
                 "referralId": "ACEF3479"}


def test_the_committed_project_is_what_the_builder_makes() -> None:
    assert PROJECT_FILE.read_text(encoding="utf-8") == build(), "run: .venv/bin/python -m tools.soapui.build_project"


def test_the_project_follows_soapuis_own_schema() -> None:
    schema = soapui_schema()
    assert schema.validate(etree.parse(str(PROJECT_FILE))), [e.message for e in schema.error_log][:5]


def test_the_schema_check_catches_what_soapui_would_refuse(tmp_path: Path) -> None:
    text = PROJECT_FILE.read_text(encoding="utf-8")
    for broken in (text.replace("<con:targetPath/>", "", 1), text.replace("<con:upgraded>false</con:upgraded>", "", 1),
                   text.replace("<con:sensitiveInformation><con:configuration/></con:sensitiveInformation>",
                                "<con:sensitiveInformation/>")):
        assert broken != text
        assert not soapui_schema().validate(etree.fromstring(broken.encode()))


def test_every_assertion_checks_what_its_name_says_in_soapui() -> None:
    project = Project(PROJECT_FILE)
    kinds = {a.get("type") for a in project.assertions()}
    assert kinds <= set(SOAPUI_LABELS), kinds
    for assertion in project.assertions():
        label = SOAPUI_LABELS[assertion.get("type") or ""]
        if label != "XPath Match":
            assert assertion.get("name") == label, (assertion.get("name"), assertion.get("type"))
    assert {k: SOAPUI_LABELS[v] for k, v in SOAPUI_TYPE_IDS.items()} == {k: k for k in SOAPUI_TYPE_IDS}


def test_the_runner_judges_fault_assertions_as_soapui_does() -> None:
    from requests.structures import CaseInsensitiveDict

    fault = (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>'
             b"<faultcode>s:Client</faultcode><faultstring>no</faultstring></s:Fault></s:Body></s:Envelope>")
    answer = b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><a xmlns="urn:a"/></s:Body></s:Envelope>'
    replayer = Replayer(Scopes())

    def passes(type_id: str, content: bytes) -> bool:
        exchange = Exchange(b"", 200, CaseInsensitiveDict(), content, 0.01)
        return replayer.judge("step", {"type": type_id}, exchange).passed

    # the "Not SOAP Fault" assertion
    assert not passes(NOT_FAULT_ID, fault)
    assert passes(NOT_FAULT_ID, answer)
    # the "SOAP Fault" assertion
    assert passes(FAULT_ID, fault)
    assert not passes(FAULT_ID, answer)


def test_the_schema_compliance_check_catches_an_answer_the_contract_does_not_allow() -> None:
    from requests.structures import CaseInsensitiveDict

    (national,) = NATIONAL_INTERACTIONS
    # a record without its required header and body
    answer = (f'<s:Envelope xmlns:s="{SOAP}"><s:Body><r:GetLaboratoryOrderOutcomeResponse xmlns:r="{national.responder_ns}">'
              "<r:laboratoryOrderOutcome/></r:GetLaboratoryOrderOutcomeResponse></s:Body></s:Envelope>").encode()
    request = (f'<s:Envelope xmlns:s="{SOAP}"><s:Body><r:GetLaboratoryOrderOutcome xmlns:r="{national.responder_ns}"/>'
               "</s:Body></s:Envelope>").encode()
    exchange = Exchange(request, 200, CaseInsensitiveDict(), answer, 0.01)
    assert contract_compliance(request, exchange) is not None


def test_the_schema_compliance_check_passes_an_empty_national_answer() -> None:
    from requests.structures import CaseInsensitiveDict

    (national,) = NATIONAL_INTERACTIONS
    answer = (f'<s:Envelope xmlns:s="{SOAP}"><s:Body><r:GetLaboratoryOrderOutcomeResponse xmlns:r="{national.responder_ns}"/>'
              "</s:Body></s:Envelope>").encode()
    request = (f'<s:Envelope xmlns:s="{SOAP}"><s:Body><r:GetLaboratoryOrderOutcome xmlns:r="{national.responder_ns}"/>'
               "</s:Body></s:Envelope>").encode()
    exchange = Exchange(request, 200, CaseInsensitiveDict(), answer, 0.01)
    assert contract_compliance(request, exchange) is None


def test_every_interaction_of_the_release_and_the_national_contract_has_an_interface() -> None:
    project = Project(PROJECT_FILE)
    assert project.tree.getroot().tag == "{http://eviware.com/soapui/config}soapui-project"
    bindings = {i.get("bindingName") for i in project.interfaces}
    assert bindings == {f"{{{i.wsdl_ns}}}{i.name}ResponderBinding" for i in RELEASE + NATIONAL_INTERACTIONS}
    for interface in project.interfaces:
        parts = interface.findall("con:definitionCache/con:part", NS)
        wsdl = next(p for p in parts if p.findtext("con:type", namespaces=NS) == "http://schemas.xmlsoap.org/wsdl/")
        etree.fromstring(wsdl.findtext("con:content", namespaces=NS).encode())  # the cached WSDL is XML
        assert len(parts) >= 3  # the WSDL and the schemas it imports
        assert interface.findall("con:operation/con:call", NS), "a sample request"


def test_every_request_in_the_project_follows_the_contract() -> None:
    project = Project(PROJECT_FILE)
    project.properties.update(SAMPLE_VALUES)
    checked = 0
    for name, request in project.requests():
        text = project.expand(request.findtext("con:request", namespaces=NS) or "")
        envelope = etree.fromstring(text.encode())
        body = envelope.find(f"{{{SOAP11_ENV_NS}}}Body")[0]
        schema = schema_for(BY_RESPONDER_NS[etree.QName(body).namespace])
        errors = schema.errors(body)
        for header in envelope.find(f"{{{SOAP11_ENV_NS}}}Header"):
            errors += schema.errors(header)
        assert errors == [], name
        headers = project.headers_of(request)
        assert headers["x-vp-sender-id"].startswith("SE")
        assert headers["x-vp-instance-id"]
        checked += 1
    # a sample per interaction and every test step
    assert checked == len(RELEASE) + len(NATIONAL_INTERACTIONS) + len(STORY) + len(NEGATIVE) + len(NATIONAL)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("suite", ["Demo story", "Negative cases", "National contract"])
def test_the_test_suites_pass_when_replayed(demo_platform: PlatformProcess, suite: str) -> None:
    project = Project(PROJECT_FILE)
    project.properties.update(platform=demo_platform.base_url, instanceId=demo_platform.instance_id,
                              patient=patient()["id"], now=datetime.now(SWEDISH_TZ).strftime("%Y%m%d%H%M%S"))
    (found,) = [s for s in project.suites() if s.get("name") == suite]
    outcomes = project.run_suite(found, schema_check=contract_compliance)
    failed = [o for o in outcomes if not o.passed]
    assert failed == [], failed
    assert len(outcomes) >= 10


def test_the_builder_runs_as_a_script(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.support import ROOT

    out = tmp_path / "project.xml"
    done = subprocess.run([sys.executable, "-m", "tools.soapui.build_project", "--output", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert out.read_text(encoding="utf-8") == PROJECT_FILE.read_text(encoding="utf-8")
