"""A producer with chosen behaviours, on a real listener (an aiohttp server in a thread)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support import free_port

OK_RESPONSE = (
    b'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    b'<soap:Body><r:PingResponse xmlns:r="urn:test:PingResponder:1"><r:ok>true</r:ok></r:PingResponse></soap:Body>'
    b"</soap:Envelope>"
)
FAULT_RESPONSE = (
    b'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    b"<soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>producer says no</faultstring>"
    b"<detail><x:why xmlns:x='urn:test'>because</x:why></detail></soap:Fault></soap:Body></soap:Envelope>"
)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeProducer:
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    slow_seconds: float = 3.0
    huge_bytes_sent: int = 0  # how much of its endless answer the /huge producer got out

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append(Received(request.path, {k.lower(): v for k, v in request.headers.items()}, body))
        kind = request.path.strip("/").split("/")[0]
        if kind == "slow":
            await asyncio.sleep(self.slow_seconds)
        if kind == "empty":
            return web.Response(status=200, body=b"")
        if kind == "html500":
            return web.Response(status=500, body=b"<html><body>Internal error</body></html>", content_type="text/html")
        if kind == "fault500":
            return web.Response(status=500, body=FAULT_RESPONSE, content_type="text/xml", charset="utf-8")
        if kind == "notfound":
            return web.Response(status=404, text="nothing here")
        if kind == "huge":  # an answer without end (300 MiB), sent as fast as it is taken
            return await self._huge(request, announce="length" in request.path)
        return web.Response(body=OK_RESPONSE, content_type="text/xml", charset="utf-8", headers={"X-Producer": "fake"})

    async def _huge(self, request: web.Request, announce: bool) -> web.StreamResponse:
        total, chunk = 300 * 1024 * 1024, b"<x>" + b"a" * (1024 * 1024 - 7) + b"</x>"
        response = web.StreamResponse(headers={"Content-Type": "text/xml"})
        if announce:
            response.content_length = total
        await response.prepare(request)
        self.huge_bytes_sent = 0
        try:
            await response.write(OK_RESPONSE[:-len(b"</soap:Envelope>")])
            while self.huge_bytes_sent < total:
                await response.write(chunk)
                self.huge_bytes_sent += len(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return response

    def start(self, delay: float = 0.0) -> FakeProducer:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self.loop = loop
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._handle)
            self.runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(self.runner.setup())
            if delay:
                ready.set()
                loop.run_until_complete(asyncio.sleep(delay))
            loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
            ready.set()
            loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        async def down() -> None:
            await self.runner.cleanup()

        fut: Any = asyncio.run_coroutine_threadsafe(down(), self.loop)
        fut.result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
