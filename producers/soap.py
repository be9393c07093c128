"""SOAP 1.1 envelopes of RIV-TA Basic Profile 2.1 requests and responses.

Opening a request, in this order (each refusal a SOAP fault that says what was wrong,
never what the message held):
- the bytes are parsed without DTDs (a DOCTYPE is refused, nothing is expanded or
  fetched) with bounded depth and element count (``contracts.xml``);
- the root is a SOAP 1.1 Envelope (a SOAP 1.2 one gets VersionMismatch) holding an
  optional Header first and then exactly one Body, nothing else (WS-I BP R1011);
- the Body holds exactly one element: the interaction's request;
- a header entry with ``mustUnderstand`` true other than ``LogicalAddress`` gets a
  MustUnderstand fault; exactly one ``LogicalAddress`` is required;
- the LogicalAddress and the request validate against the contract XSD.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from contracts.interactions import Interaction
from contracts.ns import REGISTRY_NS, SOAP11_ENV_NS, SOAP12_ENV_NS
from contracts.schema import schema_for
from contracts.xml import UnsafeMessage, parse_message

from .faults import CLIENT, MUST_UNDERSTAND, VERSION_MISMATCH, SoapFault

ENVELOPE = f"{{{SOAP11_ENV_NS}}}Envelope"
HEADER = f"{{{SOAP11_ENV_NS}}}Header"
BODY = f"{{{SOAP11_ENV_NS}}}Body"
MUST_UNDERSTAND_ATTR = f"{{{SOAP11_ENV_NS}}}mustUnderstand"
LOGICAL_ADDRESS = f"{{{REGISTRY_NS}}}LogicalAddress"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_RESPONSE_OPEN = f'{XML_DECLARATION}<soap:Envelope xmlns:soap="{SOAP11_ENV_NS}"><soap:Body>'
_RESPONSE_CLOSE = "</soap:Body></soap:Envelope>"


@dataclass(frozen=True, slots=True)
class Request:
    logical_address: str
    body: etree._Element  # the request element, valid against the contract


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _must_understand(entry: etree._Element) -> bool:
    # xs:boolean: surrounding whitespace does not count
    return (entry.get(MUST_UNDERSTAND_ATTR) or "").strip() in ("1", "true")


def _elements(parent: etree._Element) -> list[etree._Element]:
    """The element children of ``parent``; text between them must be whitespace."""
    if not _blank(parent.text) or any(not _blank(c.tail) for c in parent):
        raise SoapFault(CLIENT, f"the SOAP {etree.QName(parent).localname} holds text outside its elements")
    return [c for c in parent if isinstance(c.tag, str)]


def open_request(data: bytes, interaction: Interaction) -> Request:
    try:
        root = parse_message(data)
    except UnsafeMessage as e:
        raise SoapFault(CLIENT, str(e).replace("the message", "the request")) from None
    if root.tag == f"{{{SOAP12_ENV_NS}}}Envelope":
        raise SoapFault(VERSION_MISMATCH, "this service speaks SOAP 1.1 only")
    if root.tag != ENVELOPE:
        raise SoapFault(CLIENT, "the request is not a SOAP 1.1 Envelope")

    header = body = None
    for position, child in enumerate(_elements(root)):
        if child.tag == HEADER:
            if position != 0:
                raise SoapFault(CLIENT, "the SOAP Header must come first in the Envelope, before the Body")
            header = child
        elif child.tag == BODY:
            if body is not None:
                raise SoapFault(CLIENT, "the SOAP Envelope holds more than one Body")
            body = child
        else:
            raise SoapFault(CLIENT, "the SOAP Envelope may hold only a Header and a Body")
    if body is None:
        raise SoapFault(CLIENT, "the SOAP Envelope has no Body")
    entries = _elements(body)
    if len(entries) != 1:
        raise SoapFault(CLIENT, "the SOAP Body must hold exactly one element")
    request = entries[0]
    if request.tag != interaction.request_element:
        raise SoapFault(CLIENT, f"this endpoint answers {interaction.name} only")

    logical_address = None
    for entry in _elements(header) if header is not None else ():
        if entry.tag == LOGICAL_ADDRESS:
            if logical_address is not None:
                raise SoapFault(CLIENT, "the SOAP Header holds more than one LogicalAddress")
            logical_address = entry
        elif _must_understand(entry):
            raise SoapFault(MUST_UNDERSTAND, f"header {etree.QName(entry).localname} is not understood")
    if logical_address is None:
        raise SoapFault(CLIENT, "the LogicalAddress header is missing")
    # SOAP's own header attributes (mustUnderstand, actor) belong to the envelope, not the contract
    for name in [a for a in logical_address.attrib if str(a).startswith(f"{{{SOAP11_ENV_NS}}}")]:
        del logical_address.attrib[name]
    schema = schema_for(interaction)
    errors = schema.errors(logical_address) + schema.errors(request)
    address = (logical_address.text or "").strip()
    if errors or not address:
        raise SoapFault(
            CLIENT,
            "the request does not follow the contract: " + ("; ".join(errors[:3]) or "LogicalAddress is empty"),
        )
    return Request(address, request)


def response_envelope(body: str) -> bytes:
    """A response envelope around the response element's XML text."""
    return (_RESPONSE_OPEN + body + _RESPONSE_CLOSE).encode()
