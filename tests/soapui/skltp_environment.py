"""What the national test environment puts behind its platform for the core suite, rebuilt for the
replay of ``tests/data/skltp-core-cases.json``: the routing catalogue, the HSA tree, the platform
settings, and the test producers ("mocks") with the answers the suite's assertions expect of them.

The catalogue is built from what each case says it tests (its name and description in the
suite): for instance NTP-775.1 "finns endast SB och SV" has only a default routing (``*``) and a
default authorization for GetReferralOutcome, and the tree-climbing cases ("Trädklättring")
have routings and authorizations at the levels TSTNMT2321000156-10K3 (top), 10K4 (level 1) and
10K5/10K6/10K7 (level 2), with climbing turned off per contract as the national platform is
configured for them.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from lxml import etree

from routing import store
from routing.catalogue import Catalogue
from tests.support import free_port

CONSUMER = "TSTNMT2321000156-B02"  # the suite's test consumer (its client certificate)
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"

GCD = "urn:riv:clinicalprocess:healthcond:description:GetCareDocumentationResponder:2"
GD = "urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2"
KS = "urn:riv:se.apotekensservice:lf:KontrolleraSamtyckeResponder:1"
KF = "urn:riv:se.apotekensservice:lf:KontrolleraForskrivarbehorighetResponder:1"
RES = "urn:riv:financial:patientfees:exemption:RequestExemptionStatusesResponder:1"
PES = "urn:riv:financial:patientfees:exemption:ProcessExemptionStatusesResponder:1"
PCS = "urn:riv:financial:billing:claim:ProcessClaimSpecificationResponder:1"
GRO = "urn:riv:clinicalprocess:healthcond:actoutcome:GetReferralOutcomeResponder:3"
GCC = "urn:riv:clinicalprocess:logistics:logistics:GetCareContactsResponder:3"
GO = "urn:riv:clinicalprocess:healthcond:basic:GetObservationsResponder:1"
GIO = "urn:riv:clinicalprocess:healthcond:actoutcome:GetImagingOutcomeResponder:1"
GA = "urn:riv:clinicalprocess:activity:actions:GetActivitiesResponder:1"
FAQ = "urn:riv:insuranceprocess:healthreporting:FindAllQuestionsResponder:1"
RMCQ = "urn:riv:insuranceprocess:healthreporting:ReceiveMedicalCertificateQuestionResponder:1"
RMCA = "urn:riv:insuranceprocess:healthreporting:ReceiveMedicalCertificateAnswerResponder:1"

K3, K4, K5, K6, K7 = (f"TSTNMT2321000156-10K{i}" for i in range(3, 8))
HSA_TREE = {K4: K3, K5: K4, K6: K4, K7: K4, K3: "SE"}

# platform settings as the national test platform has them for these cases
SETTINGS = {
    "EPH_VP_ORIGINAL_CONSUMER_SENDERS": CONSUMER,  # the one difference from this platform's defaults
    "EPH_VP_HSA_CLIMB_ROUTING_EXCEPT": f"{RES},{PCS}",
    "EPH_VP_HSA_CLIMB_AUTHORIZATION_EXCEPT": f"{PES},{PCS}",
}

BP20, BP21 = "RIVTABP20", "RIVTABP21"
# (logical address, contract, routed, granted, the producer's profile)
ROWS: list[tuple[str, str, bool, bool, str]] = [
    # 1.x, 2.x: GetCareDocumentation to the aggregating service's address (a test producer stands in for
    # it: these cases are about the platform's headers, not what is aggregated) and to test producers
    ("5565594230", GCD, True, True, BP21),
    ("LOAD-MOCKS", GCD, True, True, BP21),
    ("SKLTP-MOCK01", GCD, True, True, BP21),
    ("PRODUCER-NOT-AVAILABLE", GCD, True, True, BP21),  # 2.9.1: nothing listens there
    ("PRODUCER-NO-AUTHORIZATION", KS, True, False, BP20),  # 2.7.1
    # 3.1.x: the producers' own profiles
    ("SKLTP-MOCK01", KS, True, True, BP20),
    ("SKLTP-MOCK01", KF, True, True, BP21),
    # the HSA-id registered in lower case, called in any case
    ("gemenlogiskadress", GD, True, True, BP21),
    # tree climbing: all three contracts at the top, grants at 10K5, routings at 10K7
    *[(K3, k, True, True, BP21) for k in (RES, PES, PCS)],
    *[(K5, k, False, True, BP21) for k in (RES, PES, PCS)],
    *[(K7, k, True, False, BP21) for k in (RES, PES, PCS)],
    # NTP-775: default authorizations (SB) and default routings (SV)
    ("*", GRO, True, True, BP21),  # .1 only SB and SV
    (K5, GCC, True, False, BP21), (K3, GCC, True, False, BP21), ("*", GCC, True, True, BP21),  # .2, .3, .4
    (K5, GO, True, False, BP21), (K3, GO, True, False, BP21), ("*", GO, False, True, BP21),  # .5, .9
    ("*", GIO, False, True, BP21),  # .6 SB without a routing
    ("SKLTP-MOCK01", GA, False, True, BP21), ("*", GA, True, False, BP21),  # .7
    ("*", FAQ, True, False, BP20),  # .8 SV without an authorization
    ("SKLTP-MOCK01", RMCQ, True, True, BP20),  # .41, SKLTP-1239.1 (VG#VE)
    ("*", RMCA, True, True, BP20),  # .42 SB and SV, which VG#VE addresses do not use
]


def catalogue(mock_url: str, closed_url: str) -> Catalogue:
    now = datetime.now(UTC)
    start, end = now - timedelta(days=1), now + timedelta(days=365)
    cat = store.empty()
    for address, contract, routed, granted, profile in ROWS:
        if routed:
            producer = address if address != "*" else "SKLTP-MOCK100"
            url = closed_url if address == "PRODUCER-NOT-AVAILABLE" else f"{mock_url}/{producer}"
            cat, _ = store.with_routing(cat, contract, address, url, producer, profile, start, end, now=now, who="skltp")
        if granted:
            cat, _ = store.with_authorization(cat, CONSUMER, contract, address, start, end, now=now, who="skltp")
    return cat


# ------------------------------------------------------------------ the test producers

# (record element, namespace of the record's content, path from the record to the patient's id)
RECORDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    GCD: ("careDocumentation", "urn:riv:clinicalprocess:healthcond:description:2",
          ("careDocumentationHeader", "patientId", "id")),
    GCC: ("careContact", "urn:riv:clinicalprocess:logistics:logistics:3", ("careContactHeader", "patientId", "id")),
    GRO: ("referralOutcome", "urn:riv:clinicalprocess:healthcond:actoutcome:3",
          ("referralOutcomeHeader", "patientId", "id")),
    GO: ("observationGroup", "urn:riv:clinicalprocess:healthcond:basic:1", ("patient", "id", "extension")),
    GA: ("activityGroup", "urn:riv:clinicalprocess:activity:actions:1", ("patient", "id", "extension")),
}
# a test producer holds records of some test patients only; for the others it answers a fault
KNOWN_PATIENTS = {("SKLTP-MOCK01", GCD): {"191001209814"}}
UNKNOWN = "Missing support for this combination of patientId and logicalAdress"
# the profile each test producer expects its calls in (the platform rewrites the header)
EXPECTED_HEADER = {KS: "To", KF: "LogicalAddress"}


def _envelope(body: str, declarations: str = "") -> bytes:
    return (f'<soapenv:Envelope xmlns:soapenv="{SOAP}"{declarations}>\n   <soapenv:Header/>\n   <soapenv:Body>\n'
            f"      {body}\n   </soapenv:Body>\n</soapenv:Envelope>").encode()


def _patient(request: etree._Element) -> str:
    for el in request.iter():
        if isinstance(el.tag, str) and etree.QName(el).localname == "patientId":
            for leaf in el.iter():
                if isinstance(leaf.tag, str) and etree.QName(leaf).localname in ("id", "extension") and leaf.text:
                    return leaf.text.strip()
    return ""


def _fault(message: str) -> bytes:
    return (f'<S:Envelope xmlns:S="{SOAP}"><S:Body><S:Fault><faultcode>S:Server</faultcode>'
            f"<faultstring>{message}</faultstring><detail><ns2:exception xmlns:ns2=\"http://jax-ws.dev.java.net/\" "
            f'class="se.skltp.mock.MockException"><message>{message}</message></ns2:exception></detail>'
            "</S:Fault></S:Body></S:Envelope>").encode()


def answer(producer: str, data: bytes) -> tuple[int, bytes]:
    """A test producer's answer to a call: (HTTP status, body)."""
    envelope = etree.fromstring(data)
    header = envelope.find(f"{{{SOAP}}}Header")
    request = envelope.find(f"{{{SOAP}}}Body")[0]  # type: ignore[index]
    contract, name = etree.QName(request).namespace or "", etree.QName(request).localname
    headers = {etree.QName(h).localname for h in (header if header is not None else ()) if isinstance(h.tag, str)}
    if contract in EXPECTED_HEADER and EXPECTED_HEADER[contract] not in headers:
        return 500, _fault(f"expected the receiver in {EXPECTED_HEADER[contract]}")
    patient = _patient(request)
    if (producer, contract) in KNOWN_PATIENTS and patient not in KNOWN_PATIENTS[(producer, contract)]:
        return 500, _fault(UNKNOWN)
    if contract in RECORDS:
        record, core, path = RECORDS[contract]
        content = patient
        for part in reversed(path):
            content = f"<{part}>{content}</{part}>"
        content = content.replace(f"<{path[0]}>", f'<{path[0]} xmlns="{core}">', 1)
        return 200, _envelope(f'<{name}Response xmlns="{contract}"><{record}>{content}</{record}>'
                              f"<result><resultCode>OK</resultCode></result></{name}Response>")
    bodies = {
        GD: f'<{name}Response xmlns="{contract}"><diagnosis xmlns="urn:riv:clinicalprocess:healthcond:description:2">'
            f"<diagnosisHeader><sourceSystemHSAId>{producer}</sourceSystemHSAId></diagnosisHeader></diagnosis>"
            f"</{name}Response>",
        KS: f'<urn:{name}Response xmlns:urn="{contract}">\n<urn:avliden>false</urn:avliden>\n'
            f"<urn:harSamtycke>true</urn:harSamtycke>\n</urn:{name}Response>",
        KF: f'<urn:{name}Response xmlns:urn="{contract}"><urn:behorig>true</urn:behorig></urn:{name}Response>',
        RES: f"<urn:{name}Response/>",
        PES: f'<urn:{name}Response xmlns:urn="{contract}"><urn:resultCode>OK</urn:resultCode></urn:{name}Response>',
        PCS: f'<ns2:{name}Response xmlns:ns2="{contract}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
             f'<resultCode xsi:type="ResultCodeEnum">OK</resultCode></ns2:{name}Response>',
        RMCQ: f'<ns2:{name}Response xmlns:ns2="{contract}" xmlns:ns3="urn:riv:insuranceprocess:healthreporting:2">'
              f"<ns2:result><ns3:resultCode>OK</ns3:resultCode></ns2:result></ns2:{name}Response>",
    }
    if contract not in bodies:
        return 500, _fault(f"no test producer for {contract}")
    return 200, _envelope(bodies[contract], f' xmlns:urn="{contract}"' if contract == RES else "")


@dataclass
class Mocks:
    """The test producers, one listener; the path names the producer (its HSA-id)."""

    port: int = field(default_factory=free_port)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.Response:
        producer = request.path.strip("/")
        self.calls.append((producer, dict(request.headers)))
        status, body = answer(producer, await request.read())
        return web.Response(status=status, body=body, content_type="text/xml", charset="UTF-8")

    def start(self) -> Mocks:
        ready = threading.Event()

        def run() -> None:
            self.loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_post("/{producer}", self._handle)
            self.runner = web.AppRunner(app, access_log=None)
            self.loop.run_until_complete(self.runner.setup())
            self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
            ready.set()
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        future: Any = asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop)
        future.result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
