"""The service's metrics: calls per interaction and outcome, and their duration.

Label values come from the release's list of interactions and the service's own outcome
codes, never from what a caller sent, so their number is bounded.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

CALLS = Counter(
    "eph_service_calls", "Calls answered by the service", ("interaction", "outcome")
)
DURATION = Histogram(
    "eph_service_call_seconds", "Time from request to answer in the service", ("interaction",),
    buckets=LATENCY_BUCKETS,
)


def observe(interaction: str, outcome: str, seconds: float) -> None:
    CALLS.labels(interaction, outcome).inc()
    DURATION.labels(interaction).observe(seconds)

# The outbox (eph/outbox.py): counts of delivery outcomes, and the queue as its worker last saw it.
OUTBOX_DELIVERED = Counter("eph_outbox_delivered", "Outbox events delivered")
OUTBOX_RETRIED = Counter("eph_outbox_retried", "Outbox delivery attempts failed and to be tried again")
OUTBOX_PARKED = Counter("eph_outbox_parked", "Outbox events parked after their last failed attempt")
OUTBOX_QUEUED = Gauge("eph_outbox_queued", "Outbox events waiting for delivery", multiprocess_mode="mostrecent")
OUTBOX_PARKED_NOW = Gauge("eph_outbox_parked_events", "Outbox events parked now", multiprocess_mode="mostrecent")
OUTBOX_OLDEST = Gauge(
    "eph_outbox_oldest_seconds", "Age of the oldest outbox event waiting for delivery", multiprocess_mode="mostrecent"
)


def observe_outbox(delivered: int, retried: int, parked: int) -> None:
    """What a delivery round did (the queue's gauges are set when /metrics is read)."""
    OUTBOX_DELIVERED.inc(delivered)
    OUTBOX_RETRIED.inc(retried)
    OUTBOX_PARKED.inc(parked)


def observe_outbox_queue(queued: int, parked_now: int, oldest: float) -> None:
    """The queue's gauges, set from the database when /metrics is read (not by each delivery
    round: a count query per round cost every event a share of it, for gauges nobody read)."""
    OUTBOX_QUEUED.set(queued)
    OUTBOX_PARKED_NOW.set(parked_now)
    OUTBOX_OLDEST.set(oldest)
