"""The routing catalogue (TAK): its entities, their rules, and the look-ups the router makes.

Entities (TAK's names in brackets):
- ``RivProfile`` (rivtaprofil): RIVTABP20 or RIVTABP21 (the router speaks these two)
- ``ServiceContract`` (tjanstekontrakt): a responder namespace with major and minor version
- ``LogicalAddress`` (logiskadress): an HSA-id, ``*`` (the default) or ``SE`` (the HSA tree's root)
- ``ServiceComponent`` (tjanstekomponent): a consumer or producer system, by HSA-id
- ``CallAddress`` (anropsadress): producer URL + producer component + profile
- ``Routing`` (vagval): contract + logical address -> call address, for a period
- ``Authorization`` (anropsbehorighet): consumer + contract + logical address, for a period
- ``Filter`` / ``FilterCategorization`` (filter, filtercategorization): kept and written back

Rules: keys compare case-insensitively; a row counts only when from <= now <= to (both
inclusive); two routings or two authorizations for the same key with overlapping periods
are refused; HSA-ids match ``[0-9a-zA-Z_-]+`` (a logical address may also be ``*``); URLs
are 5-255 characters.

Look-ups: routing tries the exact logical address, then climbs the HSA tree (the parent of
the address, from an optional hierarchy; an unknown HSA-id has parent ``SE``) up to ``SE``,
then the default ``*``. Authorization tries exact, then ``*``, then climbs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

DEFAULT_ADDRESS = "*"
HSA_ROOT = "SE"
_HSA_ID = re.compile(r"[0-9a-zA-Z_\-]+")


@dataclass(frozen=True, slots=True)
class RivProfile:
    id: int
    name: str
    description: str | None = None
    pubversion: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceContract:
    id: int
    namespace: str
    major: int
    minor: int = 0
    description: str | None = None
    pubversion: str | None = None


@dataclass(frozen=True, slots=True)
class LogicalAddress:
    id: int
    hsa_id: str
    description: str | None = None
    pubversion: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceComponent:
    id: int
    hsa_id: str
    description: str | None = None
    pubversion: str | None = None


@dataclass(frozen=True, slots=True)
class CallAddress:
    id: int
    url: str
    component_id: int
    profile_id: int
    pubversion: str | None = None


@dataclass(frozen=True, slots=True)
class Routing:
    id: int
    call_address_id: int
    logical_address_id: int
    contract_id: int
    valid_from: datetime
    valid_to: datetime
    pubversion: str | None = None


@dataclass(frozen=True, slots=True)
class Authorization:
    id: int
    consumer_id: int
    logical_address_id: int
    contract_id: int
    valid_from: datetime
    valid_to: datetime
    agreement: str | None = None  # integrationsavtal
    pubversion: str | None = None


@dataclass(frozen=True, slots=True)
class Filter:
    id: int
    authorization_id: int
    service_domain: str
    pubversion: str | None = None


@dataclass(frozen=True, slots=True)
class FilterCategorization:
    id: int
    filter_id: int
    category: str
    pubversion: str | None = None


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A whole published version of the catalogue."""

    profiles: tuple[RivProfile, ...] = ()
    contracts: tuple[ServiceContract, ...] = ()
    logical_addresses: tuple[LogicalAddress, ...] = ()
    components: tuple[ServiceComponent, ...] = ()
    call_addresses: tuple[CallAddress, ...] = ()
    routings: tuple[Routing, ...] = ()
    authorizations: tuple[Authorization, ...] = ()
    filters: tuple[Filter, ...] = ()
    categorizations: tuple[FilterCategorization, ...] = ()
    version: int = 0
    published: datetime | None = None
    published_by: str | None = None
    comment: str | None = None
    format_version: int = 1


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


E = TypeVar("E", bound=_HasId)


class CatalogueProblem(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def valid_at(valid_from: datetime, valid_to: datetime, now: datetime) -> bool:
    return valid_from <= now <= valid_to


def _overlaps(a_from: datetime, a_to: datetime, b_from: datetime, b_to: datetime) -> bool:
    return a_from <= b_to and b_from <= a_to


def check(cat: Catalogue) -> None:
    """Every rule of the catalogue; raises CatalogueProblem naming each entity and id at fault."""
    problems: list[str] = []

    def ids(kind: str, items: Iterable[E]) -> dict[int, E]:
        seen: dict[int, E] = {}
        for item in items:
            if item.id in seen:
                problems.append(f"{kind} id {item.id}: the id is used twice")
            seen[item.id] = item
        return seen

    profiles = ids("rivtaprofil", cat.profiles)
    contracts = ids("tjanstekontrakt", cat.contracts)
    addresses = ids("logiskadress", cat.logical_addresses)
    components = ids("tjanstekomponent", cat.components)
    call_addresses = ids("anropsadress", cat.call_addresses)
    authorizations = ids("anropsbehorighet", cat.authorizations)
    filters = ids("filter", cat.filters)
    ids("vagval", cat.routings)
    ids("filtercategorization", cat.categorizations)

    for p in cat.profiles:
        if not p.name.strip():
            problems.append(f"rivtaprofil id {p.id}: the name is empty")
    for c in cat.contracts:
        if not c.namespace.strip():
            problems.append(f"tjanstekontrakt id {c.id}: the namespace is empty")
    for la in cat.logical_addresses:
        if la.hsa_id != DEFAULT_ADDRESS and not _HSA_ID.fullmatch(la.hsa_id):
            problems.append(f"logiskadress id {la.id}: '{la.hsa_id}' is not an HSA-id, '*' or 'SE'")
    for comp in cat.components:
        if not _HSA_ID.fullmatch(comp.hsa_id):
            problems.append(f"tjanstekomponent id {comp.id}: '{comp.hsa_id}' is not an HSA-id")
    for ca in cat.call_addresses:
        if not 5 <= len(ca.url) <= 255:
            problems.append(f"anropsadress id {ca.id}: the URL must be 5 to 255 characters")
        if ca.component_id not in components:
            problems.append(f"anropsadress id {ca.id}: no tjanstekomponent with id {ca.component_id}")
        if ca.profile_id not in profiles:
            problems.append(f"anropsadress id {ca.id}: no rivtaprofil with id {ca.profile_id}")

    def period(kind: str, row: Routing | Authorization) -> None:
        if row.valid_to < row.valid_from:
            problems.append(f"{kind} id {row.id}: tomTidpunkt is before fromTidpunkt")

    def refs(kind: str, row: Routing | Authorization) -> None:
        if row.logical_address_id not in addresses:
            problems.append(f"{kind} id {row.id}: no logiskadress with id {row.logical_address_id}")
        if row.contract_id not in contracts:
            problems.append(f"{kind} id {row.id}: no tjanstekontrakt with id {row.contract_id}")

    # rows of one key (compared case-insensitively) must not overlap in time
    seen_periods: dict[tuple[str, ...], list[Routing | Authorization]] = defaultdict(list)

    def no_overlap(kind: str, key: tuple[str, ...], row: Routing | Authorization, same: str) -> None:
        for prior in seen_periods[(kind, *key)]:
            if _overlaps(row.valid_from, row.valid_to, prior.valid_from, prior.valid_to):
                problems.append(f"{kind} id {row.id}: overlaps {kind} id {prior.id} for the same {same}")
        seen_periods[(kind, *key)].append(row)

    for r in cat.routings:
        refs("vagval", r)
        period("vagval", r)
        if r.call_address_id not in call_addresses:
            problems.append(f"vagval id {r.id}: no anropsadress with id {r.call_address_id}")
        if r.contract_id in contracts and r.logical_address_id in addresses:
            no_overlap("vagval", (contracts[r.contract_id].namespace.lower(),
                                  addresses[r.logical_address_id].hsa_id.lower()), r, "contract and logical address")
    for a in cat.authorizations:
        refs("anropsbehorighet", a)
        period("anropsbehorighet", a)
        if a.consumer_id not in components:
            problems.append(f"anropsbehorighet id {a.id}: no tjanstekomponent with id {a.consumer_id}")
        elif a.contract_id in contracts and a.logical_address_id in addresses:
            no_overlap("anropsbehorighet", (components[a.consumer_id].hsa_id.lower(),
                                            contracts[a.contract_id].namespace.lower(),
                                            addresses[a.logical_address_id].hsa_id.lower()), a, "consumer, contract and logical address")
    for f in cat.filters:
        if f.authorization_id not in authorizations:
            problems.append(f"filter id {f.id}: no anropsbehorighet with id {f.authorization_id}")
    for fc in cat.categorizations:
        if fc.filter_id not in filters:
            problems.append(f"filtercategorization id {fc.id}: no filter with id {fc.filter_id}")
    if problems:
        raise CatalogueProblem(problems)


# ------------------------------------------------------------------ look-ups


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
        return cls(dict(routes), dict(grants), hsa or HsaTree(), version=cat.version)

    def _routes_at(self, contract: str, address: str, now: datetime) -> list[Route]:
        return [r for r in self.routes.get((contract, address.lower()), ()) if valid_at(r.valid_from, r.valid_to, now)]

    def find_routes(self, contract: str, logical_address: str, now: datetime) -> list[Route]:
        """The routings valid now at the first level that has any: exact, the HSA tree up to SE, then *."""
        contract = contract.lower()
        for address in (logical_address, *self.hsa.ancestors(logical_address), DEFAULT_ADDRESS):
            found = self._routes_at(contract, address, now)
            if found:
                return found
        return []

    def is_authorized(self, consumer: str, contract: str, logical_address: str, now: datetime) -> bool:
        """Exact, then *, then the HSA tree up to SE."""
        key = (consumer.lower(), contract.lower())
        for address in (logical_address, DEFAULT_ADDRESS, *self.hsa.ancestors(logical_address)):
            for g in self.grants.get((*key, address.lower()), ()):
                if valid_at(g.valid_from, g.valid_to, now):
                    return True
        return False

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
