"""Just enough of SoapUI to replay the project's test suites with plain HTTP.

SoapUI itself cannot run here, so this reads the project file and does what SoapUI would
do for the parts the project uses: project properties with ``${#Project#name}``
expansion, request test steps (endpoint, request headers, body, SOAPAction) and their
assertions (SOAP Response, Not SOAP Fault, SOAP Fault, XPath Match with SoapUI's
``declare namespace`` prologue), and property transfers from a response to a property.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from lxml import etree

CON = "http://eviware.com/soapui/config"
NS = {"con": CON}
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
_PROP = re.compile(r"\$\{#Project#([A-Za-z0-9_]+)\}")
_DECLARE = re.compile(r"declare namespace\s+(\w+)\s*=\s*['\"]([^'\"]+)['\"]\s*;")


@dataclass
class Outcome:
    step: str
    assertion: str
    passed: bool
    detail: str = ""


@dataclass
class Project:
    path: Path
    tree: etree._ElementTree = field(init=False)
    properties: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.tree = etree.parse(str(self.path), etree.XMLParser(resolve_entities=False, no_network=True))
        self.properties = {
            p.findtext("con:name", namespaces=NS) or "": p.findtext("con:value", namespaces=NS) or ""
            for p in self.tree.getroot().findall("con:properties/con:property", NS)
        }
        self.actions = {
            (i.get("name"), op.get("name")): op.get("action")
            for i in self.tree.getroot().findall("con:interface", NS)
            for op in i.findall("con:operation", NS)
        }

    def expand(self, text: str) -> str:
        return _PROP.sub(lambda m: self.properties.get(m.group(1), ""), text)

    @property
    def interfaces(self) -> list[etree._Element]:
        return self.tree.getroot().findall("con:interface", NS)

    def suites(self) -> list[etree._Element]:
        return self.tree.getroot().findall("con:testSuite", NS)

    def requests(self) -> list[tuple[str, etree._Element]]:
        """Every request in the project: the interfaces' sample calls and the test steps'."""
        calls = [(c.get("name") or "", c) for c in self.tree.getroot().iter(f"{{{CON}}}call")]
        steps = [(r.get("name") or "", r) for r in self.tree.getroot().iter(f"{{{CON}}}request") if r.get("id")]
        return calls + steps

    def headers_of(self, request: etree._Element) -> dict[str, str]:
        setting = request.find("con:settings/con:setting", NS)
        if setting is None or not setting.text:
            return {}
        fragment = etree.fromstring(setting.text)
        return {e.get("key") or "": self.expand(e.get("value") or "") for e in fragment.iter(f"{{{CON}}}entry")}

    def run_suite(self, suite: etree._Element) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for case in suite.findall("con:testCase", NS):
            responses: dict[str, bytes] = {}
            for step in case.findall("con:testStep", NS):
                if step.get("type") == "request":
                    outcomes += self._request_step(step, responses)
                elif step.get("type") == "transfer":
                    outcomes += self._transfer_step(step, responses)
        return outcomes

    def _request_step(self, step: etree._Element, responses: dict[str, bytes]) -> list[Outcome]:
        name = step.get("name") or ""
        config = step.find("con:config", NS)
        assert config is not None
        request = config.find("con:request", NS)
        assert request is not None
        action = self.actions[(config.findtext("con:interface", namespaces=NS), config.findtext("con:operation", namespaces=NS))]
        headers = {"Content-Type": "text/xml;charset=UTF-8", "SOAPAction": f'"{action}"', **self.headers_of(request)}
        body = self.expand(request.findtext("con:request", namespaces=NS) or "").encode("utf-8")
        url = self.expand(request.findtext("con:endpoint", namespaces=NS) or "")
        response = requests.post(url, data=body, headers=headers, timeout=60)
        responses[name] = response.content
        return [self._assert(name, a, response.content) for a in request.findall("con:assertion", NS)]

    def _assert(self, step: str, assertion: etree._Element, content: bytes) -> Outcome:
        kind, label = assertion.get("type"), assertion.get("name") or ""
        try:
            doc = etree.fromstring(content)
        except etree.XMLSyntaxError:
            return Outcome(step, label, False, "the response is not XML")
        fault = doc.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
        if kind == "SOAP Response":
            return Outcome(step, label, doc.tag == f"{{{SOAP}}}Envelope")
        if kind == "Not SOAP Fault Assertion":
            return Outcome(step, label, fault is None, "" if fault is None else fault.findtext("faultstring") or "")
        if kind == "SOAP Fault Assertion":
            return Outcome(step, label, fault is not None)
        if kind == "XPath Match":
            path = assertion.findtext("con:configuration/path", namespaces=NS) or ""
            expected = self.expand(assertion.findtext("con:configuration/content", namespaces=NS) or "")
            actual = xpath_value(doc, self.expand(path))
            return Outcome(step, label, actual == expected, f"got {actual!r}, expected {expected!r}")
        return Outcome(step, label, False, f"assertion type {kind} is not known to this runner")

    def _transfer_step(self, step: etree._Element, responses: dict[str, bytes]) -> list[Outcome]:
        out = []
        for t in step.iterfind(".//con:transfers", NS):
            source = t.findtext("con:sourceStep", namespaces=NS) or ""
            path = t.findtext("con:sourcePath", namespaces=NS) or ""
            target = t.findtext("con:targetType", namespaces=NS) or ""
            value = xpath_value(etree.fromstring(responses[source]), path) if source in responses else ""
            self.properties[target] = value
            out.append(Outcome(step.get("name") or "", f"transfer {target}", bool(value), f"{target}={value!r}"))
        return out


def xpath_value(doc: etree._Element, path: str) -> str:
    namespaces = dict(_DECLARE.findall(path))
    expression = _DECLARE.sub("", path).strip()
    result: Any = doc.xpath(expression, namespaces=namespaces)
    if isinstance(result, bool):
        return "true" if result else "false"
    if isinstance(result, float):
        return str(int(result)) if result.is_integer() else str(result)
    if isinstance(result, list):
        if not result:
            return ""
        first = result[0]
        return first if isinstance(first, str) else "".join(first.itertext())
    return str(result)
