"""Bulk data for measuring the service at scale: ``python -m tools.bench.seed --orders N``.

Orders of the demo catalogue for fictitious patients (three orders each on average), spread
over the demo labs and sampling sites, each with its offer, the status history of a sampled
and received order, and a specimen; a tenth of them have a result. Rows are written as the
repositories would write them, in bulk: PostgreSQL with COPY, SQLite with batched inserts.
Row numbers continue from those already in the database, and referral ids are unique over
everything stored. The orders come without audit records; ``--audit N`` adds N audit records
of a year's work on PostgreSQL (``seed_audit``, for the log review's measurement): most of them
by care giver A's staff, of patients with orders there, in office hours.

    .venv/bin/python -m tools.bench.seed --orders N [--audit N] [--seed 1]   # into EPH_DATABASE_URL
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
    what: str = "orders"

    def add(self, n: int) -> None:
        self.done += n
        width = 40
        filled = int(width * self.done / max(self.total, 1))
        self.out.write(f"\r  [{'#' * filled}{' ' * (width - filled)}] {self.done:>9}/{self.total} {self.what}")
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


# A year of audit records, generated in the database: a tenth of a million rows a statement, in
# time order (row numbers grow with time, as in a live log). Of the records 70 % are care giver
# A's, 25 % B's and the rest of no care giver (the patient in 1177); 60 % by staff (300 of each
# care giver, at ten care units, the demo's unit most), 30 % by systems, 10 % by the patient; 85 %
# in office hours. Patients: 90 % of staff reads are of patients with orders at the unit (the
# pool), the rest anyone's.
AUDIT_CHUNK = 100_000
AUDIT_SQL = """
INSERT INTO audit_record (time, interaction, action, patient_id, patient_type, log_id, consumer_hsa_id,
                          sender_hsa_id, actor_id, care_giver, care_unit, actor_kind)
SELECT t.time, t.interaction, t.action, t.patient_id, :pnr, t.log_id, t.consumer, NULL, t.actor, s.cg, t.unit, s.kind
FROM (
  SELECT
    :start + (g * :step) * interval '1 microsecond' AS base_time, g,
    CASE WHEN r.k < 0.6 THEN 'STAFF' WHEN r.k < 0.9 THEN 'SYSTEM' ELSE 'PATIENT' END AS kind,
    CASE WHEN r.c < 0.7 THEN :cg_a WHEN r.c < 0.95 THEN :cg_b ELSE NULL END AS cg,
    r.*
  FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g,
       LATERAL (SELECT random() + 0 * g AS k, random() + 0 * g AS c, random() + 0 * g AS u, random() + 0 * g AS p,
                        random() + 0 * g AS h, random() + 0 * g AS a) AS r
) s,
LATERAL (
  SELECT
    date_trunc('day', s.base_time)
      + CASE WHEN s.h < 0.85 THEN (6 + s.h / 0.85 * 11) ELSE ((s.h - 0.85) / 0.15 * 24) END * interval '1 hour'
      AS time,
    CASE s.kind WHEN 'STAFF' THEN (CASE WHEN s.a < 0.8 THEN 'PatientView' ELSE 'GetOrders' END)
                WHEN 'SYSTEM' THEN (CASE WHEN s.a < 0.5 THEN 'GetOrders' WHEN s.a < 0.8 THEN 'SetOrderStatus' ELSE 'SetResult' END)
                ELSE (CASE WHEN s.a < 0.6 THEN 'GetResults' WHEN s.a < 0.95 THEN 'GetOrders' ELSE 'GetAccessLog' END) END
      AS interaction,
    CASE WHEN s.kind = 'SYSTEM' AND s.a >= 0.5 THEN 'WRITE' ELSE 'READ' END AS action,
    CASE WHEN s.p < 0.9 THEN (SELECT patient_id FROM bench_pool WHERE rn = 1 + (s.g * 7919) % :pool)
         ELSE '19' || lpad(((s.g * 104729) % 90000000)::text, 10, '0') END AS patient_id,
    md5(s.g::text || 'a') AS log_id,
    CASE s.kind WHEN 'STAFF' THEN :staff_web WHEN 'SYSTEM' THEN :lab ELSE :citizen END AS consumer,
    CASE s.kind WHEN 'STAFF' THEN CASE WHEN s.cg = :cg_b THEN :prefix_b ELSE :prefix_a END
                                  || lpad((1 + (s.g * 31) % 300)::text, 4, '0')
                WHEN 'SYSTEM' THEN :lab ELSE NULL END AS actor,
    CASE WHEN s.kind <> 'STAFF' THEN NULL WHEN s.cg = :cg_b THEN :unit_b
         WHEN s.u < 0.6 THEN :unit_a ELSE 'SE2321000016-CU1' || (1 + (s.g % 9))::text END AS unit
) t
"""


def seed_audit(db: Database, records: int, *, progress: Callable[[int], None] | None = None, days: int = 365) -> int:
    """Add ``records`` audit records spread over the last ``days`` days, with 300 staff members
    of each demo care giver (a few with a personal identity number), on PostgreSQL; the table's
    indexes are dropped for the load and built again after it. Returns the records stored."""
    if db.engine.dialect.name != "postgresql":
        raise SystemExit("the audit records are seeded on PostgreSQL only")
    now = datetime.now(UTC).replace(tzinfo=None)
    start = now - timedelta(days=days)
    step = int(days * 86_400_000_000 / max(records, 1))
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_pool AS SELECT row_number() OVER () AS rn, patient_id "
                          "FROM (SELECT DISTINCT patient_id FROM patient_order ORDER BY 1) p"))
        conn.execute(text("CREATE UNIQUE INDEX IF NOT EXISTS bench_pool_rn ON bench_pool (rn)"))
        pool = conn.execute(text("SELECT count(*) FROM bench_pool")).scalar_one()
        if not pool:
            raise SystemExit("seed some orders first (--orders): the audited patients are theirs")
        for prefix, cg, unit in (("SE2321000016-B", demo.CARE_GIVER_A, demo.CARE_UNIT_A),
                                 ("SE2321000255-B", demo.CARE_GIVER_B, demo.CARE_UNIT_B)):
            conn.execute(text(
                "INSERT INTO staff_member (hsa_id, name, care_giver, active, person_id) "
                "SELECT :prefix || lpad(n::text, 4, '0'), 'Bench Person' || n, :cg, true, "
                "CASE WHEN n % 10 = 0 THEN (SELECT patient_id FROM bench_pool WHERE rn = 1 + n) END "
                "FROM generate_series(1, 300) n ON CONFLICT DO NOTHING"), {"prefix": prefix, "cg": cg})
            conn.execute(text(
                "INSERT INTO staff_care_unit (hsa_id, care_unit, functions) "
                "SELECT :prefix || lpad(n::text, 4, '0'), :unit, 'ASSIGN' FROM generate_series(1, 300) n "
                "ON CONFLICT DO NOTHING"), {"prefix": prefix, "unit": unit})
        indexes = conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_record' "
            "AND indexname <> 'pk_audit_record'")).all()
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
    params = {"pnr": PERSONNUMMER, "start": start, "step": step, "cg_a": demo.CARE_GIVER_A, "cg_b": demo.CARE_GIVER_B,
              "pool": pool, "staff_web": demo.STAFF_WEB, "lab": demo.LAB_A, "citizen": demo.CITIZEN_SERVICE,
              "prefix_a": "SE2321000016-B", "prefix_b": "SE2321000255-B", "unit_a": demo.CARE_UNIT_A,
              "unit_b": demo.CARE_UNIT_B}
    for low in range(0, records, AUDIT_CHUNK):
        high = min(records, low + AUDIT_CHUNK) - 1
        with db.engine.begin() as conn:
            conn.execute(text(AUDIT_SQL), {**params, "first": low, "last": high})
        if progress is not None:
            progress(high - low + 1)
    with db.engine.begin() as conn:
        for _, definition in indexes:
            conn.execute(text(definition))
        conn.execute(text("SELECT setval(pg_get_serial_sequence('audit_record', 'id'), "
                          "(SELECT coalesce(max(id), 1) FROM audit_record))"))
        conn.execute(text("ANALYZE audit_record"))
        conn.execute(text("ANALYZE staff_member"))
        return int(conn.execute(text("SELECT count(*) FROM audit_record")).scalar_one())


def main(argv: Sequence[str] | None = None) -> int:
    """Add the orders to the database of EPH_DATABASE_URL, with a progress bar."""
    parser = argparse.ArgumentParser(prog="python -m tools.bench.seed",
                                     description="add many orders in bulk (for make bench)")
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--audit", type=int, default=0, help="audit records to add after the orders (PostgreSQL)")
    parser.add_argument("--seed", type=int, default=1, help="the random seed (another gives other patients and codes)")
    args = parser.parse_args(argv)
    db = Database(Settings().database_url)
    print(f"adding {args.orders} orders (with offers, status history, specimens; a tenth with results)")
    bar = Progress(args.orders)
    started = time.monotonic()
    total = seed(db, args.orders, progress=bar.add, seed=args.seed)
    print(f"done in {time.monotonic() - started:.0f} s; the database holds {total} orders")
    if args.audit:
        print(f"adding {args.audit} audit records of a year's work")
        started = time.monotonic()
        stored = seed_audit(db, args.audit, progress=Progress(args.audit, what="audit records").add)
        print(f"done in {time.monotonic() - started:.0f} s; the database holds {stored} audit records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
