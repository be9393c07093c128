"""``eph certs`` (the development PKI) and ``eph serve`` (the servers, one or all)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from routing.config import PlatformConfig, is_off
from staff_web.config import StaffWebConfig

from .. import metrics, profile
from ..config import Settings
from ..devpki import PLATFORM_HSA_ID, DevPki


def cmd_certs_init(args: argparse.Namespace, settings: Settings) -> int:
    pki = DevPki(settings.certs_dir)
    made = pki.ensure()
    print(f"development certificates in {pki.folder}: " + (f"made {', '.join(made)}" if made else "all present"))
    print(f"  CA {pki.ca.cert}; platform (SERIALNUMBER {PLATFORM_HSA_ID}) {pki.platform.cert}; service {pki.service.cert}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    profile.check(args.what, settings)  # the production profile refuses development settings
    if args.what == "all":
        return serve_all(settings)
    # before anything imports prometheus-client: it picks multiprocess mode at import
    metrics.use_multiprocess_dir(args.what)
    from ..server import (
        serve_citizen,
        serve_ehr_subscriber,
        serve_engagement_index,
        serve_platform,
        serve_population_register,
        serve_service,
        serve_sms_gateway,
        serve_staff,
    )

    if args.what == "service":
        serve_service(replace(settings, service_bind=args.bind) if args.bind else settings)
    elif args.what == "staff":
        serve_staff(settings, StaffWebConfig(), args.bind)
    elif args.what == "citizen":
        serve_citizen(settings, args.bind)
    elif args.what == "engagement-index":
        serve_engagement_index(settings, args.bind)
    elif args.what == "ehr-subscriber":
        serve_ehr_subscriber(settings, args.bind)
    elif args.what == "sms-gateway":
        serve_sms_gateway(settings, args.bind)
    elif args.what == "population-register":
        serve_population_register(settings, args.bind)
    elif args.what == "platform":
        config = PlatformConfig()
        if args.bind:
            config = replace(config, bind=args.bind)
        serve_platform(settings, config)
    return 0


# what `eph serve all` starts in every profile, and in development also the stand-ins of the
# national engagement index, of the demo journal system's subscriber, of an SMS gateway and of the
# population register
SERVERS = ("service", "platform", "staff", "citizen")
STAND_INS = ("engagement-index", "ehr-subscriber", "sms-gateway", "population-register")
STAND_IN_BINDS = ("EPH_EI_BIND", "EPH_EHR_BIND", "EPH_SMS_GATEWAY_BIND", "EPH_POPULATION_REGISTER_BIND")


def serve_all_plan(env: Mapping[str, str], production: bool) -> tuple[tuple[str, ...], dict[str, str]]:
    """The servers ``eph serve all`` starts and the environment they start with.

    In development the engagement index stand-in, the journal system's subscriber and the SMS
    gateway stand-in start too (each unless its bind, ``EPH_EI_BIND``, ``EPH_EHR_BIND`` or
    ``EPH_SMS_GATEWAY_BIND``, is ``none``), so that a released result travels the national way and
    the patient is told: with the index started the index push is on unless ``EPH_INDEX_PUSH`` is
    set (``0`` keeps it off), and the index's subscribers are the journal system unless
    ``EPH_EI_SUBSCRIBERS`` is set; with the SMS gateway started the notices go to it unless a
    notice transport (``EPH_NOTICE_SMS_URL`` or ``EPH_NOTICE_SMTP_HOST``) is configured; with the
    population register stand-in started (``EPH_POPULATION_REGISTER_BIND``) the service, the
    staff web and the 1177 stand-in ask it unless ``EPH_POPULATION_URL`` is set. In
    production none starts (the national systems and a real gateway are used) and nothing is
    changed."""
    child = dict(env)
    if production:
        return SERVERS, child
    stand_ins = tuple(s for s, bind in zip(STAND_INS, STAND_IN_BINDS, strict=True) if not is_off(env.get(bind)))
    if "engagement-index" in stand_ins and "EPH_INDEX_PUSH" not in env:
        child["EPH_INDEX_PUSH"] = "1"
    if "ehr-subscriber" in stand_ins and "EPH_EI_SUBSCRIBERS" not in env:
        from consumers.journal.config import JournalConfig

        child["EPH_EI_SUBSCRIBERS"] = JournalConfig().hsa_id
    if "sms-gateway" in stand_ins and not (env.get("EPH_NOTICE_SMS_URL") or env.get("EPH_NOTICE_SMTP_HOST")):
        from consumers.sms_gateway.config import SmsGatewayStandInConfig

        gateway = SmsGatewayStandInConfig()
        child["EPH_NOTICE_SMS_URL"] = f"http://{env.get('EPH_SMS_GATEWAY_BIND') or gateway.bind}/sms"
        child["EPH_NOTICE_SMS_TOKEN"] = env.get("EPH_SMS_GATEWAY_TOKEN") or gateway.token
    if "population-register" in stand_ins and not env.get("EPH_POPULATION_URL"):
        from consumers.population_register.config import PopulationRegisterStandInConfig

        register = PopulationRegisterStandInConfig()
        child["EPH_POPULATION_URL"] = f"http://{env.get('EPH_POPULATION_REGISTER_BIND') or register.bind}"
        child["EPH_POPULATION_TOKEN"] = env.get("EPH_POPULATION_REGISTER_TOKEN") or register.token
    return SERVERS + stand_ins, child


def serve_all(settings: Settings) -> int:
    """The service, the platform, the staff web and the 1177 stand-in and, in development, the
    engagement index stand-in, the journal system's notification subscriber, the SMS gateway
    stand-in and the population register stand-in (``serve_all_plan``),
    each its own server process; when one stops, all stop."""
    if settings.uses_dev_pki:
        DevPki(settings.certs_dir).ensure()  # once, before the servers that use it start
    servers, env = serve_all_plan(os.environ, profile.current() == "production")
    procs = [subprocess.Popen([sys.executable, "-m", "eph", "serve", what], env=env) for what in servers]

    def stop(*_: object) -> None:
        for p in procs:
            if p.poll() is None:
                p.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    finally:
        stop()
        for p in procs:
            p.wait()
    return max(p.returncode or 0 for p in procs)


def add_parsers(sub: Any) -> None:
    certs = sub.add_parser("certs", help="the development PKI").add_subparsers(dest="certs_command", required=True)
    certs.add_parser("init", help="make the development CA and certificates that are missing (EPH_CERTS_DIR)").set_defaults(
        func=cmd_certs_init
    )

    serve = sub.add_parser("serve", help="start a server")
    serve.add_argument("what", nargs="?", default="all", choices=["all", "service", "platform", "staff", "citizen", "engagement-index",
                                                                 "ehr-subscriber", "sms-gateway", "population-register"])
    serve.add_argument("--bind", help="host:port (service: EPH_SERVICE_BIND, 127.0.0.1:8081; platform: EPH_PLATFORM_BIND, "
                       "127.0.0.1:8080; staff web: EPH_STAFF_BIND, 127.0.0.1:8082; citizen web: "
                       "EPH_CITIZEN_WEB_BIND, 127.0.0.1:8083; engagement index: EPH_EI_BIND, 127.0.0.1:8084; "
                       "journal system's notification subscriber: EPH_EHR_BIND, 127.0.0.1:8085; "
                       "SMS gateway stand-in: EPH_SMS_GATEWAY_BIND, 127.0.0.1:8086; population register "
                       "stand-in: EPH_POPULATION_REGISTER_BIND, 127.0.0.1:8087)")
    serve.set_defaults(func=cmd_serve)
