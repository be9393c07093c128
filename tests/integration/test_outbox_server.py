"""The outbox in a running service: its worker threads run in the server's processes, the
metrics count over every worker, and /status shows the queue (SQLite file)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service_domain.persistence.database import Database
from tests.conftest import seeded
from tests.service.conftest import assign, lab_result, new_patient, order, set_result
from tests.support import ServiceProcess, platform_session


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceProcess, Database]]:
    folder = tmp_path_factory.mktemp("outbox-server")
    url = seeded(f"sqlite:///{folder / 'eph.sqlite3'}")
    db = Database(url)
    service = ServiceProcess(url, Path(folder) / "service.log").start(EPH_OUTBOX_SECONDS="0.2")
    yield service, db
    service.stop()
    db.dispose()


def store_results(db: Database, count: int) -> None:
    for _ in range(count):
        p = new_patient()
        oid = order(db, p, assign(db, p, "HBA1C")).order_id
        assert oid
        set_result(db, lab_result(oid, 1))


def gauge(page: str, name: str) -> float:
    (line,) = [line for line in page.splitlines() if line.startswith(name + " ") or line.startswith(name + "{")]
    return float(line.rsplit(" ", 1)[1])


def eventually(read: object, expected: object, seconds: float = 20) -> object:
    deadline = time.monotonic() + seconds
    while True:
        got = read()  # type: ignore[operator]
        if got == expected or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_status_shows_the_queued_events(running: tuple[ServiceProcess, Database]) -> None:
    service, db = running
    store_results(db, 3)
    with platform_session() as s:
        queued = eventually(lambda: s.get(service.base_url + "/status", timeout=10).json()["outbox"]["queued"], 3)
    assert queued == 3  # no sender is configured in a running service yet: they wait


def test_the_worker_sets_the_queue_gauge(running: tuple[ServiceProcess, Database]) -> None:
    service, db = running
    store_results(db, 2)
    with platform_session() as s:
        expected = s.get(service.base_url + "/status", timeout=10).json()["outbox"]["queued"]
        queued = eventually(lambda: gauge(s.get(service.base_url + "/metrics", timeout=10).text,
                                          "eph_outbox_queued"), float(expected))
    assert queued == expected
