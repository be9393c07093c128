"""What the stand-ins that produce a national contract share as SOAP endpoints (WSGI): opening
a request as the service opens its own, the answer, a fault, and the contract's documents as
released. The engagement index and the journal system's subscriber use it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from lxml import etree

from contracts.interactions import Interaction
from contracts.ns import REGISTRY_NS, SOAP11_ENV_NS
from contracts.schema import documents, schema_for, served_document
from contracts.xml import UnsafeMessage, parse_message

MAX_BODY = 4 * 1024 * 1024
XML = "text/xml; charset=utf-8"


class Fault(Exception):
    """A request refused with a SOAP fault ``Client``; the message names no value."""


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def request_body(environ: dict[str, Any]) -> bytes:
    """The request's body, at most MAX_BODY bytes as its Content-Length says; Fault otherwise."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if not 0 < length <= MAX_BODY:
        raise Fault("the request needs a Content-Length of at most 4 MiB")
    return bytes(environ["wsgi.input"].read(length))


def open_request(data: bytes, interaction: Interaction) -> tuple[str, etree._Element]:
    """The LogicalAddress and the request element, both valid against the contract."""
    try:
        root = parse_message(data)
    except UnsafeMessage as e:
        raise Fault(str(e)) from None
    if root.tag != q(SOAP11_ENV_NS, "Envelope"):
        raise Fault("the request is not a SOAP 1.1 Envelope")
    body = root.find(q(SOAP11_ENV_NS, "Body"))
    header = root.find(q(SOAP11_ENV_NS, "Header"))
    entries = [c for c in body if isinstance(c.tag, str)] if body is not None else []
    if len(entries) != 1 or entries[0].tag != interaction.request_element:
        raise Fault(f"the SOAP Body must hold exactly one {interaction.name} element")
    addresses = header.findall(q(REGISTRY_NS, "LogicalAddress")) if header is not None else []
    if len(addresses) != 1:
        raise Fault("the SOAP Header must hold exactly one LogicalAddress")
    for entry in header if header is not None else ():
        understood = entry.tag == q(REGISTRY_NS, "LogicalAddress")
        if not understood and (entry.get(q(SOAP11_ENV_NS, "mustUnderstand")) or "").strip() in ("1", "true"):
            raise Fault("a header that must be understood is not")
    address = addresses[0]
    for name in [a for a in address.attrib if str(a).startswith(f"{{{SOAP11_ENV_NS}}}")]:
        del address.attrib[name]
    schema = schema_for(interaction)
    errors = schema.errors(address) + schema.errors(entries[0])
    if errors:
        raise Fault("the request does not follow the contract: " + "; ".join(errors[:3]))
    return (address.text or "").strip(), entries[0]


def child_values(element: etree._Element, ns: str) -> dict[str, str]:
    """The element's children of namespace ``ns`` by local name (others, ##other, are ignored)."""
    return {etree.QName(c).localname: c.text or "" for c in element if isinstance(c.tag, str) and etree.QName(c).namespace == ns}


def envelope(response: etree._Element) -> bytes:
    env = etree.Element(q(SOAP11_ENV_NS, "Envelope"), nsmap={"soap": SOAP11_ENV_NS})
    etree.SubElement(env, q(SOAP11_ENV_NS, "Body")).append(response)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def fault_document(message: str, log_id: str, code: str = "Client") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP11_ENV_NS}"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{code}</faultcode><faultstring>{escape(message)} (logId {log_id})</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def answer(start_response: Callable[..., Any], status: str, body: bytes, content_type: str = XML) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def fault(start_response: Callable[..., Any], message: str, log_id: str, code: str = "Client") -> list[bytes]:
    return answer(start_response, "500 Internal Server Error", fault_document(message, log_id, code))


def not_found(start_response: Callable[..., Any]) -> list[bytes]:
    return answer(start_response, "404 Not Found", b"not found", "text/plain")


def not_allowed(start_response: Callable[..., Any]) -> list[bytes]:
    return answer(start_response, "405 Method Not Allowed", b"POST or GET", "text/plain")


def document(environ: dict[str, Any], start_response: Callable[..., Any], interaction: Interaction) -> list[bytes]:
    """``?wsdl`` or ``?xsd=<file>`` of the contract, as released, its addresses this endpoint's."""
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    scheme = environ.get("wsgi.url_scheme", "http")
    base = f"{scheme}://{environ.get('HTTP_HOST') or environ.get('SERVER_NAME')}{environ.get('PATH_INFO', '')}"
    if "wsdl" in query:
        name = interaction.wsdl_path.name
    elif query.get("xsd", [""])[0] in documents(interaction):
        name = query["xsd"][0]
    else:
        return not_found(start_response)
    return answer(start_response, "200 OK", served_document(interaction, name, base))
