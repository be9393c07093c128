"""The XSD binding (contracts.binding) over the release's own contracts: every interaction binds,
and a SetResult request and response read and write as the contract says, whole or one part at a
time. Every document read is first validated against the release's schema."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from contracts.binding import NotInContract, binding_for
from contracts.interactions import ALL_INTERACTIONS, SET_RESULT, Interaction
from contracts.ns import CORE_NS
from contracts.schema import schema_for

OTHER = "urn:test:extension:1"


@pytest.mark.parametrize("interaction", ALL_INTERACTIONS, ids=lambda i: i.name)
def test_every_interaction_of_the_release_binds(interaction: Interaction) -> None:
    assert binding_for(interaction).response.fields


SET_RESULT_NS = SET_RESULT.responder_ns
SET_RESULT_REQUEST = f"""<r:SetResult xmlns:r="{SET_RESULT_NS}" xmlns:c="{CORE_NS}" xmlns:x="{OTHER}">
  <r:laboratoryResult>
    <c:orderId>ORDER-1</c:orderId>
    <c:performingLabHSAId>SE2321000016-LAB1</c:performingLabHSAId>
    <c:resultVersion>2</c:resultVersion>
    <c:reportStatus>FINAL</c:reportStatus>
    <c:reportTime>20261125120000</c:reportTime>
    <c:specimenIdentifier>BC-1</c:specimenIdentifier>
    <c:specimenIdentifier>BC-2</c:specimenIdentifier>
    <c:analysisResult>
      <c:code><c:code>NPU27300</c:code><c:codeSystem>1.2.752.108.1</c:codeSystem></c:code>
      <c:pq><c:value>5.00</c:value><c:unit>mmol/mol</c:unit></c:pq>
      <c:referenceInterval>
        <c:low><c:value>3.0</c:value><c:unit>mmol/mol</c:unit></c:low>
        <c:high><c:value>6</c:value><c:unit>mmol/mol</c:unit><c:inclusive>false</c:inclusive></c:high>
      </c:referenceInterval>
      <c:interpretation>NORMAL</c:interpretation>
      <c:status>FINAL</c:status>
      <x:comment>not the contract's comment</x:comment>
    </c:analysisResult>
    <c:analysisResult>
      <c:code><c:originalText>Klamydia</c:originalText></c:code>
      <c:text>Negativt</c:text>
      <c:status>FINAL</c:status>
    </c:analysisResult>
  </r:laboratoryResult>
  <x:extension>ignored</x:extension>
</r:SetResult>"""


@pytest.fixture(scope="module")
def set_result() -> Any:
    element = etree.fromstring(SET_RESULT_REQUEST)
    assert schema_for(SET_RESULT).errors(element) == []
    return binding_for(SET_RESULT).read(element).laboratoryResult


def test_a_release_request_reads_a_positive_count_as_an_int(set_result: Any) -> None:
    assert set_result.resultVersion == 2


def test_a_release_request_reads_a_repeated_element_as_a_list(set_result: Any) -> None:
    assert set_result.specimenIdentifier == ["BC-1", "BC-2"]


def test_a_release_request_keeps_a_quantitys_decimal_as_written(set_result: Any) -> None:
    assert set_result.analysisResult[0].pq.value == "5.00"


def test_a_release_request_reads_a_boolean_in_a_nested_type(set_result: Any) -> None:
    assert set_result.analysisResult[0].referenceInterval.high.inclusive is False


def test_a_release_request_reads_an_enumeration_as_its_text(set_result: Any) -> None:
    assert set_result.analysisResult[0].interpretation == "NORMAL"


def test_a_release_request_reads_the_element_given_of_the_value_choice(set_result: Any) -> None:
    second = set_result.analysisResult[1]
    assert (second.pq, second.text, second.coded, second.interval) == (None, "Negativt", None, None)


def test_a_release_request_skips_an_extension_named_as_a_contract_element(set_result: Any) -> None:
    assert set_result.analysisResult[0].comment is None


def test_a_release_response_is_written_in_contract_order_and_valid() -> None:
    values = {"result": {"message": "klart", "logId": "0b5c3c51-4a3b-4ef8-9d57-2f0d3f1c7a11", "resultCode": "OK"}}
    element = etree.fromstring(binding_for(SET_RESULT).write_response(values))
    assert schema_for(SET_RESULT).errors(element) == []


def test_a_release_response_puts_the_core_components_in_their_namespace() -> None:
    values = {"result": {"resultCode": "OK", "logId": "0b5c3c51-4a3b-4ef8-9d57-2f0d3f1c7a11"}}
    xml = binding_for(SET_RESULT).write_response(values)
    assert xml.startswith(f'<tns:SetResultResponse xmlns:tns="{SET_RESULT_NS}" xmlns:core="{CORE_NS}">'
                          "<tns:result><core:resultCode>OK</core:resultCode>")


def test_a_misspelt_element_of_a_release_type_is_refused() -> None:
    with pytest.raises(NotInContract, match="ResultType has no element 'mesage'"):
        binding_for(SET_RESULT).check({"result": {"resultCode": "OK", "logId": "x", "mesage": "klart"}})


# ------------------------------------------------------------------ one part of a request, not yet validated


@pytest.fixture(scope="module")
def result_part() -> dict[str, Any]:
    element = etree.fromstring(SET_RESULT_REQUEST)
    return binding_for(SET_RESULT).read_part("laboratoryResult", element[0])


def test_a_part_reads_as_dicts_of_the_elements_that_are_there(result_part: dict[str, Any]) -> None:
    assert list(result_part) == ["orderId", "performingLabHSAId", "resultVersion", "reportStatus", "reportTime",
                                 "specimenIdentifier", "analysisResult"]


def test_a_part_keeps_a_count_as_written(result_part: dict[str, Any]) -> None:
    assert result_part["resultVersion"] == "2"


def test_a_part_reads_a_repeated_element_as_a_list(result_part: dict[str, Any]) -> None:
    assert result_part["specimenIdentifier"] == ["BC-1", "BC-2"]


def test_a_part_reads_a_nested_type_as_a_dict(result_part: dict[str, Any]) -> None:
    assert result_part["analysisResult"][0]["referenceInterval"]["high"] == {"value": "6", "unit": "mmol/mol",
                                                                             "inclusive": "false"}


def test_a_part_does_not_take_an_extension_for_the_contract_element_of_its_name(result_part: dict[str, Any]) -> None:
    assert "comment" not in result_part["analysisResult"][0]


def test_a_part_keeps_an_extension_under_its_namespaced_name_for_the_check_to_refuse(
        result_part: dict[str, Any]) -> None:
    assert result_part["analysisResult"][0][f"{{{OTHER}}}comment"] == "not the contract's comment"


def test_a_part_keeps_a_misspelt_element_under_its_own_name() -> None:
    element = etree.fromstring(f'<r:laboratoryResult xmlns:r="{SET_RESULT_NS}" xmlns:c="{CORE_NS}">'
                               "<c:orderId>ORDER-1</c:orderId><c:commentz>x</c:commentz></r:laboratoryResult>")
    assert binding_for(SET_RESULT).read_part("laboratoryResult", element) == {"orderId": "ORDER-1",
                                                                              f"{{{CORE_NS}}}commentz": "x"}


def test_a_part_reads_an_element_without_a_namespace_as_the_contracts_of_its_name() -> None:
    element = etree.fromstring("<laboratoryResult><orderId>ORDER-1</orderId><resultVersion>2</resultVersion>"
                               "</laboratoryResult>")
    assert binding_for(SET_RESULT).read_part("laboratoryResult", element) == {"orderId": "ORDER-1",
                                                                              "resultVersion": "2"}


def test_a_part_strips_the_whitespace_around_a_leaf() -> None:
    element = etree.fromstring(f'<r:laboratoryResult xmlns:r="{SET_RESULT_NS}" xmlns:c="{CORE_NS}">'
                               "<c:orderId>\n  ORDER-1\n</c:orderId></r:laboratoryResult>")
    assert binding_for(SET_RESULT).read_part("laboratoryResult", element) == {"orderId": "ORDER-1"}


def test_a_part_that_is_not_a_complex_element_of_the_request_is_refused() -> None:
    with pytest.raises(NotInContract, match="no complex element 'result'"):
        binding_for(SET_RESULT).read_part("result", etree.fromstring(SET_RESULT_REQUEST))
