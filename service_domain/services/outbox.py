"""Delivering the outbox: a worker claims due events, hands each to the sender of its kind and
records how it went; operators list, retry and park events.

A claim is a lease (``CLAIM_LEASE``): the worker holds its events only for that long, so the
events of a worker that died go to another once the lease has run out, and delivery happens
outside any transaction (a slow receiver holds no lock). An event is delivered at least once:
a worker that dies after sending and before recording it sends it again later, and receivers
de-duplicate on the event id."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..errors import RuleViolation, SubCode
from ..model import EventKind, EventState, NoticeKind, Order, OutboxCounts, OutboxEvent, RetryPolicy
from ..ports import Sender, UnitOfWork
from .housekeeping import delete_in_batches

CLAIM_LEASE = timedelta(minutes=2)
DELIVERY_BATCH = 50
DEFAULT_POLICY = RetryPolicy()
LIST_LIMIT = 100
# how long a delivered event is kept (to answer what was sent when, in an investigation)
KEEP_DELIVERED = timedelta(days=30)


def tell_of_change(uow: UnitOfWork, order: Order, now: datetime, notice: NoticeKind | None = None) -> None:
    """Within the caller's transaction, in one write: the event that tells the engagement index
    the order's result changed and, with ``notice``, the patient's notice of it (written only if
    the patient has chosen a channel). The index knows patients by personnummer or
    samordningsnummer only (its registeredResidentIdentification), so a patient with a
    reservnummer is not told of to the index."""
    events = [OutboxEvent.index_update(order, now)] if order.patient.is_national else []
    if notice is not None:
        events.append(OutboxEvent.notice(order.patient, notice, order.order_id, now))
    uow.outbox.add(*events)


@dataclass(frozen=True, slots=True)
class DeliveryRound:
    """What one round did: events delivered, to be tried again, parked."""

    delivered: int = 0
    retried: int = 0
    parked: int = 0


def deliver_due(
    uow: UnitOfWork,
    senders: Mapping[EventKind, Sender],
    now: datetime,
    holder: str,
    policy: RetryPolicy = DEFAULT_POLICY,
    rand: Callable[[], float] = random.random,
    batch: int = DELIVERY_BATCH,
    clock: Callable[[], datetime] | None = None,
) -> DeliveryRound:
    """Claim up to ``batch`` due events of the kinds there is a sender for and deliver each.
    Events of other kinds wait (queued, and counted as such). ``clock`` gives the time of each
    outcome (default: ``now``).

    A sender with ``send_batch`` gets a kind's events in one request; when that fails and there
    were several, each is sent alone, so that one event the receiver refuses is retried (and in
    the end parked) by itself, not with the rest. Events sent one by one stop once half the
    claim's lease has passed (a slow receiver): the rest are given back unsent, for the next
    round, before the lease could run out and another worker send them a second time."""
    with uow:
        claimed = uow.outbox.claim_due(now, list(senders), holder, now + CLAIM_LEASE, batch)
        uow.commit()
    delivered = retried = parked = 0
    by_kind: dict[EventKind, list[OutboxEvent]] = {}
    for event in claimed:
        by_kind.setdefault(event.kind, []).append(event)
    send_until = now + CLAIM_LEASE / 2
    for kind, events in by_kind.items():
        sender = senders[kind]
        send_batch = getattr(sender, "send_batch", None)
        outcome = _attempt(send_batch, events) if send_batch is not None else "not sent together"
        if outcome is None:  # one request for all, delivered
            saved = _record(uow, [(e, None) for e in events], holder, policy, rand, clock() if clock else now)
        elif send_batch is not None and len(events) == 1:
            saved = _record(uow, [(events[0], outcome)], holder, policy, rand, clock() if clock else now)
        else:  # one request an event, each outcome saved as soon as it is known
            saved = []
            for n, event in enumerate(events):
                if (clock() if clock else now) >= send_until:
                    _give_back(uow, events[n:], holder)
                    break
                outcome = _attempt(sender.send, event)
                saved += _record(uow, [(event, outcome)], holder, policy, rand, clock() if clock else now)
        for event in saved:
            if event.state is EventState.PARKED:
                parked += 1
            elif event.state is EventState.DELIVERED:
                delivered += 1
            else:
                retried += 1
    return DeliveryRound(delivered, retried, parked)


def _attempt(send: Callable[[Any], None], what: Any) -> str | None:
    """None when ``send(what)`` succeeded, else the kind of its failure (all that is kept of it)."""
    try:
        send(what)
    except Exception as e:  # any failure is one failed attempt
        return type(e).__name__
    return None


def _give_back(uow: UnitOfWork, events: list[OutboxEvent], holder: str) -> None:
    """Release the claim on events not sent this round, unchanged (due again at once)."""
    with uow:
        for event in events:
            uow.outbox.save(event, holder)
        uow.commit()


def _record(uow: UnitOfWork, done: list[tuple[OutboxEvent, str | None]], holder: str, policy: RetryPolicy,
            rand: Callable[[], float], when: datetime) -> list[OutboxEvent]:
    """Each event's outcome, saved in one transaction (the delivered ones in one statement: a
    statement an event was most of a round's cost); the events whose outcome was this worker's
    to save (not those an operator or another worker took over)."""
    for event, failure in done:
        if failure is None:
            event.delivered(when)
        else:
            event.failed(when, failure, policy, rand())
    delivered = [event for event, failure in done if failure is None]
    with uow:
        stored = uow.outbox.save_delivered([e.event_id for e in delivered], holder, when)
        saved = [event for event in delivered if event.event_id in stored]
        saved += [event for event, failure in done if failure is not None and uow.outbox.save(event, holder)]
        uow.commit()
    return saved


def list_events(uow: UnitOfWork, state: EventState | None = None, limit: int = LIST_LIMIT) -> list[OutboxEvent]:
    """Events still to deliver and parked ones (or those in ``state``), oldest first."""
    with uow:
        return uow.outbox.list(state, limit)


def _change(uow: UnitOfWork, event_id: str, change: Callable[[OutboxEvent], None]) -> OutboxEvent:
    with uow:
        event = uow.outbox.get(event_id, for_update=True)
        if event is None:
            raise RuleViolation(SubCode.UNKNOWN_ID, "no outbox event with that id")
        change(event)
        uow.outbox.save(event)
        uow.commit()
        return event


def retry_event(uow: UnitOfWork, event_id: str, now: datetime) -> OutboxEvent:
    """Send a parked event again, at once."""
    return _change(uow, event_id, lambda e: e.retry(now))


def park_event(uow: UnitOfWork, event_id: str, reason: str = "parked by an operator") -> OutboxEvent:
    """Stop delivering a pending event; it stays parked until retried."""
    return _change(uow, event_id, lambda e: e.park(reason))


def forget_delivered(uow: UnitOfWork, now: datetime, keep: timedelta = KEEP_DELIVERED, batch: int = 500) -> int:
    """Delete events delivered longer than ``keep`` ago (they hold patient data and are no
    longer needed), in transactions of at most ``batch``; how many."""
    return delete_in_batches(uow, lambda u: u.outbox.forget_delivered(now - keep, batch), batch)


def outbox_counts(uow: UnitOfWork) -> OutboxCounts:
    with uow:
        return uow.outbox.counts()
