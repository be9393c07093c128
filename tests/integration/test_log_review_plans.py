"""The log review's searches each read the audit records through their own index on PostgreSQL,
with a few hundred thousand records stored (tools.bench.seed.seed_audit): the plans of the
statements a search runs (tools.bench.log_review.Plans)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eph import demo
from service_domain import services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.persistence.database import Database
from service_domain.services import LogFilters
from tests.conftest import _new_postgres_database, seeded
from tools.bench import seed as bulk
from tools.bench.log_review import Plans

pytestmark = pytest.mark.postgres

RECORDS = 300_000


@pytest.fixture(scope="module")
def db() -> Iterator[Database]:
    for url in _new_postgres_database():
        database = Database(seeded(url))
        bulk.seed(database, 2_000)
        bulk.seed_audit(database, RECORDS)
        yield database
        database.dispose()


def plans_of(db: Database, filters: LogFilters) -> list[str]:
    plans = Plans(db)
    with plans.capturing():
        services.search_log(db.uow(), CallContext.operator(utcnow()), filters, care_giver=demo.CARE_GIVER_A)
    return plans.explain()


@pytest.mark.parametrize(("filters", "index"), [
    (LogFilters(), "ix_audit_record_care_giver_time"),
    (LogFilters(staff="SE2321000016-B0007"), "ix_audit_record_care_giver_actor"),
    (LogFilters(care_unit="SE2321000016-CU13"), "ix_audit_record_care_giver_unit"),
    (LogFilters(system=demo.LAB_A), "ix_audit_record_care_giver_system"),
    (LogFilters(interaction="GetAccessLog"), "ix_audit_record_care_giver_interaction"),
])
def test_a_search_reads_through_its_index(db: Database, filters: LogFilters, index: str) -> None:
    assert [index in plan and "SEQ SCAN" not in plan for plan in plans_of(db, filters)] == [True]
