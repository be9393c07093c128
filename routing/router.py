"""The router (VP): one HTTP endpoint under /vp/ that routes any RIV-TA call.

For each POST, in this order:
 1. the sender (client certificate on TLS; on plain HTTP from a trusted TLS-terminating proxy
    only x-vp-auth-cert, once the certificate verifies against the CA, and from other
    allow-listed callers x-vp-sender-id + x-vp-instance-id)           VP011, VP002
 2. loop protection on x-rivta-routing-history (sender#platform#...)    VP014
 3. the contract (namespace of the Body's first element) and the receiver
    (LogicalAddress, or To for RIVTABP20, in any namespace), by a pull parse
                                                                  VP015, VP001, VP003
 4. the original consumer                                         VP013
 5. the routing (exact, HSA tree when on for the contract, *; or VG#VE)
                                                                  VP008, VP004, VP006, VP010
 6. the authorization of the sender                               VP007
 7. the producer's RIV-TA profile (rewriting the receiver header) VP005
 8. the call to the producer (pooled, connect timeout 2 s, per-contract timeout,
    one retry after a connection failure, answers above a size limit cut off)  VP009
Every reply carries x-skltp-correlation-id and x-skltp-prt, and the routing history once
it is known; each call writes one JSON log line (never the message, and the caller's
receiver and contract only once ``routing.redact`` let them through) and is counted in
the metrics. The correlation id is the caller's only when ``routing.redact`` takes it (at
most 128 characters of letters, digits and ``-_.:``, no personal identity number), else a
new UUID.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from contracts.ns import SOAP11_ENV_NS

from . import metrics
from .call_record import CallRecord, log
from .config import PlatformConfig
from .faults import VpError, call_summary, vp_fault
from .identity import CertificateRefused, accepted_client_serial, load_trusted, verified_sender
from .lookup import Route
from .message import RIVTABP20, RIVTABP21, Unreadable, read_routing_info, rewrite_receiver
from .producer import ProducerAnswerTooLarge, ProducerCaller
from .redact import MAX_SHOWN, correlation_id_problem, shown
from .state import CatalogueHolder

events = logging.getLogger("eph.vp")

STARTED = time.time()

H_SENDER = "x-vp-sender-id"
H_INSTANCE = "x-vp-instance-id"
H_AUTH_CERT = "x-vp-auth-cert"
H_ORIGINAL = "x-rivta-original-serviceconsumer-hsaid"
H_CORRELATION = "x-skltp-correlation-id"
H_PRT = "x-skltp-prt"
H_HISTORY = "x-rivta-routing-history"
HISTORY_SEPARATOR = "#"
HOP_BY_HOP = frozenset(
    h.lower()
    for h in (
        "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Host", "Content-Length",
    )
)
# headers the router sets itself, or never passes on
NOT_FORWARDED = HOP_BY_HOP | {H_SENDER, H_INSTANCE, H_AUTH_CERT, H_ORIGINAL, H_CORRELATION, H_HISTORY, H_PRT}
NOT_RETURNED = HOP_BY_HOP | {"date", "server", H_CORRELATION, H_PRT, H_HISTORY}
SOAP_ENV = SOAP11_ENV_NS.encode()
FAULT_CONTENT_TYPE = "text/xml; charset=UTF-8"


class ClientGone(Exception):
    """The caller closed the connection before its request was read: nobody to answer."""


class Router:
    def __init__(self, config: PlatformConfig, catalogue: CatalogueHolder, caller: ProducerCaller) -> None:
        self.config = config
        self.catalogue = catalogue
        self.caller = caller
        # the CA certificates a proxy's x-vp-auth-cert must chain to (only read when proxies are trusted)
        self.trusted_cas = load_trusted(config.tls_ca) if config.trusted_proxies and config.tls_ca else []
        if config.trusted_proxies and not self.trusted_cas:
            events.warning("EPH_VP_TRUSTED_PROXIES is set but EPH_VP_TLS_CA holds no CA: every x-vp-auth-cert gets VP002")

    # ------------------------------------------------------------------ steps

    def sender_of(self, request: web.Request) -> str:
        if request.secure:
            tls = request.transport.get_extra_info("ssl_object") if request.transport else None
            try:
                # the handshake verified the issuer; the rest of the rule is applied here
                sender = accepted_client_serial(tls.getpeercert(binary_form=True) if tls else None)
            except CertificateRefused as e:
                raise VpError("VP002", f"The client certificate was refused: {e}.") from None
            if not sender:
                raise VpError("VP002", "No sender ID (SERIALNUMBER) found in certificate.")
            return sender
        proxy = self.config.is_trusted_proxy(request.remote)
        if not proxy and not self.config.allows_plain(request.remote):
            raise VpError("VP011", f"Caller was not on the white list of accepted IP-addresses. "
                                   f"IP-address: {request.remote}")
        pem = request.headers.get(H_AUTH_CERT)
        sender = request.headers.get(H_SENDER, "").strip()
        if proxy:
            # from a trusted proxy only the certificate it saw identifies the caller: it passes on
            # what its own callers sent, x-vp-sender-id included, whatever the allow-list says
            if not pem:
                raise VpError("VP002", "From a trusted proxy (EPH_VP_TRUSTED_PROXIES) only a verified x-vp-auth-cert "
                                       "identifies the caller; " + ("x-vp-sender-id is not believed from there."
                                                                   if sender else "there was none."))
            if not self.trusted_cas:
                raise VpError("VP002", "x-vp-auth-cert cannot be verified: the platform has no CA (EPH_VP_TLS_CA)")
            try:
                return verified_sender(pem, self.trusted_cas)
            except CertificateRefused as e:
                raise VpError("VP002", f"The certificate in x-vp-auth-cert was refused: {e}.") from None
        # not a proxy, so on the allow-list
        if sender and request.headers.get(H_INSTANCE, "").strip() == self.config.instance_id:
            return sender
        if pem:
            raise VpError("VP002", "x-vp-auth-cert is believed only from the platform's trusted proxies "
                                   "(EPH_VP_TRUSTED_PROXIES), and x-vp-sender-id only with this platform's "
                                   "x-vp-instance-id.")
        if sender:
            raise VpError("VP002", "x-vp-sender-id is trusted only with this platform's x-vp-instance-id.")
        raise VpError("VP002", "No sender ID: no client certificate and no x-vp-sender-id.")

    def history_of(self, request: web.Request, sender: str) -> str:
        """The routing history to pass on: the sender, then each platform passed, ``#`` between them."""
        own = self.config.instance_id
        given = request.headers.get(H_HISTORY, "").strip()
        if not given:
            return f"{sender}{HISTORY_SEPARATOR}{own}"
        if any(entry.strip() == own for entry in given.split(HISTORY_SEPARATOR)):
            raise VpError("VP014", f"This platform ({own}) is already in x-rivta-routing-history.")
        return f"{given}{HISTORY_SEPARATOR}{own}"

    def original_consumer_of(self, request: web.Request, sender: str) -> str:
        given = request.headers.get(H_ORIGINAL, "").strip()
        if not given:
            return sender
        if not self.config.may_set_original_consumer(sender):
            if self.config.strict_original_consumer:
                raise VpError("VP013", "Sender is not approved to set header x-rivta-original-serviceconsumer-hsaid. "
                                       f"senderId: {shown(sender)}")
            # not enforced: the call goes through, but as the sender (a producer decides data
            # access by this header, so passing on what the sender claimed would let it pose
            # as another system)
            events.warning("VP013 (not enforced): sender %s set %s; the sender is used", shown(sender), H_ORIGINAL)
            return sender
        return given

    def route_of(self, contract: str, receiver: str, now: datetime) -> Route:
        table = self.catalogue.table
        if table is None:
            raise VpError("VP008", "No contact with TAK at startup, and no local cache to fallback on, "
                                   "not possible to route call")
        where = call_summary(shown(contract) or "", shown(receiver) or "")
        routes = [] if len(receiver) > MAX_SHOWN or len(contract) > MAX_SHOWN else table.find_routes(
            contract, receiver, now, climb=self.config.climb_routing.applies(contract),
            delimiter=self.config.default_routing_delimiter)
        if not routes:
            hint = ". Whitespace detected in incoming request!" if any(c.isspace() for c in receiver) else ""
            raise VpError("VP004", f"No receiverId (logical address) found for {where}{hint}")
        if len(routes) > 1:
            raise VpError("VP006", f"More than one receiverId (logical address) with matching Riv-version found for "
                                   f"{where} ({len(routes)} routings)")
        route = routes[0]
        if not route.url.strip():
            raise VpError("VP010", f"Physical Address field is empty in Service Producer for {where}")
        return route

    def authorize(self, sender: str, contract: str, receiver: str, now: datetime) -> None:
        table = self.catalogue.table
        assert table is not None
        if not table.is_authorized(sender, contract, receiver, now, climb=self.config.climb_authorization.applies(contract),
                                   delimiter=self.config.default_routing_delimiter):
            raise VpError("VP007", "Authorization missing for "
                                   f"{call_summary(shown(contract) or '', shown(receiver) or '', shown(sender))}")

    @staticmethod
    def record_of(request: web.Request) -> CallRecord:
        """The call's record, with its correlation id: the caller's when it keeps to the rule of
        ``routing.redact`` (at most 128 characters of letters, digits and ``-_.:``, no personal
        identity number), else a new UUID, as when the caller sends none. That one id is logged,
        returned and passed on; of a replaced id only why it was replaced is logged."""
        given = request.headers.get(H_CORRELATION, "")
        problem = correlation_id_problem(given) if given else None
        if given and problem is None:
            return CallRecord(given)
        return CallRecord(str(uuid.uuid4()), correlation_id_replaced=problem)

    # ------------------------------------------------------------------ the handler

    async def handle(self, request: web.Request) -> web.StreamResponse:
        record = self.record_of(request)
        response: web.StreamResponse | None = None
        history: list[str] = []
        try:
            try:
                response = await self._route(request, record, history)
            except web.HTTPRequestEntityTooLarge:
                raise VpError("VP015", f"The request could not be read properly. It is larger than the platform "
                                       f"accepts ({self.config.max_body} bytes).") from None
            except (VpError, ClientGone):
                raise
            except Exception as e:  # never a bare 500: a fault with the correlation id, and a log record
                events.error("internal error %s, correlation id %s", type(e).__name__, record.correlation_id)
                raise VpError("VP009", "Internal error in the platform.") from None
        except VpError as e:
            record.vp_code = e.code
            response = web.Response(status=500, body=vp_fault(e, self.config.instance_name),
                                    headers={"Content-Type": FAULT_CONTENT_TYPE})
        except ClientGone:
            record.outcome = "client_gone"
            events.info("the caller closed the connection before its request was read, correlation id %s",
                        record.correlation_id)
            response = web.Response(status=499)  # "client closed request": written to nobody, logged as such
        finally:
            if response is not None:
                response.headers[H_CORRELATION] = record.correlation_id
                response.headers[H_PRT] = str(int(record.producer_ms or 0))
                if history:
                    response.headers[H_HISTORY] = history[0]
                record.status = response.status
                if record.outcome != "client_gone" and record.vp_code is None:
                    record.outcome = "ok" if response.status == 200 else "producer_fault"
            log.info(record.line())
            metrics.record(record.metric_contract, record.outcome, record.vp_code, record.seconds,
                           None if record.producer_ms is None else record.producer_ms / 1000)
        return response

    async def _body(self, request: web.Request) -> bytes:
        try:
            return await request.read()
        except (ConnectionError, aiohttp.ClientPayloadError, asyncio.IncompleteReadError):
            raise ClientGone() from None
        except OSError as e:
            if request.transport is None or request.transport.is_closing():
                raise ClientGone() from None
            raise e

    async def _route(self, request: web.Request, record: CallRecord, history: list[str]) -> web.StreamResponse:
        sender = record.sender = self.sender_of(request)
        history.append(self.history_of(request, sender))
        body = await self._body(request)
        try:
            info = read_routing_info(body)
        except Unreadable as e:
            raise VpError("VP015", str(e)) from None
        record.contract = info.contract
        table = self.catalogue.table
        if table is not None:
            record.metric_contract = table.contracts.get(info.contract.lower(), metrics.OTHER)
        if info.soap_version != "1.1":
            raise VpError("VP001", "RIV-TA profiles use SOAP 1.1; the call is SOAP 1.2.")
        receiver = info.receiver
        if not receiver:
            raise VpError("VP003", "No receiverId (logical address) found in message header.")
        record.receiver = receiver
        original = record.original_consumer = self.original_consumer_of(request, sender)
        now = datetime.now(UTC)
        route = self.route_of(info.contract, receiver, now)
        record.producer_url = route.url
        self.authorize(sender, info.contract, receiver, now)
        if route.profile not in (RIVTABP20, RIVTABP21):
            raise VpError("VP005", f"No receiverId (logical address) with matching Riv-version found for "
                                   f"{call_summary(shown(info.contract) or '', shown(receiver) or '')} (the producer's profile is "
                                   f"{route.profile})")
        if route.profile != info.profile:
            try:
                body = rewrite_receiver(body, route.profile)
            except Unreadable as e:
                raise VpError("VP015", str(e)) from None

        if route.url.lower().startswith("https:") and self.caller.tls is None:
            raise VpError("VP012", f"Server problem, VP does not have all necessary resources to operate. The producer "
                                   f"at {route.url} is HTTPS and the platform has no client certificate "
                                   "(EPH_VP_PRODUCER_CERT) to call it with.")
        headers = CIMultiDict((k, v) for k, v in request.headers.items() if k.lower() not in NOT_FORWARDED
                              and not k.lower().startswith("x-forwarded-"))
        headers[H_SENDER] = sender
        if route.url.lower().startswith("http:"):
            headers[H_INSTANCE] = self.config.instance_id
        headers[H_ORIGINAL] = original
        headers[H_CORRELATION] = record.correlation_id
        headers[H_HISTORY] = history[0]
        started = time.perf_counter()
        producer_error = f"Error connecting to service producer at address {route.url}."
        try:
            reply = await self.caller.call(route.url, body, headers, self.config.timeout_for(info.contract))
        except aiohttp.ConnectionTimeoutError:
            # no connection (TCP and TLS) within the connect timeout, twice: nothing was sent, so a
            # caller may send a write again without doing it twice
            raise VpError("VP009", f"{producer_error} Timeout when connecting to producer "
                                   f"({self.config.connect_timeout:g} s, tried twice); nothing was sent to it.") from None
        except TimeoutError:
            raise VpError("VP009", f"{producer_error} Timeout when waiting on response from producer.") from None
        except ProducerAnswerTooLarge as e:
            events.warning("the producer at %s answered more than %d bytes; cut off (VP009), correlation id %s",
                           route.url, e.limit, record.correlation_id)
            raise VpError("VP009", f"{producer_error} The answer is larger than the platform passes on "
                                   f"({e.limit} bytes).") from None
        except aiohttp.ClientError as e:
            raise VpError("VP009", f"{producer_error} ({type(e).__name__})") from None
        finally:
            record.producer_ms = (time.perf_counter() - started) * 1000
        if not reply.body:
            raise VpError("VP009", f"{producer_error} The producer sent an empty reply (HTTP {reply.status}).")
        soap = SOAP_ENV in reply.body[:2048] and b"Envelope" in reply.body[:2048]
        if reply.status != 200 and not (reply.status == 500 and soap):
            raise VpError("VP009", f"{producer_error} The producer answered HTTP {reply.status} without a SOAP fault."
                                   f"\nVP_PRODUCER_EXCEPTION_HTTP_STATUS={reply.status}")
        out = web.Response(status=reply.status, body=reply.body)
        for k, v in reply.headers.items():
            if k.lower() not in NOT_RETURNED:
                out.headers.add(k, v)
        return out


# ------------------------------------------------------------------ the application

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(config: PlatformConfig, catalogue: CatalogueHolder, extra_routes: Callable[[web.Application], None] | None = None,
              started: float = STARTED, version: str = "",
              metrics_page: Callable[[], tuple[bytes, str]] | None = None) -> web.Application:
    """The platform's aiohttp application: /vp/ (routing), /status, /reload, /metrics (when given the
    page's maker: its body and content type) and whatever ``extra_routes`` adds."""
    caller = ProducerCaller(config)
    router = Router(config, catalogue, caller)
    app = web.Application(client_max_size=config.max_body)
    app["router"] = router

    async def on_startup(app: web.Application) -> None:
        await caller.start()
        app["follower"] = asyncio.create_task(_follow(catalogue))

    async def on_cleanup(app: web.Application) -> None:
        app["follower"].cancel()
        await caller.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)

    async def status(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "service": "eph service platform",
                "version": version,
                "instanceId": config.instance_id,
                "uptimeSeconds": int(time.time() - started),
                "catalogue": catalogue.status(),
            }
        )

    async def reload(request: web.Request) -> web.Response:
        if not config.allows_plain(request.remote):
            return web.json_response({"error": "reload is allowed from the platform's allow-list only"}, status=403)
        try:
            await asyncio.get_running_loop().run_in_executor(None, catalogue.reload)
        except Exception:
            return web.json_response(
                {"reloaded": False, "error": catalogue.last_error, "catalogue": catalogue.status()}, status=503
            )
        return web.json_response({"reloaded": True, "catalogue": catalogue.status()})

    async def metrics_handler(request: web.Request) -> web.Response:
        assert metrics_page is not None
        body, content_type = await asyncio.get_running_loop().run_in_executor(None, metrics_page)
        return web.Response(body=body, headers={"Content-Type": content_type})

    app.router.add_post("/vp/{tail:.*}", router.handle)
    app.router.add_get("/status", status)
    app.router.add_post("/reload", reload)
    if metrics_page is not None:
        app.router.add_get("/metrics", metrics_handler)
    if extra_routes is not None:
        extra_routes(app)
    return app


async def _follow(catalogue: CatalogueHolder) -> None:
    """Pick up a catalogue another node or worker reloaded (see routing/state.py)."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(1.0)
        try:
            await loop.run_in_executor(None, catalogue.follow)
        except Exception:  # keep following
            log.exception("following other reloads failed")

