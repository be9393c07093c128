"""The outbox worker in a running service, and the senders it delivers with.

Every service worker process with a sender configured runs a thread that delivers the due events
(``service_domain.services.outbox``). It wakes as soon as a unit of work of its own process
that wrote an event has committed (``Nudge``, set by ``OutboxUnitOfWork.commit``), lingers a
moment (``LINGER_SECONDS``, or until a round's worth has been committed) so that the events
committed meanwhile go in the same Update, and every
``interval`` seconds in any case: the poll is the safety net for events written by other
processes (the staff web's releases, another node) and for retries that fall due. A round
that claimed a whole batch is followed by another at once. Unlike housekeeping it needs no lease:
each event is claimed by one worker at a time, so workers of every node share the work. After
each round it counts what the round did (the queue's gauges are set when /metrics is read). The thread starts in the worker after the fork, as the
housekeeping thread does.

Senders: an event kind without a sender is not delivered; its events wait (counted as queued)
until one is configured. With no sender at all no thread is started (``configured_senders`` is
the one place that decides which senders there are; the service's /status and /metrics still
count the queue). The index push (``SoapIndexPush``) is configured when ``EPH_INDEX_PUSH`` is on
(docs/operations.md, "outbox"); the notices (``eph.notices.NoticeSender``) when
``EPH_NOTICE_SMTP_HOST`` or ``EPH_NOTICE_SMS_URL`` is set (docs/operations.md, "Notices").
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import requests
import zeep
import zeep.exceptions

from consumers.client import DEFAULT_INSTANCE_ID, DEFAULT_PLATFORM, Connection, Identity
from contracts.interactions import UPDATE
from service_domain.clock import SWEDISH_TZ, utcnow
from service_domain.model import EventKind, OutboxEvent
from service_domain.model.outbox import SERVICE_SYSTEM, IndexUpdate
from service_domain.persistence.database import Database, SqlUnitOfWork
from service_domain.persistence.outbox import SqlOutboxRepository
from service_domain.ports import Sender
from service_domain.services import outbox

log = logging.getLogger("eph.outbox")


# The engagement the service keeps in the index for a patient's results, by the national rules
# for the domain clinicalprocess:healthcond:actoutcome (its service contract description, "Uppdatering
# av engagemangsindex"): the domain; the categorization of GetLaboratoryOrderOutcome ("und-kkm-ure",
# also what the national aggregating service GetAggregatedLaboratoryOrderOutcome asks FindContent
# for); businessObjectInstanceIdentifier and clinicalProcessInterestId "NA" (not used in the
# domain); logicalAddress the same as sourceSystem (the domain addresses source systems).
SERVICE_DOMAIN = "riv:clinicalprocess:healthcond:actoutcome"
CATEGORIZATION = "und-kkm-ure"
NOT_APPLICABLE = "NA"
DEFAULT_INDEX_ADDRESS = "SE5565594230-EI"
# engagements in one Update (the national index takes at most 1000; a round claims fewer)
MAX_ENGAGEMENTS = 100
# after a nudge, how long at most the delivery thread waits for more commits before it claims (it
# claims at once when a round's worth has been committed): the events of that time go in one
# Update rather than one each, and each Update's cost (the claim, the call through the platform,
# the index's transaction, the outcomes' UPDATE) is shared by more events
LINGER_SECONDS = 1.0


class IndexRefused(Exception):
    """The index answered an Update with ResultCode ERROR (its comment names a rule, no data)."""


class IndexFault(Exception):
    """The platform or the index answered the Update with a SOAP fault."""


class IndexUnreachable(Exception):
    """The platform could not be reached, or answered HTTP without a SOAP message."""


def engagement(update: IndexUpdate, source_system: str = SERVICE_SYSTEM) -> dict[str, object]:
    """The EngagementType of an index update. One engagement per patient, source system and care
    giver: the order is not part of it (the domain's businessObjectInstanceIdentifier is "NA"),
    so every result of the patient's at the care giver moves the same engagement's
    mostRecentContent (Swedish time, as TS). The source system, where GetLaboratoryOrderOutcome
    is asked, is the service's logical address as configured (EPH_LOGICAL_ADDRESS)."""
    return {
        "registeredResidentIdentification": update.patient.id,
        "serviceDomain": SERVICE_DOMAIN,
        "categorization": CATEGORIZATION,
        "logicalAddress": source_system,
        "businessObjectInstanceIdentifier": NOT_APPLICABLE,
        "clinicalProcessInterestId": NOT_APPLICABLE,
        "mostRecentContent": update.most_recent_content.astimezone(SWEDISH_TZ).strftime("%Y%m%d%H%M%S"),
        "sourceSystem": source_system,
        "dataController": data_controller(update.care_giver),
    }


def data_controller(care_giver: str) -> str:
    """"SE" and the care giver's organisation number (the domain's rule), from its HSA-id: the
    HSA-id begins with SE and the organisation number of the directory's owner."""
    return care_giver.split("-", 1)[0]


class SoapIndexPush:
    """The engagement index's Update (urn:riv:itintegration:engagementindex:UpdateResponder:1),
    sent through the platform to the index's logical address as the service.

    A send fails (the outbox tries again later, and parks the event in the end) when the index
    answers ERROR, the platform or the index answers a SOAP fault, or the platform cannot be
    reached. The exception says which, never the data. An event sent twice (at least once
    delivery) stores nothing new in the index: the engagement's key is the same."""

    def __init__(self, connection: Connection, source_system: str = SERVICE_SYSTEM) -> None:
        self.connection = connection
        self.source_system = source_system  # the service's logical address

    def send(self, event: OutboxEvent) -> None:
        self.send_batch([event])

    def send_batch(self, events: Sequence[OutboxEvent]) -> None:
        """The events of a round in Updates of at most ``MAX_ENGAGEMENTS`` engagements each (one
        request rather than one an event: each Update is a synchronous call through the platform),
        an engagement told of twice sent once, as its latest (the index refuses the same
        engagement twice in one request). All delivered, or the exception of the first Update that
        failed (the outbox tries every event of the round again; the index stores nothing new for
        an engagement it already holds)."""
        told = latest_engagements([e.index for e in events], self.source_system)
        for i in range(0, len(told), MAX_ENGAGEMENTS):
            self._update(told[i:i + MAX_ENGAGEMENTS])

    def _update(self, engagements: list[dict[str, object]]) -> None:
        service = self.connection.service(UPDATE)
        try:
            answer = service.Update(
                _soapheaders={"LogicalAddress": self.connection.logical_address},
                engagementTransaction=[{"deleteFlag": False, "engagement": e} for e in engagements])
        except zeep.exceptions.Fault as f:  # the platform's (VP0xx) or the index's own
            raise IndexFault(f"the Update was answered with a SOAP fault {f.code}") from None
        except (requests.exceptions.RequestException, zeep.exceptions.TransportError) as e:
            raise IndexUnreachable(f"the platform at {self.connection.platform} was not reached: "
                                   f"{type(e).__name__}") from None
        if answer.ResultCode != "OK":
            raise IndexRefused(f"the engagement index answered {answer.ResultCode}")


def latest_engagements(updates: Sequence[IndexUpdate], source_system: str = SERVICE_SYSTEM) -> list[dict[str, object]]:
    """The engagements of these updates, each engagement (its key: every field but
    mostRecentContent) once, with the latest mostRecentContent told of; in the order first told."""
    latest: dict[tuple[object, ...], dict[str, object]] = {}
    for update in updates:
        e = engagement(update, source_system)
        key = tuple(v for k, v in e.items() if k != "mostRecentContent")
        if key not in latest or str(e["mostRecentContent"]) > str(latest[key]["mostRecentContent"]):
            latest[key] = e
    return list(latest.values())


def index_push_on(env: Mapping[str, str] | None = None) -> bool:
    """Whether the service pushes to the engagement index (EPH_INDEX_PUSH 1, true, yes or on)."""
    env = os.environ if env is None else env
    return (env.get("EPH_INDEX_PUSH") or "").strip().lower() in ("1", "true", "yes", "on")


def index_push_connection(env: Mapping[str, str] | None = None) -> Connection | None:
    """How the service reaches the index, or None when the push is off (EPH_INDEX_PUSH unset):
    the platform's address (EPH_INDEX_PUSH_PLATFORM_URL; else the platform's plain listener
    from EPH_PLATFORM_BIND, as ``eph serve all`` starts it; else 127.0.0.1:8080), the index's
    logical address (EPH_INDEX_LOGICAL_ADDRESS), and who the service is: a client certificate
    (EPH_INDEX_PUSH_CERT/KEY/CA) or, in development, the identity headers with the platform's
    instance id (EPH_VP_INSTANCE_ID)."""
    env = os.environ if env is None else env
    if not index_push_on(env):
        return None
    bind = env.get("EPH_PLATFORM_BIND")
    plain = f"http://{bind}" if bind and bind.strip().lower() != "none" else DEFAULT_PLATFORM
    identity = Identity(SERVICE_SYSTEM, instance_id=env.get("EPH_VP_INSTANCE_ID") or DEFAULT_INSTANCE_ID,
                        cert=env.get("EPH_INDEX_PUSH_CERT") or None, key=env.get("EPH_INDEX_PUSH_KEY") or None,
                        ca=env.get("EPH_INDEX_PUSH_CA") or None)
    return Connection(identity, env.get("EPH_INDEX_PUSH_PLATFORM_URL") or plain,
                      env.get("EPH_INDEX_LOGICAL_ADDRESS") or DEFAULT_INDEX_ADDRESS, timeout=30)


def configured_senders(env: Mapping[str, str] | None = None,
                       source_system: str = SERVICE_SYSTEM, db: Database | None = None) -> dict[EventKind, Sender]:
    """The senders of a running service: the index push when EPH_INDEX_PUSH is on; the notices
    (``eph.notices.NoticeSender``, with the database ``db``) when EPH_NOTICE_SMTP_HOST or
    EPH_NOTICE_SMS_URL is set. A kind without its sender waits (its events counted as queued);
    ``source_system`` is the service's logical address."""
    from .notices import notice_sender_from_env  # its transports load only where the service runs

    senders: dict[EventKind, Sender] = {}
    connection = index_push_connection(env)
    if connection is not None:
        senders[EventKind.INDEX_UPDATE] = SoapIndexPush(connection, source_system)
    notices = notice_sender_from_env(db, env) if db is not None else None
    if notices is not None:
        senders[EventKind.NOTICE] = notices
    return senders


def outbox_events_on(env: Mapping[str, str] | None = None) -> bool:
    """Whether the service writes outbox events (EPH_OUTBOX_EVENTS; on unless 0, false, no or
    off). Off only to measure what the outbox costs (`make bench`): the results stored meanwhile
    are never told of. With the index push off the events are still written, and wait: a push
    turned off for a while (maintenance, a certificate being renewed) delivers them once it is
    on again, where events not written would be index updates lost for good."""
    env = os.environ if env is None else env
    return (env.get("EPH_OUTBOX_EVENTS") or "").strip().lower() not in ("0", "false", "no", "off")


class Nudge:
    """Wakes a process's delivery thread: set after a commit that wrote events, with how many.
    A set between the thread's waking and its claim is not lost: the round that follows claims
    every event committed before it, and the count carries to the next wait. The thread is woken
    only when what it waits for is there (not by every commit while it gathers)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._events = 0
        self._wanted = 1  # what the waiting thread waits for

    def set(self, events: int = 1) -> None:
        with self._cond:
            self._events += max(events, 1)
            if self._events >= self._wanted:
                self._cond.notify_all()

    def wait(self, timeout: float) -> bool:
        """Until set or ``timeout`` seconds; whether it was set."""
        with self._cond:
            self._wanted = 1
            return self._cond.wait_for(lambda: self._events > 0, timeout)

    def gather(self, enough: int, timeout: float) -> int:
        """Until ``enough`` events have been committed since the last gather, or ``timeout``
        seconds; how many were. The count starts again from nought for the next wait."""
        with self._cond:
            self._wanted = enough
            self._cond.wait_for(lambda: self._events >= enough, timeout)
            told, self._events, self._wanted = self._events, 0, 1
            return told


class _WatchedOutbox(SqlOutboxRepository):
    """The outbox repository of an ``OutboxUnitOfWork``: counts the events added, or with
    ``write`` off adds none."""

    def __init__(self, conn: Any, write: bool) -> None:
        super().__init__(conn)
        self.write = write
        self.added = 0

    def add(self, *events: OutboxEvent) -> int:
        if not self.write:
            return 0
        written = super().add(*events)
        self.added += written
        return written


class OutboxUnitOfWork(SqlUnitOfWork):
    """The service's unit of work as the composition root builds it: after a commit that wrote
    an event it calls ``on_event_committed`` (the process's ``Nudge``), so that the event is
    delivered at once rather than at the next poll; with ``write_events`` off it writes no event
    (EPH_OUTBOX_EVENTS=0). The domain does not know of either."""

    def __init__(self, db: Database, on_event_committed: Callable[[int], None] | None = None,
                 write_events: bool = True) -> None:
        super().__init__(db)
        self.on_event_committed = on_event_committed
        self.write_events = write_events
        self._watched: _WatchedOutbox | None = None

    def __enter__(self) -> OutboxUnitOfWork:
        super().__enter__()
        self._watched = _WatchedOutbox(self.conn, self.write_events)
        self.outbox = self._watched
        return self

    def commit(self) -> None:
        super().commit()
        if self._watched is not None and self._watched.added:
            added, self._watched.added = self._watched.added, 0
            if self.on_event_committed is not None:
                self.on_event_committed(added)


def more_due(done: outbox.DeliveryRound, batch: int = outbox.DELIVERY_BATCH) -> bool:
    """Whether a round claimed a whole batch (so more events may be due at once)."""
    return done.delivered + done.retried + done.parked >= batch


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        interval: float,
        senders: Mapping[EventKind, Sender],
        clock: Callable[[], datetime] = utcnow,
        nudge: Nudge | None = None,
        linger: float = LINGER_SECONDS,
    ) -> None:
        self.db = db
        self.interval = interval
        self.senders = senders
        self.clock = clock
        self.nudge = nudge or Nudge()
        self.linger = linger
        self.batch = MAX_ENGAGEMENTS  # a round's events, at most one Update
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()

    def run_once(self) -> outbox.DeliveryRound:
        """One round: deliver what is due, then count what it did."""
        from producers.metrics import observe_outbox  # after the metrics directory is chosen

        done = outbox.deliver_due(self.db.uow(), self.senders, self.clock(), self.holder, clock=self.clock,
                                  batch=self.batch)
        observe_outbox(done.delivered, done.retried, done.parked)
        if done.retried or done.parked:  # counts only: events hold patient data
            log.warning("outbox round: delivered=%d retried=%d parked=%d", done.delivered, done.retried, done.parked)
        return done

    def _loop(self) -> None:
        more = False  # the last round claimed a whole batch: go on at once
        while True:
            if not more and self.nudge.wait(self.interval):
                # the commits of the next moments go in the same round, until a round's worth
                self.nudge.gather(self.batch, self.linger)
            if self._stop.is_set():
                return
            try:
                more = more_due(self.run_once(), self.batch)
            except Exception as e:  # keep the loop alive; the text may quote data
                more = False
                log.error("outbox round failed: %s", type(e).__name__)
                self._stop.wait(min(self.interval, 1.0))  # not at once again: the database may be down

    def start(self) -> threading.Thread | None:
        """The delivery thread; none when there is no sender (nothing could be delivered, and a
        thread would only wake to count)."""
        if not self.senders:
            return None
        thread = threading.Thread(target=self._loop, daemon=True, name="outbox")
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
        self.nudge.set(self.batch)


def observe_queue(db: Database, clock: Callable[[], datetime] = utcnow) -> None:
    """Set the outbox's queue gauges from the database (when /metrics is read)."""
    from producers.metrics import observe_outbox_queue  # after the metrics directory is chosen

    counts = outbox.outbox_counts(db.uow())
    observe_outbox_queue(counts.pending, counts.parked, counts.oldest_age(clock()))


def outbox_status(db: Database, clock: Callable[[], datetime] = utcnow) -> dict[str, object]:
    """The service's /status: the outbox's line (counts and an age, no personal data)."""
    counts = outbox.outbox_counts(db.uow())
    return {
        "service": "eph self-sampling service",
        "outbox": {
            "queued": counts.pending,
            "parked": counts.parked,
            "oldestQueuedSeconds": int(counts.oldest_age(clock())),
        },
    }
