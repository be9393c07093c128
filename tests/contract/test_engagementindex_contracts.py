"""Requests to the national engagement index contracts (itintegration:engagementindex 1.0), checked
against the release's schemas as the release means them (tests/contract/test_national_releases.py
checks that the files are the release's, unchanged)."""

from __future__ import annotations

from lxml import etree

from contracts.interactions import FIND_CONTENT, UPDATE
from contracts.schema import schema_for

CORE = "urn:riv:itintegration:engagementindex:1"


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
