"""Engine set-up and the SQL unit of work.

SQLite (a file; the embedded default) and PostgreSQL (production) are supported.
On SQLite every transaction starts with BEGIN IMMEDIATE: every call writes at
least an audit record, and taking the write lock up front avoids the deadlock of
two readers upgrading at once. On PostgreSQL rows that a write will change are
locked with SELECT ... FOR UPDATE.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, insert, or_, select, text, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from ..ports import PopulationRegister, StorageUnavailable, UnitOfWork
from .audit import SqlAuditRepository
from .follow_up import SqlFollowUpRepository
from .log_review import SqlLogReviewRepository
from .notices import SqlNoticeRepository
from .offers import SqlOfferRepository
from .orders import SqlOrderRepository
from .outbox import SqlOutboxRepository
from .regions import SqlRegionRepository
from .registry import (
    SqlDefinitionRepository,
    SqlReserveNumberRepository,
    SqlSamplingSiteRepository,
    SqlSystemRepository,
    SqlUnitNameRepository,
    SystemCache,
)
from .results import SqlResultRepository
from .retention import SqlRetentionRepository
from .staff import SqlStaffRepository
from .tables import connected_system, offer_definition, service_lease, service_setting

DEFAULT_DATABASE_URL = "sqlite:///var/eph.sqlite3"
PAGING_KEY = "paging_key"


def database_url(url: str | None = None) -> str:
    """The configured database URL; ``postgresql://`` URLs get the psycopg 3 driver."""
    url = url or os.environ.get("EPH_DATABASE_URL") or DEFAULT_DATABASE_URL
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_timeout", 10)
    # an unreachable server is an outage within seconds, not after the platform has given up
    kwargs.setdefault("connect_args", {"connect_timeout": 5})
    # no ping before each use (a round trip per call): a connection found broken fails its call
    # (StorageUnavailable) and the pool replaces every connection older than the failure
    return create_engine(url, hide_parameters=True, **kwargs)


class Database:
    """An engine and what is shared between its units of work."""

    def __init__(self, url: str | None = None, engine: Engine | None = None,
                 population: PopulationRegister | None = None) -> None:
        self.engine = engine or make_engine(url)
        self._paging_key: bytes | None = None
        self.systems = SystemCache()
        # the population register the units of work hand the service layer (the composition root
        # sets it; the database itself never calls it)
        self.population = population

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self)

    def paging_key(self, conn: Connection) -> bytes:
        """The per-deployment key of continuation tokens (created by the first migration)."""
        if self._paging_key is None:
            value = conn.execute(
                select(service_setting.c.value).where(service_setting.c.name == PAGING_KEY)
            ).scalar()
            if value is None:
                raise RuntimeError("the database has no paging key: run 'eph db upgrade'")
            self._paging_key = bytes.fromhex(value)
        return self._paging_key

    def try_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Take or renew the lease ``name`` for ``holder`` until ``now + ttl``; False while
        another holder's lease has not expired. One transaction, so of several processes
        (on several nodes sharing the database) exactly one holds a lease at a time."""
        lease = service_lease.c
        try:
            with self.engine.begin() as conn:
                taken = conn.execute(
                    update(service_lease)
                    .where(lease.name == name, or_(lease.holder == holder, lease.expires < now))
                    .values(holder=holder, expires=now + ttl)
                ).rowcount
                if taken:
                    return True
                if conn.execute(select(lease.name).where(lease.name == name)).first() is not None:
                    return False
                conn.execute(insert(service_lease).values(name=name, holder=holder, expires=now + ttl))
                return True
        except sa_exc.IntegrityError:  # another process made the lease first
            return False

    def dispose(self) -> None:
        self.engine.dispose()


def is_outage(error: BaseException) -> bool:
    """Whether a database error means the database could not be reached or stopped answering
    (as opposed to a statement it refused): the server is down, restarting or unreachable,
    the connection broke, the pool is exhausted, or SQLite's file stayed locked."""
    if isinstance(error, sa_exc.TimeoutError | sa_exc.InterfaceError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        return error.connection_invalidated or isinstance(error, sa_exc.OperationalError)
    return False


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn: Connection | None = None
        self.population = db.population

    def __enter__(self) -> SqlUnitOfWork:
        # the transaction begins with the first statement (a unit of work whose only statement is
        # atomic by itself may run it without one: see the repositories)
        try:
            conn = self.db.engine.connect()
        except sa_exc.SQLAlchemyError as e:
            if is_outage(e):
                raise StorageUnavailable(type(e).__name__) from e
            raise
        self.conn = conn
        self.definitions = SqlDefinitionRepository(conn)
        self.offers = SqlOfferRepository(conn)
        self.orders = SqlOrderRepository(conn)
        self.results = SqlResultRepository(conn)
        self.follow_ups = SqlFollowUpRepository(conn)
        self.systems = SqlSystemRepository(conn, self.db.systems)
        self.reserve_numbers = SqlReserveNumberRepository(conn)
        self.sites = SqlSamplingSiteRepository(conn)
        self.unit_names = SqlUnitNameRepository(conn)
        self.staff = SqlStaffRepository(conn)
        self.audit = SqlAuditRepository(conn)
        self.log_review = SqlLogReviewRepository(conn)
        self.outbox = SqlOutboxRepository(conn)
        self.notices = SqlNoticeRepository(conn)
        self.retention = SqlRetentionRepository(conn)
        self.regions = SqlRegionRepository(conn)
        return self

    def __exit__(self, exc_type: object, error: BaseException | None, tb: object) -> None:
        assert self.conn is not None
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
        except sa_exc.SQLAlchemyError:
            if error is None:
                raise
            # the connection broke; the error that ended the block says more
        finally:
            self.conn.close()
            self.conn = None
        if isinstance(error, sa_exc.SQLAlchemyError) and is_outage(error):
            raise StorageUnavailable(type(error).__name__) from error

    def commit(self) -> None:
        assert self.conn is not None
        if self.conn.in_transaction():
            self.conn.commit()

    def rollback(self) -> None:
        assert self.conn is not None
        self.conn.rollback()

    def paging_key(self) -> bytes:
        assert self.conn is not None
        return self.db.paging_key(self.conn)

    def ping(self) -> str:
        with self:
            assert self.conn is not None
            self.conn.execute(text("SELECT 1"))
            return self.db.engine.dialect.name

    def is_empty(self) -> bool:
        assert self.conn is not None
        defs = self.conn.execute(select(func.count()).select_from(offer_definition)).scalar_one()
        systems = self.conn.execute(select(func.count()).select_from(connected_system)).scalar_one()
        return defs == 0 and systems == 0
