"""SOAP 1.1 for RIV-TA producers: spyne's Soap11, hardened and bound to the contract XSD.

- The request is parsed without DTDs: a DOCTYPE (hence any entity declaration) is
  refused, nothing is expanded or fetched; nesting depth and element count are bounded.
- The body must be the interaction's request element and, with each header entry we
  understand (LogicalAddress), must validate against the contract XSD; a header with
  mustUnderstand="1" that we do not understand gets a MustUnderstand fault.
- When reading, elements outside the namespace of the type being read (the
  ``##other`` extension elements the contract admits) are ignored, so an extension
  element cannot pose as a contract element of the same local name.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from spyne.protocol.soap import Soap11

from contracts.interactions import CORE_NS, REGISTRY_NS, SOAP11_ENV_NS, Interaction
from contracts.schema import schema_for
from contracts.xml import UnsafeMessage, parse_message

from .faults import fault

SOAP12_ENV_NS = "http://www.w3.org/2003/05/soap-envelope"
LOGICAL_ADDRESS = f"{{{REGISTRY_NS}}}LogicalAddress"
MUST_UNDERSTAND = f"{{{SOAP11_ENV_NS}}}mustUnderstand"


def log_id_of(ctx: Any) -> str:
    return str(ctx.transport.req_env.get("eph.log_id", "-"))


def parse_request(data: bytes, log_id: str) -> etree._Element:
    """Parse a request envelope safely, or raise a Client fault."""
    try:
        root = parse_message(data)
    except UnsafeMessage as e:
        raise fault("Client", str(e).replace("the message", "the request"), log_id) from None
    if root.tag == f"{{{SOAP12_ENV_NS}}}Envelope":
        raise fault("VersionMismatch", "this service speaks SOAP 1.1 only", log_id)
    return root


class RivTaSoap11(Soap11):
    def __init__(self, interaction: Interaction) -> None:
        super().__init__(validator=None, cleanup_namespaces=True)
        self.interaction = interaction
        self.schema = schema_for(interaction)

    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        ctx.in_document = (parse_request(b"".join(ctx.in_string), log_id_of(ctx)), {})

    def decompose_incoming_envelope(self, ctx: Any, message: Any = Soap11.REQUEST) -> None:
        super().decompose_incoming_envelope(ctx, message)
        log_id = log_id_of(ctx)
        body = ctx.in_body_doc
        if body is None or len(body.getparent()) != 1:
            raise fault("Client", "the SOAP Body must hold exactly one element", log_id)
        if body.tag != self.interaction.request_element:
            raise fault("Client", f"this endpoint answers {self.interaction.name} only", log_id)
        logical_address = None
        for entry in ctx.in_header_doc or ():
            if not isinstance(entry.tag, str):
                continue
            if entry.tag == LOGICAL_ADDRESS:
                logical_address = entry
            elif entry.get(MUST_UNDERSTAND) in ("1", "true"):
                raise fault("MustUnderstand", f"header {etree.QName(entry).localname} is not understood", log_id)
        if logical_address is None:
            raise fault("Client", "the LogicalAddress header is missing", log_id)
        # SOAP's own header attributes (mustUnderstand, actor) belong to the envelope, not the contract
        for name in [a for a in logical_address.attrib if a.startswith(f"{{{SOAP11_ENV_NS}}}")]:
            del logical_address.attrib[name]
        errors = self.schema.errors(logical_address) + self.schema.errors(body)
        if errors or not (logical_address.text or "").strip():
            raise fault("Client", "the request does not follow the contract: " + ("; ".join(errors[:3]) or "LogicalAddress is empty"), log_id)
        ctx.transport.req_env["eph.logical_address"] = logical_address.text.strip()

    def complex_from_element(self, ctx: Any, cls: Any, elt: etree._Element) -> Any:
        prefix = "{" + cls.get_namespace() + "}"
        for child in list(elt):
            if not isinstance(child.tag, str) or not child.tag.startswith(prefix):
                elt.remove(child)
        return super().complex_from_element(ctx, cls, elt)


class RivTaSoap11Out(Soap11):
    """Soap11 for responses, with every namespace declared once on the Envelope."""

    def __init__(self, interaction: Interaction) -> None:
        super().__init__(cleanup_namespaces=False)
        self._top_nsmap = {"soap": SOAP11_ENV_NS, "tns": interaction.responder_ns}
        if interaction.domain != "itintegration:monitoring":
            self._top_nsmap["core"] = CORE_NS

    def serialize(self, ctx: Any, message: Any) -> None:
        super().serialize(ctx, message)
        etree.cleanup_namespaces(ctx.out_document, top_nsmap=self._top_nsmap)
