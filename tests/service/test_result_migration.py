"""Migration 0006: stored results in the contract's shape, and back on downgrade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select

from eph.migrate import alembic_config, upgrade
from service_domain.model import LaboratoryResult
from service_domain.persistence import codec
from service_domain.persistence.database import Database
from service_domain.persistence.tables import lab_result as lab_result_table
from tests.conftest import TEST_POSTGRES, _new_postgres_database, seeded
from tests.service.conftest import assign, lab_result, new_patient, order, set_result


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)] if TEST_POSTGRES else ["sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own (the test migrates it down and up), with the demo data."""
    if request.param == "sqlite":
        yield seeded(f"sqlite:///{tmp_path / 'eph.sqlite3'}")
    else:
        for fresh in _new_postgres_database():
            yield seeded(fresh)


@pytest.fixture
def stored(url: str) -> Iterator[tuple[Database, LaboratoryResult]]:
    db = Database(url)
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id
    assert oid is not None
    r = lab_result(oid, 1)
    set_result(db, r)
    yield db, r
    db.dispose()


def analysis_stored(db: Database) -> dict[str, Any]:
    with db.engine.connect() as conn:
        (content,) = conn.execute(select(lab_result_table.c.content)).one()
    return content["analysisResult"][0]  # type: ignore[no-any-return]


def test_a_downgrade_puts_the_value_back_under_value(url: str, stored: tuple[Database, LaboratoryResult]) -> None:
    db, _ = stored
    command.downgrade(alembic_config(url), "0005")
    assert analysis_stored(db)["value"] == {"pq": {"value": "41", "unit": "mmol/mol"}}


def test_a_downgrade_leaves_no_value_element_beside_the_code(url: str, stored: tuple[Database, LaboratoryResult]) -> None:
    db, _ = stored
    command.downgrade(alembic_config(url), "0005")
    assert "pq" not in analysis_stored(db)


def test_the_upgrade_stores_the_contract_shape(url: str, stored: tuple[Database, LaboratoryResult]) -> None:
    db, r = stored
    command.downgrade(alembic_config(url), "0005")
    upgrade(url)
    assert analysis_stored(db) == codec.result_to_json(r)["analysisResult"][0]


def test_a_result_stored_before_the_upgrade_reads_the_same_after_it(url: str, stored: tuple[Database, LaboratoryResult]) -> None:
    db, r = stored
    command.downgrade(alembic_config(url), "0005")
    upgrade(url)
    with db.uow() as uow:
        (version,) = uow.results.versions(r.order_id)
    assert version.result == r


def test_a_downgrade_writes_back_the_empty_lists_the_older_reader_needs(
        url: str, stored: tuple[Database, LaboratoryResult]) -> None:
    db, _ = stored
    command.downgrade(alembic_config(url), "0005")
    with db.engine.connect() as conn:
        (content,) = conn.execute(select(lab_result_table.c.content)).one()
    assert content["specimenIdentifier"] == []
