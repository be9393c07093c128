"""``eph outbox`` as an operator uses it (subprocesses on a SQLite file): list, park, retry,
with no patient data in what it prints."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from service_domain.model import EventState
from service_domain.persistence.database import Database
from tests.conftest import seeded
from tests.service.conftest import assign, lab_result, new_patient, order, set_result
from tests.support import ROOT


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return seeded(f"sqlite:///{tmp_path_factory.mktemp('outbox') / 'cli.sqlite3'}")


def eph(url: str, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, EPH_DATABASE_URL=url)
    done = subprocess.run([sys.executable, "-m", "eph", "outbox", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def written(url: str) -> tuple[str, str]:
    """A result stored, so an event written: the patient's id and the event's id."""
    db = Database(url)
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id
    assert oid
    set_result(db, lab_result(oid, 1))
    with db.uow() as uow:
        (event,) = [e for e in uow.outbox.list(limit=10_000) if e.payload.order_id == oid]
    db.dispose()
    return p.id, event.event_id


def state(url: str, event_id: str) -> EventState:
    db = Database(url)
    with db.uow() as uow:
        event = uow.outbox.get(event_id)
    db.dispose()
    assert event is not None
    return event.state


def test_list_shows_a_queued_event(url: str) -> None:
    _, event_id = written(url)
    assert event_id in eph(url, "list").stdout


def test_list_shows_no_patient_data(url: str) -> None:
    patient, _ = written(url)
    assert patient not in eph(url, "list").stdout


def test_list_counts_queued_and_parked(url: str) -> None:
    written(url)
    assert " queued, " in eph(url, "list").stdout.splitlines()[-1]


def test_park_parks_the_event(url: str) -> None:
    _, event_id = written(url)
    eph(url, "park", event_id)
    assert state(url, event_id) is EventState.PARKED


def test_list_of_parked_events_shows_a_parked_one(url: str) -> None:
    _, event_id = written(url)
    eph(url, "park", event_id)
    assert event_id in eph(url, "list", "--state", "PARKED").stdout


def test_retry_queues_a_parked_event(url: str) -> None:
    _, event_id = written(url)
    eph(url, "park", event_id)
    eph(url, "retry", event_id)
    assert state(url, event_id) is EventState.PENDING


def test_retry_of_a_queued_event_is_refused(url: str) -> None:
    _, event_id = written(url)
    assert eph(url, "retry", event_id, ok=False).returncode == 1


def test_an_unknown_event_is_refused(url: str) -> None:
    done: Any = eph(url, "park", "no-such-event", ok=False)
    assert "no outbox event with that id" in done.stderr
