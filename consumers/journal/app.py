"""The journal system's ProcessNotification endpoint (a WSGI application) and its import.

``POST /ehr/itintegration/engagementindex/ProcessNotification/1/rivtabp21`` (the contract's WSDL
and schemas at ``?wsdl`` and ``?xsd=<file>``, as released). The request is opened as the index
opens its own (one SOAP 1.1 request valid against the national XSD, one ``LogicalAddress``);
anything else is a SOAP fault ``Client``. A notification addressed to another logical address is
answered ``ResultCode`` ERROR. Otherwise the answer is OK as soon as the notification is read:
the engagements that tell of laboratory outcomes of the journal's care giver (service domain
actoutcome, categorization und-kkm-ure, dataController the care giver's organisation, not
deleted) are fetched afterwards, in the background, one ``GetLaboratoryOrderOutcome`` per patient
and logical address, through the platform as the journal system, and each record answered is
imported into the journal (``JournalStore``: the same version twice is one entry, a newer
version replaces it). A fetch that fails is logged; the next notification of the patient fetches
every record of theirs again, so nothing is lost for good. No answer or log line carries a value
of the notification (the first field of every engagement is a personnummer).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from lxml import etree

from contracts.interactions import PROCESS_NOTIFICATION

from .. import output
from ..aggregator import CATEGORIZATION, SERVICE_DOMAIN
from ..endpoint import (
    Fault,
    answer,
    child_values,
    document,
    envelope,
    fault,
    not_allowed,
    not_found,
    open_request,
    q,
    request_body,
)
from ..engagement_index.app import CORE, SWEDEN
from ..errors import ConsumerError
from ..roles import EhrSystem
from .config import JournalConfig
from .store import Imported, JournalStore, Record

log = logging.getLogger("eph.journal")
# how long the journal waits before it asks a source again after a failed call (about half a
# minute in all: a service restarting or a database failing over)
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0)

PATH = "/ehr" + PROCESS_NOTIFICATION.path


def _now() -> str:
    return datetime.now(SWEDEN).strftime("%Y%m%d%H%M%S")


def notification_response(code: str, comment: str | None = None) -> bytes:
    ns = PROCESS_NOTIFICATION.responder_ns
    response = etree.Element(q(ns, "ProcessNotificationResponse"), nsmap={"r": ns})
    etree.SubElement(response, q(ns, "ResultCode")).text = code
    if comment:
        etree.SubElement(response, q(ns, "comment")).text = comment
    return envelope(response)


def wanted(body: etree._Element, organisation: str) -> list[tuple[str, str]]:
    """The (logical address, patient) pairs to fetch: the engagements of laboratory outcomes of
    the journal's care giver that were stored (not deleted), each pair once."""
    pairs: dict[tuple[str, str], None] = {}
    for t in body.findall(q(PROCESS_NOTIFICATION.responder_ns, "engagementTransaction")):
        if (t.findtext(q(CORE, "deleteFlag")) or "").strip() in ("true", "1"):
            continue
        element = t.find(q(CORE, "engagement"))
        e = child_values(element, CORE) if element is not None else {}
        if (e.get("serviceDomain"), e.get("categorization"), e.get("dataController")) != (
                SERVICE_DOMAIN, CATEGORIZATION, organisation):
            continue
        pairs[(e["logicalAddress"], e["registeredResidentIdentification"])] = None
    return list(pairs)


def _given(value: Any) -> Any:
    """The answer's values without the elements it left out (zeep's None, its empty wildcards)."""
    if isinstance(value, dict):
        return {k: _given(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_given(v) for v in value]
    return value


def record_of(outcome: Any, patient: str) -> Record:
    header = outcome.header
    return Record(
        source_system=header.sourceSystemId.extension, record_id=header.record.id.extension,
        version_time=header.record.timestamp, patient_id=patient,
        care_unit=header.accessControlHeader.accountableCareUnit.extension,
        report_type=outcome.body.type.code,
        content=json.dumps(_given(output.plain(outcome)), sort_keys=True, ensure_ascii=False),
    )


class Journal:
    """Fetches what a notification tells of and imports it."""

    def __init__(self, store: JournalStore, ehr: EhrSystem, clock: Callable[[], str] = _now,
                 retry_delays: Sequence[float] = RETRY_DELAYS, sleep: Callable[[float], None] = time.sleep) -> None:
        self.store = store
        self.ehr = ehr
        self.clock = clock
        self.retry_delays = retry_delays
        self.sleep = sleep

    def _outcomes(self, address: str, patient: str) -> list[Any] | None:
        """The patient's outcomes at the source, asked again after each delay while the call
        fails (the source restarting, the platform's connection to it broken: the notification is
        not sent again); None when every attempt failed."""
        for delay in (*self.retry_delays, None):
            try:
                return list(self.ehr.laboratory_outcomes(patient, at=address))
            except (ConsumerError, ValueError) as e:
                log.warning("GetLaboratoryOrderOutcome at %s failed: %s%s", address, type(e).__name__,
                            f"; again in {delay:g} s" if delay is not None else "; given up")
                if delay is None:
                    return None
                self.sleep(delay)
        return None

    def fetch_and_import(self, pairs: Sequence[tuple[str, str]]) -> dict[Imported, int]:
        counts = dict.fromkeys(Imported, 0)
        for address, patient in pairs:
            outcomes = self._outcomes(address, patient)
            if outcomes is None:
                continue
            for outcome in outcomes:
                counts[self.store.import_record(record_of(outcome, patient), self.clock())] += 1
        log.info("journal import: %s", ", ".join(f"{k.value} {n}" for k, n in counts.items()))
        return counts


class JournalApp:
    """The WSGI application."""

    def __init__(self, journal: Journal, config: JournalConfig) -> None:
        self.journal = journal
        self.config = config
        self.threads: list[threading.Thread] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") != PATH:
            return not_found(start_response)
        if environ["REQUEST_METHOD"] == "GET":
            return document(environ, start_response, PROCESS_NOTIFICATION)
        if environ["REQUEST_METHOD"] != "POST":
            return not_allowed(start_response)
        log_id = str(uuid.uuid4())
        try:
            address, body = open_request(request_body(environ), PROCESS_NOTIFICATION)
        except Fault as f:
            log.info("ProcessNotification refused (logId %s): %s", log_id, f)
            return fault(start_response, str(f), log_id)
        if address != self.config.hsa_id:
            log.info("ProcessNotification to another logical address refused (logId %s)", log_id)
            return answer(start_response, "200 OK", notification_response(
                "ERROR", "the LogicalAddress is not this journal system's own"))
        pairs = wanted(body, self.config.organisation)
        log.info("ProcessNotification received (logId %s): %d patient sources to fetch", log_id, len(pairs))
        if pairs:
            thread = threading.Thread(target=self.journal.fetch_and_import, args=(pairs,), daemon=True, name="ehr-import")
            thread.start()
            self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        return answer(start_response, "200 OK", notification_response("OK"))


def create_app(config: JournalConfig | None = None, store: JournalStore | None = None) -> JournalApp:
    """The application on a database already made (`eph serve` makes it once, before the workers)."""
    config = config or JournalConfig()
    store = store or JournalStore(config.database_url)
    ehr = EhrSystem(config.connection(), config.care_giver, config.care_unit)
    return JournalApp(Journal(store, ehr), config)
