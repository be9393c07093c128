"""The log review measured at scale: ``python -m tools.bench.log_review``.

Makes a PostgreSQL database of its own, migrates it, loads the demo data, some thousands of
orders and (``tools.bench.seed.seed_audit``) a year of audit records, 10 million by default;
then times the log review's service functions as a reviewer of care giver A calls them, each
repeated with varied filters: typical searches (no filter, by patient, staff member, care unit,
system, interaction, one day, a further page) and each check over a day and a week. It prints
p50 and p95 per case, the load average, and for each query the indexes PostgreSQL's plan uses
(EXPLAIN), flagging a sequential scan of the audit records. The database is dropped at the end
(``--keep`` keeps it, ``--url`` measures one already seeded). Not part of ``make test``.

    .venv/bin/python -m tools.bench.log_review [--records 10000000] [--orders 50000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import event, text

from eph import demo
from eph.migrate import upgrade
from service_domain import services
from service_domain.clock import local_date, utcnow
from service_domain.commands import CallContext
from service_domain.identity import PersonId
from service_domain.model import PersonRecord, Rule
from service_domain.persistence.database import Database
from service_domain.services import LogFilters, ReviewSettings
from tools.bench.harness import new_postgres_database
from tools.bench.seed import Progress, seed, seed_audit

TARGET_P95_MS = 1000.0


class Register:
    """A population register in memory: every patient is found, one in fifty a namesake of the
    bench staff ("Person")."""

    def lookup(self, person: PersonId) -> PersonRecord | None:
        return PersonRecord(person, "Förnamn", "Person" if person.id.endswith("00") else "Andersson")


@dataclass
class Case:
    name: str
    run: Callable[[random.Random], Any]


class Plans:
    """The statements on audit_record a call runs, explained afterwards."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.seen: dict[str, tuple[str, Any]] = {}
        self.on = False
        event.listen(db.engine, "before_cursor_execute", self._capture)

    def _capture(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if self.on and statement.lstrip().upper().startswith("SELECT") and "audit_record" in statement:
            self.seen.setdefault(statement, (statement, parameters))

    @contextmanager
    def capturing(self) -> Iterator[None]:
        self.seen.clear()
        self.on = True
        try:
            yield
        finally:
            self.on = False

    def explain(self) -> list[str]:
        """For each statement seen: the indexes its plan scans, or the tables it reads whole."""
        found = []
        raw = self.db.engine.raw_connection()
        try:
            cur = raw.cursor()
            for statement, parameters in self.seen.values():
                cur.execute("EXPLAIN " + statement, parameters)
                plan = "\n".join(r[0] for r in cur.fetchall())
                indexes = sorted(set(re.findall(r"(?:Index|Index Only) Scan(?: Backward)? using (\w+)", plan)))
                bitmap = sorted(set(re.findall(r"Bitmap Index Scan on (\w+)", plan)))
                seq = sorted(set(re.findall(r"Seq Scan on (\w+)", plan)))
                found.append(", ".join(indexes + bitmap) + (f"  SEQ SCAN {', '.join(seq)}" if seq else ""))
        finally:
            raw.close()
        return found


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def cases(db: Database, register: Register) -> list[Case]:
    op = CallContext.operator
    cg = demo.CARE_GIVER_A
    with db.engine.connect() as conn:
        patients = [r[0] for r in conn.execute(text("SELECT patient_id FROM bench_pool ORDER BY rn LIMIT 2000"))]
    staff = [f"SE2321000016-B{n:04d}" for n in range(1, 301)]
    units = [demo.CARE_UNIT_A, *(f"SE2321000016-CU1{n}" for n in range(1, 10))]
    today = local_date(utcnow())
    settings = ReviewSettings()

    def day(rng: random.Random) -> Any:
        return today - timedelta(days=rng.randrange(1, 360))

    def search(filters: Callable[[random.Random], LogFilters]) -> Callable[[random.Random], Any]:
        return lambda rng: services.search_log(db.uow(), op(utcnow()), filters(rng), care_giver=cg)

    def further(rng: random.Random) -> Any:
        filters = LogFilters(staff=rng.choice(staff))
        page = services.search_log(db.uow(), op(utcnow()), filters, care_giver=cg)
        for _ in range(4):
            if page.continuation_token is None:
                break
            page = services.search_log(db.uow(), op(utcnow()), filters, page.continuation_token, care_giver=cg)
        return page

    def check(rule: Rule, days: int) -> Callable[[random.Random], Any]:
        def run(rng: random.Random) -> Any:
            end = day(rng)
            return services.log_flags(db.uow(), op(utcnow()), LogFilters(period_start=end - timedelta(days=days - 1),
                                                                         period_end=end),
                                      register=register, settings=settings, rule=rule, care_giver=cg)
        return run

    found = [
        Case("search, no filter", search(lambda rng: LogFilters())),
        Case("search by patient", search(lambda rng: LogFilters(patient=rng.choice(patients)))),
        Case("search by staff member", search(lambda rng: LogFilters(staff=rng.choice(staff)))),
        Case("search by care unit", search(lambda rng: LogFilters(care_unit=rng.choice(units)))),
        Case("search by system", search(lambda rng: LogFilters(system=rng.choice([demo.STAFF_WEB, demo.LAB_A])))),
        Case("search by interaction", search(lambda rng: LogFilters(
            interaction=rng.choice(["GetAccessLog", "SetResult", "PatientView"])))),
        Case("search, one day", search(lambda rng: LogFilters(period_start=(d := day(rng)), period_end=d))),
        Case("search by staff, pages 1-5 (5 calls)", further),
    ]
    for rule in Rule:
        for days in (1, 7):
            found.append(Case(f"check {rule.value}, {days} day{'s' if days > 1 else ''}", check(rule, days)))
    return found


def measure(db: Database, repeat: int, seed_: int = 1) -> list[tuple[str, float, float, list[str]]]:
    plans = Plans(db)
    rng = random.Random(seed_)
    rows = []
    for case in cases(db, Register()):
        case.run(rng)  # warm the cache and the plans
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            case.run(rng)
            times.append((time.perf_counter() - started) * 1000)
        with plans.capturing():
            case.run(rng)
        rows.append((case.name, statistics.median(times), _percentile(times, 0.95), plans.explain()))
        print(f"  {case.name:<34} p50 {rows[-1][1]:8.1f} ms  p95 {rows[-1][2]:8.1f} ms", file=sys.stderr)
    return rows


def table(rows: list[tuple[str, float, float, list[str]]], records: int, load: tuple[float, float, float]) -> str:
    lines = [
        f"Log review on PostgreSQL, {records:,} audit records; load average before "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; target p95 ≤ {TARGET_P95_MS:.0f} ms",
        "",
        "| case | p50 ms | p95 ms | target | indexes the plan uses |",
        "|---|---:|---:|---|---|",
    ]
    for name, p50, p95, plans in rows:
        met = "met" if p95 <= TARGET_P95_MS else "MISSED"
        lines.append(f"| {name} | {p50:.1f} | {p95:.1f} | {met} | {'; '.join(p for p in plans if p) or '-'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.log_review", description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--url", help="measure this database, already seeded (nothing is created or dropped)")
    parser.add_argument("--keep", action="store_true", help="keep the database made (its URL is printed)")
    args = parser.parse_args(argv)
    drop: Callable[[], None] | None = None
    url = args.url
    if url is None:
        url, drop = new_postgres_database()
        print(f"database {url}", file=sys.stderr)
    try:
        db = Database(url)
        if args.url is None:
            upgrade(url)
            demo.seed(db.uow, utcnow(), None)
            print(f"adding {args.orders} orders", file=sys.stderr)
            started = time.monotonic()
            seed(db, args.orders, progress=Progress(args.orders).add)
            print(f"adding {args.records} audit records", file=sys.stderr)
            seed_audit(db, args.records, progress=Progress(args.records, what="audit records").add)
            print(f"seeded in {time.monotonic() - started:.0f} s", file=sys.stderr)
        with db.engine.connect() as conn:
            records = int(conn.execute(text("SELECT count(*) FROM audit_record")).scalar_one())
        load = os.getloadavg()
        rows = measure(db, args.repeat)
        print(table(rows, records, load))
        print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        db.dispose()
    finally:
        if drop is not None and not args.keep:
            drop()
        elif drop is not None:
            print(f"kept {url}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
