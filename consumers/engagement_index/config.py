"""Settings of the engagement index stand-in, from the environment (``EPH_EI_*``; the platform's
address and instance id as the other consumers read them)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..client import DEFAULT_INSTANCE_ID, DEFAULT_PLATFORM, Connection, Identity

# the index's HSA-id, which is also its logical address on the platform and the owner of
# every engagement it stores (as the national index is the owner of its own)
ENGAGEMENT_INDEX = "SE5565594230-EI"


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _opt(name: str) -> str | None:
    return os.environ.get(name) or None


def _list(name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (os.environ.get(name) or "").split(",") if part.strip())


def _platform_url() -> str:
    bind = os.environ.get("EPH_PLATFORM_BIND")
    return os.environ.get("EPH_PLATFORM_URL") or (f"http://{bind}" if bind else DEFAULT_PLATFORM)


@dataclass(frozen=True)
class EngagementIndexConfig:
    bind: str = field(default_factory=lambda: _env("EPH_EI_BIND", "127.0.0.1:8084"))
    hsa_id: str = field(default_factory=lambda: _env("EPH_EI_HSA_ID", ENGAGEMENT_INDEX))
    # the index's own database (not the service's): SQLite unless told otherwise
    database_url: str = field(default_factory=lambda: _env("EPH_EI_DATABASE_URL", "sqlite:///var/engagement-index.sqlite3"))
    # the logical addresses told of every stored change (ProcessNotification), comma-separated
    subscribers: tuple[str, ...] = field(default_factory=lambda: _list("EPH_EI_SUBSCRIBERS"))
    platform: str = field(default_factory=_platform_url)
    instance_id: str = field(default_factory=lambda: _env("EPH_VP_INSTANCE_ID", DEFAULT_INSTANCE_ID))
    # TLS to the platform (a certificate whose SERIALNUMBER is hsa_id); without them the
    # development identity headers on the platform's plain-HTTP listener
    cert: str | None = field(default_factory=lambda: _opt("EPH_EI_CERT"))
    key: str | None = field(default_factory=lambda: _opt("EPH_EI_KEY"))
    ca: str | None = field(default_factory=lambda: _opt("EPH_EI_CA"))
    workers: int = field(default_factory=lambda: int(_env("EPH_EI_WORKERS", "1")))
    threads: int = field(default_factory=lambda: int(_env("EPH_EI_THREADS", "4")))

    def connection(self) -> Connection:
        identity = Identity(self.hsa_id, instance_id=self.instance_id, cert=self.cert, key=self.key, ca=self.ca)
        return Connection(identity, self.platform, self.hsa_id, timeout=30)
