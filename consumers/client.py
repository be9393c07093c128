"""A connection to the service through the platform.

zeep clients are built from the local contract files in ``wsdl/`` (no network is needed to
load them) and call ``<platform>/vp/<domain path>/<Contract>/<major>/rivtabp21`` with the
``LogicalAddress`` header and the caller's identity: a client certificate over TLS, or (in
development, from an allow-listed address) ``x-vp-sender-id`` with the platform's
``x-vp-instance-id``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import requests
import zeep
import zeep.exceptions
from lxml import etree
from requests.adapters import HTTPAdapter
from zeep.plugins import Plugin
from zeep.transports import Transport

from contracts.interactions import BY_NAME, Interaction
from contracts.ns import CORE_NS

from .errors import LogicalError, RequestError, ServiceFault, TransportError, VpFault

DEFAULT_PLATFORM = "http://127.0.0.1:8080"
DEFAULT_LOGICAL_ADDRESS = "SE5565594230-EPH"
DEFAULT_INSTANCE_ID = "eph-vp-dev"
_VP_CODE = re.compile(r"^(VP\d{3})\b")
_LOG_ID = re.compile(r"\(logId ([0-9a-fA-F-]{36})\)")


@dataclass(frozen=True)
class Identity:
    """Who the caller is: its HSA-id, shown by certificate or (development) by header."""

    sender: str
    instance_id: str | None = None  # development: x-vp-sender-id + x-vp-instance-id
    cert: str | None = None  # TLS: the client certificate (subject SERIALNUMBER = sender)
    key: str | None = None
    ca: str | None = None  # the CA that signed the platform's certificate


@dataclass
class CallInfo:
    """What the last call of this thread was and how it went (for logs and support)."""

    interaction: str
    correlation_id: str | None = None
    log_id: str | None = None
    outcome: str = ""


class _Headers(Plugin):
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> Any:
        info = self.connection.last
        if info is not None:
            info.correlation_id = http_headers.get("x-skltp-correlation-id")
            info.log_id = http_headers.get("X-EPH-LogId")
        return envelope, http_headers


class _TrustOnly(HTTPAdapter):
    """Verify the platform against the given CA, whatever REQUESTS_CA_BUNDLE says (requests lets
    that environment variable override a session's own ``verify``)."""

    def __init__(self, ca: str) -> None:
        super().__init__()
        self.ca = ca

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["verify"] = self.ca
        return super().send(request, **kwargs)


class Connection:
    def __init__(
        self,
        identity: Identity,
        platform: str = DEFAULT_PLATFORM,
        logical_address: str = DEFAULT_LOGICAL_ADDRESS,
        timeout: float = 60,
    ) -> None:
        self.identity = identity
        self.platform = platform.rstrip("/")
        self.logical_address = logical_address
        self.timeout = timeout
        self._services: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        session = requests.Session()
        if identity.cert:
            session.cert = (identity.cert, identity.key) if identity.key else identity.cert
            if identity.ca:
                session.mount("https://", _TrustOnly(identity.ca))
        else:
            session.headers["x-vp-sender-id"] = identity.sender
            session.headers["x-vp-instance-id"] = identity.instance_id or DEFAULT_INSTANCE_ID
        self.session = session

    @classmethod
    def development(cls, sender: str, platform: str = DEFAULT_PLATFORM, instance_id: str = DEFAULT_INSTANCE_ID,
                    logical_address: str = DEFAULT_LOGICAL_ADDRESS) -> Connection:
        return cls(Identity(sender, instance_id=instance_id), platform, logical_address)

    @classmethod
    def tls(cls, sender: str, cert: str, key: str, ca: str, platform: str,
            logical_address: str = DEFAULT_LOGICAL_ADDRESS) -> Connection:
        return cls(Identity(sender, cert=cert, key=key, ca=ca), platform, logical_address)

    @property
    def last(self) -> CallInfo | None:
        return getattr(self._local, "last", None)

    def service(self, interaction: Interaction) -> Any:
        with self._lock:
            if interaction.name not in self._services:
                client = zeep.Client(
                    str(interaction.wsdl_path),
                    transport=Transport(session=self.session, timeout=self.timeout, operation_timeout=self.timeout),
                    settings=zeep.Settings(strict=True),
                    plugins=[_Headers(self)],
                )
                self._services[interaction.name] = client.create_service(
                    f"{{{interaction.wsdl_ns}}}{interaction.name}ResponderBinding",
                    f"{self.platform}/vp{interaction.path}",
                )
            return self._services[interaction.name]

    def call(self, name: str, **request: Any) -> Any:
        """Call an interaction; writes that come back with resultCode ERROR raise LogicalError."""
        return self.call_at(self.logical_address, name, **request)

    def call_at(self, logical_address: str, name: str | Interaction, **request: Any) -> Any:
        """``call`` at another logical address than the connection's (an aggregating service, or a
        journal system told of content by the engagement index, calls each source where it is);
        ``name`` may be an interaction of another domain (the engagement index's FindContent)."""
        interaction = BY_NAME[name] if isinstance(name, str) else name
        name = interaction.name
        info = CallInfo(name)
        self._local.last = info
        operation = getattr(self.service(interaction), name)
        try:
            response = operation(_soapheaders={"LogicalAddress": logical_address}, **request)
        except zeep.exceptions.Fault as f:
            info.outcome = "fault"
            raise _fault(f, info) from None
        except zeep.exceptions.ValidationError as e:
            info.outcome = "not sent"
            raise RequestError(f"the request does not follow the contract, so it was not sent: {e.message}") from None
        except requests.exceptions.SSLError as e:
            info.outcome = "TLS refused"
            reason = str(e.args[0].reason) if e.args and hasattr(e.args[0], "reason") else type(e).__name__
            raise TransportError(f"the TLS handshake with {self.platform} failed: {reason}") from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as e:
            info.outcome = "unreachable"
            raise TransportError(f"the platform at {self.platform} cannot be reached ({type(e).__name__})") from None
        except zeep.exceptions.TransportError as e:
            info.outcome = f"HTTP {e.status_code}"
            raise TransportError(f"the platform answered HTTP {e.status_code} without a SOAP message") from None
        result = getattr(response, "result", None) if interaction.write else None
        if result is not None:
            info.log_id = result.logId
            info.outcome = result.resultCode + (f" {result.subCode}" if result.subCode else "")
            if result.resultCode == "ERROR":
                error = LogicalError(result.errorCode, result.subCode, result.message, result.logId)
                error.correlation_id = info.correlation_id
                raise error
        else:
            info.outcome = "OK"
        return response


def _fault(f: zeep.exceptions.Fault, info: CallInfo) -> VpFault | ServiceFault:
    message = f.message or ""
    code = (f.code or "").rsplit(":", 1)[-1].rsplit("}", 1)[-1]
    detail_text = None
    log_id = None
    if isinstance(f.detail, etree._Element):
        detail_text = "".join(str(t) for t in f.detail.itertext()).strip() or None
        log_id = f.detail.findtext(f"{{{CORE_NS}}}logId")
    vp = _VP_CODE.match(message)
    error: VpFault | ServiceFault
    if vp:
        info.outcome = vp.group(1)
        error = VpFault(vp.group(1), code, message, detail_text)
    else:
        found = _LOG_ID.search(message)
        log_id = log_id or (found.group(1) if found else None)
        info.log_id = info.log_id or log_id
        info.outcome = f"fault {code}"
        error = ServiceFault(code, message, log_id)
    error.correlation_id = info.correlation_id
    return error
