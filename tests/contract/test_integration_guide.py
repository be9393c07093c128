"""The integration guide's samples are real messages of the contract."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from contracts.interactions import BY_RESPONDER_NS, SERVED_INTERACTIONS
from contracts.ns import SOAP11_ENV_NS
from contracts.schema import schema_for

GUIDE = Path(__file__).resolve().parent.parent.parent / "docs" / "integration.md"
SAMPLE = re.compile(r"<!-- sample: (\w+) (request|response) -->\n```xml\n(.*?)\n```", re.S)
SAMPLES = SAMPLE.findall(GUIDE.read_text(encoding="utf-8"))


def test_every_interaction_has_a_sample_request_and_response() -> None:
    found = {(name, kind) for name, kind, _ in SAMPLES}
    assert found == {(i.name, k) for i in SERVED_INTERACTIONS for k in ("request", "response")}


@pytest.mark.parametrize("name, kind, xml", SAMPLES, ids=[f"{n}-{k}" for n, k, _ in SAMPLES])
def test_sample_validates_against_the_contract(name: str, kind: str, xml: str) -> None:
    envelope = etree.fromstring(xml.encode("utf-8"))
    assert envelope.tag == f"{{{SOAP11_ENV_NS}}}Envelope"
    body = envelope.find(f"{{{SOAP11_ENV_NS}}}Body")[0]
    interaction = BY_RESPONDER_NS[etree.QName(body).namespace]
    assert interaction.name == name
    assert etree.QName(body).localname == (name if kind == "request" else f"{name}Response")
    schema = schema_for(interaction)
    errors = schema.errors(body)
    header = envelope.find(f"{{{SOAP11_ENV_NS}}}Header")
    if kind == "request":
        assert header is not None
        assert header.findtext("{urn:riv:itintegration:registry:1}LogicalAddress")
    for entry in header if header is not None else ():
        errors += schema.errors(entry)
    assert errors == []
