"""Reading just enough of a SOAP request to route it, and rewriting its receiver header
between RIV-TA Basic Profile 2.1 (LogicalAddress) and 2.0 (WS-Addressing To).

The router never builds a tree of the whole message: a pull parser is fed the bytes in
chunks and stopped at the first element inside the SOAP Body, whose namespace names the
service contract. What came before it (the Header) gives the receiver: a header entry with
the local name ``LogicalAddress`` (RIVTABP21) or ``To`` (RIVTABP20), in whatever namespace,
as the national platform reads it (the registry contracts v2 put LogicalAddress in
``urn:riv:infrastructure:itintegration:registry:2``). DTDs are refused and nothing is
resolved or fetched. A message that is not well-formed is refused with the parser's own
account of what it found where, in the form the national platform gives it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from lxml import etree

from contracts.ns import REGISTRY_NS, SOAP11_ENV_NS, SOAP12_ENV_NS, WSA_NS

SOAP11_ENV = SOAP11_ENV_NS
SOAP12_ENV = SOAP12_ENV_NS
LOGICAL_ADDRESS = f"{{{REGISTRY_NS}}}LogicalAddress"
WSA_TO = f"{{{WSA_NS}}}To"
RIVTABP20 = "RIVTABP20"
RIVTABP21 = "RIVTABP21"
CHUNK = 2048
_ENVELOPES = (f"{{{SOAP11_ENV}}}Envelope", f"{{{SOAP12_ENV}}}Envelope")


class Unreadable(ValueError):
    """The request is not a SOAP message the router can read (VP015)."""


@dataclass(frozen=True, slots=True)
class RoutingInfo:
    contract: str  # namespace of the first element in the Body
    logical_address: str | None  # the BP 2.1 LogicalAddress header
    wsa_to: str | None  # the BP 2.0 WS-Addressing To header
    soap_version: str  # "1.1" or "1.2"

    @property
    def receiver(self) -> str | None:
        return self.logical_address if self.logical_address is not None else self.wsa_to

    @property
    def profile(self) -> str | None:
        if self.logical_address is not None:
            return RIVTABP21
        if self.wsa_to is not None:
            return RIVTABP20
        return None


def _prolog_has_doctype(data: bytes) -> bool:
    """Whether a DOCTYPE comes before the first element of ``data`` (which holds the prolog)."""
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            data = data[2:].decode(codec, errors="ignore").encode("utf-8")
            break
    i = data.find(b"<")
    while i != -1:
        if data.startswith(b"<?", i):
            i = data.find(b"<", data.find(b"?>", i) + 2)
        elif data.startswith(b"<!--", i):
            i = data.find(b"<", data.find(b"-->", i) + 3)
        elif data.startswith(b"<!", i):
            return True  # <!DOCTYPE (nothing else starting with <! may come before the root)
        else:
            return False
    return False


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def syntax_problem(body: bytes, error: etree.XMLSyntaxError) -> str:
    """What the parser found wrong and where, worded as the national platform's (StAX) parser words
    the kinds of error both parsers name alike; otherwise the parser's own words."""
    line, column = error.position
    message = re.sub(r", line \d+, column \d+$", "", error.msg or "not well-formed")
    if getattr(error, "code", None) == 41:  # an attribute without '=' and a value
        lines = body.split(b"\n")
        text = lines[line - 1].decode("utf-8", errors="replace") if 0 < line <= len(lines) else ""
        if 0 < column <= len(text):
            found = text[column - 1]
            message = f"Unexpected character '{found}' (code {ord(found)}) expected '='"
    return f"{message}\n at [row,col {{unknown-source}}]: [{line},{column}]"


def _events(body: bytes) -> Iterator[tuple[int, str, etree._Element]]:
    """(bytes fed so far, event, element), feeding the parser a chunk at a time."""
    parser = etree.XMLPullParser(
        events=("start", "end"), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    fed = 0
    while fed < len(body):
        parser.feed(body[fed : fed + CHUNK])
        fed += CHUNK
        for event, element in parser.read_events():
            yield fed, event, cast(etree._Element, element)
    parser.close()
    for event, element in parser.read_events():
        yield fed, event, cast(etree._Element, element)


def read_routing_info(body: bytes) -> RoutingInfo:
    """Contract namespace and receiver of a request; reads no further than the Body's first element."""
    depth = 0
    envelope_ns = None
    in_header = in_body = False
    logical_address = wsa_to = None
    try:
        for fed, event, element in _events(body):
            tag = element.tag
            if event == "start":
                depth += 1
                if depth == 1:
                    if _prolog_has_doctype(body[:fed]):  # the prolog lies within what was fed so far
                        raise Unreadable("a DOCTYPE is not allowed in a SOAP message")
                    if tag not in _ENVELOPES:
                        raise Unreadable("the message is not a SOAP Envelope")
                    envelope_ns = tag[1 : tag.index("}")]
                elif depth == 2:
                    in_header = tag == f"{{{envelope_ns}}}Header"
                    in_body = tag == f"{{{envelope_ns}}}Body"
                elif depth == 3 and in_body:
                    if not isinstance(tag, str) or not tag.startswith("{"):
                        raise Unreadable("the first element of the Body has no namespace")
                    return RoutingInfo(
                        tag[1 : tag.index("}")], logical_address, wsa_to, "1.1" if envelope_ns == SOAP11_ENV else "1.2"
                    )
            else:
                if depth == 3 and in_header:
                    if _local(tag) == "LogicalAddress":
                        logical_address = (element.text or "").strip()
                    elif _local(tag) == "To":
                        wsa_to = (element.text or "").strip()
                depth -= 1
    except etree.XMLSyntaxError as e:
        raise Unreadable(syntax_problem(body, e)) from None
    raise Unreadable("the SOAP Body holds no element")


def _header_of(root: etree._Element) -> etree._Element:
    ns = etree.QName(root).namespace
    header = root.find(f"{{{ns}}}Header")
    if header is None:
        header = etree.Element(f"{{{ns}}}Header")
        root.insert(0, header)
    return header


def rewrite_receiver(body: bytes, to_profile: str) -> bytes:
    """Move the receiver to the header the producer's profile expects (the rare path: a full parse)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as e:
        raise Unreadable(syntax_problem(body, e)) from None
    header = _header_of(root)
    if to_profile == RIVTABP21:
        old = [h for h in header if _local(h.tag) == "To"]
        if not old:
            return body
        receiver = old[0].text
        for h in old:
            header.remove(h)
        new = etree.SubElement(header, LOGICAL_ADDRESS, nsmap={"itr": REGISTRY_NS})
    else:
        old = [h for h in header if _local(h.tag) == "LogicalAddress"]
        if not old:
            return body
        receiver = old[0].text
        for h in old:
            header.remove(h)
        new = etree.SubElement(header, WSA_TO, nsmap={"wsa": WSA_NS})
    new.text = receiver
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
