"""The national results contract's shape from the domain (producers.national): every kind of
value written by the contract binding validates against the national XSD, and the fields the
rules depend on say what the service decided."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from contracts.binding import binding_for
from contracts.interactions import GET_LABORATORY_ORDER_OUTCOME as GLOO
from contracts.schema import schema_for
from eph import demo
from producers import national
from service_domain.identity import PersonId
from service_domain.model import (
    Actor,
    ActorKind,
    AnalysisResult,
    AnalysisStatus,
    Bound,
    Code,
    Interpretation,
    Interval,
    LaboratoryResult,
    Order,
    OrderStatus,
    Quantity,
    ReportStatus,
    ResultRelease,
    SamplingMode,
    Specimen,
    Value,
)
from service_domain.services import LaboratoryOrderOutcomes, OutcomeView

REPORTED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
REFERENCE = Interval(Bound("20", "mmol/mol"), Bound("42", "mmol/mol", inclusive=False))


def _order() -> Order:
    return Order(
        order_id="order-1", referral_id="REF123", offer_id="offer-1", offer_code="HBA1C", display_name="HbA1c",
        patient=PersonId("191212121212"), status=OrderStatus.FINAL_RESULT, sampling_mode=SamplingMode.SITE,
        care_giver=demo.CARE_GIVER_A, care_unit=demo.CARE_UNIT_A, analyses=(demo.HBA1C,),
        created_time=REPORTED, valid_to=REPORTED, notifiable=False, result_release=ResultRelease.IMMEDIATE,
        performing_lab=demo.LAB_A, specimens=[Specimen("BC1", None, REPORTED), Specimen("BC2")],
    )


SIGNER = "SE2321000016-BMA1"
NAMES = {demo.CARE_UNIT_A.upper(): "Vårdcentralen Demo Öst", SIGNER: "Berit Analytiker"}


def _view(*analyses: AnalysisResult, laboratory_id: str | None = None, names: dict[str, str] | None = None,
          signed_by: Actor | None = None) -> OutcomeView:
    result = LaboratoryResult("order-1", demo.LAB_A, 2, ReportStatus.CORRECTED, REPORTED, tuple(analyses),
                              laboratory_id=laboratory_id, comment="corrected", signed_by=signed_by)
    return OutcomeView(_order(), result, demo.SERVICE_ADDRESS, NAMES if names is None else names)


def _written(view: OutcomeView) -> etree._Element:
    xml = binding_for(GLOO).write_response(national.laboratory_order_outcomes_out(LaboratoryOrderOutcomes([view])))
    return etree.fromstring(xml)


def _analysis(value: Value | None, status: AnalysisStatus = AnalysisStatus.FINAL, **kw: object) -> AnalysisResult:
    return AnalysisResult(demo.HBA1C.code, value, status, **kw)  # type: ignore[arg-type]


VALUES = {
    "quantity": _analysis(Quantity("39", "mmol/mol"), interpretation=Interpretation.NORMAL, reference_interval=REFERENCE),
    "coded": _analysis(demo.NOT_DETECTED, interpretation=Interpretation.NEGATIVE),
    "interval": _analysis(Interval(None, Bound("0.5", "mg/L", inclusive=False))),
    "interval without unit": _analysis(Interval(text="under the limit")),
    "text": _analysis("see comment", reference_interval=Interval(text="under 42")),
    "cannot be done": _analysis(None, AnalysisStatus.CANNOT_BE_DONE, comment="haemolysed"),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_each_kind_of_value_follows_the_national_schema(name: str) -> None:
    assert schema_for(GLOO).errors(_written(_view(VALUES[name], laboratory_id="LAB-9"))) == []


def _find(element: etree._Element, path: str) -> list[str]:
    core = "urn:riv:clinicalprocess:healthcond:actoutcome:4"
    return [str(t) for t in element.xpath(path, namespaces={"c": core})]


def test_approved_for_patient_is_true() -> None:
    answer = _written(_view(VALUES["quantity"]))
    assert _find(answer, "//c:approvedForPatient/text()") == ["true"]


def test_the_source_system_is_the_service() -> None:
    answer = _written(_view(VALUES["quantity"]))
    assert _find(answer, "//c:sourceSystemId/c:extension/text()") == [demo.SERVICE_ADDRESS]


def test_the_record_is_the_order() -> None:
    answer = _written(_view(VALUES["quantity"]))
    assert _find(answer, "//c:header/c:record/c:id/c:extension/text()") == ["order-1"]


def test_the_value_is_written_as_reported() -> None:
    answer = _written(_view(_analysis(Quantity("5.00", "mmol/L"))))
    assert _find(answer, "//c:result/c:value/c:pq/c:value/text()") == ["5.00"]


def test_the_interpretation_is_an_hl7_code() -> None:
    answer = _written(_view(VALUES["coded"]))
    assert _find(answer, "//c:result/c:interpretation/c:code/text()") == ["NEG"]


def test_the_report_status_is_the_type() -> None:
    answer = _written(_view(VALUES["quantity"]))
    assert _find(answer, "//c:body/c:type/c:code/text()") == ["CORRECTED"]


def test_a_withdrawn_analysis_is_left_out() -> None:
    answer = _written(_view(VALUES["quantity"], _analysis(None, AnalysisStatus.ENTERED_IN_ERROR)))
    assert len(_find(answer, "//c:analysis/c:status/c:code/text()")) == 1


def test_only_specimens_with_a_collection_time_are_written() -> None:
    answer = _written(_view(VALUES["quantity"]))
    assert _find(answer, "//c:specimen/c:identifier/c:extension/text()") == ["BC1"]


def test_a_request_maps_its_filters() -> None:
    core = "urn:riv:clinicalprocess:healthcond:actoutcome:4"
    request = etree.fromstring(
        f'<r:GetLaboratoryOrderOutcome xmlns:r="{GLOO.responder_ns}" xmlns:c="{core}">'
        f"<r:careUnitHSAId><c:root>1.2.752.129.2.1.4.1</c:root><c:extension>{demo.CARE_UNIT_A}</c:extension></r:careUnitHSAId>"
        "<r:patientId><c:root>1.2.752.129.2.1.3.1</c:root><c:extension>191212121212</c:extension></r:patientId>"
        "<r:datePeriod><c:start>20260101</c:start></r:datePeriod>"
        "</r:GetLaboratoryOrderOutcome>")
    cmd = national.get_laboratory_order_outcome(binding_for(GLOO).read(request), demo.SERVICE_ADDRESS)
    assert (cmd.patient, cmd.care_units, cmd.period_start, cmd.period_end) == (
        PersonId("191212121212", "1.2.752.129.2.1.3.1"), (demo.CARE_UNIT_A,), datetime(2026, 1, 1).date(), None)


def test_an_impossible_date_is_refused() -> None:
    from service_domain.errors import InvalidRequest

    core = "urn:riv:clinicalprocess:healthcond:actoutcome:4"
    request = etree.fromstring(
        f'<r:GetLaboratoryOrderOutcome xmlns:r="{GLOO.responder_ns}" xmlns:c="{core}">'
        "<r:patientId><c:root>1.2.752.129.2.1.3.1</c:root><c:extension>191212121212</c:extension></r:patientId>"
        "<r:datePeriod><c:end>20260231</c:end></r:datePeriod>"
        "</r:GetLaboratoryOrderOutcome>")
    with pytest.raises(InvalidRequest):
        national.get_laboratory_order_outcome(binding_for(GLOO).read(request), demo.SERVICE_ADDRESS)


def test_codes_keep_their_code_system() -> None:
    answer = _written(_view(_analysis(Code("X1", "1.2.3", display_name="x"))))
    assert _find(answer, "//c:result/c:value/c:cv/c:codeSystem/text()") == ["1.2.3"]


# ------------------------------------------------------------------ which id goes under which root

HSA_OID = "1.2.752.129.2.1.4.1"


def _one(path: str, view: OutcomeView | None = None) -> list[str]:
    return _find(_written(view or _view(VALUES["quantity"], laboratory_id="LAB-9")), path)


def test_the_record_id_s_root_is_the_source_system() -> None:
    assert _one("//c:header/c:record/c:id/c:root/text()") == [demo.SERVICE_ADDRESS]


def test_the_record_id_is_not_under_the_hsa_oid() -> None:
    assert HSA_OID not in _one("//c:header/c:record/c:id/c:root/text()")


def test_the_body_identifier_is_the_order_id() -> None:
    assert _one("//c:body/c:identifier/c:extension/text()") == ["order-1"]


def test_the_body_identifier_s_root_is_the_source_system() -> None:
    assert _one("//c:body/c:identifier/c:root/text()") == [demo.SERVICE_ADDRESS]


def test_the_referral_identifier_is_the_referral_id() -> None:
    assert _one("//c:referral/c:identifier/c:extension/text()") == ["REF123"]


def test_the_referral_identifier_s_root_is_the_source_system() -> None:
    assert _one("//c:referral/c:identifier/c:root/text()") == [demo.SERVICE_ADDRESS]


def test_the_laboratory_identifier_s_root_is_the_lab() -> None:
    assert _one("//c:body/c:laboratoryIdentifier/c:root/text()") == [demo.LAB_A]


def test_the_source_system_is_under_the_hsa_oid() -> None:
    assert _one("//c:sourceSystemId/c:root/text()") == [HSA_OID]


def test_the_accountable_care_unit_is_an_hsa_id() -> None:
    assert _one("//c:accountableCareUnit/c:root/text()") == [HSA_OID]


def test_the_requester_s_unit_is_the_care_unit_s_hsa_id() -> None:
    assert _one("//c:referral/c:requester/c:orgUnit/c:id/c:extension/text()") == [demo.CARE_UNIT_A]


def test_the_requester_s_unit_id_is_under_the_hsa_oid() -> None:
    assert _one("//c:referral/c:requester/c:orgUnit/c:id/c:root/text()") == [HSA_OID]


def test_the_requester_s_unit_is_named_by_its_registered_name() -> None:
    assert _one("//c:referral/c:requester/c:orgUnit/c:name/text()") == ["Vårdcentralen Demo Öst"]


def test_the_requester_is_named_by_the_unit_s_name() -> None:
    assert _one("//c:referral/c:requester/c:name/text()") == ["Vårdcentralen Demo Öst"]


def test_the_requester_has_no_person_id() -> None:
    assert _one("//c:referral/c:requester/c:id/c:extension/text()") == []


def test_the_recipient_unit_is_named_by_its_registered_name() -> None:
    assert _one("//c:body/c:recipientUnit/c:name/text()") == ["Vårdcentralen Demo Öst"]


def test_the_recipient_unit_id_is_its_hsa_id() -> None:
    assert _one("//c:body/c:recipientUnit/c:id/c:extension/text()") == [demo.CARE_UNIT_A]


def test_a_unit_without_a_registered_name_is_named_by_its_hsa_id() -> None:
    view = _view(VALUES["quantity"], names={})
    assert _one("//c:body/c:recipientUnit/c:name/text()", view) == [demo.CARE_UNIT_A]


def test_a_version_signed_by_a_system_has_no_author() -> None:
    view = _view(VALUES["quantity"], signed_by=Actor(ActorKind.SYSTEM, demo.LAB_A))
    assert _one("//c:header/c:author", view) == []


def test_the_author_is_the_staff_member_who_signed() -> None:
    view = _view(VALUES["quantity"], signed_by=Actor(ActorKind.STAFF, SIGNER))
    assert _one("//c:header/c:author/c:id/c:extension/text()", view) == [SIGNER]


def test_the_author_is_named_by_the_staff_register() -> None:
    view = _view(VALUES["quantity"], signed_by=Actor(ActorKind.STAFF, SIGNER))
    assert _one("//c:header/c:author/c:name/text()", view) == ["Berit Analytiker"]


def test_an_answer_with_an_author_follows_the_national_schema() -> None:
    view = _view(VALUES["quantity"], signed_by=Actor(ActorKind.STAFF, SIGNER))
    assert schema_for(GLOO).errors(_written(view)) == []
