"""The demo routing catalogue: who may call the national results contract, and the engagement
index stand-in's routings and authorizations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from consumers.engagement_index.config import ENGAGEMENT_INDEX
from contracts.interactions import FIND_CONTENT, GET_LABORATORY_ORDER_OUTCOME, PROCESS_NOTIFICATION, UPDATE
from eph import demo
from eph.demo.routing import catalogue, roles, with_engagement_index
from routing import store
from routing.lookup import RoutingTable


def test_the_aggregator_may_call_the_national_results_contract_only() -> None:
    assert roles()[demo.AGGREGATOR] == (GET_LABORATORY_ORDER_OUTCOME,)


def test_the_journal_system_may_call_it() -> None:
    assert GET_LABORATORY_ORDER_OUTCOME in roles()[demo.EHR_A]


def test_the_citizen_service_may_not() -> None:
    assert GET_LABORATORY_ORDER_OUTCOME not in roles()[demo.CITIZEN_SERVICE]


def test_lab_systems_may_not() -> None:
    assert GET_LABORATORY_ORDER_OUTCOME not in roles()[demo.LAB_A]


# ------------------------------------------------------------------ the engagement index stand-in

INDEX_URL = "http://127.0.0.1:8084"
SUBSCRIBER = "SE5565594230-SUB1"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _table() -> RoutingTable:
    return RoutingTable.build(with_engagement_index(store.empty(), INDEX_URL, {SUBSCRIBER: "http://127.0.0.1:9/n"}, NOW))


def test_update_is_routed_to_the_index_at_its_logical_address() -> None:
    [route] = _table().find_routes(UPDATE.responder_ns, ENGAGEMENT_INDEX, NOW)
    assert route.url == INDEX_URL + "/ei" + UPDATE.path


def test_find_content_is_routed_to_the_index_at_its_logical_address() -> None:
    [route] = _table().find_routes(FIND_CONTENT.responder_ns, ENGAGEMENT_INDEX, NOW)
    assert route.url == INDEX_URL + "/ei" + FIND_CONTENT.path


def test_the_service_may_update_the_index() -> None:
    assert _table().is_authorized(demo.SERVICE_ADDRESS, UPDATE.responder_ns, ENGAGEMENT_INDEX, NOW)


@pytest.mark.parametrize("caller", [demo.AGGREGATOR, demo.EHR_A, demo.LAB_A, demo.CITIZEN_SERVICE])
def test_only_the_service_may_update_the_index(caller: str) -> None:
    assert not _table().is_authorized(caller, UPDATE.responder_ns, ENGAGEMENT_INDEX, NOW)


@pytest.mark.parametrize("caller", [demo.AGGREGATOR, demo.EHR_A])
def test_the_aggregator_and_the_journal_system_may_find_content(caller: str) -> None:
    assert _table().is_authorized(caller, FIND_CONTENT.responder_ns, ENGAGEMENT_INDEX, NOW)


@pytest.mark.parametrize("caller", [demo.LAB_A, demo.CITIZEN_SERVICE, demo.SAMPLING_A])
def test_other_systems_may_not_find_content(caller: str) -> None:
    assert not _table().is_authorized(caller, FIND_CONTENT.responder_ns, ENGAGEMENT_INDEX, NOW)


def test_the_index_may_notify_its_subscriber() -> None:
    assert _table().is_authorized(ENGAGEMENT_INDEX, PROCESS_NOTIFICATION.responder_ns, SUBSCRIBER, NOW)


def test_the_notification_is_routed_to_the_subscriber() -> None:
    [route] = _table().find_routes(PROCESS_NOTIFICATION.responder_ns, SUBSCRIBER, NOW)
    assert route.url == "http://127.0.0.1:9/n"


def test_the_demo_catalogue_routes_the_index_when_given_its_address() -> None:
    table = RoutingTable.build(catalogue("https://127.0.0.1:8081", NOW, engagement_index_url=INDEX_URL))
    assert len(table.find_routes(UPDATE.responder_ns, ENGAGEMENT_INDEX, NOW)) == 1


def test_the_demo_catalogue_leaves_the_index_out_without_its_address() -> None:
    table = RoutingTable.build(catalogue("https://127.0.0.1:8081", NOW))
    assert table.find_routes(UPDATE.responder_ns, ENGAGEMENT_INDEX, NOW) == []


# ------------------------------------------------------------------ the demo journal system as the index's subscriber

JOURNAL_URL = "http://127.0.0.1:8085"


def _demo_table() -> RoutingTable:
    from eph.demo.routing import demo_subscribers

    return RoutingTable.build(catalogue("https://127.0.0.1:8081", NOW, engagement_index_url=INDEX_URL,
                                        subscribers=demo_subscribers(JOURNAL_URL)))


def test_process_notification_is_routed_to_the_journal_system_at_its_hsa_id() -> None:
    [route] = _demo_table().find_routes(PROCESS_NOTIFICATION.responder_ns, demo.EHR_A, NOW)
    assert route.url == JOURNAL_URL + "/ehr" + PROCESS_NOTIFICATION.path


def test_the_index_may_notify_the_journal_system() -> None:
    assert _demo_table().is_authorized(ENGAGEMENT_INDEX, PROCESS_NOTIFICATION.responder_ns, demo.EHR_A, NOW)


def test_the_journal_system_may_read_the_results_it_is_told_of() -> None:
    table = _demo_table()
    assert table.is_authorized(demo.EHR_A, GET_LABORATORY_ORDER_OUTCOME.responder_ns, demo.SERVICE_ADDRESS, NOW)


def test_the_aggregator_may_ask_the_index() -> None:
    assert _demo_table().is_authorized(demo.AGGREGATOR, FIND_CONTENT.responder_ns, ENGAGEMENT_INDEX, NOW)


def test_the_aggregator_may_read_the_results_the_index_names() -> None:
    table = _demo_table()
    assert table.is_authorized(demo.AGGREGATOR, GET_LABORATORY_ORDER_OUTCOME.responder_ns, demo.SERVICE_ADDRESS, NOW)
