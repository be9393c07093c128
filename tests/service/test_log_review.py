"""The log review in the service layer on both database backends: a reviewer sees their own care
giver's audit records only, searches them by filter a page at a time, gets the checks' flags
from the SQL queries, marks flags reviewed; reviewing is audited. Run against SQLite, and
PostgreSQL with EPH_TEST_POSTGRES=1."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from eph import demo
from service_domain import commands, services
from service_domain.clock import local_date, utcnow
from service_domain.commands import CallContext
from service_domain.errors import CallerRefused, RuleViolation
from service_domain.identity import PersonId
from service_domain.model import Actor, ActorKind, Rule
from service_domain.operations import Operation
from service_domain.persistence.database import Database
from service_domain.services import LogFilters
from service_domain.staff import StaffActing, StaffFunction
from tests.fake_log_review import FakeRegister
from tests.support import person_number

F = StaffFunction


@pytest.fixture(scope="module")
def db(backend_db: Database) -> Database:
    return backend_db


def staff_ctx(hsa_id: str, unit: str = demo.CARE_UNIT_A, now: datetime | None = None) -> CallContext:
    return CallContext(str(uuid.uuid4()), demo.STAFF_WEB, now or utcnow(), staff=StaffActing(hsa_id, unit))


def new_member(db: Database, *functions: F, unit: str = demo.CARE_UNIT_A, care_giver: str = demo.CARE_GIVER_A,
               name: str = "Test Testsson") -> str:
    hsa_id = f"SE{care_giver[2:12]}-T{uuid.uuid4().hex[:8].upper()}"
    services.register_staff(db.uow(), CallContext.operator(utcnow()), hsa_id, name, care_giver)
    services.grant_functions(db.uow(), CallContext.operator(utcnow()), hsa_id, unit, functions)
    return hsa_id


def new_patient() -> PersonId:
    return PersonId(person_number(date(1985, 3, 1)))


def today() -> LogFilters:
    return LogFilters(period_start=local_date(utcnow()), period_end=local_date(utcnow()))


def flagged(db: Database, reviewer: str, staff: str, rule: Rule, filters: LogFilters | None = None) -> list[str]:
    f = filters or today()
    page = services.log_flags(db.uow(), staff_ctx(reviewer), LogFilters(staff=staff, period_start=f.period_start,
                                                                        period_end=f.period_end), rule=rule)
    return [fl.access.record.patient_id for fl in page.flags]


def test_a_reviewer_sees_the_care_giver_s_reads_of_a_patient_only(db: Database) -> None:
    reviewer = new_member(db, F.LOG_REVIEW)
    nurse_a = new_member(db, F.ASSIGN)
    nurse_b = new_member(db, F.ASSIGN, unit=demo.CARE_UNIT_B, care_giver=demo.CARE_GIVER_B)
    p = new_patient()
    services.patient_view(db.uow(), staff_ctx(nurse_a), p)
    services.patient_view(db.uow(), staff_ctx(nurse_b, demo.CARE_UNIT_B), p)
    page = services.search_log(db.uow(), staff_ctx(reviewer), LogFilters(patient=p.id))
    assert [(a.record.actor_id, a.record.care_unit) for a in page.accesses] == [(nurse_a, demo.CARE_UNIT_A)]


def test_only_a_log_reviewer_may_search(db: Database) -> None:
    nurse = new_member(db, F.ASSIGN, F.FOLLOW_UP, F.ADMIN)
    with pytest.raises(CallerRefused):
        services.search_log(db.uow(), staff_ctx(nurse), LogFilters())


def test_a_search_by_staff_member_pages_newest_first(db: Database) -> None:
    reviewer = new_member(db, F.LOG_REVIEW)
    nurse = new_member(db, F.ASSIGN)
    start = utcnow() - timedelta(minutes=10)
    read = [new_patient() for _ in range(5)]
    for i, p in enumerate(read):
        services.patient_view(db.uow(), staff_ctx(nurse, now=start + timedelta(seconds=i)), p)
    seen: list[str] = []
    token = None
    while True:
        page = services.search_log(db.uow(), staff_ctx(reviewer), LogFilters(staff=nurse), token, 2)
        seen += [a.record.patient_id for a in page.accesses]
        token = page.continuation_token
        if token is None:
            break
    assert seen == [p.id for p in reversed(read)]


def test_paging_holds_when_the_database_session_is_in_swedish_time(db: Database) -> None:
    """The position's time compares as the stored UTC, whatever the session's time zone (PostgreSQL)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the session time zone is PostgreSQL's")
    swedish = Database(db.engine.url.render_as_string(hide_password=False))
    event.listen(swedish.engine, "connect", lambda conn, _: conn.execute("SET TIME ZONE 'Europe/Stockholm'"))
    reviewer = new_member(db, F.LOG_REVIEW)
    nurse = new_member(db, F.ASSIGN)
    start = utcnow() - timedelta(minutes=10)
    read = [new_patient() for _ in range(4)]
    for i, p in enumerate(read):
        services.patient_view(db.uow(), staff_ctx(nurse, now=start + timedelta(seconds=i)), p)
    first = services.search_log(swedish.uow(), staff_ctx(reviewer), LogFilters(staff=nurse), None, 2)
    second = services.search_log(swedish.uow(), staff_ctx(reviewer), LogFilters(staff=nurse), first.continuation_token, 2)
    swedish.engine.dispose()
    assert [a.record.patient_id for a in second.accesses] == [read[1].id, read[0].id]


@pytest.mark.parametrize("field", ["care_unit", "system", "interaction"])
def test_a_search_by_unit_system_or_interaction(db: Database, field: str) -> None:
    reviewer = new_member(db, F.LOG_REVIEW)
    nurse = new_member(db, F.ASSIGN, unit="SE2321000016-CU77")
    p = new_patient()
    services.patient_view(db.uow(), staff_ctx(nurse, "SE2321000016-CU77"), p)
    value = {"care_unit": "SE2321000016-CU77", "system": demo.STAFF_WEB, "interaction": Operation.PATIENT_VIEW.value}
    page = services.search_log(db.uow(), staff_ctx(reviewer), LogFilters(patient=p.id, **{field: value[field]}))
    assert [a.record.patient_id for a in page.accesses] == [p.id]


def test_a_search_by_period_leaves_out_other_days(db: Database) -> None:
    reviewer = new_member(db, F.LOG_REVIEW)
    nurse = new_member(db, F.ASSIGN)
    p = new_patient()
    services.patient_view(db.uow(), staff_ctx(nurse, now=utcnow() - timedelta(days=3)), p)
    page = services.search_log(db.uow(), staff_ctx(reviewer), LogFilters(patient=p.id, period_start=local_date(utcnow())))
    assert page.accesses == []


def test_a_read_without_relation_to_the_unit_is_flagged_and_one_with_an_offer_is_not(db: Database) -> None:
    reviewer = new_member(db, F.LOG_REVIEW)
    nurse = new_member(db, F.ASSIGN)
    stranger, client = new_patient(), new_patient()
    services.assign_offer(db.uow(), staff_ctx(nurse), commands.AssignOffer(
        client, "CTNG", demo.CARE_GIVER_A, demo.CARE_UNIT_A, Actor(ActorKind.STAFF, nurse)))
    services.patient_view(db.uow(), staff_ctx(nurse), stranger)
    services.patient_view(db.uow(), staff_ctx(nurse), client)
    assert flagged(db, reviewer, nurse, Rule.NO_RELATION) == [stranger.id]


def test_a_read_at_night_is_flagged(db: Database) -> None:
    reviewer = new_member(db, F.LOG_REVIEW)
    nurse = new_member(db, F.ASSIGN)
    p = new_patient()
    yesterday = local_date(utcnow()) - timedelta(days=1)
    night = datetime(yesterday.year, yesterday.month, yesterday.day, 1, 30, tzinfo=UTC)  # 02:30 or 03:30 local
    services.patient_view(db.uow(), staff_ctx(nurse, now=night), p)
    assert flagged(db, reviewer, nurse, Rule.OUT_OF_HOURS, LogFilters(period_start=yesterday)) == [p.id]


def test_reading_many_patients_in_a_short_time_is_flagged(db: Database) -> None:
    reviewer = new_member(db, F.LOG_REVIEW)
    nurse = new_member(db, F.ASSIGN)
    start = utcnow() - timedelta(minutes=5)
    read = [new_patient() for _ in range(21)]
    for i, p in enumerate(read):
        services.patient_view(db.uow(), staff_ctx(nurse, now=start + timedelta(seconds=i)), p)
    assert flagged(db, reviewer, nurse, Rule.MANY_PATIENTS) == [read[-1].id]


def test_reading_one_s_own_record_is_flagged(db: Database) -> None:
    reviewer = new_member(db, F.LOG_REVIEW)
    nurse = new_member(db, F.ASSIGN)
    me = new_patient()
    services.set_staff_person_id(db.uow(), CallContext.operator(utcnow()), nurse, me.id)
    services.patient_view(db.uow(), staff_ctx(nurse), me)
    assert flagged(db, reviewer, nurse, Rule.OWN_RECORD) == [me.id]


def test_the_staff_member_s_number_is_stored_but_not_shown(db: Database) -> None:
    nurse = new_member(db, F.ASSIGN)
    me = new_patient()
    member = services.set_staff_person_id(db.uow(), CallContext.operator(utcnow()), nurse, me.id)
    stored = services.find_staff_member(db.uow(), nurse)
    assert stored is not None and stored.person_id == me.id
    assert me.id not in repr(member)


def test_registering_the_staff_member_s_number_is_audited(db: Database) -> None:
    nurse = new_member(db, F.ASSIGN)
    me = new_patient()
    services.set_staff_person_id(db.uow(), CallContext.operator(utcnow()), nurse, me.id)
    with db.uow() as uow:
        records = uow.audit.for_patient(me.id)
    assert [r.operation for r in records] == [Operation.MANAGE_STAFF]


def test_a_flag_marked_reviewed_is_shown_reviewed(db: Database) -> None:
    reviewer = new_member(db, F.LOG_REVIEW)
    nurse = new_member(db, F.ASSIGN)
    services.patient_view(db.uow(), staff_ctx(nurse), new_patient())
    flags = services.log_flags(db.uow(), staff_ctx(reviewer), LogFilters(staff=nurse), rule=Rule.NO_RELATION)
    services.review_flag(db.uow(), staff_ctx(reviewer), Rule.NO_RELATION, flags.flags[0].access.record_id, "Kontrollerad")
    again = services.log_flags(db.uow(), staff_ctx(reviewer), LogFilters(staff=nurse), rule=Rule.NO_RELATION)
    review = again.flags[0].review
    assert review is not None and (review.reviewed_by, review.note) == (reviewer, "Kontrollerad")


def test_a_flag_is_reviewed_once(db: Database) -> None:
    reviewer = new_member(db, F.LOG_REVIEW)
    nurse = new_member(db, F.ASSIGN)
    services.patient_view(db.uow(), staff_ctx(nurse), new_patient())
    record_id = services.search_log(db.uow(), staff_ctx(reviewer), LogFilters(staff=nurse)).accesses[0].record_id
    services.review_flag(db.uow(), staff_ctx(reviewer), Rule.NO_RELATION, record_id, "Ok")
    with pytest.raises(RuleViolation):
        services.review_flag(db.uow(), staff_ctx(reviewer), Rule.NO_RELATION, record_id, "Igen")


def test_another_care_giver_s_record_cannot_be_reviewed(db: Database) -> None:
    reviewer_b = new_member(db, F.LOG_REVIEW, unit=demo.CARE_UNIT_B, care_giver=demo.CARE_GIVER_B)
    nurse = new_member(db, F.ASSIGN)
    services.patient_view(db.uow(), staff_ctx(nurse), new_patient())
    record_id = services.search_log(db.uow(), CallContext.operator(utcnow()), LogFilters(staff=nurse),
                                    care_giver=demo.CARE_GIVER_A).accesses[0].record_id
    with pytest.raises(RuleViolation):
        services.review_flag(db.uow(), staff_ctx(reviewer_b, demo.CARE_UNIT_B), Rule.NO_RELATION, record_id, "Ok")


def test_the_review_shows_in_the_patient_s_access_log_as_the_care_giver_s(db: Database) -> None:
    reviewer = new_member(db, F.LOG_REVIEW)
    nurse = new_member(db, F.ASSIGN)
    p = new_patient()
    services.patient_view(db.uow(), staff_ctx(nurse), p)
    services.search_log(db.uow(), staff_ctx(reviewer), LogFilters(patient=p.id))
    with db.uow() as uow:
        reviews = [r for r in uow.audit.for_patient(p.id) if r.operation is Operation.LOG_REVIEW]
    assert [(r.actor_id, r.care_giver) for r in reviews] == [(reviewer, demo.CARE_GIVER_A)]


def test_the_export_holds_every_record_of_the_search(db: Database) -> None:
    reviewer = new_member(db, F.LOG_REVIEW)
    nurse = new_member(db, F.ASSIGN)
    read = [new_patient() for _ in range(3)]
    for p in read:
        services.patient_view(db.uow(), staff_ctx(nurse), p)
    exported = services.export_log(db.uow(), staff_ctx(reviewer), LogFilters(staff=nurse))
    assert sorted(a.record.patient_id for a in exported) == sorted(p.id for p in read)


def test_a_burst_across_two_stretches_of_ten_minutes_is_flagged(db: Database) -> None:
    reviewer = new_member(db, F.LOG_REVIEW)
    nurse = new_member(db, F.ASSIGN)
    hour_ago = utcnow() - timedelta(hours=1)
    boundary = datetime.fromtimestamp(int(hour_ago.timestamp()) // 600 * 600, UTC)
    read = [new_patient() for _ in range(21)]
    for i, p in enumerate(read):  # ten reads before the boundary, eleven from it
        services.patient_view(db.uow(), staff_ctx(nurse, now=boundary + timedelta(seconds=25 * i - 250)), p)
    filters = LogFilters(period_start=local_date(boundary) - timedelta(days=1), period_end=local_date(utcnow()))
    assert flagged(db, reviewer, nurse, Rule.MANY_PATIENTS, filters) == [read[-1].id]


def test_a_patient_with_the_member_s_surname_is_flagged_through_the_register(db: Database) -> None:
    reviewer = new_member(db, F.LOG_REVIEW)
    nurse = new_member(db, F.ASSIGN, name="Tina Namnesson")
    namesake, other = new_patient(), new_patient()
    services.patient_view(db.uow(), staff_ctx(nurse), namesake)
    services.patient_view(db.uow(), staff_ctx(nurse), other)
    register = FakeRegister({namesake.id: "Namnesson", other.id: "Annan"})
    page = services.log_flags(db.uow(), staff_ctx(reviewer), LogFilters(staff=nurse), register=register,
                              rule=Rule.NAMESAKE)
    assert [f.access.record.patient_id for f in page.flags] == [namesake.id]
