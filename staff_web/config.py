"""Settings of the staff web, from the environment (``EPH_STAFF_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import time, timedelta

from service_domain.model import BurstLimit, OfficeHours
from service_domain.services import ReviewSettings


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class StaffWebConfig:
    # the plain-HTTP listener (development, or behind a TLS-terminating proxy)
    bind: str = field(default_factory=lambda: _env("EPH_STAFF_BIND", "127.0.0.1:8082"))
    # the staff web's own registration (a connected system of kind STAFF_UI)
    hsa_id: str = field(default_factory=lambda: _env("EPH_STAFF_HSA_ID", "SE5565594230-STAFF"))
    # password login for development and demos only; off unless turned on
    dev_login: bool = field(default_factory=lambda: _flag("EPH_STAFF_DEV_LOGIN", False))
    idle_minutes: int = field(default_factory=lambda: int(_env("EPH_STAFF_IDLE_MINUTES", "15")))
    session_hours: int = field(default_factory=lambda: int(_env("EPH_STAFF_SESSION_HOURS", "12")))
    # card login: a TLS listener that requires a client certificate from this CA
    tls_bind: str | None = field(default_factory=lambda: os.environ.get("EPH_STAFF_TLS_BIND") or None)
    tls_cert: str | None = field(default_factory=lambda: os.environ.get("EPH_STAFF_TLS_CERT") or None)
    tls_key: str | None = field(default_factory=lambda: os.environ.get("EPH_STAFF_TLS_KEY") or None)
    tls_ca: str | None = field(default_factory=lambda: os.environ.get("EPH_STAFF_TLS_CA") or None)
    workers: int = field(default_factory=lambda: int(_env("EPH_STAFF_WORKERS", "2")))
    threads: int = field(default_factory=lambda: int(_env("EPH_STAFF_THREADS", "4")))
    # failed logins: at most this many per account, and per client address, in the window
    failures_per_account: int = 5
    failures_per_address: int = 20
    failure_window_minutes: int = 15
    # an uthopp token may be valid for at most this many seconds
    uthopp_max_lifetime: int = 120
    # the log review's checks (EPH_LOG_REVIEW_*)
    log_review: ReviewSettings = field(default_factory=lambda: review_settings())


def _days(text: str) -> frozenset[int]:
    """ISO weekdays (1 Monday … 7 Sunday) as "1-5" or "1,2,3"; Monday 0 in the result."""
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        days.update(range(int(first) - 1, int(last or first)))
    return frozenset(days)


def review_settings() -> ReviewSettings:
    """The log review's checks, from ``EPH_LOG_REVIEW_DAYS`` (default "1-5": Monday to Friday),
    ``EPH_LOG_REVIEW_HOURS`` (default "07:00-18:00", Swedish time) and ``EPH_LOG_REVIEW_BURST``
    (default "20/10": more than 20 distinct patients within 10 minutes). Raises ValueError on a
    setting it cannot read."""
    start, _, end = _env("EPH_LOG_REVIEW_HOURS", "07:00-18:00").partition("-")
    patients, _, minutes = _env("EPH_LOG_REVIEW_BURST", "20/10").partition("/")
    return ReviewSettings(
        office_hours=OfficeHours(_days(_env("EPH_LOG_REVIEW_DAYS", "1-5")), time.fromisoformat(start.strip()),
                                 time.fromisoformat(end.strip())),
        burst=BurstLimit(int(patients), timedelta(minutes=float(minutes))),
    )
