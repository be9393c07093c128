"""The engagement index stand-in's store: an engagement's key, the idempotent Update, deletion,
and FindContent's filters (on a SQLite database of its own)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from consumers.engagement_index.store import Engagement, EngagementStore, Transaction

RESIDENT = "191212121212"
DOMAIN = "riv:clinicalprocess:healthcond:actoutcome"
FIRST = "20261201100000"
LATER = "20261202100000"
BASE = Engagement(
    registeredResidentIdentification=RESIDENT, serviceDomain=DOMAIN, categorization="CTNG",
    logicalAddress="SE5565594230-EPH", businessObjectInstanceIdentifier="O-1", clinicalProcessInterestId="1",
    sourceSystem="SE5565594230-EPH", dataController="SE2321000016", owner="SE5565594230-EI",
    mostRecentContent="20261130120000",
)


@pytest.fixture()
def store(tmp_path: Path) -> EngagementStore:
    s = EngagementStore(f"sqlite:///{tmp_path / 'ei' / 'index.sqlite3'}")
    s.create()
    return s


def _put(store: EngagementStore, e: Engagement, now: str = FIRST, delete: bool = False) -> list[Transaction]:
    return store.apply([Transaction(delete, e)], now)


def test_a_new_engagement_is_stored(store: EngagementStore) -> None:
    _put(store, BASE)
    assert [replace(e, creationTime=None, updateTime=None) for e in store.find(RESIDENT, DOMAIN)] == [BASE]


def test_a_new_engagement_gets_the_index_time_as_creation_time(store: EngagementStore) -> None:
    _put(store, BASE)
    assert store.find(RESIDENT, DOMAIN)[0].creationTime == FIRST


def test_an_update_of_the_same_key_keeps_one_engagement(store: EngagementStore) -> None:
    _put(store, BASE)
    _put(store, replace(BASE, mostRecentContent="20261202090000"), LATER)
    assert len(store.find(RESIDENT, DOMAIN)) == 1


def test_an_update_of_the_same_key_changes_the_most_recent_content(store: EngagementStore) -> None:
    _put(store, BASE)
    _put(store, replace(BASE, mostRecentContent="20261202090000"), LATER)
    assert store.find(RESIDENT, DOMAIN)[0].mostRecentContent == "20261202090000"


def test_an_update_of_the_same_key_changes_the_update_time(store: EngagementStore) -> None:
    _put(store, BASE)
    _put(store, BASE, LATER)
    assert store.find(RESIDENT, DOMAIN)[0].updateTime == LATER


def test_an_update_of_the_same_key_keeps_the_creation_time(store: EngagementStore) -> None:
    _put(store, BASE)
    _put(store, BASE, LATER)
    assert store.find(RESIDENT, DOMAIN)[0].creationTime == FIRST


def test_the_same_update_twice_is_stored_once(store: EngagementStore) -> None:
    _put(store, BASE)
    _put(store, BASE)
    assert len(store.find(RESIDENT, DOMAIN)) == 1


@pytest.mark.parametrize("field", ["categorization", "logicalAddress", "businessObjectInstanceIdentifier",
                                   "sourceSystem", "dataController", "owner", "clinicalProcessInterestId"])
def test_a_different_key_field_is_another_engagement(store: EngagementStore, field: str) -> None:
    _put(store, BASE)
    _put(store, replace(BASE, **{field: getattr(BASE, field) + "X"}))
    assert len(store.find(RESIDENT, DOMAIN)) == 2


def test_the_most_recent_content_is_not_part_of_the_key() -> None:
    assert replace(BASE, mostRecentContent=LATER).key == BASE.key


def test_a_delete_removes_the_engagement(store: EngagementStore) -> None:
    _put(store, BASE)
    _put(store, BASE, delete=True)
    assert store.find(RESIDENT, DOMAIN) == []


def test_a_delete_is_told_to_subscribers_as_a_delete(store: EngagementStore) -> None:
    _put(store, BASE)
    assert [t.delete for t in _put(store, BASE, delete=True)] == [True]


def test_a_delete_of_an_unknown_engagement_changes_nothing(store: EngagementStore) -> None:
    assert _put(store, BASE, delete=True) == []


def test_find_needs_the_resident(store: EngagementStore) -> None:
    _put(store, BASE)
    assert store.find("191111111111", DOMAIN) == []


def test_find_needs_the_service_domain(store: EngagementStore) -> None:
    _put(store, BASE)
    assert store.find(RESIDENT, "riv:crm:scheduling") == []


@pytest.mark.parametrize("field", ["categorization", "logicalAddress", "businessObjectInstanceIdentifier",
                                   "sourceSystem", "dataController", "owner", "clinicalProcessInterestId"])
def test_find_narrows_by_an_exact_filter(store: EngagementStore, field: str) -> None:
    _put(store, BASE)
    other = replace(BASE, **{field: getattr(BASE, field) + "X"})
    _put(store, other)
    assert [getattr(e, field) for e in store.find(RESIDENT, DOMAIN, **{field: getattr(other, field)})] == [getattr(other, field)]


def test_find_by_most_recent_content_keeps_those_at_the_time(store: EngagementStore) -> None:
    _put(store, BASE)
    assert len(store.find(RESIDENT, DOMAIN, mostRecentContent=BASE.mostRecentContent)) == 1


def test_find_by_most_recent_content_leaves_out_older_ones(store: EngagementStore) -> None:
    _put(store, BASE)
    assert store.find(RESIDENT, DOMAIN, mostRecentContent=LATER) == []


def test_find_refuses_an_unknown_filter(store: EngagementStore) -> None:
    with pytest.raises(ValueError):
        store.find(RESIDENT, DOMAIN, colour="blue")


def test_the_stored_engagements_survive_a_new_store_on_the_same_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    first = EngagementStore(url)
    first.create()
    _put(first, BASE)
    again = EngagementStore(url)
    again.create()
    assert len(again.find(RESIDENT, DOMAIN)) == 1
