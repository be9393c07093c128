"""The producer WSGI application: one spyne application per interaction, behind a
thin HTTP layer that serves the contract documents and guards the door.

The HTTP layer, per request:
- ``GET <endpoint>?wsdl`` and ``?xsd=<file>``: the hand-written contract documents,
  with ``soap:address`` and ``schemaLocation`` pointing back at this endpoint;
- ``POST``: Content-Length required (411) and at most ``max_body`` bytes (413);
  the caller must be a trusted service platform, and (except for PingForConfiguration)
  must pass the original consumer in ``x-rivta-original-serviceconsumer-hsaid``;
  a logId is assigned and one log line is written per call, never with the body.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from spyne import Application, ServiceBase, rpc
from spyne.server.wsgi import WsgiApplication

from contracts.interactions import ALL_INTERACTIONS, PING_FOR_CONFIGURATION, Interaction
from contracts.models import message_types
from contracts.schema import documents, served_document

from .faults import fault_document
from .handlers import Handlers
from .protocol import RivTaSoap11, RivTaSoap11Out

log = logging.getLogger("eph.producer.access")

# spyne logs whole invalid requests and invalid values; nothing of it may reach a log.
logging.getLogger("spyne").setLevel(logging.CRITICAL + 10)

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

CONSUMER_HEADER = "HTTP_X_RIVTA_ORIGINAL_SERVICECONSUMER_HSAID"
SENDER_HEADER = "HTTP_X_VP_SENDER_ID"
DEFAULT_TRUSTED = ("127.0.0.0/8", "::1/128")
MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class ProducerConfig:
    trusted_platforms: Sequence[str] = DEFAULT_TRUSTED
    max_body: int = MAX_BODY
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "networks", tuple(ipaddress.ip_network(n.strip(), strict=False) for n in self.trusted_platforms)
        )

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in n for n in self.networks)


def spyne_application(interaction: Interaction, handlers: Handlers) -> WsgiApplication:
    """A spyne application for one interaction: tns = its responder namespace, bare body."""
    types = message_types(interaction)
    handler = handlers.handler(interaction)

    def call(ctx: Any, request: Any) -> Any:
        return handler(ctx, request)

    call.__name__ = interaction.name
    method = rpc(
        types.request,
        _returns=types.response,
        _body_style="bare",
        _in_message_name=interaction.name,
        _out_message_name=f"{interaction.name}Response",
    )(call)
    service = type(f"{interaction.name}Service", (ServiceBase,), {interaction.name: method})
    app = Application(
        [service],
        tns=interaction.responder_ns,
        name=f"{interaction.name}Interaction",
        in_protocol=RivTaSoap11(interaction),
        out_protocol=RivTaSoap11Out(interaction),
    )
    return WsgiApplication(app)


def _plain(start_response: StartResponse, status: str, text: str, extra: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    body = (text + "\n").encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))), *extra]
    )
    return [body]


@lru_cache(maxsize=512)
def _document(interaction: Interaction, name: str, base_url: str) -> bytes:
    return served_document(interaction, name, base_url)


def _base_url(environ: Environ) -> str:
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}"


class ProducerApplication:
    def __init__(self, handlers: Handlers, config: ProducerConfig | None = None) -> None:
        self.config = config or ProducerConfig()
        self.routes: dict[str, tuple[Interaction, WsgiApplication]] = {
            i.url_path: (i, spyne_application(i, handlers)) for i in ALL_INTERACTIONS
        }

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        route = self.routes.get(path.rstrip("/"))
        if route is None:
            return _plain(start_response, "404 Not Found", "no service at this address")
        interaction, app = route
        method = environ.get("REQUEST_METHOD", "GET")
        if method in ("GET", "HEAD"):
            return self._get(interaction, environ, start_response)
        if method != "POST":
            return _plain(start_response, "405 Method Not Allowed", "use POST for SOAP, GET for ?wsdl", [("Allow", "GET, POST")])
        return self._post(interaction, app, environ, start_response)

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
        body = _document(interaction, name, _base_url(environ))
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

    def _fault(self, start_response: StartResponse, code: str, message: str, log_id: str) -> list[bytes]:
        body = fault_document(code, message, log_id)
        start_response(
            "500 Internal Server Error", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))]
        )
        return [body]

    def _post(
        self, interaction: Interaction, app: WsgiApplication, environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        started = time.perf_counter()
        log_id = str(uuid.uuid4())
        captured: dict[str, str] = {}

        def capture(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            captured["status"] = status
            return start_response(status, headers + [("X-EPH-LogId", log_id)], *exc)

        try:
            return self._dispatch(interaction, app, environ, capture, log_id)
        finally:
            log.info(
                "call interaction=%s logId=%s consumer=%s sender=%s status=%s outcome=%s ms=%.1f",
                interaction.name,
                log_id,
                environ.get("eph.consumer", "-"),
                environ.get("eph.sender", "-"),
                captured.get("status", "-")[:3],
                environ.get("eph.outcome", "-"),
                (time.perf_counter() - started) * 1000,
            )

    def _dispatch(
        self, interaction: Interaction, app: WsgiApplication, environ: Environ, start_response: StartResponse, log_id: str
    ) -> Iterable[bytes]:
        length_header = environ.get("CONTENT_LENGTH") or ""
        if not length_header.isdigit():
            return _plain(start_response, "411 Length Required", "a SOAP request needs a Content-Length", [("Connection", "close")])
        length = int(length_header)
        if length > self.config.max_body:
            return _plain(
                start_response,
                "413 Content Too Large",
                f"a request may be at most {self.config.max_body} bytes",
                [("Connection", "close")],
            )
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type not in ("text/xml", "application/xml"):
            return _plain(start_response, "415 Unsupported Media Type", "SOAP 1.1 requests are sent as text/xml")
        environ["eph.log_id"] = log_id
        if not self.config.trusts(environ.get("REMOTE_ADDR", "")):
            return self._fault(start_response, "Client", "the caller is not a trusted service platform", log_id)
        consumer = environ.get(CONSUMER_HEADER, "").strip()
        if consumer:
            environ["eph.consumer"] = consumer
        elif interaction is not PING_FOR_CONFIGURATION:
            return self._fault(
                start_response, "Client", "x-rivta-original-serviceconsumer-hsaid is missing", log_id
            )
        sender = environ.get(SENDER_HEADER, "").strip()
        if sender:
            environ["eph.sender"] = sender
        action = environ.get("HTTP_SOAPACTION", "").strip().strip('"')
        if action and action != interaction.soap_action:
            return self._fault(start_response, "Client", f"SOAPAction does not match {interaction.name}", log_id)
        body = environ["wsgi.input"].read(length)
        if len(body) != length:
            return _plain(start_response, "400 Bad Request", "the request body is shorter than its Content-Length")
        environ["wsgi.input"] = io.BytesIO(body)
        return app(environ, start_response)
