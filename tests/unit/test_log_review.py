"""The log review's checks as rules over audit records (office hours, many patients in a short
time, own record, namesake, the order of flags), and its service functions on a unit of work in
memory (tests/fake_log_review.py): the care giver's scope, paging, reviews, the namesake check
without and with the population register, and the review's own audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from service_domain import services
from service_domain.commands import CallContext
from service_domain.enums import ActorKind, AuditAction
from service_domain.errors import InvalidRequest, RuleViolation
from service_domain.model import (
    AuditRecord,
    BurstLimit,
    Flag,
    LoggedAccess,
    OfficeHours,
    ReviewedPerson,
    Rule,
    StaffPatient,
)
from service_domain.model import log_review as rules
from service_domain.operations import Operation
from service_domain.ports import StorageUnavailable
from service_domain.services import LogFilters
from service_domain.staff import StaffMember
from tests.fake_log_review import FakeRegister, FakeUnitOfWork
from tests.support import person_number

CG = "SE2321000016-CG01"
OTHER_CG = "SE2321000255-CG02"
UNIT = "SE2321000016-CU01"
NURSE = "SE2321000016-ST01"
CLERK = "SE2321000016-ST02"
WEDNESDAY_NOON = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # 12:00 in Stockholm (UTC+1)


def access(record_id: int, when: datetime, patient: str, actor: str = NURSE, **kw: object) -> LoggedAccess:
    fields: dict[str, object] = dict(
        time=when, operation=Operation.PATIENT_VIEW, action=AuditAction.READ, patient_id=patient,
        log_id=f"log-{record_id}", consumer_hsa_id="SE2321000016-WEB1", actor_id=actor, care_giver=CG,
        care_unit=UNIT, actor_kind=ActorKind.STAFF, patient_type="1.2.752.129.2.1.3.1",
    )
    fields.update(kw)
    return LoggedAccess(record_id, AuditRecord(**fields))  # type: ignore[arg-type]


def patients(n: int) -> list[str]:
    return [person_number(date(1980, 1, 1) + timedelta(days=i)) for i in range(n)]


# ---------------------------------------------------------------- office hours


def test_a_weekday_noon_is_within_office_hours() -> None:
    assert OfficeHours().covers(WEDNESDAY_NOON)


def test_a_weekday_evening_is_outside_office_hours() -> None:
    assert not OfficeHours().covers(datetime(2026, 11, 25, 17, 30, tzinfo=UTC))  # 18:30 local


def test_a_saturday_noon_is_outside_office_hours() -> None:
    assert not OfficeHours().covers(datetime(2026, 11, 28, 11, 0, tzinfo=UTC))


def test_the_times_outside_a_weekday_are_before_seven_and_from_six_local() -> None:
    day = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # Wednesday 00:00 local
    assert OfficeHours().outside(day, day + timedelta(days=1)) == [
        (day, datetime(2026, 11, 25, 6, 0, tzinfo=UTC)),
        (datetime(2026, 11, 25, 17, 0, tzinfo=UTC), day + timedelta(days=1)),
    ]


def test_the_office_opens_an_hour_earlier_in_utc_after_summer_time_begins() -> None:
    monday = datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # Monday 30 March 00:00 local, summer time
    assert OfficeHours().outside(monday, monday + timedelta(days=1))[0][1] == datetime(2026, 3, 30, 5, 0, tzinfo=UTC)


def test_a_weekend_is_outside_office_hours_whole() -> None:
    saturday = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
    assert OfficeHours().outside(saturday, saturday + timedelta(days=2)) == [(saturday, saturday + timedelta(days=2))]


def test_office_hours_of_one_s_own_choosing() -> None:
    hours = OfficeHours(weekdays=frozenset(range(7)), start=time(6), end=time(22))
    assert hours.covers(datetime(2026, 11, 28, 20, 0, tzinfo=UTC))  # Saturday 21:00 local


def test_office_hours_that_end_before_they_start_are_refused() -> None:
    with pytest.raises(ValueError):
        OfficeHours(start=time(18), end=time(7))


# ---------------------------------------------------------------- many patients in a short time


def test_more_patients_than_the_limit_within_the_window_flags_the_read_over_the_limit() -> None:
    reads = [access(i, WEDNESDAY_NOON + timedelta(seconds=20 * i), p) for i, p in enumerate(patients(21))]
    assert [a.record_id for a in rules.bursts(reads, BurstLimit())] == [20]


def test_as_many_patients_as_the_limit_is_no_burst() -> None:
    reads = [access(i, WEDNESDAY_NOON + timedelta(seconds=20 * i), p) for i, p in enumerate(patients(20))]
    assert rules.bursts(reads, BurstLimit()) == []


def test_reads_spread_wider_than_the_window_are_no_burst() -> None:
    reads = [access(i, WEDNESDAY_NOON + timedelta(minutes=i), p) for i, p in enumerate(patients(30))]
    assert rules.bursts(reads, BurstLimit(patients=20, window=timedelta(minutes=10))) == []


def test_one_patient_read_many_times_is_no_burst() -> None:
    one = patients(1)[0]
    reads = [access(i, WEDNESDAY_NOON + timedelta(seconds=i), one) for i in range(50)]
    assert rules.bursts(reads, BurstLimit()) == []


def test_two_people_s_reads_are_counted_apart() -> None:
    ps = patients(22)
    reads = [access(i, WEDNESDAY_NOON + timedelta(seconds=i), p, actor=NURSE if i % 2 else CLERK)
             for i, p in enumerate(ps)]
    assert rules.bursts(reads, BurstLimit()) == []


# ---------------------------------------------------------------- own record and namesakes


@pytest.mark.parametrize(("name", "surname", "same"), [
    ("Nina Andersson", "Andersson", True),
    ("Nina Andersson", "andersson", True),
    ("Nina Svensson Berg", "Svensson Berg", True),
    ("Nina Andersson", "Andersen", False),
    ("Nina Bergström", "Ström", False),
    ("Nina Andersson", "", False),
])
def test_a_namesake_shares_the_surname_as_a_whole(name: str, surname: str, same: bool) -> None:
    assert rules.same_surname(name, surname) is same


def test_the_register_is_asked_once_per_patient() -> None:
    patient = patients(1)[0]
    asked: list[str] = []
    pairs = [StaffPatient(NURSE, patient), StaffPatient(CLERK, patient)]
    staff = {NURSE: ReviewedPerson("Nina Nurse"), CLERK: ReviewedPerson("Carl Clerk")}
    rules.namesakes(pairs, staff, lambda p, t: asked.append(p) or "Nurse")
    assert asked == [patient]


def test_one_s_own_record_is_no_namesake() -> None:
    me = patients(1)[0]
    found = rules.namesakes([StaffPatient(NURSE, me)], {NURSE: ReviewedPerson("Nina Nurse", me)},
                            lambda p, t: "Nurse")
    assert found == []


def test_a_patient_with_the_member_s_surname_is_a_namesake() -> None:
    pairs = [StaffPatient(NURSE, "1"), StaffPatient(NURSE, "2")]
    found = rules.namesakes(pairs, {NURSE: ReviewedPerson("Nina Nurse")}, lambda p, t: "Nurse" if p == "1" else "Other")
    assert found == [StaffPatient(NURSE, "1")]


def test_flags_are_newest_first_and_page_past_the_position() -> None:
    a, b = access(1, WEDNESDAY_NOON, "1"), access(2, WEDNESDAY_NOON + timedelta(minutes=1), "2")
    flags = [Flag(Rule.NO_RELATION, a), Flag(Rule.OUT_OF_HOURS, b), Flag(Rule.NO_RELATION, b)]
    first, more = rules.page_of_flags(flags, None, 2)
    rest, _ = rules.page_of_flags(flags, first[-1].key, 2)
    assert [(f.rule, f.access.record_id) for f in first + rest] == [
        (Rule.OUT_OF_HOURS, 2), (Rule.NO_RELATION, 2), (Rule.NO_RELATION, 1)]
    assert more


# ---------------------------------------------------------------- the service functions


def operator(now: datetime = WEDNESDAY_NOON) -> CallContext:
    return CallContext.operator(now)


def review_uow(*extra: LoggedAccess, members: tuple[StaffMember, ...] = ()) -> FakeUnitOfWork:
    uow = FakeUnitOfWork(members or (StaffMember(NURSE, "Nina Nurse", CG, {UNIT: frozenset()}),))
    uow.audit.rows.extend(extra)
    return uow


def flags(uow: FakeUnitOfWork, **kw: object) -> list[tuple[Rule, int]]:
    page = services.log_flags(uow, operator(), LogFilters(), care_giver=CG, **kw)  # type: ignore[arg-type]
    return [(f.rule, f.access.record_id) for f in page.flags]


def test_the_search_holds_only_the_care_giver_s_records() -> None:
    uow = review_uow(access(1, WEDNESDAY_NOON, "1"), access(2, WEDNESDAY_NOON, "2", care_giver=OTHER_CG))
    page = services.search_log(uow, operator(), LogFilters(), care_giver=CG)
    assert [a.record_id for a in page.accesses] == [1]


def test_the_search_pages_newest_first() -> None:
    uow = review_uow(*(access(i, WEDNESDAY_NOON - timedelta(minutes=i), str(i)) for i in range(1, 6)))
    first = services.search_log(uow, operator(), LogFilters(), max_results=3, care_giver=CG)
    rest = services.search_log(uow, operator(), LogFilters(), first.continuation_token, 3, care_giver=CG)
    assert [a.record_id for a in first.accesses + rest.accesses] == [1, 2, 3, 4, 5]


def test_a_token_of_another_search_is_refused() -> None:
    uow = review_uow(*(access(i, WEDNESDAY_NOON - timedelta(minutes=i), str(i)) for i in range(1, 4)))
    first = services.search_log(uow, operator(), LogFilters(), max_results=1, care_giver=CG)
    with pytest.raises(InvalidRequest):
        services.search_log(uow, operator(), LogFilters(staff=NURSE), first.continuation_token, 1, care_giver=CG)


def test_the_search_records_the_review_of_each_patient_shown() -> None:
    uow = review_uow(access(1, WEDNESDAY_NOON, "191212121212"))
    services.search_log(uow, operator(), LogFilters(), care_giver=CG)
    review = uow.audit.rows[-1].record
    assert (review.operation, review.patient_id, review.care_giver) == (Operation.LOG_REVIEW, "191212121212", CG)


def test_an_unknown_interaction_is_refused() -> None:
    with pytest.raises(InvalidRequest):
        services.search_log(review_uow(), operator(), LogFilters(interaction="Nothing"), care_giver=CG)


def test_an_operator_names_the_care_giver() -> None:
    with pytest.raises(InvalidRequest):
        services.search_log(review_uow(), operator(), LogFilters())


def test_an_access_at_night_is_flagged() -> None:
    night = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)  # 23:00 local
    uow = review_uow(access(1, night, "1"), access(2, WEDNESDAY_NOON, "2"))
    assert flags(uow, rule=Rule.OUT_OF_HOURS) == [(Rule.OUT_OF_HOURS, 1)]


def test_a_read_without_relation_to_the_unit_is_flagged() -> None:
    uow = review_uow(access(1, WEDNESDAY_NOON, "1"), access(2, WEDNESDAY_NOON, "2"))
    uow.log_review.related.add(("2", UNIT))
    assert flags(uow, rule=Rule.NO_RELATION) == [(Rule.NO_RELATION, 1)]


def test_a_system_s_access_is_not_checked() -> None:
    night = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
    uow = review_uow(access(1, night, "1", actor="SE2321000016-LAB1", actor_kind=ActorKind.SYSTEM, care_unit=None))
    assert flags(uow) == []


def test_the_review_s_own_records_are_not_checked() -> None:
    night = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
    uow = review_uow(access(1, night, "1", operation=Operation.LOG_REVIEW))
    assert flags(uow) == []


def test_the_checks_look_at_the_last_week_by_default() -> None:
    old = datetime(2026, 11, 10, 22, 0, tzinfo=UTC)
    uow = review_uow(access(1, old, "1"))
    assert flags(uow, rule=Rule.OUT_OF_HOURS) == []


def test_the_checks_refuse_a_period_longer_than_a_month() -> None:
    with pytest.raises(InvalidRequest):
        services.log_flags(review_uow(), operator(), LogFilters(period_start=date(2026, 1, 1), period_end=date(2026, 3, 1)), care_giver=CG)


def test_a_read_of_one_s_own_record_is_flagged() -> None:
    me = patients(1)[0]
    uow = review_uow(access(1, WEDNESDAY_NOON, me),
                     members=(StaffMember(NURSE, "Nina Nurse", CG, {UNIT: frozenset()}, person_id=me),))
    assert flags(uow, rule=Rule.OWN_RECORD) == [(Rule.OWN_RECORD, 1)]


def test_without_the_register_the_namesakes_are_not_checked_and_the_page_says_so() -> None:
    uow = review_uow(access(1, WEDNESDAY_NOON, "1"))
    page = services.log_flags(uow, operator(), LogFilters(), care_giver=CG)
    assert not page.namesakes_checked


def test_with_the_register_a_namesake_is_flagged() -> None:
    uow = review_uow(access(1, WEDNESDAY_NOON, "1"), access(2, WEDNESDAY_NOON, "2"))
    register = FakeRegister({"1": "Nurse", "2": "Other"})
    assert flags(uow, rule=Rule.NAMESAKE, register=register) == [(Rule.NAMESAKE, 1)]


def test_the_unit_of_work_s_register_serves_when_none_is_given() -> None:
    uow = review_uow(access(1, WEDNESDAY_NOON, "1"), access(2, WEDNESDAY_NOON, "2"))
    uow.population = FakeRegister({"1": "Nurse", "2": "Other"})
    assert flags(uow, rule=Rule.NAMESAKE) == [(Rule.NAMESAKE, 1)]


def test_a_register_out_of_reach_leaves_the_namesakes_unchecked() -> None:
    class Down:
        def lookup(self, person: object) -> None:
            raise StorageUnavailable("down")

    uow = review_uow(access(1, WEDNESDAY_NOON, "1"))
    page = services.log_flags(uow, operator(), LogFilters(), care_giver=CG, register=Down())
    assert not page.namesakes_checked


def test_a_flag_marked_reviewed_shows_its_review() -> None:
    night = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
    uow = review_uow(access(1, night, "1"))
    services.review_flag(uow, operator(), Rule.OUT_OF_HOURS, 1, "Jourarbete", reviewed_by=NURSE, care_giver=CG)
    page = services.log_flags(uow, operator(), LogFilters(), care_giver=CG, rule=Rule.OUT_OF_HOURS)
    assert page.flags[0].review is not None and page.flags[0].review.note == "Jourarbete"


def test_a_flag_is_reviewed_once() -> None:
    uow = review_uow(access(1, WEDNESDAY_NOON, "1"))
    services.review_flag(uow, operator(), Rule.NO_RELATION, 1, "Ok", reviewed_by=NURSE, care_giver=CG)
    with pytest.raises(RuleViolation):
        services.review_flag(uow, operator(), Rule.NO_RELATION, 1, "Igen", reviewed_by=NURSE, care_giver=CG)


def test_another_care_giver_s_record_cannot_be_reviewed() -> None:
    uow = review_uow(access(1, WEDNESDAY_NOON, "1", care_giver=OTHER_CG))
    with pytest.raises(RuleViolation):
        services.review_flag(uow, operator(), Rule.NO_RELATION, 1, "Ok", reviewed_by=NURSE, care_giver=CG)


def test_a_review_needs_a_note() -> None:
    uow = review_uow(access(1, WEDNESDAY_NOON, "1"))
    with pytest.raises(InvalidRequest):
        services.review_flag(uow, operator(), Rule.NO_RELATION, 1, "  ", reviewed_by=NURSE, care_giver=CG)


def test_the_export_reads_every_record_and_records_the_review() -> None:
    uow = review_uow(*(access(i, WEDNESDAY_NOON - timedelta(seconds=i), str(i)) for i in range(1, 4)))
    exported = [a.record_id for a in services.export_log(uow, operator(), LogFilters(), care_giver=CG)]
    assert (exported, len(uow.audit.rows)) == ([1, 2, 3], 6)
