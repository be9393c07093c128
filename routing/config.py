"""The platform's settings (environment ``EPH_VP_*`` and friends)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _networks(value: str) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in value.split(",") if v.strip())


def _timeouts(value: str) -> dict[str, float]:
    """``namespace=seconds,namespace=seconds``"""
    out = {}
    for item in value.split(","):
        if "=" in item:
            ns, seconds = item.rsplit("=", 1)
            out[ns.strip().lower()] = float(seconds)
    return out


@dataclass(frozen=True)
class PlatformConfig:
    instance_id: str = field(default_factory=lambda: _env("EPH_VP_INSTANCE_ID", "eph-vp-dev"))
    bind: str = field(default_factory=lambda: _env("EPH_PLATFORM_BIND", "127.0.0.1:8080"))
    tls_bind: str | None = field(default_factory=lambda: os.environ.get("EPH_VP_TLS_BIND") or None)
    tls_cert: str | None = field(default_factory=lambda: os.environ.get("EPH_VP_TLS_CERT") or None)
    tls_key: str | None = field(default_factory=lambda: os.environ.get("EPH_VP_TLS_KEY") or None)
    tls_ca: str | None = field(default_factory=lambda: os.environ.get("EPH_VP_TLS_CA") or None)
    # callers that may use plain HTTP (and who may pass x-vp-auth-cert / x-vp-sender-id there)
    http_allow: tuple[IpNetwork, ...] = field(
        default_factory=lambda: _networks(_env("EPH_VP_HTTP_ALLOW", "127.0.0.0/8,::1/128"))
    )
    # senders that may set x-rivta-original-serviceconsumer-hsaid themselves
    original_consumer_senders: frozenset[str] = field(
        default_factory=lambda: frozenset(
            s.strip().lower() for s in _env("EPH_VP_ORIGINAL_CONSUMER_SENDERS", "").split(",") if s.strip()
        )
    )
    strict_original_consumer: bool = field(
        default_factory=lambda: _env("EPH_VP_STRICT_ORIGINAL_CONSUMER", "true").lower() in ("1", "true", "yes")
    )
    default_timeout: float = field(default_factory=lambda: float(_env("EPH_VP_PRODUCER_TIMEOUT", "29")))
    contract_timeouts: dict[str, float] = field(default_factory=lambda: _timeouts(_env("EPH_VP_CONTRACT_TIMEOUTS", "")))
    connect_timeout: float = 2.0
    retry_pause: float = field(default_factory=lambda: float(_env("EPH_VP_RETRY_PAUSE", "0.2")))
    max_body: int = field(default_factory=lambda: int(_env("EPH_VP_MAX_BODY", str(10 * 1024 * 1024))))
    local_copy: Path = field(default_factory=lambda: Path(_env("EPH_VP_LOCAL_COPY", "var/tak-local-copy.json")))
    hsa_hierarchy: Path | None = field(
        default_factory=lambda: Path(p) if (p := os.environ.get("EPH_HSA_HIERARCHY")) else None
    )
    # client certificate the platform shows HTTPS producers, and the CA it trusts for them
    producer_client_cert: str | None = field(default_factory=lambda: os.environ.get("EPH_VP_PRODUCER_CERT") or None)
    producer_client_key: str | None = field(default_factory=lambda: os.environ.get("EPH_VP_PRODUCER_KEY") or None)
    producer_ca: str | None = field(default_factory=lambda: os.environ.get("EPH_VP_PRODUCER_CA") or None)
    workers: int = field(default_factory=lambda: int(_env("EPH_VP_WORKERS", "2")))

    def allows_plain(self, address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in n for n in self.http_allow)

    def timeout_for(self, contract: str) -> float:
        return self.contract_timeouts.get(contract.lower(), self.default_timeout)
