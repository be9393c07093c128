"""The outbox: what the service must tell other systems, written in the same transaction as the
change it tells of, and delivered later, at least once, by a worker.

An event keeps only what its delivery needs. An index update (the engagement index's Update)
needs the patient, the care giver and unit, the order the result belongs to, when its content
last changed and the system that holds it: patient data like the rest of the database.

Delivery fails now and then; an event is tried again after a delay that doubles with each
attempt up to a cap, shortened by a random part so that events failing together spread out. An
event that has failed ``max_attempts`` times is parked: kept, shown to operators, tried again
only when one asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ..errors import RuleViolation, SubCode
from ..identity import PersonId
from .notices import NoticeDue, NoticeKind
from .offers import new_id
from .orders import Order

# the system that holds the results the index points to: the service itself
SERVICE_SYSTEM = "SE5565594230-EPH"
ERROR_MAX = 200  # characters of a delivery error kept with an event


class EventKind(StrEnum):
    INDEX_UPDATE = "INDEX_UPDATE"  # urn:riv:itintegration:engagementindex:UpdateResponder:1
    NOTICE = "NOTICE"  # a notice to the patient (model.notices)


class EventState(StrEnum):
    PENDING = "PENDING"  # waiting for its next attempt
    DELIVERED = "DELIVERED"
    PARKED = "PARKED"  # failed too often; waits for an operator


@dataclass(frozen=True, slots=True)
class IndexUpdate:
    """What the engagement index is told of one order's result: the patient has results in the
    service, at the care giver, whose content changed at ``most_recent_content``. (The index
    push's engagement has no order: the domain's rules make it "NA"; the order, care unit and
    event id serve the outbox and its operators.)"""

    patient: PersonId
    care_giver: str
    care_unit: str
    order_id: str
    most_recent_content: datetime
    source_system: str = SERVICE_SYSTEM


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with a cap and jitter, and how many attempts before parking."""

    base: timedelta = timedelta(seconds=10)
    cap: timedelta = timedelta(hours=1)
    jitter: float = 0.25  # at most this share of the delay is taken off at random
    max_attempts: int = 20  # the last some 9 to 11 hours after the first: a night's outage of a receiver

    def delay(self, attempts: int, rand: float) -> timedelta:
        """The wait after the ``attempts``-th failed attempt; ``rand`` in [0, 1)."""
        full = min(self.cap, self.base * (2 ** min(attempts - 1, 32)))
        return full * (1 - self.jitter * rand)


@dataclass(slots=True)
class OutboxEvent:
    event_id: str  # stable over every attempt: receivers de-duplicate on it
    kind: EventKind
    payload: IndexUpdate | NoticeDue
    created_time: datetime
    next_attempt: datetime
    state: EventState = EventState.PENDING
    attempts: int = 0
    last_error: str | None = None
    delivered_time: datetime | None = None

    @classmethod
    def index_update(cls, order: Order, now: datetime) -> OutboxEvent:
        """The index is to learn that the order's result changed (stored, corrected, withdrawn
        or released) at ``now``."""
        payload = IndexUpdate(order.patient, order.care_giver, order.care_unit, order.order_id, now)
        return cls(new_id(), EventKind.INDEX_UPDATE, payload, now, now)

    @classmethod
    def notice(cls, patient: PersonId, kind: NoticeKind, order_id: str, now: datetime) -> OutboxEvent:
        """The patient is to be told (by the channel they chose) that something about the order
        waits in the e-service."""
        return cls(new_id(), EventKind.NOTICE, NoticeDue(patient, kind, order_id), now, now)

    @property
    def index(self) -> IndexUpdate:
        """The payload of an INDEX_UPDATE event (TypeError for another kind)."""
        if not isinstance(self.payload, IndexUpdate):
            raise TypeError(f"a {self.kind.value} event has no index update")
        return self.payload

    def delivered(self, now: datetime) -> None:
        self.attempts += 1
        self.state = EventState.DELIVERED
        self.delivered_time = now
        self.last_error = None

    def failed(self, now: datetime, error: str, policy: RetryPolicy, rand: float) -> None:
        """An attempt failed with ``error`` (a kind of error, never the data): try again after
        the policy's delay, or park once the attempts are used up."""
        self.attempts += 1
        self.last_error = error[:ERROR_MAX]
        if self.attempts >= policy.max_attempts:
            self.state = EventState.PARKED
        else:
            self.next_attempt = now + policy.delay(self.attempts, rand)

    def park(self, reason: str) -> None:
        """An operator stops its delivery (it stays, and can be retried)."""
        if self.state is not EventState.PENDING:
            raise RuleViolation(SubCode.WRONG_STATE, f"the event is {self.state.value}, not PENDING")
        self.state = EventState.PARKED
        self.last_error = reason[:ERROR_MAX]

    def retry(self, now: datetime) -> None:
        """An operator sends a parked event again: due now, with its attempts counted afresh."""
        if self.state is not EventState.PARKED:
            raise RuleViolation(SubCode.WRONG_STATE, f"the event is {self.state.value}, not PARKED")
        self.state = EventState.PENDING
        self.attempts = 0
        self.next_attempt = now


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """The outbox at a glance, for metrics and /status."""

    pending: int
    parked: int
    oldest_pending: datetime | None  # when the oldest event still to deliver was written

    def oldest_age(self, now: datetime) -> float:
        """Seconds the oldest event still to deliver has waited (0 when none waits)."""
        return 0.0 if self.oldest_pending is None else max(0.0, (now - self.oldest_pending).total_seconds())
