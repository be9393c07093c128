"""The router over real HTTP: every VP code, producer failures, headers, operations."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from lxml import etree

from routing import store
from routing.catalogue import Catalogue
from routing.faults import VP_CODES
from tests.certs import CertificateAuthority
from tests.fake_producer import FAULT_RESPONSE, OK_RESPONSE, FakeProducer
from tests.platform.conftest import ADDRESS, SENDER, contract, routed
from tests.support import SOAP11_ENV_NS, PlatformProcess, free_port, soap_envelope

SOAP = SOAP11_ENV_NS
INSTANCE = PlatformProcess.instance_id  # every platform the tests start has this instance id


def body_for(name: str, address: str | None = ADDRESS, *, wsa: bool = False, extra: str = "") -> bytes:
    if address is None:
        header = ""
    elif wsa:
        header = f'<wsa:To xmlns:wsa="http://www.w3.org/2005/08/addressing">{address}</wsa:To>'
    else:
        header = f'<la:LogicalAddress xmlns:la="urn:riv:itintegration:registry:1">{address}</la:LogicalAddress>'
    return soap_envelope(f'<r:{name} xmlns:r="{contract(name)}"><r:q>ABCD1234</r:q>{extra}</r:{name}>', header=header)


def call(platform: PlatformProcess, data: bytes, *, sender: str | None = SENDER, instance: str | None = "same",
         headers: dict[str, str] | None = None, timeout: float = 30) -> requests.Response:
    h = {"Content-Type": "text/xml; charset=utf-8"}
    if sender is not None:
        h["x-vp-sender-id"] = sender
    if instance is not None:
        h["x-vp-instance-id"] = platform.instance_id if instance == "same" else instance
    h.update(headers or {})
    return requests.post(platform.base_url + "/vp/test/Contract/1/rivtabp21", data=data, headers=h, timeout=timeout)


def vp_fault(r: requests.Response) -> tuple[str, str, str]:
    assert r.status_code == 500, r.text[:300]
    assert r.headers["Content-Type"] == "text/xml; charset=UTF-8"
    assert r.headers["x-skltp-correlation-id"]
    assert "x-skltp-prt" in r.headers
    fault = etree.fromstring(r.content).find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert fault is not None
    (detail,) = fault.find("detail")  # one detailString element, in no namespace, as the national platform writes
    assert detail.tag == "detailString"
    return fault.findtext("faultcode") or "", fault.findtext("faultstring") or "", detail.text or ""


def assert_vp(r: requests.Response, code: str, fault_code: str, *detail_has: str) -> None:
    faultcode, text, detail = vp_fault(r)
    assert faultcode == f"soap:{fault_code}"
    assert text == f"{code} [{INSTANCE}] {VP_CODES[code][1]}", text  # the national platform's message for the code
    for fragment in detail_has:
        assert fragment in detail, detail
    assert "ABCD1234" not in text + detail  # never message content


@pytest.fixture(scope="module")
def catalogue(producer: FakeProducer, install: Callable[[Catalogue], None]) -> Catalogue:
    u = producer.url
    cat = store.empty()
    for name, path in (("Ping", "/ok"), ("Slow", "/slow"), ("Timeout", "/slow"), ("Empty", "/empty"),
                       ("Html", "/html500"), ("Fault", "/fault500"), ("NotFound", "/notfound")):
        cat = routed(cat, name, u + path)
    cat = routed(cat, "Bp20", u + "/ok", profile="RIVTABP20")
    cat = routed(cat, "Future", u + "/ok", profile="RIVTABP30")
    cat = routed(cat, "Refused", f"http://127.0.0.1:{free_port()}/nobody")
    cat = routed(cat, "NoUrl", "     ")
    cat = routed(cat, "Tls", "https://127.0.0.1:9/secure")
    cat = routed(cat, "Unauthorized", u + "/ok", consumer=None)
    cat = routed(cat, "Twice", u + "/ok")
    install(cat)
    return cat


def test_a_call_is_routed_with_the_platform_headers(platform: PlatformProcess, producer: FakeProducer, catalogue: Catalogue) -> None:
    before = len(producer.received)
    r = call(platform, body_for("Ping"), headers={"x-skltp-correlation-id": "corr-1", "X-Forwarded-For": "10.1.1.1",
                                                   "SOAPAction": '"urn:test:Ping"'})
    assert r.status_code == 200
    assert r.content == OK_RESPONSE
    assert r.headers["x-skltp-correlation-id"] == "corr-1"
    assert int(r.headers["x-skltp-prt"]) >= 0
    assert r.headers["X-Producer"] == "fake"  # the producer's own headers come back
    (got,) = producer.received[before:]
    assert got.body == body_for("Ping")  # passed on byte for byte
    h = got.headers
    assert h["x-vp-sender-id"] == SENDER
    assert h["x-vp-instance-id"] == platform.instance_id  # plain-HTTP producer
    assert h["x-rivta-original-serviceconsumer-hsaid"] == SENDER  # absent: set to the sender
    assert h["x-skltp-correlation-id"] == "corr-1"
    assert h["x-rivta-routing-history"] == f"{SENDER}#{platform.instance_id}"
    assert r.headers["x-rivta-routing-history"] == f"{SENDER}#{platform.instance_id}"  # and back to the caller
    assert h["soapaction"] == '"urn:test:Ping"'
    assert "x-forwarded-for" not in h


def test_a_new_correlation_id_when_the_caller_has_none(platform: PlatformProcess, catalogue: Catalogue) -> None:
    r = call(platform, body_for("Ping"))
    uuid.UUID(r.headers["x-skltp-correlation-id"])


def test_vp001_soap12(platform: PlatformProcess, catalogue: Catalogue) -> None:
    data = body_for("Ping").replace(SOAP.encode(), b"http://www.w3.org/2003/05/soap-envelope")
    assert_vp(call(platform, data), "VP001", "Client", "SOAP 1.2")


@pytest.mark.parametrize(
    "sender, instance, headers",
    [
        (None, None, {}),  # nothing at all
        (SENDER, None, {}),  # x-vp-sender-id without the instance id
        (SENDER, "another-platform", {}),  # with someone else's instance id
        (None, None, {"x-vp-auth-cert": "-----BEGIN CERTIFICATE-----bm9wZQ==-----END CERTIFICATE-----"}),
        (SENDER, "another-platform", {"x-vp-auth-cert": "-----BEGIN CERTIFICATE-----bm9wZQ==-----END CERTIFICATE-----"}),
    ],
)
def test_vp002_no_sender(platform: PlatformProcess, catalogue: Catalogue, sender: str | None, instance: str | None,
                         headers: dict[str, str]) -> None:
    assert_vp(call(platform, body_for("Ping"), sender=sender, instance=instance, headers=headers), "VP002", "Client")


def test_x_vp_auth_cert_is_not_believed_from_an_untrusted_caller(platform: PlatformProcess, catalogue: Catalogue,
                                                                  tmp_path: Any) -> None:
    # a valid certificate of the platform's own CA: still only a header any local process can send
    ca = CertificateAuthority(tmp_path)
    pem = ca.issue("lab", "Lab", serial_number=SENDER).pem()
    r = call(platform, body_for("Ping"), sender=None, instance=None, headers={"x-vp-auth-cert": pem.replace("\n", " ")})
    assert_vp(r, "VP002", "Client", "trusted proxies")


def test_vp003_no_logical_address(platform: PlatformProcess, catalogue: Catalogue) -> None:
    _, _, detail = vp_fault(call(platform, body_for("Ping", None)))
    assert detail == "No receiverId (logical address) found in message header."  # as the national platform says
    assert_vp(call(platform, body_for("Ping", "  ")), "VP003", "Client")


def test_vp004_no_routing(platform: PlatformProcess, catalogue: Catalogue) -> None:
    assert_vp(call(platform, body_for("Ping", "SE2321000016-NONE")), "VP004", "Client", contract("Ping"),
              "SE2321000016-NONE")
    assert_vp(call(platform, body_for("Unknown")), "VP004", "Client", contract("Unknown"))
    r = call(platform, body_for("Ping", "SE5565594230 EPH"))
    assert_vp(r, "VP004", "Client", "Whitespace detected")
    _, _, detail = vp_fault(call(platform, body_for("Ping", "SE2321000016-NONE")))
    assert detail == f"No receiverId (logical address) found for serviceNamespace: {contract('Ping')}, " \
                     "receiverId: SE2321000016-NONE"


def test_vp005_producer_profile_not_supported(platform: PlatformProcess, catalogue: Catalogue) -> None:
    assert_vp(call(platform, body_for("Future")), "VP005", "Client", "RIVTABP30")


def test_vp006_two_routings_match(platform: PlatformProcess, install: Any, producer: FakeProducer,
                                  catalogue: Catalogue) -> None:
    # a published version may hold two routings for one key (older than TAK's overlap rule): it
    # loads, and the key is answered VP006 when called
    install(routed(catalogue, "Twice", producer.url + "/ok"))
    try:
        assert platform.status()["catalogue"]["routings"] == len(catalogue.routings) + 1
        assert_vp(call(platform, body_for("Twice")), "VP006", "Server", contract("Twice"), ADDRESS)
        assert call(platform, body_for("Ping")).status_code == 200  # the rest of the catalogue routes
    finally:
        install(catalogue)


def test_vp007_not_authorized(platform: PlatformProcess, catalogue: Catalogue) -> None:
    assert_vp(call(platform, body_for("Unauthorized")), "VP007", "Server", SENDER, contract("Unauthorized"), ADDRESS)
    assert_vp(call(platform, body_for("Ping"), sender="SE2321000016-PT01"), "VP007", "Server", "SE2321000016-PT01")


def test_vp009_refused_after_one_retry(platform: PlatformProcess, catalogue: Catalogue) -> None:
    started = time.monotonic()
    r = call(platform, body_for("Refused"))
    assert_vp(r, "VP009", "Server", "Error connecting to service producer at address", "ClientConnectorError")
    assert 2.0 <= time.monotonic() - started < 4  # it paused 2 s, as the national platform does, and tried again


def test_a_producer_that_comes_up_in_time_is_reached_by_the_retry(platform: PlatformProcess, install: Any,
                                                                    catalogue: Catalogue) -> None:
    late = FakeProducer()
    install(routed(catalogue, "Late", late.url + "/ok"))
    starter = threading.Thread(target=lambda: late.start(delay=0.5))
    try:
        starter.start()
        time.sleep(0.05)  # the listener is not up yet: the first attempt is refused
        r = call(platform, body_for("Late"))
        assert r.status_code == 200
        assert r.content == OK_RESPONSE
        assert len(late.received) == 1
    finally:
        starter.join()
        late.stop()
        install(catalogue)


def test_vp009_timeout(platform: PlatformProcess, catalogue: Catalogue) -> None:
    started = time.monotonic()
    assert_vp(call(platform, body_for("Timeout")), "VP009", "Server", "Timeout when waiting on response from producer")
    assert 0.9 <= time.monotonic() - started < 2.9  # the contract's own timeout (1 s), not the producer's 3 s


def test_vp009_connect_timeout_says_nothing_was_sent(platform: PlatformProcess, catalogue: Catalogue,
                                                       install: Callable[[Catalogue], None]) -> None:
    """A producer whose listener never completes a connection (its queue of connections waiting
    to be accepted is full, as a saturated server's is): the platform's connect timeout, tried
    twice, tells the caller the call never reached the producer, not that it timed out waiting."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)  # and never accepts
    fillers = []
    for _ in range(4):  # fill the queue: later connection attempts hang
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(listener.getsockname())
        fillers.append(s)
    install(routed(catalogue, "Stuck", f"http://127.0.0.1:{listener.getsockname()[1]}/stuck"))
    try:
        r = call(platform, body_for("Stuck"))
        assert_vp(r, "VP009", "Server", "Timeout when connecting to producer", "nothing was sent to it")
        assert "waiting on response" not in vp_fault(r)[2]
    finally:
        install(catalogue)
        for s in fillers:
            s.close()
        listener.close()


@pytest.mark.parametrize("name, why", [("Empty", "empty reply"), ("Html", "HTTP 500 without a SOAP fault"),
                                       ("NotFound", "VP_PRODUCER_EXCEPTION_HTTP_STATUS=404")])
def test_vp009_bad_replies(platform: PlatformProcess, catalogue: Catalogue, name: str, why: str) -> None:
    assert_vp(call(platform, body_for(name)), "VP009", "Server", why)


def test_a_producer_soap_fault_passes_through_unchanged(platform: PlatformProcess, catalogue: Catalogue) -> None:
    r = call(platform, body_for("Fault"))
    assert r.status_code == 500
    assert r.content == FAULT_RESPONSE


def test_a_slow_producer_does_not_hold_up_the_others(platform: PlatformProcess, catalogue: Catalogue) -> None:
    slow: dict[str, Any] = {}

    def call_slow() -> None:
        t = time.monotonic()
        slow["response"] = call(platform, body_for("Slow"))
        slow["seconds"] = time.monotonic() - t

    threads = [threading.Thread(target=call_slow) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    fast = []
    for _ in range(20):
        t = time.monotonic()
        assert call(platform, body_for("Ping")).status_code == 200
        fast.append(time.monotonic() - t)
    for t in threads:
        t.join()
    assert slow["response"].status_code == 200
    assert slow["seconds"] >= 2.9
    assert max(fast) < 1.0, fast  # answered while three slow calls were pending (one worker)


def test_vp010_call_address_without_url(platform: PlatformProcess, catalogue: Catalogue) -> None:
    assert_vp(call(platform, body_for("NoUrl")), "VP010", "Server", contract("NoUrl"))


def test_vp012_https_producer_without_a_platform_certificate(platform: PlatformProcess, catalogue: Catalogue) -> None:
    assert_vp(call(platform, body_for("Tls")), "VP012", "Server", "EPH_VP_PRODUCER_CERT")


def test_vp013_and_allowed_original_consumers(platform: PlatformProcess, producer: FakeProducer, install: Any,
                                              catalogue: Catalogue) -> None:
    original = {"x-rivta-original-serviceconsumer-hsaid": "SE2321000016-X1"}
    assert_vp(call(platform, body_for("Ping"), headers=original), "VP013", "Client",
              "Sender is not approved to set header x-rivta-original-serviceconsumer-hsaid.", SENDER)
    install(routed(catalogue, "Ping", producer.url + "/ok", consumer="SE5565594230-1177", address="SE5565594230-EPH2"))
    try:
        before = len(producer.received)
        r = call(platform, body_for("Ping", "SE5565594230-EPH2"), sender="SE5565594230-1177", headers=original)
        assert r.status_code == 200
        assert producer.received[before].headers["x-rivta-original-serviceconsumer-hsaid"] == "SE2321000016-X1"
    finally:
        install(catalogue)


def test_a_request_too_large_for_the_platform(platform: PlatformProcess, catalogue: Catalogue) -> None:
    big = body_for("Ping", extra="<x:pad xmlns:x='urn:pad'>" + "a" * (10 * 1024 * 1024 + 1) + "</x:pad>")
    r = call(platform, big, headers={"x-skltp-correlation-id": "too-big-1"})
    assert_vp(r, "VP015", "Client", "larger than the platform accepts")
    assert r.headers["x-skltp-correlation-id"] == "too-big-1"
    time.sleep(0.2)
    assert '"correlationId":"too-big-1"' in platform.log_text()


def test_original_consumer_not_enforced_uses_the_sender(platform_db: str, producer: FakeProducer, tmp_path: Any,
                                                        catalogue: Catalogue) -> None:
    lenient = PlatformProcess(platform_db, tmp_path / "lenient")
    lenient.start(EPH_VP_STRICT_ORIGINAL_CONSUMER="false")
    try:
        before = len(producer.received)
        r = call(lenient, body_for("Ping"), headers={"x-rivta-original-serviceconsumer-hsaid": "SE2321000016-EHR1"})
        assert r.status_code == 200  # the call goes through...
        # ...but as the sender: it cannot pose as another system
        assert producer.received[before].headers["x-rivta-original-serviceconsumer-hsaid"] == SENDER
        time.sleep(0.2)
        assert "VP013 (not enforced)" in lenient.log_text()
    finally:
        lenient.stop()


@pytest.mark.parametrize("history", ["{own}", "SE2321000016-PT01#{own}", "ntjp-test#{own}", "{own}#ntjp-test",
                                     "SE2321000016-PT01#ntjp-test# {own} #rtjp"])
def test_vp014_this_platform_anywhere_in_the_routing_history(platform: PlatformProcess, producer: FakeProducer,
                                                            catalogue: Catalogue, history: str) -> None:
    before = len(producer.received)
    looped = {"x-rivta-routing-history": history.format(own=platform.instance_id)}
    r = call(platform, body_for("Ping"), headers=looped)
    assert_vp(r, "VP014", "Server", platform.instance_id)
    assert len(producer.received) == before  # nothing reached the producer


def test_the_routing_history_is_passed_on_in_the_national_form(platform: PlatformProcess, producer: FakeProducer,
                                                               catalogue: Catalogue) -> None:
    before = len(producer.received)
    r = call(platform, body_for("Ping"), headers={"x-rivta-routing-history": "SE2321000016-PT01#ntjp-test"})
    assert r.status_code == 200
    expected = f"SE2321000016-PT01#ntjp-test#{platform.instance_id}"
    assert producer.received[before].headers["x-rivta-routing-history"] == expected
    assert r.headers["x-rivta-routing-history"] == expected
    # an instance id that only contains this platform's is another platform
    r = call(platform, body_for("Ping"), headers={"x-rivta-routing-history": f"x#{platform.instance_id}-2"})
    assert r.status_code == 200


def test_the_logical_address_header_in_any_namespace(platform: PlatformProcess, producer: FakeProducer,
                                                     catalogue: Catalogue) -> None:
    for ns in ("urn:riv:infrastructure:itintegration:registry:2", "urn:example:whatever:1"):
        header = f'<r:LogicalAddress xmlns:r="{ns}">{ADDRESS}</r:LogicalAddress>'
        data = soap_envelope(f'<r:Ping xmlns:r="{contract("Ping")}"/>', header=header)
        before = len(producer.received)
        assert call(platform, data).status_code == 200, ns
        assert producer.received[before].body == data  # passed on as it came


@pytest.mark.parametrize("data", [b"garbage", b"<a/>", body_for("Ping").replace(b"?>", b"?><!DOCTYPE a>", 1)])
def test_vp015_unreadable(platform: PlatformProcess, catalogue: Catalogue, data: bytes) -> None:
    assert_vp(call(platform, data), "VP015", "Client")


def test_bp21_call_to_a_bp20_producer_is_rewritten(platform: PlatformProcess, producer: FakeProducer,
                                                    catalogue: Catalogue) -> None:
    before = len(producer.received)
    assert call(platform, body_for("Bp20")).status_code == 200
    got = producer.received[before].body
    assert b"http://www.w3.org/2005/08/addressing" in got
    assert b"LogicalAddress" not in got
    assert b"ABCD1234" in got


def test_bp20_call_to_a_bp21_producer_is_rewritten(platform: PlatformProcess, producer: FakeProducer,
                                                    catalogue: Catalogue) -> None:
    before = len(producer.received)
    assert call(platform, body_for("Ping", wsa=True)).status_code == 200
    got = producer.received[before].body
    assert b"urn:riv:itintegration:registry:1" in got
    assert b"LogicalAddress" in got
    assert b"addressing" not in got


def test_status(platform: PlatformProcess, catalogue: Catalogue) -> None:
    s = platform.status()
    assert s["instanceId"] == platform.instance_id
    assert s["uptimeSeconds"] >= 0
    assert s["version"]
    c = s["catalogue"]
    assert c["state"] == "loaded"
    assert c["source"] == "database"
    assert c["routings"] == len(catalogue.routings)
    assert c["authorizations"] == len(catalogue.authorizations)
    assert c["loadedAt"]


def test_one_json_log_line_per_call_without_the_message(platform: PlatformProcess, catalogue: Catalogue) -> None:
    correlation = str(uuid.uuid4())
    call(platform, body_for("Unauthorized"), headers={"x-skltp-correlation-id": correlation})
    time.sleep(0.2)
    lines = [json.loads(line) for line in platform.log_text().splitlines() if correlation in line]
    assert len(lines) == 1
    (line,) = lines
    assert line["vpCode"] == "VP007"
    assert line["httpStatus"] == 500
    assert line["sender"] == SENDER
    assert line["contract"] == contract("Unauthorized")
    assert line["receiver"] == ADDRESS
    assert {"originalConsumer", "producerUrl", "totalMs", "producerMs", "time"} <= set(line)
    assert "ABCD1234" not in platform.log_text()


def test_plain_http_refused_off_the_allow_list(platform_db: str, tmp_path: Any, catalogue: Catalogue) -> None:
    other = PlatformProcess(platform_db, tmp_path / "closed")
    other.start(EPH_VP_HTTP_ALLOW="10.0.0.0/8")
    try:
        assert_vp(call(other, body_for("Ping")), "VP011", "Client", "127.0.0.1")
    finally:
        other.stop()
