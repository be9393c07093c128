"""The router (VP): one HTTP endpoint under /vp/ that routes any RIV-TA call.

For each POST, in this order:
 1. the sender (client certificate on TLS; on plain HTTP only allow-listed callers, from
    x-vp-auth-cert or x-vp-sender-id + x-vp-instance-id)      VP011, VP002
 2. loop protection on x-rivta-routing-history                 VP014
 3. the contract (namespace of the Body's first element) and the receiver
    (LogicalAddress, or wsa:To for RIVTABP20), by a pull parse VP015, VP001, VP003
 4. the original consumer                                       VP013
 5. the routing                                                 VP008, VP004, VP006, VP010
 6. the authorization of the sender                             VP007
 7. the producer's RIV-TA profile (rewriting the receiver header) VP005
 8. the call to the producer (pooled, connect timeout 2 s, per-contract timeout,
    one retry after a connection failure)                       VP009
Every reply carries x-skltp-correlation-id and x-skltp-prt; each call writes one JSON log
line (never the message).
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from .catalogue import Route
from .config import PlatformConfig
from .faults import VpError, vp_fault
from .identity import serial_number_of_peercert, serial_number_of_pem
from .message import RIVTABP20, RIVTABP21, Unreadable, read_routing_info, rewrite_receiver
from .state import CatalogueHolder

log = logging.getLogger("eph.vp.call")


def configure_call_log() -> None:
    """Each call's record is a line of JSON of its own (no logging prefix) on standard error."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
STARTED = time.time()

H_SENDER = "x-vp-sender-id"
H_INSTANCE = "x-vp-instance-id"
H_AUTH_CERT = "x-vp-auth-cert"
H_ORIGINAL = "x-rivta-original-serviceconsumer-hsaid"
H_CORRELATION = "x-skltp-correlation-id"
H_PRT = "x-skltp-prt"
H_HISTORY = "x-rivta-routing-history"
HOP_BY_HOP = frozenset(
    h.lower()
    for h in (
        "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Host", "Content-Length",
    )
)
# headers the router sets itself, or never passes on
NOT_FORWARDED = HOP_BY_HOP | {H_SENDER, H_INSTANCE, H_AUTH_CERT, H_ORIGINAL, H_CORRELATION, H_HISTORY, H_PRT}
NOT_RETURNED = HOP_BY_HOP | {"date", "server", H_CORRELATION, H_PRT}
SOAP_ENV = b"http://schemas.xmlsoap.org/soap/envelope/"


@dataclass
class CallRecord:
    """What one call's log line says."""

    correlation_id: str
    started: float = field(default_factory=time.perf_counter)
    sender: str | None = None
    original_consumer: str | None = None
    receiver: str | None = None
    contract: str | None = None
    producer_url: str | None = None
    status: int = 0
    vp_code: str | None = None
    producer_ms: float = 0.0

    def line(self) -> str:
        return json.dumps(
            {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "correlationId": self.correlation_id,
                "sender": self.sender,
                "originalConsumer": self.original_consumer,
                "receiver": self.receiver,
                "contract": self.contract,
                "producerUrl": self.producer_url,
                "httpStatus": self.status,
                "vpCode": self.vp_code,
                "totalMs": round((time.perf_counter() - self.started) * 1000, 2),
                "producerMs": round(self.producer_ms, 2),
            },
            separators=(",", ":"),
        )


@dataclass(frozen=True)
class ProducerReply:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes


class ProducerCaller:
    """Calls producers over pooled keep-alive connections."""

    def __init__(self, config: PlatformConfig) -> None:
        self.config = config
        self.session: aiohttp.ClientSession | None = None
        self.tls: ssl.SSLContext | None = None

    def _ssl(self) -> ssl.SSLContext | None:
        """The TLS context for HTTPS producers: the platform shows its own client certificate."""
        if not self.config.producer_client_cert:
            return None
        ctx = ssl.create_default_context(cafile=self.config.producer_ca)
        ctx.load_cert_chain(self.config.producer_client_cert, self.config.producer_client_key)
        return ctx

    async def start(self) -> None:
        self.tls = self._ssl()
        # idle connections are let go before a producer would close them (theirs: 30 s)
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=256, keepalive_timeout=15, ssl=self.tls or True)
        self.session = aiohttp.ClientSession(connector=connector, auto_decompress=False, skip_auto_headers=("User-Agent",))

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def _once(self, url: str, body: bytes, headers: CIMultiDict[str], timeout: float) -> ProducerReply:
        assert self.session is not None
        t = aiohttp.ClientTimeout(total=timeout, sock_connect=self.config.connect_timeout)
        async with self.session.post(url, data=body, headers=headers, timeout=t, allow_redirects=False) as r:
            return ProducerReply(r.status, r.headers, await r.read())

    async def call(self, url: str, body: bytes, headers: CIMultiDict[str], timeout: float) -> ProducerReply:
        try:
            return await self._once(url, body, headers, timeout)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError):
            # the connection was never made: nothing reached the producer, so one retry is safe
            await asyncio.sleep(self.config.retry_pause)
            return await self._once(url, body, headers, timeout)


class Router:
    def __init__(self, config: PlatformConfig, catalogue: CatalogueHolder, caller: ProducerCaller) -> None:
        self.config = config
        self.catalogue = catalogue
        self.caller = caller
        self.own_history_entry = f"#{config.instance_id}"

    # ------------------------------------------------------------------ steps

    def sender_of(self, request: web.Request) -> str:
        if request.secure:
            peercert = request.transport.get_extra_info("peercert") if request.transport else None
            sender = serial_number_of_peercert(peercert)
            if not sender:
                raise VpError("VP002", "the client certificate's subject has no SERIALNUMBER")
            return sender
        if not self.config.allows_plain(request.remote):
            raise VpError("VP011", f"caller address {request.remote} may not use plain HTTP")
        pem = request.headers.get(H_AUTH_CERT)
        if pem:
            sender = serial_number_of_pem(pem)
            if not sender:
                raise VpError("VP002", "the certificate in x-vp-auth-cert is unreadable or has no SERIALNUMBER")
            return sender
        sender = request.headers.get(H_SENDER, "").strip()
        if sender and request.headers.get(H_INSTANCE, "").strip() == self.config.instance_id:
            return sender
        if sender:
            raise VpError("VP002", "x-vp-sender-id is trusted only with this platform's x-vp-instance-id")
        raise VpError("VP002", "no client certificate and no x-vp-sender-id")

    def history_of(self, request: web.Request) -> str:
        history = request.headers.get(H_HISTORY, "")
        if self.own_history_entry in history.split(","):
            raise VpError("VP014", f"this platform ({self.config.instance_id}) is already in the routing history")
        return f"{history},{self.own_history_entry}" if history else self.own_history_entry

    def original_consumer_of(self, request: web.Request, sender: str) -> str:
        given = request.headers.get(H_ORIGINAL, "").strip()
        if not given:
            return sender
        if sender.lower() not in self.config.original_consumer_senders:
            if self.config.strict_original_consumer:
                raise VpError("VP013", f"sender {sender} may not set x-rivta-original-serviceconsumer-hsaid")
            # not enforced: the call goes through, but as the sender (a producer decides data
            # access by this header, so passing on what the sender claimed would let it pose
            # as another system)
            logging.getLogger("eph.vp").warning("VP013 (not enforced): sender %s set %s; the sender is used",
                                                sender, H_ORIGINAL)
            return sender
        return given

    def route_of(self, contract: str, receiver: str, now: datetime) -> Route:
        table = self.catalogue.table
        if table is None:
            raise VpError("VP008", "the routing catalogue is not loaded and there is no local copy")
        routes = table.find_routes(contract, receiver, now)
        where = f"contract {contract}, logical address {receiver}"
        if not routes:
            note = " (the logical address contains whitespace)" if any(c.isspace() for c in receiver) else ""
            raise VpError("VP004", f"no routing for {where}{note}")
        if len(routes) > 1:
            raise VpError("VP006", f"{len(routes)} routings match {where}")
        route = routes[0]
        if not route.url.strip():
            raise VpError("VP010", f"the call address of the routing for {where} has no URL")
        return route

    def authorize(self, sender: str, contract: str, receiver: str, now: datetime) -> None:
        table = self.catalogue.table
        assert table is not None
        if not table.is_authorized(sender, contract, receiver, now):
            raise VpError("VP007", f"sender {sender} has no authorization for contract {contract}, logical address {receiver}")

    # ------------------------------------------------------------------ the handler

    async def handle(self, request: web.Request) -> web.StreamResponse:
        record = CallRecord(request.headers.get(H_CORRELATION) or str(uuid.uuid4()))
        response: web.StreamResponse | None = None
        try:
            try:
                response = await self._route(request, record)
            except web.HTTPRequestEntityTooLarge:
                raise VpError("VP015", f"the request is larger than the platform accepts ({self.config.max_body} bytes)") from None
            except VpError:
                raise
            except Exception as e:  # never a bare 500: a fault with the correlation id, and a log record
                logging.getLogger("eph.vp").error("internal error %s, correlation id %s", type(e).__name__,
                                                  record.correlation_id)
                raise VpError("VP009", "internal error in the platform") from None
        except VpError as e:
            record.vp_code = e.code
            response = web.Response(status=500, body=vp_fault(e), content_type="text/xml", charset="utf-8")
        finally:
            if response is not None:
                response.headers[H_CORRELATION] = record.correlation_id
                response.headers[H_PRT] = str(int(record.producer_ms))
                record.status = response.status
            log.info(record.line())
        return response

    async def _route(self, request: web.Request, record: CallRecord) -> web.StreamResponse:
        sender = record.sender = self.sender_of(request)
        history = self.history_of(request)
        body = await request.read()
        try:
            info = read_routing_info(body)
        except Unreadable as e:
            raise VpError("VP015", str(e)) from None
        record.contract = info.contract
        if info.soap_version != "1.1":
            raise VpError("VP001", "RIV-TA profiles use SOAP 1.1; the call is SOAP 1.2")
        receiver = info.receiver
        if not receiver:
            raise VpError("VP003", f"no LogicalAddress (or wsa:To) header in the call to contract {info.contract}")
        record.receiver = receiver
        original = record.original_consumer = self.original_consumer_of(request, sender)
        now = datetime.now(UTC)
        route = self.route_of(info.contract, receiver, now)
        record.producer_url = route.url
        self.authorize(sender, info.contract, receiver, now)
        if route.profile not in (RIVTABP20, RIVTABP21):
            raise VpError("VP005", f"the producer's profile {route.profile} is not one the platform supports")
        if route.profile != info.profile:
            try:
                body = rewrite_receiver(body, route.profile)
            except Unreadable as e:
                raise VpError("VP015", str(e)) from None

        if route.url.lower().startswith("https:") and self.caller.tls is None:
            raise VpError("VP012", f"the producer at {route.url} is HTTPS and the platform has no client certificate"
                          " (EPH_VP_PRODUCER_CERT) to call it with")
        headers = CIMultiDict((k, v) for k, v in request.headers.items() if k.lower() not in NOT_FORWARDED
                              and not k.lower().startswith("x-forwarded-"))
        headers[H_SENDER] = sender
        if route.url.lower().startswith("http:"):
            headers[H_INSTANCE] = self.config.instance_id
        headers[H_ORIGINAL] = original
        headers[H_CORRELATION] = record.correlation_id
        headers[H_HISTORY] = history
        started = time.perf_counter()
        try:
            reply = await self.caller.call(route.url, body, headers, self.config.timeout_for(info.contract))
        except TimeoutError:
            raise VpError("VP009", f"the producer at {route.url} did not answer in time") from None
        except aiohttp.ClientError as e:
            raise VpError("VP009", f"could not call the producer at {route.url} ({type(e).__name__})") from None
        finally:
            record.producer_ms = (time.perf_counter() - started) * 1000
        if not reply.body:
            raise VpError("VP009", f"the producer at {route.url} sent an empty reply (HTTP {reply.status})")
        soap = SOAP_ENV in reply.body[:2048] and b"Envelope" in reply.body[:2048]
        if reply.status != 200 and not (reply.status == 500 and soap):
            raise VpError("VP009", f"the producer at {route.url} answered HTTP {reply.status} without a SOAP fault")
        out = web.Response(status=reply.status, body=reply.body)
        for k, v in reply.headers.items():
            if k.lower() not in NOT_RETURNED:
                out.headers.add(k, v)
        return out


# ------------------------------------------------------------------ the application

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(config: PlatformConfig, catalogue: CatalogueHolder, extra_routes: Callable[[web.Application], None] | None = None,
              started: float = STARTED, version: str = "") -> web.Application:
    """The platform's aiohttp application: /vp/ (routing), /status, /reload, and whatever ``extra_routes`` adds."""
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

    app.router.add_post("/vp/{tail:.*}", router.handle)
    app.router.add_get("/status", status)
    app.router.add_post("/reload", reload)
    if extra_routes is not None:
        extra_routes(app)
    return app


async def _follow(catalogue: CatalogueHolder) -> None:
    """Pick up a catalogue another worker reloaded (they share the local copy)."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(1.0)
        try:
            await loop.run_in_executor(None, catalogue.follow_local_copy)
        except Exception:  # keep following
            log.exception("following the local copy failed")

