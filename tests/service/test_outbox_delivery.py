"""Delivering the outbox with the fake unit of work: delivery, retries with backoff, parking
after the last attempt, an operator's retry and park, kinds without a sender."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service_domain.errors import RuleViolation
from service_domain.identity import PersonId
from service_domain.model import EventKind, EventState, IndexUpdate, OutboxEvent, RetryPolicy
from service_domain.services import outbox
from tests.fake_outbox import FakeSender, FakeUnitOfWork

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(base=timedelta(seconds=10), cap=timedelta(minutes=5), jitter=0.0, max_attempts=3)


def written(uow: FakeUnitOfWork, at: datetime = NOW) -> OutboxEvent:
    payload = IndexUpdate(PersonId("191212121212"), "SE2321000016-CG01", "SE2321000016-CU01", "order-1", at)
    event = OutboxEvent(f"event-{len(uow.outbox.events)}", EventKind.INDEX_UPDATE, payload, at, at)
    uow.outbox.add(event)
    return event


def deliver(uow: FakeUnitOfWork, sender: FakeSender, at: datetime = NOW) -> outbox.DeliveryRound:
    return outbox.deliver_due(uow, {EventKind.INDEX_UPDATE: sender}, at, "worker-1", POLICY, rand=lambda: 0.0)  # type: ignore[arg-type]


def test_a_due_event_is_handed_to_its_sender() -> None:
    uow, sender = FakeUnitOfWork(), FakeSender()
    event = written(uow)
    deliver(uow, sender)
    assert sender.sent == [event.event_id]


def test_a_delivered_event_is_recorded_as_delivered() -> None:
    uow = FakeUnitOfWork()
    event = written(uow)
    deliver(uow, FakeSender())
    assert uow.outbox.events[event.event_id].state is EventState.DELIVERED


def test_a_delivered_event_is_not_sent_again() -> None:
    uow, sender = FakeUnitOfWork(), FakeSender()
    written(uow)
    deliver(uow, sender)
    deliver(uow, sender, NOW + timedelta(hours=1))
    assert len(sender.sent) == 1


def test_a_failed_attempt_is_tried_again_after_the_backoff() -> None:
    uow = FakeUnitOfWork()
    event = written(uow)
    deliver(uow, FakeSender(failures=1))
    assert uow.outbox.events[event.event_id].next_attempt == NOW + POLICY.delay(1, 0.0)


def test_a_failed_event_is_not_due_before_its_next_attempt() -> None:
    uow, sender = FakeUnitOfWork(), FakeSender(failures=1)
    written(uow)
    deliver(uow, sender)
    deliver(uow, sender, NOW + POLICY.delay(1, 0.0) - timedelta(seconds=1))
    assert sender.sent == []


def test_a_failed_event_is_delivered_at_its_next_attempt() -> None:
    uow, sender = FakeUnitOfWork(), FakeSender(failures=1)
    event = written(uow)
    deliver(uow, sender)
    deliver(uow, sender, NOW + POLICY.delay(1, 0.0))
    assert sender.sent == [event.event_id]


def test_the_round_counts_what_it_did() -> None:
    uow = FakeUnitOfWork()
    written(uow)
    written(uow)
    assert deliver(uow, FakeSender(failures=1)) == outbox.DeliveryRound(delivered=1, retried=1, parked=0)


def parked_after_every_attempt(uow: FakeUnitOfWork) -> tuple[OutboxEvent, FakeSender]:
    event, sender = written(uow), FakeSender(failures=POLICY.max_attempts)
    at = NOW
    for attempt in range(1, POLICY.max_attempts + 1):
        deliver(uow, sender, at)
        at += POLICY.delay(attempt, 0.0)
    return event, sender


def test_an_event_failing_every_attempt_is_parked() -> None:
    uow = FakeUnitOfWork()
    event, _ = parked_after_every_attempt(uow)
    assert uow.outbox.events[event.event_id].state is EventState.PARKED


def test_a_parked_event_is_listed() -> None:
    uow = FakeUnitOfWork()
    event, _ = parked_after_every_attempt(uow)
    assert [e.event_id for e in outbox.list_events(uow, EventState.PARKED)] == [event.event_id]  # type: ignore[arg-type]


def test_a_parked_event_is_not_sent_again_by_itself() -> None:
    uow = FakeUnitOfWork()
    _, sender = parked_after_every_attempt(uow)
    deliver(uow, sender, NOW + timedelta(days=7))
    assert sender.sent == []


def test_a_retried_parked_event_is_delivered() -> None:
    uow = FakeUnitOfWork()
    event, sender = parked_after_every_attempt(uow)
    later = NOW + timedelta(days=1)
    outbox.retry_event(uow, event.event_id, later)  # type: ignore[arg-type]
    deliver(uow, sender, later)
    assert sender.sent == [event.event_id]


def test_an_event_parked_by_an_operator_is_not_delivered() -> None:
    uow, sender = FakeUnitOfWork(), FakeSender()
    event = written(uow)
    outbox.park_event(uow, event.event_id)  # type: ignore[arg-type]
    deliver(uow, sender)
    assert sender.sent == []


def test_an_unknown_event_cannot_be_retried() -> None:
    with pytest.raises(RuleViolation):
        outbox.retry_event(FakeUnitOfWork(), "no-such-event", NOW)  # type: ignore[arg-type]


def test_an_event_without_a_sender_waits() -> None:
    uow = FakeUnitOfWork()
    event = written(uow)
    outbox.deliver_due(uow, {}, NOW, "worker-1", POLICY)  # type: ignore[arg-type]
    assert uow.outbox.events[event.event_id].attempts == 0


def test_an_event_claimed_by_a_worker_is_not_claimed_by_another_within_the_lease() -> None:
    uow = FakeUnitOfWork()
    written(uow)
    uow.outbox.claim_due(NOW, [EventKind.INDEX_UPDATE], "worker-0", NOW + outbox.CLAIM_LEASE, 10)
    sender = FakeSender()
    deliver(uow, sender)
    assert sender.sent == []


class ParksWhileSending(FakeSender):
    """An operator parks the event while the worker is sending it."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(failures=1)
        self.uow = uow

    def send(self, event: OutboxEvent) -> None:
        outbox.park_event(self.uow, event.event_id)  # type: ignore[arg-type]
        super().send(event)


def test_an_operator_s_park_during_delivery_wins_over_the_worker_s_outcome() -> None:
    uow = FakeUnitOfWork()
    event = written(uow)
    deliver(uow, ParksWhileSending(uow))
    assert uow.outbox.events[event.event_id].state is EventState.PARKED


def test_an_outcome_the_worker_could_not_save_is_not_counted() -> None:
    uow = FakeUnitOfWork()
    written(uow)
    assert deliver(uow, ParksWhileSending(uow)).delivered == 0


def test_delivered_events_are_forgotten_after_the_keeping_time() -> None:
    uow = FakeUnitOfWork()
    written(uow)
    deliver(uow, FakeSender())
    assert outbox.forget_delivered(uow, NOW + outbox.KEEP_DELIVERED + timedelta(seconds=1)) == 1  # type: ignore[arg-type]


def test_delivered_events_are_kept_within_the_keeping_time() -> None:
    uow = FakeUnitOfWork()
    written(uow)
    deliver(uow, FakeSender())
    assert outbox.forget_delivered(uow, NOW + outbox.KEEP_DELIVERED - timedelta(seconds=1)) == 0  # type: ignore[arg-type]


# ------------------------------------------------------------------ a sender of whole rounds


class FakeBatchSender(FakeSender):
    """Delivers a round's events in one request (``send_batch``); fails while ``failures`` is above zero."""

    def __init__(self, failures: int = 0) -> None:
        super().__init__(failures)
        self.requests: list[list[str]] = []

    def send_batch(self, events: list[OutboxEvent]) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("the receiver did not answer")
        self.requests.append([e.event_id for e in events])


def test_a_batch_sender_gets_the_round_s_events_in_one_request() -> None:
    uow = FakeUnitOfWork()
    for _ in range(3):
        written(uow)
    sender = FakeBatchSender()
    deliver(uow, sender)
    assert [len(r) for r in sender.requests] == [3]


def test_a_batch_sender_is_not_asked_one_event_at_a_time() -> None:
    uow = FakeUnitOfWork()
    written(uow)
    sender = FakeBatchSender()
    deliver(uow, sender)
    assert sender.sent == []


def test_a_delivered_batch_counts_each_event() -> None:
    uow = FakeUnitOfWork()
    for _ in range(3):
        written(uow)
    assert deliver(uow, FakeBatchSender()).delivered == 3


def test_a_receiver_that_is_down_is_a_failed_attempt_of_each_event() -> None:
    uow = FakeUnitOfWork()
    for _ in range(3):
        written(uow)
    assert deliver(uow, FakeBatchSender(failures=4)).retried == 3  # the batch, then each alone


def test_a_receiver_that_is_down_leaves_each_event_pending() -> None:
    uow = FakeUnitOfWork()
    events = [written(uow) for _ in range(2)]
    deliver(uow, FakeBatchSender(failures=3))
    assert [uow.outbox.events[e.event_id].state for e in events] == [EventState.PENDING, EventState.PENDING]


def test_a_failed_batch_is_sent_again_one_event_at_a_time() -> None:
    uow = FakeUnitOfWork()
    events = [written(uow) for _ in range(3)]
    sender = FakeBatchSender(failures=1)
    deliver(uow, sender)
    assert sender.sent == [e.event_id for e in events]


class RefusingBatchSender(FakeBatchSender):
    """Refuses every request that holds one event (as an index refuses a bad engagement)."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    def send_batch(self, events: list[OutboxEvent]) -> None:
        if any(e.event_id == self.refused for e in events):
            raise ValueError("refused")
        super().send_batch(events)

    def send(self, event: OutboxEvent) -> None:
        self.send_batch([event])


def test_one_refused_event_does_not_hold_back_the_rest_of_its_batch() -> None:
    uow = FakeUnitOfWork()
    events = [written(uow) for _ in range(3)]
    deliver(uow, RefusingBatchSender(events[1].event_id))
    assert [uow.outbox.events[e.event_id].state for e in events] == [
        EventState.DELIVERED, EventState.PENDING, EventState.DELIVERED]


def test_a_slow_receiver_s_events_are_given_back_before_the_lease_runs_out() -> None:
    uow = FakeUnitOfWork()
    events = [written(uow) for _ in range(3)]
    times = iter([NOW + outbox.CLAIM_LEASE / 4 * n for n in range(10)])  # each send takes a quarter lease
    sender = FakeSender()
    outbox.deliver_due(uow, {EventKind.INDEX_UPDATE: sender}, NOW, "worker-1", POLICY,  # type: ignore[arg-type]
                       rand=lambda: 0.0, clock=lambda: next(times))
    assert sender.sent == [events[0].event_id]


def test_events_given_back_unsent_are_due_again_unclaimed() -> None:
    uow = FakeUnitOfWork()
    for _ in range(3):
        written(uow)
    times = iter([NOW + outbox.CLAIM_LEASE / 4 * n for n in range(10)])
    outbox.deliver_due(uow, {EventKind.INDEX_UPDATE: FakeSender()}, NOW, "worker-1", POLICY,  # type: ignore[arg-type]
                       rand=lambda: 0.0, clock=lambda: next(times))
    again = outbox.deliver_due(uow, {EventKind.INDEX_UPDATE: FakeSender()}, NOW, "worker-2", POLICY,  # type: ignore[arg-type]
                               rand=lambda: 0.0)
    assert again.delivered == 2


def test_a_batch_s_outcomes_are_saved_in_one_transaction() -> None:
    uow = FakeUnitOfWork()
    for _ in range(3):
        written(uow)
    deliver(uow, FakeBatchSender())
    assert uow.commits == 2  # the claim, and the outcomes
