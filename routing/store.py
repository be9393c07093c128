"""The routing catalogue in the project's database (tables ``tak_*``; migrations in
``routing/migrations``). Times are stored as UTC without zone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from .catalogue import (
    Authorization,
    CallAddress,
    Catalogue,
    Filter,
    FilterCategorization,
    LogicalAddress,
    RivProfile,
    Routing,
    ServiceComponent,
    ServiceContract,
    check,
)

metadata = MetaData()


def _table(name: str, *columns: Column[Any]) -> Table:
    return Table(name, metadata, Column("id", BigInteger, primary_key=True, autoincrement=False), *columns,
                 Column("pubversion", String(64)))


publication = Table(
    "tak_publication",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1: the catalogue in force
    Column("format_version", Integer, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("tidpunkt", DateTime),
    Column("utforare", String(255)),
    Column("kommentar", Text),
)
# Which catalogue reload is the newest: every platform node (and every worker of one) polls this
# row and re-reads the catalogue when ``generation`` has grown (one row, id 1; see routing/state.py).
reload_signal = Table(
    "tak_reload",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", BigInteger, nullable=False),
    Column("version", BigInteger, nullable=False),  # the catalogue version the reload put in force
    Column("reloaded_at", DateTime, nullable=False),
    Column("reloaded_by", String(255), nullable=False),  # the platform instance and process
)
rivtaprofil = _table("tak_rivtaprofil", Column("namn", String(64), nullable=False), Column("beskrivning", Text))
tjanstekontrakt = _table(
    "tak_tjanstekontrakt",
    Column("namnrymd", String(255), nullable=False),
    Column("major_version", Integer, nullable=False),
    Column("minor_version", Integer, nullable=False),
    Column("beskrivning", Text),
)
logiskadress = _table("tak_logiskadress", Column("hsa_id", String(255), nullable=False), Column("beskrivning", Text))
tjanstekomponent = _table("tak_tjanstekomponent", Column("hsa_id", String(255), nullable=False), Column("beskrivning", Text))
anropsadress = _table(
    "tak_anropsadress",
    Column("adress", String(255), nullable=False),
    Column("tjanstekomponent_id", BigInteger, nullable=False),
    Column("rivtaprofil_id", BigInteger, nullable=False),
)
vagval = _table(
    "tak_vagval",
    Column("anropsadress_id", BigInteger, nullable=False),
    Column("logiskadress_id", BigInteger, nullable=False),
    Column("tjanstekontrakt_id", BigInteger, nullable=False),
    Column("from_tidpunkt", DateTime, nullable=False),
    Column("tom_tidpunkt", DateTime, nullable=False),
)
anropsbehorighet = _table(
    "tak_anropsbehorighet",
    Column("integrationsavtal", String(255)),
    Column("tjanstekonsument_id", BigInteger, nullable=False),
    Column("logiskadress_id", BigInteger, nullable=False),
    Column("tjanstekontrakt_id", BigInteger, nullable=False),
    Column("from_tidpunkt", DateTime, nullable=False),
    Column("tom_tidpunkt", DateTime, nullable=False),
)
filter_table = _table(
    "tak_filter", Column("servicedomain", String(255), nullable=False), Column("anropsbehorighet_id", BigInteger, nullable=False)
)
filtercategorization = _table(
    "tak_filtercategorization", Column("category", String(255), nullable=False), Column("filter_id", BigInteger, nullable=False)
)
ENTITY_TABLES = (rivtaprofil, tjanstekontrakt, logiskadress, tjanstekomponent, anropsadress, vagval, anropsbehorighet,
                 filter_table, filtercategorization)


def _to_db(t: datetime | None) -> datetime | None:
    return None if t is None else t.astimezone(UTC).replace(tzinfo=None)


def _from_db(t: datetime | None) -> datetime | None:
    return None if t is None else t.replace(tzinfo=UTC)


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC)


def _rows(cat: Catalogue) -> dict[Table, list[dict[str, Any]]]:
    return {
        rivtaprofil: [{"id": p.id, "namn": p.name, "beskrivning": p.description, "pubversion": p.pubversion} for p in cat.profiles],
        tjanstekontrakt: [
            {"id": c.id, "namnrymd": c.namespace, "major_version": c.major, "minor_version": c.minor,
             "beskrivning": c.description, "pubversion": c.pubversion}
            for c in cat.contracts
        ],
        logiskadress: [
            {"id": a.id, "hsa_id": a.hsa_id, "beskrivning": a.description, "pubversion": a.pubversion}
            for a in cat.logical_addresses
        ],
        tjanstekomponent: [
            {"id": c.id, "hsa_id": c.hsa_id, "beskrivning": c.description, "pubversion": c.pubversion} for c in cat.components
        ],
        anropsadress: [
            {"id": a.id, "adress": a.url, "tjanstekomponent_id": a.component_id, "rivtaprofil_id": a.profile_id,
             "pubversion": a.pubversion}
            for a in cat.call_addresses
        ],
        vagval: [
            {"id": r.id, "anropsadress_id": r.call_address_id, "logiskadress_id": r.logical_address_id,
             "tjanstekontrakt_id": r.contract_id, "from_tidpunkt": _to_db(r.valid_from), "tom_tidpunkt": _to_db(r.valid_to),
             "pubversion": r.pubversion}
            for r in cat.routings
        ],
        anropsbehorighet: [
            {"id": a.id, "integrationsavtal": a.agreement, "tjanstekonsument_id": a.consumer_id,
             "logiskadress_id": a.logical_address_id, "tjanstekontrakt_id": a.contract_id,
             "from_tidpunkt": _to_db(a.valid_from), "tom_tidpunkt": _to_db(a.valid_to), "pubversion": a.pubversion}
            for a in cat.authorizations
        ],
        filter_table: [
            {"id": f.id, "servicedomain": f.service_domain, "anropsbehorighet_id": f.authorization_id, "pubversion": f.pubversion}
            for f in cat.filters
        ],
        filtercategorization: [
            {"id": c.id, "category": c.category, "filter_id": c.filter_id, "pubversion": c.pubversion} for c in cat.categorizations
        ],
    }


def save(conn: Connection, cat: Catalogue) -> None:
    """Replace the catalogue in force with ``cat`` (checked first; the caller's transaction makes it all or nothing)."""
    check(cat)
    for table in reversed(ENTITY_TABLES):
        conn.execute(delete(table))
    conn.execute(delete(publication))
    conn.execute(
        insert(publication).values(
            id=1, format_version=cat.format_version, version=cat.version, tidpunkt=_to_db(cat.published),
            utforare=cat.published_by, kommentar=cat.comment,
        )
    )
    for table, rows in _rows(cat).items():
        if rows:
            conn.execute(insert(table), rows)


def load(conn: Connection) -> Catalogue | None:
    """The catalogue in force, or None when none was ever stored."""
    head = conn.execute(select(publication).where(publication.c.id == 1)).first()
    if head is None:
        return None

    def rows(table: Table) -> list[Any]:
        return list(conn.execute(select(table).order_by(table.c.id)))

    return Catalogue(
        profiles=tuple(RivProfile(r.id, r.namn, r.beskrivning, r.pubversion) for r in rows(rivtaprofil)),
        contracts=tuple(
            ServiceContract(r.id, r.namnrymd, r.major_version, r.minor_version, r.beskrivning, r.pubversion)
            for r in rows(tjanstekontrakt)
        ),
        logical_addresses=tuple(LogicalAddress(r.id, r.hsa_id, r.beskrivning, r.pubversion) for r in rows(logiskadress)),
        components=tuple(ServiceComponent(r.id, r.hsa_id, r.beskrivning, r.pubversion) for r in rows(tjanstekomponent)),
        call_addresses=tuple(
            CallAddress(r.id, r.adress, r.tjanstekomponent_id, r.rivtaprofil_id, r.pubversion) for r in rows(anropsadress)
        ),
        routings=tuple(
            Routing(r.id, r.anropsadress_id, r.logiskadress_id, r.tjanstekontrakt_id, _utc(r.from_tidpunkt),
                    _utc(r.tom_tidpunkt), r.pubversion)
            for r in rows(vagval)
        ),
        authorizations=tuple(
            Authorization(r.id, r.tjanstekonsument_id, r.logiskadress_id, r.tjanstekontrakt_id, _utc(r.from_tidpunkt),
                          _utc(r.tom_tidpunkt), r.integrationsavtal, r.pubversion)
            for r in rows(anropsbehorighet)
        ),
        filters=tuple(Filter(r.id, r.anropsbehorighet_id, r.servicedomain, r.pubversion) for r in rows(filter_table)),
        categorizations=tuple(
            FilterCategorization(r.id, r.filter_id, r.category, r.pubversion) for r in rows(filtercategorization)
        ),
        version=head.version,
        published=_from_db(head.tidpunkt),
        published_by=head.utforare,
        comment=head.kommentar,
        format_version=head.format_version,
    )


# ------------------------------------------------------------------ reloads across nodes


def reload_generation(conn: Connection) -> int | None:
    """The number of the newest reload any platform node made (None before the first)."""
    return conn.execute(select(reload_signal.c.generation).where(reload_signal.c.id == 1)).scalar()


def announce_reload(conn: Connection, version: int, by: str, now: datetime) -> int:
    """Record that a node put catalogue ``version`` in force; the other nodes follow. Returns the new
    generation. A single UPDATE, so two nodes reloading at once get different generations."""
    values = {"version": version, "reloaded_at": _to_db(now), "reloaded_by": by[:255]}
    changed = conn.execute(
        update(reload_signal).where(reload_signal.c.id == 1)
        .values(generation=reload_signal.c.generation + 1, **values)
    ).rowcount
    if not changed:
        try:
            with conn.begin_nested():
                conn.execute(insert(reload_signal).values(id=1, generation=1, **values))
        except IntegrityError:  # another node made the row first
            conn.execute(
                update(reload_signal).where(reload_signal.c.id == 1)
                .values(generation=reload_signal.c.generation + 1, **values)
            )
    generation = reload_generation(conn)
    assert generation is not None
    return generation


# ------------------------------------------------------------------ single rows


# "valid until further notice": 9999-12-31 00:00 Swedish time (the latest instant every zone can show)
FOREVER = datetime(9999, 12, 30, 23, 0, tzinfo=UTC)


def _next_id(items: tuple[Any, ...]) -> int:
    return max((i.id for i in items), default=0) + 1


def _find_or_add(items: tuple[Any, ...], match: Any, make: Any) -> tuple[tuple[Any, ...], int]:
    for item in items:
        if match(item):
            return items, int(item.id)
    new = make(_next_id(items))
    return (*items, new), int(new.id)


def _bump(cat: Catalogue, now: datetime, who: str, comment: str) -> Catalogue:
    return replace(cat, version=cat.version + 1, published=now, published_by=who, comment=comment)


def with_routing(
    cat: Catalogue, contract: str, logical_address: str, url: str, producer: str, profile: str,
    valid_from: datetime, valid_to: datetime, *, now: datetime, who: str,
) -> tuple[Catalogue, int]:
    """The catalogue with one more routing (and the contract, address, component, call address it needs)."""
    profiles, profile_id = _find_or_add(cat.profiles, lambda p: p.name.upper() == profile.upper(),
                                        lambda i: RivProfile(i, profile.upper()))
    contracts, contract_id = _find_or_add(cat.contracts, lambda c: c.namespace.lower() == contract.lower(),
                                          lambda i: ServiceContract(i, contract, _major_of(contract)))
    addresses, address_id = _find_or_add(cat.logical_addresses, lambda a: a.hsa_id.lower() == logical_address.lower(),
                                         lambda i: LogicalAddress(i, logical_address))
    components, component_id = _find_or_add(cat.components, lambda c: c.hsa_id.lower() == producer.lower(),
                                            lambda i: ServiceComponent(i, producer))
    call_addresses, call_id = _find_or_add(
        cat.call_addresses,
        lambda a: a.url == url and a.component_id == component_id and a.profile_id == profile_id,
        lambda i: CallAddress(i, url, component_id, profile_id),
    )
    routing_id = _next_id(cat.routings)
    new = replace(
        cat, profiles=profiles, contracts=contracts, logical_addresses=addresses, components=components,
        call_addresses=call_addresses,
        routings=(*cat.routings, Routing(routing_id, call_id, address_id, contract_id, valid_from, valid_to)),
    )
    return _bump(new, now, who, f"vagval {routing_id} added"), routing_id


def with_authorization(
    cat: Catalogue, consumer: str, contract: str, logical_address: str, valid_from: datetime, valid_to: datetime,
    *, now: datetime, who: str, agreement: str | None = None,
) -> tuple[Catalogue, int]:
    contracts, contract_id = _find_or_add(cat.contracts, lambda c: c.namespace.lower() == contract.lower(),
                                          lambda i: ServiceContract(i, contract, _major_of(contract)))
    addresses, address_id = _find_or_add(cat.logical_addresses, lambda a: a.hsa_id.lower() == logical_address.lower(),
                                         lambda i: LogicalAddress(i, logical_address))
    components, consumer_id = _find_or_add(cat.components, lambda c: c.hsa_id.lower() == consumer.lower(),
                                           lambda i: ServiceComponent(i, consumer))
    auth_id = _next_id(cat.authorizations)
    new = replace(
        cat, contracts=contracts, logical_addresses=addresses, components=components,
        authorizations=(*cat.authorizations,
                        Authorization(auth_id, consumer_id, address_id, contract_id, valid_from, valid_to, agreement)),
    )
    return _bump(new, now, who, f"anropsbehorighet {auth_id} added"), auth_id


def ending(cat: Catalogue, kind: str, row_id: int, at: datetime, *, now: datetime, who: str) -> Catalogue:
    """The catalogue with a routing ('vagval') or authorization ('anropsbehorighet') ending at ``at``."""
    rows = cat.routings if kind == "vagval" else cat.authorizations
    if not any(r.id == row_id for r in rows):
        raise KeyError(f"no {kind} with id {row_id}")
    ended = tuple(replace(r, valid_to=min(r.valid_to, at)) if r.id == row_id else r for r in rows)
    new = replace(cat, routings=ended) if kind == "vagval" else replace(cat, authorizations=ended)  # type: ignore[arg-type]
    return _bump(new, now, who, f"{kind} {row_id} ended")


def _major_of(namespace: str) -> int:
    last = namespace.rsplit(":", 1)[-1]
    return int(last) if last.isdigit() else 1


def empty() -> Catalogue:
    return Catalogue()


