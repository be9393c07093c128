"""The outbox worker in a running service, and the senders it delivers with.

Every service worker process runs a thread that wakes every ``interval`` seconds and delivers
the due events (``service_domain.services.outbox``). Unlike housekeeping it needs no lease:
each event is claimed by one worker at a time, so workers of every node share the work. After
each round it sets the outbox's gauges. The thread starts in the worker after the fork, as the
housekeeping thread does.

Senders: an event kind without a sender is not delivered; its events wait (counted as queued)
until one is configured. The index push (``SoapIndexPush``) is configured when ``EPH_INDEX_PUSH``
is on (docs/operations.md, "outbox"); the notices (``eph.notices.NoticeSender``) when
``EPH_NOTICE_SMTP_HOST`` or ``EPH_NOTICE_SMS_URL`` is set (docs/operations.md, "Notices").
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

import requests
import zeep
import zeep.exceptions

from consumers.client import DEFAULT_INSTANCE_ID, DEFAULT_PLATFORM, Connection, Identity
from contracts.interactions import UPDATE
from service_domain.clock import SWEDISH_TZ, utcnow
from service_domain.model import EventKind, OutboxEvent
from service_domain.model.outbox import SERVICE_SYSTEM, IndexUpdate
from service_domain.persistence.database import Database
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
        if not isinstance(event.payload, IndexUpdate):
            raise TypeError(f"the index push sends INDEX_UPDATE events, not {event.kind}")
        service = self.connection.service(UPDATE)
        try:
            answer = service.Update(
                _soapheaders={"LogicalAddress": self.connection.logical_address},
                engagementTransaction=[{"deleteFlag": False, "engagement": engagement(event.payload, self.source_system)}])
        except zeep.exceptions.Fault as f:  # the platform's (VP0xx) or the index's own
            raise IndexFault(f"the Update was answered with a SOAP fault {f.code}") from None
        except (requests.exceptions.RequestException, zeep.exceptions.TransportError) as e:
            raise IndexUnreachable(f"the platform at {self.connection.platform} was not reached: "
                                   f"{type(e).__name__}") from None
        if answer.ResultCode != "OK":
            raise IndexRefused(f"the engagement index answered {answer.ResultCode}")


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
