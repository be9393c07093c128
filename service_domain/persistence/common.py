"""What the SQL repositories share: statements run outside a transaction, the advisory locks
that order concurrent writes, the stored form of sampling modes, and an insert that leaves a row
already there alone."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table, text
from sqlalchemy.dialects import postgresql, sqlite

from ..model import SamplingMode

# PostgreSQL advisory locks held to the end of a transaction (two-key form: kind, key)
_LOCK_PATIENT = 1  # writes that must see each other's offers for one patient
_LOCK_ORDER_SEQ = 2  # order inserts: row numbers become visible in the order they are taken


@contextmanager
def _on_its_own(conn: Connection) -> Iterator[None]:
    """Run one statement outside a transaction when the unit of work has not begun one (no BEGIN
    and COMMIT round trips): it must be atomic by itself. Inside a begun transaction, as usual."""
    dbapi = conn.connection.dbapi_connection
    alone = not conn.in_transaction() and conn.dialect.name == "postgresql" and dbapi is not None
    if alone:
        dbapi.autocommit = True  # type: ignore[union-attr]
    try:
        yield
    except BaseException:
        if alone:
            # the connection may have broken under the statement (the server restarted): then
            # setting the mode fails too, and the statement's error is the one that says why
            try:
                dbapi.autocommit = False  # type: ignore[union-attr]
            except Exception:
                pass
        raise
    if alone:
        dbapi.autocommit = False  # type: ignore[union-attr]


def _advisory_lock(conn: Connection, kind: int, key: str = "") -> None:
    """Wait for the transaction-scoped lock (PostgreSQL; SQLite's writers take turns anyway)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:kind, hashtext(:key))"), {"kind": kind, "key": key})


def _modes_to_str(modes: Iterable[SamplingMode]) -> str:
    return ",".join(m.value for m in modes)


def _modes_from_str(value: str) -> tuple[SamplingMode, ...]:
    return tuple(SamplingMode(m) for m in value.split(",") if m)


def insert_or_ignore(conn: Connection, table: Table, values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING (PostgreSQL and SQLite alike); whether a row was written.
    Told by the row RETURNING gives back: psycopg's rowcount of such an insert is not to be relied
    on (it answers -1)."""
    make = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = make(table).values(**values).on_conflict_do_nothing().returning(*table.primary_key.columns)
    return conn.execute(statement).first() is not None
