"""Just enough of SoapUI to replay test suites with plain HTTP.

SoapUI itself cannot run here, so this does what SoapUI does for the parts the suites use:
properties of the project, test suite, test case and run context with SoapUI's
``${name}``, ``${#Project#name}``, ``${#TestSuite#name}``, ``${#TestCase#name}`` expansion;
request test steps (endpoint, request headers, body, SOAPAction); property transfers; and
the assertions by SoapUI's own type ids, with the meaning SoapUI's source gives them:

- ``SOAP Response``: the answer is a SOAP envelope;
- ``SOAP Fault Assertion`` (SoapUI's class NotSoapFaultAssertion, label "Not SOAP Fault"):
  the answer is NOT a fault;
- ``Not SOAP Fault Assertion`` (SoapUI's class SoapFaultAssertion, label "SOAP Fault"):
  the answer IS a fault;
- ``XPath Match`` (with SoapUI's ``declare namespace`` prologue), ``Simple Contains``,
  ``Simple NotContains`` (line breaks normalised as SoapUI does), ``Valid HTTP Status Codes``,
  ``Invalid HTTP Status Codes``;
- ``Schema Compliance``: by a checker the caller gives (SoapUI validates against the WSDL);
- ``GroovyScriptAssertion``: only as named checks a suite's data gives in its place
  (``records``, ``headers``, ``routingHistoryContains``, ``timeTakenAbove``).

A suite is a list of steps as dictionaries (``kind``: ``request``, ``transfer`` or ``set``);
``Project`` reads this project's own SoapUI file into that form.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from lxml import etree

CON = "http://eviware.com/soapui/config"
NS = {"con": CON}
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
_PROP = re.compile(r"\$\{(?:#(Project|TestSuite|TestCase)#)?([^}]*)\}")
_DECLARE = re.compile(r"declare namespace\s+([\w-]+)\s*=\s*['\"]([^'\"]+)['\"]\s*;")

# SoapUI's type ids of the two fault assertions, and what each checks (see the module docstring)
NOT_FAULT_ID = "SOAP Fault Assertion"
FAULT_ID = "Not SOAP Fault Assertion"


@dataclass
class Outcome:
    step: str
    assertion: str
    passed: bool
    detail: str = ""


@dataclass
class Exchange:
    """One request and its answer, as SoapUI's messageExchange offers them."""

    request: bytes
    status: int
    headers: requests.structures.CaseInsensitiveDict[str]
    content: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def document(self) -> etree._Element | None:
        try:
            return etree.fromstring(self.content)
        except etree.XMLSyntaxError:
            return None


@dataclass
class Scopes:
    """The property scopes of a run. ``${name}`` is looked up in the run context, then the test case,
    the test suite and the project; ``specials`` answers names the caller reserves (``${platform:vp}``)."""

    project: dict[str, str] = field(default_factory=dict)
    suite: dict[str, str] = field(default_factory=dict)
    case: dict[str, str] = field(default_factory=dict)
    context: dict[str, str] = field(default_factory=dict)
    specials: dict[str, str] = field(default_factory=dict)

    def value(self, scope: str | None, name: str) -> str:
        if scope:
            return {"Project": self.project, "TestSuite": self.suite, "TestCase": self.case}[scope].get(name, "")
        if name.startswith("="):
            if name.replace(" ", "") == "=java.util.UUID.randomUUID()":
                return str(uuid.uuid4())
            raise ValueError(f"a Groovy expression this runner does not evaluate: {name}")
        if name in self.specials:
            return self.specials[name]
        for values in (self.context, self.case, self.suite, self.project):
            if name in values:
                return values[name]
        return ""

    def expand(self, text: str) -> str:
        for _ in range(5):  # values may hold properties themselves
            expanded = _PROP.sub(lambda m: self.value(m.group(1), m.group(2)), text)
            if expanded == text:
                break
            text = expanded
        return text

    def target(self, scope: str) -> dict[str, str]:
        return {"Project": self.project, "TestSuite": self.suite, "TestCase": self.case, "context": self.context}[scope]


SchemaCheck = Callable[[bytes, Exchange], str | None]


def envelope_only(request: bytes, exchange: Exchange) -> str | None:
    """What can be checked of schema compliance without the contract's schemas: a SOAP 1.1 envelope
    with one Body, holding a Fault with faultcode and faultstring, or the answer element of the
    request (same namespace, name + Response)."""
    doc = exchange.document()
    if doc is None or doc.tag != f"{{{SOAP}}}Envelope":
        return "the answer is not a SOAP 1.1 envelope"
    bodies = doc.findall(f"{{{SOAP}}}Body")
    if len(bodies) != 1 or len(bodies[0]) != 1:
        return "the envelope does not hold one Body with one element"
    answer = bodies[0][0]
    if answer.tag == f"{{{SOAP}}}Fault":
        if answer.find("faultcode") is None or answer.find("faultstring") is None:
            return "the fault lacks faultcode or faultstring"
        return None
    try:
        asked = etree.fromstring(request).find(f"{{{SOAP}}}Body")
    except etree.XMLSyntaxError:
        return None  # a request that is not XML has no answer element to compare with
    if asked is not None and len(asked) and answer.tag != f"{asked[0].tag}Response":
        return f"the answer {answer.tag} does not answer {asked[0].tag}"
    return None


def xpath_value(doc: etree._Element, path: str, namespaces: dict[str, str] | None = None) -> str:
    found = dict(namespaces or {}, **dict(_DECLARE.findall(path)))
    expression = _DECLARE.sub("", path).strip()
    result: Any = doc.xpath(expression, namespaces=found)
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


def _codes(config: dict[str, str], scopes: Scopes) -> list[str]:
    return [c.strip() for c in scopes.expand(config.get("codes", "")).split(",")]


def _normalized(text: str) -> str:
    return text.replace("\r\n", "\n")


class Replayer:
    """Runs steps against real servers and judges them by their assertions."""

    def __init__(self, scopes: Scopes, session: requests.Session | None = None,
                 schema_check: SchemaCheck = envelope_only) -> None:
        self.scopes = scopes
        self.session = session or requests.Session()
        self.schema_check = schema_check
        self.responses: dict[str, Exchange] = {}

    def run(self, steps: Iterable[dict[str, Any]]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for step in steps:
            if step["kind"] == "set":
                self.scopes.target(step["scope"])[step["name"]] = self.scopes.expand(step["value"])
            elif step["kind"] == "transfer":
                outcomes += self._transfer(step)
            else:
                outcomes += self._request(step)
        return outcomes

    def _request(self, step: dict[str, Any]) -> list[Outcome]:
        expand = self.scopes.expand
        headers = {"Content-Type": "text/xml;charset=UTF-8", "SOAPAction": f'"{step["soapAction"]}"'}
        headers.update({k: expand(v) for k, v in step["headers"].items()})
        body = expand(step["body"]).encode("utf-8")
        started = time.monotonic()
        r = self.session.post(expand(step["endpoint"]), data=body, headers=headers, timeout=60)
        exchange = Exchange(body, r.status_code, r.headers, r.content, time.monotonic() - started)
        self.responses[step["name"]] = exchange
        return [self.judge(step["name"], a, exchange) for a in step["assertions"]]

    def _transfer(self, step: dict[str, Any]) -> list[Outcome]:
        source = self.responses.get(step["source"])
        doc = source.document() if source is not None else None
        value = xpath_value(doc, step["path"]) if doc is not None else ""
        self.scopes.target(step["scope"])[step["target"]] = value
        return [Outcome(step["name"], f"transfer {step['target']}", bool(value), f"{step['target']}={value!r}")]

    # ------------------------------------------------------------------ assertions

    def judge(self, step: str, assertion: dict[str, Any], exchange: Exchange) -> Outcome:
        kind, label = assertion["type"], assertion.get("name") or assertion["type"]
        try:
            problem = self._problem(kind, assertion, exchange)
        except Exception as e:  # an assertion that cannot be evaluated fails, as in SoapUI
            problem = f"{type(e).__name__}: {e}"
        return Outcome(step, label, problem is None, problem or "")

    def _problem(self, kind: str, assertion: dict[str, Any], exchange: Exchange) -> str | None:
        config: dict[str, str] = assertion.get("config", {})
        doc = exchange.document()
        fault = doc.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault") if doc is not None else None
        if kind == "SOAP Response":
            return None if doc is not None and doc.tag == f"{{{SOAP}}}Envelope" else "the answer is not a SOAP envelope"
        if kind == NOT_FAULT_ID:
            if doc is None:
                return "the answer is not XML"
            return None if fault is None else f"the answer is a SOAP fault: {fault.findtext('faultstring')}"
        if kind == FAULT_ID:
            return None if fault is not None else "the answer is not a SOAP fault"
        if kind in ("Simple Contains", "Simple NotContains"):
            token = _normalized(self.scopes.expand(config.get("token", "")))
            content = _normalized(exchange.text)
            if config.get("useRegEx") == "true":
                found = re.search(("(?i)" if config.get("ignoreCase") == "true" else "") + token, content, re.S) is not None
            elif config.get("ignoreCase") == "true":
                found = token.upper() in content.upper()
            else:
                found = token in content
            wanted = kind == "Simple Contains"
            return None if found == wanted or not token else f"token {'missing' if wanted else 'present'}: {token!r}"
        if kind == "Valid HTTP Status Codes":
            return None if str(exchange.status) in _codes(config, self.scopes) else f"HTTP {exchange.status}"
        if kind == "Invalid HTTP Status Codes":
            return f"HTTP {exchange.status}" if str(exchange.status) in _codes(config, self.scopes) else None
        if kind == "XPath Match":
            if doc is None:
                return "the answer is not XML"
            expected = self.scopes.expand(config.get("content", ""))
            actual = xpath_value(doc, self.scopes.expand(config.get("path", "")))
            return None if actual == expected else f"got {actual!r}, expected {expected!r}"
        if kind == "Schema Compliance":
            return self.schema_check(exchange.request, exchange)
        if kind == "GroovyScriptAssertion":
            return self._script_check(assertion, exchange, doc)
        return f"assertion type {kind} is not known to this runner"

    def _script_check(self, assertion: dict[str, Any], exchange: Exchange, doc: etree._Element | None) -> str | None:
        check = assertion.get("check")
        h = exchange.headers
        if check == "headers":
            missing = [n for n in ("x-skltp-prt", "Server", "Date", "Content-Length", "x-skltp-correlation-id")
                       if not h.get(n)]
            if missing:
                return f"headers missing: {missing}"
            if exchange.status != 200 or "text/xml; charset=UTF-8" not in h.get("Content-Type", ""):
                return f"HTTP {exchange.status}, Content-Type {h.get('Content-Type')}"
            expected = assertion.get("correlationId")
            if expected and self.scopes.expand(expected) not in h["x-skltp-correlation-id"]:
                return f"x-skltp-correlation-id {h['x-skltp-correlation-id']!r}"
            return None
        if check == "routingHistoryContains":
            history = h.get("x-rivta-routing-history")
            if history is None:
                return "no x-rivta-routing-history in the answer"
            absent = [t for t in (self.scopes.expand(t) for t in assertion["tokens"]) if t not in history]
            return f"x-rivta-routing-history {history!r} lacks {absent}" if absent else None
        if check == "timeTakenAbove":
            ms = exchange.seconds * 1000
            return None if ms > assertion["milliseconds"] else f"answered in {ms:.0f} ms"
        if check == "records":
            return self._records(assertion["calls"], doc)
        return f"script check {check} is not known to this runner"

    def _records(self, calls: list[list[str]], doc: etree._Element | None) -> str | None:
        """The record checks of the national suites' support library: the records are the elements the
        project property RecordElementPath selects, with the project's namespace properties."""
        if doc is None:
            return "the answer is not XML"
        namespaces = {k.removeprefix("xmlns:"): v for k, v in self.scopes.project.items() if k.startswith("xmlns:")}
        records = doc.xpath(self.scopes.expand("${#Project#RecordElementPath}"), namespaces=namespaces)
        for method, *args in calls:
            if method == "assertNonEmptyResponse" and not records:
                return "no records"
            if method == "assertExactNumberOfRecords" and len(records) != int(args[0]):
                return f"{len(records)} records, expected {args[0]}"
            if method in ("assertSpecificValueInAllRecords", "assertSpecificValueInAnyRecord"):
                path, value = "self::" + args[0].lstrip("/"), self.scopes.expand(args[1])
                found = [[str(v) for v in r.xpath(path + "/text()", namespaces=namespaces)] for r in records]
                matches = [value in values for values in found]
                ok = all(matches) if method.endswith("AllRecords") else any(matches)
                if not ok:
                    return f"{method}: {value!r} not found (records: {found})"
            elif method not in ("assertNonEmptyResponse", "assertExactNumberOfRecords"):
                return f"record check {method} is not known to this runner"
        return None


# ------------------------------------------------------------------ this project's SoapUI file


def _config_of(assertion: etree._Element) -> dict[str, str]:
    config = assertion.find("con:configuration", NS)
    return {} if config is None else {str(etree.QName(c).localname): c.text or "" for c in config if isinstance(c.tag, str)}


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
        return Scopes(project=self.properties).expand(text)

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

    def assertions(self) -> list[etree._Element]:
        return list(self.tree.getroot().iter(f"{{{CON}}}assertion"))

    def steps(self, case: etree._Element) -> list[dict[str, Any]]:
        """A test case's steps in the runner's form."""
        out: list[dict[str, Any]] = []
        for step in case.findall("con:testStep", NS):
            config = step.find("con:config", NS)
            assert config is not None
            if step.get("type") == "request":
                request = config.find("con:request", NS)
                assert request is not None
                setting = request.find("con:settings/con:setting", NS)
                fragment = etree.fromstring(setting.text) if setting is not None and setting.text else None
                out.append({
                    "kind": "request", "name": step.get("name") or "",
                    "endpoint": request.findtext("con:endpoint", namespaces=NS) or "",
                    "soapAction": self.actions[(config.findtext("con:interface", namespaces=NS),
                                                config.findtext("con:operation", namespaces=NS))],
                    "headers": {} if fragment is None else {e.get("key") or "": e.get("value") or ""
                                                            for e in fragment.iter(f"{{{CON}}}entry")},
                    "body": request.findtext("con:request", namespaces=NS) or "",
                    "assertions": [{"type": a.get("type"), "name": a.get("name"), "config": _config_of(a)}
                                   for a in request.findall("con:assertion", NS)],
                })
            elif step.get("type") == "transfer":
                for t in step.iterfind(".//con:transfers", NS):
                    scope = (t.findtext("con:targetStep", namespaces=NS) or "").strip("#")
                    out.append({"kind": "transfer", "name": step.get("name") or "",
                                "source": t.findtext("con:sourceStep", namespaces=NS) or "",
                                "path": t.findtext("con:sourcePath", namespaces=NS) or "",
                                "target": t.findtext("con:targetType", namespaces=NS) or "", "scope": scope})
        return out

    def run_suite(self, suite: etree._Element, schema_check: SchemaCheck = envelope_only) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for case in suite.findall("con:testCase", NS):
            outcomes += Replayer(Scopes(project=self.properties), schema_check=schema_check).run(self.steps(case))
        return outcomes
