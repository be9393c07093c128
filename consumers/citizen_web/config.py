"""Settings of the citizen web, from the environment (``EPH_CITIZEN_WEB_*``; the platform's address
and instance id as ``eph citizen`` reads them)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..client import DEFAULT_INSTANCE_ID, DEFAULT_LOGICAL_ADDRESS, DEFAULT_PLATFORM, Connection, Identity

CITIZEN_SERVICE = "SE5565594230-1177"


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _flag(name: str) -> bool:
    return (os.environ.get(name) or "").strip().lower() in ("1", "true", "yes", "on")


def _platform_url() -> str:
    """``EPH_PLATFORM_URL``; else the platform's own plain listener when its bind is configured
    (``eph serve all`` starts both with one environment) and not turned off (``none``)."""
    bind = os.environ.get("EPH_PLATFORM_BIND")
    plain = f"http://{bind}" if bind and bind.strip().lower() != "none" else DEFAULT_PLATFORM
    return os.environ.get("EPH_PLATFORM_URL") or plain


def _opt(name: str) -> str | None:
    return os.environ.get(name) or None


@dataclass(frozen=True)
class CitizenWebConfig:
    bind: str = field(default_factory=lambda: _env("EPH_CITIZEN_WEB_BIND", "127.0.0.1:8083"))
    # who the web is on the platform, and where the platform is
    hsa_id: str = field(default_factory=lambda: _env("EPH_CITIZEN_WEB_HSA_ID", CITIZEN_SERVICE))
    platform: str = field(default_factory=lambda: _platform_url())
    instance_id: str = field(default_factory=lambda: _env("EPH_VP_INSTANCE_ID", DEFAULT_INSTANCE_ID))
    logical_address: str = field(default_factory=lambda: _env("EPH_LOGICAL_ADDRESS", DEFAULT_LOGICAL_ADDRESS))
    # TLS to the platform (a client certificate whose SERIALNUMBER is hsa_id); without them the
    # development identity headers on the platform's plain-HTTP listener
    cert: str | None = field(default_factory=lambda: _opt("EPH_CITIZEN_WEB_CERT"))
    key: str | None = field(default_factory=lambda: _opt("EPH_CITIZEN_WEB_KEY"))
    ca: str | None = field(default_factory=lambda: _opt("EPH_CITIZEN_WEB_CA"))
    # the region whose self-service entries are shown when no population register tells the
    # patient's home region (home_region.py)
    care_giver: str = field(default_factory=lambda: _env("EPH_CITIZEN_WEB_CARE_GIVER", "SE2321000016-CG01"))
    # 1177's support number for the e-services, on every page (not verified against 1177's
    # published number: set it from 1177's contact page)
    support_phone: str = field(default_factory=lambda: _env("EPH_CITIZEN_WEB_SUPPORT_PHONE", "0771-11 77 00"))
    # login by personnummer alone, for development and demos only; off unless turned on
    dev_login: bool = field(default_factory=lambda: _flag("EPH_CITIZEN_WEB_DEV_LOGIN"))
    # the key that encrypts the session cookie (a Fernet key); without it, one per server start
    session_key: str | None = field(default_factory=lambda: _opt("EPH_CITIZEN_WEB_SESSION_KEY"))
    idle_minutes: int = field(default_factory=lambda: int(_env("EPH_CITIZEN_WEB_IDLE_MINUTES", "15")))
    session_hours: int = field(default_factory=lambda: int(_env("EPH_CITIZEN_WEB_SESSION_HOURS", "4")))
    workers: int = field(default_factory=lambda: int(_env("EPH_CITIZEN_WEB_WORKERS", "2")))
    threads: int = field(default_factory=lambda: int(_env("EPH_CITIZEN_WEB_THREADS", "4")))

    def connection(self) -> Connection:
        identity = Identity(self.hsa_id, instance_id=self.instance_id, cert=self.cert, key=self.key, ca=self.ca)
        return Connection(identity, self.platform, self.logical_address, timeout=30)
