"""The service's metrics: calls per interaction and outcome, and their duration.

Label values come from the release's list of interactions and the service's own outcome
codes, never from what a caller sent, so their number is bounded.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
