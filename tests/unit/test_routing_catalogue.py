"""The routing catalogue: rules, look-ups, and TAK's published-version JSON."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from routing import store
from routing.catalogue import Catalogue, CatalogueProblem, HsaTree, RoutingTable, check
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
    assert urls(t, "SE2321000016-CU01", START) and urls(t, "SE2321000016-CU01", END)
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


def test_overlapping_routings_and_authorizations_are_refused() -> None:
    cat = routing(store.empty(), "SE2321000016-CU01", "http://a", start=START, end=END)
    with pytest.raises(CatalogueProblem, match="vagval id 2: overlaps vagval id 1"):
        check(routing(cat, "se2321000016-CU01", "http://b", start=END, end=END + timedelta(days=9)))
    check(routing(cat, "SE2321000016-CU01", "http://b", start=END + timedelta(seconds=1), end=END + timedelta(days=9)))
    auth = grant(store.empty(), "SE2321000016-LAB1", "*")
    with pytest.raises(CatalogueProblem, match="anropsbehorighet id 2: overlaps anropsbehorighet id 1"):
        check(grant(auth, "se2321000016-lab1", "*"))


def test_rules_name_entity_and_id() -> None:
    cat = routing(store.empty(), "SE2321000016-CU01")
    bad = replace(
        cat,
        call_addresses=(replace(cat.call_addresses[0], url="http"),),
        logical_addresses=(*cat.logical_addresses, replace(cat.logical_addresses[0], id=9, hsa_id="SE 2321")),
        routings=(*cat.routings, replace(cat.routings[0], id=7, call_address_id=99, valid_to=START - timedelta(days=1))),
    )
    with pytest.raises(CatalogueProblem) as e:
        check(bad)
    text = "\n".join(e.value.problems)
    assert "anropsadress id 1: the URL must be 5 to 255 characters" in text
    assert "logiskadress id 9: 'SE 2321' is not an HSA-id" in text
    assert "vagval id 7: no anropsadress with id 99" in text
    assert "vagval id 7: tomTidpunkt is before fromTidpunkt" in text


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
    assert route.url.endswith("/GetOrders/1/rivtabp21") and route.profile == "RIVTABP21"
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
        (("vagval", 1, "relationships", "anropsadress"), 401, "vagval id 602: overlaps vagval id 601"),
    ],
)
def test_import_errors_name_entity_and_id(path: tuple[object, ...], value: object, problem: str) -> None:
    document = json.loads((DATA / "tak-export.json").read_text(encoding="utf-8"))
    node = document["data"]
    for key in path[:-1]:
        node = node[key]  # type: ignore[index]
    node[path[-1]] = value  # type: ignore[index]
    if path == ("vagval", 1, "relationships", "anropsadress"):
        document["data"]["vagval"][1]["relationships"]["tjanstekontrakt"] = 101  # same key as vagval 601
    with pytest.raises(CatalogueProblem) as e:
        parse(document)
    assert any(problem in p for p in e.value.problems), e.value.problems


def test_hsa_tree_stops_at_se_even_with_a_loop() -> None:
    tree = HsaTree({"A": "B", "B": "A"})
    assert tree.ancestors("A") == ["B", "SE"]
    assert HsaTree().ancestors("SE2321000016-CU01") == ["SE"]
