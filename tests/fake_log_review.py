"""A unit of work in memory for the log review's service functions: the audit records, the
staff registry, the reviews of flags, and a population register."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from service_domain.enums import ActorKind, AuditAction
from service_domain.identity import PersonId
from service_domain.model import (
    AuditRecord,
    FlagReview,
    LoggedAccess,
    LogQuery,
    PersonRecord,
    Rule,
    StaffPatient,
)
from service_domain.operations import Operation
from service_domain.staff import StaffMember
from tests import fake_outbox


def _matches(a: LoggedAccess, q: LogQuery, before: tuple[datetime, int] | None) -> bool:
    r = a.record
    return all((
        (r.care_giver or "").upper() == q.care_giver.upper(),
        q.patient_id is None or r.patient_id == q.patient_id,
        q.staff_id is None or (r.actor_id or "").upper() == q.staff_id.upper(),
        q.care_unit is None or (r.care_unit or "").upper() == q.care_unit.upper(),
        q.system is None or (r.consumer_hsa_id or "").upper() == q.system.upper(),
        q.interaction is None or r.operation.value == q.interaction,
        q.since is None or r.time >= q.since,
        q.until is None or r.time < q.until,
        before is None or (r.time, a.record_id) < before,
    ))


class FakeLogReview:
    def __init__(self, audit: FakeAudit, related: set[tuple[str, str]], staff: FakeStaff) -> None:
        self.audit = audit
        self.related = related  # (patient id, care unit) pairs with an offer, order or case there
        self.staff = staff
        self.stored: dict[tuple[str, Rule, int], FlagReview] = {}

    def _newest_first(self, found: Iterable[LoggedAccess], limit: int | None) -> list[LoggedAccess]:
        ordered = sorted(found, key=lambda a: (a.record.time, a.record_id), reverse=True)
        return ordered if limit is None else ordered[:limit]

    def search(self, query: LogQuery, before: tuple[datetime, int] | None, limit: int) -> list[LoggedAccess]:
        return self._newest_first((a for a in self.audit.rows if _matches(a, query, before)), limit)

    def staff_accesses(
        self, query: LogQuery, before: tuple[datetime, int] | None, limit: int | None,
        within: Sequence[tuple[datetime, datetime]] | None = None,
    ) -> list[LoggedAccess]:
        found = (
            a for a in self.audit.rows
            if _matches(a, query, before) and a.record.actor_kind is ActorKind.STAFF
            and a.record.operation is not Operation.LOG_REVIEW
            and (within is None or any(s <= a.record.time < e for s, e in within))
        )
        return self._newest_first(found, limit)

    def without_relation(self, query: LogQuery, before: tuple[datetime, int] | None, limit: int) -> list[LoggedAccess]:
        found = (
            a for a in self.staff_accesses(query, before, None)
            if a.record.action is AuditAction.READ and a.record.care_unit
            and (a.record.patient_id, a.record.care_unit) not in self.related
        )
        return self._newest_first(found, limit)

    def own_records(self, query: LogQuery, before: tuple[datetime, int] | None, limit: int) -> list[LoggedAccess]:
        def own(a: LoggedAccess) -> bool:
            member = self.staff.get(a.record.actor_id or "")
            return member is not None and member.person_id == a.record.patient_id
        return [a for a in self.staff_accesses(query, before, None) if own(a)][:limit]

    def busy(self, query: LogQuery, window: timedelta, patients: int) -> list[LoggedAccess]:
        return self.staff_accesses(query, None, None)  # every access a burst could be among

    def staff_patients(self, query: LogQuery) -> list[StaffPatient]:
        found = {StaffPatient(a.record.actor_id or "", a.record.patient_id, a.record.patient_type)
                 for a in self.staff_accesses(query, None, None)}
        return sorted(found, key=lambda p: (p.staff_id, p.patient_id))

    def accesses_of(
        self, query: LogQuery, pairs: Sequence[StaffPatient], before: tuple[datetime, int] | None, limit: int
    ) -> list[LoggedAccess]:
        wanted = {(p.staff_id, p.patient_id) for p in pairs}
        return [a for a in self.staff_accesses(query, before, None)
                if (a.record.actor_id, a.record.patient_id) in wanted][:limit]

    def record(self, care_giver: str, record_id: int) -> LoggedAccess | None:
        return next((a for a in self.audit.rows if a.record_id == record_id
                     and (a.record.care_giver or "").upper() == care_giver.upper()), None)

    def reviews(self, care_giver: str, flags: Iterable[tuple[Rule, int]]) -> dict[tuple[Rule, int], FlagReview]:
        return {(rule, rid): self.stored[(care_giver, rule, rid)] for rule, rid in flags
                if (care_giver, rule, rid) in self.stored}

    def add_review(self, review: FlagReview) -> bool:
        key = (review.care_giver, review.rule, review.record_id)
        if key in self.stored:
            return False
        self.stored[key] = review
        return True


class FakeAudit:
    def __init__(self) -> None:
        self.rows: list[LoggedAccess] = []

    def add(self, records: Iterable[AuditRecord]) -> None:
        for r in records:
            self.rows.append(LoggedAccess(len(self.rows) + 1, r))


class FakeStaff:
    def __init__(self, members: Iterable[StaffMember]) -> None:
        self.members = {m.hsa_id.upper(): m for m in members}

    def get(self, hsa_id: str) -> StaffMember | None:
        return self.members.get(hsa_id.upper())

    def list(self, care_giver: str | None = None) -> list[StaffMember]:
        return [m for m in self.members.values() if care_giver is None or m.care_giver.upper() == care_giver.upper()]


class FakeUnitOfWork(fake_outbox.FakeUnitOfWork):
    """What the log review uses besides (the outbox's fake: a commit is counted, the changes
    kept either way)."""

    def __init__(self, members: Iterable[StaffMember] = (), related: set[tuple[str, str]] | None = None) -> None:
        super().__init__()
        self.audit = FakeAudit()
        self.staff = FakeStaff(members)
        self.log_review = FakeLogReview(self.audit, related or set(), self.staff)

    def paging_key(self) -> bytes:
        return b"k" * 16


class FakeRegister:
    """The population register in memory: surname by personal identity number; counts look-ups."""

    def __init__(self, surnames: dict[str, str]) -> None:
        self.surnames = surnames
        self.lookups = 0

    def lookup(self, person: PersonId) -> PersonRecord | None:
        self.lookups += 1
        surname = self.surnames.get(person.id)
        return PersonRecord(person, "Förnamn", surname) if surname is not None else None
