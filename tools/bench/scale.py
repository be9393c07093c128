"""GetOrders as the data grows: one PostgreSQL database filled in steps (10 000, 100 000 and
1 000 000 orders by default, `python -m tools.bench.seed`), and at each size the plan of every selector
(EXPLAIN) and GetOrders by lab (paging from positions spread over the whole table) and by
patient, measured direct on the service: p50 and p99 at one connection, calls/s at 16.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select

from contracts.interactions import GET_ORDERS
from eph import demo
from service_domain import commands, paging, services
from service_domain.clock import utcnow
from service_domain.persistence.database import Database
from service_domain.persistence.tables import patient_order
from tests.support import ROOT, free_port
from tools.bench import plans
from tools.bench.harness import (
    Load,
    get_orders,
    haproxy_tls_hop,
    lua_script,
    new_postgres_database,
    prepare,
    start,
    wrk,
)

PATIENT_TYPE = "1.2.752.129.2.1.3.1"


def lab_tokens(url: str, lab: str, n: int = 5000) -> list[str]:
    """Continuation tokens of ``lab``'s GetOrders at positions spread over the whole table (as
    labs paging through their orders at different points would send): the query's digest is
    taken from a token the service issued, the positions from the lab's stored orders."""
    db = Database(url)
    try:
        ctx = commands.CallContext(str(uuid.uuid4()), lab, utcnow())
        page = services.get_orders(db.uow(), ctx, commands.GetOrders(performing_lab=lab, max_results=1))
        assert page.continuation_token, "the lab has fewer than two orders"
        raw = base64.urlsafe_b64decode(page.continuation_token + "=" * (-len(page.continuation_token) % 4))
        digest = raw[9:]
        with db.engine.connect() as conn:
            seqs = conn.execute(select(patient_order.c.seq).where(patient_order.c.performing_lab == lab)
                                .order_by(func.random()).limit(n)).scalars().all()
        return [paging.encode(seq, digest) for seq in seqs]
    finally:
        db.dispose()


def some_patients(url: str, n: int = 5000) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(patient_order.c.patient_id).distinct().order_by(
                patient_order.c.patient_id).limit(n)).scalars())
    finally:
        engine.dispose()


BY_LAB = get_orders(f"<g:performingLabHSAId>{demo.LAB_A2}</g:performingLabHSAId><g:maxResults>10</g:maxResults>"
                    "<g:continuationToken>{TOKEN}</g:continuationToken>")
BY_PATIENT = get_orders(
    '<g:patientId><c:id xmlns:c="urn:riv:clinicalprocess:activity:selfsampling:1">{PATIENT}</c:id>'
    f'<c:type xmlns:c="urn:riv:clinicalprocess:activity:selfsampling:1">{PATIENT_TYPE}</c:type></g:patientId>')


@dataclass
class Size:
    orders: int
    seed_seconds: float
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)
    loads: dict[str, dict[str, Load]] = field(default_factory=dict)  # kind -> "single"/"peak" -> load

    def as_dict(self) -> dict[str, Any]:
        return {"orders": self.orders, "seed_seconds": self.seed_seconds, "plans": self.plans,
                "loads": {k: {how: load.as_dict() for how, load in v.items()} for k, v in self.loads.items()}}


def run(sizes: list[int], seconds: float, certs: dict[str, str], pki: Any, folder: Path) -> list[Size]:
    """Fill one database up to each size in turn and measure at each."""
    url, drop = new_postgres_database()
    out: list[Size] = []
    try:
        prepare(url, 0, certs)
        stored = 0
        for size in sizes:
            started = time.monotonic()
            subprocess.run([sys.executable, "-m", "tools.bench.seed", "--orders", str(size - stored),
                            "--seed", str(size)], env={**os.environ, **certs, "EPH_DATABASE_URL": url}, cwd=ROOT,
                           check=True, stdout=subprocess.DEVNULL)
            stored = size
            result = Size(size, round(time.monotonic() - started, 1))
            engine = create_engine(url)
            with engine.connect() as conn:
                for plan in plans.all_plans(conn):
                    result.plans[plan.selector] = {"index": plan.order_index,
                                                   "full_scans": [s.table for s in plan.full_scans]}
            engine.dispose()
            print(f"  {size:>9} orders (seeded in {result.seed_seconds:.0f} s); plans: "
                  + ", ".join(f"{k}: {v['index'] or 'NO INDEX'}" for k, v in result.plans.items()), flush=True)
            _measure(result, url, seconds, certs, pki, folder)
            out.append(result)
    finally:
        drop()
    return out


def _measure(result: Size, url: str, seconds: float, certs: dict[str, str], pki: Any, folder: Path) -> None:
    port = free_port()
    service = start(f"service-{result.orders}", ["-m", "eph", "serve", "service", "--bind", f"127.0.0.1:{port}"],
                    {**certs, "EPH_DATABASE_URL": url}, folder, port)
    try:
        with haproxy_tls_hop(pki, port, folder) as hop:
            for kind, template, caller, values in (
                ("by lab, paged", BY_LAB, demo.LAB_A2, {"TOKEN": lab_tokens(url, demo.LAB_A2)}),
                ("by patient", BY_PATIENT, demo.LAB_A, {"PATIENT": some_patients(url)}),
            ):
                script = lua_script(folder, f"scale-{result.orders}-{kind[3:6]}", template,
                                    {"x-rivta-original-serviceconsumer-hsaid": caller}, values)
                target = f"http://127.0.0.1:{hop}{GET_ORDERS.url_path}"
                wrk(target, script, 4, 2)  # warm up
                single = wrk(target, script, 1, seconds)
                peak = wrk(target, script, 16, seconds)
                result.loads[kind] = {"single": single, "peak": peak}
                print(f"    GetOrders {kind:<14} 1 connection: p50 {single.p50_ms:6.2f} ms, p99 {single.p99_ms:6.2f} ms;"
                      f" 16 connections: {peak.rps:6.0f}/s" + (f"  ERRORS {single.errors + peak.errors}"
                                                              if single.errors + peak.errors else ""), flush=True)
    finally:
        service.stop()
