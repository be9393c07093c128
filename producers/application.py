"""The producer WSGI application: every interaction of the release behind one thin HTTP layer.

Per request:
- ``GET <endpoint>?wsdl`` and ``?xsd=<file>``: the hand-written contract documents, with
  ``soap:address`` and ``schemaLocation`` at the configured public address;
  ``GET /metrics``: the service's metrics (Prometheus);
- ``POST <endpoint>``: the caller must be an authenticated service platform (the client
  certificate it showed on the TLS listener names one of the trusted platforms) and
  (except for PingForConfiguration) pass the original consumer in
  ``x-rivta-original-serviceconsumer-hsaid``; the envelope is opened and validated
  (``soap``), read into plain values (``contracts.binding``), handled (``handlers``) and
  the response written from the contract's shapes.

Every answer to a POST is a SOAP envelope, and every refusal a SOAP fault with a logId
(HTTP 500, as SOAP 1.1 has it, so that a platform passes it on to the caller): a request
without Content-Length, too large, of the wrong media type or not readable is a Client
fault. One JSON line is logged per call, never with the body.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from contracts.binding import binding_for
from contracts.interactions import PING_FOR_CONFIGURATION, SERVED_INTERACTIONS, Interaction
from contracts.schema import documents, served_document

from . import metrics
from .call import CallRecord, log
from .faults import CLIENT, SoapFault, fault_document
from .handlers import Handlers
from .identity import CertificateRefused, peer_identity
from .soap import open_request, response_envelope

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

CONSUMER_HEADER = "HTTP_X_RIVTA_ORIGINAL_SERVICECONSUMER_HSAID"
SENDER_HEADER = "HTTP_X_VP_SENDER_ID"
CORRELATION_HEADER = "HTTP_X_SKLTP_CORRELATION_ID"
MAX_BODY = 1024 * 1024
# a request above MAX_BODY is answered at once, and then read and dropped up to this size, so
# that a caller still sending it (a platform) gets the answer rather than a broken connection
DRAIN_LIMIT = 16 * 1024 * 1024
DRAIN_SECONDS = 10.0
XML_TYPES = ("text/xml", "application/xml")
XML_HEADERS = [("Content-Type", "text/xml; charset=utf-8")]

problems = logging.getLogger("eph.service")


class ClientGone(Exception):
    """The caller closed the connection before its request had arrived."""


@dataclass(frozen=True)
class ProducerConfig:
    # the address the service is reached at, put in the WSDL's soap:address
    public_base_url: str = "https://127.0.0.1:8081"
    # the platforms whose certificate (subject SERIALNUMBER) may pass the original consumer
    trusted_platforms: frozenset[str] = field(default_factory=frozenset)
    max_body: int = MAX_BODY


def _plain(start_response: StartResponse, status: str, text: str, extra: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    body = (text + "\n").encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))), *extra]
    )
    return [body]


@lru_cache(maxsize=512)
def _document(interaction: Interaction, name: str, base_url: str) -> bytes:
    return served_document(interaction, name, base_url)


def _read_body(environ: Environ, length: int) -> bytes:
    try:
        body: bytes = environ["wsgi.input"].read(length)
    except (OSError, ValueError) as e:
        raise ClientGone(type(e).__name__) from None
    except Exception as e:  # the server's own "no more data" errors
        raise ClientGone(type(e).__name__) from None
    if len(body) != length:
        raise ClientGone("short body")
    return body


class TooLarge(SoapFault):
    """A request above the size limit: its body is still to be read (and dropped) after the answer."""


class _AnswerThenDrain:
    """A WSGI answer that, once sent, reads the rest of an oversized request and drops it, for at
    most DRAIN_SECONDS and DRAIN_LIMIT bytes (a caller that announced more and sent nothing is
    left to the server's timeout)."""

    def __init__(self, body: bytes, environ: Environ, length: int) -> None:
        self.body, self.environ, self.length = body, environ, length

    def __iter__(self) -> Iterator[bytes]:
        yield self.body

    def close(self) -> None:
        if self.length > DRAIN_LIMIT:
            return
        sock = self.environ.get("gunicorn.socket")
        deadline = time.monotonic() + DRAIN_SECONDS
        left = self.length
        try:
            if sock is not None:
                sock.settimeout(DRAIN_SECONDS)
            while left > 0 and time.monotonic() < deadline:
                chunk = self.environ["wsgi.input"].read(min(left, 65536))
                if not chunk:
                    return
                left -= len(chunk)
        except Exception:  # the caller went away or stopped sending; nobody is waiting for more
            return


class ProducerApplication:
    def __init__(
        self,
        handlers: Handlers,
        config: ProducerConfig | None = None,
        metrics_page: Callable[[], tuple[bytes, str]] | None = None,
    ) -> None:
        self.config = config or ProducerConfig()
        self.metrics_page = metrics_page
        self.handlers = handlers
        self.routes: dict[str, Interaction] = {i.url_path: i for i in SERVED_INTERACTIONS}
        for i in SERVED_INTERACTIONS:
            binding_for(i)  # a contract that cannot be bound fails at start, not on a call
        self.trusted = frozenset(p.upper() for p in self.config.trusted_platforms)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "").rstrip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        interaction = self.routes.get(path)
        if interaction is None:
            if path == "/metrics" and method == "GET" and self.metrics_page is not None:
                body, content_type = self.metrics_page()
                start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
                return [body]
            return _plain(start_response, "404 Not Found", "no service at this address")
        if method in ("GET", "HEAD"):
            return self._get(interaction, environ, start_response)
        if method != "POST":
            return _plain(start_response, "405 Method Not Allowed", "use POST for SOAP, GET for ?wsdl", [("Allow", "GET, POST")])
        return self._post(interaction, environ, start_response)

    def _get(self, interaction: Interaction, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING", "")
        if query.lower() == "wsdl":
            name = interaction.wsdl_path.name
        elif query.startswith("xsd="):
            name = query[4:]
            if name not in documents(interaction):  # file names only: nothing else can be reached
                return _plain(start_response, "404 Not Found", "no such schema in this contract")
        else:
            return _plain(start_response, "405 Method Not Allowed", "SOAP requests use POST; the contract is at ?wsdl", [("Allow", "GET, POST")])
        body = _document(interaction, name, self.config.public_base_url.rstrip("/") + interaction.url_path)
        start_response("200 OK", [*XML_HEADERS, ("Content-Length", str(len(body)))])
        return [body]

    def _post(self, interaction: Interaction, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        record = CallRecord(interaction)
        record.set_headers(environ.get(CORRELATION_HEADER), environ.get(SENDER_HEADER), environ.get(CONSUMER_HEADER))
        drain = False
        try:
            body = response_envelope(self._answer(record, environ))
            status = "200 OK"
        except SoapFault as fault:
            drain = isinstance(fault, TooLarge)
            if record.outcome == "-":
                record.outcome = fault.code
            body = fault_document(fault.code, fault.message, record.log_id)
            status = "500 Internal Server Error"
        except ClientGone:
            # nobody is left to answer; not the service's error
            record.outcome = "ClientGone"
            record.status = 499
            log.info(record.line())
            return []
        record.status = int(status[:3])
        start_response(
            status,
            [*XML_HEADERS, ("Content-Length", str(len(body))), ("X-EPH-LogId", record.log_id)],
        )
        log.info(record.line())
        metrics.observe(interaction.name, record.outcome, record.seconds)
        if drain:
            return _AnswerThenDrain(body, environ, int(environ.get("CONTENT_LENGTH") or 0))
        return [body]

    def _answer(self, record: CallRecord, environ: Environ) -> str:
        interaction = record.interaction
        length_header = environ.get("CONTENT_LENGTH") or ""
        if not length_header.isdigit():
            raise SoapFault(CLIENT, "a SOAP request needs a Content-Length")
        length = int(length_header)
        if length > self.config.max_body:
            raise TooLarge(CLIENT, f"a request may be at most {self.config.max_body} bytes")
        data = _read_body(environ, length)
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type not in XML_TYPES:
            raise SoapFault(CLIENT, "SOAP 1.1 requests are sent as text/xml (Content-Type)")
        try:
            record.platform = peer_identity(environ)
        except CertificateRefused as e:
            raise SoapFault(CLIENT, f"the client certificate was refused: {e}") from None
        if record.platform is None or record.platform.upper() not in self.trusted:
            raise SoapFault(CLIENT, "the caller is not an authenticated service platform")
        if not record.consumer and interaction is not PING_FOR_CONFIGURATION:
            raise SoapFault(CLIENT, "x-rivta-original-serviceconsumer-hsaid is missing")
        action = environ.get("HTTP_SOAPACTION", "").strip().strip('"')
        if action and action != interaction.soap_action:
            raise SoapFault(CLIENT, f"SOAPAction does not match {interaction.name}")
        request = open_request(data, interaction)
        binding = binding_for(interaction)
        values = self.handlers.handle(record, binding.read(request.body))
        return binding.write_response(values)
