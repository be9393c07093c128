"""Housekeeping in a running service: expire offers and orders past their time, write the
patients' reminders (a kit's return window or an order's validity about to end), and delete
outbox events delivered long ago.

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
from service_domain.persistence.database import Database
from service_domain.services import outbox

log = logging.getLogger("eph.housekeeping")
LEASE = "housekeeping"


class Housekeeping:
    def __init__(self, db: Database, interval: float, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.interval = interval
        self.clock = clock
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()

    def run_once(self) -> bool:
        """Do the work if this process holds the lease; whether it did."""
        now = self.clock()
        # the lease outlives two rounds, so its holder keeps it while it lives
        if not self.db.try_lease(LEASE, self.holder, now, timedelta(seconds=2 * self.interval)):
            return False
        offers, orders = services.expire_due(self.db.uow(), now)
        reminders = services.remind_due(self.db.uow(), now)
        forgotten = outbox.forget_delivered(self.db.uow(), now)
        notices_forgotten = services.forget_sent(self.db.uow(), now)
        log.info("housekeeping round: expired offers=%d orders=%d; reminders=%d; outbox events forgotten=%d; "
                 "notices sent forgotten=%d", offers, orders, reminders, forgotten, notices_forgotten)
        return True

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
