"""The servers, run under gunicorn (gthread workers: a slow call ties up one thread, not a worker)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import ssl
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from gunicorn.app.base import BaseApplication

from producers.application import ProducerApplication, ProducerConfig
from producers.handlers import SERVICE_VERSION, Handlers
from routing import store as routing_store
from routing.call_record import configure_call_log
from routing.catalogue import Catalogue
from routing.config import PlatformConfig, is_off
from routing.hsa import load_hierarchy
from routing.registry_services import add_routes as add_registry_routes
from routing.router import build_app
from routing.server import tls_context
from routing.state import CatalogueHolder
from service_domain.identity import PersonId
from service_domain.persistence.database import Database
from staff_web.config import StaffWebConfig

from .config import Settings
from .devpki import DevPki
from .housekeeping import Housekeeping
from .logs import JsonGunicornLogger, configure_logging
from .metrics import exposition, gunicorn_hooks
from .outbox import (
    Nudge,
    OutboxUnitOfWork,
    OutboxWorker,
    configured_senders,
    observe_queue,
    outbox_events_on,
    outbox_status,
)
from .population import configured_register

log = logging.getLogger("eph.server")


def service_app(settings: Settings) -> ProducerApplication:
    """The service application of one worker (built after the worker has forked)."""
    configure_logging()
    db = Database(settings.database_url, population=configured_register())
    if settings.housekeeping_seconds > 0:
        Housekeeping(db, settings.housekeeping_seconds, retention=settings.retention,
                     retention_every=settings.retention_every).start()
    nudge: Nudge | None = None
    if settings.outbox_seconds > 0:
        nudge = Nudge()
        OutboxWorker(db, settings.outbox_seconds, configured_senders(source_system=settings.logical_address, db=db),
                     nudge=nudge).start()
    write_events = outbox_events_on()

    def metrics_page() -> tuple[bytes, str]:
        observe_queue(db)  # the queue as it is when read, with or without a delivery thread
        return exposition()

    on_commit = nudge.set if nudge is not None else None
    return ProducerApplication(
        Handlers(lambda: OutboxUnitOfWork(db, on_commit, write_events), logical_address=settings.logical_address),
        ProducerConfig(public_base_url=settings.public_base_url, trusted_platforms=frozenset(settings.trusted_platforms)),
        metrics_page=metrics_page,
        status_page=lambda: outbox_status(db),
    )


def ensure_dev_certificates(settings: Settings) -> None:
    """The development CA and certificates, made on first start where no others are configured."""
    if settings.uses_dev_pki:
        made = DevPki(settings.certs_dir).ensure()
        if made:
            log.info("development certificates made in %s: %s", settings.certs_dir, ", ".join(made))


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


def gunicorn_options(bind: str, settings: Settings, name: str) -> dict[str, Any]:
    return {
        "bind": bind,
        "workers": settings.workers,
        "worker_class": "gthread",
        "threads": settings.threads,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "logger_class": JsonGunicornLogger,
        "timeout": 60,
        "graceful_timeout": 10,
        "keepalive": 30,
        "proc_name": name,
        **gunicorn_hooks(),
    }


def tls_options(cert: str, key: str, ca: str) -> dict[str, Any]:
    """A TLS listener that asks for a client certificate from ``ca`` and verifies the one it gets;
    a call without one is refused by the application where it needs one. One SSL context per
    worker (gunicorn would otherwise build one per connection)."""
    contexts: list[ssl.SSLContext] = []

    def context(_config: Any, default_factory: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        if not contexts:
            contexts.append(default_factory())
        return contexts[0]

    return {"certfile": cert, "keyfile": key, "ca_certs": ca, "cert_reqs": ssl.CERT_OPTIONAL, "ssl_context": context}


def serve_service(settings: Settings) -> None:
    configure_logging()
    ensure_dev_certificates(settings)
    options = gunicorn_options(settings.service_bind, settings, "eph-service")
    options.update(tls_options(settings.tls_cert, settings.tls_key, settings.tls_ca))
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

    def read_generation() -> int | None:
        with db.engine.connect() as conn:
            return routing_store.reload_generation(conn)

    me = f"{config.instance_id} {socket.gethostname()}:{os.getpid()}"

    def announce(version: int) -> int:
        with db.engine.begin() as conn:
            return routing_store.announce_reload(conn, version, me, datetime.now(UTC))

    configure_call_log()
    holder = CatalogueHolder(read_database, config.local_copy, lambda: load_hierarchy(config.hsa_hierarchy),
                             read_generation=read_generation, announce=announce)
    holder.start()
    return build_app(config, holder, add_registry_routes, version=SERVICE_VERSION, metrics_page=exposition)


def with_dev_producer_certificate(settings: Settings, config: PlatformConfig) -> PlatformConfig:
    """The platform shows producers the development platform certificate unless another is configured
    (``EPH_VP_PRODUCER_CERT``; ``none`` for no certificate at all)."""
    if config.producer_client_cert == "none":
        return replace(config, producer_client_cert=None, producer_client_key=None)
    if config.producer_client_cert:
        return config
    pki = DevPki(settings.certs_dir)
    pki.ensure()
    return replace(config, producer_client_cert=str(pki.platform.cert), producer_client_key=str(pki.platform.key),
                   producer_ca=config.producer_ca or str(pki.ca.cert))


def serve_platform(settings: Settings, config: PlatformConfig) -> None:
    configure_logging()
    config = with_dev_producer_certificate(settings, config)
    binds = [config.bind] if config.plain_listener else []
    tls = None
    if config.tls_bind:
        if not (config.tls_cert and config.tls_key and config.tls_ca):
            raise SystemExit("a TLS listener needs EPH_VP_TLS_CERT, EPH_VP_TLS_KEY and EPH_VP_TLS_CA")
        binds.append(config.tls_bind)
        host, port = _host_port(config.tls_bind)
        tls = ((socket.gethostbyname(host) if host else "0.0.0.0", port), tls_context(config.tls_cert, config.tls_key, config.tls_ca))
    if not binds:
        raise SystemExit("the platform has no listener: EPH_PLATFORM_BIND is none and EPH_VP_TLS_BIND is not set")
    options = gunicorn_options(binds[0], settings, "eph-platform")
    options.update(bind=binds, workers=config.workers, worker_class="routing.server.AiohttpWorker")
    options.pop("threads")
    GunicornServer(lambda: platform_app(settings, config), options, tls).run()


# ------------------------------------------------------------------ the staff web


def staff_app(settings: Settings, config: StaffWebConfig) -> Any:
    from staff_web.app import create_app

    configure_logging()
    return create_app(Database(settings.database_url, population=configured_register()), config)


def serve_staff(settings: Settings, config: StaffWebConfig, bind: str | None = None) -> None:
    """The staff web on its plain listener and, when configured, on a TLS listener that requires
    a client certificate from the configured CA (card login). The TLS listener is a second
    gunicorn server in a child process: gunicorn's TLS settings hold for all of a server's
    listeners. Both share the database, so sessions work across them and their workers.
    With the plain listener off (bind ``none``) the TLS server is the only one."""
    configure_logging()
    plain = not is_off(bind or config.bind)
    options = gunicorn_options(bind or config.bind, settings, "eph-staff")
    options.update(workers=config.workers, threads=config.threads)
    if not plain and not config.tls_bind:
        raise SystemExit("the staff web has no listener: EPH_STAFF_BIND is none and EPH_STAFF_TLS_BIND is not set")
    if config.tls_bind:
        if not (config.tls_cert and config.tls_key and config.tls_ca):
            raise SystemExit("a TLS listener needs EPH_STAFF_TLS_CERT, EPH_STAFF_TLS_KEY and EPH_STAFF_TLS_CA")
        tls_options = dict(
            options, bind=config.tls_bind, proc_name="eph-staff-tls", certfile=config.tls_cert,
            keyfile=config.tls_key, ca_certs=config.tls_ca, cert_reqs=ssl.CERT_REQUIRED,
        )
        if not plain:
            GunicornServer(lambda: staff_app(settings, config), tls_options).run()
            return
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
        try:
            GunicornServer(lambda: staff_app(settings, config), options).run()
        finally:  # also when the plain listener cannot bind: the TLS server must not run on alone
            stop_tls(None)
        return
    GunicornServer(lambda: staff_app(settings, config), options).run()


# ------------------------------------------------------------------ the citizen web (1177 stand-in)


def citizen_home_region() -> Any:
    """The 1177 stand-in's seam to each patient's home region: the population register the
    settings name (EPH_POPULATION_URL), as the e-service knows the county a patient is registered
    in; None (the configured region for everyone) without one."""
    from consumers.citizen_web.home_region import from_register
    from consumers.roles import person_id

    register = configured_register()
    if register is None:
        return None

    def lookup(number: str) -> Any:
        given = person_id(number)
        return register.lookup(PersonId(given["id"], given["type"]))

    return from_register(lookup)


def serve_citizen(settings: Settings, bind: str | None = None) -> None:
    """The 1177 stand-in: a consumer of the platform, with no database. Its session key is made
    here, in the master, when none is configured, so that every worker reads the same cookies."""
    from consumers.citizen_web.app import create_app
    from consumers.citizen_web.config import CitizenWebConfig
    from consumers.citizen_web.session import new_key

    configure_logging()
    config = CitizenWebConfig()
    key = config.session_key or new_key()

    def factory() -> Any:
        configure_logging()
        return create_app(config, session_key=key, home_region=citizen_home_region())

    options = gunicorn_options(bind or config.bind, settings, "eph-citizen-web")
    options.update(workers=config.workers, threads=config.threads)
    GunicornServer(factory, options).run()


# ------------------------------------------------------------------ the engagement index stand-in


def _serve_stand_in(settings: Settings, bind: str, workers: int, threads: int, name: str,
                    create_store: Callable[[], None], create_app: Callable[[], Any]) -> None:
    """A stand-in with a database of its own: the database made once, in the master, before the
    workers start (each worker then only opens it)."""
    configure_logging()
    create_store()

    def factory() -> Any:
        configure_logging()
        return create_app()

    options = gunicorn_options(bind, settings, name)
    options.update(workers=workers, threads=threads)
    GunicornServer(factory, options).run()


def serve_engagement_index(settings: Settings, bind: str | None = None) -> None:
    """The national engagement index's stand-in: a producer of Update and FindContent behind the
    platform, with a database of its own, and a consumer of its subscribers' ProcessNotification."""
    from consumers.engagement_index.app import create_app
    from consumers.engagement_index.config import EngagementIndexConfig
    from consumers.engagement_index.store import EngagementStore

    config = EngagementIndexConfig()
    _serve_stand_in(settings, bind or config.bind, config.workers, config.threads, "eph-engagement-index",
                    EngagementStore(config.database_url).create, lambda: create_app(config))


# ------------------------------------------------------------------ a journal system's notification subscriber


def serve_ehr_subscriber(settings: Settings, bind: str | None = None) -> None:
    """The demo journal system's side of the engagement index: a producer of ProcessNotification
    behind the platform, with a journal database of its own, and a consumer of
    GetLaboratoryOrderOutcome for what it is told of."""
    from consumers.journal.app import create_app
    from consumers.journal.config import JournalConfig
    from consumers.journal.store import JournalStore

    config = JournalConfig()
    _serve_stand_in(settings, bind or config.bind, config.workers, config.threads, "eph-ehr-subscriber",
                    JournalStore(config.database_url).create, lambda: create_app(config))


# ------------------------------------------------------------------ the SMS gateway stand-in


def serve_sms_gateway(settings: Settings, bind: str | None = None) -> None:
    """An SMS gateway's stand-in for the notices: keeps what it is sent in memory (one worker)."""
    from consumers.sms_gateway.app import create_app
    from consumers.sms_gateway.config import SmsGatewayStandInConfig

    config = SmsGatewayStandInConfig()
    _serve_stand_in(settings, bind or config.bind, 1, config.threads, "eph-sms-gateway",
                    lambda: None, lambda: create_app(config))


# ------------------------------------------------------------------ the population register stand-in


def serve_population_register(settings: Settings, bind: str | None = None) -> None:
    """The population register's stand-in: the demo's people in memory (one worker)."""
    from consumers.population_register.app import create_app
    from consumers.population_register.config import PopulationRegisterStandInConfig

    config = PopulationRegisterStandInConfig()
    _serve_stand_in(settings, bind or config.bind, 1, config.threads, "eph-population-register",
                    lambda: None, lambda: create_app(config))
