"""Settings from the environment (``EPH_*``), with defaults for a developer's machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from service_domain.model import RetentionPolicy
from service_domain.persistence.database import database_url

from .devpki import PLATFORM_HSA_ID, certs_dir
from .retention import every_from_env, policy_from_env


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _unless_set(name: str, default: str) -> str:
    """The setting as given, empty included (an empty list means nobody); ``default`` when unset."""
    value = os.environ.get(name)
    return default if value is None else value


def _list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=database_url)
    service_bind: str = field(default_factory=lambda: _env("EPH_SERVICE_BIND", "127.0.0.1:8081"))
    logical_address: str = field(default_factory=lambda: _env("EPH_LOGICAL_ADDRESS", "SE5565594230-EPH"))
    # where consumers reach the service (the WSDL's soap:address); default: its own listener
    public_url: str = field(default_factory=lambda: os.environ.get("EPH_PUBLIC_BASE_URL", ""))
    # the service listens on TLS and asks callers for a client certificate from this CA
    certs_dir: Path = field(default_factory=certs_dir)
    tls_cert: str = field(default_factory=lambda: os.environ.get("EPH_SERVICE_TLS_CERT", ""))
    tls_key: str = field(default_factory=lambda: os.environ.get("EPH_SERVICE_TLS_KEY", ""))
    tls_ca: str = field(default_factory=lambda: os.environ.get("EPH_SERVICE_TLS_CA", ""))
    # the service platforms (certificate SERIALNUMBER) trusted to pass the original consumer; set
    # but empty: none
    trusted_platforms: tuple[str, ...] = field(
        default_factory=lambda: _list(_unless_set("EPH_TRUSTED_PLATFORMS", PLATFORM_HSA_ID))
    )
    workers: int = field(default_factory=lambda: int(_env("EPH_WORKERS", "2")))
    threads: int = field(default_factory=lambda: int(_env("EPH_THREADS", "8")))
    housekeeping_seconds: int = field(default_factory=lambda: int(_env("EPH_HOUSEKEEPING_SECONDS", "600")))
    outbox_seconds: float = field(default_factory=lambda: float(_env("EPH_OUTBOX_SECONDS", "5")))
    # how long each kind of data is kept (EPH_RETENTION_<KIND>, eph/retention.py), and how often
    # housekeeping deletes what has outlived it
    retention: RetentionPolicy = field(default_factory=policy_from_env)
    retention_every: timedelta = field(default_factory=every_from_env)

    def __post_init__(self) -> None:
        # the development PKI's files unless paths are configured
        defaults = {
            "tls_cert": self.certs_dir / "service.crt",
            "tls_key": self.certs_dir / "service.key",
            "tls_ca": self.certs_dir / "ca.crt",
        }
        for name, path in defaults.items():
            if not getattr(self, name):
                object.__setattr__(self, name, str(path))

    @property
    def public_base_url(self) -> str:
        return self.public_url or f"https://{self.service_bind}"

    @property
    def uses_dev_pki(self) -> bool:
        """Whether the service's TLS files are the development PKI's (made when missing)."""
        return all(Path(p).parent == self.certs_dir for p in (self.tls_cert, self.tls_key, self.tls_ca))
