"""The demo routing catalogue: who may call the national results contract."""

from __future__ import annotations

from contracts.interactions import GET_LABORATORY_ORDER_OUTCOME
from eph import demo
from eph.demo.routing import roles


def test_the_aggregator_may_call_the_national_results_contract_only() -> None:
    assert roles()[demo.AGGREGATOR] == (GET_LABORATORY_ORDER_OUTCOME,)


def test_the_journal_system_may_call_it() -> None:
    assert GET_LABORATORY_ORDER_OUTCOME in roles()[demo.EHR_A]


def test_the_citizen_service_may_not() -> None:
    assert GET_LABORATORY_ORDER_OUTCOME not in roles()[demo.CITIZEN_SERVICE]


def test_lab_systems_may_not() -> None:
    assert GET_LABORATORY_ORDER_OUTCOME not in roles()[demo.LAB_A]
