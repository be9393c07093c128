import copy
from typing import Any

import pytest

from eph import demo
from service_domain import catalogue
from service_domain.catalogue import CatalogueError


def entry(**changes: Any) -> dict[str, Any]:
    e: dict[str, Any] = {
        "careGiverHSAId": "SE2321000016-CG01",
        "offerCode": "PSA",
        "displayName": "PSA-prov",
        "analysis": [{"code": "NPU08669", "displayName": "PSA"}],
        "samplingMode": ["SITE"],
        "notifiable": False,
        "resultRelease": "AFTER_REVIEW",
        "validityDays": 30,
        "maxOrders": 1,
        "performingLabHSAId": "SE2321000016-LAB1",
    }
    e.update(changes)
    return {k: v for k, v in e.items() if v is not None}


def test_a_minimal_entry_parses_with_npu_as_the_default_code_system() -> None:
    (d,) = catalogue.parse({"offerDefinitions": [entry()]})
    assert d.analyses[0].code.code_system == catalogue.NPU_CODE_SYSTEM
    assert d.active


def test_demo_catalogue_round_trips() -> None:
    definitions = demo.catalogue()
    assert catalogue.parse(catalogue.to_document(definitions)) == definitions


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"validityDays": 0}, "entry 2 (offerCode PSA): field 'validityDays': must be an integer from 1"),
        ({"careGiverHSAId": "SE2321000017-CG01"}, "field 'careGiverHSAId': the value has a wrong check digit"),
        ({"samplingMode": ["POST"]}, "field 'samplingMode': 'POST' is not SITE or HOME_KIT"),
        ({"resultRelease": "LATER"}, "field 'resultRelease': must be one of"),
        ({"analysis": []}, "field 'analysis': must be a non-empty list"),
        ({"analysis": [{"code": "X", "codeSystem": "not-an-oid", "displayName": "x"}]}, "codeSystem must be an OID"),
        ({"notifiable": "yes"}, "field 'notifiable': must be true or false"),
        ({"minAge": 40, "maxAge": 20}, "field 'maxAge': is below minAge"),
        ({"offerCode": "PSÄ"}, "field 'offerCode': must be ASCII"),
        ({"colour": "red"}, "field 'colour': is not a field of OfferDefinitionType"),
        ({"displayName": None}, "field 'displayName': is required"),
    ],
)
def test_errors_name_the_entry_and_the_field(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(CatalogueError) as e:
        catalogue.parse({"offerDefinitions": [entry(offerCode="OK1"), entry(**changes)]})
    assert any(problem in p for p in e.value.problems), e.value.problems
    # the good entry is not the one blamed
    assert not any(p.startswith("entry 1") for p in e.value.problems)


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(CatalogueError) as e:
        catalogue.parse([entry(validityDays=-1), entry(offerCode="B", maxOrders=0)])
    assert len(e.value.problems) == 2


def test_duplicate_code_within_a_care_giver_is_refused() -> None:
    with pytest.raises(CatalogueError, match="also used by entry 1"):
        catalogue.parse([entry(), copy.deepcopy(entry())])


def test_an_empty_document_is_refused() -> None:
    with pytest.raises(CatalogueError):
        catalogue.parse({"offerDefinitions": []})
