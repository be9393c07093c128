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
inclusive). A catalogue is readable when every id is used once and every relationship
points at an existing row (``check``), as TAK's reader of published versions asks. TAK's
edit-time rules (``edit_rule_problems``) apply to changes of single rows: HSA-ids match
``[0-9a-zA-Z_-]+`` (a logical address may also be ``*``), URLs are 5-255 characters, and
two routings or two authorizations for one key must not overlap in time (one ending at the
instant the next starts does not overlap). Published versions hold older rows than these
rules; an import lists them as warnings, and a key with two routings valid at once is
answered VP006 when it is called.
The look-ups the router makes are in ``routing.lookup``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

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


def overlaps(a_from: datetime, a_to: datetime, b_from: datetime, b_to: datetime) -> bool:
    """Whether two periods share more than an instant: one ending exactly when the next starts is no overlap."""
    return a_from < b_to and b_from < a_to


@dataclass
class _Index:
    """The catalogue's rows by id, with the problems of ids used twice."""

    cat: Catalogue
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.profiles = self._ids("rivtaprofil", self.cat.profiles)
        self.contracts = self._ids("tjanstekontrakt", self.cat.contracts)
        self.addresses = self._ids("logiskadress", self.cat.logical_addresses)
        self.components = self._ids("tjanstekomponent", self.cat.components)
        self.call_addresses = self._ids("anropsadress", self.cat.call_addresses)
        self.authorizations = self._ids("anropsbehorighet", self.cat.authorizations)
        self.filters = self._ids("filter", self.cat.filters)
        self.routings = self._ids("vagval", self.cat.routings)
        self._ids("filtercategorization", self.cat.categorizations)

    def _ids(self, kind: str, items: Iterable[E]) -> dict[int, E]:
        seen: dict[int, E] = {}
        for item in items:
            if item.id in seen:
                self.problems.append(f"{kind} id {item.id}: the id is used twice")
            seen[item.id] = item
        return seen

    def routing_key(self, r: Routing) -> tuple[str, str] | None:
        if r.contract_id in self.contracts and r.logical_address_id in self.addresses:
            return self.contracts[r.contract_id].namespace.lower(), self.addresses[r.logical_address_id].hsa_id.lower()
        return None

    def authorization_key(self, a: Authorization) -> tuple[str, str, str] | None:
        if a.consumer_id in self.components and a.contract_id in self.contracts and a.logical_address_id in self.addresses:
            return (self.components[a.consumer_id].hsa_id.lower(), self.contracts[a.contract_id].namespace.lower(),
                    self.addresses[a.logical_address_id].hsa_id.lower())
        return None


def check(cat: Catalogue) -> None:
    """What a catalogue must be to be read at all, as TAK's own reader of published versions asks:
    every id used once, every relationship pointing at an existing row. Raises CatalogueProblem
    naming each entity and id at fault."""
    index = _Index(cat)
    problems = index.problems

    def ref(kind: str, row_id: int, target: str, target_id: int, rows: Mapping[int, object]) -> None:
        if target_id not in rows:
            problems.append(f"{kind} id {row_id}: no {target} with id {target_id}")

    for ca in cat.call_addresses:
        ref("anropsadress", ca.id, "tjanstekomponent", ca.component_id, index.components)
        ref("anropsadress", ca.id, "rivtaprofil", ca.profile_id, index.profiles)
    for r in cat.routings:
        ref("vagval", r.id, "logiskadress", r.logical_address_id, index.addresses)
        ref("vagval", r.id, "tjanstekontrakt", r.contract_id, index.contracts)
        ref("vagval", r.id, "anropsadress", r.call_address_id, index.call_addresses)
    for a in cat.authorizations:
        ref("anropsbehorighet", a.id, "logiskadress", a.logical_address_id, index.addresses)
        ref("anropsbehorighet", a.id, "tjanstekontrakt", a.contract_id, index.contracts)
        ref("anropsbehorighet", a.id, "tjanstekomponent", a.consumer_id, index.components)
    for f in cat.filters:
        ref("filter", f.id, "anropsbehorighet", f.authorization_id, index.authorizations)
    for fc in cat.categorizations:
        ref("filtercategorization", fc.id, "filter", fc.filter_id, index.filters)
    if problems:
        raise CatalogueProblem(problems)


def edit_rule_problems(cat: Catalogue, only: Mapping[str, set[int]] | None = None) -> list[str]:
    """TAK's rules for editing the catalogue a row at a time: HSA-ids of the right characters, URLs of
    5-255 characters, periods that end after they start, no two routings or authorizations for one key
    in overlapping periods. ``only`` ({entity kind: ids}) limits the report to problems of those rows
    (an overlap counts for both rows). Published versions hold rows older than these rules: an import
    reports them as warnings, a single-row change is refused for them."""
    index = _Index(cat)
    problems: list[str] = []

    def concerns(kind: str, *ids: int) -> bool:
        return only is None or any(i in only.get(kind, ()) for i in ids)

    def report(kind: str, row_id: int, problem: str, *others: int) -> None:
        if concerns(kind, row_id, *others):
            problems.append(f"{kind} id {row_id}: {problem}")

    for p in cat.profiles:
        if not p.name.strip():
            report("rivtaprofil", p.id, "the name is empty")
    for c in cat.contracts:
        if not c.namespace.strip():
            report("tjanstekontrakt", c.id, "the namespace is empty")
    for la in cat.logical_addresses:
        if la.hsa_id != DEFAULT_ADDRESS and not _HSA_ID.fullmatch(la.hsa_id):
            report("logiskadress", la.id, f"{la.hsa_id!r} is not an HSA-id, '*' or 'SE'")
    for comp in cat.components:
        if not _HSA_ID.fullmatch(comp.hsa_id):
            report("tjanstekomponent", comp.id, f"{comp.hsa_id!r} is not an HSA-id")
    for ca in cat.call_addresses:
        if not 5 <= len(ca.url) <= 255:
            report("anropsadress", ca.id, "the URL must be 5 to 255 characters")

    def periods(kind: str, rows: Iterable[Routing | Authorization], key: Callable[[Any], tuple[str, ...] | None],
                same: str) -> None:
        by_key: dict[tuple[str, ...], list[Routing | Authorization]] = defaultdict(list)
        for row in rows:
            if row.valid_to < row.valid_from:
                report(kind, row.id, "tomTidpunkt is before fromTidpunkt")
            k = key(row)
            if k is None:
                continue
            for prior in by_key[k]:
                if overlaps(row.valid_from, row.valid_to, prior.valid_from, prior.valid_to):
                    report(kind, row.id, f"overlaps {kind} id {prior.id} for the same {same}", prior.id)
            by_key[k].append(row)

    periods("vagval", cat.routings, index.routing_key, "contract and logical address")
    periods("anropsbehorighet", cat.authorizations, index.authorization_key, "consumer, contract and logical address")
    return problems


def check_rows(cat: Catalogue, rows: Mapping[str, set[int]]) -> None:
    """The edit-time rules for the routings and authorizations a single change made or touched, and the
    rows they name (raises CatalogueProblem)."""
    check(cat)
    index = _Index(cat)
    touched: dict[str, set[int]] = defaultdict(set, {k: set(v) for k, v in rows.items()})
    for r in (index.routings[i] for i in rows.get("vagval", ()) if i in index.routings):
        touched["logiskadress"].add(r.logical_address_id)
        touched["tjanstekontrakt"].add(r.contract_id)
        touched["anropsadress"].add(r.call_address_id)
        touched["tjanstekomponent"].add(index.call_addresses[r.call_address_id].component_id)
    for a in (index.authorizations[i] for i in rows.get("anropsbehorighet", ()) if i in index.authorizations):
        touched["logiskadress"].add(a.logical_address_id)
        touched["tjanstekontrakt"].add(a.contract_id)
        touched["tjanstekomponent"].add(a.consumer_id)
    problems = edit_rule_problems(cat, touched)
    if problems:
        raise CatalogueProblem(problems)
