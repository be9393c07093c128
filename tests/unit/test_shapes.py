"""service_domain.shapes: each value object to its contract shape and back, and what the readers refuse."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from service_domain import shapes
from service_domain.enums import ActorKind, AnalysisStatus, Interpretation, ReportStatus
from service_domain.identity import PersonId
from service_domain.model import (
    Actor,
    Analysis,
    AnalysisResult,
    Bound,
    Code,
    DeliveryAddress,
    Interval,
    LaboratoryResult,
    Quantity,
    SamplingSite,
    Specimen,
)
from service_domain.shapes import ShapeError

REPORTED = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
NPU = Code("NPU27300", "1.2.752.108.1", display_name="B-HbA1c")
DETECTED = Code("260373001", "1.2.752.116.2.1.1", "SNOMED CT-SE", "Påvisad", None, "2026-05")
STAFF = Actor(ActorKind.STAFF, "SE2321000016-ST01", "Sara Sjuksköterska")
AGE_DEPENDENT = Interval(Bound("1", "mg/L"), Bound("2.0", "mg/L", inclusive=False), "adults")

ANALYSES = (
    AnalysisResult(NPU, Quantity("5.50", "mmol/mol"), AnalysisStatus.FINAL, "HbA1c", AGE_DEPENDENT,
                   Interpretation.NORMAL, "fasting"),
    AnalysisResult(Code("CT", "1.2"), DETECTED, AnalysisStatus.FINAL, interpretation=Interpretation.POSITIVE),
    AnalysisResult(Code("NG", "1.2"), "negativ", AnalysisStatus.PRELIMINARY),
    AnalysisResult(Code("CRP", "1.2"), Interval(high=Bound("0.5", "mg/L", inclusive=False)), AnalysisStatus.FINAL),
    AnalysisResult(Code(None, None, original_text="local test"), None, AnalysisStatus.ENTERED_IN_ERROR),
)
RESULT = LaboratoryResult("ORDER-1", "SE2321000016-LAB1", 2, ReportStatus.CORRECTED, REPORTED, ANALYSES,
                          laboratory_id="L-9", signed_by=STAFF, comment="corrected", specimen_identifiers=("BC-1",))
BARE_RESULT = LaboratoryResult("ORDER-2", "SE2321000016-LAB1", 1, ReportStatus.FINAL, REPORTED, ANALYSES[2:3])


def wire(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S")


def from_wire(value: Any, what: str) -> datetime:
    return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("p", [PersonId("191212121212"), PersonId("RES-17", "1.2.752.97.3.1.3")], ids=str)
def test_a_person_id_round_trips(p: PersonId) -> None:
    assert shapes.person_from(shapes.person(p)) == p


@pytest.mark.parametrize("c", [NPU, DETECTED, Code(None, None, original_text="uncoded")], ids=repr)
def test_a_code_round_trips(c: Code) -> None:
    assert shapes.code_from(shapes.code(c)) == c


@pytest.mark.parametrize("a", [STAFF, Actor(ActorKind.SYSTEM, "SE2321000016-LAB1")], ids=repr)
def test_an_actor_round_trips(a: Actor) -> None:
    assert shapes.actor_from(shapes.actor(a)) == a


def test_a_quantity_round_trips_with_its_digits() -> None:
    assert shapes.quantity_from(shapes.quantity(Quantity("5.00", "mmol/L"))) == Quantity("5.00", "mmol/L")


@pytest.mark.parametrize("i", [AGE_DEPENDENT, Interval(high=Bound("0.5", "mg/L", False)), Interval(text="age dependent")],
                         ids=repr)
def test_an_interval_round_trips(i: Interval) -> None:
    assert shapes.interval_from(shapes.interval(i)) == i


@pytest.mark.parametrize("v", [Quantity("5", "%"), "text", DETECTED, AGE_DEPENDENT], ids=repr)
def test_a_value_round_trips(v: Any) -> None:
    assert shapes.value_from(shapes.value(v)) == v


@pytest.mark.parametrize("a", ANALYSES, ids=lambda a: a.code.code or "uncoded")
def test_an_analysis_result_round_trips(a: AnalysisResult) -> None:
    assert shapes.analysis_result_from(shapes.analysis_result(a)) == a


@pytest.mark.parametrize("r", [RESULT, BARE_RESULT], ids=lambda r: r.order_id)
def test_a_laboratory_result_round_trips(r: LaboratoryResult) -> None:
    assert shapes.laboratory_result_from(shapes.laboratory_result(r)) == r


def test_a_laboratory_result_round_trips_through_json_with_iso_times() -> None:
    stored = json.loads(json.dumps(shapes.laboratory_result(RESULT, time=datetime.isoformat)))
    assert shapes.laboratory_result_from(stored) == RESULT


def test_a_laboratory_result_round_trips_with_the_times_of_the_wire() -> None:
    written = shapes.laboratory_result(RESULT, time=wire)
    assert shapes.laboratory_result_from(written, time=from_wire) == RESULT


@pytest.mark.parametrize("a", [Analysis(NPU, "HbA1c"), Analysis(Code("CT", "1.2"), "Klamydia", (DETECTED,))], ids=repr)
def test_an_analysis_round_trips(a: Analysis) -> None:
    assert shapes.analysis_from(shapes.analysis(a)) == a


@pytest.mark.parametrize("s", [Specimen("BC-1"), Specimen("BC-2", DETECTED, REPORTED)], ids=repr)
def test_a_specimen_round_trips(s: Specimen) -> None:
    assert shapes.specimen_from(shapes.specimen(s)) == s


def test_a_delivery_address_round_trips() -> None:
    address = DeliveryAddress("Test Person", "Gatan 2", "111 22", "Lund")
    assert shapes.delivery_address_from(shapes.delivery_address(address)) == address


# ------------------------------------------------------------------ the shapes written


def test_a_code_leaves_out_what_it_does_not_have() -> None:
    assert shapes.code(Code(None, None, original_text="uncoded")) == {"originalText": "uncoded"}


def test_a_code_is_written_in_the_cvtypes_order() -> None:
    assert list(shapes.code(DETECTED)) == ["code", "codeSystem", "codeSystemName", "codeSystemVersion", "displayName"]


def test_an_actor_without_a_name_has_no_name() -> None:
    assert shapes.actor(Actor(ActorKind.SYSTEM, "SE2321000016-LAB1")) == {"actorType": "SYSTEM", "id": "SE2321000016-LAB1"}


def test_a_bound_says_whether_it_is_inclusive() -> None:
    assert shapes.bound(Bound("1", "mg/L")) == {"value": "1", "unit": "mg/L", "inclusive": True}


def test_a_value_is_one_element_of_the_choice() -> None:
    assert shapes.value(Quantity("5", "%")) == {"pq": {"value": "5", "unit": "%"}}


def test_an_analysis_result_holds_its_value_among_its_elements() -> None:
    assert shapes.analysis_result(ANALYSES[2]) == {"code": {"code": "NG", "codeSystem": "1.2"}, "text": "negativ",
                                                   "status": "PRELIMINARY"}


def test_an_analysis_result_without_a_value_has_none_of_the_choice() -> None:
    assert set(shapes.VALUE_ELEMENTS).isdisjoint(shapes.analysis_result(ANALYSES[4]))


def test_an_analysis_without_positive_values_leaves_the_list_out() -> None:
    assert "positiveValue" not in shapes.analysis(Analysis(NPU, "HbA1c"))


def test_a_result_without_specimens_leaves_the_list_out() -> None:
    assert "specimenIdentifier" not in shapes.laboratory_result(BARE_RESULT)


def test_a_results_time_is_written_as_asked() -> None:
    assert shapes.laboratory_result(RESULT, time=wire)["reportTime"] == "20261125110000"


def test_a_results_time_is_a_datetime_unless_asked_otherwise() -> None:
    assert shapes.laboratory_result(RESULT)["reportTime"] == REPORTED


def test_a_specimens_collected_time_is_written_as_asked() -> None:
    assert shapes.specimen(Specimen("BC-1", None, REPORTED), time=wire) == {"identifier": "BC-1",
                                                                          "collectedTime": "20261125110000"}


def test_a_sampling_sites_address() -> None:
    site = SamplingSite("SE2321000016-PT01", "Centrum", "SE2321000016-CG01", "Storgatan 1", "111 22", "Stockholm",
                        "SE2321000016-LAB1")
    assert shapes.site_address(site) == {"street": "Storgatan 1", "postalCode": "111 22", "city": "Stockholm"}


# ------------------------------------------------------------------ what the readers handle


def test_an_absent_optional_element_given_as_none_reads_as_absent() -> None:
    assert shapes.actor_from({"actorType": "STAFF", "id": "x", "name": None}) == Actor(ActorKind.STAFF, "x")


def test_a_bound_without_inclusive_is_inclusive() -> None:
    assert shapes.bound_from({"value": "1", "unit": "mg/L"}).inclusive is True


def test_a_bound_with_inclusive_none_is_inclusive() -> None:
    assert shapes.bound_from({"value": "1", "unit": "mg/L", "inclusive": None}).inclusive is True


def test_a_quantity_written_as_a_number_reads_as_its_text() -> None:
    assert shapes.quantity_from({"value": 5, "unit": "%"}) == Quantity("5", "%")


def test_a_choice_given_as_none_but_one_reads_as_that_one() -> None:
    assert shapes.value_from({"pq": None, "text": "negativ", "coded": None, "interval": None}) == "negativ"


def test_no_value_reads_as_none() -> None:
    assert shapes.value_from({"code": {"code": "x"}, "status": "CANNOT_BE_DONE"}) is None


def test_an_empty_text_value_is_a_value() -> None:
    assert shapes.value_from({"text": ""}) == ""


def test_an_absent_repeating_element_reads_as_empty() -> None:
    stored = {k: v for k, v in shapes.laboratory_result(BARE_RESULT).items() if k != "specimenIdentifier"}
    assert shapes.laboratory_result_from(stored).specimen_identifiers == ()


def test_a_repeating_element_given_as_none_reads_as_empty() -> None:
    assert shapes.analysis_from({"code": {"code": "x"}, "displayName": "X", "positiveValue": None}).positive_values == ()


def test_a_code_without_code_or_text_is_still_read() -> None:
    """The service's rules (checks), not the shape, refuse a code that says nothing."""
    assert shapes.code_from({}) == Code(None, None)


def test_a_time_reads_from_iso_8601_by_default() -> None:
    stored = {**shapes.laboratory_result(BARE_RESULT), "reportTime": "2026-11-25T11:00:00+00:00"}
    assert shapes.laboratory_result_from(stored).report_time == REPORTED


def test_a_result_in_the_shape_the_binding_reads_is_read() -> None:
    """The binding gives None for every absent optional element and [] for every absent repeating one."""
    read = {"orderId": "ORDER-2", "laboratoryId": None, "performingLabHSAId": "SE2321000016-LAB1", "resultVersion": 1,
            "reportStatus": "FINAL", "reportTime": "20261125110000", "signedBy": None, "comment": None,
            "specimenIdentifier": [], "analysisResult": [
                {"code": {"code": "NG", "codeSystem": "1.2", "codeSystemName": None, "codeSystemVersion": None,
                          "displayName": None, "originalText": None},
                 "displayName": None, "pq": None, "text": "negativ", "coded": None, "interval": None,
                 "referenceInterval": None, "interpretation": None, "status": "PRELIMINARY", "comment": None}]}
    assert shapes.laboratory_result_from(read, time=from_wire) == BARE_RESULT


# ------------------------------------------------------------------ what the readers refuse


@pytest.mark.parametrize("reader", [shapes.person_from, shapes.code_from, shapes.actor_from, shapes.quantity_from,
                                    shapes.bound_from, shapes.interval_from, shapes.value_from, shapes.analysis_from,
                                    shapes.analysis_result_from, shapes.laboratory_result_from, shapes.specimen_from,
                                    shapes.delivery_address_from], ids=lambda r: r.__name__)
def test_a_reader_refuses_what_is_not_a_mapping(reader: Any) -> None:
    with pytest.raises(ShapeError, match="is read from a mapping, not str"):
        reader("NPU27300")


def test_a_person_without_a_type_is_refused() -> None:
    with pytest.raises(ShapeError, match="PersonIdType has no type"):
        shapes.person_from({"id": "191212121212"})


def test_an_actor_of_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ShapeError, match="actorType is not one of PATIENT, STAFF, SYSTEM: 'ROBOT'"):
        shapes.actor_from({"actorType": "ROBOT", "id": "x"})


def test_an_actor_without_an_id_is_refused() -> None:
    with pytest.raises(ShapeError, match="ActorType has no id"):
        shapes.actor_from({"actorType": "STAFF"})


def test_a_quantity_without_a_unit_is_refused() -> None:
    with pytest.raises(ShapeError, match="PQType has no unit"):
        shapes.quantity_from({"value": "5"})


def test_a_bound_without_a_value_is_refused() -> None:
    with pytest.raises(ShapeError, match="PQIntervalBoundType has no value"):
        shapes.interval_from({"low": {"unit": "mg/L"}})


def test_two_values_are_refused() -> None:
    with pytest.raises(ShapeError, match="one value, not pq and text"):
        shapes.value_from({"pq": {"value": "5", "unit": "%"}, "text": "five"})


def test_an_analysis_result_without_a_status_is_refused() -> None:
    with pytest.raises(ShapeError, match="AnalysisResultType has no status"):
        shapes.analysis_result_from({"code": {"code": "x"}})


def test_an_unknown_interpretation_is_refused() -> None:
    with pytest.raises(ShapeError, match="interpretation is not one of"):
        shapes.analysis_result_from({"code": {"code": "x"}, "status": "FINAL", "interpretation": "GOOD"})


def test_an_analysis_without_a_display_name_is_refused() -> None:
    with pytest.raises(ShapeError, match="AnalysisType has no displayName"):
        shapes.analysis_from({"code": {"code": "x"}})


def test_a_result_without_a_performing_lab_is_refused() -> None:
    stored = {k: v for k, v in shapes.laboratory_result(BARE_RESULT).items() if k != "performingLabHSAId"}
    with pytest.raises(ShapeError, match="LaboratoryResultType has no performingLabHSAId"):
        shapes.laboratory_result_from(stored)


def test_a_result_version_that_is_not_an_integer_is_refused() -> None:
    with pytest.raises(ShapeError, match="resultVersion is not an integer: '2'"):
        shapes.laboratory_result_from({**shapes.laboratory_result(BARE_RESULT), "resultVersion": "2"})


def test_an_unknown_report_status_is_refused() -> None:
    with pytest.raises(ShapeError, match="reportStatus is not one of"):
        shapes.laboratory_result_from({**shapes.laboratory_result(BARE_RESULT), "reportStatus": "DONE"})


def test_a_time_that_is_not_a_time_is_refused() -> None:
    with pytest.raises(ShapeError, match="reportTime is not a date and time: 'yesterday'"):
        shapes.laboratory_result_from({**shapes.laboratory_result(BARE_RESULT), "reportTime": "yesterday"})


def test_a_repeating_element_given_as_one_value_is_refused() -> None:
    with pytest.raises(ShapeError, match="specimenIdentifier repeats"):
        shapes.laboratory_result_from({**shapes.laboratory_result(BARE_RESULT), "specimenIdentifier": "BC-1"})


def test_a_delivery_address_without_a_city_is_refused() -> None:
    with pytest.raises(ShapeError, match="DeliveryAddressType has no city"):
        shapes.delivery_address_from({"name": "A", "street": "B", "postalCode": "111 22"})


def test_a_specimen_without_an_identifier_is_refused() -> None:
    with pytest.raises(ShapeError, match="SpecimenType has no identifier"):
        shapes.specimen_from({"material": {"code": "x"}})
