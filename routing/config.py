"""The platform's settings (environment ``EPH_VP_*`` and friends)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _unless_set(name: str, default: str) -> str:
    """The setting as given, empty included (an empty list means nobody); ``default`` when unset."""
    value = os.environ.get(name)
    return default if value is None else value


# a bind address that turns a listener off
NO_LISTENER = "none"


def is_off(bind: str | None) -> bool:
    return bind is not None and bind.strip().lower() == NO_LISTENER


def _networks(value: str) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in value.split(",") if v.strip())


def _list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class ClimbPolicy:
    """Whether the HSA tree is climbed for a contract: on or off by default, the other way for the
    contracts that start with one of the excepted namespaces (as the national platform configures it)."""

    default: bool = True
    excepted: tuple[str, ...] = ()

    def applies(self, contract: str) -> bool:
        ns = contract.lower()
        return self.default != any(ns.startswith(e.lower()) for e in self.excepted)


def _climb(prefix: str) -> ClimbPolicy:
    return ClimbPolicy(_flag(_env(prefix, "true")), _list(_env(prefix + "_EXCEPT", "")))


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
    # the platform's name in faultstrings ("VP004 [name] ..."); the instance id unless set
    instance_name: str = field(default_factory=lambda: _env("EPH_VP_INSTANCE_NAME", _env("EPH_VP_INSTANCE_ID", "eph-vp-dev")))
    # the plain-HTTP listener; "none": no plain listener at all
    bind: str = field(default_factory=lambda: _env("EPH_PLATFORM_BIND", "127.0.0.1:8080"))
    tls_bind: str | None = field(default_factory=lambda: os.environ.get("EPH_VP_TLS_BIND") or None)
    tls_cert: str | None = field(default_factory=lambda: os.environ.get("EPH_VP_TLS_CERT") or None)
    tls_key: str | None = field(default_factory=lambda: os.environ.get("EPH_VP_TLS_KEY") or None)
    tls_ca: str | None = field(default_factory=lambda: os.environ.get("EPH_VP_TLS_CA") or None)
    # callers that may use plain HTTP (and who may pass x-vp-sender-id there); set but empty: nobody
    http_allow: tuple[IpNetwork, ...] = field(
        default_factory=lambda: _networks(_unless_set("EPH_VP_HTTP_ALLOW", "127.0.0.0/8,::1/128"))
    )
    # TLS-terminating proxies whose x-vp-auth-cert (the client certificate they saw) is believed;
    # none by default. The certificate is then verified against tls_ca. From these addresses
    # nothing else identifies a caller: x-vp-sender-id is refused even when they are on http_allow.
    trusted_proxies: tuple[IpNetwork, ...] = field(
        default_factory=lambda: _networks(_env("EPH_VP_TRUSTED_PROXIES", ""))
    )
    # senders that may set x-rivta-original-serviceconsumer-hsaid themselves ("*": every sender, as the
    # national platform allows by default)
    original_consumer_senders: frozenset[str] = field(
        default_factory=lambda: frozenset(s.lower() for s in _list(_env("EPH_VP_ORIGINAL_CONSUMER_SENDERS", "")))
    )
    strict_original_consumer: bool = field(default_factory=lambda: _flag(_env("EPH_VP_STRICT_ORIGINAL_CONSUMER", "true")))
    # HSA tree climbing, for routing and for authorization, on or off per contract
    climb_routing: ClimbPolicy = field(default_factory=lambda: _climb("EPH_VP_HSA_CLIMB_ROUTING"))
    climb_authorization: ClimbPolicy = field(default_factory=lambda: _climb("EPH_VP_HSA_CLIMB_AUTHORIZATION"))
    # the separator of old-style default-routing addresses (VG#VE); empty turns that routing off
    default_routing_delimiter: str = field(default_factory=lambda: os.environ.get("EPH_VP_DEFAULT_ROUTING_DELIMITER", "#"))
    default_timeout: float = field(default_factory=lambda: float(_env("EPH_VP_PRODUCER_TIMEOUT", "29")))
    contract_timeouts: dict[str, float] = field(default_factory=lambda: _timeouts(_env("EPH_VP_CONTRACT_TIMEOUTS", "")))
    connect_timeout: float = 2.0
    retry_pause: float = field(default_factory=lambda: float(_env("EPH_VP_RETRY_PAUSE", "2")))
    max_body: int = field(default_factory=lambda: int(_env("EPH_VP_MAX_BODY", str(10 * 1024 * 1024))))
    # the largest producer answer passed on; a larger one is cut off (VP009)
    max_response: int = field(default_factory=lambda: int(_env("EPH_VP_MAX_RESPONSE", str(10 * 1024 * 1024))))
    # where callers reach the platform: the soap:address of the contract documents it serves
    # (by default the plain-HTTP listener on loopback); never taken from a request's Host header
    public_url: str | None = field(default_factory=lambda: os.environ.get("EPH_VP_PUBLIC_URL") or None)
    local_copy: Path = field(default_factory=lambda: Path(_env("EPH_VP_LOCAL_COPY", "var/tak-local-copy.json")))
    hsa_hierarchy: Path | None = field(
        default_factory=lambda: Path(p) if (p := os.environ.get("EPH_HSA_HIERARCHY")) else None
    )
    # client certificate the platform shows HTTPS producers, and the CA it trusts for them
    producer_client_cert: str | None = field(default_factory=lambda: os.environ.get("EPH_VP_PRODUCER_CERT") or None)
    producer_client_key: str | None = field(default_factory=lambda: os.environ.get("EPH_VP_PRODUCER_KEY") or None)
    producer_ca: str | None = field(default_factory=lambda: os.environ.get("EPH_VP_PRODUCER_CA") or None)
    workers: int = field(default_factory=lambda: int(_env("EPH_VP_WORKERS", "2")))

    @staticmethod
    def _within(address: str | None, networks: tuple[IpNetwork, ...]) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in n for n in networks)

    def allows_plain(self, address: str | None) -> bool:
        return self._within(address, self.http_allow)

    def is_trusted_proxy(self, address: str | None) -> bool:
        return self._within(address, self.trusted_proxies)

    @property
    def plain_listener(self) -> bool:
        return not is_off(self.bind)

    @property
    def public_base(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme, bind = ("http", self.bind) if self.plain_listener or not self.tls_bind else ("https", self.tls_bind)
        host, _, port = bind.rpartition(":")
        host = host.strip("[]")
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        return f"{scheme}://{'[' + host + ']' if ':' in host else host}:{port}"

    def may_set_original_consumer(self, sender: str) -> bool:
        return "*" in self.original_consumer_senders or sender.lower() in self.original_consumer_senders

    def timeout_for(self, contract: str) -> float:
        return self.contract_timeouts.get(contract.lower(), self.default_timeout)
