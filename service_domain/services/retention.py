"""Retention: delete (or anonymise) what has outlived its period, in batches, and write the
deletion record.

The rules are the model's (``model.retention``): this module hands them what the storage finds
and has the storage remove what they let go, a transaction per batch. Every order, offer and
contact detail removed is recorded in the audit log as a write by housekeeping, as expiry is. A
kind whose data lives outside the service domain (the staff web's sessions) is handed over as a
function that deletes up to a batch of what ended before a moment.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from ..enums import AuditAction, OrderStatus
from ..identity import PersonId
from ..model import (
    DEFAULT_POLICY,
    DeletionRecord,
    NoticeSettings,
    Offer,
    Order,
    RetentionKind,
    RetentionPolicy,
)
from ..model.retention import contact_expired, logistics_expired, offer_expired, order_expired
from ..operations import Operation
from ..ports import UnitOfWork
from .calls import Call
from .housekeeping import HOUSEKEEPING_ACTOR, delete_in_batches

RETENTION_BATCH = 500
# the statuses an order may end in without a result (kept as UNFULFILLED when it has none)
UNFULFILLED_STATUSES = (OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REJECTED)
K = TypeVar("K")
T = TypeVar("T")
Held = TypeVar("Held", Order, Offer)

# deletes up to ``limit`` rows of data that ended before ``cutoff``; how many
Forget = Callable[[datetime, int], int]


class _Run:
    """One retention run: the batches it does while ``keep_going`` allows (the lease it runs
    under is still held), and the counts per kind. A run stopped midway leaves the rest for the
    next; what it removed is counted all the same."""

    def __init__(self, uow: UnitOfWork, now: datetime, policy: RetentionPolicy, batch: int,
                 keep_going: Callable[[], bool], records: dict[RetentionKind, int]) -> None:
        self.uow, self.now, self.policy, self.batch, self.keep_going = uow, now, policy, batch, keep_going
        self.call = Call(Operation.HOUSEKEEPING, str(uuid.uuid4()), None, now)
        self.counts: Counter[RetentionKind] = Counter()
        self.records = records

    def tally(self, u: UnitOfWork, kind: RetentionKind, count: int) -> int:
        """Count what a batch removed, in its deletion record's row too (in the batch's own
        transaction: the record never counts what a failed batch left); ``count``."""
        self.counts[kind] += count
        if count:
            u.retention.add_to_record(self.records[kind], count)
        return count

    def cutoff(self, kind: RetentionKind) -> datetime:
        return self.policy.cutoff(kind, self.now)

    def audit(self, patient: PersonId, care_giver: str | None) -> None:
        self.uow.audit.add(self.call.audit(AuditAction.WRITE, [patient], HOUSEKEEPING_ACTOR, care_giver))

    def sweep(self, fetch: Callable[[UnitOfWork, K | None], list[tuple[K, T]]],
              act: Callable[[UnitOfWork, list[tuple[K, T]]], None]) -> None:
        """Hand ``act`` every batch (key, item) ``fetch`` finds after the last key seen, a
        transaction each, until a batch comes short (rows that stay never stall it)."""
        after: K | None = None
        while self.keep_going():
            with self.uow:
                found = fetch(self.uow, after)
                act(self.uow, found)
                self.uow.commit()
            if len(found) < self.batch:
                return
            after = found[-1][0]

    def forget(self, kind: RetentionKind, delete: Forget) -> None:
        """Delete by age alone, a batch a transaction, until a batch comes short."""
        cutoff = self.cutoff(kind)
        delete_in_batches(self.uow, lambda u: self.tally(u, kind, delete(cutoff, self.batch)), self.batch,
                          self.keep_going)

    # ------------------------------------------------------------ the kinds

    def orders(self) -> None:
        """Two sweeps, so a daily run does not walk every order within the results period: any
        finished order made before the results cutoff, then orders that ended without a result
        (by status) made before the shorter cutoff of their own. The rules decide each order's
        kind either way."""

        def act(u: UnitOfWork, found: list[tuple[int, Order]]) -> None:
            ids = [o.order_id for _, o in found]
            newest, cases = u.results.newest(ids), u.retention.cases_of(ids)
            going, kinds = [], Counter[RetentionKind]()
            for seq, o in found:
                kind = order_expired(o, newest.get(o.order_id), cases.get(o.order_id, ()), self.policy, self.now)
                if kind is not None:
                    going.append((seq, o.order_id))
                    kinds[kind] += 1
                    self.audit(o.patient, o.care_giver)
            u.retention.delete_orders(going)
            for kind, count in kinds.items():
                self.tally(u, kind, count)

        def finished(before: datetime, statuses: Sequence[OrderStatus]) -> Callable[
                [UnitOfWork, int | None], list[tuple[int, Order]]]:
            return lambda u, after: u.retention.finished_orders(before, after or 0, self.batch, statuses=statuses)

        self.sweep(finished(self.cutoff(RetentionKind.RESULTS), ()), act)
        self.sweep(finished(self.cutoff(RetentionKind.UNFULFILLED), UNFULFILLED_STATUSES), act)

    def let_go(self, kind: RetentionKind, expired: Callable[[Held], bool],
               remove: Callable[[UnitOfWork, list[int]], int]) -> Callable[[UnitOfWork, list[tuple[int, Held]]], None]:
        """A batch's action: ``remove`` (by row number) those the rule ``expired`` lets go,
        auditing each, counted as ``kind``."""

        def act(u: UnitOfWork, found: list[tuple[int, Held]]) -> None:
            going = [(seq, x) for seq, x in found if expired(x)]
            for _, x in going:
                self.audit(x.patient, x.care_giver)
            self.tally(u, kind, remove(u, [seq for seq, _ in going]))

        return act

    def logistics(self) -> None:
        cutoff = self.cutoff(RetentionKind.LOGISTICS)
        self.sweep(lambda u, after: u.retention.finished_orders(cutoff, after or 0, self.batch, with_logistics=True),
                   self.let_go(RetentionKind.LOGISTICS, lambda o: logistics_expired(o, self.policy, self.now),
                               lambda u, seqs: u.retention.clear_logistics(seqs)))

    def offers(self) -> None:
        cutoff = self.cutoff(RetentionKind.UNFULFILLED)
        self.sweep(lambda u, after: u.retention.unordered_offers(cutoff, after or 0, self.batch),
                   self.let_go(RetentionKind.UNFULFILLED, lambda o: offer_expired(o, self.policy, self.now),
                               lambda u, seqs: u.retention.delete_offers(seqs)))

    def contacts(self) -> None:
        cutoff = self.cutoff(RetentionKind.NOTICES)

        def act(u: UnitOfWork, found: list[tuple[PersonId, NoticeSettings]]) -> None:
            for p, settings in found:
                if contact_expired(settings, u.offers.for_patient(p), u.orders.for_patient(p), self.policy, self.now):
                    u.notices.forget_patient(p)
                    self.audit(p, None)
                    self.tally(u, RetentionKind.NOTICES, 1)

        self.sweep(lambda u, after: [(s.patient, s) for s in u.retention.contacts(cutoff, after, self.batch)], act)


def apply_retention(
    uow: UnitOfWork,
    now: datetime,
    node: str,
    policy: RetentionPolicy = DEFAULT_POLICY,
    *,
    external: Mapping[RetentionKind, Forget] | None = None,
    batch: int = RETENTION_BATCH,
    keep_going: Callable[[], bool] = lambda: True,
) -> list[DeletionRecord]:
    """Remove what has outlived its period, kind by kind, in transactions of at most ``batch``
    rows, while ``keep_going`` says so (asked before each: housekeeping renews its lease there,
    and stops when another process has it). The deletion record is written first, a row per kind
    (also for a kind of which nothing goes), and each batch counts in it what it removed in its
    own transaction; returned as it ends."""
    kinds = [k for k in RetentionKind if k is not RetentionKind.STAFF_SESSIONS or k in (external or {})]
    with uow:
        ids = uow.retention.open_records([DeletionRecord(k, policy.cutoff(k, now), 0, now, node) for k in kinds])
        uow.commit()
    run = _Run(uow, now, policy, batch, keep_going, ids)
    run.orders()
    run.logistics()
    run.offers()
    run.forget(RetentionKind.FOLLOW_UP, lambda cutoff, limit: uow.retention.forget_cases(cutoff, limit))
    run.contacts()
    for kind, forget in (external or {}).items():
        run.forget(kind, forget)
    run.forget(RetentionKind.AUDIT, lambda cutoff, limit: uow.retention.forget_audit(cutoff, limit))
    return [DeletionRecord(k, run.cutoff(k), run.counts[k], now, node) for k in kinds]


def deletion_records(uow: UnitOfWork, limit: int = 100) -> list[DeletionRecord]:
    """The newest entries of the deletion record first."""
    with uow:
        return uow.retention.runs(limit)
