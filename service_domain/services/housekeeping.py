"""The service's own upkeep: offers and unsampled orders expire when their time is up; and
whether the storage answers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from ..enums import ActorKind, AuditAction
from ..model import Actor, Offer, Order
from ..operations import Operation
from ..ports import UnitOfWork
from .calls import Call

HOUSEKEEPING_ACTOR = Actor(ActorKind.SYSTEM, "SE5565594230-EPH", "housekeeping")
EXPIRY_BATCH = 500
T = TypeVar("T")


def expire_due(
    uow: UnitOfWork, now: datetime, actor: Actor = HOUSEKEEPING_ACTOR, batch: int = EXPIRY_BATCH
) -> tuple[int, int]:
    """Mark unsampled orders and offers past validTo as EXPIRED. Returns (offers, orders).

    In transactions of at most ``batch`` rows each: a backlog of thousands (the first round after
    a long pause, or after a bulk import) never holds thousands of row locks, or their rows in
    memory, at once. Rows another transaction holds are skipped and left for the next round, so
    housekeeping never makes a caller wait. Each transaction locks one kind of row only."""
    call = Call(Operation.HOUSEKEEPING, str(uuid.uuid4()), None, now)

    def expire_order(u: UnitOfWork, order: Order) -> bool:
        change = order.expire(now, actor)  # None: a kit that is out may still come back
        if change is None:
            return False
        u.orders.record_change(order, change)
        u.audit.add(call.audit(AuditAction.WRITE, [order.patient], actor, order.care_giver))
        return True

    def expire_offer(u: UnitOfWork, offer: Offer) -> bool:
        offer.expire()
        u.offers.save(offer)
        u.audit.add(call.audit(AuditAction.WRITE, [offer.patient], actor, offer.care_giver))
        return True

    orders = _in_batches(uow, batch, lambda u, after: u.orders.due_to_expire(now, after, batch), expire_order)
    offers = _in_batches(uow, batch, lambda u, after: u.offers.due_to_expire(now, after, batch), expire_offer)
    return offers, orders


def _in_batches(
    uow: UnitOfWork,
    batch: int,
    due_after: Callable[[UnitOfWork, int], list[tuple[int, T]]],
    expire: Callable[[UnitOfWork, T], bool],
) -> int:
    """Run ``expire`` on every row ``due_after`` hands over, a transaction per batch, going on
    after the last row number seen (so rows that stay never stall it); how many it expired."""
    done = after = 0
    while True:
        with uow:
            found = due_after(uow, after)
            done += sum(expire(uow, item) for _, item in found)
            uow.commit()
        if len(found) < batch:
            return done
        after = found[-1][0]


def delete_in_batches(
    uow: UnitOfWork, delete: Callable[[UnitOfWork], int], batch: int, keep_going: Callable[[], bool] = lambda: True
) -> int:
    """Run ``delete`` (which removes at most ``batch`` rows and says how many) in a transaction
    of its own until it removes fewer than ``batch``, or ``keep_going`` (asked before each) says
    to stop; how many in all."""
    done = 0
    while keep_going():
        with uow:
            gone = delete(uow)
            uow.commit()
        done += gone
        if gone < batch:
            return done
    return done


def ping(uow: UnitOfWork) -> str:
    """The storage's kind, once it has answered (PingForConfiguration)."""
    return uow.ping()
