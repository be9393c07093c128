"""The national contracts the service produces are their public releases, unchanged: every file
matches the checksum recorded when it was taken (wsdl/national/*.sha256, source named in
wsdl/RELEASENOTES.md), the WSDL loads in zeep strict, and the documents served with it are
the release's own."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import zeep
from lxml import etree

from contracts.interactions import (
    ACTOUTCOME_SCHEMAS,
    GET_LABORATORY_ORDER_OUTCOME,
    NATIONAL,
    NATIONAL_INTERACTIONS,
    Interaction,
)
from contracts.ns import REGISTRY_NS
from contracts.schema import documents, schema_for

GLOO = GET_LABORATORY_ORDER_OUTCOME
CHECKSUMS = NATIONAL / "clinicalprocess-healthcond-actoutcome.sha256"
NOTES = NATIONAL.parent / "RELEASENOTES.md"
CORE = "urn:riv:clinicalprocess:healthcond:actoutcome:4"


def _recorded() -> dict[str, str]:
    lines = CHECKSUMS.read_text(encoding="utf-8").splitlines()
    return {path: digest for digest, path in (line.split("  ", 1) for line in lines if line.strip())}


def _files() -> list[str]:
    return sorted(str(p.relative_to(NATIONAL)) for p in ACTOUTCOME_SCHEMAS.rglob("*") if p.is_file())


def test_every_file_of_the_release_is_recorded() -> None:
    assert _files() == sorted(_recorded())


@pytest.mark.parametrize("path", sorted(_recorded()))
def test_each_file_is_unchanged(path: str) -> None:
    assert hashlib.sha256((NATIONAL / path).read_bytes()).hexdigest() == _recorded()[path]


def test_the_release_notes_name_the_source() -> None:
    notes = NOTES.read_text(encoding="utf-8")
    assert "skltp-aggregerandetjanster/riv.clinicalprocess.healthcond.actoutcome.GetAggregatedLaboratoryOrderOutCome" in notes


def test_the_release_notes_name_the_commit() -> None:
    assert "d9a122b4709123c7b88bafa5e189714549743efd" in NOTES.read_text(encoding="utf-8")


def test_the_release_notes_name_the_checksum_list() -> None:
    assert CHECKSUMS.name in NOTES.read_text(encoding="utf-8")


@pytest.mark.parametrize("i", NATIONAL_INTERACTIONS, ids=lambda i: i.name)
def test_the_wsdl_loads_in_zeep_strict(i: Interaction) -> None:
    client = zeep.Client(str(i.wsdl_path), settings=zeep.Settings(strict=True))
    operation = client.wsdl.bindings[f"{{{i.wsdl_ns}}}{i.name}ResponderBinding"].get(i.name)
    assert operation.soapaction == i.soap_action


def test_the_wsdl_has_the_logical_address_header() -> None:
    client = zeep.Client(str(GLOO.wsdl_path), settings=zeep.Settings(strict=True))
    operation = client.wsdl.bindings[f"{{{GLOO.wsdl_ns}}}{GLOO.name}ResponderBinding"].get(GLOO.name)
    assert operation.input.header.type.elements[0][1].qname.text == f"{{{REGISTRY_NS}}}LogicalAddress"


def test_the_documents_served_with_the_wsdl_are_the_releases_own() -> None:
    assert all(p.is_relative_to(ACTOUTCOME_SCHEMAS.resolve()) for p in documents(GLOO).values())


def test_the_documents_served_with_the_wsdl_are_all_of_the_release() -> None:
    assert sorted(documents(GLOO)) == sorted(Path(p).name for p in _recorded())


def _request(inner: str) -> etree._Element:
    return etree.fromstring(
        f'<r:GetLaboratoryOrderOutcome xmlns:r="{GLOO.responder_ns}" xmlns:c="{CORE}">{inner}'
        "</r:GetLaboratoryOrderOutcome>")


PATIENT = "<r:patientId><c:root>1.2.752.129.2.1.3.1</c:root><c:extension>191212121212</c:extension></r:patientId>"


def test_a_request_with_the_patient_is_valid() -> None:
    assert schema_for(GLOO).errors(_request(PATIENT)) == []


def test_a_request_with_an_extension_of_another_namespace_is_valid() -> None:
    assert schema_for(GLOO).errors(_request(PATIENT + '<x:e xmlns:x="urn:example:x">1</x:e>')) == []


def test_a_request_without_the_patient_is_invalid() -> None:
    assert schema_for(GLOO).errors(_request(""))


def test_a_date_period_in_the_wrong_format_is_invalid() -> None:
    period = "<r:datePeriod><c:start>2026-01-01</c:start></r:datePeriod>"
    assert schema_for(GLOO).errors(_request(PATIENT + period))
