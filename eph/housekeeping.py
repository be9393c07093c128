"""Housekeeping in a running service: expire offers and orders past their time, write the
patients' reminders (a kit's return window or an order's validity about to end), delete
outbox events delivered long ago and, once every ``retention_every`` (a day by default), delete
or anonymise what has outlived its retention period (``service_domain.services.retention``).

Every worker process runs a thread that wakes every ``interval`` seconds and does the work
only while it holds the database lease ``housekeeping``: of all the workers of all the
service's nodes sharing one database, one at a time does it. The thread starts in the
worker after it has forked (never in the gunicorn master: a thread there could hold a lock,
such as the import lock, at the moment a worker is forked, and leave the worker stuck).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from service_domain import services
from service_domain.clock import utcnow
from service_domain.model import DEFAULT_POLICY, DeletionRecord, RetentionKind, RetentionPolicy
from service_domain.persistence.database import Database
from service_domain.services import outbox
from staff_web.store import WebStore

log = logging.getLogger("eph.housekeeping")
LEASE = "housekeeping"


class Housekeeping:
    def __init__(self, db: Database, interval: float, clock: Callable[[], datetime] = utcnow,
                 retention: RetentionPolicy = DEFAULT_POLICY, retention_every: timedelta = timedelta(days=1)) -> None:
        self.db = db
        self.interval = interval
        self.clock = clock
        self.retention = retention
        self.retention_every = retention_every
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()

    def run_once(self) -> bool:
        """Do the work if this process holds the lease; whether it did."""
        now = self.clock()
        if not self._lease(now):
            return False
        offers, orders = services.expire_due(self.db.uow(), now)
        reminders = services.remind_due(self.db.uow(), now)
        forgotten = outbox.forget_delivered(self.db.uow(), now)
        notices_forgotten = services.forget_sent(self.db.uow(), now)
        log.info("housekeeping round: expired offers=%d orders=%d; reminders=%d; outbox events forgotten=%d; "
                 "notices sent forgotten=%d", offers, orders, reminders, forgotten, notices_forgotten)
        if self.retention_every > timedelta(0) and self._retention_due(now):
            self.apply_retention(now)
        return True

    def _lease(self, now: datetime) -> bool:
        # the lease outlives two rounds, so its holder keeps it while it lives
        return self.db.try_lease(LEASE, self.holder, now, timedelta(seconds=2 * self.interval))

    def _retention_due(self, now: datetime) -> bool:
        """Whether the last retention run (by any process: the deletion record says) was long enough ago."""
        last = services.deletion_records(self.db.uow(), limit=1)
        return not last or last[0].time <= now - self.retention_every

    def apply_retention(self, now: datetime) -> list[DeletionRecord] | None:
        """One retention run under the lease (taken or renewed before each batch); None when
        another process holds it. The log names kinds and counts only."""
        if not self._lease(now):
            return None
        store = WebStore(self.db.engine)
        records = services.apply_retention(
            self.db.uow(), now, self.holder, self.retention,
            external={RetentionKind.STAFF_SESSIONS: store.forget_sessions},
            keep_going=lambda: self._lease(self.clock()),
        )
        log.info("retention run: %s", " ".join(f"{r.kind}={r.count}" for r in records))
        return records

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception as e:  # keep the loop alive; the text may quote data
                log.error("housekeeping failed: %s", type(e).__name__)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._loop, daemon=True, name="housekeeping")
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
