"""The production profile and the settings that switch development identity off, on real servers.

An empty allow-list lets nobody use x-vp-sender-id; the platform runs without a plain listener; with
``EPH_PROFILE=production`` every server refuses to start while a development convenience is in
effect (naming the setting), and starts with a proper configuration.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.fernet import Fernet
from lxml import etree

from contracts.interactions import GET_ORDERS
from eph import profile
from eph.config import Settings
from routing import store
from tests.certs import CertificateAuthority, Issued
from tests.fake_producer import OK_RESPONSE, FakeProducer
from tests.platform.conftest import SENDER, routed, save
from tests.platform.test_router import assert_vp, body_for, call
from tests.support import ROOT, PlatformProcess, free_port, session_pki

PROD_INSTANCE = "eph-vp-prod-test"
PROD_PLATFORM = "SE5565594230-VPPROD"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Issued | CertificateAuthority]:
    """Certificates of a CA that is not the development CA: what production is configured with."""
    ca = CertificateAuthority(Path(tmp_path_factory.mktemp("prod-ca")), "EPH Production Test CA")
    return {
        "ca": ca,
        "server": ca.issue("server", "127.0.0.1", server=True),
        "lab": ca.issue("lab", "Lab system", serial_number=SENDER),
        "citizen": ca.issue("citizen", "1177", serial_number="SE5565594230-1177"),
    }


def _cert(pki: dict[str, Issued | CertificateAuthority], name: str) -> Issued:
    issued = pki[name]
    assert isinstance(issued, Issued)
    return issued


def _ca_path(pki: dict[str, Issued | CertificateAuthority]) -> str:
    ca = pki["ca"]
    assert isinstance(ca, CertificateAuthority)
    return str(ca.path)


def production_env(pki: dict[str, Issued | CertificateAuthority], database_url: str, folder: Path) -> dict[str, str]:
    """Settings under which every server may start in the production profile; nothing else of EPH_*."""
    server, citizen, ca = _cert(pki, "server"), _cert(pki, "citizen"), _ca_path(pki)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EPH_")}
    env.update({
        "EPH_PROFILE": "production",
        "EPH_DATABASE_URL": database_url,
        "EPH_CERTS_DIR": str(session_pki().folder),  # the development PKI is there, and must not be used
        "EPH_VP_LOCAL_COPY": str(folder / "tak-local-copy.json"),
        "EPH_SERVICE_TLS_CERT": str(server.cert), "EPH_SERVICE_TLS_KEY": str(server.key), "EPH_SERVICE_TLS_CA": ca,
        "EPH_TRUSTED_PLATFORMS": PROD_PLATFORM,
        "EPH_VP_HTTP_ALLOW": "", "EPH_VP_INSTANCE_ID": PROD_INSTANCE, "EPH_VP_PRODUCER_CERT": "none",
        "EPH_VP_WORKERS": "1", "EPH_WORKERS": "1", "EPH_STAFF_WORKERS": "1", "EPH_CITIZEN_WEB_WORKERS": "1",
        "EPH_CITIZEN_WEB_CERT": str(citizen.cert), "EPH_CITIZEN_WEB_KEY": str(citizen.key), "EPH_CITIZEN_WEB_CA": ca,
        "EPH_PLATFORM_URL": "https://127.0.0.1:9", "EPH_CITIZEN_WEB_SESSION_KEY": Fernet.generate_key().decode(),
        "EPH_POPULATION_URL": "https://127.0.0.1:9", "EPH_POPULATION_TOKEN": "the-registers-own-credential",
    })
    return env


class Refusal:
    """``eph serve <what>``, expected to stop before it binds anything; many run at once (each spends
    its time importing)."""

    def __init__(self, what: str, env: dict[str, str]) -> None:
        ports = {"EPH_SERVICE_BIND", "EPH_PLATFORM_BIND", "EPH_STAFF_BIND", "EPH_CITIZEN_WEB_BIND"}
        env = {**env, **{name: f"127.0.0.1:{free_port()}" for name in ports}}
        self.what = what
        self.proc = subprocess.Popen([sys.executable, "-m", "eph", "serve", what], env=env, cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.err: str | None = None

    def result(self) -> tuple[int, str]:
        """(exit status, standard error)"""
        if self.err is None:
            try:
                _, self.err = self.proc.communicate(timeout=60)
            except subprocess.TimeoutExpired as e:  # it started: the check let it through
                self.proc.kill()
                self.proc.communicate()
                raise AssertionError(f"eph serve {self.what} started") from e
        return self.proc.returncode, self.err


@pytest.fixture(scope="module")
def prod_env(pki: dict[str, Issued | CertificateAuthority], platform_db: str,
             tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return production_env(pki, platform_db, Path(tmp_path_factory.mktemp("prod")))


# ------------------------------------------------------------------ an empty allow-list


@pytest.fixture(scope="module")
def nobody_allowed(platform_db: str, producer: FakeProducer,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformProcess]:
    save(platform_db, routed(store.empty(), "Ping", producer.url + "/ok"))
    p = PlatformProcess(platform_db, Path(tmp_path_factory.mktemp("nobody")))
    p.start(EPH_VP_HTTP_ALLOW="", EPH_VP_PRODUCER_CERT="none")
    yield p
    p.stop()


def test_an_empty_allow_list_lets_no_loopback_caller_use_the_sender_header(nobody_allowed: PlatformProcess) -> None:
    assert_vp(call(nobody_allowed, body_for("Ping")), "VP011", "Client")


# ------------------------------------------------------------------ production, no plain listener


@pytest.fixture(scope="module")
def tls_only(prod_env: dict[str, str], pki: dict[str, Issued | CertificateAuthority], platform_db: str,
             producer: FakeProducer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """A production platform whose plain listener is turned off (``--bind none``, its configured bind a free
    port): (the TLS port, the port the plain listener would have had)."""
    save(platform_db, routed(store.empty(), "Ping", producer.url + "/ok"))
    server = _cert(pki, "server")
    tls_port, plain_port = free_port(), free_port()
    env = {**prod_env, "EPH_PLATFORM_BIND": f"127.0.0.1:{plain_port}", "EPH_VP_TLS_BIND": f"127.0.0.1:{tls_port}",
           "EPH_VP_TLS_CERT": str(server.cert), "EPH_VP_TLS_KEY": str(server.key), "EPH_VP_TLS_CA": _ca_path(pki)}
    log = open(Path(tmp_path_factory.mktemp("tls-only")) / "platform.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "eph", "serve", "platform", "--bind", "none"], env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not _status_over_tls(tls_port, pki):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the production platform did not come up: {Path(log.name).read_text()[-2000:]}")
            time.sleep(0.1)
        yield tls_port, plain_port
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()


def _status_over_tls(port: int, pki: dict[str, Issued | CertificateAuthority]) -> bool:
    lab = _cert(pki, "lab")
    try:
        r = requests.get(f"https://127.0.0.1:{port}/status", cert=(str(lab.cert), str(lab.key)),
                         verify=_ca_path(pki), timeout=2)
    except requests.RequestException:
        return False
    return r.status_code == 200


def test_production_platform_routes_a_call_over_tls(tls_only: tuple[int, int],
                                                    pki: dict[str, Issued | CertificateAuthority]) -> None:
    lab = _cert(pki, "lab")
    r = requests.post(f"https://127.0.0.1:{tls_only[0]}/vp/x", data=body_for("Ping"), cert=(str(lab.cert), str(lab.key)),
                      verify=_ca_path(pki), headers={"Content-Type": "text/xml"}, timeout=30)
    assert r.content == OK_RESPONSE


def test_without_a_plain_listener_the_contracts_name_the_tls_address(tls_only: tuple[int, int],
                                                                     pki: dict[str, Issued | CertificateAuthority]) -> None:
    lab = _cert(pki, "lab")
    r = requests.get(f"https://127.0.0.1:{tls_only[0]}/vp{GET_ORDERS.path}?wsdl", cert=(str(lab.cert), str(lab.key)),
                     verify=_ca_path(pki), timeout=10)
    address = etree.fromstring(r.content).find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address is not None, r.text[:500]
    assert address.get("location", "").startswith(f"https://127.0.0.1:{tls_only[0]}/")


def test_without_a_plain_listener_no_plain_connection_is_accepted(tls_only: tuple[int, int]) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", tls_only[1]), timeout=2).close()


def _catalogue_over_tls(port: int, pki: dict[str, Issued | CertificateAuthority]) -> dict[str, Any]:
    lab = _cert(pki, "lab")
    r = requests.get(f"https://127.0.0.1:{port}/status", cert=(str(lab.cert), str(lab.key)), verify=_ca_path(pki),
                     timeout=10)
    return dict(r.json()["catalogue"])


def test_a_catalogue_is_put_in_force_through_the_database(tls_only: tuple[int, int], prod_env: dict[str, str],
                                                          pki: dict[str, Issued | CertificateAuthority], platform_db: str,
                                                          producer: FakeProducer) -> None:
    """/reload answers no one with the allow-list empty: ``eph tak reload --database`` is the way."""
    save(platform_db, routed(routed(store.empty(), "Ping", producer.url + "/ok"), "Other", producer.url + "/ok"))
    subprocess.run([sys.executable, "-m", "eph", "tak", "reload", "--database"], env=prod_env, cwd=ROOT, check=True,
                   capture_output=True)
    deadline = time.monotonic() + 10
    while _catalogue_over_tls(tls_only[0], pki)["routings"] != 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _catalogue_over_tls(tls_only[0], pki)["routings"] == 2


def test_the_staff_web_runs_on_its_tls_listener_alone(prod_env: dict[str, str], pki: dict[str, Issued | CertificateAuthority],
                                                      tmp_path: Path) -> None:
    server, lab = _cert(pki, "server"), _cert(pki, "lab")
    tls_port, plain_port = free_port(), free_port()
    env = {**prod_env, "EPH_STAFF_BIND": f"127.0.0.1:{plain_port}", "EPH_STAFF_TLS_BIND": f"127.0.0.1:{tls_port}",
           "EPH_STAFF_TLS_CERT": str(server.cert), "EPH_STAFF_TLS_KEY": str(server.key), "EPH_STAFF_TLS_CA": _ca_path(pki)}
    log = open(tmp_path / "staff.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "eph", "serve", "staff", "--bind", "none"], env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline, status = time.monotonic() + 30, None
        while status is None and proc.poll() is None and time.monotonic() < deadline:
            try:
                status = requests.get(f"https://127.0.0.1:{tls_port}/login", cert=(str(lab.cert), str(lab.key)),
                                      verify=_ca_path(pki), timeout=2, allow_redirects=False).status_code
            except requests.RequestException:
                time.sleep(0.1)
        assert status == 200, (tmp_path / "staff.log").read_text()[-2000:]
        time.sleep(6)  # a listener that cannot be bound stops gunicorn after five tries, a second apart
        assert proc.poll() is None, (tmp_path / "staff.log").read_text()[-2000:]
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", plain_port), timeout=2).close()
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()


def test_the_staff_webs_tls_server_stops_when_its_plain_listener_cannot_bind(
        prod_env: dict[str, str], pki: dict[str, Issued | CertificateAuthority], tmp_path: Path) -> None:
    server = _cert(pki, "server")
    tls_port = free_port()
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    env = {**prod_env, "EPH_STAFF_BIND": f"127.0.0.1:{taken.getsockname()[1]}", "EPH_STAFF_TLS_BIND": f"127.0.0.1:{tls_port}",
           "EPH_STAFF_TLS_CERT": str(server.cert), "EPH_STAFF_TLS_KEY": str(server.key), "EPH_STAFF_TLS_CA": _ca_path(pki)}
    try:
        with open(tmp_path / "staff.log", "wb") as log:
            subprocess.run([sys.executable, "-m", "eph", "serve", "staff"], env=env, cwd=ROOT, stdout=log,
                           stderr=subprocess.STDOUT, timeout=60)
    finally:
        taken.close()
    with pytest.raises(ConnectionRefusedError):  # the TLS server did not run on alone
        socket.create_connection(("127.0.0.1", tls_port), timeout=2).close()


# ------------------------------------------------------------------ production refuses development settings

DEV = session_pki()
# each server started with every development convenience it has (None: unset); the refusal names each
CONVENIENCES: dict[str, dict[str, str | None]] = {
    "service": {"EPH_SERVICE_TLS_CERT": None, "EPH_SERVICE_TLS_KEY": None, "EPH_SERVICE_TLS_CA": str(DEV.ca.cert),
                "EPH_TRUSTED_PLATFORMS": None},
    "platform": {"EPH_VP_HTTP_ALLOW": None, "EPH_VP_INSTANCE_ID": None, "EPH_VP_PRODUCER_CERT": None,
                 "EPH_VP_TLS_CA": str(DEV.ca.cert)},
    "staff": {"EPH_STAFF_DEV_LOGIN": "1", "EPH_STAFF_TLS_CA": str(DEV.ca.cert)},
    "citizen": {"EPH_CITIZEN_WEB_DEV_LOGIN": "1", "EPH_CITIZEN_WEB_CERT": None, "EPH_PLATFORM_URL": "http://127.0.0.1:9",
                "EPH_CITIZEN_WEB_SESSION_KEY": None},
}
NAMED = [(what, setting) for what, changes in CONVENIENCES.items() for setting in changes]
# each convenience alone, and the values that count as one
ALONE = [(what, {setting: value}, setting) for what, changes in CONVENIENCES.items() for setting, value in changes.items()] + [
    ("platform", {"EPH_VP_HTTP_ALLOW": "10.0.0.0/8"}, "EPH_VP_HTTP_ALLOW"),
    ("platform", {"EPH_VP_INSTANCE_ID": "eph-vp-dev"}, "EPH_VP_INSTANCE_ID"),
    ("platform", {"EPH_VP_PRODUCER_CERT": str(DEV.platform.cert)}, "EPH_VP_PRODUCER_CERT"),
    ("service", {"EPH_SERVICE_TLS_KEY": str(DEV.service.key)}, "EPH_SERVICE_TLS_KEY"),
    ("staff", {"EPH_STAFF_DEV_LOGIN": "yes"}, "EPH_STAFF_DEV_LOGIN"),
    ("service", {"EPH_OUTBOX_EVENTS": "0"}, "EPH_OUTBOX_EVENTS"),
    ("service", {"EPH_POPULATION_URL": None}, "EPH_POPULATION_URL"),
    ("service", {"EPH_POPULATION_URL": "http://127.0.0.1:8087"}, "EPH_POPULATION_URL"),
    ("service", {"EPH_POPULATION_TOKEN": "eph-population-dev"}, "EPH_POPULATION_TOKEN"),
    ("staff", {"EPH_POPULATION_URL": None}, "EPH_POPULATION_URL"),
]


def _with(env: dict[str, str], changes: dict[str, str | None]) -> dict[str, str]:
    out = dict(env)
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


@pytest.fixture(scope="module")
def refused(prod_env: dict[str, str]) -> Callable[[str], tuple[int, str]]:
    """``eph serve <what>`` with its development conveniences (or ``all`` with the staff web's dev login),
    run once: (exit status, standard error)."""
    runs: dict[str, tuple[int, str]] = {}

    def run(what: str) -> tuple[int, str]:
        if what not in runs:
            changes: dict[str, str | None] = {"EPH_STAFF_DEV_LOGIN": "on"} if what == "all" else CONVENIENCES[what]
            runs[what] = Refusal(what, _with(prod_env, changes)).result()
        return runs[what]

    return run


@pytest.mark.parametrize("what", [*CONVENIENCES, "all"])
def test_production_refuses_to_start_with_development_settings(refused: Callable[[str], tuple[int, str]],
                                                               what: str) -> None:
    assert refused(what)[0] != 0


@pytest.mark.parametrize(("what", "setting"), NAMED)
def test_the_refusal_names_each_development_setting(refused: Callable[[str], tuple[int, str]], what: str,
                                                    setting: str) -> None:
    err = refused(what)[1]
    assert any(line.startswith("  ") and setting in line for line in err.splitlines()), err


def test_serve_all_names_the_one_development_setting(refused: Callable[[str], tuple[int, str]]) -> None:
    err = refused("all")[1]
    named = [line for line in err.splitlines() if line.startswith("  ")]
    assert named == ["  staff: EPH_STAFF_DEV_LOGIN is on: the development password login"], err


def test_the_refusal_shows_no_secret(refused: Callable[[str], tuple[int, str]], prod_env: dict[str, str]) -> None:
    assert prod_env["EPH_CITIZEN_WEB_SESSION_KEY"] not in refused("all")[1]


def test_an_unknown_profile_is_refused(prod_env: dict[str, str]) -> None:
    status, err = Refusal("staff", _with(prod_env, {"EPH_PROFILE": "prod"})).result()
    assert "EPH_PROFILE must be" in err, err


@pytest.mark.parametrize(("what", "changes", "setting"), ALONE, ids=[f"{a[0]}-{a[2]}-{i}" for i, a in enumerate(ALONE)])
def test_each_development_setting_alone_is_found(prod_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, what: str,
                                                 changes: dict[str, str | None], setting: str) -> None:
    """The same check as the servers make, in this process: every convenience counts on its own."""
    for name in [k for k in os.environ if k.startswith("EPH_")]:
        monkeypatch.delenv(name)
    for name, value in _with(prod_env, changes).items():
        if name.startswith("EPH_"):
            monkeypatch.setenv(name, value)
    found = profile.problems(what, Settings())
    assert [p.split(" ")[0] for p in found[what]] == [setting]


def test_a_copied_development_certificate_is_found(prod_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    copy = tmp_path / "copied.crt"
    shutil.copy(DEV.service.cert, copy)
    for name, value in prod_env.items():
        if name.startswith("EPH_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("EPH_SERVICE_TLS_CERT", str(copy))
    assert [p.split(" ")[0] for p in profile.problems("service", Settings())["service"]] == ["EPH_SERVICE_TLS_CERT"]


@pytest.mark.parametrize("what", ["engagement-index", "ehr-subscriber", "sms-gateway", "population-register"])
def test_a_stand_in_of_a_national_system_is_refused_in_production(prod_env: dict[str, str],
                                                                 monkeypatch: pytest.MonkeyPatch, what: str) -> None:
    for name in [k for k in os.environ if k.startswith("EPH_")]:
        monkeypatch.delenv(name)
    for name, value in prod_env.items():
        if name.startswith("EPH_"):
            monkeypatch.setenv(name, value)
    assert "not a production server" in " ".join(profile.problems(what, Settings()).get(what, []))


def test_a_proper_production_configuration_has_no_development_setting(prod_env: dict[str, str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("EPH_")]:
        monkeypatch.delenv(name)
    for name, value in prod_env.items():
        if name.startswith("EPH_"):
            monkeypatch.setenv(name, value)
    assert profile.problems("all", Settings()) == {}


def test_production_service_starts_and_serves_over_tls(prod_env: dict[str, str], pki: dict[str, Issued | CertificateAuthority],
                                                       tmp_path: Path) -> None:
    port = free_port()
    log = open(tmp_path / "service.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "eph", "serve", "service", "--bind", f"127.0.0.1:{port}"],
                            env=prod_env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    lab = _cert(pki, "lab")
    url = f"https://127.0.0.1:{port}{GET_ORDERS.url_path}?wsdl"
    try:
        deadline, status = time.monotonic() + 30, None
        while status != 200 and proc.poll() is None and time.monotonic() < deadline:
            try:
                status = requests.get(url, cert=(str(lab.cert), str(lab.key)), verify=_ca_path(pki), timeout=2).status_code
            except requests.RequestException:
                time.sleep(0.1)
        assert status == 200, (tmp_path / "service.log").read_text()[-2000:]
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()


# ------------------------------------------------------------------ the index push in production

def _push_env(prod_env: dict[str, str], pki: dict[str, Issued | CertificateAuthority],
              monkeypatch: pytest.MonkeyPatch, **changes: str | None) -> None:
    """The production settings with the index push on, configured as production wants it, then ``changes``."""
    server = _cert(pki, "server")
    push = {"EPH_INDEX_PUSH": "1", "EPH_INDEX_PUSH_PLATFORM_URL": "https://127.0.0.1:9",
            "EPH_INDEX_PUSH_CERT": str(server.cert), "EPH_INDEX_PUSH_KEY": str(server.key),
            "EPH_INDEX_PUSH_CA": _ca_path(pki)}
    for name in [k for k in os.environ if k.startswith("EPH_")]:
        monkeypatch.delenv(name)
    for name, value in _with({**prod_env, **push}, changes).items():
        if name.startswith("EPH_"):
            monkeypatch.setenv(name, value)


def test_a_production_index_push_has_no_development_setting(prod_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                                            pki: dict[str, Issued | CertificateAuthority]) -> None:
    _push_env(prod_env, pki, monkeypatch)
    assert profile.problems("service", Settings()) == {}


@pytest.mark.parametrize(("changes", "setting"), [
    ({"EPH_INDEX_PUSH_CERT": None}, "EPH_INDEX_PUSH_CERT"),
    ({"EPH_INDEX_PUSH_PLATFORM_URL": "http://127.0.0.1:8080"}, "EPH_INDEX_PUSH_PLATFORM_URL"),
    ({"EPH_INDEX_PUSH_CA": str(DEV.ca.cert)}, "EPH_INDEX_PUSH_CA"),
])
def test_a_development_setting_of_the_index_push_is_found(prod_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                                          pki: dict[str, Issued | CertificateAuthority],
                                                          changes: dict[str, str | None], setting: str) -> None:
    _push_env(prod_env, pki, monkeypatch, **changes)  # type: ignore[arg-type]
    assert [p.split(" ")[0] for p in profile.problems("service", Settings())["service"]] == [setting]
