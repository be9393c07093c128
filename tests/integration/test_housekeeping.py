"""The running service expires what is past validTo by itself, one process at a time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update

from eph import demo
from eph.housekeeping import LEASE, Housekeeping
from eph.migrate import upgrade
from service_domain.model import RetentionKind
from service_domain.persistence.database import Database
from service_domain.persistence.tables import patient_order, retention_run
from tests.conftest import seeded
from tests.support import ServiceProcess


def test_the_server_expires_unsampled_orders_past_valid_to(tmp_path: Path) -> None:
    url = seeded(f"sqlite:///{tmp_path / 'hk.sqlite3'}")  # the demo data has two ORDERED orders
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(update(patient_order).values(valid_to=datetime(2020, 1, 1, tzinfo=UTC)))
    service = ServiceProcess(url, tmp_path / "service.log").start(EPH_HOUSEKEEPING_SECONDS="1")
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                statuses = set(conn.execute(select(patient_order.c.status)).scalars())
            # the round's log line follows its commits: wait for both
            if statuses == {"EXPIRED"} and "housekeeping round:" in service.log_text():
                break
            time.sleep(0.3)
        assert statuses == {"EXPIRED"}
        assert "housekeeping round: expired offers=0 orders=2" in service.log_text()
    finally:
        service.stop()
        engine.dispose()


def test_the_server_runs_retention_and_logs_counts_only(tmp_path: Path) -> None:
    url = seeded(f"sqlite:///{tmp_path / 'rt.sqlite3'}")
    engine = create_engine(url)
    service = ServiceProcess(url, tmp_path / "service.log").start(EPH_HOUSEKEEPING_SECONDS="1")
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and "retention run:" not in service.log_text():
            time.sleep(0.3)
        with engine.connect() as conn:
            kinds = set(conn.execute(select(retention_run.c.kind)).scalars())
        assert kinds == {k.value for k in RetentionKind}
        assert not any(p in service.log_text() for p in demo.DEMO_PATIENTS.values())
    finally:
        service.stop()
        engine.dispose()


def test_one_process_at_a_time_holds_the_housekeeping_lease(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    first, second = Database(empty_database_url), Database(empty_database_url)  # two processes' engines
    now = datetime.now(UTC)
    a, b = Housekeeping(first, 60, clock=lambda: now), Housekeeping(second, 60, clock=lambda: now)
    try:
        assert a.run_once() is True
        assert b.run_once() is False  # a holds the lease
        assert a.run_once() is True  # and renews it
        assert not second.try_lease(LEASE, b.holder, now + timedelta(seconds=119), timedelta(seconds=120))
        # a's process died: its lease runs out after two rounds, and b takes over
        later = now + timedelta(seconds=121)
        b.clock = lambda: later
        assert b.run_once() is True
        assert not first.try_lease(LEASE, a.holder, later, timedelta(seconds=120))
    finally:
        first.dispose()
        second.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_lease_takers_get_it_once(database_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    dbs = [Database(database_url) for _ in range(8)]
    now = datetime.now(UTC)
    name = f"test-{time.monotonic_ns()}"
    try:
        with ThreadPoolExecutor(8) as pool:
            taken = list(pool.map(lambda n: dbs[n].try_lease(name, f"holder{n}", now, timedelta(seconds=60)), range(8)))
        assert taken.count(True) == 1
    finally:
        for db in dbs:
            db.dispose()
