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
version replaces it). A record the source no longer answers (withdrawn, entered in error) is
marked withdrawn in the journal.

A fetch that fails (the platform down when notified, the source unreachable or answering a
fault) is kept in the journal's pending list and tried again in the background, after
``EPH_EHR_RETRY_SECONDS`` (30), doubling to at most an hour, until a fetch of the pair succeeds
(a later notification's fetch clears it too). The notification itself was answered OK: it was
received, and what it told of is the journal's to fetch (answering ERROR would leave the retry
to the index, which the stand-in does not do, and the index's call would wait on the fetch).
No answer or log line carries a value of the notification (the first field of every engagement
is a personnummer).
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
    """Fetches what a notification tells of and imports it; keeps the fetches that failed and
    tries them again."""

    def __init__(self, store: JournalStore, ehr: EhrSystem, clock: Callable[[], str] = _now,
                 retry_seconds: float = 30.0) -> None:
        self.store = store
        self.ehr = ehr
        self.clock = clock
        self.retry_seconds = retry_seconds
        self._stop = threading.Event()

    def fetch_and_import(self, pairs: Sequence[tuple[str, str]]) -> dict[Imported, int]:
        counts = dict.fromkeys(Imported, 0)
        failed = 0
        for address, patient in pairs:
            try:
                outcomes = self.ehr.laboratory_outcomes(patient, at=address)
            except (ConsumerError, ValueError) as e:
                pending = self.store.fetch_failed(address, patient, type(e).__name__, time.time(), self.retry_seconds)
                log.warning("GetLaboratoryOrderOutcome at %s failed: %s; attempt %d, tried again in %.0f s",
                            address, type(e).__name__, pending.attempts, pending.next_attempt - time.time())
                failed += 1
                continue
            answered = set()
            for outcome in outcomes:
                record = record_of(outcome, patient)
                answered.add(record.key)
                counts[self.store.import_record(record, self.clock(), fetched_from=address)] += 1
            counts[Imported.WITHDRAWN] += self.store.withdraw_missing(patient, address, answered, self.clock())
            self.store.fetch_done(address, patient)
        log.info("journal import: %s%s", ", ".join(f"{k.value} {n}" for k, n in counts.items()),
                 f"; {failed} fetches failed, kept to try again" if failed else "")
        return counts

    def retry_due(self) -> int:
        """Fetch again what failed and is due; how many fetches were tried."""
        due = self.store.pending(due_by=time.time())
        if due:
            self.fetch_and_import([(p.logical_address, p.patient_id) for p in due])
        return len(due)

    def _retry_loop(self) -> None:
        interval = min(self.retry_seconds, 5.0)
        while not self._stop.wait(interval):
            try:
                self.retry_due()
            except Exception as e:  # noqa: BLE001  # keep the loop alive; the text may quote data
                log.error("journal retry round failed: %s", type(e).__name__)

    def start_retries(self) -> threading.Thread | None:
        """The background thread that tries failed fetches again (none with retry_seconds 0)."""
        if self.retry_seconds <= 0:
            return None
        thread = threading.Thread(target=self._retry_loop, daemon=True, name="ehr-retry")
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()


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
    journal = Journal(store, ehr, retry_seconds=config.retry_seconds)
    journal.start_retries()
    return JournalApp(journal, config)
