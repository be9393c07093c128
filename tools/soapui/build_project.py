"""Builds the SoapUI project ``egen-provhantering-soapui-project.xml`` from the contract files.

    .venv/bin/python -m tools.soapui.build_project [--output FILE]   # rewrites soapui/egen-provhantering-soapui-project.xml

The project has one interface per interaction of the release and of the national
GetLaboratoryOrderOutcome (the WSDL and schemas cached in the project, as SoapUI does when
it imports a WSDL; the national ones as the service serves them, unchanged but for their
addresses), sample requests for every interaction addressed to the demo catalogue, and three
test suites: the demo story, negative cases (VP004, VP007, a validation fault, a
VALIDATION_ERROR), and the national contract (a released result read by the national
aggregator and the journal system, and a lab system refused). Endpoints and
identities are project properties (``platform``, ``instanceId``, ``patient``...), so the
project runs against any platform; their defaults are the demo identities (``eph.demo``). A
test checks that the committed file is what this script builds. The file stays in ``soapui/``,
where users of SoapUI look for it; only its builder is tooling.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from contracts.interactions import (
    ACTOUTCOME,
    NATIONAL_INTERACTIONS,
    REGISTRY_INTERACTIONS,
    RELEASE,
    Interaction,
)
from contracts.ns import REGISTRY_NS, REGISTRY_V2_NS
from contracts.schema import documents, served_document
from eph import demo

ROOT = Path(__file__).resolve().parents[2]
PROJECT_FILE = ROOT / "soapui" / "egen-provhantering-soapui-project.xml"
DEFAULT_PLATFORM = "http://127.0.0.1:8080"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
CORE = "urn:riv:clinicalprocess:activity:selfsampling:1"
NATIONAL_CORE = f"urn:riv:{ACTOUTCOME}:4"  # the national contract's core components
# every interaction with an interface in the project
INTERFACES: tuple[Interaction, ...] = RELEASE + NATIONAL_INTERACTIONS
NS_ID = uuid.UUID("7d1c7a83-3a5e-4f6e-9c55-0c0b6d4a1e21")

PROPERTIES = {
    "platform": DEFAULT_PLATFORM,
    "instanceId": "eph-vp-dev",
    "logicalAddress": demo.SERVICE_ADDRESS,
    "lab": demo.LAB_A,
    "samplingSystem": demo.SAMPLING_A,
    "ehr": demo.EHR_A,
    "aggregator": demo.AGGREGATOR,
    "citizenService": demo.CITIZEN_SERVICE,
    "careGiver": demo.CARE_GIVER_A,
    "careUnit": demo.CARE_UNIT_A,
    "patient": demo.DEMO_PATIENTS["A1"],
    "now": "20260101120000",
}


def _id(*parts: str) -> str:
    return str(uuid.uuid5(NS_ID, "/".join(parts)))


def endpoint(interaction: Interaction) -> str:
    prefix = "/registry" if interaction in REGISTRY_INTERACTIONS else "/vp"
    return "${#Project#platform}" + prefix + interaction.path


def envelope(interaction: Interaction, body: str, logical_address: str = "${#Project#logicalAddress}") -> str:
    # the registry look-ups v2 have their LogicalAddress header in their own core namespace
    header_ns = REGISTRY_V2_NS if interaction in REGISTRY_INTERACTIONS else REGISTRY_NS
    core = NATIONAL_CORE if interaction in NATIONAL_INTERACTIONS else CORE
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:urn="{header_ns}" '
        f'xmlns:r="{interaction.responder_ns}" xmlns:c="{core}">\n'
        f"   <soapenv:Header>\n      <urn:LogicalAddress>{logical_address}</urn:LogicalAddress>\n   </soapenv:Header>\n"
        f"   <soapenv:Body>\n      {body}\n   </soapenv:Body>\n</soapenv:Envelope>"
    )


def patient(prop: str = "patient") -> str:
    return f"<c:id>${{#Project#{prop}}}</c:id><c:type>1.2.752.129.2.1.3.1</c:type>"


def national_patient() -> str:
    """The patient in the national contract: an IIType, the OID of the kind of number and the number."""
    return "<c:root>1.2.752.129.2.1.3.1</c:root><c:extension>${#Project#patient}</c:extension>"


def staff() -> str:
    return "<c:actorType>STAFF</c:actorType><c:id>SE2321000016-ST01</c:id>"


HBA1C_RESULT = (
    "<r:laboratoryResult><c:orderId>{order}</c:orderId><c:performingLabHSAId>${{#Project#lab}}</c:performingLabHSAId>"
    "<c:resultVersion>1</c:resultVersion><c:reportStatus>FINAL</c:reportStatus><c:reportTime>{time}</c:reportTime>"
    "<c:analysisResult><c:code><c:code>NPU27300</c:code><c:codeSystem>1.2.752.108.1</c:codeSystem></c:code>"
    "<c:displayName>HbA1c</c:displayName><c:pq><c:value>41</c:value><c:unit>mmol/mol</c:unit></c:pq>"
    "<c:referenceInterval><c:low><c:value>27</c:value><c:unit>mmol/mol</c:unit></c:low>"
    "<c:high><c:value>42</c:value><c:unit>mmol/mol</c:unit></c:high></c:referenceInterval>"
    "<c:interpretation>NORMAL</c:interpretation><c:status>FINAL</c:status></c:analysisResult></r:laboratoryResult>"
)

# A sample request per interaction: (who calls, body)
SAMPLES: dict[str, tuple[str, str]] = {
    "GetOfferCatalog": ("ehr", "<r:GetOfferCatalog><r:careGiverHSAId>${#Project#careGiver}</r:careGiverHSAId></r:GetOfferCatalog>"),
    "AssignOffer": ("ehr", f"<r:AssignOffer><r:patientId>{patient()}</r:patientId><r:offerCode>HBA1C</r:offerCode>"
                           "<r:careGiverHSAId>${#Project#careGiver}</r:careGiverHSAId>"
                           f"<r:accountableCareUnit>${{#Project#careUnit}}</r:accountableCareUnit><r:assignedBy>{staff()}</r:assignedBy>"
                           "</r:AssignOffer>"),
    "RevokeOffer": ("ehr", f"<r:RevokeOffer><r:offerId>${{#Project#offerId}}</r:offerId><r:revokedBy>{staff()}</r:revokedBy>"
                           "<r:reason>assigned by mistake</r:reason></r:RevokeOffer>"),
    "GetOffers": ("citizenService", f"<r:GetOffers><r:patientId>{patient()}</r:patientId><r:status>ACTIVE</r:status></r:GetOffers>"),
    "CreateOrder": ("citizenService", f"<r:CreateOrder><r:offerId>${{#Project#offerId}}</r:offerId><r:patientId>{patient()}</r:patientId>"
                                      "<r:samplingMode>SITE</r:samplingMode></r:CreateOrder>"),
    "GetOrders": ("lab", "<r:GetOrders><r:performingLabHSAId>${#Project#lab}</r:performingLabHSAId><r:maxResults>10</r:maxResults></r:GetOrders>"),
    "SetOrderStatus": ("lab", "<r:SetOrderStatus><r:orderId>${#Project#orderId}</r:orderId><r:status>RECEIVED_BY_LAB</r:status>"
                              "<r:eventTime>${#Project#now}</r:eventTime><r:performedBy><c:actorType>SYSTEM</c:actorType>"
                              "<c:id>${#Project#lab}</c:id></r:performedBy><r:performingUnitHSAId>${#Project#lab}</r:performingUnitHSAId>"
                              "</r:SetOrderStatus>"),
    "CancelOrder": ("citizenService", "<r:CancelOrder><r:orderId>${#Project#orderId}</r:orderId><r:cancelledBy>"
                                      "<c:actorType>PATIENT</c:actorType><c:id>${#Project#patient}</c:id></r:cancelledBy></r:CancelOrder>"),
    "SetResult": ("lab", "<r:SetResult>" + HBA1C_RESULT.format(order="${#Project#orderId}", time="${#Project#now}") + "</r:SetResult>"),
    "GetResults": ("citizenService", f"<r:GetResults><r:patientId>{patient()}</r:patientId>"
                                     "<r:includeEarlierVersions>true</r:includeEarlierVersions></r:GetResults>"),
    "GetSamplingSites": ("citizenService", "<r:GetSamplingSites><r:careGiverHSAId>${#Project#careGiver}</r:careGiverHSAId>"
                                           "</r:GetSamplingSites>"),
    "GetAccessLog": ("citizenService", f"<r:GetAccessLog><r:patientId>{patient()}</r:patientId><r:maxResults>20</r:maxResults>"
                                       "</r:GetAccessLog>"),
    "GetNoticeSettings": ("citizenService", f"<r:GetNoticeSettings><r:patientId>{patient()}</r:patientId></r:GetNoticeSettings>"),
    "SetNoticeSettings": ("citizenService", f"<r:SetNoticeSettings><r:patientId>{patient()}</r:patientId>"
                                            "<r:channel>SMS</r:channel><r:mobileNumber>070-123 45 67</r:mobileNumber>"
                                            "<r:changedBy><c:actorType>PATIENT</c:actorType><c:id>${#Project#patient}</c:id>"
                                            "</r:changedBy></r:SetNoticeSettings>"),
    "PingForConfiguration": ("lab", "<r:PingForConfiguration><r:logicalAddress>${#Project#logicalAddress}</r:logicalAddress>"
                                    "</r:PingForConfiguration>"),
    "GetLogicalAddresseesByServiceContract": (
        "lab", "<r:GetLogicalAddresseesByServiceContract><r:serviceConsumerHsaId>${#Project#lab}</r:serviceConsumerHsaId>"
               '<r:serviceContractNameSpace><ServiceContractNamespace xmlns="urn:riv:infrastructure:itintegration:registry:2">'
               "urn:riv:clinicalprocess:activity:selfsampling:GetOrdersResponder:1</ServiceContractNamespace>"
               "</r:serviceContractNameSpace></r:GetLogicalAddresseesByServiceContract>"),
    "GetSupportedServiceContracts": (
        "lab", "<r:GetSupportedServiceContracts><r:serviceConsumerHsaId>${#Project#lab}</r:serviceConsumerHsaId>"
               "<r:logicalAdress>${#Project#logicalAddress}</r:logicalAdress></r:GetSupportedServiceContracts>"),
    "GetLaboratoryOrderOutcome": ("aggregator", f"<r:GetLaboratoryOrderOutcome><r:patientId>{national_patient()}</r:patientId>"
                                                "</r:GetLaboratoryOrderOutcome>"),
}


# SoapUI's own type ids of the assertions used (its source: the class NotSoapFaultAssertion, which
# checks that the response is NOT a fault, has the id "SOAP Fault Assertion"; SoapFaultAssertion,
# which checks that it IS a fault, has the id "Not SOAP Fault Assertion").
SOAPUI_TYPE_IDS = {
    "SOAP Response": "SOAP Response",
    "Not SOAP Fault": "SOAP Fault Assertion",
    "SOAP Fault": "Not SOAP Fault Assertion",
    "XPath Match": "XPath Match",
    "Schema Compliance": "Schema Compliance",
}


@dataclass
class Assertion:
    kind: str  # what it checks, by SoapUI's label: "SOAP Response", "Schema Compliance", "Not SOAP Fault", "SOAP Fault",
    # "XPath Match"
    name: str
    xpath: str | None = None
    expected: str | None = None

    def xml(self, owner: str) -> str:
        soapui_type = SOAPUI_TYPE_IDS[self.kind]
        config = "<con:configuration/>"
        if self.kind == "XPath Match":
            config = (f"<con:configuration><path>{escape(self.xpath or '')}</path><content>{escape(self.expected or '')}</content>"
                      "<allowWildcards>false</allowWildcards><ignoreNamspaceDifferences>false</ignoreNamspaceDifferences>"
                      "<ignoreComments>false</ignoreComments></con:configuration>")
        return f'<con:assertion type={quoteattr(soapui_type)} id="{_id(owner, self.name)}" name={quoteattr(self.name)}>{config}</con:assertion>'


def answered() -> list[Assertion]:
    """An answer that is not a fault: a SOAP envelope, valid by the contract's schemas (SoapUI checks
    it against the WSDL and schemas cached in the interface), and not a fault."""
    return [Assertion("SOAP Response", "SOAP Response"), Assertion("Schema Compliance", "Schema Compliance"),
            Assertion("Not SOAP Fault", "Not SOAP Fault")]


def ok(expected: str = "OK") -> list[Assertion]:
    return answered() + [
        Assertion("XPath Match", f"resultCode {expected}", f"declare namespace c='{CORE}'; //c:resultCode", expected)]


def read_ok(xpath: str, expected: str, name: str) -> list[Assertion]:
    return answered() + [Assertion("XPath Match", name, xpath, expected)]


def vp_fault(code: str) -> list[Assertion]:
    return [Assertion("SOAP Response", "SOAP Response"), Assertion("SOAP Fault", "SOAP Fault"),
            Assertion("XPath Match", f"faultstring starts with {code}", f"starts-with(//faultstring, '{code}')", "true")]


@dataclass
class Step:
    name: str
    interaction: str
    caller: str
    body: str
    assertions: list[Assertion]
    transfers: dict[str, str] = field(default_factory=dict)  # project property <- XPath on the response
    logical_address: str = "${#Project#logicalAddress}"


def R(name: str) -> str:
    """An XPath on the response, namespace-agnostic (SoapUI accepts the same)."""
    return f"//*[local-name()='{name}']"


STORY = [
    Step("EHR reads the catalogue", "GetOfferCatalog", "ehr", SAMPLES["GetOfferCatalog"][1],
         read_ok(f"count({R('offerDefinition')}[*[local-name()='offerCode']='HBA1C'])", "1", "HBA1C is offered")),
    Step("EHR assigns HbA1c", "AssignOffer", "ehr", SAMPLES["AssignOffer"][1], ok(), {"offerId": R("offerId")}),
    Step("1177 shows the offer", "GetOffers", "citizenService", SAMPLES["GetOffers"][1],
         read_ok(f"count({R('offer')}[*[local-name()='offerId']='${{#Project#offerId}}'])", "1", "the assigned offer")),
    Step("1177 orders site sampling", "CreateOrder", "citizenService", SAMPLES["CreateOrder"][1], ok(),
         {"orderId": R("orderId"), "referralId": R("referralId")}),
    Step("Sampling site finds it by referral", "GetOrders", "samplingSystem",
         "<r:GetOrders><r:referralId>${#Project#referralId}</r:referralId></r:GetOrders>",
         read_ok(f"string({R('order')}/*[local-name()='orderId'])", "${#Project#orderId}", "the order")),
    Step("Sampling site registers the specimen", "SetOrderStatus", "samplingSystem",
         "<r:SetOrderStatus><r:orderId>${#Project#orderId}</r:orderId><r:status>SPECIMEN_COLLECTED</r:status>"
         "<r:eventTime>${#Project#now}</r:eventTime><r:performedBy><c:actorType>STAFF</c:actorType><c:id>SE2321000016-SSK1</c:id>"
         "</r:performedBy><r:performingUnitHSAId>${#Project#samplingSystem}</r:performingUnitHSAId>"
         "<r:specimen><c:identifier>BC-${#Project#referralId}</c:identifier></r:specimen></r:SetOrderStatus>", ok()),
    Step("Lab receives the specimen", "SetOrderStatus", "lab", SAMPLES["SetOrderStatus"][1], ok()),
    Step("Lab reports HbA1c", "SetResult", "lab", SAMPLES["SetResult"][1], ok()),
    Step("Patient reads the result", "GetResults", "citizenService", SAMPLES["GetResults"][1],
         read_ok(f"string({R('orderResult')}[*[local-name()='order']/*[local-name()='orderId']='${{#Project#orderId}}']"
                 "/*[local-name()='releasedToPatient'])", "true", "released to the patient")),
    Step("1177 lists the region's sampling sites", "GetSamplingSites", "citizenService", SAMPLES["GetSamplingSites"][1],
         read_ok(f"count({R('samplingSite')}) > 1", "true", "the region's sites")),
    Step("Patient orders a home kit without an offer", "CreateOrder", "citizenService",
         "<r:CreateOrder><r:careGiverHSAId>${#Project#careGiver}</r:careGiverHSAId><r:offerCode>CTNG</r:offerCode>"
         f"<r:patientId>{patient()}</r:patientId><r:samplingMode>HOME_KIT</r:samplingMode>"
         "<r:deliveryAddress><c:name>Test Testsson</c:name><c:street>Provgatan 1</c:street>"
         "<c:postalCode>111 22</c:postalCode><c:city>Stockholm</c:city></r:deliveryAddress></r:CreateOrder>", ok()),
    Step("Patient reads who has looked", "GetAccessLog", "citizenService", SAMPLES["GetAccessLog"][1],
         read_ok(f"count({R('accessLogEntry')}[*[local-name()='systemHSAId']='${{#Project#lab}}']) > 0", "true",
                 "the lab's reads are there")),
    Step("Patient chooses notices by SMS", "SetNoticeSettings", "citizenService", SAMPLES["SetNoticeSettings"][1], ok()),
    Step("Patient reads the choice of notices", "GetNoticeSettings", "citizenService", SAMPLES["GetNoticeSettings"][1],
         read_ok(f"string({R('noticeSettings')}/*[local-name()='mobileNumber'])", "+46701234567",
                 "the number as E.164")),
    Step("Platform pings the service", "PingForConfiguration", "lab", SAMPLES["PingForConfiguration"][1],
         read_ok(f"string({R('configuration')}[*[local-name()='name']='logicalAddress']/*[local-name()='value'])",
                 "${#Project#logicalAddress}", "the service's logical address")),
]

NEGATIVE = [
    Step("VP004 unknown logical address", "GetOrders", "lab", SAMPLES["GetOrders"][1], vp_fault("VP004"),
         logical_address="SE2321000016-NOPE"),
    Step("VP007 sampling system may not set results", "SetResult", "samplingSystem", SAMPLES["SetResult"][1],
         vp_fault("VP007")),
    Step("Validation fault: wrong check digit", "GetOrders", "lab",
         "<r:GetOrders><r:patientId><c:id>191212121213</c:id><c:type>1.2.752.129.2.1.3.1</c:type>"
         "</r:patientId></r:GetOrders>",
         [Assertion("SOAP Response", "SOAP Response"), Assertion("SOAP Fault", "SOAP Fault"),
          Assertion("XPath Match", "faultcode Client", "substring-after(//faultcode, ':')", "Client"),
          Assertion("XPath Match", "says which rule", "contains(//faultstring, 'check digit')", "true")]),
    Step("VALIDATION_ERROR: home kit without an address", "CreateOrder", "citizenService",
         "<r:CreateOrder><r:offerId>no-such-offer</r:offerId><r:patientId>" + patient() + "</r:patientId>"
         "<r:samplingMode>HOME_KIT</r:samplingMode></r:CreateOrder>",
         answered() + [
          Assertion("XPath Match", "errorCode VALIDATION_ERROR", f"declare namespace c='{CORE}'; //c:errorCode",
                    "VALIDATION_ERROR")]),
]


def outcome_of_order() -> str:
    """The national answer's record of the project's order (header.record.id is the order id)."""
    return (f"declare namespace r='{NATIONAL_INTERACTIONS[0].responder_ns}'; declare namespace ao='{NATIONAL_CORE}'; "
            "//r:laboratoryOrderOutcome[ao:header/ao:record/ao:id/ao:extension='${#Project#orderId}']")


def national_ok(*checks: tuple[str, str, str]) -> list[Assertion]:
    """An answer of the national contract and XPath checks (name, XPath, expected) on it."""
    return answered() + [Assertion("XPath Match", *c) for c in checks]


# A self-contained case: the journal system assigns HbA1c, 1177 orders it, the lab reports it (an
# HbA1c is released at once), and the national aggregator and the journal system read it in the
# national contract; a lab system is not authorized for the contract.
NATIONAL = [
    Step("EHR assigns HbA1c", "AssignOffer", "ehr", SAMPLES["AssignOffer"][1], ok(), {"offerId": R("offerId")}),
    Step("1177 orders site sampling", "CreateOrder", "citizenService", SAMPLES["CreateOrder"][1], ok(),
         {"orderId": R("orderId")}),
    Step("Lab reports HbA1c", "SetResult", "lab", SAMPLES["SetResult"][1], ok()),
    Step("The national aggregator reads the result", "GetLaboratoryOrderOutcome", "aggregator",
         SAMPLES["GetLaboratoryOrderOutcome"][1],
         national_ok(("one record for the order", f"count({outcome_of_order()})", "1"),
                     ("approved for the patient",
                      f"string({outcome_of_order()}/ao:header/ao:accessControlHeader/ao:approvedForPatient)", "true"),
                     ("the value as reported", f"string({outcome_of_order()}/ao:body/ao:groupOfAnalyses/ao:analysis"
                                               "/ao:result/ao:value/ao:pq/ao:value)", "41"))),
    Step("The journal system reads it too", "GetLaboratoryOrderOutcome", "ehr", SAMPLES["GetLaboratoryOrderOutcome"][1],
         national_ok(("one record for the order", f"count({outcome_of_order()})", "1"))),
    Step("VP007 a lab system may not read national results", "GetLaboratoryOrderOutcome", "lab",
         SAMPLES["GetLaboratoryOrderOutcome"][1], vp_fault("VP007")),
]


def headers(caller: str) -> str:
    entries = (f'<con:entry key="x-vp-sender-id" value="${{#Project#{caller}}}"/>'
               '<con:entry key="x-vp-instance-id" value="${#Project#instanceId}"/>')
    return escape(f'<xml-fragment xmlns:con="http://eviware.com/soapui/config">{entries}</xml-fragment>')


def request_xml(tag: str, name: str, interaction: Interaction, caller: str, body: str, owner: str,
                assertions: Iterable[Assertion] = (), logical_address: str = "${#Project#logicalAddress}") -> str:
    return (
        f'<con:{tag} id="{_id(owner, name)}" name={quoteattr(name)}>'
        f'<con:settings><con:setting id="com.eviware.soapui.impl.wsdl.WsdlRequest@request-headers">{headers(caller)}'
        "</con:setting></con:settings><con:encoding>UTF-8</con:encoding>"
        f"<con:endpoint>{escape(endpoint(interaction))}</con:endpoint>"
        f"<con:request><![CDATA[{envelope(interaction, body, logical_address)}]]></con:request>"
        + "".join(a.xml(owner + name) for a in assertions)
        + '<con:credentials><con:authType>No Authorization</con:authType></con:credentials>'
        f'<con:jmsConfig JMSDeliveryMode="PERSISTENT"/><con:jmsPropertyConfig/>'
        f'<con:wsaConfig mustUnderstand="NONE" version="200508" action={quoteattr(interaction.soap_action)}/>'
        f'<con:wsrmConfig version="1.2"/></con:{tag}>'
    )


def interface_xml(interaction: Interaction) -> str:
    base = DEFAULT_PLATFORM + endpoint(interaction).removeprefix("${#Project#platform}")
    parts = []
    for name in sorted(documents(interaction), key=lambda n: (not n.endswith(".wsdl"), n)):
        url = f"{base}?wsdl" if name.endswith(".wsdl") else f"{base}?xsd={name}"
        content = served_document(interaction, name, base).decode("utf-8")
        kind = "http://schemas.xmlsoap.org/wsdl/" if name.endswith(".wsdl") else "http://www.w3.org/2001/XMLSchema"
        parts.append(f"<con:part><con:url>{escape(url)}</con:url><con:content><![CDATA[{content}]]></con:content>"
                     f"<con:type>{kind}</con:type></con:part>")
    caller, body = SAMPLES[interaction.name]
    binding = f"{interaction.name}ResponderBinding"
    return (
        f'<con:interface xsi:type="con:WsdlInterface" id="{_id(binding)}" wsaVersion="NONE" name="{binding}" type="wsdl" '
        f'bindingName="{{{interaction.wsdl_ns}}}{binding}" soapVersion="1_1" anonymous="optional" '
        f'definition={quoteattr(base + "?wsdl")} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<con:settings/><con:definitionCache type="TEXT" rootPart={quoteattr(base + "?wsdl")}>{"".join(parts)}'
        f"</con:definitionCache><con:endpoints><con:endpoint>{escape(endpoint(interaction))}</con:endpoint></con:endpoints>"
        f'<con:operation id="{_id(binding, interaction.name)}" isOneWay="false" action={quoteattr(interaction.soap_action)} '
        f'name="{interaction.name}" bindingOperationName="{interaction.name}" type="Request-Response" inputName="" '
        'receivesAttachments="false" sendsAttachments="false" anonymous="optional"><con:settings/>'
        + request_xml("call", f"Sample {interaction.name}", interaction, caller, body, binding)
        + "</con:operation></con:interface>"
    )


def step_xml(suite: str, case: str, step: Step) -> str:
    interaction = next(i for i in INTERFACES if i.name == step.interaction)
    owner = f"{suite}/{case}/{step.name}"
    xml = (
        f'<con:testStep type="request" name={quoteattr(step.name)} id="{_id(owner)}"><con:settings/>'
        '<con:config xsi:type="con:RequestStep" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<con:interface>{interaction.name}ResponderBinding</con:interface><con:operation>{interaction.name}</con:operation>"
        + request_xml("request", step.name, interaction, step.caller, step.body, owner, step.assertions, step.logical_address)
        + "</con:config></con:testStep>"
    )
    for prop, xpath in step.transfers.items():
        tname = f"Keep {prop}"
        xml += (
            f'<con:testStep type="transfer" name={quoteattr(step.name + ": " + tname)} id="{_id(owner, tname)}"><con:settings/>'
            f'<con:config xsi:type="con:PropertyTransfersStep" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<con:transfers setNullOnMissingSource="true" transferTextContent="true" failOnError="true" '
            f'ignoreEmpty="false" transferToAll="false" entitize="false" transferChildNodes="false">'
            f"<con:name>{escape(prop)}</con:name><con:sourceType>Response</con:sourceType>"
            f"<con:sourceStep>{escape(step.name)}</con:sourceStep><con:sourcePath>{escape(xpath)}</con:sourcePath>"
            f"<con:targetType>{escape(prop)}</con:targetType><con:targetStep>#Project#</con:targetStep>"
            "<con:targetPath/><con:type>XPATH</con:type><con:targetTransferType>XPATH</con:targetTransferType>"
            "<con:upgraded>false</con:upgraded></con:transfers></con:config></con:testStep>"
        )
    return xml


def suite_xml(name: str, case: str, steps: list[Step]) -> str:
    return (
        f'<con:testSuite id="{_id(name)}" name={quoteattr(name)}><con:settings/><con:runType>SEQUENTIAL</con:runType>'
        f'<con:testCase id="{_id(name, case)}" failOnError="true" failTestCaseOnErrors="true" keepSession="false" '
        f'maxResults="0" name={quoteattr(case)} searchProperties="true"><con:settings/>'
        + "".join(step_xml(name, case, s) for s in steps)
        + "<con:properties/></con:testCase><con:properties/></con:testSuite>"
    )


def build() -> str:
    props = "".join(f"<con:property><con:name>{k}</con:name><con:value>{escape(v)}</con:value></con:property>"
                    for k, v in {**PROPERTIES, "offerId": "", "orderId": "", "referralId": ""}.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<con:soapui-project id="{_id("project")}" activeEnvironment="Default" name="Egen provhantering" '
        'resourceRoot="" soapui-version="5.7.0" abortOnError="false" runType="SEQUENTIAL" '
        'xmlns:con="http://eviware.com/soapui/config"><con:settings/>'
        + "".join(interface_xml(i) for i in INTERFACES)
        + suite_xml("Demo story", "Order, sample, report, read", STORY)
        + suite_xml("Negative cases", "Refusals", NEGATIVE)
        + suite_xml("National contract", "Released results in GetLaboratoryOrderOutcome", NATIONAL)
        + f"<con:properties>{props}</con:properties><con:wssContainer/><con:oAuth2ProfileContainer/>"
        "<con:oAuth1ProfileContainer/><con:sensitiveInformation><con:configuration/></con:sensitiveInformation>"
        "</con:soapui-project>\n"
    )


if __name__ == "__main__":
    target = Path(sys.argv[sys.argv.index("--output") + 1]) if "--output" in sys.argv else PROJECT_FILE
    target.write_text(build(), encoding="utf-8")
    print(f"wrote {target}")
