"""Operations are one enum: every interaction, staff operation and the housekeeping, each with
its rule, the service function that performs it, and its words in the patient's access log."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from consumers.citizen_web import texts
from contracts.interactions import NATIONAL_INTERACTIONS, SELFSAMPLING_INTERACTIONS
from service_domain import access, services, staff
from service_domain.model import SystemKind
from service_domain.operations import INTERACTIONS, SERVICE_OWN, Operation

ROOT = Path(__file__).resolve().parents[2]
STAFF_WEB_OWN = sorted(set(Operation) - INTERACTIONS - SERVICE_OWN)
# Lists and registers that show no patient's data: nothing of theirs reaches the patient's log.
NOT_IN_THE_PATIENTS_LOG = {
    Operation.GET_OFFER_CATALOG,
    Operation.RESULT_WORKLIST,
    Operation.FOLLOW_UP_QUEUE,
    Operation.REVIEW_QUEUE,
    Operation.MANAGE_CATALOGUE,
    Operation.MANAGE_STAFF,
    Operation.MANAGE_REGION,
    Operation.REGION_STATISTICS,
}


def test_the_interactions_are_the_contracts() -> None:
    assert {Operation(i.name) for i in SELFSAMPLING_INTERACTIONS + NATIONAL_INTERACTIONS} == INTERACTIONS


@pytest.mark.parametrize("operation", sorted(INTERACTIONS))
def test_every_interaction_has_its_access_rule(operation: Operation) -> None:
    assert access.INTERACTIONS_BY_KIND[operation]


@pytest.mark.parametrize("operation", STAFF_WEB_OWN)
def test_every_staff_web_operation_needs_a_staff_function(operation: Operation) -> None:
    assert staff.OPERATION_FUNCTIONS[operation]


@pytest.mark.parametrize("operation", sorted(set(staff.OPERATION_FUNCTIONS) & INTERACTIONS))
def test_an_interaction_staff_may_make_is_one_the_staff_web_may_call(operation: Operation) -> None:
    assert SystemKind.STAFF_UI in access.INTERACTIONS_BY_KIND[operation]


def _operations_the_staff_web_performs() -> list[Operation]:
    """The operations of the service functions the staff web's modules use (``services.X``)."""
    used: set[Operation] = set()
    for path in sorted((ROOT / "staff_web").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "services":
                operation = getattr(getattr(services, node.attr), "operation", None)
                if operation is not None:
                    used.add(operation)
    return sorted(used)


def test_the_staff_web_is_seen_to_perform_operations() -> None:
    assert Operation.RESULT_WORKLIST in _operations_the_staff_web_performs()


@pytest.mark.parametrize("operation", _operations_the_staff_web_performs())
def test_every_operation_the_staff_web_performs_has_its_staff_function_rule(operation: Operation) -> None:
    assert staff.OPERATION_FUNCTIONS[operation]


@pytest.mark.parametrize("operation", sorted(set(Operation) - SERVICE_OWN))
def test_every_operation_is_performed_by_a_service_function(operation: Operation) -> None:
    assert services.PERFORMED_BY.get(operation)


@pytest.mark.parametrize("operation", sorted(INTERACTIONS))
def test_an_interaction_is_performed_by_one_service_function(operation: Operation) -> None:
    assert len(services.PERFORMED_BY[operation]) == 1


def test_a_service_function_names_its_operation() -> None:
    assert services.get_orders.operation is Operation.GET_ORDERS  # type: ignore[attr-defined]


@pytest.mark.parametrize("operation", sorted(set(Operation) - NOT_IN_THE_PATIENTS_LOG))
def test_the_patients_access_log_has_words_for_every_operation_it_shows(operation: Operation) -> None:
    assert texts.ACCESS[operation]


def test_an_operation_the_e_service_does_not_know_reads_by_its_action() -> None:
    assert texts.access("SomethingNew", "WRITE") == texts.access(Operation.SET_RESULT, "WRITE")
