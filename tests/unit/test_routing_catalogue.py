"""The routing catalogue: rules, look-ups, and TAK's published-version JSON."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from routing import store
from routing.catalogue import Catalogue, CatalogueProblem, check, check_rows, edit_rule_problems
from routing.lookup import HsaTree, RoutingTable, default_routing_parts
from routing.takjson import parse, to_document

DATA = Path(__file__).resolve().parent.parent / "data"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
K = "urn:riv:clinicalprocess:activity:selfsampling:GetOrdersResponder:1"
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 12, 31, tzinfo=UTC)


def routing(cat: Catalogue, address: str, url: str = "http://producer/a", contract: str = K,
            start: datetime = START, end: datetime = END) -> Catalogue:
    return store.with_routing(cat, contract, address, url, "SE5565594230-P01", "RIVTABP21", start, end, now=NOW, who="t")[0]


def grant(cat: Catalogue, consumer: str, address: str, contract: str = K,
          start: datetime = START, end: datetime = END) -> Catalogue:
    return store.with_authorization(cat, consumer, contract, address, start, end, now=NOW, who="t")[0]


def table(cat: Catalogue, parents: dict[str, str] | None = None) -> RoutingTable:
    check(cat)
    return RoutingTable.build(cat, HsaTree(parents))


def urls(t: RoutingTable, address: str, at: datetime = NOW, contract: str = K) -> list[str]:
    return [r.url for r in t.find_routes(contract, address, at)]


def test_exact_routing_is_case_insensitive_on_every_key() -> None:
    t = table(routing(store.empty(), "SE2321000016-CU01"))
    assert urls(t, "se2321000016-cu01", contract=K.upper()) == ["http://producer/a"]
    assert urls(t, "SE2321000016-CU02") == []


def test_routing_climbs_the_hsa_tree_then_se_then_default() -> None:
    cat = routing(store.empty(), "SE2321000016-CG01", "http://producer/care-giver")
    cat = routing(cat, "SE", "http://producer/root", contract="urn:other:1")
    cat = routing(cat, "*", "http://producer/default", contract="urn:third:1")
    parents = {"SE2321000016-CU01": "SE2321000016-CG01", "SE2321000016-CG01": "SE"}
    t = table(cat, parents)
    assert urls(t, "SE2321000016-CU01") == ["http://producer/care-giver"]  # via its parent
    assert urls(t, "SE2321000016-XX99", contract="urn:other:1") == ["http://producer/root"]  # unknown: parent SE
    assert urls(t, "SE2321000016-CU01", contract="urn:third:1") == ["http://producer/default"]


def test_exact_wins_over_the_tree_and_the_default() -> None:
    cat = routing(store.empty(), "*", "http://producer/default")
    cat = routing(cat, "SE", "http://producer/root")
    cat = routing(cat, "SE2321000016-CU01", "http://producer/exact")
    t = table(cat)
    assert urls(t, "SE2321000016-CU01") == ["http://producer/exact"]
    assert urls(t, "SE2321000016-CU02") == ["http://producer/root"]


def test_validity_edges_are_inclusive() -> None:
    t = table(routing(store.empty(), "SE2321000016-CU01"))
    assert urls(t, "SE2321000016-CU01", START)
    assert urls(t, "SE2321000016-CU01", END)
    assert urls(t, "SE2321000016-CU01", START - timedelta(seconds=1)) == []  # not yet valid
    assert urls(t, "SE2321000016-CU01", END + timedelta(seconds=1)) == []  # expired


def test_expired_exact_routing_falls_back_to_the_default() -> None:
    cat = routing(store.empty(), "SE2321000016-CU01", "http://old", end=NOW - timedelta(days=1))
    cat = routing(cat, "*", "http://default")
    assert urls(table(cat), "SE2321000016-CU01") == ["http://default"]


def test_authorization_order_exact_then_default_then_tree() -> None:
    consumer = "SE2321000016-LAB1"
    parents = {"SE2321000016-CU01": "SE2321000016-CG01"}
    assert table(grant(store.empty(), consumer, "SE2321000016-CU01"), parents).is_authorized(
        consumer.lower(), K, "se2321000016-cu01", NOW)
    assert table(grant(store.empty(), consumer, "*"), parents).is_authorized(consumer, K, "SE2321000016-CU01", NOW)
    assert table(grant(store.empty(), consumer, "SE2321000016-CG01"), parents).is_authorized(
        consumer, K, "SE2321000016-CU01", NOW)
    assert table(grant(store.empty(), consumer, "SE"), parents).is_authorized(consumer, K, "SE2321000016-CU01", NOW)
    t = table(grant(store.empty(), consumer, "SE2321000016-CU02"), parents)
    assert not t.is_authorized(consumer, K, "SE2321000016-CU01", NOW)
    assert not t.is_authorized("SE2321000016-PT01", K, "SE2321000016-CU02", NOW)
    late = table(grant(store.empty(), consumer, "SE2321000016-CU01", start=NOW + timedelta(seconds=1)))
    assert not late.is_authorized(consumer, K, "SE2321000016-CU01", NOW)


def test_overlapping_routings_and_authorizations_break_the_edit_rules() -> None:
    cat = routing(store.empty(), "SE2321000016-CU01", "http://a", start=START, end=END)
    with pytest.raises(CatalogueProblem, match="vagval id 2: overlaps vagval id 1"):
        check_rows(routing(cat, "se2321000016-CU01", "http://b", start=END - timedelta(seconds=1),
                           end=END + timedelta(days=9)), {"vagval": {2}})
    auth = grant(store.empty(), "SE2321000016-LAB1", "*")
    with pytest.raises(CatalogueProblem, match="anropsbehorighet id 2: overlaps anropsbehorighet id 1"):
        check_rows(grant(auth, "se2321000016-lab1", "*"), {"anropsbehorighet": {2}})
    # a whole catalogue that holds them is still readable
    check(routing(cat, "SE2321000016-CU01", "http://b"))


def test_a_routing_that_ends_when_the_next_starts_does_not_overlap_it() -> None:
    cat = routing(store.empty(), "SE2321000016-CU01", "http://old", start=START, end=END)
    cat = routing(cat, "SE2321000016-CU01", "http://new", start=END, end=END + timedelta(days=9))
    check_rows(cat, {"vagval": {1, 2}})
    t = table(cat)
    assert urls(t, "SE2321000016-CU01", END - timedelta(seconds=1)) == ["http://old"]
    assert urls(t, "SE2321000016-CU01", END) == ["http://new"]  # the instant of the hand-over: the next one
    assert urls(t, "SE2321000016-CU01", END + timedelta(seconds=1)) == ["http://new"]


def test_two_routings_for_one_key_are_both_found() -> None:
    cat = routing(routing(store.empty(), "SE2321000016-CU01", "http://a"), "SE2321000016-CU01", "http://b")
    assert sorted(urls(table(cat), "SE2321000016-CU01")) == ["http://a", "http://b"]  # the router answers VP006


def test_edit_rules_name_entity_and_id() -> None:
    cat = routing(store.empty(), "SE2321000016-CU01")
    bad = replace(
        cat,
        call_addresses=(replace(cat.call_addresses[0], url="http"),),
        logical_addresses=(*cat.logical_addresses, replace(cat.logical_addresses[0], id=9, hsa_id="SE 2321")),
        routings=(*cat.routings, replace(cat.routings[0], id=7, valid_to=START - timedelta(days=1))),
    )
    check(bad)  # readable: every relationship points at a row
    text = "\n".join(edit_rule_problems(bad))
    assert "anropsadress id 1: the URL must be 5 to 255 characters" in text
    assert "logiskadress id 9: 'SE 2321' is not an HSA-id" in text
    assert "vagval id 7: tomTidpunkt is before fromTidpunkt" in text
    # a single-row change is judged by its own rows only
    assert edit_rule_problems(bad, {"vagval": {1}}) == []
    assert edit_rule_problems(bad, {"vagval": {7}}) == ["vagval id 7: tomTidpunkt is before fromTidpunkt"]


def test_a_relationship_to_a_missing_row_makes_a_catalogue_unreadable() -> None:
    cat = routing(store.empty(), "SE2321000016-CU01")
    with pytest.raises(CatalogueProblem, match="vagval id 7: no anropsadress with id 99"):
        check(replace(cat, routings=(*cat.routings, replace(cat.routings[0], id=7, call_address_id=99))))
    with pytest.raises(CatalogueProblem, match="vagval id 1: the id is used twice"):
        check(replace(cat, routings=cat.routings * 2))


def test_tree_climbing_can_be_off_for_a_contract() -> None:
    cat = routing(store.empty(), "SE2321000016-CG01", "http://producer/care-giver")
    cat = grant(cat, "SE2321000016-LAB1", "SE2321000016-CG01")
    t = table(cat, {"SE2321000016-CU01": "SE2321000016-CG01"})
    assert urls(t, "SE2321000016-CU01") == ["http://producer/care-giver"]
    assert [r.url for r in t.find_routes(K, "SE2321000016-CU01", NOW, climb=False)] == []
    assert t.is_authorized("SE2321000016-LAB1", K, "SE2321000016-CU01", NOW)
    assert not t.is_authorized("SE2321000016-LAB1", K, "SE2321000016-CU01", NOW, climb=False)
    # the default * still counts without climbing
    t = table(routing(store.empty(), "*", "http://producer/default"))
    assert [r.url for r in t.find_routes(K, "SE2321000016-CU01", NOW, climb=False)] == ["http://producer/default"]


def test_default_routing_by_care_giver_and_care_unit() -> None:
    assert default_routing_parts("VG1#VE1", "#") == ["VE1", "VG1"]
    assert default_routing_parts("VG1#VG1", "#") == ["VG1"]
    assert default_routing_parts("VG1", "#") is None
    assert default_routing_parts("VG1#VE1", "") is None
    cat = routing(store.empty(), "SE2321000016-CG01", "http://producer/care-giver")
    cat = routing(cat, "*", "http://producer/default", contract="urn:other:1")
    cat = grant(cat, "SE2321000016-LAB1", "SE2321000016-CG01")
    cat = grant(cat, "SE2321000016-LAB1", "*", contract="urn:other:1")
    t = table(cat)
    # the care unit has no routing of its own: the care giver's is used
    assert urls(t, "SE2321000016-CG01#SE2321000016-CU01") == ["http://producer/care-giver"]
    assert t.is_authorized("SE2321000016-LAB1", K, "SE2321000016-CG01#SE2321000016-CU01", NOW)
    # neither * nor the tree counts for such an address
    assert urls(t, "SE2321000016-CG01#SE2321000016-CU01", contract="urn:other:1") == []
    assert not t.is_authorized("SE2321000016-LAB1", "urn:other:1", "SE2321000016-CG01#SE2321000016-CU01", NOW)
    assert not t.is_authorized("SE2321000016-LAB1", K, "X#Y#SE2321000016-CG01", NOW)  # at most two parts
    # with the form turned off the address is one HSA-id: no routing of its own, then the default
    assert [r.url for r in t.find_routes("urn:other:1", "SE2321000016-CG01#SE2321000016-CU01", NOW, delimiter="")] == [
        "http://producer/default"]


def test_a_tak_export_with_every_entity_kind_loads_unchanged() -> None:
    document = json.loads((DATA / "tak-export.json").read_text(encoding="utf-8"))
    cat = parse(document)
    assert (cat.version, cat.published_by, cat.format_version) == (42, "tak-admin", 1)
    counts = [len(x) for x in (cat.profiles, cat.contracts, cat.logical_addresses, cat.components, cat.call_addresses,
                               cat.authorizations, cat.routings, cat.filters, cat.categorizations)]
    assert counts == [2, 2, 3, 3, 2, 3, 2, 1, 2]
    assert cat.authorizations[2].valid_from == datetime(2026, 5, 31, 22, 0, tzinfo=UTC)  # +0200 read right
    t = RoutingTable.build(cat)
    (route,) = t.find_routes(K, "SE5565594230-EPH", NOW)
    assert route.url.endswith("/GetOrders/1/rivtabp21")
    assert route.profile == "RIVTABP21"
    (record,) = t.addressees("SE2321000016-LAB1", K, NOW)
    assert record.filters == (("urn:riv:clinicalprocess:activity:selfsampling", ("LAB", "HOME_KIT")),)


def test_export_import_round_trip_is_identical() -> None:
    first = to_document(parse(json.loads((DATA / "tak-export.json").read_text(encoding="utf-8"))))
    again = to_document(parse(json.loads(json.dumps(first))))
    assert json.dumps(again) == json.dumps(first)
    original = json.loads((DATA / "tak-export.json").read_text(encoding="utf-8"))
    # what TAK wrote comes back as TAK wrote it (only the absent pubversion is written out as null)
    assert first["data"]["anropsbehorighet"] == original["data"]["anropsbehorighet"]
    assert first["data"]["vagval"] == original["data"]["vagval"]
    assert (first["version"], first["tidpunkt"]) == ("42", "2026-03-10T14:05:02+0100")


@pytest.mark.parametrize(
    "path, value, problem",
    [
        (("vagval", 0, "relationships", "anropsadress"), 999, "vagval id 601: no anropsadress with id 999"),
        (("vagval", 1, "fromTidpunkt"), "yesterday", "vagval id 602: field 'fromTidpunkt': is not a time"),
        (("anropsbehorighet", 0, "relationships", "tjanstekomponent"), "x", "anropsbehorighet id 501: field 'relationships.tjanstekomponent'"),
        (("tjanstekontrakt", 0, "majorVersion"), "one", "tjanstekontrakt id 101: field 'majorVersion': must be an integer"),
    ],
)
def test_import_errors_name_entity_and_id(path: tuple[object, ...], value: object, problem: str) -> None:
    document = json.loads((DATA / "tak-export.json").read_text(encoding="utf-8"))
    node = document["data"]
    for key in path[:-1]:
        node = node[key]  # type: ignore[index]
    node[path[-1]] = value  # type: ignore[index]
    with pytest.raises(CatalogueProblem) as e:
        parse(document)
    assert any(problem in p for p in e.value.problems), e.value.problems


def test_hsa_tree_stops_at_se_even_with_a_loop() -> None:
    tree = HsaTree({"A": "B", "B": "A"})
    assert tree.ancestors("A") == ["B", "SE"]
    assert HsaTree().ancestors("SE2321000016-CU01") == ["SE"]


def test_an_export_script_dump_loads_with_its_old_rows_as_warnings() -> None:
    document = json.loads((DATA / "tak-export-script-dump.json").read_text(encoding="utf-8"))
    cat = parse(document)  # tjanstekonsument, tidpunkt_version, a UTC tidpunkt: all read
    assert (cat.version, cat.published) == (1187, datetime(2024, 9, 30, 6, 0, 1, tzinfo=UTC))
    consumers = {c.id: c.hsa_id for c in cat.components}
    assert sorted(consumers[a.consumer_id] for a in cat.authorizations) == [
        "Journalsystem Väst", "Journalsystem Väst", "SE2321000016-LAB1"]
    warnings = edit_rule_problems(cat)
    assert warnings == [
        "logiskadress id 101: 'Ärendelådan' is not an HSA-id, '*' or 'SE'",
        "logiskadress id 102: 'SE 12345' is not an HSA-id, '*' or 'SE'",
        "logiskadress id 103: 'SE2321000016-LS\\u2028' is not an HSA-id, '*' or 'SE'",
        "tjanstekomponent id 202: 'Journalsystem Väst' is not an HSA-id",
        "vagval id 503: overlaps vagval id 502 for the same contract and logical address",
        "anropsbehorighet id 401: overlaps anropsbehorighet id 400 for the same consumer, contract and logical address",
    ]  # vagval 500 hands over to 501 at one instant: no overlap
    t = RoutingTable.build(cat)
    schedule = "urn:riv:crm:scheduling:GetSubjectOfCareScheduleResponder:1"
    assert len(t.find_routes(schedule, "Ärendelådan", NOW)) == 2  # routed as published: the router says VP006
    assert [r.url for r in t.find_routes(schedule, "SE 12345", NOW)] == [
        "https://tidbok.example/GetSubjectOfCareSchedule/1/rivtabp21"]
    assert t.is_authorized("Journalsystem Väst", schedule, "SE2321000016-A1B2", NOW)
    # written back as TAK publishes it (tjanstekomponent), and read again to the same catalogue
    again = parse(json.loads(json.dumps(to_document(cat))))
    assert again == cat


def test_a_large_published_version_loads() -> None:
    import time

    from tests.tak_documents import published_version

    document = published_version(3000)
    started = time.perf_counter()
    cat = parse(document)
    warnings = edit_rule_problems(cat)
    t = RoutingTable.build(cat)
    seconds = time.perf_counter() - started
    assert len(cat.routings) + len(cat.authorizations) >= 3000
    assert t.routing_count == len(cat.routings)
    kinds = {w.split(" id ")[0] for w in warnings}
    assert kinds == {"logiskadress", "tjanstekomponent", "vagval", "anropsbehorighet"}
    # the hand-overs at one instant are no overlap: only the key made with two routings is reported
    assert len([w for w in warnings if "overlaps vagval" in w]) == 1
    assert len([w for w in warnings if "overlaps anropsbehorighet" in w]) == len(cat.authorizations) - len(
        {(a.consumer_id, a.contract_id, a.logical_address_id) for a in cat.authorizations})
    assert seconds < 5, seconds
