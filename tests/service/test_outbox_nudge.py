"""Prompt delivery: the unit of work the composition root builds nudges the process's delivery
thread after a commit that wrote an event (and, with EPH_OUTBOX_EVENTS off, writes none); the
nudged thread delivers without waiting for its poll."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from eph import demo
from eph.outbox import Nudge, OutboxUnitOfWork, OutboxWorker, latest_engagements, more_due, outbox_events_on
from service_domain import commands, services
from service_domain.identity import PersonId
from service_domain.model import EventKind, IndexUpdate
from service_domain.persistence.database import Database
from service_domain.persistence.tables import outbox_event
from service_domain.services.outbox import DELIVERY_BATCH, DeliveryRound
from tests.conftest import seeded
from tests.fake_outbox import FakeSender
from tests.service.conftest import STAFF, assign, ctx, lab_result, new_patient, order


@pytest.fixture()
def db(tmp_path: Path) -> Any:
    database = Database(seeded(f"sqlite:///{tmp_path / 'eph.sqlite3'}"))
    yield database
    database.dispose()


class Counter:
    def __init__(self) -> None:
        self.calls = 0
        self.events = 0

    def __call__(self, events: int) -> None:
        self.calls += 1
        self.events += events


def released_result(db: Database, on_commit: Callable[[int], None] | None = None, write: bool = True) -> None:
    """A released HbA1c result stored through the composition root's unit of work."""
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id
    assert oid
    services.set_result(OutboxUnitOfWork(db, on_commit, write), ctx(demo.LAB_A),
                        commands.SetResult(lab_result(oid, 1)))


def events(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(outbox_event)).scalar_one())


# ------------------------------------------------------------------ the nudge


def test_a_nudge_set_wakes_the_wait() -> None:
    nudge = Nudge()
    nudge.set()
    assert nudge.wait(0.01)


def test_a_wait_without_a_nudge_times_out() -> None:
    assert not Nudge().wait(0.01)


def test_a_gather_clears_the_nudge() -> None:
    nudge = Nudge()
    nudge.set()
    nudge.gather(1, 0.01)
    assert not nudge.wait(0.01)


def test_a_gather_ends_at_once_when_enough_were_committed() -> None:
    nudge = Nudge()
    nudge.set(60)
    nudge.set(40)
    began = time.monotonic()
    nudge.gather(100, 5)
    assert time.monotonic() - began < 1


def test_a_gather_counts_the_events_told_of() -> None:
    nudge = Nudge()
    nudge.set(3)
    nudge.set(2)
    assert nudge.gather(100, 0.01) == 5


def test_a_gather_waits_for_commits_while_too_few() -> None:
    nudge = Nudge()
    nudge.set(1)
    threading.Timer(0.05, nudge.set, (99,)).start()
    assert nudge.gather(100, 5) == 100


def test_a_whole_batch_means_more_may_be_due() -> None:
    assert more_due(DeliveryRound(delivered=DELIVERY_BATCH - 1, retried=1))


def test_less_than_a_batch_means_nothing_more_is_due() -> None:
    assert not more_due(DeliveryRound(delivered=DELIVERY_BATCH - 1))


# ------------------------------------------------------------------ the unit of work


def test_a_commit_that_wrote_an_event_nudges_once(db: Database) -> None:
    counter = Counter()
    released_result(db, counter)
    assert counter.calls == 1


def test_a_nudge_tells_how_many_events_the_commit_wrote(db: Database) -> None:
    counter = Counter()
    released_result(db, counter)
    assert counter.events == 1  # the index's event (the patient chose no notices)


def test_a_commit_that_wrote_no_event_does_not_nudge(db: Database) -> None:
    counter = Counter()
    p = new_patient()
    services.assign_offer(OutboxUnitOfWork(db, counter), ctx(demo.EHR_A), commands.AssignOffer(
        p, "HBA1C", demo.CARE_GIVER_A, demo.CARE_UNIT_A, STAFF))
    assert counter.calls == 0


def test_the_composition_root_s_unit_of_work_writes_the_event(db: Database) -> None:
    before = events(db)
    released_result(db)
    assert events(db) == before + 1


def test_with_events_off_no_event_is_written(db: Database) -> None:
    before = events(db)
    released_result(db, write=False)
    assert events(db) == before


def test_with_events_off_there_is_no_nudge(db: Database) -> None:
    counter = Counter()
    released_result(db, counter, write=False)
    assert counter.calls == 0


# ------------------------------------------------------------------ the setting


def test_events_are_written_by_default() -> None:
    assert outbox_events_on({})


def test_events_are_written_with_the_index_push_off() -> None:
    assert outbox_events_on({"EPH_INDEX_PUSH": "0"})


def test_eph_outbox_events_0_turns_events_off() -> None:
    assert not outbox_events_on({"EPH_OUTBOX_EVENTS": "0"})


# ------------------------------------------------------------------ the thread


def test_a_nudged_worker_delivers_long_before_its_poll(db: Database) -> None:
    sender = FakeSender()
    nudge = Nudge()
    worker = OutboxWorker(db, 60, {EventKind.INDEX_UPDATE: sender}, nudge=nudge)
    worker.start()
    try:
        time.sleep(0.1)  # the thread is waiting
        released_result(db, nudge.set)
        deadline = time.monotonic() + 5
        while not sender.sent and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()
    assert len(sender.sent) == 1


def test_stopping_a_worker_ends_its_thread(db: Database) -> None:
    worker = OutboxWorker(db, 60, {EventKind.INDEX_UPDATE: FakeSender()})
    thread: threading.Thread = worker.start()
    worker.stop()
    thread.join(5)
    assert not thread.is_alive()


# ------------------------------------------------------------------ a round's engagements


def update(patient: str, care_giver: str, minute: int) -> IndexUpdate:
    return IndexUpdate(PersonId(patient), care_giver, demo.CARE_UNIT_A, f"order-{minute}",
                       datetime(2026, 12, 7, 12, minute, tzinfo=UTC))


def test_an_engagement_told_of_twice_is_sent_once() -> None:
    told = latest_engagements([update("191212121212", demo.CARE_GIVER_A, 1),
                               update("191212121212", demo.CARE_GIVER_A, 2)])
    assert len(told) == 1


def test_an_engagement_told_of_twice_is_sent_with_the_latest_content() -> None:
    (told,) = latest_engagements([update("191212121212", demo.CARE_GIVER_A, 3),
                                  update("191212121212", demo.CARE_GIVER_A, 2)])
    assert told["mostRecentContent"] == "20261207130300"  # Swedish time


def test_engagements_of_two_patients_are_both_sent() -> None:
    assert len(latest_engagements([update("191212121212", demo.CARE_GIVER_A, 1),
                                   update("199001012384", demo.CARE_GIVER_A, 1)])) == 2


def test_engagements_of_two_care_givers_of_another_organisation_are_both_sent() -> None:
    assert len(latest_engagements([update("191212121212", "SE2321000016-CG01", 1),
                                   update("191212121212", "SE2321000255-CG01", 1)])) == 2
