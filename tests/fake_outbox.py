"""A unit of work in memory holding only the outbox, and senders that succeed or fail on
demand: for the delivery tests that need no database."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime

from service_domain.model import EventKind, EventState, OutboxCounts, OutboxEvent


class FakeOutboxRepository:
    def __init__(self) -> None:
        self.events: dict[str, OutboxEvent] = {}
        self.claims: dict[str, tuple[str, datetime]] = {}  # event id: holder, lease until

    def add(self, *events: OutboxEvent) -> int:
        """Every event is written (this fake knows no notice settings)."""
        for event in events:
            self.events[event.event_id] = copy.copy(event)
        return len(events)

    def claim_due(self, now: datetime, kinds: Sequence[EventKind], holder: str, lease_until: datetime,
                  limit: int) -> list[OutboxEvent]:
        due = sorted(
            (e for e in self.events.values()
             if e.state is EventState.PENDING and e.next_attempt <= now and e.kind in kinds
             and (e.event_id not in self.claims or self.claims[e.event_id][1] < now)),
            key=lambda e: e.next_attempt,
        )[:limit]
        for e in due:
            self.claims[e.event_id] = (holder, lease_until)
        return [copy.copy(e) for e in due]

    def get(self, event_id: str, *, for_update: bool = False) -> OutboxEvent | None:
        e = self.events.get(event_id)
        return None if e is None else copy.copy(e)

    def save(self, event: OutboxEvent, holder: str | None = None) -> bool:
        if holder is not None and self.claims.get(event.event_id, (None,))[0] != holder:
            return False
        self.events[event.event_id] = copy.copy(event)
        self.claims.pop(event.event_id, None)
        return True

    def save_delivered(self, event_ids: Sequence[str], holder: str, when: datetime) -> set[str]:
        stored = set()
        for i in event_ids:
            if self.claims.get(i, (None,))[0] == holder:
                self.events[i].delivered(when)
                self.claims.pop(i)
                stored.add(i)
        return stored

    def forget_delivered(self, before: datetime, limit: int) -> int:
        old = [i for i, e in self.events.items()
               if e.state is EventState.DELIVERED and e.delivered_time and e.delivered_time < before][:limit]
        for i in old:
            del self.events[i]
        return len(old)

    def list(self, state: EventState | None = None, limit: int = 100) -> list[OutboxEvent]:
        return [copy.copy(e) for e in self.events.values()
                if (e.state is state if state else e.state is not EventState.DELIVERED)][:limit]

    def counts(self) -> OutboxCounts:
        pending = [e for e in self.events.values() if e.state is EventState.PENDING]
        parked = [e for e in self.events.values() if e.state is EventState.PARKED]
        return OutboxCounts(len(pending), len(parked), min((e.created_time for e in pending), default=None))


class FakeUnitOfWork:
    """The outbox only; a commit is counted, and the changes are kept either way (the tests
    here are about delivery, not transactions)."""

    def __init__(self) -> None:
        self.outbox = FakeOutboxRepository()
        self.population: object | None = None  # no population register, as a Database without one
        self.commits = 0

    def __enter__(self) -> FakeUnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        pass


class FakeSender:
    """Records what it was given; fails while ``failures`` is above zero."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[str] = []

    def send(self, event: OutboxEvent) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("the receiver did not answer")
        self.sent.append(event.event_id)
