"""The journal system's own store of imported laboratory results (SQLAlchemy Core; SQLite by
default), not the service's database.

One entry per record: the source system and the record id (``header.record.id``, the order in
the self-sampling service) are its key, and the record's time (``header.record.timestamp``, the
answered version's report time) is its version. Importing the same version again changes
nothing; a newer version (a correction) replaces the entry; an older one (a notification that
arrived late) is left out, so the journal never goes back to a replaced version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

metadata = MetaData()

journal_entry = Table(
    "ehr_journal_entry", metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of source system and record id
    Column("source_system", String(64), nullable=False),
    Column("record_id", String(128), nullable=False),
    Column("version_time", String(14), nullable=False),  # header.record.timestamp
    Column("patient_id", String(32), nullable=False),
    Column("care_unit", String(64), nullable=False),
    Column("report_type", String(32), nullable=False),
    Column("content", Text, nullable=False),  # the record as received: LaboratoryOrderOutcomeType as JSON
    Column("content_sha256", String(64), nullable=False),
    Column("imported_time", String(14), nullable=False),
    Column("updated_time", String(14), nullable=False),
    Column("versions", Integer, nullable=False),  # how many versions this entry has held
)


class Imported(Enum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    OLDER = "older"


@dataclass(frozen=True)
class Record:
    """One laboratory outcome as the journal keeps it."""

    source_system: str
    record_id: str
    version_time: str
    patient_id: str
    care_unit: str
    report_type: str
    content: str

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.source_system}\x1f{self.record_id}".encode()).hexdigest()

    @property
    def content_sha256(self) -> str:
        return hashlib.sha256(self.content.encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    record: Record
    imported_time: str
    updated_time: str
    versions: int


def _entry(row: Any) -> Entry:
    record = Record(row.source_system, row.record_id, row.version_time, row.patient_id, row.care_unit,
                    row.report_type, row.content)
    return Entry(record, row.imported_time, row.updated_time, row.versions)


class JournalStore:
    def __init__(self, url_or_engine: str | Engine) -> None:
        self.engine = create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine

    def create(self) -> None:
        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        metadata.create_all(self.engine)

    def import_record(self, record: Record, now: str) -> Imported:
        for attempt in (1, 2):
            try:
                with self.engine.begin() as conn:
                    return self._import(conn, record, now)
            except IntegrityError:
                # two notifications imported the same new record at once: the second finds it
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _import(conn: Any, record: Record, now: str) -> Imported:
        found = conn.execute(select(journal_entry).where(journal_entry.c.id == record.key)).first()
        values = {"version_time": record.version_time, "patient_id": record.patient_id, "care_unit": record.care_unit,
                  "report_type": record.report_type, "content": record.content,
                  "content_sha256": record.content_sha256, "updated_time": now}
        if found is None:
            conn.execute(journal_entry.insert().values(
                id=record.key, source_system=record.source_system, record_id=record.record_id,
                imported_time=now, versions=1, **values))
            return Imported.NEW
        if record.version_time < found.version_time:
            return Imported.OLDER
        if record.version_time == found.version_time and record.content_sha256 == found.content_sha256:
            return Imported.UNCHANGED
        conn.execute(journal_entry.update().where(journal_entry.c.id == record.key).values(
            versions=found.versions + 1, **values))
        return Imported.UPDATED

    def entries(self, patient_id: str | None = None) -> list[Entry]:
        query = select(journal_entry)
        if patient_id is not None:
            query = query.where(journal_entry.c.patient_id == patient_id)
        with self.engine.connect() as conn:
            return [_entry(r) for r in conn.execute(query.order_by(journal_entry.c.version_time, journal_entry.c.id))]
