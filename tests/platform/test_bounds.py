"""Who the platform believes, and the bounds on what it takes in, passes on, echoes and logs; its metrics."""

from __future__ import annotations

import json
import socket
import string
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from routing import store
from routing.catalogue import Catalogue
from routing.redact import MAX_CORRELATION_ID
from tests.certs import CertificateAuthority
from tests.fake_producer import OK_RESPONSE, FakeProducer
from tests.platform.conftest import SENDER, contract, routed
from tests.platform.test_router import assert_vp, body_for, call, vp_fault
from tests.support import PlatformProcess, person_number, soap_envelope

PERSON = "191212121212"
COORDINATION = person_number(date(1990, 5, 17), 123, samordning=True)


def log_lines(platform: PlatformProcess, correlation_id: str) -> list[str]:
    time.sleep(0.2)
    return [line for line in platform.log_text().splitlines() if correlation_id in line]


def call_line(platform: PlatformProcess, correlation_id: str) -> dict[str, object]:
    """The call log's record of one call (its JSON line)."""
    records = [json.loads(line) for line in log_lines(platform, correlation_id) if line.startswith("{")]
    (record,) = [r for r in records if r.get("correlationId") == correlation_id]
    return dict(record)


@pytest.fixture(scope="module")
def catalogue(producer: FakeProducer, install: Callable[[Catalogue], None]) -> Catalogue:
    cat = store.empty()
    for name, path in (("Ping", "/ok"), ("Huge", "/huge"), ("HugeAnnounced", "/huge/length")):
        cat = routed(cat, name, producer.url + path)
    install(cat)
    return cat


# ------------------------------------------------------------------ x-vp-auth-cert from trusted proxies


@pytest.fixture(scope="module")
def behind_proxy(platform_db: str, catalogue: Catalogue,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PlatformProcess, CertificateAuthority]]:
    folder = Path(tmp_path_factory.mktemp("proxied"))
    ca = CertificateAuthority(folder / "ca")
    p = PlatformProcess(platform_db, folder / "p")
    # the tests' own address is the proxy; it is not on the plain-HTTP allow-list
    p.start(EPH_VP_TRUSTED_PROXIES="127.0.0.1/32", EPH_VP_TLS_CA=str(ca.path), EPH_VP_HTTP_ALLOW="10.9.9.9/32")
    yield p, ca
    p.stop()


def test_a_trusted_proxy_passes_on_a_verified_certificate(behind_proxy: tuple[PlatformProcess, CertificateAuthority],
                                                          producer: FakeProducer) -> None:
    p, ca = behind_proxy
    pem = ca.issue("lab", "Lab system", serial_number=SENDER).pem()
    before = len(producer.received)
    r = call(p, body_for("Ping"), sender=None, instance=None, headers={"x-vp-auth-cert": pem.replace("\n", " ")})
    assert r.status_code == 200
    assert r.content == OK_RESPONSE
    assert producer.received[before].headers["x-vp-sender-id"] == SENDER
    assert "x-vp-auth-cert" not in producer.received[before].headers
    # without a certificate the proxy is no caller of its own: x-vp-sender-id counts only on the allow-list
    assert_vp(call(p, body_for("Ping")), "VP002", "Client")


@pytest.mark.parametrize("kind", ["expired", "self-signed", "server certificate", "stranger's CA", "no signing"])
def test_a_trusted_proxy_cannot_pass_on_a_bad_certificate(behind_proxy: tuple[PlatformProcess, CertificateAuthority],
                                                          tmp_path: Path, kind: str) -> None:
    p, ca = behind_proxy
    make = {
        "expired": lambda: ca.issue("old", "Lab", serial_number="SE5565594230-1177", valid_days=(-30, -1)),
        "self-signed": lambda: ca.issue("self", "Lab", serial_number="SE5565594230-1177", self_signed=True),
        "server certificate": lambda: ca.issue("srv", "Lab", serial_number="SE5565594230-1177", server=True),
        "stranger's CA": lambda: CertificateAuthority(tmp_path, "Other CA").issue("x", "Lab", serial_number="SE1-X"),
        "no signing": lambda: ca.issue("enc", "Lab", serial_number="SE1-X", key_usage=ca.key_usage(digital_signature=False)),
    }
    r = call(p, body_for("Ping"), sender=None, instance=None, headers={"x-vp-auth-cert": make[kind]().pem().replace("\n", " ")})
    assert_vp(r, "VP002", "Client", "The certificate in x-vp-auth-cert was refused")


@pytest.fixture(scope="module")
def proxy_on_the_allow_list(platform_db: str, catalogue: Catalogue,
                            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PlatformProcess, CertificateAuthority]]:
    folder = Path(tmp_path_factory.mktemp("proxied-on-loopback"))
    ca = CertificateAuthority(folder / "ca")
    p = PlatformProcess(platform_db, folder / "p")
    # the tests' own address is the proxy, and it is also on the plain-HTTP allow-list (loopback, the default)
    p.start(EPH_VP_TRUSTED_PROXIES="127.0.0.1/32", EPH_VP_TLS_CA=str(ca.path))
    yield p, ca
    p.stop()


def test_x_vp_sender_id_from_a_trusted_proxy_is_refused_though_it_is_on_the_allow_list(
        proxy_on_the_allow_list: tuple[PlatformProcess, CertificateAuthority], producer: FakeProducer) -> None:
    p, _ = proxy_on_the_allow_list
    before = len(producer.received)
    r = call(p, body_for("Ping"))  # x-vp-sender-id and this platform's x-vp-instance-id
    assert_vp(r, "VP002", "Client", "x-vp-sender-id")
    assert len(producer.received) == before


def test_a_verified_certificate_from_a_trusted_proxy_on_the_allow_list_identifies_the_caller(
        proxy_on_the_allow_list: tuple[PlatformProcess, CertificateAuthority], producer: FakeProducer) -> None:
    p, ca = proxy_on_the_allow_list
    pem = ca.issue("lab", "Lab system", serial_number=SENDER).pem()
    before = len(producer.received)
    # the certificate decides, not an x-vp-sender-id alongside it
    r = call(p, body_for("Ping"), sender="SE2321000016-OTHER", headers={"x-vp-auth-cert": pem.replace("\n", " ")})
    assert r.status_code == 200
    assert producer.received[before].headers["x-vp-sender-id"] == SENDER


# ------------------------------------------------------------------ what is taken in and passed on


def test_a_caller_that_leaves_mid_upload_is_no_platform_failure(platform: PlatformProcess, catalogue: Catalogue) -> None:
    correlation = f"gone-{uuid.uuid4()}"
    logged_before = len(platform.log_text())
    head = (f"POST /vp/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: 500000\r\n"
            f"x-vp-sender-id: {SENDER}\r\nx-vp-instance-id: {platform.instance_id}\r\n"
            f"x-skltp-correlation-id: {correlation}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", platform.port)) as s:
        s.sendall(head + body_for("Ping")[:300])
        time.sleep(0.3)
    time.sleep(0.5)
    record = call_line(platform, correlation)
    assert record["vpCode"] is None
    assert record["httpStatus"] == 499
    assert "ERROR" not in platform.log_text()[logged_before:]
    assert call(platform, body_for("Ping")).status_code == 200


@pytest.mark.parametrize("name", ["Huge", "HugeAnnounced"])
def test_a_producer_answer_above_the_limit_is_cut_off(platform: PlatformProcess, producer: FakeProducer,
                                                      catalogue: Catalogue, name: str) -> None:
    correlation = f"huge-{uuid.uuid4()}"
    started = time.monotonic()
    r = call(platform, body_for(name), headers={"x-skltp-correlation-id": correlation}, timeout=60)
    assert_vp(r, "VP009", "Server", f"larger than the platform passes on ({10 * 1024 * 1024} bytes)")
    assert time.monotonic() - started < 10
    time.sleep(0.5)
    assert producer.huge_bytes_sent < 40 * 1024 * 1024  # read no further than the limit (and what was in flight)
    assert any("cut off" in line for line in log_lines(platform, correlation))


def test_the_platform_stays_small_while_cutting_off_answers(platform: PlatformProcess, catalogue: Catalogue) -> None:
    def rss_mb() -> float:
        total = 0
        for pid in _worker_pids(platform):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total / 1024

    for _ in range(3):
        assert call(platform, body_for("Huge"), timeout=60).status_code == 500
    assert rss_mb() < 300


def _worker_pids(platform: PlatformProcess) -> list[int]:
    assert platform.proc is not None
    children = Path(f"/proc/{platform.proc.pid}/task/{platform.proc.pid}/children").read_text().split()
    return [int(pid) for pid in children] or [platform.proc.pid]


# ------------------------------------------------------------------ what is echoed and logged


@pytest.mark.parametrize("receiver, shown", [
    ("SE" + "1" * 5 * 1024 * 1024, "(not shown: 5242882 characters)"),
    (PERSON, "(not shown: looks like a personal identity number)"),
    (f"SE2321000016-{PERSON}", "(not shown: looks like a personal identity number)"),
])
def test_the_receiver_is_checked_before_it_is_echoed_or_logged(platform: PlatformProcess, catalogue: Catalogue,
                                                               receiver: str, shown: str) -> None:
    correlation = f"receiver-{uuid.uuid4()}"
    r = call(platform, body_for("Ping", receiver), headers={"x-skltp-correlation-id": correlation}, timeout=60)
    _, text, detail = vp_fault(r)
    assert shown in detail
    assert receiver not in r.text
    assert len(r.content) < 4000
    assert call_line(platform, correlation)["receiver"] == shown
    assert PERSON not in platform.log_text()
    assert "1" * 1000 not in platform.log_text()


def test_the_contract_is_checked_before_it_is_echoed_or_logged(platform: PlatformProcess, catalogue: Catalogue) -> None:
    correlation = f"contract-{uuid.uuid4()}"
    namespace = f"urn:x:{PERSON}:GetResponder:1"
    data = soap_envelope(f'<r:Get xmlns:r="{namespace}"/>',
                         header='<la:LogicalAddress xmlns:la="urn:riv:itintegration:registry:1">SE1-X</la:LogicalAddress>')
    r = call(platform, data, headers={"x-skltp-correlation-id": correlation})
    assert_vp(r, "VP004", "Client", "(not shown: looks like a personal identity number)")
    assert PERSON not in r.text
    assert call_line(platform, correlation)["contract"] == "(not shown: looks like a personal identity number)"


SAFE = string.ascii_letters + string.digits + "-_.:"


def caller_id(length: int) -> str:
    """A correlation id of ``length`` characters of the safe set, each kind of character in it."""
    return (SAFE * (length // len(SAFE) + 1))[:length]


@pytest.mark.parametrize("given", [caller_id(MAX_CORRELATION_ID), "1.3.1", str(uuid.uuid4())],
                         ids=["the longest", "the national test suite's", "a UUID"])
def test_a_correlation_id_of_the_safe_form_is_kept(platform: PlatformProcess, producer: FakeProducer,
                                                  catalogue: Catalogue, given: str) -> None:
    before = len(producer.received)
    r = call(platform, body_for("Ping"), headers={"x-skltp-correlation-id": given})
    assert r.headers["x-skltp-correlation-id"] == given
    assert producer.received[before].headers["x-skltp-correlation-id"] == given
    assert call_line(platform, given)["correlationIdReplaced"] is None


BAD_CORRELATION_IDS = {
    "too long": caller_id(MAX_CORRELATION_ID + 1),
    "far too long": caller_id(7000),
    "a space": "corr 1",
    "markup": "<script>alert(1)</script>",
    "quotes and a comma": 'corr-1","vpCode":null',
    "a personal identity number": PERSON,
    "a personal identity number within": f"order-{PERSON}-1",
    "a coordination number, ten digits": f"corr-{COORDINATION[2:8]}-{COORDINATION[8:]}",
}


@pytest.mark.parametrize("given", BAD_CORRELATION_IDS.values(), ids=BAD_CORRELATION_IDS.keys())
def test_a_correlation_id_too_long_or_of_a_bad_form_is_replaced(platform: PlatformProcess, producer: FakeProducer,
                                                                catalogue: Catalogue, given: str) -> None:
    logged_before = len(platform.log_text())
    before = len(producer.received)
    r = call(platform, body_for("Ping"), headers={"x-skltp-correlation-id": given})
    assert r.status_code == 200
    replaced = r.headers["x-skltp-correlation-id"]
    assert replaced == str(uuid.UUID(replaced))  # a fresh UUID, as when the caller sends none
    assert producer.received[before].headers["x-skltp-correlation-id"] == replaced
    record = call_line(platform, replaced)
    assert record["correlationIdReplaced"]  # the log line says so ...
    assert given not in platform.log_text()[logged_before:]  # ... without echoing it
    assert max(len(line) for line in platform.log_text()[logged_before:].splitlines()) < 1000


def test_a_correlation_id_with_a_personal_identity_number_is_neither_logged_nor_returned(
        platform: PlatformProcess, catalogue: Catalogue) -> None:
    logged_before = len(platform.log_text())
    r = call(platform, body_for("Ping", "SE2321000016-NONE"), headers={"x-skltp-correlation-id": f"corr-{PERSON}"})
    _, text, detail = vp_fault(r)  # a fault (VP004): the headers and the fault too
    assert PERSON not in r.headers["x-skltp-correlation-id"]
    assert PERSON not in text + detail
    assert PERSON not in platform.log_text()[logged_before:]


# ------------------------------------------------------------------ /metrics


def metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


@pytest.fixture(scope="module")
def two_workers(platform_db: str, catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformProcess]:
    p = PlatformProcess(platform_db, Path(tmp_path_factory.mktemp("metrics")))
    p.start(EPH_VP_WORKERS="2")
    yield p
    p.stop()


def test_metrics_count_the_calls_of_every_worker(two_workers: PlatformProcess, producer: FakeProducer) -> None:
    p = two_workers
    deadline = time.monotonic() + 20  # the master listens before it has forked its workers
    while len(_worker_pids(p)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(_worker_pids(p)) == 2
    for _ in range(30):  # new connections, taken by either worker
        with requests.Session() as s:
            assert s.post(p.base_url + "/vp/x", data=body_for("Ping"), timeout=10,
                          headers={"x-vp-sender-id": SENDER, "x-vp-instance-id": p.instance_id}).status_code == 200
    for _ in range(5):
        call(p, body_for("Ping", "SE2321000016-NONE"))  # VP004
        call(p, soap_envelope(f'<r:X xmlns:r="urn:attacker:{uuid.uuid4()}"/>'))  # an unknown contract
    for _ in range(4):  # every scrape, whichever worker answers it, shows every worker's counts
        with requests.Session() as s:
            r = s.get(p.base_url + "/metrics", timeout=10)
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        text = r.text
        ping = contract("Ping")
        assert metric(text, "eph_vp_calls_total", contract=ping, outcome="ok") == 30
        assert metric(text, "eph_vp_calls_total", contract=ping, outcome="vp_fault") == 5
        assert metric(text, "eph_vp_calls_total", contract="other", outcome="vp_fault") == 5
        assert metric(text, "eph_vp_faults_total", code="VP004") == 10
        assert metric(text, "eph_vp_call_seconds_count", contract=ping) == 35
        assert metric(text, "eph_vp_producer_seconds_count", contract=ping) == 30
        assert "urn:attacker" not in text  # no label a caller wrote


def test_metrics_start_afresh_with_the_server(two_workers: PlatformProcess, platform_db: str, tmp_path: Path) -> None:
    p = PlatformProcess(platform_db, tmp_path / "again").start(EPH_VP_WORKERS="2")
    try:
        assert call(p, body_for("Ping")).status_code == 200
        text = requests.get(p.base_url + "/metrics", timeout=10).text
        assert metric(text, "eph_vp_calls_total", contract=contract("Ping"), outcome="ok") == 1
    finally:
        p.stop()


def test_a_metric_page_without_the_multiprocess_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    from eph.metrics import ENV, exposition

    monkeypatch.delenv(ENV, raising=False)
    body, content_type = exposition()
    assert content_type.startswith("text/plain")
    assert isinstance(body, bytes)
