"""TAK's published-version JSON document, read and written.

The document TAK publishes (format version 1)::

    {"formatVersion": "1", "version": "17", "tidpunkt": "2009-03-10T00:00:00+0100",
     "utforare": "...", "kommentar": "...",
     "data": {"rivtaprofil": [...], "tjanstekontrakt": [...], "logiskadress": [...],
              "tjanstekomponent": [...], "anropsadress": [...], "anropsbehorighet": [...],
              "vagval": [...], "filter": [...], "filtercategorization": [...]}}

Entities point at each other through a ``relationships`` object of numeric ids. TAK's
own keys are not uniform (``logiskAdress`` in anropsbehorighet, ``logiskadress`` in
vagval; the consumer of an anropsbehorighet is its ``tjanstekomponent``, or
``tjanstekonsument`` in what TAK's export script writes), so relationship keys are read
case-insensitively, either consumer key is read, and they are written the way TAK
publishes them. The export script's extra top-level ``tidpunkt_version`` (when the version
was published) is accepted and not kept.

A document is refused only for what TAK's own reader of published versions would refuse:
a row that cannot be read (a field of the wrong type, a time that is not a time), an id
used twice, a relationship to a row that does not exist. Every problem is reported with
the entity and id it concerns. TAK's edit-time rules are not applied to a whole published
version (real ones predate them); ``routing.catalogue.edit_rule_problems`` lists what they
would have refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from .catalogue import (
    Authorization,
    CallAddress,
    Catalogue,
    CatalogueProblem,
    Filter,
    FilterCategorization,
    LogicalAddress,
    RivProfile,
    Routing,
    ServiceComponent,
    ServiceContract,
    check,
)

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
TAK_ZONE = ZoneInfo("Europe/Stockholm")
ENTITY_ORDER = (
    "rivtaprofil",
    "tjanstekontrakt",
    "logiskadress",
    "tjanstekomponent",
    "anropsadress",
    "anropsbehorighet",
    "vagval",
    "filter",
    "filtercategorization",
)
T = TypeVar("T")


def parse_time(value: str) -> datetime:
    """TAK's times (``2009-03-10T00:00:00+0100``; the export script writes UTC as ``...Z``); a time
    without an offset is Swedish time, as TAK keeps it."""
    moment = datetime.fromisoformat(value.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=TAK_ZONE)


def format_time(value: datetime) -> str:
    return value.astimezone(TAK_ZONE).strftime(TIME_FORMAT)


class _Row:
    def __init__(self, kind: str, data: Any, problems: list[str]) -> None:
        self.kind = kind
        self.data = data if isinstance(data, dict) else {}
        self.problems = problems
        raw_id = self.data.get("id")
        self.id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
        self.label = f"{kind} id {raw_id}" if raw_id is not None else f"{kind} (no id)"
        if not isinstance(data, dict):
            self.fail(None, "must be an object")
        elif self.id is None:
            self.fail("id", "must be an integer")
        rel = self.data.get("relationships", {})
        self.relationships = {k.lower(): v for k, v in rel.items()} if isinstance(rel, dict) else {}

    def fail(self, key: str | None, message: str) -> None:
        self.problems.append(f"{self.label}: " + (f"field '{key}': " if key else "") + message)

    def text(self, key: str, *, required: bool = True) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "is required")
            return None
        if not isinstance(value, str):
            self.fail(key, "must be a string")
            return None
        return value

    def integer(self, key: str, default: int | None = None) -> int | None:
        value = self.data.get(key, default)
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(key, "must be an integer")
            return None
        return value

    def time(self, key: str) -> datetime | None:
        value = self.text(key)
        if value is None:
            return None
        try:
            return parse_time(value)
        except ValueError:
            self.fail(key, "is not a time like 2009-03-10T00:00:00+0100")
            return None

    def ref(self, key: str, *also: str) -> int | None:
        value = self.relationships.get(key.lower())
        for other in also:
            if value is None:
                value = self.relationships.get(other.lower())
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(f"relationships.{key}", "must be the id (an integer) of an entity")
            return None
        return value

    @property
    def pubversion(self) -> str | None:
        value = self.data.get("pubversion")
        return None if value is None else str(value)


def _rows(data: dict[str, Any], kind: str, problems: list[str], make: Callable[[_Row], T | None]) -> tuple[T, ...]:
    items = data.get(kind, [])
    if not isinstance(items, list):
        problems.append(f"data.{kind}: must be a list")
        return ()
    out = []
    for item in items:
        row = _Row(kind, item, problems)
        before = len(problems)
        made = make(row)
        if made is not None and len(problems) == before and row.id is not None:
            out.append(made)
    return tuple(out)


def parse(document: Any) -> Catalogue:
    """A Catalogue from a published-version document; raises CatalogueProblem with every problem that
    keeps it from being read."""
    problems: list[str] = []
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise CatalogueProblem(["the document must be an object with a 'data' object (TAK published version)"])
    data = document["data"]
    for key in data:
        if key not in ENTITY_ORDER:
            problems.append(f"data.{key}: not an entity kind of a TAK published version")

    def profile(r: _Row) -> RivProfile | None:
        name = r.text("namn")
        return RivProfile(r.id or 0, name, r.text("beskrivning", required=False), r.pubversion) if name else None

    def contract(r: _Row) -> ServiceContract | None:
        ns, major, minor = r.text("namnrymd"), r.integer("majorVersion"), r.integer("minorVersion", 0)
        if ns is None or major is None or minor is None:
            return None
        return ServiceContract(r.id or 0, ns, major, minor, r.text("beskrivning", required=False), r.pubversion)

    def address(r: _Row) -> LogicalAddress | None:
        hsa = r.text("hsaId")
        return LogicalAddress(r.id or 0, hsa, r.text("beskrivning", required=False), r.pubversion) if hsa else None

    def component(r: _Row) -> ServiceComponent | None:
        hsa = r.text("hsaId")
        return ServiceComponent(r.id or 0, hsa, r.text("beskrivning", required=False), r.pubversion) if hsa else None

    def call_address(r: _Row) -> CallAddress | None:
        url, profile_id, component_id = r.text("adress"), r.ref("rivtaprofil"), r.ref("tjanstekomponent")
        if url is None or profile_id is None or component_id is None:
            return None
        return CallAddress(r.id or 0, url, component_id, profile_id, r.pubversion)

    def authorization(r: _Row) -> Authorization | None:
        start, end = r.time("fromTidpunkt"), r.time("tomTidpunkt")
        la, consumer, k = r.ref("logiskAdress"), r.ref("tjanstekomponent", "tjanstekonsument"), r.ref("tjanstekontrakt")
        if None in (start, end, la, consumer, k):
            return None
        return Authorization(
            r.id or 0, consumer, la, k, start, end, r.text("integrationsavtal", required=False), r.pubversion  # type: ignore[arg-type]
        )

    def routing(r: _Row) -> Routing | None:
        start, end = r.time("fromTidpunkt"), r.time("tomTidpunkt")
        ca, la, k = r.ref("anropsadress"), r.ref("logiskadress"), r.ref("tjanstekontrakt")
        if None in (start, end, ca, la, k):
            return None
        return Routing(r.id or 0, ca, la, k, start, end, r.pubversion)  # type: ignore[arg-type]

    def filter_(r: _Row) -> Filter | None:
        domain, auth = r.text("servicedomain"), r.ref("anropsbehorighet")
        return Filter(r.id or 0, auth, domain, r.pubversion) if domain is not None and auth is not None else None

    def categorization(r: _Row) -> FilterCategorization | None:
        category, f = r.text("category"), r.ref("filter")
        if category is None or f is None:
            return None
        return FilterCategorization(r.id or 0, f, category, r.pubversion)

    head = _Row("document", {"id": 0, **{k: v for k, v in document.items() if k != "data"}}, problems)
    head.label = "document"
    published = head.time("tidpunkt") if document.get("tidpunkt") is not None else None
    cat = Catalogue(
        profiles=_rows(data, "rivtaprofil", problems, profile),
        contracts=_rows(data, "tjanstekontrakt", problems, contract),
        logical_addresses=_rows(data, "logiskadress", problems, address),
        components=_rows(data, "tjanstekomponent", problems, component),
        call_addresses=_rows(data, "anropsadress", problems, call_address),
        authorizations=_rows(data, "anropsbehorighet", problems, authorization),
        routings=_rows(data, "vagval", problems, routing),
        filters=_rows(data, "filter", problems, filter_),
        categorizations=_rows(data, "filtercategorization", problems, categorization),
        version=head.integer("version", 0) or 0,
        published=published,
        published_by=head.text("utforare", required=False),
        comment=head.text("kommentar", required=False),
        format_version=head.integer("formatVersion", 1) or 1,
    )
    if problems:
        raise CatalogueProblem(problems)
    check(cat)
    return cat


def to_document(cat: Catalogue) -> dict[str, Any]:
    """The published-version document of a catalogue, keys in TAK's order."""

    def entity(id: int, fields: dict[str, Any], pubversion: str | None, relationships: dict[str, int] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": id, **fields, "pubversion": pubversion}
        if relationships is not None:
            out["relationships"] = relationships
        return out

    data = {
        "rivtaprofil": [entity(p.id, {"namn": p.name, "beskrivning": p.description}, p.pubversion) for p in cat.profiles],
        "tjanstekontrakt": [
            entity(
                c.id,
                {"namnrymd": c.namespace, "beskrivning": c.description, "majorVersion": c.major, "minorVersion": c.minor},
                c.pubversion,
            )
            for c in cat.contracts
        ],
        "logiskadress": [
            entity(a.id, {"hsaId": a.hsa_id, "beskrivning": a.description}, a.pubversion) for a in cat.logical_addresses
        ],
        "tjanstekomponent": [
            entity(c.id, {"hsaId": c.hsa_id, "beskrivning": c.description}, c.pubversion) for c in cat.components
        ],
        "anropsadress": [
            entity(a.id, {"adress": a.url}, a.pubversion, {"rivtaprofil": a.profile_id, "tjanstekomponent": a.component_id})
            for a in cat.call_addresses
        ],
        "anropsbehorighet": [
            entity(
                a.id,
                {
                    "integrationsavtal": a.agreement,
                    "fromTidpunkt": format_time(a.valid_from),
                    "tomTidpunkt": format_time(a.valid_to),
                },
                a.pubversion,
                {"logiskAdress": a.logical_address_id, "tjanstekomponent": a.consumer_id, "tjanstekontrakt": a.contract_id},
            )
            for a in cat.authorizations
        ],
        "vagval": [
            entity(
                r.id,
                {"fromTidpunkt": format_time(r.valid_from), "tomTidpunkt": format_time(r.valid_to)},
                r.pubversion,
                {"anropsadress": r.call_address_id, "logiskadress": r.logical_address_id, "tjanstekontrakt": r.contract_id},
            )
            for r in cat.routings
        ],
        "filter": [
            entity(f.id, {"servicedomain": f.service_domain}, f.pubversion, {"anropsbehorighet": f.authorization_id})
            for f in cat.filters
        ],
        "filtercategorization": [
            entity(fc.id, {"category": fc.category}, fc.pubversion, {"filter": fc.filter_id}) for fc in cat.categorizations
        ],
    }
    return {
        "formatVersion": str(cat.format_version),
        "version": str(cat.version),
        "tidpunkt": format_time(cat.published) if cat.published else None,
        "utforare": cat.published_by,
        "kommentar": cat.comment,
        "data": data,
    }
