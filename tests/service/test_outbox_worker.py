"""The outbox as operators see it: the worker's round and its metrics, the service's /status,
and the patient data neither shows."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from eph.housekeeping import Housekeeping
from eph.outbox import OutboxWorker, observe_queue, outbox_status
from producers.application import ProducerApplication
from producers.handlers import Handlers
from service_domain.model import EventKind, EventState
from service_domain.persistence.database import Database
from service_domain.persistence.tables import outbox_event
from service_domain.services.outbox import DEFAULT_POLICY, KEEP_DELIVERED
from tests.conftest import seeded
from tests.fake_outbox import FakeSender
from tests.service.conftest import NOW, assign, lab_result, new_patient, order, set_result


@pytest.fixture()
def db(tmp_path: Path) -> Any:
    database = Database(seeded(f"sqlite:///{tmp_path / 'eph.sqlite3'}"))
    yield database
    database.dispose()


def with_result(db: Database) -> str:
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id
    assert oid
    set_result(db, lab_result(oid, 1))
    return p.id


def metric(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def worker(db: Database, sender: FakeSender, minutes: int = 0) -> OutboxWorker:
    return OutboxWorker(db, 1, {EventKind.INDEX_UPDATE: sender}, clock=lambda: NOW + timedelta(minutes=minutes))


def test_a_round_delivers_with_the_worker_s_senders(db: Database) -> None:
    with_result(db)
    sender = FakeSender()
    worker(db, sender).run_once()
    assert len(sender.sent) == 1


def test_a_round_counts_deliveries(db: Database) -> None:
    with_result(db)
    before = metric("eph_outbox_delivered_total")
    worker(db, FakeSender()).run_once()
    assert metric("eph_outbox_delivered_total") == before + 1


def test_a_round_counts_failed_attempts(db: Database) -> None:
    with_result(db)
    before = metric("eph_outbox_retried_total")
    worker(db, FakeSender(failures=1)).run_once()
    assert metric("eph_outbox_retried_total") == before + 1


def test_a_scrape_sets_the_queue_gauge(db: Database) -> None:
    with_result(db)
    worker(db, FakeSender(failures=1)).run_once()
    observe_queue(db, lambda: NOW)
    assert metric("eph_outbox_queued") == 1


def test_a_scrape_sets_the_age_of_the_oldest(db: Database) -> None:
    with_result(db)
    observe_queue(db, lambda: NOW + timedelta(minutes=3))
    assert metric("eph_outbox_oldest_seconds") == 180


def test_a_round_does_not_count_the_queue(db: Database) -> None:
    """The gauges are the scrape's to set: a round that counted the queue would cost every event a query."""
    with_result(db)
    observe_queue(db, lambda: NOW)
    with db.engine.begin() as conn:
        conn.execute(outbox_event.delete())
    worker(db, FakeSender()).run_once()
    assert metric("eph_outbox_queued") == 1


def test_a_round_counts_parked_events(db: Database) -> None:
    with_result(db)
    with db.engine.begin() as conn:
        conn.execute(outbox_event.update().values(attempts=DEFAULT_POLICY.max_attempts - 1))  # the next failure is the last
    before = metric("eph_outbox_parked_total")
    worker(db, FakeSender(failures=1)).run_once()
    assert metric("eph_outbox_parked_total") == before + 1


def test_a_failing_round_logs_no_patient_data(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    patient = with_result(db)
    with caplog.at_level(logging.DEBUG):
        worker(db, FakeSender(failures=1)).run_once()
    assert patient not in caplog.text


def status(db: Database) -> dict[str, Any]:
    app = ProducerApplication(Handlers(db.uow, logical_address="SE5565594230-EPH"),
                              status_page=lambda: outbox_status(db, clock=lambda: NOW + timedelta(seconds=30)))
    answer: list[str] = []
    body = b"".join(app({"PATH_INFO": "/status", "REQUEST_METHOD": "GET"}, lambda s, h: answer.append(s)))
    assert answer == ["200 OK"]
    return dict(json.loads(body))


def test_status_shows_the_outbox(db: Database) -> None:
    with_result(db)
    assert status(db)["outbox"] == {"queued": 1, "parked": 0, "oldestQueuedSeconds": 30}


def test_status_shows_parked_events(db: Database) -> None:
    with_result(db)
    with db.engine.begin() as conn:
        conn.execute(outbox_event.update().values(state=EventState.PARKED.value))
    assert status(db)["outbox"]["parked"] == 1


def test_status_shows_no_patient_data(db: Database) -> None:
    patient = with_result(db)
    assert patient not in json.dumps(status(db))


def test_housekeeping_deletes_events_delivered_long_ago(db: Database) -> None:
    with_result(db)
    worker(db, FakeSender()).run_once()
    later = NOW + KEEP_DELIVERED + timedelta(days=1)
    assert Housekeeping(db, 60, clock=lambda: later).run_once()
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox_event)).scalar() == 0


def test_a_worker_without_senders_starts_no_thread(db: Database) -> None:
    assert OutboxWorker(db, 0.01, {}).start() is None


def test_a_worker_with_a_sender_starts_its_thread(db: Database) -> None:
    w = worker(db, FakeSender())
    thread = w.start()
    w.stop()
    assert getattr(thread, "name", None) == "outbox"
