"""What the router counts (Prometheus, through prometheus-client):

- ``eph_vp_calls_total{contract,outcome}``: calls; outcome ``ok`` (the producer answered 200),
  ``producer_fault`` (a SOAP fault of the producer passed on), ``vp_fault`` (the platform
  answered a VP code) or ``client_gone`` (the caller left before its request was read);
- ``eph_vp_faults_total{code}``: VP codes answered;
- ``eph_vp_call_seconds{contract}``: time from the request to the answer;
- ``eph_vp_producer_seconds{contract}``: time spent waiting for the producer.

Label values are bounded: ``contract`` is a contract of the catalogue in force or ``other``,
``code`` one of the VP codes; nothing a caller wrote reaches a label otherwise. The metric
objects are made on first use, in the worker, so that prometheus-client is first imported
after the multiprocess directory was chosen (see ``eph.metrics``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from .faults import VP_CODES

OUTCOMES = ("ok", "producer_fault", "vp_fault", "client_gone")
OTHER = "other"
# the router answers within the producer timeout (29 s by default) plus a retry pause
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True)
class _Metrics:
    calls: Any
    faults: Any
    call_seconds: Any
    producer_seconds: Any


@cache
def _metrics() -> _Metrics:
    from prometheus_client import Counter, Histogram, values

    # prometheus-client picks its way of keeping values when first imported; if that happened before
    # the multiprocess directory was set, pick again now (in the worker, before any metric exists)
    values.ValueClass = values.get_value_class()

    return _Metrics(
        Counter("eph_vp_calls_total", "Calls routed by the platform, by contract and outcome", ("contract", "outcome")),
        Counter("eph_vp_faults_total", "VP faults answered, by code", ("code",)),
        Histogram("eph_vp_call_seconds", "Time from a call to its answer", ("contract",), buckets=BUCKETS),
        Histogram("eph_vp_producer_seconds", "Time waiting for the producer", ("contract",), buckets=BUCKETS),
    )


def record(contract: str, outcome: str, vp_code: str | None, seconds: float, producer_seconds: float | None) -> None:
    """Count one call. ``contract`` must already be bounded (a catalogue contract or ``other``)."""
    m = _metrics()
    m.calls.labels(contract, outcome if outcome in OUTCOMES else OTHER).inc()
    if vp_code is not None:
        m.faults.labels(vp_code if vp_code in VP_CODES else OTHER).inc()
    m.call_seconds.labels(contract).observe(seconds)
    if producer_seconds is not None:
        m.producer_seconds.labels(contract).observe(producer_seconds)
