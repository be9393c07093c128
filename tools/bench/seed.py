"""Bulk data for measuring the service at scale: ``python -m tools.bench.seed --orders N``.

Orders of the demo catalogue for fictitious patients (three orders each on average), spread
over the demo labs and sampling sites, each with its offer, the status history of a sampled
and received order, and a specimen; a tenth of them have a result. Rows are written as the
repositories would write them, in bulk: PostgreSQL with COPY, SQLite with batched inserts.
Row numbers continue from those already in the database, and referral ids are unique over
everything stored. It writes no audit records (nobody read these patients' data).

    .venv/bin/python -m tools.bench.seed --orders N [--seed 1]   # into EPH_DATABASE_URL
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from sqlalchemy import Connection, func, insert, select, text

from eph import demo
from eph.config import Settings
from service_domain.identity import PERSONNUMMER, luhn_check_digit
from service_domain.persistence.database import Database
from service_domain.persistence.tables import lab_result, offer, order_status_change, patient_order, specimen
from service_domain.services import REFERRAL_ALPHABET, REFERRAL_LENGTH

BATCH = 10_000
LABS = ((demo.LAB_A, demo.SITE_A_CENTRE), (demo.LAB_A2, demo.SITE_A_SOUTH))  # care giver A's labs and sites


@dataclass
class Progress:
    total: int
    out: TextIO = sys.stderr
    done: int = 0

    def add(self, n: int) -> None:
        self.done += n
        width = 40
        filled = int(width * self.done / max(self.total, 1))
        self.out.write(f"\r  [{'#' * filled}{' ' * (width - filled)}] {self.done:>9}/{self.total} orders")
        if self.done >= self.total:
            self.out.write("\n")
        self.out.flush()


def _person(rng: random.Random) -> str:
    born = datetime(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    nine = f"{born:%y%m%d}{rng.randrange(1000):03d}"
    return f"{born.year // 100}{nine}{luhn_check_digit(nine)}"


def _referral(rng: random.Random, taken: set[str]) -> str:
    while True:
        code = "".join(rng.choice(REFERRAL_ALPHABET) for _ in range(REFERRAL_LENGTH))
        if code not in taken:
            taken.add(code)
            return code


def _actor(kind: str, id_: str) -> str:
    return json.dumps({"actorType": kind, "id": id_})


def rows(orders: int, first_seq: int, first_id: int, taken: set[str], now: datetime,
         seed: int = 1) -> Iterator[tuple[list[dict[str, Any]], ...]]:
    """Batches of (offers, orders, status changes, specimens, results) rows."""
    rng = random.Random(seed)
    ctng = next(d for d in demo.catalogue() if d.care_giver == demo.CARE_GIVER_A and d.offer_code == "CTNG")
    hba1c = next(d for d in demo.catalogue() if d.care_giver == demo.CARE_GIVER_A and d.offer_code == "HBA1C")
    analyses = {d.offer_code: json.dumps([{"code": {"code": a.code.code, "codeSystem": a.code.code_system},
                                           "displayName": a.display_name} for a in d.analyses]) for d in (ctng, hba1c)}
    seq, change_id = first_seq, first_id
    patient = _person(rng)
    batch: tuple[list[dict[str, Any]], ...] = ([], [], [], [], [])
    for n in range(orders):
        if rng.random() < 1 / 3:
            patient = _person(rng)
        definition = ctng if rng.random() < 0.6 else hba1c
        lab, site = LABS[n % len(LABS)]
        created = now - timedelta(days=rng.randrange(300), minutes=rng.randrange(1440))
        offer_id, order_id = str(uuid.UUID(int=rng.getrandbits(128))), str(uuid.UUID(int=rng.getrandbits(128)))
        seq += 1
        batch[0].append({
            "offer_id": offer_id, "offer_code": definition.offer_code, "display_name": definition.display_name,
            "patient_type": PERSONNUMMER, "patient_id": patient, "care_giver": demo.CARE_GIVER_A,
            "care_unit": demo.CARE_UNIT_A, "assigned_by": _actor("SYSTEM", demo.EHR_A), "assigned_time": created,
            "valid_to": created + timedelta(days=definition.validity_days), "max_orders": 1, "orders_placed": 1,
            "status": "USED", "sampling_modes": "SITE", "comment": None,
        })
        status = "RECEIVED_BY_LAB"
        if rng.random() < 0.1:
            status = "FINAL_RESULT"
            batch[4].append({
                "order_id": order_id, "version": 1, "report_status": "FINAL", "report_time": created + timedelta(days=2),
                "content": json.dumps({"orderId": order_id, "performingLabHSAId": lab, "resultVersion": 1,
                                       "reportStatus": "FINAL", "reportTime": (created + timedelta(days=2)).isoformat(),
                                       "analysisResult": []}),
                "received_time": created + timedelta(days=2), "released": True,
                "release_time": created + timedelta(days=2), "follow_up_case_id": None,
            })
        batch[1].append({
            "seq": seq, "order_id": order_id, "referral_id": _referral(rng, taken), "offer_id": offer_id,
            "offer_code": definition.offer_code, "display_name": definition.display_name, "patient_type": PERSONNUMMER,
            "patient_id": patient, "status": status, "sampling_mode": "SITE", "performing_lab": lab,
            "sampling_unit": site, "care_giver": demo.CARE_GIVER_A, "care_unit": demo.CARE_UNIT_A,
            "result_recipient_unit": demo.CARE_UNIT_A, "analyses": analyses[definition.offer_code],
            "created_time": created, "valid_to": created + timedelta(days=definition.validity_days),
            "notifiable": definition.notifiable, "result_release": definition.result_release.value,
            "delivery_address": None, "contact_phone": None, "kit_return_days": definition.kit_return_days,
        })
        for step, (what, who) in enumerate((("ORDERED", _actor("PATIENT", patient)),
                                             ("SPECIMEN_COLLECTED", _actor("SYSTEM", demo.SAMPLING_A)),
                                             ("RECEIVED_BY_LAB", _actor("SYSTEM", lab)))):
            change_id += 1
            batch[2].append({"id": change_id, "order_seq": seq, "status": what, "time": created + timedelta(hours=step),
                             "performed_by": who, "unit": None, "reason": None, "comment": None})
        batch[3].append({"order_seq": seq, "identifier": f"BC{seq:010d}", "material": None,
                         "collected_time": created + timedelta(hours=1)})
        if len(batch[1]) >= BATCH:
            yield batch
            batch = ([], [], [], [], [])
    if batch[1]:
        yield batch


def _naive(row: dict[str, Any]) -> dict[str, Any]:
    """Times as the UTC columns store them (naive UTC)."""
    return {k: v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) else v for k, v in row.items()}


def _copy(conn: Connection, table: Any, items: list[dict[str, Any]]) -> None:
    if not items:
        return
    columns = list(items[0])
    raw = conn.connection.dbapi_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
        for item in items:
            copy.write_row([_naive(item)[c] for c in columns])


def _insert(conn: Connection, table: Any, items: list[dict[str, Any]]) -> None:
    if items:
        conn.execute(insert(table), [{k: (json.loads(v) if isinstance(v, str) and k in JSON_COLUMNS else v)
                                      for k, v in item.items()} for item in items])


JSON_COLUMNS = {"assigned_by", "analyses", "performed_by", "content"}


def seed(db: Database, orders: int, *, progress: Callable[[int], None] | None = None, seed: int = 1) -> int:
    """Add ``orders`` orders; returns how many the database holds now."""
    postgres = db.engine.dialect.name == "postgresql"
    write = _copy if postgres else _insert
    with db.engine.begin() as conn:
        first_seq = conn.execute(select(func.coalesce(func.max(patient_order.c.seq), 0))).scalar_one()
        first_id = conn.execute(select(func.coalesce(func.max(order_status_change.c.id), 0))).scalar_one()
        taken = set(conn.execute(select(patient_order.c.referral_id)).scalars())
    now = datetime.now(UTC)
    for offers, order_rows, changes, specimens, results in rows(orders, first_seq, first_id, taken, now, seed):
        with db.engine.begin() as conn:
            write(conn, offer, offers)
            write(conn, patient_order, order_rows)
            write(conn, order_status_change, changes)
            write(conn, specimen, specimens)
            write(conn, lab_result, results)
        if progress is not None:
            progress(len(order_rows))
    with db.engine.begin() as conn:
        if postgres:  # the sequences continue after the rows given their numbers here
            for table, column in (("patient_order", "seq"), ("order_status_change", "id"), ("offer", "seq"),
                                  ("specimen", "id"), ("lab_result", "id")):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                                  f"(SELECT coalesce(max({column}), 1) FROM {table}))"))
            conn.execute(text("ANALYZE"))
        return int(conn.execute(select(func.count()).select_from(patient_order)).scalar_one())


def main(argv: Sequence[str] | None = None) -> int:
    """Add the orders to the database of EPH_DATABASE_URL, with a progress bar."""
    parser = argparse.ArgumentParser(prog="python -m tools.bench.seed",
                                     description="add many orders in bulk (for make bench)")
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1, help="the random seed (another gives other patients and codes)")
    args = parser.parse_args(argv)
    db = Database(Settings().database_url)
    print(f"adding {args.orders} orders (with offers, status history, specimens; a tenth with results)")
    bar = Progress(args.orders)
    started = time.monotonic()
    total = seed(db, args.orders, progress=bar.add, seed=args.seed)
    print(f"done in {time.monotonic() - started:.0f} s; the database holds {total} orders")
    return 0


if __name__ == "__main__":
    sys.exit(main())
