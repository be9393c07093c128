"""The outbox's rules: backoff, parking, retry and park by an operator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service_domain.errors import RuleViolation
from service_domain.identity import PersonId
from service_domain.model import EventKind, EventState, IndexUpdate, OutboxCounts, OutboxEvent, RetryPolicy

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(base=timedelta(seconds=10), cap=timedelta(minutes=10), jitter=0.5, max_attempts=4)


def event() -> OutboxEvent:
    payload = IndexUpdate(PersonId("191212121212"), "SE2321000016-CG01", "SE2321000016-CU01", "order-1", NOW)
    return OutboxEvent("event-1", EventKind.INDEX_UPDATE, payload, NOW, NOW)


def test_the_delay_doubles_with_each_attempt() -> None:
    assert POLICY.delay(3, 0.0) == 2 * POLICY.delay(2, 0.0)


def test_the_first_delay_is_the_base() -> None:
    assert POLICY.delay(1, 0.0) == POLICY.base


def test_the_delay_is_capped() -> None:
    assert POLICY.delay(40, 0.0) == POLICY.cap


def test_jitter_takes_off_at_most_its_share() -> None:
    assert POLICY.delay(2, 0.999999) > POLICY.delay(2, 0.0) * (1 - POLICY.jitter)


def test_jitter_spreads_the_delay() -> None:
    assert POLICY.delay(2, 0.5) < POLICY.delay(2, 0.0)


def test_a_failed_attempt_is_counted() -> None:
    e = event()
    e.failed(NOW, "ConnectionError", POLICY, 0.0)
    assert e.attempts == 1


def test_a_failed_attempt_sets_the_next_attempt_by_the_policy() -> None:
    e = event()
    e.failed(NOW, "ConnectionError", POLICY, 0.3)
    assert e.next_attempt == NOW + POLICY.delay(1, 0.3)


def test_a_failed_attempt_keeps_the_event_pending() -> None:
    e = event()
    e.failed(NOW, "ConnectionError", POLICY, 0.0)
    assert e.state is EventState.PENDING


def test_a_failed_attempt_keeps_the_kind_of_error() -> None:
    e = event()
    e.failed(NOW, "ConnectionError", POLICY, 0.0)
    assert e.last_error == "ConnectionError"


def test_the_last_allowed_failure_parks_the_event() -> None:
    e = event()
    for _ in range(POLICY.max_attempts):
        e.failed(NOW, "Timeout", POLICY, 0.0)
    assert e.state is EventState.PARKED


def test_a_failure_before_the_last_does_not_park() -> None:
    e = event()
    for _ in range(POLICY.max_attempts - 1):
        e.failed(NOW, "Timeout", POLICY, 0.0)
    assert e.state is EventState.PENDING


def test_delivery_counts_the_attempt() -> None:
    e = event()
    e.failed(NOW, "Timeout", POLICY, 0.0)
    e.delivered(NOW)
    assert (e.state, e.attempts, e.delivered_time) == (EventState.DELIVERED, 2, NOW)


def test_retry_makes_a_parked_event_due_now_with_fresh_attempts() -> None:
    e = event()
    e.park("by hand")
    later = NOW + timedelta(hours=3)
    e.retry(later)
    assert (e.state, e.attempts, e.next_attempt) == (EventState.PENDING, 0, later)


def test_only_a_parked_event_is_retried() -> None:
    with pytest.raises(RuleViolation):
        event().retry(NOW)


def test_a_delivered_event_cannot_be_parked() -> None:
    e = event()
    e.delivered(NOW)
    with pytest.raises(RuleViolation):
        e.park("too late")


def test_an_event_keeps_its_id_over_attempts() -> None:
    e = event()
    e.failed(NOW, "Timeout", POLICY, 0.0)
    e.park("by hand")
    e.retry(NOW)
    assert e.event_id == "event-1"


def test_the_oldest_age_is_measured_from_the_oldest_pending_event() -> None:
    assert OutboxCounts(2, 0, NOW).oldest_age(NOW + timedelta(seconds=90)) == 90


def test_the_oldest_age_is_zero_when_nothing_waits() -> None:
    assert OutboxCounts(0, 3, None).oldest_age(NOW) == 0
