"""The outbox in the database (SQLite, and PostgreSQL with EPH_TEST_POSTGRES=1): an event is
written in the result's transaction, for every change of a result and nothing else; claims by
concurrent workers never overlap; a claim runs out with its lease."""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eph import demo
from service_domain import commands, services
from service_domain.clock import utcnow
from service_domain.errors import RuleViolation
from service_domain.identity import PersonId
from service_domain.model import (
    AnalysisResult,
    AnalysisStatus,
    EventKind,
    EventState,
    IndexUpdate,
    Interpretation,
    OutboxEvent,
    ReportStatus,
    SamplingMode,
)
from service_domain.persistence.database import Database, SqlUnitOfWork
from service_domain.persistence.tables import lab_result, outbox_event
from service_domain.services import outbox
from tests.service.conftest import NOW, STAFF, assign, ctx, new_patient, order, set_result
from tests.service.conftest import lab_result as a_result

KINDS = [EventKind.INDEX_UPDATE]


def events_for(db: Database, order_id: str) -> list[OutboxEvent]:
    with db.uow() as uow:
        everything = uow.outbox.list(EventState.PENDING, limit=100_000)
    return [e for e in everything if e.payload.order_id == order_id]


def ordered(db: Database, code: str = "HBA1C") -> tuple[PersonId, str]:
    p = new_patient()
    oid = order(db, p, assign(db, p, code), SamplingMode.HOME_KIT if code == "CTNG" else SamplingMode.SITE).order_id
    assert oid
    return p, oid


def test_a_stored_result_writes_one_event(backend_db: Database) -> None:
    _, oid = ordered(backend_db)
    set_result(backend_db, a_result(oid, 1))
    assert len(events_for(backend_db, oid)) == 1


def test_the_event_holds_what_the_index_update_needs(backend_db: Database) -> None:
    p, oid = ordered(backend_db)
    set_result(backend_db, a_result(oid, 1))
    (event,) = events_for(backend_db, oid)
    assert event.payload == IndexUpdate(p, demo.CARE_GIVER_A, demo.CARE_UNIT_A, oid, NOW)


def test_the_event_is_due_at_once(backend_db: Database) -> None:
    _, oid = ordered(backend_db)
    set_result(backend_db, a_result(oid, 1))
    (event,) = events_for(backend_db, oid)
    assert (event.kind, event.next_attempt, event.attempts) == (EventKind.INDEX_UPDATE, NOW, 0)


def test_a_correction_writes_an_event_of_its_own(backend_db: Database) -> None:
    _, oid = ordered(backend_db)
    set_result(backend_db, a_result(oid, 1))
    set_result(backend_db, a_result(oid, 2, ReportStatus.CORRECTED, value="40"))
    assert len(events_for(backend_db, oid)) == 2


def test_a_withdrawal_writes_an_event(backend_db: Database) -> None:
    _, oid = ordered(backend_db)
    set_result(backend_db, a_result(oid, 1))
    first = a_result(oid, 2, ReportStatus.CORRECTED)
    withdrawn = replace(first, analysis_results=tuple(
        AnalysisResult(a.code, None, AnalysisStatus.ENTERED_IN_ERROR) for a in first.analysis_results))
    set_result(backend_db, withdrawn)
    assert len(events_for(backend_db, oid)) == 2


def test_a_repeated_result_writes_no_event(backend_db: Database) -> None:
    _, oid = ordered(backend_db)
    set_result(backend_db, a_result(oid, 1))
    assert set_result(backend_db, a_result(oid, 1)).info
    assert len(events_for(backend_db, oid)) == 1


def test_a_refused_result_writes_no_event(backend_db: Database) -> None:
    _, oid = ordered(backend_db)
    set_result(backend_db, a_result(oid, 1))
    with pytest.raises(RuleViolation):
        set_result(backend_db, a_result(oid, 1, value="42"))  # the same version, other values
    assert len(events_for(backend_db, oid)) == 1


def test_closing_a_follow_up_that_releases_writes_an_event(backend_db: Database) -> None:
    _, oid = ordered(backend_db, "CTNG")
    positive = replace(a_result(oid, 1), analysis_results=(
        AnalysisResult(demo.CHLAMYDIA.code, "Positiv", AnalysisStatus.FINAL, interpretation=Interpretation.POSITIVE),))
    set_result(backend_db, positive)
    (case,) = [c for c in services.list_follow_ups(backend_db.uow()) if c.order_id == oid]
    services.close_follow_up(backend_db.uow(), ctx("staff"), case.case_id, STAFF, "reached by letter only")
    assert len(events_for(backend_db, oid)) == 1


def test_a_result_held_for_follow_up_writes_no_event(backend_db: Database) -> None:
    _, oid = ordered(backend_db, "CTNG")
    positive = replace(a_result(oid, 1), analysis_results=(
        AnalysisResult(demo.CHLAMYDIA.code, "Positiv", AnalysisStatus.FINAL, interpretation=Interpretation.POSITIVE),))
    set_result(backend_db, positive)
    assert events_for(backend_db, oid) == []



def test_a_release_by_staff_writes_an_event(backend_db: Database, reviewed: str) -> None:
    _, oid = ordered(backend_db, reviewed)
    set_result(backend_db, a_result(oid, 1))
    services.release_results(backend_db.uow(), ctx("staff"), oid, STAFF)
    assert len(events_for(backend_db, oid)) == 1


def test_a_result_held_for_review_writes_no_event(backend_db: Database, reviewed: str) -> None:
    _, oid = ordered(backend_db, reviewed)
    set_result(backend_db, a_result(oid, 1))
    assert events_for(backend_db, oid) == []


class FailsAtCommit(SqlUnitOfWork):
    def commit(self) -> None:
        raise RuntimeError("the commit did not happen")


def test_a_result_rolled_back_leaves_no_event(backend_db: Database) -> None:
    _, oid = ordered(backend_db)
    with pytest.raises(RuntimeError):
        services.set_result(FailsAtCommit(backend_db), ctx(demo.LAB_A), commands.SetResult(a_result(oid, 1)))
    assert events_for(backend_db, oid) == []


def test_the_rolled_back_result_is_not_stored_either(backend_db: Database) -> None:
    _, oid = ordered(backend_db)
    with pytest.raises(RuntimeError):
        services.set_result(FailsAtCommit(backend_db), ctx(demo.LAB_A), commands.SetResult(a_result(oid, 1)))
    with backend_db.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(lab_result).where(lab_result.c.order_id == oid)).scalar()
    assert stored == 0


# ------------------------------------------------------------------ claims


def fresh_outbox(db: Database, count: int) -> list[str]:
    """An outbox of ``count`` due events and no others (earlier tests' events are delivered)."""
    with db.engine.begin() as conn:
        conn.execute(outbox_event.update().values(state=EventState.DELIVERED.value))
    p = new_patient()
    ids = []
    with db.uow() as uow:
        for n in range(count):
            e = OutboxEvent(f"claim-{utcnow().timestamp()}-{n}", EventKind.INDEX_UPDATE,
                            IndexUpdate(p, demo.CARE_GIVER_A, demo.CARE_UNIT_A, f"order-{n}", NOW), NOW, NOW)
            uow.outbox.add(e)
            ids.append(e.event_id)
        uow.commit()
    return ids


def claim(db: Database, holder: str, at: object = NOW, limit: int = 5) -> list[str]:
    with db.uow() as uow:
        got = uow.outbox.claim_due(at, KINDS, holder, at + outbox.CLAIM_LEASE, limit)  # type: ignore[operator]
        uow.commit()
    return [e.event_id for e in got]


def test_concurrent_workers_never_claim_the_same_event(backend_db: Database) -> None:
    ids = fresh_outbox(backend_db, 120)
    claimed: dict[str, list[str]] = {f"w{n}": [] for n in range(4)}
    start = threading.Barrier(4)

    def work(holder: str) -> None:
        start.wait()
        while got := claim(backend_db, holder):
            claimed[holder].extend(got)

    threads = [threading.Thread(target=work, args=(h,)) for h in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    every = [i for got in claimed.values() for i in got]
    assert sorted(every) == sorted(ids)  # each event once, none twice, none left


def test_a_claim_holds_within_its_lease(backend_db: Database) -> None:
    fresh_outbox(backend_db, 3)
    claim(backend_db, "dies")
    assert claim(backend_db, "other", NOW + outbox.CLAIM_LEASE - timedelta(seconds=1)) == []


def test_a_claim_runs_out_with_its_lease(backend_db: Database) -> None:
    ids = fresh_outbox(backend_db, 3)
    claim(backend_db, "dies")
    assert sorted(claim(backend_db, "other", NOW + outbox.CLAIM_LEASE + timedelta(seconds=1))) == sorted(ids)


def test_a_saved_outcome_lets_go_of_the_claim(backend_db: Database) -> None:
    (event_id,) = fresh_outbox(backend_db, 1)
    claim(backend_db, "first")
    with backend_db.uow() as uow:
        event = uow.outbox.get(event_id)
        assert event is not None
        event.failed(NOW, "Timeout", outbox.DEFAULT_POLICY, 0.0)
        event.next_attempt = NOW  # due again at once
        uow.outbox.save(event)
        uow.commit()
    assert claim(backend_db, "second") == [event_id]


def test_counts_show_queued_parked_and_the_oldest(backend_db: Database) -> None:
    ids = fresh_outbox(backend_db, 3)
    outbox.park_event(backend_db.uow(), ids[0])
    counts = outbox.outbox_counts(backend_db.uow())
    assert (counts.pending, counts.parked, counts.oldest_pending) == (2, 1, NOW)


def test_an_outcome_is_not_saved_over_another_holder_s_claim(backend_db: Database) -> None:
    (event_id,) = fresh_outbox(backend_db, 1)
    claim(backend_db, "second")
    with backend_db.uow() as uow:
        event = uow.outbox.get(event_id)
        assert event is not None
        event.delivered(NOW)
        assert not uow.outbox.save(event, "first")


def test_delivered_outcomes_are_not_saved_over_another_holder_s_claim(backend_db: Database) -> None:
    ids = fresh_outbox(backend_db, 2)
    claim(backend_db, "second")
    with backend_db.uow() as uow:
        assert uow.outbox.save_delivered(ids, "first", NOW) == set()


def test_delivered_outcomes_of_the_holder_are_saved_in_one_call(backend_db: Database) -> None:
    ids = fresh_outbox(backend_db, 2)
    claim(backend_db, "first")
    with backend_db.uow() as uow:
        uow.outbox.save_delivered(ids, "first", NOW)
        uow.commit()
    with backend_db.uow() as uow:
        events = [uow.outbox.get(i) for i in ids]
    assert [(e.state, e.attempts) for e in events if e] == [(EventState.DELIVERED, 1)] * 2


def test_delivered_events_are_forgotten_in_batches(backend_db: Database) -> None:
    fresh_outbox(backend_db, 0)  # every earlier event delivered
    with backend_db.engine.begin() as conn:
        conn.execute(outbox_event.update().values(delivered_time=NOW))
        left = conn.execute(select(func.count()).select_from(outbox_event)).scalar()
    assert outbox.forget_delivered(backend_db.uow(), NOW + outbox.KEEP_DELIVERED + timedelta(seconds=1), batch=2) == left


def test_events_not_yet_delivered_are_never_forgotten(backend_db: Database) -> None:
    ids = fresh_outbox(backend_db, 2)
    outbox.forget_delivered(backend_db.uow(), NOW + timedelta(days=3650))
    assert len(outbox.list_events(backend_db.uow())) == len(ids)


def claim_until_empty(url: str, holder: str) -> list[str]:
    """A worker process of its own: claims until nothing is left (run by multiprocessing)."""
    db = Database(url)
    got: list[str] = []
    while batch := claim(db, holder, limit=3):
        got.extend(batch)
    db.dispose()
    return got


def test_concurrent_worker_processes_never_claim_the_same_event(backend_db: Database) -> None:
    ids = fresh_outbox(backend_db, 90)
    url = backend_db.engine.url.render_as_string(hide_password=False)
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        claimed = pool.starmap(claim_until_empty, [(url, f"process-{n}") for n in range(3)])
    assert sorted(i for got in claimed for i in got) == sorted(ids)


def test_a_patient_with_a_reservnummer_is_not_told_to_the_index(backend_db: Database, reviewed: str) -> None:
    # the index's registeredResidentIdentification holds a personnummer or samordningsnummer only
    reserve = PersonId(f"99{uuid.uuid4().int % 10**10:010d}", demo.RESERVE_NUMBERS_A.oid)
    oid = order(backend_db, reserve, assign(backend_db, reserve, reviewed)).order_id
    assert oid
    set_result(backend_db, a_result(oid, 1))
    services.release_results(backend_db.uow(), ctx("staff"), oid, STAFF)
    assert events_for(backend_db, oid) == []
