"""The running service expires what is past validTo by itself."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, select, update

from service_domain.persistence.tables import patient_order
from tests.conftest import seeded
from tests.support import ServiceProcess


def test_the_server_expires_unsampled_orders_past_valid_to(tmp_path: Path) -> None:
    url = seeded(f"sqlite:///{tmp_path / 'hk.sqlite3'}")  # the demo data has two ORDERED orders
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(update(patient_order).values(valid_to=datetime(2020, 1, 1, tzinfo=UTC)))
    service = ServiceProcess(url, tmp_path / "service.log").start(EPH_HOUSEKEEPING_SECONDS="1")
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                statuses = set(conn.execute(select(patient_order.c.status)).scalars())
            if statuses == {"EXPIRED"}:
                break
            time.sleep(0.3)
        assert statuses == {"EXPIRED"}
        assert "housekeeping expired offers=0 orders=2" in service.log_text()
    finally:
        service.stop()
        engine.dispose()
