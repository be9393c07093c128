"""Starting without a database, the local copy, reloads, several workers, and TLS."""

from __future__ import annotations

import json
import shutil
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from contracts.certificates import REASONS
from routing import store
from tests.certs import CertificateAuthority
from tests.fake_producer import OK_RESPONSE, FakeProducer
from tests.platform.conftest import SENDER, routed, save
from tests.platform.test_router import assert_vp, body_for, call
from tests.support import PlatformProcess, free_port

UNREACHABLE_DB = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"


def test_vp008_without_database_and_local_copy(tmp_path: Path) -> None:
    p = PlatformProcess(UNREACHABLE_DB, tmp_path / "p").start()
    try:
        assert_vp(call(p, body_for("Ping")), "VP008", "Server")
        assert p.status()["catalogue"]["state"] == "not loaded"
        answer = requests.post(p.base_url + "/reload", timeout=30)
        assert answer.status_code == 503
        assert "database unreachable" in answer.json()["error"]
    finally:
        p.stop()


def test_the_local_copy_is_used_when_the_database_is_unreachable_at_start(
    platform_db: str, producer: FakeProducer, tmp_path: Path
) -> None:
    save(platform_db, routed(store.empty(), "Ping", producer.url + "/ok"))
    first = PlatformProcess(platform_db, tmp_path / "first").start()
    first.stop()
    assert first.local_copy.exists()  # written after the good load
    second = PlatformProcess(UNREACHABLE_DB, tmp_path / "second")
    second.folder.mkdir(parents=True)
    shutil.copy(first.local_copy, second.local_copy)
    second.start()
    try:
        assert call(second, body_for("Ping")).content == OK_RESPONSE
        c = second.status()["catalogue"]
        assert (c["state"], c["source"], c["routings"]) == ("loaded", "local copy", 1)
    finally:
        second.stop()


def test_a_failed_reload_keeps_the_catalogue_in_force(platform_db: str, producer: FakeProducer, tmp_path: Path) -> None:
    db = tmp_path / "breakable.sqlite3"
    shutil.copy(platform_db.removeprefix("sqlite:///"), db)
    url = f"sqlite:///{db}"
    save(url, routed(store.empty(), "Ping", producer.url + "/ok"))
    p = PlatformProcess(url, tmp_path / "p").start()
    try:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE tak_vagval"))  # the database breaks
        engine.dispose()
        answer = requests.post(p.base_url + "/reload", timeout=30)
        assert answer.status_code == 503
        assert answer.json()["reloaded"] is False
        routed_again = call(p, body_for("Ping"))
        assert routed_again.content == OK_RESPONSE, routed_again.text  # the old catalogue still routes
        assert p.status()["catalogue"]["routings"] == 1
    finally:
        p.stop()


def test_a_reload_reaches_every_worker(platform_db: str, producer: FakeProducer, tmp_path: Path) -> None:
    save(platform_db, routed(store.empty(), "Ping", producer.url + "/ok"))
    p = PlatformProcess(platform_db, tmp_path / "two").start(EPH_VP_WORKERS="2")
    try:
        assert all(call(p, body_for("Ping")).status_code == 200 for _ in range(10))
        save(platform_db, routed(store.empty(), "Other", producer.url + "/ok"))  # Ping's routing is gone
        assert p.reload()["reloaded"]
        time.sleep(1.5)  # the other worker follows the local copy within a second
        for _ in range(20):  # connections land on both workers
            with requests.Session() as s:
                r = s.post(p.base_url + "/vp/x", data=body_for("Ping"),
                           headers={"x-vp-sender-id": SENDER, "x-vp-instance-id": p.instance_id})
            assert_vp(r, "VP004", "Client")
    finally:
        p.stop()


@pytest.fixture(scope="module")
def tls_platform(platform_db: str, producer: FakeProducer,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PlatformProcess, int, CertificateAuthority, Path]]:
    folder = Path(tmp_path_factory.mktemp("tls"))
    ca = CertificateAuthority(folder / "ca")
    server = ca.issue("platform", "127.0.0.1", server=True)
    save(platform_db, routed(store.empty(), "Ping", producer.url + "/ok"))
    port = free_port()
    p = PlatformProcess(platform_db, folder / "p")
    p.start(wait_port=port, EPH_VP_TLS_BIND=f"127.0.0.1:{port}", EPH_VP_TLS_CERT=str(server.cert),
            EPH_VP_TLS_KEY=str(server.key), EPH_VP_TLS_CA=str(ca.path))
    yield p, port, ca, folder
    p.stop()


def _tls_call(port: int, ca: CertificateAuthority, cert: tuple[str, str]) -> requests.Response:
    return requests.post(f"https://127.0.0.1:{port}/vp/x", data=body_for("Ping"), cert=cert, verify=str(ca.path),
                         headers={"Content-Type": "text/xml"}, timeout=30)


def test_mtls_sender_from_the_certificates_serialnumber(tls_platform: tuple[PlatformProcess, int, CertificateAuthority, Path],
                                                        producer: FakeProducer) -> None:
    p, port, ca, folder = tls_platform
    lab = ca.issue("lab", "Lab system", serial_number=SENDER)
    before = len(producer.received)
    r = _tls_call(port, ca, (str(lab.cert), str(lab.key)))
    assert r.status_code == 200
    assert r.content == OK_RESPONSE
    got = producer.received[before].headers
    assert got["x-vp-sender-id"] == SENDER
    assert got["x-vp-instance-id"] == p.instance_id


def test_mtls_certificate_without_serialnumber_is_vp002(tls_platform: tuple[PlatformProcess, int, CertificateAuthority, Path]) -> None:
    p, port, ca, folder = tls_platform
    nameless = ca.issue("nameless", "No serial number")
    assert_vp(_tls_call(port, ca, (str(nameless.cert), str(nameless.key))), "VP002", "Client", "SERIALNUMBER")


def test_mtls_header_identities_do_not_count_over_tls(tls_platform: tuple[PlatformProcess, int, CertificateAuthority, Path]) -> None:
    p, port, ca, folder = tls_platform
    nameless = ca.issue("nameless2", "No serial number")
    r = requests.post(f"https://127.0.0.1:{port}/vp/x", data=body_for("Ping"), verify=str(ca.path),
                      cert=(str(nameless.cert), str(nameless.key)),
                      headers={"x-vp-sender-id": SENDER, "x-vp-instance-id": p.instance_id}, timeout=30)
    assert_vp(r, "VP002", "Client")


def test_mtls_untrusted_ca_is_refused_at_the_handshake(tls_platform: tuple[PlatformProcess, int, CertificateAuthority, Path]) -> None:
    p, port, ca, folder = tls_platform
    stranger = CertificateAuthority(folder / "stranger", "Stranger CA").issue("intruder", "x", serial_number=SENDER)
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        _tls_call(port, ca, (str(stranger.cert), str(stranger.key)))
    ctx = ssl.create_default_context(cafile=str(ca.path))  # and without any client certificate
    with pytest.raises((ssl.SSLError, ConnectionError)):
        import socket

        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
                ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(b"POST /vp/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            if not tls.recv(100):
                raise ConnectionError("closed")


# the rule for client certificates (contracts.certificates) on the TLS listener: what the
# handshake lets through (it checks the issuer, validity and the purpose for client use, but
# lets a CA certificate and a key for key agreement only pass) the platform refuses itself


def test_mtls_ca_certificate_is_vp002(tls_platform: tuple[PlatformProcess, int, CertificateAuthority, Path],
                                      producer: FakeProducer) -> None:
    p, port, ca, folder = tls_platform
    intermediate = ca.issue("intermediate", "An intermediate CA", serial_number=SENDER, ca=True)
    before = len(producer.received)
    r = _tls_call(port, ca, (str(intermediate.cert), str(intermediate.key)))
    assert_vp(r, "VP002", "Client", "The client certificate was refused", REASONS["ca"])
    assert len(producer.received) == before


def test_mtls_certificate_whose_key_cannot_sign_is_vp002(
        tls_platform: tuple[PlatformProcess, int, CertificateAuthority, Path], producer: FakeProducer) -> None:
    p, port, ca, folder = tls_platform
    agreement = ca.issue("agreement", "Lab system", serial_number=SENDER,
                         key_usage=ca.key_usage(digital_signature=False, key_agreement=True))
    before = len(producer.received)
    r = _tls_call(port, ca, (str(agreement.cert), str(agreement.key)))
    assert_vp(r, "VP002", "Client", "The client certificate was refused", REASONS["key-usage"])
    assert len(producer.received) == before


@pytest.mark.parametrize("kind", ["expired", "not yet valid", "server certificate"])
def test_mtls_out_of_date_and_server_certificates_fail_the_handshake(
        tls_platform: tuple[PlatformProcess, int, CertificateAuthority, Path], kind: str) -> None:
    """These never reach the platform: OpenSSL refuses them (the rule would too)."""
    p, port, ca, folder = tls_platform
    issued = {
        "expired": lambda: ca.issue("expired", "Lab", serial_number=SENDER, valid_days=(-30, -1)),
        "not yet valid": lambda: ca.issue("future", "Lab", serial_number=SENDER, valid_days=(1, 30)),
        "server certificate": lambda: ca.issue("server-only", "Lab", serial_number=SENDER, server=True),
    }[kind]()
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        _tls_call(port, ca, (str(issued.cert), str(issued.key)))


def test_plain_listener_still_answers_next_to_tls(tls_platform: tuple[PlatformProcess, int, CertificateAuthority, Path]) -> None:
    p, port, ca, folder = tls_platform
    assert call(p, body_for("Ping")).status_code == 200
    assert json.loads(requests.get(p.base_url + "/status", timeout=10).text)["catalogue"]["state"] == "loaded"
