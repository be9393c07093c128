"""The journal system's own store of imported laboratory results (SQLAlchemy Core; SQLite by
default), not the service's database.

One entry per record: the source system and the record id (``header.record.id``, the order in
the self-sampling service) are its key, and the record's time (``header.record.timestamp``, the
answered version's report time) is its version. Importing the same version again changes
nothing; a newer version (a correction) replaces the entry; an older one (a notification that
arrived late) is left out, so the journal never goes back to a replaced version.

Each entry remembers the logical address it was fetched from. A record that a later successful
fetch at that address no longer answers (the source withdrew it: entered in error) is marked
withdrawn, with the time (``withdrawn_time``), not deleted: the journal keeps what it was shown,
and says it no longer holds. Answered again (a new version released), it is current once more.

Fetches that failed (the platform or the source could not be reached) wait in
``ehr_pending_fetch``, one row per logical address and patient, until a later fetch of the pair
succeeds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    inspect,
    select,
    text,
)
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
    Column("fetched_from", String(64), nullable=True),  # the logical address answered it
    Column("withdrawn_time", String(14), nullable=True),  # no longer answered there since
)
# columns added after the table was first made: added to a journal made before them
_ADDED = {"fetched_from": "VARCHAR(64)", "withdrawn_time": "VARCHAR(14)"}

pending_fetch = Table(
    "ehr_pending_fetch", metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of logical address and patient
    Column("logical_address", String(64), nullable=False),
    Column("patient_id", String(32), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt", Float, nullable=False),  # seconds since the epoch
    Column("error", String(64), nullable=False),  # the kind of the last error, never its text
)


class Imported(Enum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    OLDER = "older"
    WITHDRAWN = "withdrawn"


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
    fetched_from: str | None = None
    withdrawn_time: str | None = None

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_time is not None


@dataclass(frozen=True)
class Pending:
    """A fetch to try again."""

    logical_address: str
    patient_id: str
    attempts: int
    next_attempt: float
    error: str


def _entry(row: Any) -> Entry:
    record = Record(row.source_system, row.record_id, row.version_time, row.patient_id, row.care_unit,
                    row.report_type, row.content)
    return Entry(record, row.imported_time, row.updated_time, row.versions, row.fetched_from, row.withdrawn_time)


def _pair_key(address: str, patient: str) -> str:
    return hashlib.sha256(f"{address}\x1f{patient}".encode()).hexdigest()


class JournalStore:
    def __init__(self, url_or_engine: str | Engine) -> None:
        self.engine = create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine

    def create(self) -> None:
        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            have = {c["name"] for c in inspect(conn).get_columns("ehr_journal_entry")}
            for name, kind in _ADDED.items():
                if name not in have:
                    conn.execute(text(f"ALTER TABLE ehr_journal_entry ADD COLUMN {name} {kind}"))

    def import_record(self, record: Record, now: str, fetched_from: str | None = None) -> Imported:
        for attempt in (1, 2):
            try:
                with self.engine.begin() as conn:
                    return self._import(conn, record, now, fetched_from)
            except IntegrityError:
                # two notifications imported the same new record at once: the second finds it
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _import(conn: Any, record: Record, now: str, fetched_from: str | None) -> Imported:
        found = conn.execute(select(journal_entry).where(journal_entry.c.id == record.key)).first()
        values = {"version_time": record.version_time, "patient_id": record.patient_id, "care_unit": record.care_unit,
                  "report_type": record.report_type, "content": record.content,
                  "content_sha256": record.content_sha256, "updated_time": now, "fetched_from": fetched_from,
                  "withdrawn_time": None}
        if found is None:
            conn.execute(journal_entry.insert().values(
                id=record.key, source_system=record.source_system, record_id=record.record_id,
                imported_time=now, versions=1, **values))
            return Imported.NEW
        if found.withdrawn_time is None and record.version_time < found.version_time:
            return Imported.OLDER
        if (found.withdrawn_time is None and record.version_time == found.version_time
                and record.content_sha256 == found.content_sha256):
            if fetched_from and found.fetched_from is None:
                conn.execute(journal_entry.update().where(journal_entry.c.id == record.key).values(fetched_from=fetched_from))
            return Imported.UNCHANGED
        conn.execute(journal_entry.update().where(journal_entry.c.id == record.key).values(
            versions=found.versions + 1, **values))
        return Imported.UPDATED

    def withdraw_missing(self, patient_id: str, fetched_from: str, answered: set[str], now: str) -> int:
        """Mark withdrawn the patient's current entries fetched from ``fetched_from`` whose keys
        the successful fetch there did not answer; how many."""
        with self.engine.begin() as conn:
            rows = conn.execute(select(journal_entry.c.id).where(
                journal_entry.c.patient_id == patient_id, journal_entry.c.fetched_from == fetched_from,
                journal_entry.c.withdrawn_time.is_(None))).all()
            gone = [r.id for r in rows if r.id not in answered]
            if gone:
                conn.execute(journal_entry.update().where(journal_entry.c.id.in_(gone)).values(
                    withdrawn_time=now, updated_time=now))
            return len(gone)

    # ------------------------------------------------------------------ fetches to try again

    def fetch_failed(self, address: str, patient: str, error: str, now: float, first_delay: float) -> Pending:
        """Keep (or keep again) a fetch that failed, to be tried after a delay doubling with each
        attempt, at most an hour."""
        key = _pair_key(address, patient)
        with self.engine.begin() as conn:
            found = conn.execute(select(pending_fetch).where(pending_fetch.c.id == key)).first()
            attempts = (found.attempts if found is not None else 0) + 1
            pending = Pending(address, patient, attempts, now + min(first_delay * 2 ** (attempts - 1), 3600.0), error)
            values = {"attempts": pending.attempts, "next_attempt": pending.next_attempt, "error": error}
            if found is None:
                conn.execute(pending_fetch.insert().values(id=key, logical_address=address, patient_id=patient, **values))
            else:
                conn.execute(pending_fetch.update().where(pending_fetch.c.id == key).values(**values))
            return pending

    def fetch_done(self, address: str, patient: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(pending_fetch.delete().where(pending_fetch.c.id == _pair_key(address, patient)))

    def pending(self, due_by: float | None = None) -> list[Pending]:
        """The fetches waiting (those due by ``due_by``, when given), the longest due first."""
        query = select(pending_fetch).order_by(pending_fetch.c.next_attempt)
        if due_by is not None:
            query = query.where(pending_fetch.c.next_attempt <= due_by)
        with self.engine.connect() as conn:
            return [Pending(r.logical_address, r.patient_id, r.attempts, r.next_attempt, r.error)
                    for r in conn.execute(query)]

    def entries(self, patient_id: str | None = None) -> list[Entry]:
        query = select(journal_entry)
        if patient_id is not None:
            query = query.where(journal_entry.c.patient_id == patient_id)
        with self.engine.connect() as conn:
            return [_entry(r) for r in conn.execute(query.order_by(journal_entry.c.version_time, journal_entry.c.id))]
