"""The SoapUI project: it parses, covers the release, its requests follow the contract, and
its test suites pass when replayed over plain HTTP against the platform and the service."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from contracts.interactions import BY_RESPONDER_NS, RELEASE
from contracts.ns import SOAP11_ENV_NS
from contracts.schema import schema_for
from service_domain.clock import SWEDISH_TZ
from soapui.build_project import PROJECT_FILE, build
from tests.soapui.runner import NS, Project
from tests.support import PlatformProcess, patient

SAMPLE_VALUES = {"offerId": "f47ac10b-58cc-4372-a567-0e02b2c3d479", "orderId": "6fa459ea-ee8a-3ca4-894e-db77e160355e",
                 "referralId": "ACEF3479"}


def test_the_committed_project_is_what_the_builder_makes() -> None:
    assert PROJECT_FILE.read_text(encoding="utf-8") == build(), "run: .venv/bin/python soapui/build_project.py"


def test_every_interaction_of_the_release_has_an_interface() -> None:
    project = Project(PROJECT_FILE)
    assert project.tree.getroot().tag == "{http://eviware.com/soapui/config}soapui-project"
    bindings = {i.get("bindingName") for i in project.interfaces}
    assert bindings == {f"{{{i.wsdl_ns}}}{i.name}ResponderBinding" for i in RELEASE}
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
        assert headers["x-vp-sender-id"].startswith("SE") and headers["x-vp-instance-id"]
        checked += 1
    assert checked == len(RELEASE) + 14  # a sample per interaction and every test step


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("suite", ["Demo story", "Negative cases"])
def test_the_test_suites_pass_when_replayed(demo_platform: PlatformProcess, suite: str) -> None:
    project = Project(PROJECT_FILE)
    project.properties.update(platform=demo_platform.base_url, instanceId=demo_platform.instance_id,
                              patient=patient()["id"], now=datetime.now(SWEDISH_TZ).strftime("%Y%m%d%H%M%S"))
    (found,) = [s for s in project.suites() if s.get("name") == suite]
    outcomes = project.run_suite(found)
    failed = [o for o in outcomes if not o.passed]
    assert failed == [], failed
    assert len(outcomes) >= 10


def test_the_builder_runs_as_a_script(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.support import ROOT

    out = tmp_path / "project.xml"
    done = subprocess.run([sys.executable, "soapui/build_project.py", "--output", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and out.read_text(encoding="utf-8") == PROJECT_FILE.read_text(encoding="utf-8")
