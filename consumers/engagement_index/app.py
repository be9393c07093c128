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
from urllib.parse import parse_qs
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from lxml import etree

from contracts.interactions import FIND_CONTENT, PROCESS_NOTIFICATION, UPDATE, Interaction
from contracts.ns import REGISTRY_NS, SOAP11_ENV_NS
from contracts.schema import documents, schema_for, served_document
from contracts.xml import UnsafeMessage, parse_message

from .config import EngagementIndexConfig
from .store import FIELDS, KEY, MAX_LENGTH, Engagement, EngagementStore, Transaction

log = logging.getLogger("eph.engagement_index")

CORE = "urn:riv:itintegration:engagementindex:1"
MAX_TRANSACTIONS = 1000
MAX_BODY = 4 * 1024 * 1024
SWEDEN = ZoneInfo("Europe/Stockholm")
ENDPOINTS: dict[str, Interaction] = {"/ei" + i.path: i for i in (UPDATE, FIND_CONTENT)}


class Fault(Exception):
    """A request refused with a SOAP fault ``Client``; the message names no value."""


class RuleBroken(Exception):
    """An Update that breaks one of the index's rules: answered ResultCode ERROR."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")


def _now() -> str:
    return datetime.now(SWEDEN).strftime("%Y%m%d%H%M%S")


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def open_request(data: bytes, interaction: Interaction) -> tuple[str, etree._Element]:
    """The LogicalAddress and the request element, both valid against the contract."""
    try:
        root = parse_message(data)
    except UnsafeMessage as e:
        raise Fault(str(e)) from None
    if root.tag != _q(SOAP11_ENV_NS, "Envelope"):
        raise Fault("the request is not a SOAP 1.1 Envelope")
    body = root.find(_q(SOAP11_ENV_NS, "Body"))
    header = root.find(_q(SOAP11_ENV_NS, "Header"))
    entries = [c for c in body if isinstance(c.tag, str)] if body is not None else []
    if len(entries) != 1 or entries[0].tag != interaction.request_element:
        raise Fault(f"the SOAP Body must hold exactly one {interaction.name} element")
    addresses = header.findall(_q(REGISTRY_NS, "LogicalAddress")) if header is not None else []
    if len(addresses) != 1:
        raise Fault("the SOAP Header must hold exactly one LogicalAddress")
    for entry in header if header is not None else ():
        understood = entry.tag == _q(REGISTRY_NS, "LogicalAddress")
        if not understood and (entry.get(_q(SOAP11_ENV_NS, "mustUnderstand")) or "").strip() in ("1", "true"):
            raise Fault("a header that must be understood is not")
    address = addresses[0]
    for name in [a for a in address.attrib if str(a).startswith(f"{{{SOAP11_ENV_NS}}}")]:
        del address.attrib[name]
    schema = schema_for(interaction)
    errors = schema.errors(address) + schema.errors(entries[0])
    if errors:
        raise Fault("the request does not follow the contract: " + "; ".join(errors[:3]))
    return (address.text or "").strip(), entries[0]


def _values(element: etree._Element, ns: str) -> dict[str, str]:
    """The element's children of namespace ``ns`` by local name (others, ##other, are ignored)."""
    return {etree.QName(c).localname: c.text or "" for c in element if isinstance(c.tag, str) and etree.QName(c).namespace == ns}


def read_update(body: etree._Element, owner: str) -> list[Transaction]:
    """The Update's transactions under the national rules, the owner set to the index (R6)."""
    transactions = body.findall(_q(UPDATE.responder_ns, "engagementTransaction"))
    if len(transactions) > MAX_TRANSACTIONS:
        raise RuleBroken("EI000", f"at most {MAX_TRANSACTIONS} engagements in one request")
    read: list[Transaction] = []
    seen: dict[str, int] = {}
    for position, t in enumerate(transactions, 1):
        element = t.find(_q(CORE, "engagement"))
        values = _values(element, CORE) if element is not None else {}
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
        delete = (t.findtext(_q(CORE, "deleteFlag")) or "").strip() in ("true", "1")
        read.append(Transaction(delete, engagement))
    return read


def _engagement_xml(parent: etree._Element, tag: str, e: Engagement) -> None:
    node = etree.SubElement(parent, tag)
    for name, value in e.as_contract().items():
        etree.SubElement(node, _q(CORE, name)).text = value


def _envelope(response: etree._Element) -> bytes:
    envelope = etree.Element(_q(SOAP11_ENV_NS, "Envelope"), nsmap={"soap": SOAP11_ENV_NS})
    etree.SubElement(envelope, _q(SOAP11_ENV_NS, "Body")).append(response)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def update_response(code: str, comment: str | None = None) -> bytes:
    response = etree.Element(_q(UPDATE.responder_ns, "UpdateResponse"), nsmap={"r": UPDATE.responder_ns})
    etree.SubElement(response, _q(UPDATE.responder_ns, "ResultCode")).text = code
    if comment:
        etree.SubElement(response, _q(UPDATE.responder_ns, "comment")).text = comment
    return _envelope(response)


def find_content_response(found: Sequence[Engagement]) -> bytes:
    ns = FIND_CONTENT.responder_ns
    response = etree.Element(_q(ns, "FindContentResponse"), nsmap={"r": ns, "core": CORE})
    for e in found:
        _engagement_xml(response, _q(ns, "engagement"), e)
    return _envelope(response)


def fault_document(message: str, log_id: str, code: str = "Client") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP11_ENV_NS}"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{code}</faultcode><faultstring>{escape(message)} (logId {log_id})</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


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
            return self._answer(start_response, "404 Not Found", b"not found", "text/plain")
        if environ["REQUEST_METHOD"] == "GET":
            return self._document(environ, start_response, interaction)
        if environ["REQUEST_METHOD"] != "POST":
            return self._answer(start_response, "405 Method Not Allowed", b"POST or GET", "text/plain")
        log_id = str(uuid.uuid4())
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if not 0 < length <= MAX_BODY:
            return self._fault(start_response, "the request needs a Content-Length of at most 4 MiB", log_id)
        data = environ["wsgi.input"].read(length)
        try:
            address, body = open_request(data, interaction)
            if address != self.config.hsa_id:
                raise RuleBroken("EI003", "the LogicalAddress is not the engagement index's own")
            if interaction is UPDATE:
                answer = self._update(body, log_id)
            else:
                answer = self._find(body, log_id)
        except Fault as f:
            log.info("%s refused (logId %s): %s", interaction.name, log_id, f)
            return self._fault(start_response, str(f), log_id)
        except RuleBroken as r:
            log.info("%s refused (logId %s): %s", interaction.name, log_id, r)
            if interaction is UPDATE:
                return self._answer(start_response, "200 OK", update_response("ERROR", str(r)))
            return self._fault(start_response, str(r), log_id)
        except Exception as e:  # noqa: BLE001  # the index's own trouble: a Server fault, the cause in the log
            log.error("%s failed (logId %s): %s", interaction.name, log_id, type(e).__name__)
            return self._fault(start_response, "internal error", log_id, code="Server")
        return self._answer(start_response, "200 OK", answer)

    def _update(self, body: etree._Element, log_id: str) -> bytes:
        changes = self.store.apply(read_update(body, self.config.hsa_id), self.clock())
        log.info("Update stored %d engagements (logId %s)", len(changes), log_id)
        self.notifier.notify(changes)
        return update_response("OK")

    def _find(self, body: etree._Element, log_id: str) -> bytes:
        values = _values(body, FIND_CONTENT.responder_ns)
        filters = {name: values.get(name) for name, _ in FIELDS
                   if name not in ("registeredResidentIdentification", "serviceDomain", "creationTime", "updateTime")}
        found = self.store.find(values["registeredResidentIdentification"], values["serviceDomain"], **filters)
        log.info("FindContent found %d engagements (logId %s)", len(found), log_id)
        return find_content_response(found)

    def _document(self, environ: dict[str, Any], start_response: Callable[..., Any], interaction: Interaction) -> Iterable[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        scheme = environ.get("wsgi.url_scheme", "http")
        base = f"{scheme}://{environ.get('HTTP_HOST') or environ.get('SERVER_NAME')}{environ.get('PATH_INFO', '')}"
        if "wsdl" in query:
            name = interaction.wsdl_path.name
        elif query.get("xsd", [""])[0] in documents(interaction):
            name = query["xsd"][0]
        else:
            return self._answer(start_response, "404 Not Found", b"not found", "text/plain")
        return self._answer(start_response, "200 OK", served_document(interaction, name, base))

    @staticmethod
    def _answer(start_response: Callable[..., Any], status: str, body: bytes,
                content_type: str = "text/xml; charset=utf-8") -> list[bytes]:
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    def _fault(self, start_response: Callable[..., Any], message: str, log_id: str, code: str = "Client") -> list[bytes]:
        return self._answer(start_response, "500 Internal Server Error", fault_document(message, log_id, code))


def create_app(config: EngagementIndexConfig | None = None, store: EngagementStore | None = None) -> EngagementIndexApp:
    config = config or EngagementIndexConfig()
    store = store or EngagementStore(config.database_url)
    store.create()
    return EngagementIndexApp(store, config)
