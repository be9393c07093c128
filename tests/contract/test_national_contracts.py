"""Requests to the national GetLaboratoryOrderOutcome 4 (clinicalprocess:healthcond:actoutcome),
checked against the release's schemas as the release means them (tests/contract/
test_national_releases.py checks that the files are the release's, unchanged)."""

from __future__ import annotations

from lxml import etree

from contracts.interactions import GET_LABORATORY_ORDER_OUTCOME
from contracts.schema import schema_for

GLOO = GET_LABORATORY_ORDER_OUTCOME
CORE = "urn:riv:clinicalprocess:healthcond:actoutcome:4"


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
