"""The servers, run under gunicorn (gthread workers: a slow call ties up one thread, not a worker)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

from producers.application import ProducerApplication, ProducerConfig
from producers.handlers import SERVICE_VERSION, Handlers
from routing import store as routing_store
from routing.catalogue import Catalogue
from routing.config import PlatformConfig
from routing.hsa import load_hierarchy
from routing.registry_services import add_routes as add_registry_routes
from routing.router import build_app, configure_call_log
from routing.server import tls_context
from routing.state import CatalogueHolder
from service_domain import services
from service_domain.clock import utcnow
from service_domain.persistence.database import Database
from staff_web.config import StaffWebConfig

from .config import Settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
log = logging.getLogger("eph.server")


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)


def service_app(settings: Settings) -> ProducerApplication:
    configure_logging()
    db = Database(settings.database_url)
    return ProducerApplication(
        Handlers(db, logical_address=settings.logical_address),
        ProducerConfig(trusted_platforms=settings.trusted_platforms),
    )


class GunicornServer(BaseApplication):
    def __init__(self, factory: Callable[[], Any], options: dict[str, Any], tls: Any = None) -> None:
        self.factory = factory
        self.options = options
        self.tls = tls  # ((host, port), SSLContext) of a TLS listener, for the platform's worker
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        # newer gunicorn opens a control socket in $HOME; several servers on one machine would share it
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Any:
        return self.factory()


def _housekeeping_loop(settings: Settings) -> None:
    db = Database(settings.database_url)
    while True:
        time.sleep(settings.housekeeping_seconds)
        try:
            offers, orders = services.expire_due(db.uow(), utcnow())
            if offers or orders:
                log.info("housekeeping expired offers=%d orders=%d", offers, orders)
        except Exception as e:  # keep the loop alive; the text may quote data
            log.error("housekeeping failed: %s", type(e).__name__)


def gunicorn_options(bind: str, settings: Settings, name: str) -> dict[str, Any]:
    return {
        "bind": bind,
        "workers": settings.workers,
        "worker_class": "gthread",
        "threads": settings.threads,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "timeout": 60,
        "graceful_timeout": 10,
        "keepalive": 30,
        "proc_name": name,
    }


def serve_service(settings: Settings, bind: str | None = None) -> None:
    configure_logging()
    options = gunicorn_options(bind or settings.service_bind, settings, "eph-service")
    if settings.housekeeping_seconds > 0:
        options["when_ready"] = lambda _arbiter: threading.Thread(
            target=_housekeeping_loop, args=(settings,), daemon=True, name="housekeeping"
        ).start()
    GunicornServer(lambda: service_app(settings), options).run()


# ------------------------------------------------------------------ the platform


def _host_port(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host.strip("[]"), int(port)


def platform_app(settings: Settings, config: PlatformConfig) -> Any:
    """The platform application of one worker: its own engine, catalogue and producer pool."""
    configure_logging()
    db = Database(settings.database_url)

    def read_database() -> Catalogue | None:
        with db.engine.connect() as conn:
            return routing_store.load(conn)

    configure_call_log()
    holder = CatalogueHolder(read_database, config.local_copy, lambda: load_hierarchy(config.hsa_hierarchy))
    holder.start()
    return build_app(config, holder, add_registry_routes, version=SERVICE_VERSION)


def serve_platform(settings: Settings, config: PlatformConfig) -> None:
    configure_logging()
    binds = [config.bind]
    tls = None
    if config.tls_bind:
        if not (config.tls_cert and config.tls_key and config.tls_ca):
            raise SystemExit("a TLS listener needs EPH_VP_TLS_CERT, EPH_VP_TLS_KEY and EPH_VP_TLS_CA")
        binds.append(config.tls_bind)
        host, port = _host_port(config.tls_bind)
        tls = ((socket.gethostbyname(host) if host else "0.0.0.0", port), tls_context(config.tls_cert, config.tls_key, config.tls_ca))
    options = gunicorn_options(binds[0], settings, "eph-platform")
    options.update(bind=binds, workers=config.workers, worker_class="routing.server.AiohttpWorker")
    options.pop("threads")
    GunicornServer(lambda: platform_app(settings, config), options, tls).run()


# ------------------------------------------------------------------ the staff web


def staff_app(settings: Settings, config: StaffWebConfig) -> Any:
    from staff_web.app import create_app

    configure_logging()
    return create_app(Database(settings.database_url), config)


def serve_staff(settings: Settings, config: StaffWebConfig, bind: str | None = None) -> None:
    """The staff web on its plain listener and, when configured, on a TLS listener that requires
    a client certificate from the configured CA (card login). The TLS listener is a second
    gunicorn server in a child process: gunicorn's TLS settings hold for all of a server's
    listeners. Both share the database, so sessions work across them and their workers."""
    configure_logging()
    options = gunicorn_options(bind or config.bind, settings, "eph-staff")
    options.update(workers=config.workers, threads=config.threads)
    if config.tls_bind:
        if not (config.tls_cert and config.tls_key and config.tls_ca):
            raise SystemExit("a TLS listener needs EPH_STAFF_TLS_CERT, EPH_STAFF_TLS_KEY and EPH_STAFF_TLS_CA")
        tls_options = dict(
            options, bind=config.tls_bind, proc_name="eph-staff-tls", certfile=config.tls_cert,
            keyfile=config.tls_key, ca_certs=config.tls_ca, cert_reqs=ssl.CERT_REQUIRED,
        )
        child = os.fork()
        if child == 0:  # the TLS server
            try:
                GunicornServer(lambda: staff_app(settings, config), tls_options).run()
            finally:
                os._exit(0)

        def stop_tls(_arbiter: Any) -> None:
            try:
                os.kill(child, signal.SIGTERM)
                os.waitpid(child, 0)
            except OSError:
                pass

        options["on_exit"] = stop_tls
    GunicornServer(lambda: staff_app(settings, config), options).run()
