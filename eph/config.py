"""Settings from the environment (``EPH_*``), with defaults for a developer's machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from service_domain.persistence.database import database_url


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=database_url)
    service_bind: str = field(default_factory=lambda: _env("EPH_SERVICE_BIND", "127.0.0.1:8081"))
    logical_address: str = field(default_factory=lambda: _env("EPH_LOGICAL_ADDRESS", "SE5565594230-EPH"))
    trusted_platforms: tuple[str, ...] = field(
        default_factory=lambda: tuple(
            p.strip() for p in _env("EPH_TRUSTED_PLATFORMS", "127.0.0.0/8,::1/128").split(",") if p.strip()
        )
    )
    workers: int = field(default_factory=lambda: int(_env("EPH_WORKERS", "2")))
    threads: int = field(default_factory=lambda: int(_env("EPH_THREADS", "8")))
    housekeeping_seconds: int = field(default_factory=lambda: int(_env("EPH_HOUSEKEEPING_SECONDS", "600")))
