"""Turns the national platform's public SoapUI core suite into this project's replay data.

    .venv/bin/python -m tests.soapui.skltp_extract PROJECT.xml DATA.xml > tests/data/skltp-core-cases.json

PROJECT.xml is ``soaptest/SKLTP-Core-Functionality-soapui-project.xml`` and DATA.xml
``soaptest/data-sed.xml`` of the public repository skltp-test/soapui-skltp. The suite
cannot run as it is anywhere but in the national test environments: its Groovy steps read
``data.xml`` through a support library, and its Groovy assertions call that library. This
script reads the project as SoapUI would and writes what the suite does in data of our own
form (JSON), so that ``tests/soapui/test_skltp_suite.py`` can replay it over HTTP:

- request steps: endpoint, HTTP headers, SOAPAction (from the project's interface), body, and
  the assertions with SoapUI's own type ids and configuration;
- the data reader step: the data of the case (``globaldata`` and the case's own ``data`` of
  DATA.xml), limited to what the case uses;
- the other Groovy steps and Groovy assertions, by what they do, as named actions and checks
  (``set``; ``records``, ``headers``, ``routingHistoryContains``, ``timeTakenAbove``). A
  script this script does not recognise stops it: nothing is silently left out;
- the cases that need the aggregating services or the engagement index (not part of this
  platform) are written with ``replayable: false`` and the reason; disabled suites, cases
  and steps are left out, as SoapUI leaves them out.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from lxml import etree

CON = "http://eviware.com/soapui/config"
NS = {"con": CON}
_PROP = re.compile(r"\$\{(?:#(?:Project|TestSuite|TestCase)#)?([^}=#][^}]*)\}")
_CONTEXT = re.compile(r"context\.(\w+)")
_CALL = re.compile(r"ca\.(\w+)\(([^)]*)\)")
_SET = re.compile(r'setPropertyValue\("([^"]+)",\s*"([^"]*)"\)')

# cases that test the aggregating service (AgP) and the engagement index behind it
NEEDS_AGGREGATION = re.compile(r"(till|tll) AGP|via Agp", re.IGNORECASE)
WHY_AGGREGATION = ("needs the aggregating service and the engagement index: it checks which producers the "
                   "aggregating service found and what it put together")


def _enabled(el: etree._Element) -> bool:
    return el.get("disabled") != "true"


def _data(data_root: etree._Element) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    def values(el: etree._Element | None) -> dict[str, str]:
        return {str(c.tag): (c.text or "").strip() for c in (el if el is not None else ()) if isinstance(c.tag, str)}

    cases = {str(tc.get("id")): values(tc.find("data")) for tc in data_root.iter("testcase")}
    return values(data_root.find("globaldata")), cases


def _script_step(script: str) -> list[dict[str, Any]] | None:
    """The actions of a Groovy test step; None for the data reader (handled by the caller)."""
    if "XmlDataReader" in script and "source.load(" in script and "testCaseByName" not in script:
        return None
    if "globaldata" in script and "setPropertyValue(\"ENV\"" in script:
        return [{"kind": "set", "scope": "TestSuite", "name": "ENV", "value": "${platform:vp}"}]
    sets = _SET.findall(script)
    if sets and "project.setPropertyValue" in script:
        return [{"kind": "set", "scope": "Project", "name": n, "value": v} for n, v in sets]
    if "context.routingHistory =" in script and "esb.ntjp" in script:
        # the instance id of the national test platform the suite runs against: here, this platform's
        return [{"kind": "set", "scope": "context", "name": "routingHistory", "value": "${platform:instance}"}]
    raise ValueError(f"a Groovy step this script does not know:\n{script[:300]}")


def _script_assertion(script: str) -> dict[str, Any]:
    if "ContentAssertions" in script:
        calls = []
        for method, args in _CALL.findall(script):
            if method == "getContentRecords":
                continue
            parsed = [a.strip().strip("'\"") for a in args.split(",")] if args.strip() else []
            calls.append([method, *[_CONTEXT.sub(r"${\1}", a) for a in parsed]])
        if "ContentSize" in script:
            raise ValueError("record counts kept between cases are not translated")
        return {"check": "records", "calls": calls}
    if "x_skltp_prt" in script:
        expected = "${#TestCase#xskltpcorrelationid}" if "xskltpcorrelationid" in script else None
        return {"check": "headers", "correlationId": expected}
    if "x_rivta_routing_history" in script:
        tokens = [_CONTEXT.sub(r"${\1}", t) for t in re.findall(r"routingHistory\.contains\(([^)]+)\)", script)]
        return {"check": "routingHistoryContains", "tokens": [t.strip('"') for t in tokens]}
    m = re.search(r"messageExchange\.timeTaken\s*>\s*(\d+)", script)
    if m:
        return {"check": "timeTakenAbove", "milliseconds": int(m.group(1))}
    raise ValueError(f"a Groovy assertion this script does not know:\n{script[:300]}")


def _assertion(a: etree._Element) -> dict[str, Any]:
    kind = str(a.get("type"))
    out: dict[str, Any] = {"type": kind, "name": a.get("name")}
    config = a.find("con:configuration", NS)
    if kind == "GroovyScriptAssertion":
        out.update(_script_assertion(config.findtext("scriptText") or "" if config is not None else ""))
    elif config is not None:
        out["config"] = {str(etree.QName(c).localname): c.text or "" for c in config if isinstance(c.tag, str)}
    return out


def _headers(request: etree._Element) -> dict[str, str]:
    for setting in request.findall("con:settings/con:setting", NS):
        if "request-headers" in (setting.get("id") or "") and setting.text:
            fragment = etree.fromstring(setting.text)
            return {str(e.get("key")): str(e.get("value")) for e in fragment.iter(f"{{{CON}}}entry")}
    return {}


def extract(project_path: str, data_path: str) -> dict[str, Any]:
    project = etree.parse(project_path).getroot()
    global_data, case_data = _data(etree.parse(data_path).getroot())
    actions = {(i.get("name"), op.get("name")): op.get("action")
               for i in project.findall("con:interface", NS) for op in i.findall("con:operation", NS)}
    project_props = {p.findtext("con:name", namespaces=NS): p.findtext("con:value", namespaces=NS) or ""
                     for p in project.findall("con:properties/con:property", NS)}
    suites = []
    for suite in project.findall("con:testSuite", NS):
        if not _enabled(suite):
            continue
        cases = []
        for case in suite.findall("con:testCase", NS):
            if not _enabled(case):
                continue
            name = str(case.get("name"))
            steps: list[dict[str, Any]] = []
            reads_data = False
            for step in case.findall("con:testStep", NS):
                if not _enabled(step):
                    continue
                config = step.find("con:config", NS)
                assert config is not None
                if step.get("type") == "groovy":
                    found = _script_step(config.findtext("script") or "")
                    if found is None:
                        reads_data = True
                    else:
                        steps += found
                elif step.get("type") == "request":
                    request = config.find("con:request", NS)
                    assert request is not None
                    op = (config.findtext("con:interface", namespaces=NS), config.findtext("con:operation", namespaces=NS))
                    steps.append({
                        "kind": "request", "name": step.get("name"),
                        "endpoint": request.findtext("con:endpoint", namespaces=NS),
                        "soapAction": actions[op], "headers": _headers(request),
                        "body": request.findtext("con:request", namespaces=NS),
                        "assertions": [_assertion(a) for a in request.findall("con:assertion", NS) if _enabled(a)],
                    })
                else:
                    raise ValueError(f"{name}: a step of type {step.get('type')} is not translated")
            entry: dict[str, Any] = {"name": name, "steps": steps}
            text = json.dumps(steps)
            used = set(_PROP.findall(text))
            if reads_data:
                data = {**global_data, **case_data.get(name, {})}
                entry["context"] = {k: v for k, v in sorted(data.items()) if k in used}
            props = {p.findtext("con:name", namespaces=NS): p.findtext("con:value", namespaces=NS) or ""
                     for p in case.findall("con:properties/con:property", NS)}
            if props:
                entry["properties"] = props
            if NEEDS_AGGREGATION.search(name):
                entry = {"name": name, "replayable": False, "why": WHY_AGGREGATION}
            elif not any(s["kind"] == "request" for s in steps):
                entry.update(setup=True)
            else:
                entry.update(replayable=True)
            cases.append(entry)
        suite_props = {p.findtext("con:name", namespaces=NS): p.findtext("con:value", namespaces=NS) or ""
                       for p in suite.findall("con:properties/con:property", NS)}
        suites.append({"name": suite.get("name"), "properties": suite_props, "cases": cases})
    used_everywhere = set(_PROP.findall(json.dumps(suites)))
    used_everywhere |= {p for p in project_props if p.startswith("xmlns:")} | {"RecordElementPath"}
    return {
        "origin": "Derived from the public SoapUI suite of the national service platform "
                  "(github.com/skltp-test/soapui-skltp: soaptest/SKLTP-Core-Functionality-soapui-project.xml "
                  "and soaptest/data-sed.xml) by tests/soapui/skltp_extract.py; see that script for what was "
                  "translated and how. Test data of the suite: HSA-ids and personal identity numbers of the "
                  "national test environments, no real persons' data.",
        "projectProperties": {k: v for k, v in sorted(project_props.items()) if k in used_everywhere},
        "suites": suites,
    }


if __name__ == "__main__":
    json.dump(extract(sys.argv[1], sys.argv[2]), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
