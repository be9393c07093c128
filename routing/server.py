"""Serving the platform: a gunicorn worker running the aiohttp application.

Each worker runs one event loop (uvloop where available), so a slow producer ties up a
pending call, not a thread or a process: calls to other producers go on. The worker serves
every socket gunicorn bound; the one that is the TLS listener is wrapped in a TLS context
that requires a client certificate (signed by the configured CA).
"""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
from typing import Any

from aiohttp import web
from gunicorn.workers.base import Worker


def tls_context(cert: str, key: str, ca: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=ca)
    ctx.load_cert_chain(cert, key)
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop

        return uvloop.new_event_loop()
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return asyncio.new_event_loop()


class AiohttpWorker(Worker):
    """Runs ``self.wsgi`` (an aiohttp Application made after the fork) on gunicorn's sockets.

    The gunicorn application object may carry ``tls``: ((host, port), SSLContext) for the
    listener that speaks TLS.
    """

    def init_process(self) -> None:
        self.loop = _new_loop()
        asyncio.set_event_loop(self.loop)
        super().init_process()

    def init_signals(self) -> None:
        super().init_signals()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            self.loop.add_signal_handler(sig, self._stop)

    def _stop(self) -> None:
        self.alive = False

    def run(self) -> None:
        self.loop.run_until_complete(self._serve())
        self.loop.close()

    async def _serve(self) -> None:
        app: web.Application = self.wsgi
        runner = web.AppRunner(
            app, access_log=None, keepalive_timeout=self.cfg.keepalive, shutdown_timeout=self.cfg.graceful_timeout
        )
        await runner.setup()
        tls: Any = getattr(self.app, "tls", None)
        for sock in self.sockets:
            address = sock.getsockname()[:2]
            ctx = tls[1] if tls is not None and address == tls[0] else None
            await web.SockSite(runner, sock, ssl_context=ctx).start()
        parent = os.getppid()
        while self.alive:
            self.notify()
            if os.getppid() != parent:
                break
            await asyncio.sleep(0.5)
        await runner.cleanup()
