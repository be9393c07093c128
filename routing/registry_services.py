"""The platform's own SOAP services: the national registry look-ups over the catalogue
in force, and the contract documents of the routed contracts.

- GetLogicalAddresseesByServiceContract v2: which logical addresses may this consumer
  call with this contract (authorizations valid now, with their filters);
- GetSupportedServiceContracts v2: which contracts does this logical address have a
  routing for now (optionally only those a given consumer may call there).

They answer at ``/registry/infrastructure/itintegration/registry/<X>/2/rivtabp21``. The caller
is identified as for routing (certificate, or an allow-listed plain-HTTP caller) but needs
no authorization row. Requests are validated against the contract XSD; their LogicalAddress
header is in the namespace of the national contracts v2
(``urn:riv:infrastructure:itintegration:registry:2``), and is read by its local name in any
namespace, as the router reads it. The contract documents served name the platform's
configured public address (never the request's Host header).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web
from lxml import etree

from contracts.interactions import (
    ENGAGEMENTINDEX_INTERACTIONS,
    GET_LOGICAL_ADDRESSEES,
    GET_SUPPORTED_CONTRACTS,
    NATIONAL_INTERACTIONS,
    REGISTRY_INTERACTIONS,
    RELEASE,
    Interaction,
)
from contracts.ns import REGISTRY_V2_NS, SOAP11_ENV_NS
from contracts.schema import documents, schema_for, served_document
from contracts.xml import UnsafeMessage, parse_message

from .faults import VpError, fault_envelope, vp_fault
from .lookup import RoutingTable
from .router import Router

REGISTRY_PREFIX = "/registry"


def _xml(response_body: etree._Element) -> bytes:
    env = etree.Element(f"{{{SOAP11_ENV_NS}}}Envelope", nsmap={"soap": SOAP11_ENV_NS})
    etree.SubElement(env, f"{{{SOAP11_ENV_NS}}}Body").append(response_body)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def _soap(body: bytes, status: int = 200) -> web.Response:
    return web.Response(status=status, body=body, content_type="text/xml", charset="utf-8")


class ClientFault(ValueError):
    pass


def _read(interaction: Interaction, data: bytes) -> etree._Element:
    try:
        root = parse_message(data)
    except UnsafeMessage as e:
        raise ClientFault(str(e)) from None
    body = root.find(f"{{{SOAP11_ENV_NS}}}Body")
    if root.tag != f"{{{SOAP11_ENV_NS}}}Envelope" or body is None or len(body) != 1:
        raise ClientFault("the request is not a SOAP 1.1 envelope with one body element")
    request = body[0]
    if request.tag != f"{{{interaction.responder_ns}}}{interaction.name}":
        raise ClientFault(f"this endpoint answers {interaction.name} only")
    schema = schema_for(interaction)
    errors = schema.errors(request)
    header = root.find(f"{{{SOAP11_ENV_NS}}}Header")
    for entry in header if header is not None else ():
        if isinstance(entry.tag, str) and etree.QName(entry).localname == "LogicalAddress":
            errors += schema.errors(entry)
    if errors:
        raise ClientFault("the request does not follow the contract: " + "; ".join(errors[:3]))
    return request


def logical_addressees(table: RoutingTable, request: etree._Element, now: datetime) -> etree._Element:
    ns = GET_LOGICAL_ADDRESSEES.responder_ns
    consumer = request.findtext(f"{{{ns}}}serviceConsumerHsaId") or ""
    contract = request.findtext(f"{{{ns}}}serviceContractNameSpace/{{{REGISTRY_V2_NS}}}ServiceContractNamespace") or ""
    out = etree.Element(f"{{{ns}}}GetLogicalAddresseesByServiceContractResponse", nsmap={"r": ns})
    for grant in table.addressees(consumer.strip(), contract.strip(), now):
        record = etree.SubElement(out, f"{{{ns}}}logicalAddressRecord")
        etree.SubElement(record, f"{{{ns}}}logicalAddress").text = grant.logical_address
        for domain, categories in grant.filters:
            f = etree.SubElement(record, f"{{{ns}}}filter")
            etree.SubElement(f, f"{{{ns}}}serviceDomain").text = domain
            for category in categories:
                etree.SubElement(f, f"{{{ns}}}categorization").text = category
    return out


def supported_contracts(table: RoutingTable, request: etree._Element, now: datetime) -> etree._Element:
    ns = GET_SUPPORTED_CONTRACTS.responder_ns
    consumer = (request.findtext(f"{{{ns}}}serviceConsumerHsaId") or "").strip() or None
    address = (request.findtext(f"{{{ns}}}logicalAdress") or "").strip()
    out = etree.Element(f"{{{ns}}}GetSupportedServiceContractsResponse", nsmap={"r": ns, "core": REGISTRY_V2_NS})
    for contract in table.contracts_of(address, now, consumer):
        item = etree.SubElement(out, f"{{{ns}}}serviceContractNamespace")
        etree.SubElement(item, f"{{{REGISTRY_V2_NS}}}ServiceContractNamespace").text = contract
    return out


ANSWERS = {GET_LOGICAL_ADDRESSEES.name: logical_addressees, GET_SUPPORTED_CONTRACTS.name: supported_contracts}


def _contract_documents(interaction: Interaction, request: web.Request, public_base: str) -> web.Response:
    query = request.query_string
    if query.lower() == "wsdl":
        name = interaction.wsdl_path.name
    elif query.startswith("xsd=") and query[4:] in documents(interaction):
        name = query[4:]
    else:
        return web.Response(status=404, text="no such contract document here\n")
    base = f"{public_base}{request.path}"
    return web.Response(body=served_document(interaction, name, base), content_type="text/xml", charset="utf-8")


def add_routes(app: web.Application) -> None:
    router: Router = app["router"]

    def registry_handler(interaction: Interaction) -> Callable[[web.Request], Awaitable[web.Response]]:
        answer = ANSWERS[interaction.name]

        async def handle(request: web.Request) -> web.Response:
            try:
                router.sender_of(request)
                table = router.catalogue.table
                if table is None:
                    raise VpError("VP008", "the routing catalogue is not loaded and there is no local copy")
            except VpError as e:
                return _soap(vp_fault(e, router.config.instance_name), 500)
            try:
                parsed = _read(interaction, await request.read())
            except ClientFault as e:
                return _soap(fault_envelope("Client", str(e), f"{interaction.name}: {e}"), 500)
            return _soap(_xml(answer(table, parsed, datetime.now(UTC))))

        return handle

    for interaction in REGISTRY_INTERACTIONS:
        path = REGISTRY_PREFIX + interaction.path
        app.router.add_post(path, registry_handler(interaction))
        app.router.add_get(path, documents_handler(interaction, router.config.public_base))

    # ?wsdl of the contracts the platform routes: soap:address points at the router
    for interaction in RELEASE + NATIONAL_INTERACTIONS + ENGAGEMENTINDEX_INTERACTIONS:
        if interaction not in REGISTRY_INTERACTIONS:
            app.router.add_get("/vp" + interaction.path, documents_handler(interaction, router.config.public_base))


def documents_handler(interaction: Interaction, public_base: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        return _contract_documents(interaction, request, public_base)

    return handle
