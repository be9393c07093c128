"""The engagement index's SOAP endpoints (a WSGI application).

``POST /ei/itintegration/engagementindex/Update/1/rivtabp21`` and ``…/FindContent/1/rivtabp21``,
the contracts' WSDL and schemas at ``?wsdl`` and ``?xsd=<file>``, as released. A request is
opened as the service opens its own: a SOAP 1.1 envelope without DTD, one request element, one
``LogicalAddress``, header and body valid against the national XSD (elements of other namespaces
are accepted where the contract allows them); anything else is a SOAP fault ``Client``. Update
then keeps the national index's rules, answering ``ResultCode`` ERROR with the rule's code in
``comment`` when one is broken and nothing is stored. No answer or log line carries a value of
the request (a personnummer is the first field of every engagement).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from contracts.interactions import FIND_CONTENT, PROCESS_NOTIFICATION, UPDATE, Interaction

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
from .config import EngagementIndexConfig
from .store import FIELDS, KEY, MAX_LENGTH, Engagement, EngagementStore, Transaction

log = logging.getLogger("eph.engagement_index")

CORE = "urn:riv:itintegration:engagementindex:1"
MAX_TRANSACTIONS = 1000
SWEDEN = ZoneInfo("Europe/Stockholm")
ENDPOINTS: dict[str, Interaction] = {"/ei" + i.path: i for i in (UPDATE, FIND_CONTENT)}


class RuleBroken(Exception):
    """An Update that breaks one of the index's rules: answered ResultCode ERROR."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")


def _now() -> str:
    return datetime.now(SWEDEN).strftime("%Y%m%d%H%M%S")


def read_update(body: etree._Element, owner: str) -> list[Transaction]:
    """The Update's transactions under the national rules, the owner set to the index (R6)."""
    transactions = body.findall(q(UPDATE.responder_ns, "engagementTransaction"))
    if len(transactions) > MAX_TRANSACTIONS:
        raise RuleBroken("EI000", f"at most {MAX_TRANSACTIONS} engagements in one request")
    read: list[Transaction] = []
    seen: dict[str, int] = {}
    for position, t in enumerate(transactions, 1):
        element = t.find(q(CORE, "engagement"))
        values = child_values(element, CORE) if element is not None else {}
        for name in KEY:
            if name == "owner":
                continue
            value = values.get(name, "")
            if not value:
                raise RuleBroken("EI004", f"engagement {position}: the required field {name} is empty")
            if value != value.strip():
                raise RuleBroken("EI004", f"engagement {position}: the field {name} begins or ends with white space")
        for name, limit in MAX_LENGTH.items():
            if len(values.get(name, "")) > limit:
                raise RuleBroken("EI004", f"engagement {position}: the field {name} is longer than {limit}")
        values["owner"] = owner
        engagement = Engagement.from_contract({k: v for k, v in values.items() if v or k in KEY})
        other = seen.setdefault(engagement.key, position)
        if other != position:
            raise RuleBroken("EI002", f"engagements {other} and {position} are the same engagement")
        delete = (t.findtext(q(CORE, "deleteFlag")) or "").strip() in ("true", "1")
        read.append(Transaction(delete, engagement))
    return read


def _engagement_xml(parent: etree._Element, tag: str, e: Engagement) -> None:
    node = etree.SubElement(parent, tag)
    for name, value in e.as_contract().items():
        etree.SubElement(node, q(CORE, name)).text = value


def update_response(code: str, comment: str | None = None) -> bytes:
    response = etree.Element(q(UPDATE.responder_ns, "UpdateResponse"), nsmap={"r": UPDATE.responder_ns})
    etree.SubElement(response, q(UPDATE.responder_ns, "ResultCode")).text = code
    if comment:
        etree.SubElement(response, q(UPDATE.responder_ns, "comment")).text = comment
    return envelope(response)


def find_content_response(found: Sequence[Engagement]) -> bytes:
    ns = FIND_CONTENT.responder_ns
    response = etree.Element(q(ns, "FindContentResponse"), nsmap={"r": ns, "core": CORE})
    for e in found:
        _engagement_xml(response, q(ns, "engagement"), e)
    return envelope(response)


class Notifier:
    """ProcessNotification of every stored change to each subscriber, through the platform, as
    the index (a consumer there). Sent in the background after the Update is stored; a
    subscriber that cannot be reached is logged and not retried (a stand-in: the national
    index queues and retries)."""

    def __init__(self, config: EngagementIndexConfig) -> None:
        self.subscribers = config.subscribers
        self.connection = config.connection() if config.subscribers else None

    def notify(self, changes: Sequence[Transaction]) -> threading.Thread | None:
        if not changes or self.connection is None:
            return None
        thread = threading.Thread(target=self._send, args=(list(changes),), daemon=True, name="ei-notify")
        thread.start()
        return thread

    def _send(self, changes: list[Transaction]) -> None:
        assert self.connection is not None
        service = self.connection.service(PROCESS_NOTIFICATION)
        request = [{"deleteFlag": t.delete, "engagement": t.engagement.as_contract()} for t in changes]
        for subscriber in self.subscribers:
            try:
                answer = service.ProcessNotification(_soapheaders={"LogicalAddress": subscriber}, engagementTransaction=request)
                log.info("ProcessNotification of %d engagements to %s: %s", len(request), subscriber, answer.ResultCode)
            except Exception as e:  # noqa: BLE001  # one subscriber's trouble must not stop the others
                log.warning("ProcessNotification to %s failed: %s", subscriber, type(e).__name__)


class EngagementIndexApp:
    """The WSGI application."""

    def __init__(self, store: EngagementStore, config: EngagementIndexConfig, clock: Callable[[], str] = _now) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.notifier = Notifier(config)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        interaction = ENDPOINTS.get(path)
        if interaction is None:
            return not_found(start_response)
        if environ["REQUEST_METHOD"] == "GET":
            return document(environ, start_response, interaction)
        if environ["REQUEST_METHOD"] != "POST":
            return not_allowed(start_response)
        log_id = str(uuid.uuid4())
        try:
            address, body = open_request(request_body(environ), interaction)
            if address != self.config.hsa_id:
                raise RuleBroken("EI003", "the LogicalAddress is not the engagement index's own")
            if interaction is UPDATE:
                result = self._update(body, log_id)
            else:
                result = self._find(body, log_id)
        except Fault as f:
            log.info("%s refused (logId %s): %s", interaction.name, log_id, f)
            return fault(start_response, str(f), log_id)
        except RuleBroken as r:
            log.info("%s refused (logId %s): %s", interaction.name, log_id, r)
            if interaction is UPDATE:
                return answer(start_response, "200 OK", update_response("ERROR", str(r)))
            return fault(start_response, str(r), log_id)
        except Exception as e:  # noqa: BLE001  # the index's own trouble: a Server fault, the cause in the log
            log.error("%s failed (logId %s): %s", interaction.name, log_id, type(e).__name__)
            return fault(start_response, "internal error", log_id, code="Server")
        return answer(start_response, "200 OK", result)

    def _update(self, body: etree._Element, log_id: str) -> bytes:
        changes = self.store.apply(read_update(body, self.config.hsa_id), self.clock())
        log.info("Update stored %d engagements (logId %s)", len(changes), log_id)
        self.notifier.notify(changes)
        return update_response("OK")

    def _find(self, body: etree._Element, log_id: str) -> bytes:
        values = child_values(body, FIND_CONTENT.responder_ns)
        filters = {name: values.get(name) for name, _ in FIELDS
                   if name not in ("registeredResidentIdentification", "serviceDomain", "creationTime", "updateTime")}
        found = self.store.find(values["registeredResidentIdentification"], values["serviceDomain"], **filters)
        log.info("FindContent found %d engagements (logId %s)", len(found), log_id)
        return find_content_response(found)


def create_app(config: EngagementIndexConfig | None = None, store: EngagementStore | None = None) -> EngagementIndexApp:
    """The application on a database already made (`eph serve` makes it once, before the workers)."""
    config = config or EngagementIndexConfig()
    store = store or EngagementStore(config.database_url)
    return EngagementIndexApp(store, config)
