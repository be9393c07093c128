"""What the service layer needs from storage. The SQL adapter in ``persistence``
implements these; the domain never imports it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from .identity import PersonId
from .model import (
    AuditRecord,
    ConnectedSystem,
    DeletionRecord,
    EventKind,
    EventState,
    FlagReview,
    FollowUpCase,
    FollowUpStep,
    LoggedAccess,
    LogQuery,
    NoticeChannel,
    NoticeKind,
    NoticeSettings,
    Offer,
    OfferDefinition,
    Order,
    OrderStatus,
    OutboxCounts,
    OutboxEvent,
    PersonRecord,
    ReserveNumberType,
    RetentionKind,
    Rule,
    SamplingMode,
    SamplingSite,
    SentNotice,
    Specimen,
    StaffPatient,
    StatusChange,
    StoredResult,
    SystemKey,
)
from .model.regions import Agreement, Region
from .staff import StaffMember


@dataclass(frozen=True, slots=True)
class OrderQuery:
    """A GetOrders match: selectors and filters are AND-ed; lists within one are OR-ed."""

    patient: PersonId | None = None
    order_ids: tuple[str, ...] = ()
    referral_ids: tuple[str, ...] = ()
    performing_lab: str | None = None
    sampling_unit: str | None = None
    statuses: tuple[OrderStatus, ...] = ()
    created_from: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive
    care_givers: frozenset[str] | None = None  # None: every care giver


class ConcurrentWrite(Exception):
    """Another transaction wrote the same key first; the caller may retry once."""


class StorageUnavailable(Exception):
    """The storage cannot be reached or stopped answering; nothing was written. The
    caller may try again later."""


class DefinitionRepository(Protocol):
    def get(self, care_giver: str, offer_code: str) -> OfferDefinition | None: ...
    def list(
        self, care_giver: str | None = None, mode: SamplingMode | None = None, active_only: bool = True
    ) -> list[OfferDefinition]: ...
    def replace_all(self, definitions: Sequence[OfferDefinition]) -> tuple[int, int]: ...
    def upsert(self, definitions: Sequence[OfferDefinition]) -> tuple[int, int]: ...


class OfferRepository(Protocol):
    def add(self, offer: Offer) -> None: ...
    def get(self, offer_id: str, *, for_update: bool = False) -> Offer | None: ...
    def for_patient(self, patient: PersonId, *, for_update: bool = False) -> list[Offer]:
        """The patient's offers; ``for_update`` also makes concurrent writers for the patient wait."""
        ...
    def save(self, offer: Offer) -> None: ...
    def mark_protected(self, patient: PersonId, protected: bool) -> int:
        """Set the patient's offers' protected-identity flag where it differs; how many changed."""
        ...
    def due_to_expire(self, now: datetime, after: int = 0, limit: int | None = None) -> list[tuple[int, Offer]]:
        """Offers past validTo still ACTIVE or USED, with their row numbers, after row ``after``, in
        row order, at most ``limit``; locked, skipping any another transaction holds."""
        ...


class OrderRepository(Protocol):
    def add(self, order: Order) -> None: ...
    def get(self, order_id: str, *, for_update: bool = False) -> Order | None: ...
    def find(self, query: OrderQuery, after: int, limit: int) -> list[tuple[int, Order]]: ...
    def find_audited(
        self, query: OrderQuery, after: int, limit: int, returned: int, stamp: AuditRecord
    ) -> list[tuple[int, Order]]:
        """``find``, recording the read (``stamp``, once per patient) of the query's patient and of
        every patient among the first ``returned`` orders found, at once: where the storage can,
        in the same statement."""
        ...
    def for_patient(self, patient: PersonId, order_ids: Sequence[str] = ()) -> list[Order]: ...
    def open_for_offer(self, offer_id: str, mode: SamplingMode) -> Order | None: ...
    def referral_in_use(self, referral_id: str) -> bool:
        """Whether any order, open or closed, has this referral id."""
        ...
    def mark_protected(self, patient: PersonId, protected: bool) -> int:
        """Set the patient's orders' protected-identity flag where it differs (set: their delivery
        addresses are dropped as well); how many changed."""
        ...
    def of_kind(self, patient: PersonId, care_giver: str, offer_code: str, since: datetime) -> list[Order]:
        """The patient's orders of this catalogue entry created since ``since``, or still open."""
        ...
    def record_change(
        self, order: Order, change: StatusChange, new_specimens: Sequence[Specimen] = ()
    ) -> None: ...
    def due_to_expire(self, now: datetime, after: int = 0, limit: int | None = None) -> list[tuple[int, Order]]:
        """Orders past validTo still ORDERED or KIT_SENT, as ``OfferRepository.due_to_expire``."""
        ...
    def open_valid_before(
        self, status: OrderStatus, before: datetime, after: int = 0, limit: int | None = None
    ) -> list[tuple[int, Order]]:
        """Orders in ``status`` whose validTo is before ``before``, with their row numbers, after
        row ``after``, in row order, at most ``limit`` (not locked: for reminders)."""
        ...
    def with_held_results(self, care_giver: str, care_unit: str) -> list[Order]: ...
    def for_result_entry(
        self,
        care_giver: str,
        care_unit: str,
        statuses: Sequence[OrderStatus],
        connected_labs: frozenset[str],
        *,
        final_since: datetime | None = None,
        referral_id: str | None = None,
        limit: int = 500,
    ) -> list[Order]:
        """A care unit's orders in these statuses whose performing lab is named and is none of
        ``connected_labs`` (upper case); a FINAL_RESULT order only with a result version stored
        since ``final_since`` (when given). Oldest first."""
        ...


class ResultRepository(Protocol):
    def versions(self, order_id: str) -> list[StoredResult]: ...
    def version_and_newest(self, order_id: str, version: int) -> tuple[StoredResult | None, int]:
        """That version of the order's result if stored, and the newest version stored (0: none)."""
        ...
    def add(self, stored: StoredResult) -> None: ...
    def newest(self, order_ids: Sequence[str], *, released_only: bool = False) -> dict[str, StoredResult]: ...
    def release(self, order_id: str, time: datetime) -> int: ...


class FollowUpRepository(Protocol):
    def open_for_order(self, order_id: str) -> FollowUpCase | None: ...
    def open_for_orders(self, order_ids: Sequence[str]) -> set[str]: ...
    def get(self, case_id: str, *, for_update: bool = False) -> FollowUpCase | None: ...
    def add(self, case: FollowUpCase) -> None: ...
    def save(self, case: FollowUpCase) -> None: ...
    def list(
        self, status: str | None = None, care_giver: str | None = None, care_unit: str | None = None
    ) -> list[FollowUpCase]: ...
    def add_step(self, case_id: str, step: FollowUpStep) -> None: ...


class SystemRepository(Protocol):
    def get(self, hsa_id: str) -> ConnectedSystem | None: ...
    def keys(self, hsa_id: str) -> list[SystemKey]: ...
    def list(self) -> list[ConnectedSystem]: ...
    def put(self, system: ConnectedSystem) -> None: ...
    def add_key(self, key: SystemKey) -> None: ...
    def remove_key(self, hsa_id: str, key_id: str) -> bool: ...


class StaffRepository(Protocol):
    def get(self, hsa_id: str) -> StaffMember | None: ...
    def list(self, care_giver: str | None = None) -> list[StaffMember]: ...
    def put(self, member: StaffMember) -> None: ...
    def dev_password_hash(self, hsa_id: str) -> str | None: ...
    def set_dev_password_hash(self, hsa_id: str, password_hash: str, time: datetime) -> None: ...


class SamplingSiteRepository(Protocol):
    def get(self, hsa_id: str) -> SamplingSite | None: ...
    def for_care_giver(self, care_giver: str | None = None, *, active_only: bool = True) -> list[SamplingSite]: ...
    def put(self, site: SamplingSite) -> None: ...


class UnitNameRepository(Protocol):
    """The names of care givers and care units by HSA-id."""

    def get(self, hsa_id: str) -> str | None: ...
    def list(self) -> dict[str, str]: ...
    def put(self, hsa_id: str, name: str) -> None: ...


class ReserveNumberRepository(Protocol):
    def get(self, oid: str) -> ReserveNumberType | None: ...
    def list(self) -> list[ReserveNumberType]: ...
    def put(self, kind: ReserveNumberType) -> None: ...


class AuditRepository(Protocol):
    def add(self, records: Iterable[AuditRecord]) -> None: ...
    def for_log_id(self, log_id: str) -> list[AuditRecord]: ...
    def for_patient(self, patient_id: str) -> list[AuditRecord]: ...
    def page_for_patient(
        self, patient: PersonId, before: int | None, limit: int, since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[tuple[int, AuditRecord]]:
        """The patient's accesses newest first, after the row ``before`` (exclusive), within the
        period: one record per event, where an event is the records of one call or staff web
        request (one log id) by one system and person. A write stands for the reads it made; the
        other records stay stored."""
        ...


class LogReviewRepository(Protocol):
    """A care giver's audit records as its log reviewers see them, and their reviews of flags.
    Every listing is newest first (``time``, then row number) and keyset paged: ``before`` is the
    position (time, row number) of the last record of the previous page."""

    def search(self, query: LogQuery, before: tuple[datetime, int] | None, limit: int) -> list[LoggedAccess]:
        """The care giver's audit records matching the query."""
        ...
    def staff_accesses(
        self, query: LogQuery, before: tuple[datetime, int] | None, limit: int | None,
        within: Sequence[tuple[datetime, datetime]] | None = None,
    ) -> list[LoggedAccess]:
        """Matching records of a staff member acting (the ones the checks look at), other than the
        log review's own; with ``within``, only those inside one of these intervals."""
        ...
    def without_relation(self, query: LogQuery, before: tuple[datetime, int] | None, limit: int) -> list[LoggedAccess]:
        """Matching reads by a staff member at a care unit where the patient has no offer, order
        (ordered there or sampled there) or follow-up case."""
        ...
    def own_records(self, query: LogQuery, before: tuple[datetime, int] | None, limit: int) -> list[LoggedAccess]:
        """Matching accesses by a staff member to their own data (the personal identity number
        the staff registry holds for them)."""
        ...
    def busy(self, query: LogQuery, window: timedelta, patients: int) -> list[LoggedAccess]:
        """Matching accesses by staff in the time around each stretch of ``window`` (counted from
        the epoch) in which one person accessed at least ``patients`` distinct patients: the ones
        a burst could be among."""
        ...
    def staff_patients(self, query: LogQuery) -> list[StaffPatient]:
        """Each staff member and patient among the matching accesses by staff, once."""
        ...
    def accesses_of(
        self, query: LogQuery, pairs: Sequence[StaffPatient], before: tuple[datetime, int] | None, limit: int
    ) -> list[LoggedAccess]:
        """Matching accesses by staff, of these staff members to these patients."""
        ...
    def record(self, care_giver: str, record_id: int) -> LoggedAccess | None:
        """One of the care giver's audit records."""
        ...
    def reviews(self, care_giver: str, flags: Iterable[tuple[Rule, int]]) -> dict[tuple[Rule, int], FlagReview]: ...
    def add_review(self, review: FlagReview) -> bool:
        """Store a review; False (nothing stored) when the flag was reviewed already."""
        ...


class OutboxRepository(Protocol):
    def add(self, *events: OutboxEvent) -> int:
        """Write the events (in one statement). A NOTICE event is written only if its patient
        has chosen a channel, which the same statement checks (no read of its own on the
        path of every release). How many were written."""
        ...

    def claim_due(
        self, now: datetime, kinds: Sequence[EventKind], holder: str, lease_until: datetime, limit: int
    ) -> list[OutboxEvent]:
        """Pending events of these kinds due by ``now`` that nobody holds (or whose holder's lease
        has run out), oldest due first, at most ``limit``, now held by ``holder`` until
        ``lease_until``. Of workers claiming at once, each event goes to one."""
        ...
    def get(self, event_id: str, *, for_update: bool = False) -> OutboxEvent | None: ...
    def save(self, event: OutboxEvent, holder: str | None = None) -> bool:
        """Store the event's state and let go of any claim on it; with ``holder``, only while
        that holder's claim stands (an operator's park or retry since, or another worker's claim
        after the lease ran out, wins). Whether it was stored."""
        ...
    def save_delivered(self, event_ids: Sequence[str], holder: str, when: datetime) -> set[str]:
        """Record these events delivered at ``when`` (one more attempt, no error) in one statement,
        letting go of the claims; only those ``holder`` still holds. The ids stored."""
        ...
    def forget_delivered(self, before: datetime, limit: int) -> int:
        """Delete at most ``limit`` events delivered before ``before``; how many."""
        ...
    def list(self, state: EventState | None = None, limit: int = 100) -> list[OutboxEvent]:
        """Events oldest first; every state but DELIVERED when ``state`` is None."""
        ...
    def counts(self) -> OutboxCounts: ...


class NoticeRepository(Protocol):
    """The patients' notice settings (personal data: the address), the log of notices sent (no
    address, no content) and the reminders written."""

    def settings(self, patient: PersonId) -> NoticeSettings | None: ...
    def put_settings(self, settings: NoticeSettings) -> None: ...
    def was_sent(self, event_id: str) -> bool: ...
    def sent_since(self, patient: PersonId, since: datetime) -> list[SentNotice]: ...
    def record_sent(
        self, event_id: str, patient: PersonId, kind: NoticeKind, order_id: str, channel: NoticeChannel, time: datetime
    ) -> bool:
        """False (nothing recorded) when the event was recorded already."""
        ...

    def reminder_written(self, order_id: str, kind: NoticeKind) -> bool: ...
    def remember_reminder(self, order_id: str, kind: NoticeKind, time: datetime) -> bool: ...
    def forget_sent(self, before: datetime, limit: int) -> int: ...
    def forget_patient(self, patient: PersonId) -> None: ...


class RetentionRepository(Protocol):
    """What retention asks of storage: the rows its rules are asked about, in batches of at most
    ``limit`` after a row number (locked, skipping rows another transaction holds), the batched
    deletes of what they let go, and the deletion record."""

    def finished_orders(
        self, created_before: datetime, after: int, limit: int, *, statuses: Sequence[OrderStatus] = (),
        with_logistics: bool = False,
    ) -> list[tuple[int, Order]]:
        """Finished orders (in ``statuses``; empty: any closed status) made before ``created_before``."""
        ...
    def cases_of(self, order_ids: Sequence[str]) -> dict[str, list[FollowUpCase]]: ...
    def delete_orders(self, orders: Sequence[tuple[int, str]]) -> int:
        """Delete these orders (row number, order id) and every row tied to them; how many."""
        ...
    def clear_logistics(self, seqs: Sequence[int]) -> int: ...
    def unordered_offers(self, valid_before: datetime, after: int, limit: int) -> list[tuple[int, Offer]]: ...
    def delete_offers(self, seqs: Sequence[int]) -> int: ...
    def contacts(self, changed_before: datetime, after: PersonId | None, limit: int) -> list[NoticeSettings]: ...
    def forget_cases(self, closed_before: datetime, limit: int) -> int: ...
    def forget_audit(self, before: datetime, limit: int) -> int: ...
    def open_records(self, entries: Sequence[DeletionRecord]) -> dict[RetentionKind, int]:
        """Write a run's deletion record, a row per kind; the row ids by kind."""
        ...
    def add_to_record(self, record_id: int, count: int) -> None: ...
    def runs(self, limit: int = 100) -> list[DeletionRecord]: ...


class PopulationRegister(Protocol):
    """The population register (in production the national person service; in development a
    stand-in): what it says of a person, or None when it does not know them (a reservnummer,
    say). Raises ``StorageUnavailable`` when the register cannot be reached."""

    def lookup(self, person: PersonId) -> PersonRecord | None: ...


class RegionRepository(Protocol):
    """Regions, and the agreements that put care givers under them."""

    def get(self, hsa_id: str) -> Region | None: ...
    def put(self, region: Region) -> None: ...
    def agreements(self, region_id: str | None = None, care_giver: str | None = None) -> list[Agreement]: ...
    def get_agreement(self, agreement_id: str) -> Agreement | None: ...
    def put_agreement(self, agreement: Agreement) -> None: ...
    def list(self) -> list[Region]: ...


class Sender(Protocol):
    """Delivers events of one kind; raises on failure (the event is tried again). Receivers
    de-duplicate on ``event_id``: an event may arrive more than once. A sender that can deliver
    several events in one request also has ``send_batch(events)``, which delivers all or raises
    (then each is tried again); the outbox uses it for the events of a round."""

    def send(self, event: OutboxEvent) -> None: ...


class UnitOfWork(Protocol):
    """One transaction. ``with uow:`` begins it; ``commit()`` ends it; leaving the
    block without commit rolls everything back."""

    definitions: DefinitionRepository
    offers: OfferRepository
    orders: OrderRepository
    results: ResultRepository
    follow_ups: FollowUpRepository
    systems: SystemRepository
    reserve_numbers: ReserveNumberRepository
    sites: SamplingSiteRepository
    unit_names: UnitNameRepository
    staff: StaffRepository
    audit: AuditRepository
    log_review: LogReviewRepository
    outbox: OutboxRepository
    notices: NoticeRepository
    retention: RetentionRepository
    # the population register as the composition root configured it (None: none configured, the
    # register knows nobody); not part of the transaction
    population: PopulationRegister | None
    regions: RegionRepository

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, exc_type: object, error: BaseException | None, tb: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def paging_key(self) -> bytes: ...
    def is_empty(self) -> bool: ...
    def ping(self) -> str:
        """Check that the storage answers (raises StorageUnavailable if not); returns its kind."""
        ...


