"""The outbox worker in a running service, and the senders it delivers with.

Every service worker process runs a thread that wakes every ``interval`` seconds and delivers
the due events (``service_domain.services.outbox``). Unlike housekeeping it needs no lease:
each event is claimed by one worker at a time, so workers of every node share the work. After
each round it sets the outbox's gauges. The thread starts in the worker after the fork, as the
housekeeping thread does.

Senders: an event kind without a sender is not delivered; its events wait (counted as queued)
until one is configured. The index push's SOAP adapter is not written yet (it comes with the
engagement index contract), so no kind has a sender in a running service today.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

from service_domain.clock import utcnow
from service_domain.model import EventKind, OutboxEvent
from service_domain.persistence.database import Database
from service_domain.ports import Sender
from service_domain.services import outbox

log = logging.getLogger("eph.outbox")


class SoapIndexPush:
    """The engagement index's Update (urn:riv:itintegration:engagementindex:UpdateResponder:1)
    through the platform. Not written yet: it needs the national contract's schemas in wsdl/
    and a routing for the index in the platform's catalogue.

    For whoever writes it, from the index's core components (EngagementType): the event gives
    registeredResidentIdentification (the patient's id), businessObjectInstanceIdentifier (the
    order id), mostRecentContent (as a TS, yyyyMMddHHmmss), sourceSystem, and the care giver,
    whose organisation number is dataController (an OrgNoType, not the HSA-id); serviceDomain,
    categorization, logicalAddress and clinicalProcessInterestId are the sender's constants for
    the national results contract. deleteFlag is false: a withdrawn result is still a record."""

    def send(self, event: OutboxEvent) -> None:
        raise NotImplementedError("the engagement index Update contract is not part of the release yet")


def configured_senders() -> dict[EventKind, Sender]:
    """The senders of a running service: none yet (see SoapIndexPush)."""
    return {}


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        interval: float,
        senders: Mapping[EventKind, Sender],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.interval = interval
        self.senders = senders
        self.clock = clock
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()

    def run_once(self) -> outbox.DeliveryRound:
        """One round: deliver what is due, then update the gauges."""
        from producers.metrics import observe_outbox  # after the metrics directory is chosen

        done = outbox.deliver_due(self.db.uow(), self.senders, self.clock(), self.holder, clock=self.clock)
        counts = outbox.outbox_counts(self.db.uow())
        observe_outbox(done.delivered, done.retried, done.parked, counts.pending, counts.parked,
                       counts.oldest_age(self.clock()))
        if done.retried or done.parked:  # counts only: events hold patient data
            log.warning("outbox round: delivered=%d retried=%d parked=%d", done.delivered, done.retried, done.parked)
        return done

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception as e:  # keep the loop alive; the text may quote data
                log.error("outbox round failed: %s", type(e).__name__)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._loop, daemon=True, name="outbox")
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()


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
