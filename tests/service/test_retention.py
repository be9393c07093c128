"""Retention on SQLite and PostgreSQL: the clock moves forward past each period, and what has
outlived it goes (with every row tied to it), while what the patient can still read, and what
an open follow-up case refers to, stays."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from eph import demo
from eph.housekeeping import LEASE, Housekeeping
from service_domain import commands, services
from service_domain.identity import PersonId
from service_domain.model import (
    DEFAULT_POLICY,
    Actor,
    ActorKind,
    DeletionRecord,
    FollowUpStatus,
    FollowUpStepKind,
    NoticeChannel,
    OrderStatus,
    RetentionKind,
    SamplingMode,
)
from service_domain.persistence.database import Database
from service_domain.persistence.tables import (
    audit_record,
    follow_up_step,
    lab_result,
    log_review_flag,
    order_status_change,
    outbox_event,
    patient_order,
    retention_run,
    service_lease,
    specimen,
)
from staff_web.store import WebStore
from tests.service.conftest import (
    NOW,
    STAFF,
    assign,
    ctx,
    new_patient,
    order,
    positive_ctng,
    set_result,
    status,
)
from tests.service.conftest import lab_result as a_result

RESULTS = DEFAULT_POLICY[RetentionKind.RESULTS].period
UNFULFILLED = DEFAULT_POLICY[RetentionKind.UNFULFILLED].period
LOGISTICS = DEFAULT_POLICY[RetentionKind.LOGISTICS].period
NOTICES = DEFAULT_POLICY[RetentionKind.NOTICES].period
AUDIT = DEFAULT_POLICY[RetentionKind.AUDIT].period
FAR = NOW + AUDIT + timedelta(days=400)  # past every period of what was made at NOW
DAY = timedelta(days=1)


@pytest.fixture
def db(backend_db: Database) -> Iterator[Database]:
    yield backend_db
    # the tests' clocks jump about: a lease taken far in the future is let go after each test
    with backend_db.engine.begin() as conn:
        conn.execute(delete(service_lease).where(service_lease.c.name == LEASE))


def run(db: Database, now: datetime) -> dict[RetentionKind, int]:
    return {r.kind: r.count for r in services.apply_retention(db.uow(), now, "node-test")}


def citizen_results(db: Database, p: PersonId) -> list[str]:
    views = services.get_results(db.uow(), ctx(demo.CITIZEN_SERVICE), commands.GetResults(p))
    return [v.order.order_id for v in views if v.released_to_patient]


def exists(db: Database, order_id: str) -> bool:
    with db.uow() as uow:
        return uow.orders.get(order_id) is not None


def with_result(db: Database, p: PersonId) -> str:
    oid = order(db, p, assign(db, p, "HBA1C")).order_id
    assert oid
    status(db, oid, OrderStatus.SPECIMEN_COLLECTED)
    set_result(db, a_result(oid, 1))
    return oid


def cancel(db: Database, p: PersonId, order_id: str) -> None:
    services.cancel_order(db.uow(), ctx(demo.CITIZEN_SERVICE), commands.CancelOrder(order_id, Actor(ActorKind.PATIENT, p.id)))


def close_case(db: Database, order_id: str, when: datetime) -> str:
    """Record the patient contacted and close the order's case at ``when``; the case's id."""
    case = next(c for c in services.list_follow_ups(db.uow(), FollowUpStatus.OPEN) if c.order_id == order_id)
    services.record_follow_up_step(db.uow(), ctx("staff", when), case.case_id, FollowUpStepKind.PATIENT_CONTACTED,
                                   when, STAFF.id)
    services.close_follow_up(db.uow(), ctx("staff", when), case.case_id, STAFF)
    return case.case_id


def rows(db: Database, table: object, where: object) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(where)).scalar_one())  # type: ignore[arg-type]


# ------------------------------------------------------------------ results the patient reads


def test_a_released_result_stays_readable_until_its_period_ends(db: Database) -> None:
    p = new_patient()
    oid = with_result(db, p)
    run(db, NOW + RESULTS - DAY)
    assert citizen_results(db, p) == [oid]


def test_a_released_result_goes_when_its_period_ends(db: Database) -> None:
    p = new_patient()
    oid = with_result(db, p)
    run(db, NOW + RESULTS + DAY)
    assert not exists(db, oid)


def test_the_results_period_counts_from_the_release_not_the_order(db: Database, reviewed: str) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, reviewed)).order_id
    assert oid
    set_result(db, a_result(oid, 1))  # held for review
    released = NOW + 400 * DAY
    assert services.release_results(db.uow(), ctx("staff", released), oid, STAFF) == 1
    run(db, NOW + RESULTS + DAY)  # past the period counted from the order, within it from the release
    assert citizen_results(db, p) == [oid]


def test_a_result_held_for_review_is_kept_whatever_its_age(db: Database, reviewed: str) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, reviewed)).order_id
    assert oid
    set_result(db, a_result(oid, 1))
    run(db, FAR)
    assert exists(db, oid)


# ------------------------------------------------------------------ follow-up


def test_a_result_of_an_open_follow_up_case_is_kept_whatever_its_age(db: Database) -> None:
    oid = positive_ctng(db, new_patient())
    run(db, FAR)
    with db.uow() as uow:
        assert uow.results.versions(oid)


def test_once_its_case_is_closed_the_result_goes_after_its_period(db: Database) -> None:
    oid = positive_ctng(db, new_patient())
    close_case(db, oid, NOW + DAY)
    run(db, NOW + DAY + RESULTS + DAY)
    assert not exists(db, oid)


def test_a_closed_case_goes_with_its_steps_after_its_period(db: Database) -> None:
    case_id = close_case(db, positive_ctng(db, new_patient()), NOW + DAY)
    run(db, NOW + DAY + RESULTS + DAY)
    assert rows(db, follow_up_step, follow_up_step.c.case_id == case_id) == 0


def test_a_closed_case_is_kept_until_the_result_it_released_is_due(db: Database) -> None:
    oid = positive_ctng(db, new_patient())
    case_id = close_case(db, oid, NOW + DAY)
    run(db, NOW + RESULTS)  # the result was released at the case's closing, a day later
    with db.uow() as uow:
        assert uow.follow_ups.get(case_id) is not None


# ------------------------------------------------------------------ what is tied to an order


def test_an_order_goes_with_its_specimens_history_results_and_events(db: Database) -> None:
    oid = with_result(db, new_patient())
    with db.uow() as uow:
        seq = uow.orders._seq_of(oid)
    run(db, NOW + RESULTS + DAY)
    left = (rows(db, specimen, specimen.c.order_seq == seq), rows(db, order_status_change, order_status_change.c.order_seq == seq),
            rows(db, lab_result, lab_result.c.order_id == oid),
            rows(db, outbox_event, outbox_event.c.payload["orderId"].as_string() == oid))
    assert left == (0, 0, 0, 0)


def test_a_cancelled_order_stays_within_its_period(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id
    assert oid
    cancel(db, p, oid)
    run(db, NOW + UNFULFILLED - DAY)
    assert exists(db, oid)


def test_a_cancelled_order_and_its_offer_go_after_their_period(db: Database) -> None:
    p = new_patient()
    offer_id = assign(db, p, "HBA1C")
    oid = order(db, p, offer_id).order_id
    assert oid
    cancel(db, p, oid)
    with db.uow() as uow:
        valid_to = uow.offers.get(offer_id).valid_to  # type: ignore[union-attr]
    run(db, max(valid_to, NOW) + UNFULFILLED + DAY)
    with db.uow() as uow:
        assert (uow.orders.get(oid), uow.offers.get(offer_id)) == (None, None)


def test_an_open_order_is_kept_whatever_its_age(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id
    assert oid
    status(db, oid, OrderStatus.SPECIMEN_COLLECTED)
    run(db, FAR)
    assert exists(db, oid)


# ------------------------------------------------------------------ logistics and contact details


def test_a_finished_kit_order_loses_its_address_after_the_logistics_period(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p), SamplingMode.HOME_KIT).order_id
    assert oid
    cancel(db, p, oid)
    run(db, NOW + LOGISTICS + DAY)
    with db.uow() as uow:
        kept = uow.orders.get(oid)
    assert kept is not None and kept.delivery_address is None


def test_a_kit_order_keeps_its_address_within_the_logistics_period(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p), SamplingMode.HOME_KIT).order_id
    assert oid
    cancel(db, p, oid)
    run(db, NOW + LOGISTICS - DAY)
    with db.uow() as uow:
        assert uow.orders.get(oid).delivery_address is not None  # type: ignore[union-attr]


def set_email(db: Database, p: PersonId) -> None:
    services.set_notice_settings(db.uow(), ctx(demo.CITIZEN_SERVICE), commands.SetNoticeSettings(
        p, NoticeChannel.EMAIL, "patient.test@example.se", None, Actor(ActorKind.PATIENT, p.id)))


def settings(db: Database, p: PersonId) -> object:
    with db.uow() as uow:
        return uow.notices.settings(p)


def test_contact_details_go_once_the_patient_has_nothing_left_within_the_period(db: Database) -> None:
    p = new_patient()
    set_email(db, p)
    run(db, NOW + NOTICES + DAY)  # the patient never had an order or offer
    assert settings(db, p) is None


def test_contact_details_stay_while_the_patient_has_an_open_order(db: Database) -> None:
    p = new_patient()
    set_email(db, p)
    oid = order(db, p, assign(db, p, "HBA1C")).order_id
    assert oid
    status(db, oid, OrderStatus.SPECIMEN_COLLECTED)
    run(db, FAR)
    assert settings(db, p) is not None


def test_contact_details_stay_within_the_period_after_the_last_order(db: Database) -> None:
    p = new_patient()
    set_email(db, p)
    with_result(db, p)
    run(db, NOW + NOTICES + DAY)  # the order ended at NOW and is kept: the details are not due yet
    with db.uow() as uow:
        assert uow.notices.settings(p) is not None


# ------------------------------------------------------------------ audit records, sessions, the record


def test_audit_records_outlive_the_data_they_log(db: Database) -> None:
    p = new_patient()
    with_result(db, p)
    run(db, NOW + RESULTS + DAY)
    assert rows(db, audit_record, (audit_record.c.patient_id == p.id) & (audit_record.c.time < NOW + DAY)) > 0


def test_audit_records_go_after_their_own_period(db: Database) -> None:
    p = new_patient()
    with_result(db, p)
    run(db, NOW + AUDIT + DAY)
    assert rows(db, audit_record, (audit_record.c.patient_id == p.id) & (audit_record.c.time < NOW + DAY)) == 0


def test_a_log_review_s_mark_goes_with_the_audit_record_it_is_about(db: Database) -> None:
    p = new_patient()
    with_result(db, p)
    with db.engine.begin() as conn:
        record = conn.execute(select(audit_record.c.id).where(audit_record.c.patient_id == p.id)).scalars().first()
        conn.execute(log_review_flag.insert().values(care_giver=demo.CARE_GIVER_A, rule="NO_RELATION", record_id=record,
                                                     reviewed_by="SE2321000016-LOG1", reviewed_time=NOW, note="ok"))
    run(db, NOW + AUDIT + DAY)
    assert rows(db, log_review_flag, log_review_flag.c.record_id == record) == 0


def test_a_deletion_is_audited_as_housekeeping_s_write(db: Database) -> None:
    p = new_patient()
    with_result(db, p)
    later = NOW + RESULTS + DAY
    run(db, later)
    assert rows(db, audit_record, (audit_record.c.patient_id == p.id) & (audit_record.c.time == later)) > 0


def test_idle_staff_web_sessions_go(db: Database) -> None:
    store = WebStore(db.engine)
    store.save_session("token-of-an-old-session", {"staff": "x"}, NOW, None)
    keeper = Housekeeping(Database(engine=db.engine), 60, clock=lambda: NOW + 2 * DAY)
    records = keeper.apply_retention(NOW + 2 * DAY)
    assert records is not None and store.load_session("token-of-an-old-session", NOW, DAY * 9, DAY * 9) is None


def test_the_deletion_record_counts_each_kind(db: Database) -> None:
    run(db, FAR)  # a clean slate: everything the module made before is past every period
    for _ in range(2):
        with_result(db, new_patient())
    counts = run(db, FAR)
    assert counts[RetentionKind.RESULTS] == 2


def test_the_stored_deletion_record_counts_what_went(db: Database) -> None:
    later = FAR + 5 * DAY
    run(db, later)  # a clean slate
    for _ in range(2):
        with_result(db, new_patient())
    again = later + DAY
    run(db, again)
    stored = [r.count for r in services.deletion_records(db.uow()) if r.time == again and r.kind is RetentionKind.RESULTS]
    assert stored == [2]


def test_the_deletion_record_holds_no_personal_data(db: Database) -> None:
    p = new_patient()
    oid = with_result(db, p)
    run(db, NOW + RESULTS + 2 * DAY)
    with db.engine.connect() as conn:
        stored = " ".join(str(v) for r in conn.execute(select(retention_run)) for v in r)
    assert p.id not in stored and oid not in stored


def test_the_deletion_record_is_stored(db: Database) -> None:
    later = NOW + RESULTS + 3 * DAY
    run(db, later)
    assert {r.kind for r in services.deletion_records(db.uow()) if r.time == later} >= {
        RetentionKind.RESULTS, RetentionKind.AUDIT, RetentionKind.NOTICES}


# ------------------------------------------------------------------ across workers


def two_keepers(db: Database, now: datetime) -> tuple[Housekeeping, Housekeeping]:
    url = db.engine.url.render_as_string(hide_password=False)
    return (Housekeeping(Database(url), 60, clock=lambda: now), Housekeeping(Database(url), 60, clock=lambda: now))


def test_a_second_worker_does_not_run_retention_while_the_first_holds_the_lease(db: Database) -> None:
    now = FAR + 10 * DAY
    a, b = two_keepers(db, now)
    try:
        assert a.apply_retention(now) is not None
        assert b.apply_retention(now) is None
    finally:
        a.db.dispose()
        b.db.dispose()


def test_two_workers_at_once_delete_once(db: Database) -> None:
    now = FAR + 20 * DAY
    for _ in range(3):
        with_result(db, new_patient())
    a, b = two_keepers(db, now)
    start = threading.Barrier(2)
    done: list[list[DeletionRecord] | None] = [None, None]

    def work(i: int, keeper: Housekeeping) -> None:
        start.wait()
        done[i] = keeper.apply_retention(now)

    try:
        threads = [threading.Thread(target=work, args=(i, k)) for i, k in enumerate((a, b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        a.db.dispose()
        b.db.dispose()
    assert sum(d is not None for d in done) == 1


def test_a_run_stops_when_the_lease_is_lost(db: Database) -> None:
    for _ in range(3):
        with_result(db, new_patient())
    records = services.apply_retention(db.uow(), FAR, "node-test", keep_going=lambda: False)
    assert sum(r.count for r in records) == 0


def test_housekeeping_logs_no_personal_data(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    p = new_patient()
    oid = with_result(db, p)
    now = FAR + 30 * DAY
    with caplog.at_level(logging.DEBUG):
        assert Housekeeping(Database(engine=db.engine), 60, clock=lambda: now).run_once()
    assert "retention run" in caplog.text and p.id not in caplog.text and oid not in caplog.text


def test_eph_retention_run_writes_the_deletion_record(db: Database, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from eph.cli import main

    monkeypatch.setenv("EPH_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    before = len(services.deletion_records(db.uow(), limit=10_000))
    assert main(["retention", "run"]) == 0
    assert len(services.deletion_records(db.uow(), limit=10_000)) == before + len(RetentionKind)


def test_a_backlog_goes_in_batches_past_orders_that_stay(db: Database) -> None:
    run(db, FAR)  # a clean slate
    kept = []
    for _ in range(3):  # orders held by an open case between those due, so every batch meets some
        with_result(db, new_patient())
        kept.append(positive_ctng(db, new_patient()))
    records = services.apply_retention(db.uow(), FAR, "node-test", batch=2)
    assert [r.count for r in records if r.kind is RetentionKind.RESULTS] == [3]
    assert all(exists(db, oid) for oid in kept)


def test_retention_skips_an_order_another_transaction_holds(db: Database) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's (SQLite writers take turns for the whole database)")
    held, free = with_result(db, new_patient()), with_result(db, new_patient())
    later = NOW + RESULTS + 5 * DAY
    done = threading.Event()
    with db.engine.connect() as other:
        other.execute(select(patient_order.c.seq).where(patient_order.c.order_id == held).with_for_update())
        threading.Thread(target=lambda: (run(db, later), done.set()), daemon=True).start()
        assert done.wait(20), "retention waited for a row another transaction holds"
        assert (exists(db, held), exists(db, free)) == (True, False)
        other.rollback()
