"""The engagement index stand-in's rules for an Update (the national index's): the owner is the
index, a key field may not be empty, padded or too long, one engagement may come once, at most
1000 in a request; the broken rule is named, never the value."""

from __future__ import annotations

import pytest
from lxml import etree

from consumers.engagement_index.app import RuleBroken, read_update
from contracts.interactions import UPDATE

INDEX = "SE5565594230-EI"
CORE = "urn:riv:itintegration:engagementindex:1"
RESIDENT = "191212121212"
FIELDS = {
    "registeredResidentIdentification": RESIDENT, "serviceDomain": "riv:clinicalprocess:healthcond:actoutcome",
    "categorization": "CTNG", "logicalAddress": "SE5565594230-EPH", "businessObjectInstanceIdentifier": "O-1",
    "clinicalProcessInterestId": "1", "sourceSystem": "SE5565594230-EPH", "dataController": "SE2321000016",
}


def _update(*engagements: dict[str, str], delete: str = "false", extra: str = "") -> etree._Element:
    transactions = "".join(
        "<r:engagementTransaction>"
        f"<c:deleteFlag>{delete}</c:deleteFlag><c:engagement>"
        + "".join(f"<c:{k}>{v}</c:{k}>" for k, v in e.items()) + extra
        + "</c:engagement></r:engagementTransaction>"
        for e in engagements)
    return etree.fromstring(f'<r:Update xmlns:r="{UPDATE.responder_ns}" xmlns:c="{CORE}">{transactions}</r:Update>')


def _broken(*engagements: dict[str, str]) -> str:
    with pytest.raises(RuleBroken) as caught:
        read_update(_update(*engagements), INDEX)
    return str(caught.value)


def test_the_owner_is_the_index() -> None:
    [t] = read_update(_update(FIELDS), INDEX)
    assert t.engagement.owner == INDEX


def test_an_owner_given_is_replaced_by_the_index() -> None:
    [t] = read_update(_update({**FIELDS, "owner": "SE0000000000-X"}), INDEX)
    assert t.engagement.owner == INDEX


def test_the_delete_flag_is_read() -> None:
    [t] = read_update(_update(FIELDS, delete="true"), INDEX)
    assert t.delete is True


def test_an_element_of_another_namespace_is_left_aside() -> None:
    [t] = read_update(_update(FIELDS, extra='<x:e xmlns:x="urn:example:x">1</x:e>'), INDEX)
    assert t.engagement.categorization == "CTNG"


def test_an_empty_key_field_breaks_ei004() -> None:
    assert _broken({**FIELDS, "categorization": ""}).startswith("EI004")


def test_a_padded_key_field_breaks_ei004() -> None:
    assert _broken({**FIELDS, "sourceSystem": "SE5565594230-EPH "}).startswith("EI004")


def test_a_too_long_logical_address_breaks_ei004() -> None:
    assert _broken({**FIELDS, "logicalAddress": "S" * 65}).startswith("EI004")


def test_the_same_engagement_twice_breaks_ei002() -> None:
    assert _broken(FIELDS, FIELDS).startswith("EI002")


def test_two_engagements_that_differ_only_in_content_time_are_the_same() -> None:
    assert _broken({**FIELDS, "mostRecentContent": "20261201000000"},
                   {**FIELDS, "mostRecentContent": "20261202000000"}).startswith("EI002")


def test_more_than_1000_engagements_break_ei000() -> None:
    many = [{**FIELDS, "businessObjectInstanceIdentifier": f"O-{n}"} for n in range(1001)]
    assert _broken(*many).startswith("EI000")


def test_1000_engagements_are_taken() -> None:
    many = [{**FIELDS, "businessObjectInstanceIdentifier": f"O-{n}"} for n in range(1000)]
    assert len(read_update(_update(*many), INDEX)) == 1000


def test_the_broken_rule_does_not_name_the_value() -> None:
    assert RESIDENT not in _broken({**FIELDS, "registeredResidentIdentification": RESIDENT + " "})
