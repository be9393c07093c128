"""Helpers shared by the tests: identity numbers, servers, SOAP clients that check
every message they send and receive against the contract XSD."""

from __future__ import annotations

import functools
import os
import random
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import requests
import zeep
from lxml import etree
from zeep.plugins import Plugin
from zeep.transports import Transport

from contracts.interactions import BY_NAME, BY_RESPONDER_NS, Interaction
from contracts.ns import CORE_NS, SOAP11_ENV_NS
from contracts.schema import schema_for
from eph.devpki import DevPki
from service_domain.identity import luhn_check_digit

ROOT = Path(__file__).resolve().parent.parent
PERSONNUMMER = "1.2.752.129.2.1.3.1"
SAMORDNINGSNUMMER = "1.2.752.129.2.1.3.3"
SERVICE_ADDRESS = "SE5565594230-EPH"

# Every personal identity number a test made: the log checks look for each of them.
ISSUED_PERSON_IDS: set[str] = set()


def person_number(born: date, serial: int | None = None, *, samordning: bool = False) -> str:
    """A valid 12-digit personnummer (or samordningsnummer) for a birth date; without a given
    serial, one this test session has not issued yet (so tests do not share patients)."""
    day = born.day + (60 if samordning else 0)
    for _ in range(1000):
        nine = f"{born:%y%m}{day:02d}{random.randint(0, 999) if serial is None else serial:03d}"
        number = f"{born.year // 100:02d}{nine}{luhn_check_digit(nine)}"
        if serial is not None or number not in ISSUED_PERSON_IDS:
            break
    ISSUED_PERSON_IDS.add(number)
    return number


def patient(born: date | None = None) -> dict[str, str]:
    """A new patient (a random adult unless ``born`` is given), as a PersonIdType value."""
    if born is None:
        born = date(random.randint(1950, 2000), random.randint(1, 12), random.randint(1, 28))
    return {"id": person_number(born), "type": PERSONNUMMER}


@functools.cache
def session_pki() -> DevPki:
    """The development PKI of this test session (the servers the tests start use it)."""
    pki = DevPki(Path(tempfile.mkdtemp(prefix="eph-test-pki-")))
    pki.ensure()
    return pki


def platform_tls_context() -> ssl.SSLContext:
    """A client TLS context that trusts the test CA and shows the platform's certificate,
    as the service platform does when it calls the service."""
    pki = session_pki()
    ctx = ssl.create_default_context(cafile=str(pki.ca.cert))
    ctx.load_cert_chain(str(pki.platform.cert), str(pki.platform.key))
    return ctx


def platform_session() -> requests.Session:
    """An HTTP session that calls the service as the platform does: with its certificate."""
    pki = session_pki()
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
    session.verify = str(pki.ca.cert)
    session.cert = (str(pki.platform.cert), str(pki.platform.key))
    return session


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


def wait_for_page(url: str, what: str, tries: int = 100) -> None:
    """Until ``url`` answers 200: a web server's port opens before a worker has built the application."""
    for _ in range(tries):
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the {what} did not come up")


def spawn(what: str, port: int, env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen[bytes], Any]:
    """``eph serve <what>`` on 127.0.0.1:port with these settings, its output in ``log_path``."""
    environ = {**os.environ, **env}
    log_file = open(log_path, "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "eph", "serve", what, "--bind", f"127.0.0.1:{port}"],
        env=environ, stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT,
    )
    wait_for_port(port, proc)
    return proc, log_file


@contextmanager
def serving(what: str, env: dict[str, str], log_path: Path) -> Iterator[str]:
    """``eph serve <what>`` on a free port while the block runs: its base address."""
    port = free_port()
    proc, log_file = spawn(what, port, env, log_path)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        terminate(proc, log_file)


def terminate(proc: subprocess.Popen[bytes] | None, log_file: Any, wait: float = 15) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            proc.kill()
    log_file.close()


@dataclass
class ServiceProcess:
    """``eph serve service`` in a subprocess, with its log in a file."""

    database_url: str
    log_path: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self, **env: str) -> ServiceProcess:
        # the production defaults, with the test session's development PKI
        settings = {"EPH_DATABASE_URL": self.database_url, "EPH_CERTS_DIR": str(session_pki().folder), **env}
        self.proc, self.log_file = spawn("service", self.port, settings, self.log_path)
        return self

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        terminate(self.proc, self.log_file)


# ------------------------------------------------------------------ SOAP clients


class ContractCheck(Plugin):
    """Validates every envelope a client sends and receives against the contract XSD
    and keeps the logId of each call (the X-EPH-LogId response header)."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def _check(self, envelope: etree._Element, direction: str) -> None:
        body = envelope.find(f"{{{SOAP11_ENV_NS}}}Body")
        assert body is not None, (direction, etree.tostring(envelope)[:3000])
        assert len(body) == 1, (direction, etree.tostring(envelope)[:3000])
        entry = body[0]
        if entry.tag == f"{{{SOAP11_ENV_NS}}}Fault":
            return
        interaction = BY_RESPONDER_NS[etree.QName(entry).namespace]
        schema = schema_for(interaction)
        errors = schema.errors(entry)
        header = envelope.find(f"{{{SOAP11_ENV_NS}}}Header")
        if header is not None:
            for h in header:
                errors += schema.errors(h)
        if errors:
            with self._lock:
                self.problems.append(f"{direction} {etree.QName(entry).localname}: {errors}")

    def egress(self, envelope: Any, http_headers: Any, operation: Any, binding_options: Any) -> Any:
        self._check(envelope, "request")
        return envelope, http_headers

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> Any:
        self._check(envelope, "response")
        result_code = envelope.findtext(f".//{{{CORE_NS}}}resultCode")
        fault = envelope.find(f".//{{{SOAP11_ENV_NS}}}Fault") is not None
        patients = {
            e.findtext(f"{{{CORE_NS}}}id")
            for e in envelope.iter()
            if isinstance(e.tag, str) and e.tag.endswith("}patientId")
        }
        with self._lock:
            self.calls.append(
                {
                    "operation": operation.name,
                    "log_id": http_headers.get("X-EPH-LogId"),
                    "result_code": "FAULT" if fault else result_code,
                    "patients_returned": patients,
                }
            )
        return envelope, http_headers


CHECK = ContractCheck()


class Soap:
    """zeep clients built from the local contract files, calling ``base_url`` as ``consumer``."""

    _clients: dict[tuple[str, str, str], Any] = {}
    _lock = threading.Lock()

    def __init__(
        self,
        base_url: str,
        consumer: str | None,
        *,
        logical_address: str = SERVICE_ADDRESS,
        tag: str = "",
        via_platform: str | None = None,
    ) -> None:
        """``consumer`` calls the service directly (as the platform would: with the platform's
        certificate and the original-consumer header), or, with ``via_platform`` (the platform's instance id), calls the platform as that sender."""
        self.base_url = base_url
        self.consumer = consumer
        self.logical_address = logical_address
        self.via_platform = via_platform
        self.tag = tag  # clients with different tags do not share an HTTP session (one per thread)

    def service(self, interaction: Interaction | str) -> Any:
        i = BY_NAME[interaction] if isinstance(interaction, str) else interaction
        key = (self.base_url, f"{self.consumer or ''}#{self.tag}", i.name)
        with self._lock:
            if key not in self._clients:
                session = platform_session() if self.base_url.startswith("https:") else requests.Session()
                if self.via_platform:
                    session.headers["x-vp-sender-id"] = self.consumer or ""
                    session.headers["x-vp-instance-id"] = self.via_platform
                elif self.consumer:
                    session.headers["x-rivta-original-serviceconsumer-hsaid"] = self.consumer
                client = zeep.Client(
                    str(i.wsdl_path),
                    transport=Transport(session=session, timeout=30, operation_timeout=60),
                    settings=zeep.Settings(strict=True),
                    plugins=[CHECK],
                )
                path = ("/vp" + i.path) if self.via_platform else i.url_path
                self._clients[key] = client.create_service(f"{{{i.wsdl_ns}}}{i.name}ResponderBinding", self.base_url + path)
            return self._clients[key]

    def __call__(self, interaction: str, **kwargs: Any) -> Any:
        operation = getattr(self.service(interaction), interaction)
        return operation(_soapheaders={"LogicalAddress": self.logical_address}, **kwargs)


def soap_envelope(body: str, header: str | None = None) -> bytes:
    """A hand-made request envelope, for tests of what a client library would not send."""
    header = (
        header
        if header is not None
        else f'<la:LogicalAddress xmlns:la="urn:riv:itintegration:registry:1">{SERVICE_ADDRESS}</la:LogicalAddress>'
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{SOAP11_ENV_NS}">'
        f"<soap:Header>{header}</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def unique_hsa(care_giver_org: str = "2321000016", prefix: str = "U") -> str:
    return f"SE{care_giver_org}-{prefix}{uuid.uuid4().hex[:10].upper()}"


def iter_pages(call: Any, **kwargs: Any) -> Iterator[Any]:
    token = None
    while True:
        response = call(**kwargs, **({"continuationToken": token} if token else {}))
        yield response
        token = response.continuationToken
        if not token:
            return


@dataclass
class PlatformProcess:
    """``eph serve platform`` in a subprocess (one worker unless told otherwise)."""

    database_url: str
    folder: Path
    port: int = field(default_factory=free_port)
    instance_id: str = "eph-vp-test"
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / "platform.log"

    @property
    def local_copy(self) -> Path:
        return self.folder / "tak-local-copy.json"

    def start(self, *, wait_port: int | None = None, **env: str) -> PlatformProcess:
        settings = {"EPH_DATABASE_URL": self.database_url, "EPH_VP_INSTANCE_ID": self.instance_id,
                    "EPH_VP_WORKERS": "1", "EPH_VP_LOCAL_COPY": str(self.local_copy),
                    "EPH_CERTS_DIR": str(session_pki().folder), **env}
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc, self.log_file = spawn("platform", self.port, settings, self.log_path)
        if wait_port:
            wait_for_port(wait_port, self.proc)
        # the port opens before a worker has built the application (and read the catalogue)
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.base_url + "/status", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the platform did not come up")
            time.sleep(0.05)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def reload(self) -> dict[str, Any]:
        r = requests.post(self.base_url + "/reload", timeout=30)
        return dict(r.json())

    def status(self) -> dict[str, Any]:
        return dict(requests.get(self.base_url + "/status", timeout=10).json())

    def stop(self) -> None:
        terminate(self.proc, self.log_file)
