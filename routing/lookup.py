"""The look-ups the router makes in a routing catalogue (``routing.catalogue``).

As the national platform makes them:
- routing: the exact logical address, then (when tree climbing is on for the contract) the
  HSA tree upwards (the parent of the address, from an optional hierarchy; an unknown HSA-id
  has parent ``SE``) up to ``SE``, then the default ``*``;
- authorization: exact, then (climbing on) the tree, then ``*``;
- an address of the old default-routing form ``VG#VE`` (care giver ``#`` care unit) is looked
  up as its parts from the last to the first, exactly, and nothing else: no tree, no ``*``
  (an authorization so only when it has at most two parts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .catalogue import DEFAULT_ADDRESS, HSA_ROOT, Catalogue, valid_at


@dataclass(frozen=True, slots=True)
class Route:
    """Where a routing sends a call."""

    routing_id: int
    contract: str
    logical_address: str
    url: str
    producer: str  # the producer component's HSA-id
    profile: str  # RIVTABP20 / RIVTABP21
    valid_from: datetime
    valid_to: datetime


@dataclass(frozen=True, slots=True)
class Grant:
    authorization_id: int
    consumer: str
    contract: str
    logical_address: str
    valid_from: datetime
    valid_to: datetime
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (service domain, categorizations)


def default_routing_parts(logical_address: str, delimiter: str) -> list[str] | None:
    """The parts of an old-style default-routing address (``VG#VE``), last first and each once; None
    when the address is not of that form (or the form is turned off: an empty delimiter)."""
    if not delimiter or delimiter not in logical_address:
        return None
    parts: list[str] = []
    for part in logical_address.split(delimiter):
        if part and part not in parts:
            parts.insert(0, part)
    return parts


class HsaTree:
    """Parents of HSA-ids (from an optional hierarchy). An unknown HSA-id's parent is SE."""

    def __init__(self, parents: Mapping[str, str] | None = None) -> None:
        self.parents = {k.lower(): v for k, v in (parents or {}).items()}

    def ancestors(self, hsa_id: str) -> list[str]:
        """The chain above ``hsa_id``, ending with SE (loops in a bad hierarchy are cut)."""
        chain: list[str] = []
        current = hsa_id.lower()
        seen = {current}
        while current != HSA_ROOT.lower():
            parent = self.parents.get(current, HSA_ROOT)
            if parent.lower() in seen:
                parent = HSA_ROOT
            chain.append(parent)
            current = parent.lower()
            seen.add(current)
        return chain


@dataclass
class RoutingTable:
    """The catalogue as the router reads it: dictionaries keyed case-insensitively."""

    routes: dict[tuple[str, str], list[Route]] = field(default_factory=dict)
    grants: dict[tuple[str, str, str], list[Grant]] = field(default_factory=dict)
    hsa: HsaTree = field(default_factory=HsaTree)
    version: int = 0
    contracts: dict[str, str] = field(default_factory=dict)  # namespace, lower-cased -> as written

    @property
    def routing_count(self) -> int:
        return sum(len(v) for v in self.routes.values())

    @property
    def authorization_count(self) -> int:
        return sum(len(v) for v in self.grants.values())

    @classmethod
    def build(cls, cat: Catalogue, hsa: HsaTree | None = None) -> RoutingTable:
        profiles = {p.id: p.name.upper() for p in cat.profiles}
        contracts = {c.id: c.namespace for c in cat.contracts}
        addresses = {a.id: a.hsa_id for a in cat.logical_addresses}
        components = {c.id: c.hsa_id for c in cat.components}
        call_addresses = {c.id: c for c in cat.call_addresses}
        categories: dict[int, list[str]] = defaultdict(list)
        for fc in cat.categorizations:
            categories[fc.filter_id].append(fc.category)
        filters: dict[int, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
        for f in cat.filters:
            filters[f.authorization_id].append((f.service_domain, tuple(categories[f.id])))
        routes: dict[tuple[str, str], list[Route]] = defaultdict(list)
        for r in cat.routings:
            ca = call_addresses[r.call_address_id]
            contract, address = contracts[r.contract_id], addresses[r.logical_address_id]
            routes[(contract.lower(), address.lower())].append(
                Route(r.id, contract, address, ca.url, components[ca.component_id], profiles[ca.profile_id],
                      r.valid_from, r.valid_to)
            )
        grants: dict[tuple[str, str, str], list[Grant]] = defaultdict(list)
        for a in cat.authorizations:
            consumer, contract, address = components[a.consumer_id], contracts[a.contract_id], addresses[a.logical_address_id]
            grants[(consumer.lower(), contract.lower(), address.lower())].append(
                Grant(a.id, consumer, contract, address, a.valid_from, a.valid_to, tuple(filters[a.id]))
            )
        known = {c.namespace.lower(): c.namespace for c in cat.contracts}
        return cls(dict(routes), dict(grants), hsa or HsaTree(), version=cat.version, contracts=known)

    def _routes_at(self, contract: str, address: str, now: datetime) -> list[Route]:
        found = [r for r in self.routes.get((contract, address.lower()), ()) if valid_at(r.valid_from, r.valid_to, now)]
        if len(found) > 1 and any(r.valid_from == now for r in found):
            # at the instant one routing hands over to the next, the next one holds
            found = [r for r in found if not (r.valid_to == now and r.valid_from != now)]
        return found

    def find_routes(self, contract: str, logical_address: str, now: datetime, *, climb: bool = True,
                    delimiter: str = "#") -> list[Route]:
        """The routings valid now at the first level that has any: exact, (climbing) the HSA tree up to SE,
        then *. A ``VG#VE`` address: its parts, last first, exactly."""
        contract = contract.lower()
        parts = default_routing_parts(logical_address, delimiter)
        if parts is not None:
            candidates: list[str] = parts
        else:
            candidates = [logical_address, *(self.hsa.ancestors(logical_address) if climb else ()), DEFAULT_ADDRESS]
        for address in candidates:
            found = self._routes_at(contract, address, now)
            if found:
                return found
        return []

    def _granted(self, key: tuple[str, str], address: str, now: datetime) -> bool:
        return any(valid_at(g.valid_from, g.valid_to, now) for g in self.grants.get((*key, address.lower()), ()))

    def is_authorized(self, consumer: str, contract: str, logical_address: str, now: datetime, *, climb: bool = True,
                      delimiter: str = "#") -> bool:
        """Exact, then (climbing) the HSA tree up to SE, then *. A ``VG#VE`` address: one of its (at most
        two) parts, exactly."""
        key = (consumer.lower(), contract.lower())
        parts = default_routing_parts(logical_address, delimiter)
        if parts is not None:
            return len(parts) <= 2 and any(self._granted(key, a, now) for a in parts)
        addresses = (logical_address, *(self.hsa.ancestors(logical_address) if climb else ()), DEFAULT_ADDRESS)
        return any(self._granted(key, a, now) for a in addresses)

    def addressees(self, consumer: str, contract: str, now: datetime) -> list[Grant]:
        """The authorizations valid now for this consumer and contract, one per logical address
        (GetLogicalAddresseesByServiceContract)."""
        consumer, contract = consumer.lower(), contract.lower()
        found: dict[str, Grant] = {}
        for (c, k, address), grants in self.grants.items():
            if c == consumer and k == contract:
                for g in grants:
                    if valid_at(g.valid_from, g.valid_to, now):
                        found.setdefault(address, g)
        return [found[a] for a in sorted(found)]

    def contracts_of(self, logical_address: str, now: datetime, consumer: str | None = None) -> list[str]:
        """Contracts a logical address has a routing for now; with a consumer, only those it may call
        (GetSupportedServiceContracts)."""
        address = logical_address.lower()
        supported: dict[str, str] = {}
        for (contract, a), routes in self.routes.items():
            if a == address:
                for r in routes:
                    if valid_at(r.valid_from, r.valid_to, now):
                        supported[contract] = r.contract
        if consumer is not None:
            supported = {k: v for k, v in supported.items() if self.is_authorized(consumer, v, logical_address, now)}
        return [supported[k] for k in sorted(supported)]
