"""The national engagement index contracts (itintegration:engagementindex 1.0: Update, FindContent,
ProcessNotification) are their public release, unchanged: every file matches the checksum recorded
when it was taken, the release notes name the source, each WSDL loads in zeep strict and the
schemas validate a request as the release means."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import zeep
from lxml import etree

from contracts.interactions import (
    ENGAGEMENTINDEX_INTERACTIONS,
    ENGAGEMENTINDEX_SCHEMAS,
    FIND_CONTENT,
    NATIONAL,
    UPDATE,
    Interaction,
)
from contracts.ns import REGISTRY_NS
from contracts.schema import documents, schema_for

CHECKSUMS = NATIONAL / "itintegration-engagementindex.sha256"
NOTES = NATIONAL.parent / "RELEASENOTES.md"
CORE = "urn:riv:itintegration:engagementindex:1"


def _recorded() -> dict[str, str]:
    lines = CHECKSUMS.read_text(encoding="utf-8").splitlines()
    return {path: digest for digest, path in (line.split("  ", 1) for line in lines if line.strip())}


def _files() -> list[str]:
    return sorted(str(p.relative_to(NATIONAL)) for p in ENGAGEMENTINDEX_SCHEMAS.rglob("*") if p.is_file())


def test_every_file_taken_is_recorded() -> None:
    assert _files() == sorted(_recorded())


@pytest.mark.parametrize("path", sorted(_recorded()))
def test_each_file_is_unchanged(path: str) -> None:
    assert hashlib.sha256((NATIONAL / path).read_bytes()).hexdigest() == _recorded()[path]


def test_the_release_notes_name_the_source() -> None:
    notes = NOTES.read_text(encoding="utf-8")
    assert "skltp-ei-schemas/src/main/resources/schemas/TD_ENGAGEMENTINDEX_1_0_R" in notes


def test_the_release_notes_name_the_commit() -> None:
    assert "9f5904202dc481918839d534ad84a05462960fa1" in NOTES.read_text(encoding="utf-8")


def test_the_release_notes_name_the_checksum_list() -> None:
    assert CHECKSUMS.name in NOTES.read_text(encoding="utf-8")


@pytest.mark.parametrize("i", ENGAGEMENTINDEX_INTERACTIONS, ids=lambda i: i.name)
def test_the_wsdl_loads_in_zeep_strict(i: Interaction) -> None:
    client = zeep.Client(str(i.wsdl_path), settings=zeep.Settings(strict=True))
    operation = client.wsdl.bindings[f"{{{i.wsdl_ns}}}{i.name}ResponderBinding"].get(i.name)
    assert operation.soapaction == i.soap_action


@pytest.mark.parametrize("i", ENGAGEMENTINDEX_INTERACTIONS, ids=lambda i: i.name)
def test_the_wsdl_has_the_logical_address_header(i: Interaction) -> None:
    client = zeep.Client(str(i.wsdl_path), settings=zeep.Settings(strict=True))
    operation = client.wsdl.bindings[f"{{{i.wsdl_ns}}}{i.name}ResponderBinding"].get(i.name)
    assert operation.input.header.type.elements[0][1].qname.text == f"{{{REGISTRY_NS}}}LogicalAddress"


@pytest.mark.parametrize("i", ENGAGEMENTINDEX_INTERACTIONS, ids=lambda i: i.name)
def test_the_documents_served_with_the_wsdl_are_the_releases_own(i: Interaction) -> None:
    assert all(p.is_relative_to(ENGAGEMENTINDEX_SCHEMAS.resolve()) for p in documents(i).values())


def test_the_documents_of_the_three_wsdls_are_all_that_was_taken() -> None:
    names = {name for i in ENGAGEMENTINDEX_INTERACTIONS for name in documents(i)}
    assert sorted(names) == sorted(Path(p).name for p in _recorded())


ENGAGEMENT = (
    "<c:registeredResidentIdentification>191212121212</c:registeredResidentIdentification>"
    "<c:serviceDomain>riv:clinicalprocess:healthcond:actoutcome</c:serviceDomain>"
    "<c:categorization>CTNG</c:categorization><c:logicalAddress>SE5565594230-EPH</c:logicalAddress>"
    "<c:businessObjectInstanceIdentifier>O-1</c:businessObjectInstanceIdentifier>"
    "<c:clinicalProcessInterestId>1</c:clinicalProcessInterestId>"
    "<c:sourceSystem>SE5565594230-EPH</c:sourceSystem><c:dataController>SE2321000016</c:dataController>"
)


def _update(engagement: str) -> etree._Element:
    return etree.fromstring(
        f'<r:Update xmlns:r="{UPDATE.responder_ns}" xmlns:c="{CORE}"><r:engagementTransaction>'
        f"<c:deleteFlag>false</c:deleteFlag><c:engagement>{engagement}</c:engagement>"
        "</r:engagementTransaction></r:Update>")


def test_an_update_with_every_required_field_is_valid() -> None:
    assert schema_for(UPDATE).errors(_update(ENGAGEMENT)) == []


def test_an_update_with_an_element_of_another_namespace_is_valid() -> None:
    assert schema_for(UPDATE).errors(_update(ENGAGEMENT + '<x:e xmlns:x="urn:example:x">1</x:e>')) == []


def test_an_update_without_the_data_controller_is_invalid() -> None:
    engagement = ENGAGEMENT.replace("<c:dataController>SE2321000016</c:dataController>", "")
    assert schema_for(UPDATE).errors(_update(engagement))


def test_a_resident_identification_with_a_hyphen_is_invalid() -> None:
    assert schema_for(UPDATE).errors(_update(ENGAGEMENT.replace("191212121212", "19121212-1212")))


def test_a_find_content_without_the_service_domain_is_invalid() -> None:
    request = etree.fromstring(
        f'<r:FindContent xmlns:r="{FIND_CONTENT.responder_ns}">'
        "<r:registeredResidentIdentification>191212121212</r:registeredResidentIdentification></r:FindContent>")
    assert schema_for(FIND_CONTENT).errors(request)
