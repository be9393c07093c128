"""What operators and callers see when something is wrong: faults that tell the caller's mistake
from the service's trouble (through the platform too), a database outage, the JSON log lines
that follow one call across both servers, and the metrics."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from lxml import etree
from sqlalchemy import select

from contracts.interactions import GET_ORDERS, GET_RESULTS
from contracts.ns import CORE_NS, SOAP11_ENV_NS
from eph import demo
from service_domain import paging
from service_domain.persistence.database import Database
from service_domain.persistence.tables import service_setting
from service_domain.ports import OrderQuery
from tests.support import PlatformProcess, ServiceProcess, patient, platform_session, soap_envelope

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

G = GET_ORDERS.responder_ns


def get_orders(inner: str = "") -> bytes:
    return soap_envelope(
        f'<g:GetOrders xmlns:g="{G}"><g:performingLabHSAId>{demo.LAB_A}</g:performingLabHSAId>{inner}</g:GetOrders>'
    )


def routed(platform: PlatformProcess, body: bytes, *, sender: str = demo.LAB_A, content_type: str = "text/xml",
           correlation_id: str | None = None) -> requests.Response:
    headers = {"Content-Type": f"{content_type}; charset=utf-8", "x-vp-sender-id": sender,
               "x-vp-instance-id": platform.instance_id}
    if correlation_id:
        headers["x-skltp-correlation-id"] = correlation_id
    return requests.post(f"{platform.base_url}/vp{GET_ORDERS.path}", data=body, headers=headers, timeout=60)


def fault(r: requests.Response) -> tuple[str, str, str | None]:
    root = etree.fromstring(r.content)
    f = root.find(f"{{{SOAP11_ENV_NS}}}Body/{{{SOAP11_ENV_NS}}}Fault")
    assert f is not None, r.content[:300]
    return f.findtext("faultcode") or "", f.findtext("faultstring") or "", f.findtext(f"detail/{{{CORE_NS}}}logId")


# ------------------------------------------------------------------ the caller's mistakes, routed


@SQLITE
def test_a_large_body_is_the_callers_mistake_through_the_platform(demo_platform: PlatformProcess) -> None:
    """Between the service's 1 MiB and the platform's 10 MiB: once VP009, "retry later"."""
    pad = "<x:pad xmlns:x='urn:pad'>" + "a" * (2 * 1024 * 1024) + "</x:pad>"
    r = routed(demo_platform, get_orders(pad))
    code, text, log_id = fault(r)
    assert (r.status_code, code) == (500, "soap:Client")
    assert "at most" in text
    assert log_id


@SQLITE
def test_a_wrong_content_type_is_the_callers_mistake_through_the_platform(demo_platform: PlatformProcess) -> None:
    r = routed(demo_platform, get_orders(), content_type="application/json")
    code, text, log_id = fault(r)
    assert code == "soap:Client"
    assert "text/xml" in text
    assert log_id


@SQLITE
def test_a_body_before_the_header_is_the_callers_mistake_through_the_platform(demo_platform: PlatformProcess) -> None:
    shapes = [
        f"<s:Envelope xmlns:s='{SOAP11_ENV_NS}'><s:Body/><s:Header/></s:Envelope>".encode(),
        get_orders().replace(b"</soap:Body>", b"</soap:Body><soap:Body/>"),
    ]
    for body in shapes:
        r = routed(demo_platform, body)
        code, text, _ = fault(r)
        assert code == "soap:Client", text
        assert not text.startswith("VP009")


# ------------------------------------------------------------------ continuation tokens


@SQLITE
def test_a_token_out_of_range_is_a_client_fault(service: ServiceProcess, database_url: str) -> None:
    """A token this service could never have issued (position 2^64-1) once gave a Server fault."""
    db = Database(database_url)
    try:
        with db.engine.connect() as conn:
            key = bytes.fromhex(conn.execute(select(service_setting.c.value).where(
                service_setting.c.name == "paging_key")).scalar_one())
    finally:
        db.dispose()
    query = OrderQuery(performing_lab=demo.LAB_A, care_givers=frozenset({demo.CARE_GIVER_A.upper()}))
    token = paging.encode(2**64 - 1, paging.query_digest(key, query))
    with platform_session() as s:
        r = s.post(service.base_url + GET_ORDERS.url_path, data=get_orders(f"<g:continuationToken>{token}</g:continuationToken>"),
                   headers={"Content-Type": "text/xml", "x-rivta-original-serviceconsumer-hsaid": demo.LAB_A}, timeout=30)
    code, text, _ = fault(r)
    assert code == "soap:Client"
    assert "continuationToken" in text
    # the same query's genuine first page works
    with platform_session() as s:
        r = s.post(service.base_url + GET_ORDERS.url_path, data=get_orders(),
                   headers={"Content-Type": "text/xml", "x-rivta-original-serviceconsumer-hsaid": demo.LAB_A}, timeout=30)
    assert r.status_code == 200


# ------------------------------------------------------------------ a database outage


@pytest.fixture(scope="module")
def service_without_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """The service with its PostgreSQL server unreachable (nothing listens on the port)."""
    proc = ServiceProcess("postgresql+psycopg://postgres@127.0.0.1:9/eph",
                          Path(tmp_path_factory.mktemp("outage")) / "service.log").start()
    yield proc
    proc.stop()


def test_a_database_outage_says_temporarily_unavailable(service_without_database: ServiceProcess) -> None:
    path = GET_RESULTS.url_path
    body = soap_envelope(
        f'<r:GetResults xmlns:r="{GET_RESULTS.responder_ns}" xmlns:c="{CORE_NS}"><r:patientId>'
        f'<c:id>{patient()["id"]}</c:id><c:type>1.2.752.129.2.1.3.1</c:type></r:patientId></r:GetResults>'
    )
    with platform_session() as s:
        for url, data in ((service_without_database.base_url + path, body),
                          (service_without_database.base_url + GET_ORDERS.url_path, get_orders())):
            r = s.post(url, data=data, timeout=30, headers={
                "Content-Type": "text/xml", "x-rivta-original-serviceconsumer-hsaid": demo.CITIZEN_SERVICE})
            code, text, log_id = fault(r)
            assert code == "soap:Server"
            assert "temporarily unavailable" in text
            assert log_id
    log = service_without_database.log_text()
    assert "storage unavailable" in log
    assert '"level":"ERROR"' not in log


# ------------------------------------------------------------------ logs and metrics


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@SQLITE
def test_one_call_can_be_followed_across_both_servers(demo_platform: PlatformProcess, service: ServiceProcess) -> None:
    correlation_id = str(uuid.uuid4())
    r = routed(demo_platform, get_orders(), correlation_id=correlation_id)
    assert r.status_code == 200
    assert r.headers["x-skltp-correlation-id"] == correlation_id
    log_id = r.headers["X-EPH-LogId"]
    service_lines = _json_lines(service.log_text())  # every line is JSON
    mine = [line for line in service_lines if line.get("correlationId") == correlation_id]
    assert len(mine) == 1
    assert mine[0]["logId"] == log_id
    assert mine[0]["interaction"] == "GetOrders"
    assert mine[0]["consumer"] == demo.LAB_A
    assert mine[0]["outcome"] == "OK"
    platform_lines = _json_lines(demo_platform.log_text())
    assert [line for line in platform_lines if line.get("correlationId") == correlation_id]


def _counter(metrics: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in metrics.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.index("}")]))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


@SQLITE
def test_metrics_count_the_calls_of_every_worker(service: ServiceProcess) -> None:
    with platform_session() as s:
        def calls() -> float:
            page = s.get(service.base_url + "/metrics", timeout=10).text
            return _counter(page, "eph_service_calls_total", interaction="GetOrders", outcome="OK")

        before = calls()
        for _ in range(20):
            # a new connection per call, so both workers answer some
            with platform_session() as one:
                r = one.post(service.base_url + GET_ORDERS.url_path, data=get_orders(), timeout=30, headers={
                    "Content-Type": "text/xml", "x-rivta-original-serviceconsumer-hsaid": demo.LAB_A})
                assert r.status_code == 200
        assert calls() - before == 20
        page = s.get(service.base_url + "/metrics", timeout=10).text
    assert 'eph_service_call_seconds_bucket{interaction="GetOrders",le="0.1"}' in page
