"""What the producer does with hostile or broken input, over real HTTPS (raw requests,
since a SOAP library would not send them). Every refusal of a POST is a SOAP fault with a
logId, HTTP 500, so that a platform passes it on to the caller as the service's answer."""

from __future__ import annotations

import http.client
import socket
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from contracts.certificates import REASONS
from contracts.interactions import GET_ORDERS
from contracts.ns import CORE_NS, SOAP11_ENV_NS
from eph import demo
from eph.devpki import PLATFORM_HSA_ID
from tests.certs import CertificateAuthority
from tests.support import ServiceProcess, patient, platform_tls_context, session_pki, soap_envelope

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PATH = GET_ORDERS.url_path
G = GET_ORDERS.responder_ns


def get_orders_body(inner: str = "") -> str:
    return f'<g:GetOrders xmlns:g="{G}"><g:performingLabHSAId>{demo.LAB_A}</g:performingLabHSAId>{inner}</g:GetOrders>'


def post(
    service: ServiceProcess,
    body: bytes,
    *,
    consumer: str | None = demo.LAB_A,
    headers: dict[str, str] | None = None,
    path: str = PATH,
    tls: ssl.SSLContext | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPSConnection("127.0.0.1", service.port, timeout=30, context=tls or platform_tls_context())
    h = {"Content-Type": "text/xml; charset=utf-8"}
    if consumer:
        h["x-rivta-original-serviceconsumer-hsaid"] = consumer
    h.update(headers or {})
    conn.request("POST", path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, dict(r.getheaders()), data


def fault_of(data: bytes) -> tuple[str, str]:
    root = etree.fromstring(data)
    f = root.find(f"{{{SOAP11_ENV_NS}}}Body/{{{SOAP11_ENV_NS}}}Fault")
    assert f is not None, data[:300]
    code = f.findtext("faultcode") or ""
    assert f.findtext(f"detail/{{{CORE_NS}}}logId"), "every fault carries a logId"
    return code.split(":", 1)[-1], f.findtext("faultstring") or ""


def test_a_plain_request_works(service: ServiceProcess) -> None:
    status, headers, data = post(service, soap_envelope(get_orders_body()))
    assert status == 200, data[:500]
    assert headers["X-EPH-LogId"]


def test_doctype_with_entities_is_refused_and_nothing_expanded(service: ServiceProcess, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    marker = uuid.uuid4().hex
    secret.write_text(marker)
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    for doctype in (
        f"<!DOCTYPE x [{laughs}]>",
        f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>',
        '<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd">',
    ):
        body = soap_envelope(get_orders_body("<g:referralId>&xxe;&l9;</g:referralId>"))
        body = body.replace(b"?>", b"?>" + doctype.encode(), 1)
        status, _, data = post(service, body)
        assert status == 500
        assert len(data) < 2000
        code, text = fault_of(data)
        assert code == "Client"
        assert "DOCTYPE" in text
        assert marker.encode() not in data
    assert marker not in service.log_text()


def test_a_doctype_hidden_in_utf16_is_refused(service: ServiceProcess) -> None:
    xml = soap_envelope(get_orders_body()).decode().replace(
        '<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]>'
    )
    status, _, data = post(service, xml.encode("utf-16"))
    assert status == 500
    assert "DOCTYPE" in fault_of(data)[1]


def test_a_body_above_one_mebibyte_is_a_client_fault(service: ServiceProcess) -> None:
    # announced too long: answered before the body is read
    raw = socket.create_connection(("127.0.0.1", service.port), timeout=10)
    with platform_tls_context().wrap_socket(raw, server_hostname="127.0.0.1") as s:
        s.sendall(
            f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: {2 * 1024 * 1024}\r\n\r\n".encode()
        )
        answer = b""
        while b"</soap:Envelope>" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    head, _, data = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 500")
    code, text = fault_of(data)
    assert code == "Client"
    assert "at most 1048576 bytes" in text
    # and really sent
    pad = "<x:pad xmlns:x='urn:pad'>" + "a" * (1024 * 1024) + "</x:pad>"
    status, headers, data = post(service, soap_envelope(get_orders_body(pad)))
    assert status == 500
    assert fault_of(data)[0] == "Client"
    assert headers["X-EPH-LogId"]


def test_no_content_length_is_a_client_fault(service: ServiceProcess) -> None:
    conn = http.client.HTTPSConnection("127.0.0.1", service.port, timeout=10, context=platform_tls_context())
    body = soap_envelope(get_orders_body())
    conn.request("POST", PATH, body=iter([body]), headers={"Content-Type": "text/xml"}, encode_chunked=True)
    r = conn.getresponse()
    assert r.status == 500
    code, text = fault_of(r.read())
    assert code == "Client"
    assert "Content-Length" in text


def test_must_understand(service: ServiceProcess) -> None:
    la = f'<la:LogicalAddress xmlns:la="urn:riv:itintegration:registry:1" xmlns:s="{SOAP11_ENV_NS}" s:mustUnderstand="1">{demo.SERVICE_ADDRESS}</la:LogicalAddress>'
    status, _, _ = post(service, soap_envelope(get_orders_body(), header=la))
    assert status == 200  # LogicalAddress is understood
    unknown = f'<w:Security xmlns:w="urn:example:security" xmlns:s="{SOAP11_ENV_NS}" s:mustUnderstand="1"/>'
    status, _, data = post(service, soap_envelope(get_orders_body(), header=la + unknown))
    assert status == 500
    code, text = fault_of(data)
    assert code == "MustUnderstand"
    assert "Security" in text
    optional = '<w:Trace xmlns:w="urn:example:trace">t</w:Trace>'
    status, _, _ = post(service, soap_envelope(get_orders_body(), header=la + optional))
    assert status == 200  # an unknown header that need not be understood is ignored


def test_missing_logical_address_is_a_client_fault(service: ServiceProcess) -> None:
    status, _, data = post(service, soap_envelope(get_orders_body(), header=""))
    assert status == 500
    assert "LogicalAddress" in fault_of(data)[1]


def test_nesting_depth_and_element_count_are_bounded(service: ServiceProcess) -> None:
    deep = "<x:a xmlns:x='urn:deep'>" * 60 + "</x:a>" * 60
    status, _, data = post(service, soap_envelope(get_orders_body(deep)))
    assert status == 500
    assert "deeper" in fault_of(data)[1]
    many = "<x:e xmlns:x='urn:many'>" + "<x:i/>" * 25_000 + "</x:e>"
    status, _, data = post(service, soap_envelope(get_orders_body(many)))
    assert status == 500
    assert "more than" in fault_of(data)[1]


def test_extension_elements_are_accepted_and_cannot_pose_as_contract_elements(service: ServiceProcess) -> None:
    p = patient()
    ext = (
        f'<x:patientId xmlns:x="urn:example:extension" xmlns:c="{CORE_NS}">'
        f'<c:id>{p["id"]}</c:id><c:type>{p["type"]}</c:type></x:patientId>'
        '<x:note xmlns:x="urn:example:extension">a 1.1 element</x:note>'
    )
    body = f'<g:GetOrders xmlns:g="{G}"><g:referralId>NOSUCH12</g:referralId>{ext}</g:GetOrders>'
    status, _, data = post(service, soap_envelope(body))
    assert status == 200, data[:400]
    root = etree.fromstring(data)
    assert root.find(f".//{{{G}}}GetOrdersResponse") is not None
    assert root.find(f".//{{{G}}}order") is None


def test_contract_violations_name_the_element_not_the_value(service: ServiceProcess) -> None:
    body = (
        f'<g:GetOrders xmlns:g="{G}" xmlns:c="{CORE_NS}"><g:patientId><c:id>19121212-121X</c:id>'
        "<c:type>1.2.752.129.2.1.3.1</c:type></g:patientId></g:GetOrders>"
    )
    status, _, data = post(service, soap_envelope(body))
    code, text = fault_of(data)
    assert (status, code) == (500, "Client")
    assert "'id'" in text
    assert "19121212-121X" not in text
    assert b"19121212-121X" not in data
    assert "19121212-121X" not in service.log_text()


def test_broken_requests_are_not_logged(service: ServiceProcess) -> None:
    pid = patient()["id"]
    for body in (
        f"<soap:Envelope xmlns:soap='{SOAP11_ENV_NS}'><soap:Body><p>{pid}</p>".encode(),  # not well-formed
        soap_envelope(get_orders_body(f"<g:maxResults>{pid}</g:maxResults>")),  # breaks the schema
    ):
        status, _, data = post(service, body)
        assert status == 500
        assert pid.encode() not in data
    assert pid not in service.log_text()


def test_malformed_xml_and_wrong_envelopes(service: ServiceProcess) -> None:
    status, _, data = post(service, b"<soap:Envelope xmlns:soap='x'><unclosed>")
    assert status == 500
    assert "well-formed" in fault_of(data)[1]
    soap12 = soap_envelope(get_orders_body()).replace(SOAP11_ENV_NS.encode(), b"http://www.w3.org/2003/05/soap-envelope")
    status, _, data = post(service, soap12)
    assert fault_of(data)[0] == "VersionMismatch"
    other_op = soap_envelope('<r:GetResults xmlns:r="urn:riv:clinicalprocess:activity:selfsampling:GetResultsResponder:1"/>')
    status, _, data = post(service, other_op)
    assert "answers GetOrders only" in fault_of(data)[1]
    status, _, data = post(service, soap_envelope(get_orders_body()), headers={"SOAPAction": '"urn:wrong"'})
    assert "SOAPAction" in fault_of(data)[1]
    status, _, data = post(service, soap_envelope(get_orders_body()), headers={"Content-Type": "application/json"})
    assert status == 500
    assert fault_of(data) == ("Client", fault_of(data)[1])
    assert "text/xml" in fault_of(data)[1]


@pytest.mark.parametrize(
    ("envelope", "says"),
    [
        # an empty Body before the Header (once an HTML 500 without a logId)
        (f"<s:Envelope xmlns:s='{SOAP11_ENV_NS}'><s:Body/><s:Header/></s:Envelope>", "Header must come first"),
        (f"<s:Envelope xmlns:s='{SOAP11_ENV_NS}'><s:Header/></s:Envelope>", "no Body"),
        (f"<s:Envelope xmlns:s='{SOAP11_ENV_NS}'><s:Body/></s:Envelope>", "exactly one element"),
        (f"<s:Envelope xmlns:s='{SOAP11_ENV_NS}'/>", "no Body"),
        (f"<s:Envelope xmlns:s='{SOAP11_ENV_NS}'>text<s:Body/></s:Envelope>", "text outside its elements"),
        (f"<s:Envelope xmlns:s='{SOAP11_ENV_NS}'><s:Body>{get_orders_body()}</s:Body><s:Body>{get_orders_body()}</s:Body></s:Envelope>",
         "more than one Body"),
        (f"<s:Envelope xmlns:s='{SOAP11_ENV_NS}'><s:Body>{get_orders_body()}</s:Body><x:More xmlns:x='urn:x'/></s:Envelope>",
         "only a Header and a Body"),
        (f"<s:Envelope xmlns:s='{SOAP11_ENV_NS}'><s:Body>{get_orders_body()}{get_orders_body()}</s:Body></s:Envelope>",
         "exactly one element"),
        ("<Envelope/>", "not a SOAP 1.1 Envelope"),
        (f"<s:Envelope xmlns:s='{SOAP11_ENV_NS}'><s:Header><a:LogicalAddress xmlns:a='urn:riv:itintegration:registry:1'>"
         f"{demo.SERVICE_ADDRESS}</a:LogicalAddress><a:LogicalAddress xmlns:a='urn:riv:itintegration:registry:1'>"
         f"{demo.SERVICE_ADDRESS}</a:LogicalAddress></s:Header><s:Body>{get_orders_body()}</s:Body></s:Envelope>",
         "more than one LogicalAddress"),
    ],
)
def test_odd_envelope_shapes_are_client_faults_with_a_log_id(service: ServiceProcess, envelope: str, says: str) -> None:
    status, headers, data = post(service, envelope.encode())
    assert status == 500
    assert headers["Content-Type"].startswith("text/xml")
    code, text = fault_of(data)
    assert code == "Client", text
    assert says in text, text
    assert headers["X-EPH-LogId"] in text


def test_must_understand_counts_with_whitespace_around_it(service: ServiceProcess) -> None:
    la = f'<la:LogicalAddress xmlns:la="urn:riv:itintegration:registry:1">{demo.SERVICE_ADDRESS}</la:LogicalAddress>'
    unknown = f'<w:Security xmlns:w="urn:example:security" xmlns:s="{SOAP11_ENV_NS}" s:mustUnderstand=" 1 "/>'
    status, _, data = post(service, soap_envelope(get_orders_body(), header=la + unknown))
    assert status == 500
    assert fault_of(data)[0] == "MustUnderstand"


def test_the_original_consumer_is_required(service: ServiceProcess) -> None:
    status, _, data = post(service, soap_envelope(get_orders_body()), consumer=None)
    assert status == 500
    assert "x-rivta-original-serviceconsumer-hsaid" in fault_of(data)[1]


def test_an_unregistered_consumer_is_refused(service: ServiceProcess) -> None:
    status, _, data = post(service, soap_envelope(get_orders_body()), consumer="SE2321000016-NOBODY")
    assert status == 500
    assert "not registered" in fault_of(data)[1]


def _get(service: ServiceProcess, query: str, host: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPSConnection("127.0.0.1", service.port, timeout=10, context=platform_tls_context())
    conn.request("GET", f"{PATH}?{query}", headers={"Host": host} if host else {})
    r = conn.getresponse()
    return r.status, r.read()


def test_wsdl_and_schemas_are_served_pointing_back_at_the_endpoint(service: ServiceProcess) -> None:
    # the address is the service's own, whatever Host the request named
    status, data = _get(service, "wsdl", host="eph.example:8081")
    assert status == 200
    wsdl = etree.fromstring(data)
    url = f"https://127.0.0.1:{service.port}{PATH}"
    address = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address is not None
    assert address.get("location") == url
    imports = [i.get("schemaLocation") for i in wsdl.iter("{http://www.w3.org/2001/XMLSchema}import")]
    assert f"{url}?xsd=GetOrdersResponder_1.0.xsd" in imports
    status, data = _get(service, "xsd=GetOrdersResponder_1.0.xsd")
    assert status == 200
    core = [i.get("schemaLocation") for i in etree.fromstring(data).iter("{http://www.w3.org/2001/XMLSchema}import")]
    assert core == [f"https://127.0.0.1:{service.port}{PATH}?xsd=clinicalprocess_activity_selfsampling_1.0.xsd"]
    for name in ("../../../../etc/passwd", "/etc/passwd", "..%2F..%2Fpyproject.toml", "pyproject.toml", ""):
        assert _get(service, f"xsd={name}")[0] == 404


@pytest.fixture(scope="module")
def untrusting_service(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """A service that trusts another platform than the one whose certificate the tests show,
    and is reached at a public address of its own."""
    proc = ServiceProcess(database_url, Path(tmp_path_factory.mktemp("untrusting")) / "service.log")
    proc.start(EPH_TRUSTED_PLATFORMS="SE5565594230-VPPROD", EPH_PUBLIC_BASE_URL="https://eph.example.org/")
    yield proc
    proc.stop()


def test_only_the_trusted_platform_may_call(untrusting_service: ServiceProcess) -> None:
    status, _, data = post(untrusting_service, soap_envelope(get_orders_body()))
    assert status == 500
    code, text = fault_of(data)
    assert code == "Client"
    assert "not an authenticated service platform" in text


@pytest.fixture(scope="module")
def trusting_nobody(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """A service whose list of trusted platforms is set, and empty."""
    proc = ServiceProcess(database_url, Path(tmp_path_factory.mktemp("trusting-nobody")) / "service.log")
    proc.start(EPH_TRUSTED_PLATFORMS="")
    yield proc
    proc.stop()


def test_an_empty_list_of_trusted_platforms_trusts_none(trusting_nobody: ServiceProcess) -> None:
    status, _, data = post(trusting_nobody, soap_envelope(get_orders_body()))
    assert (status, fault_of(data)[0]) == (500, "Client")


def test_the_public_address_is_configured(untrusting_service: ServiceProcess) -> None:
    status, data = _get(untrusting_service, "wsdl", host="attacker.example")
    address = etree.fromstring(data).find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address is not None
    assert address.get("location") == f"https://eph.example.org{PATH}"


def _no_certificate() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(session_pki().ca.cert))


def test_a_caller_without_the_platform_certificate_cannot_pose_as_a_system(service: ServiceProcess) -> None:
    """A GetResults posted as 1177 from loopback without the platform's client certificate, or with
    another certificate of the same CA, gets a Client fault and no results."""
    body = (
        f'<r:GetResults xmlns:r="urn:riv:clinicalprocess:activity:selfsampling:GetResultsResponder:1" xmlns:c="{CORE_NS}">'
        f'<r:patientId><c:id>{patient()["id"]}</c:id><c:type>1.2.752.129.2.1.3.1</c:type></r:patientId>'
        "</r:GetResults>"
    )
    path = "/eph/clinicalprocess/activity/selfsampling/GetResults/1/rivtabp21"
    status, _, data = post(service, soap_envelope(body), consumer=demo.CITIZEN_SERVICE, path=path, tls=_no_certificate())
    assert status == 500
    code, text = fault_of(data)
    assert code == "Client"
    assert "not an authenticated service platform" in text
    # a certificate of the same CA that is not the platform's is refused too
    lab = session_pki().issue(f"lab-{uuid.uuid4().hex[:6]}", "a lab system", serial_number=demo.LAB_A, client=True)
    ctx = _no_certificate()
    ctx.load_cert_chain(str(lab.cert), str(lab.key))
    status, _, data = post(service, soap_envelope(body), consumer=demo.CITIZEN_SERVICE, path=path, tls=ctx)
    assert status == 500
    assert "not an authenticated service platform" in fault_of(data)[1]


def test_a_certificate_of_another_ca_fails_the_handshake(service: ServiceProcess, tmp_path: Path) -> None:
    from eph.devpki import DevPki

    stranger = DevPki(tmp_path / "stranger")
    stranger.ensure()
    ctx = _no_certificate()
    ctx.load_cert_chain(str(stranger.platform.cert), str(stranger.platform.key))  # the same SERIALNUMBER
    with pytest.raises((ssl.SSLError, ConnectionError)):
        post(service, soap_envelope(get_orders_body()), tls=ctx)


def _showing(folder: Path, **issue: Any) -> ssl.SSLContext:
    """A client TLS context showing a certificate the service's CA issued with the platform's
    SERIALNUMBER, made as ``issue`` says."""
    pki = session_pki()
    issued = CertificateAuthority.load(folder, pki.ca.cert, pki.ca.key).issue(
        "client", "posing as the platform", serial_number=PLATFORM_HSA_ID, **issue)
    ctx = _no_certificate()
    ctx.load_cert_chain(str(issued.cert), str(issued.key))
    return ctx


def test_a_ca_certificate_is_refused_as_a_client_certificate(service: ServiceProcess, tmp_path: Path) -> None:
    """The handshake lets a CA certificate of the service's CA through; the rule refuses it."""
    status, _, data = post(service, soap_envelope(get_orders_body()), tls=_showing(tmp_path, ca=True))
    assert status == 500
    code, text = fault_of(data)
    assert code == "Client"
    assert text.startswith(f"the client certificate was refused: {REASONS['ca']} (logId ")


def test_a_certificate_whose_key_cannot_sign_is_refused(service: ServiceProcess, tmp_path: Path) -> None:
    """Key agreement only passes the handshake's purpose check; the rule asks for signatures."""
    pki = CertificateAuthority.load(tmp_path / "usage", session_pki().ca.cert, session_pki().ca.key)
    usage = pki.key_usage(digital_signature=False, key_agreement=True)
    status, _, data = post(service, soap_envelope(get_orders_body()), tls=_showing(tmp_path, key_usage=usage))
    assert status == 500
    code, text = fault_of(data)
    assert code == "Client"
    assert text.startswith(f"the client certificate was refused: {REASONS['key-usage']} (logId ")


@pytest.mark.parametrize("issue", [{"valid_days": (-30, -1)}, {"valid_days": (1, 30)}, {"server": True}],
                         ids=["expired", "not yet valid", "server certificate"])
def test_out_of_date_and_server_certificates_fail_the_handshake(service: ServiceProcess, tmp_path: Path,
                                                                issue: dict[str, Any]) -> None:
    """These never reach the service: OpenSSL refuses them (the rule would too)."""
    with pytest.raises((ssl.SSLError, ConnectionError)):
        post(service, soap_envelope(get_orders_body()), tls=_showing(tmp_path, **issue))


def test_plain_http_gets_no_answer(service: ServiceProcess) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=10)
    headers = {"Content-Type": "text/xml", "x-rivta-original-serviceconsumer-hsaid": demo.LAB_A}
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        conn.request("POST", PATH, body=soap_envelope(get_orders_body()), headers=headers)
        conn.getresponse()
