"""Housekeeping works through a backlog in short transactions of a bounded size, past rows that
are due but stay (a kit within its return window), and never waits for a row another
transaction holds (PostgreSQL: it is skipped and taken in a later round)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from service_domain import services
from service_domain.model import Order, OrderStatus, SamplingMode
from service_domain.persistence.database import Database, SqlUnitOfWork
from service_domain.persistence.tables import patient_order
from tests.service.conftest import assign, new_patient, order, status


@pytest.fixture
def db(backend_db: Database) -> Database:
    return backend_db


class CountingUnitOfWork(SqlUnitOfWork):
    """Notes how many rows each transaction's due_to_expire handed over."""

    def __init__(self, db: Database, sizes: list[int]) -> None:
        super().__init__(db)
        self.sizes = sizes

    def __enter__(self) -> CountingUnitOfWork:
        super().__enter__()
        for repo in (self.orders, self.offers):
            found = repo.due_to_expire

            def counted(*args: Any, _found: Any = found, **kw: Any) -> Any:
                rows = _found(*args, **kw)
                self.sizes.append(len(rows))
                return rows

            repo.due_to_expire = counted  # type: ignore[method-assign]
        return self


def _stored(db: Database, order_id: str) -> Order:
    with db.uow() as uow:
        found = uow.orders.get(order_id)
    assert found is not None
    return found


def test_a_backlog_expires_in_batches_past_kits_still_out(db: Database) -> None:
    site, kits = [], []
    for _ in range(4):  # kits out between the site orders, so every batch meets some
        p = new_patient()
        site.append(order(db, p, assign(db, p)).order_id or "")  # CTNG at a site: due at validTo
        q = new_patient()
        kit = order(db, q, assign(db, q), SamplingMode.HOME_KIT).order_id or ""
        status(db, kit, OrderStatus.KIT_SENT)
        kits.append(kit)
    valid_to = _stored(db, kits[-1]).valid_to
    later = valid_to + timedelta(days=10)  # past every validTo, within the kits' 30-day return window

    sizes: list[int] = []
    offers, orders = services.expire_due(CountingUnitOfWork(db, sizes), later, batch=3)

    assert all(_stored(db, o).status is OrderStatus.EXPIRED for o in site)
    assert all(_stored(db, k).status is OrderStatus.KIT_SENT for k in kits)
    assert orders >= len(site)
    assert offers >= 1
    assert max(sizes) <= 3  # no transaction took more than a batch
    assert sum(s == 3 for s in sizes) >= 3  # the eight due orders alone take three batches
    assert services.expire_due(db.uow(), later, batch=3) == (0, 0)
    # once their window is over, the kits expire too
    assert services.expire_due(db.uow(), valid_to + timedelta(days=31), batch=3)[1] >= len(kits)
    assert all(_stored(db, k).status is OrderStatus.EXPIRED for k in kits)


def test_housekeeping_skips_an_order_another_transaction_holds(db: Database) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's (SQLite writers take turns for the whole database)")
    held, free = [], []
    for target in (held, free):
        p = new_patient()
        target.append(order(db, p, assign(db, p, "HBA1C")).order_id or "")
    later = _stored(db, free[0]).valid_to + timedelta(days=1)

    done = threading.Event()
    outcome: list[tuple[int, int]] = []
    with db.engine.connect() as other:
        other.execute(select(patient_order.c.seq).where(patient_order.c.order_id == held[0]).with_for_update())

        def housekeeping() -> None:
            outcome.append(services.expire_due(db.uow(), later))
            done.set()

        threading.Thread(target=housekeeping, daemon=True).start()
        assert done.wait(20), "housekeeping waited for a row another transaction holds"
        assert _stored(db, free[0]).status is OrderStatus.EXPIRED
        assert _stored(db, held[0]).status is OrderStatus.ORDERED
        other.rollback()
    services.expire_due(db.uow(), later)  # the next round takes it
    assert _stored(db, held[0]).status is OrderStatus.EXPIRED


def test_expiry_time_is_exact(db: Database) -> None:
    """An order is due only once validTo has passed, not at it."""
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id or ""
    valid_to: datetime = _stored(db, oid).valid_to
    services.expire_due(db.uow(), valid_to)
    assert _stored(db, oid).status is OrderStatus.ORDERED
    services.expire_due(db.uow(), valid_to + timedelta(microseconds=1))
    assert _stored(db, oid).status is OrderStatus.EXPIRED
