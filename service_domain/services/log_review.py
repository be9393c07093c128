"""The log review: a care giver's log reviewers search its audit records, go through the
accesses the checks flag, mark flags reviewed with a note, and export either as rows.

A reviewer (the LOG_REVIEW function) sees the records of their own care giver only; an operator
at the console names the care giver. Reviewing is itself an access to the patients shown: every
page, listing of flags and exported batch is recorded (``LogReview``), so it shows in those
patients' access logs as a review by the care giver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from .. import checks, paging
from ..clock import day_after, day_start, local_date
from ..enums import AuditAction
from ..errors import InvalidRequest, RuleViolation, SubCode
from ..identity import PERSONNUMMER, PersonId
from ..model import (
    BurstLimit,
    Flag,
    FlagReview,
    LoggedAccess,
    LogQuery,
    OfficeHours,
    ReviewedPerson,
    Rule,
)
from ..model import log_review as rules
from ..operations import Operation
from ..ports import PopulationRegister, StorageUnavailable, UnitOfWork
from .calls import Call, acting_member, performs

# the checks look at a period of at most this many days (a week, a month: the review's rhythm)
MAX_CHECK_DAYS = 31
DEFAULT_CHECK_DAYS = 7
EXPORT_BATCH = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class LogFilters:
    """A reviewer's search as typed: each filter optional, the period in Swedish calendar days
    (both inclusive)."""

    patient: str | None = None
    staff: str | None = None
    care_unit: str | None = None
    system: str | None = None
    interaction: str | None = None
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    """The checks' settings (``EPH_LOG_REVIEW_*``)."""

    office_hours: OfficeHours = field(default_factory=OfficeHours)
    burst: BurstLimit = field(default_factory=BurstLimit)


@dataclass(frozen=True, slots=True)
class LogPage:
    accesses: list[LoggedAccess]
    continuation_token: str | None


@dataclass(frozen=True, slots=True)
class FlagsPage:
    flags: list[Flag]
    continuation_token: str | None
    period_start: date
    period_end: date
    # whether the namesake check was made (it needs the population register)
    namesakes_checked: bool


def _optional(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _query(care_giver: str, filters: LogFilters) -> LogQuery:
    """The filters checked, as a query of the care giver's records."""
    checks.period(filters.period_start, filters.period_end)
    patient = _optional(filters.patient)
    if patient is not None and (len(patient) > 32 or not patient.isalnum()):
        raise InvalidRequest("the patient's id is 1 to 32 letters or digits")
    interaction = _optional(filters.interaction)
    if interaction is not None and interaction not in set(Operation):
        raise InvalidRequest("the interaction is not one the service performs")
    return LogQuery(
        care_giver=care_giver.upper(),
        patient_id=patient,
        staff_id=checks.hsa(_optional(filters.staff), "the staff member's HSA-id"),
        care_unit=checks.hsa(_optional(filters.care_unit), "the care unit"),
        system=checks.hsa(_optional(filters.system), "the system's HSA-id"),
        interaction=interaction,
        since=day_start(filters.period_start) if filters.period_start else None,
        until=day_after(filters.period_end) if filters.period_end and filters.period_end < date.max else None,
    )


def _care_giver(uow: UnitOfWork, call: Call, care_giver: str | None) -> str:
    """The reviewer's care giver; an operator at the console names one."""
    if call.staff is not None:
        return acting_member(uow, call)[1].care_giver.upper()
    if not care_giver:
        raise InvalidRequest("the care giver is required")
    checks.hsa(care_giver, "careGiverHSAId")
    return care_giver.upper()


def _audit_shown(uow: UnitOfWork, call: Call, care_giver: str, accesses: list[LoggedAccess]) -> None:
    """Record that the reviewer saw these patients' audit records."""
    patients = [PersonId(a.record.patient_id, a.record.patient_type or PERSONNUMMER) for a in accesses]
    if patients:
        uow.audit.add(call.audit(AuditAction.READ, patients, care_giver=care_giver))


def _position(moment: datetime, *rest: int) -> tuple[int, ...]:
    delta = moment - _EPOCH
    return (delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds, *rest)


def _moment(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _digest(uow: UnitOfWork, what: str, query: LogQuery, *more: str) -> bytes:
    return paging.keyed_digest(uow.paging_key(), what, *query.parts(), *more)


# ------------------------------------------------------------------ the search


@performs(Operation.LOG_REVIEW)
def search_log(
    uow: UnitOfWork, call: Call, filters: LogFilters, continuation_token: str | None = None,
    max_results: int | None = None, care_giver: str | None = None,
) -> LogPage:
    """The care giver's audit records matching the filters, newest first, a page at a time."""
    limit = checks.page_size(max_results)
    with uow:
        query = _query(_care_giver(uow, call, care_giver), filters)
        digest = _digest(uow, "LogReview", query)
        before = None
        if continuation_token:
            micros, record_id = paging.decode_position(continuation_token, digest, 2)
            before = (_moment(micros), record_id)
        found = uow.log_review.search(query, before, limit + 1)
        page = found[:limit]
        token = None
        if len(found) > limit:
            token = paging.encode_position(_position(page[-1].record.time, page[-1].record_id), digest)
        _audit_shown(uow, call, query.care_giver, page)
        uow.commit()
        return LogPage(page, token)


@performs(Operation.LOG_REVIEW)
def export_log(
    uow: UnitOfWork, call: Call, filters: LogFilters, care_giver: str | None = None
) -> Iterator[LoggedAccess]:
    """Every matching record, newest first, read and recorded a batch at a time as the caller
    consumes them (the reviewer is checked before the first)."""
    with uow:
        query = _query(_care_giver(uow, call, care_giver), filters)

    def batches() -> Iterator[LoggedAccess]:
        before: tuple[datetime, int] | None = None
        while True:
            with uow:
                batch = uow.log_review.search(query, before, EXPORT_BATCH)
                _audit_shown(uow, call, query.care_giver, batch)
                uow.commit()
            yield from batch
            if len(batch) < EXPORT_BATCH:
                return
            before = (batch[-1].record.time, batch[-1].record_id)

    return batches()


# ------------------------------------------------------------------ the checks


def _check_period(filters: LogFilters, today: date) -> LogFilters:
    """The period the checks look at: the one given (at most MAX_CHECK_DAYS days), else the last
    DEFAULT_CHECK_DAYS days to today."""
    end = filters.period_end or today
    start = filters.period_start or end - timedelta(days=DEFAULT_CHECK_DAYS - 1)
    if end < start:
        raise InvalidRequest("period ends before it starts")
    if (end - start).days + 1 > MAX_CHECK_DAYS:
        raise InvalidRequest(f"the checks look at most {MAX_CHECK_DAYS} days at a time")
    return LogFilters(filters.patient, filters.staff, filters.care_unit, filters.system, filters.interaction, start, end)


def _staff_of(uow: UnitOfWork, care_giver: str) -> dict[str, ReviewedPerson]:
    return {m.hsa_id.upper(): ReviewedPerson(m.name, m.person_id) for m in uow.staff.list(care_giver)}


def _surnames(register: PopulationRegister) -> Callable[[str, str | None], str | None]:
    def surname_of(patient_id: str, patient_type: str | None) -> str | None:
        record = register.lookup(PersonId(patient_id, patient_type or PERSONNUMMER))
        return record.surname if record is not None else None

    return surname_of


def _flags(
    uow: UnitOfWork, query: LogQuery, chosen: frozenset[Rule], before: tuple[datetime, int] | None, limit: int,
    settings: ReviewSettings, register: PopulationRegister | None,
) -> tuple[list[Flag], bool]:
    """Each chosen rule's flags from ``before`` on (inclusive), at least the ``limit`` newest of
    each; and whether the namesakes were checked."""
    flags: list[Flag] = []
    if Rule.NO_RELATION in chosen:
        flags += [Flag(Rule.NO_RELATION, a) for a in uow.log_review.without_relation(query, before, limit)]
    if Rule.OUT_OF_HOURS in chosen:
        assert query.since is not None and query.until is not None
        outside = settings.office_hours.outside(query.since, query.until)
        flags += [Flag(Rule.OUT_OF_HOURS, a) for a in uow.log_review.staff_accesses(query, before, limit, outside)]
    if Rule.OWN_RECORD in chosen:
        flags += [Flag(Rule.OWN_RECORD, a) for a in uow.log_review.own_records(query, before, limit)]
    if Rule.MANY_PATIENTS in chosen:
        # a burst within a window lies in two stretches of the window's length, and one of them
        # holds more than half its patients: only those stretches and their neighbours are read
        burst = settings.burst
        possible = uow.log_review.busy(query, burst.window, burst.patients // 2 + 1)
        flags += [Flag(Rule.MANY_PATIENTS, a) for a in rules.bursts(possible, burst)]
    checked = register is not None
    if Rule.NAMESAKE in chosen and register is not None:
        staff = _staff_of(uow, query.care_giver)
        try:
            pairs = rules.namesakes(uow.log_review.staff_patients(query), staff, _surnames(register))
        except StorageUnavailable:
            pairs, checked = [], False
        flags += [Flag(Rule.NAMESAKE, a) for a in uow.log_review.accesses_of(query, pairs, before, limit)]
    return flags, checked


@performs(Operation.LOG_REVIEW)
def log_flags(
    uow: UnitOfWork, call: Call, filters: LogFilters, *, register: PopulationRegister | None = None,
    settings: ReviewSettings | None = None, rule: Rule | str | None = None, continuation_token: str | None = None,
    max_results: int | None = None, care_giver: str | None = None,
) -> FlagsPage:
    """The accesses the checks flag in the period (by default the last week), newest first, each
    with its review if it has one. The namesake check needs the population register (``register``,
    else the one the unit of work was given): without one (or while it cannot be reached) it is
    left out, and the page says so."""
    limit = checks.page_size(max_results)
    settings = settings or ReviewSettings()
    try:
        chosen = frozenset({Rule(rule)}) if rule else frozenset(Rule)
    except ValueError:
        raise InvalidRequest("the check must be one of " + ", ".join(Rule)) from None
    filters = _check_period(filters, local_date(call.now))
    assert filters.period_start is not None and filters.period_end is not None
    register = register if register is not None else uow.population
    with uow:
        query = _query(_care_giver(uow, call, care_giver), filters)
        digest = _digest(uow, "LogReviewFlags", query, ",".join(sorted(chosen)))
        after = None
        before = None
        if continuation_token:
            micros, record_id, ordinal = paging.decode_position(continuation_token, digest, 3)
            after = (_moment(micros), record_id, ordinal)
            before = (after[0], record_id + 1)  # the record of the last flag may have more flags
        flags, checked = _flags(uow, query, chosen, before, limit + 1, settings, register)
        page, more = rules.page_of_flags(flags, after, limit)
        reviews = uow.log_review.reviews(query.care_giver, [(f.rule, f.access.record_id) for f in page])
        page = [Flag(f.rule, f.access, reviews.get((f.rule, f.access.record_id))) for f in page]
        last = page[-1].key if page else None
        token = paging.encode_position(_position(last[0], last[1], last[2]), digest) if more and last else None
        _audit_shown(uow, call, query.care_giver, [f.access for f in page])
        uow.commit()
        return FlagsPage(page, token, filters.period_start, filters.period_end,
                         checked or Rule.NAMESAKE not in chosen)


@performs(Operation.LOG_REVIEW)
def review_flag(
    uow: UnitOfWork, call: Call, rule: Rule | str, record_id: int, note: str, *,
    reviewed_by: str | None = None, care_giver: str | None = None,
) -> FlagReview:
    """Mark a flag (a check and the audit record it flagged) reviewed, with a note. A flag is
    reviewed once; the reviewer is the staff member acting (an operator names one)."""
    try:
        rule = Rule(rule)
    except ValueError:
        raise InvalidRequest("the check must be one of " + ", ".join(Rule)) from None
    note = checks.text(note, "the note", rules.REVIEW_NOTE_MAX)
    with uow:
        cg = _care_giver(uow, call, care_giver)
        if call.staff is not None:
            reviewed_by = call.staff.hsa_id
        if not reviewed_by:
            raise InvalidRequest("the reviewer is required")
        checks.hsa(reviewed_by, "the reviewer's HSA-id")
        access = uow.log_review.record(cg, record_id)
        if access is None:
            raise RuleViolation(SubCode.UNKNOWN_ID, "no audit record of the care giver with that id")
        review = FlagReview(cg, rule, record_id, reviewed_by, call.now, note)
        if not uow.log_review.add_review(review):
            raise RuleViolation(SubCode.WRONG_STATE, "the flag is already reviewed")
        _audit_shown(uow, call, cg, [access])
        uow.commit()
        return review
