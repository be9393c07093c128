"""The index's engagements in a database of its own (SQLAlchemy Core; SQLite by default).

An engagement is identified by the nine fields the national rules make its key:
registeredResidentIdentification, serviceDomain, categorization, logicalAddress,
businessObjectInstanceIdentifier, sourceSystem, dataController, owner and
clinicalProcessInterestId. The key's SHA-256 is the row's id, so a repeated Update of the same
engagement finds its row and changes only mostRecentContent and updateTime (idempotent);
``deleteFlag`` true removes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Index, MetaData, String, Table, bindparam, create_engine, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

metadata = MetaData()

# the contract's element names, in the contract's order, and their columns
FIELDS: tuple[tuple[str, str], ...] = (
    ("registeredResidentIdentification", "registered_resident_identification"),
    ("serviceDomain", "service_domain"),
    ("categorization", "categorization"),
    ("logicalAddress", "logical_address"),
    ("businessObjectInstanceIdentifier", "business_object_instance_identifier"),
    ("clinicalProcessInterestId", "clinical_process_interest_id"),
    ("mostRecentContent", "most_recent_content"),
    ("sourceSystem", "source_system"),
    ("creationTime", "creation_time"),
    ("updateTime", "update_time"),
    ("dataController", "data_controller"),
    ("owner", "owner"),
)
COLUMN = dict(FIELDS)
KEY = (
    "registeredResidentIdentification", "serviceDomain", "categorization", "logicalAddress",
    "businessObjectInstanceIdentifier", "sourceSystem", "dataController", "owner", "clinicalProcessInterestId",
)
# the lengths the national index allows (longer is refused before anything is stored)
MAX_LENGTH: dict[str, int] = {
    "registeredResidentIdentification": 32, "serviceDomain": 255, "categorization": 255, "logicalAddress": 64,
    "businessObjectInstanceIdentifier": 128, "clinicalProcessInterestId": 128, "sourceSystem": 64,
    "dataController": 64, "owner": 64, "mostRecentContent": 14, "creationTime": 14, "updateTime": 14,
}
# FindContent's optional filters that must match exactly (mostRecentContent is "at or after")
EXACT_FILTERS = (
    "categorization", "logicalAddress", "businessObjectInstanceIdentifier", "clinicalProcessInterestId",
    "sourceSystem", "dataController", "owner",
)

engagement = Table(
    "ei_engagement", metadata,
    Column("id", String(64), primary_key=True),
    *(Column(column, String(MAX_LENGTH[name]), nullable=name in ("mostRecentContent",)) for name, column in FIELDS),
)
Index("ix_ei_engagement_resident_domain", engagement.c.registered_resident_identification, engagement.c.service_domain)


@dataclass(frozen=True)
class Engagement:
    registeredResidentIdentification: str
    serviceDomain: str
    categorization: str
    logicalAddress: str
    businessObjectInstanceIdentifier: str
    clinicalProcessInterestId: str
    sourceSystem: str
    dataController: str
    owner: str
    mostRecentContent: str | None = None
    creationTime: str | None = None
    updateTime: str | None = None

    @property
    def key(self) -> str:
        joined = "\x1f".join(getattr(self, name) for name in KEY)
        return hashlib.sha256(joined.encode()).hexdigest()

    def as_contract(self) -> dict[str, Any]:
        """The engagement as the contract's EngagementType, elements in the contract's order."""
        return {name: getattr(self, name) for name, _ in FIELDS if getattr(self, name) is not None}

    @classmethod
    def from_contract(cls, values: Mapping[str, Any]) -> Engagement:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


@dataclass(frozen=True)
class Transaction:
    delete: bool
    engagement: Engagement


def _row(e: Engagement) -> dict[str, Any]:
    return {"id": e.key, **{column: getattr(e, name) for name, column in FIELDS}}


def _engagement(row: Any) -> Engagement:
    return Engagement(**{name: getattr(row, column) for name, column in FIELDS})


def _newer(stored: str | None, given: str | None) -> str | None:
    """The later of two mostRecentContent values (TS, yyyyMMddHHmmss, compares as text); one
    not given leaves the other."""
    if stored is None or given is None:
        return given or stored
    return max(stored, given)


class EngagementStore:
    def __init__(self, url_or_engine: str | Engine) -> None:
        self.engine = create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine

    def create(self) -> None:
        """The index's table, made when missing (the index's database is its own, outside the
        service's migrations); a SQLite file's folder is made too."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        metadata.create_all(self.engine)

    def apply(self, transactions: Sequence[Transaction], now: str) -> list[Transaction]:
        """Store every transaction in one database transaction; the engagements as stored
        (deleted ones as they were), for the notification of subscribers. A request names each
        engagement once (the app refuses it twice, EI002), so its rows are read with one
        look-up and written with one statement of each kind."""
        for attempt in (1, 2):
            try:
                with self.engine.begin() as conn:
                    return self._apply(conn, transactions, now)
            except IntegrityError:
                # another call stored one of these engagements between this one's look-up and
                # its insert: once more, and the engagement is found and updated
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _apply(conn: Connection, transactions: Sequence[Transaction], now: str) -> list[Transaction]:
        c = engagement.c
        keys = [t.engagement.key for t in transactions]
        found = {r.id: r for r in conn.execute(select(engagement).where(c.id.in_(keys)))} if keys else {}
        done: list[Transaction] = []
        deleted: list[str] = []
        inserted: list[dict[str, Any]] = []
        updated: list[dict[str, Any]] = []
        for t, key in zip(transactions, keys, strict=True):
            row = found.get(key)
            if t.delete:
                if row is not None:
                    deleted.append(key)
                    done.append(Transaction(True, _engagement(row)))
                continue
            if row is None:
                stored = replace(t.engagement, creationTime=now, updateTime=now)
                inserted.append(_row(stored))
            else:
                stored = replace(_engagement(row), mostRecentContent=_newer(row.most_recent_content,
                                                                            t.engagement.mostRecentContent), updateTime=now)
                updated.append({"key": key, "content": stored.mostRecentContent, "now": now})
            done.append(Transaction(False, stored))
        if deleted:
            conn.execute(engagement.delete().where(c.id.in_(deleted)))
        if inserted:
            conn.execute(engagement.insert(), inserted)
        if updated:
            conn.execute(engagement.update().where(c.id == bindparam("key")).values(
                most_recent_content=bindparam("content"), update_time=bindparam("now")), updated)
        return done

    def find(self, resident: str, service_domain: str, **filters: str | None) -> list[Engagement]:
        """FindContent: the resident's engagements in the service domain, narrowed by each filter
        given (exact, but mostRecentContent: at or after the time given)."""
        unknown = set(filters) - set(EXACT_FILTERS) - {"mostRecentContent"}
        if unknown:
            raise ValueError(f"not a FindContent filter: {', '.join(sorted(unknown))}")
        query = select(engagement).where(
            engagement.c.registered_resident_identification == resident, engagement.c.service_domain == service_domain)
        for name in EXACT_FILTERS:
            if filters.get(name) is not None:
                query = query.where(engagement.c[COLUMN[name]] == filters[name])
        if filters.get("mostRecentContent") is not None:
            query = query.where(engagement.c.most_recent_content >= filters["mostRecentContent"])
        with self.engine.connect() as conn:
            return [_engagement(r) for r in conn.execute(query.order_by(engagement.c.creation_time, engagement.c.id))]
