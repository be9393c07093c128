"""``eph certs`` (the development PKI) and ``eph serve`` (the servers, one or all)."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from dataclasses import replace
from typing import Any

from routing.config import PlatformConfig
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
    elif args.what == "platform":
        config = PlatformConfig()
        if args.bind:
            config = replace(config, bind=args.bind)
        serve_platform(settings, config)
    return 0


def serve_all(settings: Settings) -> int:
    """The service, the platform, the staff web and the 1177 stand-in, each its own server process; when
    one stops, all stop. The engagement index stand-in and the journal system's notification subscriber
    are not among them (``eph serve engagement-index``, ``eph serve ehr-subscriber``): the index push is
    off in ``make serve``, so neither would be told of anything."""
    if settings.uses_dev_pki:
        DevPki(settings.certs_dir).ensure()  # once, before the servers that use it start
    procs = [subprocess.Popen([sys.executable, "-m", "eph", "serve", what]) for what in ("service", "platform", "staff", "citizen")]

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
                                                                 "ehr-subscriber", "sms-gateway"])
    serve.add_argument("--bind", help="host:port (service: EPH_SERVICE_BIND, 127.0.0.1:8081; platform: EPH_PLATFORM_BIND, "
                       "127.0.0.1:8080; staff web: EPH_STAFF_BIND, 127.0.0.1:8082; citizen web: "
                       "EPH_CITIZEN_WEB_BIND, 127.0.0.1:8083; engagement index: EPH_EI_BIND, 127.0.0.1:8084; "
                       "journal system's notification subscriber: EPH_EHR_BIND, 127.0.0.1:8085; "
                       "SMS gateway stand-in: EPH_SMS_GATEWAY_BIND, 127.0.0.1:8086)")
    serve.set_defaults(func=cmd_serve)
