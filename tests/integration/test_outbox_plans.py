"""The worker's statements on PostgreSQL read the outbox through its state index, not the
whole table, with many delivered events stored (as after weeks of results)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, insert, text
from sqlalchemy.sql import ClauseElement

from service_domain.model import EventKind, EventState
from service_domain.persistence.database import Database
from service_domain.persistence.outbox import claim_statement, counts_statement
from service_domain.persistence.tables import outbox_event
from tests.conftest import _new_postgres_database, seeded

DELIVERED = 50_000
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def conn() -> Iterator[Connection]:
    for url in _new_postgres_database():
        db = Database(seeded(url))
        with db.engine.begin() as c:
            rows = [{
                "event_id": f"e{n}", "kind": EventKind.INDEX_UPDATE.value, "payload": {}, "created_time": NOW,
                "state": EventState.DELIVERED.value if n >= 20 else EventState.PENDING.value, "attempts": 1,
                "next_attempt": NOW - timedelta(seconds=n), "delivered_time": NOW if n >= 20 else None,
            } for n in range(DELIVERED)]
            c.execute(insert(outbox_event), rows)
            c.execute(text("ANALYZE outbox_event"))
        with db.engine.connect() as c:
            yield c
        db.dispose()


def plan(conn: Connection, statement: ClauseElement) -> str:
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    rows = conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).all()
    return "\n".join(r[0] for r in rows)


def test_the_claim_reads_no_whole_table(conn: Connection) -> None:
    found = plan(conn, claim_statement(NOW, [EventKind.INDEX_UPDATE], "w", NOW + timedelta(minutes=2), 50))
    assert "Seq Scan on outbox_event" not in found, found


def test_the_counts_read_no_whole_table(conn: Connection) -> None:
    found = plan(conn, counts_statement())
    assert "Seq Scan on outbox_event" not in found, found
