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
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from lxml import etree

from contracts.interactions import PROCESS_NOTIFICATION
from contracts.schema import documents, served_document

from .. import output
from ..aggregator import CATEGORIZATION, SERVICE_DOMAIN
from ..engagement_index.app import (
    CORE,
    MAX_BODY,
    SWEDEN,
    Fault,
    _envelope,
    _q,
    _values,
    fault_document,
    open_request,
)
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
    response = etree.Element(_q(ns, "ProcessNotificationResponse"), nsmap={"r": ns})
    etree.SubElement(response, _q(ns, "ResultCode")).text = code
    if comment:
        etree.SubElement(response, _q(ns, "comment")).text = comment
    return _envelope(response)


def wanted(body: etree._Element, organisation: str) -> list[tuple[str, str]]:
    """The (logical address, patient) pairs to fetch: the engagements of laboratory outcomes of
    the journal's care giver that were stored (not deleted), each pair once."""
    pairs: dict[tuple[str, str], None] = {}
    for t in body.findall(_q(PROCESS_NOTIFICATION.responder_ns, "engagementTransaction")):
        if (t.findtext(_q(CORE, "deleteFlag")) or "").strip() in ("true", "1"):
            continue
        element = t.find(_q(CORE, "engagement"))
        e = _values(element, CORE) if element is not None else {}
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

    def __init__(self, store: JournalStore, ehr: EhrSystem, clock: Callable[[], str] = _now) -> None:
        self.store = store
        self.ehr = ehr
        self.clock = clock

    def fetch_and_import(self, pairs: Sequence[tuple[str, str]]) -> dict[Imported, int]:
        counts = dict.fromkeys(Imported, 0)
        for address, patient in pairs:
            try:
                outcomes = self.ehr.laboratory_outcomes(patient, at=address)
            except (ConsumerError, ValueError) as e:
                log.warning("GetLaboratoryOrderOutcome at %s failed: %s", address, type(e).__name__)
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
            return self._answer(start_response, "404 Not Found", b"not found", "text/plain")
        if environ["REQUEST_METHOD"] == "GET":
            return self._document(environ, start_response)
        if environ["REQUEST_METHOD"] != "POST":
            return self._answer(start_response, "405 Method Not Allowed", b"POST or GET", "text/plain")
        log_id = str(uuid.uuid4())
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if not 0 < length <= MAX_BODY:
            return self._fault(start_response, "the request needs a Content-Length of at most 4 MiB", log_id)
        try:
            address, body = open_request(environ["wsgi.input"].read(length), PROCESS_NOTIFICATION)
        except Fault as f:
            log.info("ProcessNotification refused (logId %s): %s", log_id, f)
            return self._fault(start_response, str(f), log_id)
        if address != self.config.hsa_id:
            log.info("ProcessNotification to another logical address refused (logId %s)", log_id)
            return self._answer(start_response, "200 OK", notification_response(
                "ERROR", "the LogicalAddress is not this journal system's own"))
        pairs = wanted(body, self.config.organisation)
        log.info("ProcessNotification received (logId %s): %d patient sources to fetch", log_id, len(pairs))
        if pairs:
            thread = threading.Thread(target=self.journal.fetch_and_import, args=(pairs,), daemon=True, name="ehr-import")
            thread.start()
            self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        return self._answer(start_response, "200 OK", notification_response("OK"))

    def _document(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        base = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST') or environ.get('SERVER_NAME')}{PATH}"
        if "wsdl" in query:
            name = PROCESS_NOTIFICATION.wsdl_path.name
        elif query.get("xsd", [""])[0] in documents(PROCESS_NOTIFICATION):
            name = query["xsd"][0]
        else:
            return self._answer(start_response, "404 Not Found", b"not found", "text/plain")
        return self._answer(start_response, "200 OK", served_document(PROCESS_NOTIFICATION, name, base))

    @staticmethod
    def _answer(start_response: Callable[..., Any], status: str, body: bytes,
                content_type: str = "text/xml; charset=utf-8") -> list[bytes]:
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    def _fault(self, start_response: Callable[..., Any], message: str, log_id: str) -> list[bytes]:
        return self._answer(start_response, "500 Internal Server Error", fault_document(message, log_id))


def create_app(config: JournalConfig | None = None, store: JournalStore | None = None) -> JournalApp:
    config = config or JournalConfig()
    store = store or JournalStore(config.database_url)
    store.create()
    ehr = EhrSystem(config.connection(), config.care_giver, config.care_unit)
    return JournalApp(Journal(store, ehr), config)
