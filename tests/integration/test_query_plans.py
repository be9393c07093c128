"""Every GetOrders selector finds its orders through an index on PostgreSQL, with many orders
stored: the plan of the one statement that reads a page and records the read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection

from eph import demo
from service_domain.persistence.database import Database
from service_domain.ports import OrderQuery
from tests.conftest import _new_postgres_database, seeded
from tools.bench import plans
from tools.bench import seed as bulk

ORDERS = 20_000


@pytest.fixture(scope="module")
def conn() -> Iterator[Connection]:
    for url in _new_postgres_database():
        db = Database(seeded(url))
        bulk.seed(db, ORDERS)  # analyses the tables when done
        with db.engine.connect() as c:
            yield c
        db.dispose()


def test_no_selector_reads_a_whole_table(conn: Connection) -> None:
    found = plans.all_plans(conn)
    assert {p.selector for p in found} >= {"by lab (paged)", "by patient", "by referral code", "by order id",
                                           "by sampling unit (paged)"}
    for plan in found:
        assert plan.full_scans == [], f"{plan.selector}:\n{plan.text}"
        assert plan.order_index is not None, f"{plan.selector}:\n{plan.text}"


def test_each_selector_uses_its_own_index(conn: Connection) -> None:
    by_name = {p.selector: p for p in plans.all_plans(conn)}
    assert by_name["by patient"].order_index == "ix_patient_order_patient_seq"
    assert by_name["by referral code"].order_index == "uq_patient_order_referral"
    assert by_name["by order id"].order_index == "uq_patient_order_order_id"
    # a lab with few of the orders is found through the lab's index, not by walking every order
    small = plans.explain(conn, "by a small lab", OrderQuery(performing_lab=demo.LAB_B,
                                                              care_givers=frozenset({demo.CARE_GIVER_B})), 0)
    assert small.order_index == "ix_patient_order_lab_seq", small.text
    site = plans.explain(conn, "by a small site", OrderQuery(sampling_unit=demo.SITE_B,
                                                             care_givers=frozenset({demo.CARE_GIVER_B})), 0)
    assert site.order_index == "ix_patient_order_unit_seq", site.text
