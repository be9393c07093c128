"""make bench: the real service and the platform at speed, measured in one run, as ratios.

In one run, on this machine, with wrk (two threads) as the load:
- the canned limit: lxml parses the request and a fixed answer goes back (gunicorn gthread as
  the service runs), on plain HTTP and behind the mutual-TLS hop the service is reached over;
- the router in front of a canned producer;
- the real service on PostgreSQL (and on SQLite, fewer cases), direct (behind the same TLS
  hop, HAProxy showing the platform's certificate) and routed through the platform:
  GetOrders by lab (paging with continuation tokens), by patient and by referral code,
  SetResult and CreateOrder (self-service), over demo data plus bulk orders
  (`python -m tools.bench.seed`).
Each case: calls/s, p50 and p99 at peak (16 connections), p50 at one connection; routed
GetOrders also at half of its peak rate. Targets are printed as met only when the figures
meet them. Results go to bench-results/bench.json; with --docs the Markdown tables go into
docs/performance.md (between the bench markers) and a PNG chart per case into docs/bench/.

    .venv/bin/python -m tools.bench.run [--seconds 10] [--orders 10000] [--no-sqlite] [--no-scaleout] [--docs]

The cases are in tools/bench/cases.py, the targets and the tables in tools/bench/report.py.

Routed GetOrders by lab is also measured through HAProxy in front of one service and one
platform node, then two and two (tools/bench/scaleout.py; --no-scaleout leaves it out).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from contracts.interactions import GET_ORDERS
from eph import demo
from eph.demo import routing as demo_routing
from routing import store
from tests.support import ROOT, free_port
from tools.bench import outbox as bench_outbox
from tools.bench import scale
from tools.bench.cases import PEAK_CONNECTIONS, Case, Inputs, fixed, inputs, measure, run_service_cases
from tools.bench.harness import (
    WATCH,
    Server,
    bench_pki,
    get_orders,
    haproxy_tls_hop,
    lua_script,
    new_postgres_database,
    pids_named,
    prepare,
    start,
)
from tools.bench.report import PERFORMANCE_DOC, charts, evaluate, rerender, write_docs

BENCH_ADDRESS = "SE5565594230-BENCH"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--orders", type=int, default=10_000, help="bulk orders besides the demo data")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="order counts to measure GetOrders at, comma-separated ('' for none)")
    parser.add_argument("--output", default=str(ROOT / "bench-results" / "bench.json"))
    parser.add_argument("--docs", nargs="?", const=str(PERFORMANCE_DOC), metavar="FILE",
                        help="write the tables between the bench markers of docs/performance.md (or FILE) and the "
                             "charts to bench/ beside it")
    parser.add_argument("--no-scaleout", action="store_true", help="leave out 2+2 nodes against 1+1 behind HAProxy")
    parser.add_argument("--no-outbox", action="store_true",
                        help="leave out the outbox's cost and the release-to-index latency (tools/bench/outbox.py)")
    parser.add_argument("--only-outbox", action="store_true",
                        help="of the service's cases measure only the outbox's (with the limits; no SQLite, sizes or "
                             "scale-out)")
    parser.add_argument("--release-rate", type=float, default=100, help="releases/s for the index latency")
    parser.add_argument("--release-seconds", type=float, default=25)
    parser.add_argument("--outbox-pairs", type=int, default=bench_outbox.PAIRS,
                        help="pairs of SetResult runs with and without outbox events")
    parser.add_argument("--outbox-seconds", type=float, default=bench_outbox.RUN_SECONDS,
                        help="seconds of each SetResult run of the outbox's pairs")
    parser.add_argument("--outbox-written-only", type=int, default=0,
                        help="runs with events written and none delivered (the write's share of the cost)")
    parser.add_argument("--from-json", metavar="PATH",
                        help="measure nothing: write the tables and charts of an earlier run's JSON (into --docs)")
    args = parser.parse_args()
    if args.from_json:
        return rerender(Path(args.from_json), Path(args.docs or PERFORMANCE_DOC))
    for tool in ("wrk", "haproxy"):
        if not shutil.which(tool):
            print(f"{tool} is needed (make bench installs it)", file=sys.stderr)
            return 2
    folder = Path(tempfile.mkdtemp(prefix="eph-bench-"))
    pki = bench_pki()
    certs = {"EPH_CERTS_DIR": str(pki.folder)}
    results: dict[str, Case] = {}
    outbox_figures: bench_outbox.OutboxFigures | None = None
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, folder, True)
        stack.callback(shutil.rmtree, pki.folder, True)
        print(f"make bench: {os.cpu_count()} cores, wrk with {PEAK_CONNECTIONS} connections for {args.seconds:.0f} s "
              f"at peak and 1 at the median; {args.orders} bulk orders", flush=True)
        pg_url, drop = new_postgres_database()
        stack.callback(drop)
        prepare(pg_url, args.orders, certs)
        data = inputs(pg_url)

        # the service and the platform, on PostgreSQL, as make serve starts them
        service_port, platform_port, index_port = free_port(), free_port(), free_port()
        service = start("service", ["-m", "eph", "serve", "service", "--bind", f"127.0.0.1:{service_port}"],
                        {**certs, "EPH_DATABASE_URL": pg_url}, folder, service_port)
        stack.callback(service.stop)
        canned_producer_port = free_port()
        producer = start("canned-producer", ["-m", "tools.bench.canned", str(canned_producer_port)], {}, folder,
                         canned_producer_port)
        stack.callback(producer.stop)
        engine = create_engine(pg_url)
        now = datetime.now(UTC)
        # the engagement index stand-in at its logical address, for the outbox's runs (no subscribers)
        cat = demo_routing.catalogue(f"https://127.0.0.1:{service_port}",
                                     engagement_index_url=f"http://127.0.0.1:{index_port}")
        cat, _ = store.with_routing(cat, GET_ORDERS.responder_ns, BENCH_ADDRESS, f"{producer.url}/canned", BENCH_ADDRESS,
                                    "RIVTABP21", now - timedelta(days=1), store.FOREVER, now=now, who="bench")
        cat, _ = store.with_authorization(cat, demo.LAB_A2, GET_ORDERS.responder_ns, BENCH_ADDRESS,
                                          now - timedelta(days=1), store.FOREVER, now=now, who="bench")
        with engine.begin() as conn:
            store.save(conn, cat)
        engine.dispose()
        platform = start("platform", ["-m", "eph", "serve", "platform", "--bind", f"127.0.0.1:{platform_port}"],
                         {**certs, "EPH_DATABASE_URL": pg_url, "EPH_VP_LOCAL_COPY": str(folder / "tak.json")}, folder,
                         platform_port, ready=f"http://127.0.0.1:{platform_port}/status")
        stack.callback(platform.stop)

        # a real answer of the service, the canned apps' fixed response
        response = folder / "response.xml"
        response.write_bytes(_one_answer(pki, service_port, data))
        canned_port, canned_tls_port = free_port(), free_port()
        canned = start("canned", ["-m", "tools.bench.canned_wsgi", str(canned_port), str(response)], {}, folder, canned_port)
        stack.callback(canned.stop)
        canned_tls = start("canned-tls", ["-m", "tools.bench.canned_wsgi", str(canned_tls_port), str(response),
                                          str(pki.folder)], {}, folder, canned_tls_port)
        stack.callback(canned_tls.stop)
        service_hop = stack.enter_context(haproxy_tls_hop(pki, service_port, folder))
        canned_hop = stack.enter_context(haproxy_tls_hop(pki, canned_tls_port, folder))
        # the CPU time of every part, per call (PostgreSQL: the whole cluster, which only the bench loads)
        running: dict[str, Server] = {"service": service}
        WATCH.update({
            "service": lambda: running["service"].pids(), "platform": platform.pids,
            "canned producer": lambda: producer.pids() + canned.pids() + canned_tls.pids(),
            "haproxy": lambda: pids_named("haproxy"), "postgresql": lambda: pids_named("postgres"),
        })

        lab_page = get_orders(f"<g:performingLabHSAId>{demo.LAB_A2}</g:performingLabHSAId><g:maxResults>10</g:maxResults>")
        print("\nlimits", flush=True)
        results["canned lxml, plain HTTP"] = measure("canned (lxml parse, fixed answer), plain HTTP",
                                                     canned.url + "/", fixed(lua_script(folder, "canned", lab_page, {})),
                                                     args.seconds)
        results["canned lxml, TLS hop"] = measure("canned, behind the TLS hop", f"http://127.0.0.1:{canned_hop}/",
                                                  fixed(lua_script(folder, "canned-hop", lab_page, {})), args.seconds)
        bench_page = get_orders(f"<g:performingLabHSAId>{demo.LAB_A2}</g:performingLabHSAId>").replace(
            demo.SERVICE_ADDRESS.encode(), BENCH_ADDRESS.encode())
        results["router over a canned producer"] = measure(
            "router over a canned producer", f"{platform.url}/vp/bench",
            fixed(lua_script(folder, "router", bench_page, {"x-vp-sender-id": demo.LAB_A2,
                                                            "x-vp-instance-id": "eph-vp-dev"})), args.seconds)
        if not args.only_outbox:
            print("\nthe service on PostgreSQL", flush=True)
            results.update(run_service_cases("postgresql", data, f"http://127.0.0.1:{service_hop}", platform.url,
                                             "eph-vp-dev", folder, args.seconds))
        service.stop()
        if not args.no_outbox:
            print("\nthe outbox (PostgreSQL, routed SetResult, the index push on to the index stand-in)", flush=True)
            outbox_figures = bench_outbox.run(pg_url, data, certs, platform, service_port, index_port, folder,
                                              args.outbox_seconds, args.release_rate, args.release_seconds,
                                              args.outbox_pairs, args.outbox_written_only)
        if args.only_outbox:
            args.no_sqlite, args.sizes, args.no_scaleout = True, "", True

        if not args.no_sqlite:
            sqlite_url = f"sqlite:///{folder / 'bench.sqlite3'}"
            prepare(sqlite_url, args.orders, certs)
            sqlite_data = inputs(sqlite_url)
            lite = start("service-sqlite", ["-m", "eph", "serve", "service", "--bind", f"127.0.0.1:{service_port}"],
                         {**certs, "EPH_DATABASE_URL": sqlite_url}, folder, service_port)
            stack.callback(lite.stop)
            running["service"] = lite
            print("\nthe service on SQLite", flush=True)
            results.update(run_service_cases(
                "sqlite", sqlite_data, f"http://127.0.0.1:{service_hop}", platform.url, "eph-vp-dev", folder,
                args.seconds, only={"GetOrders by lab, paged (10 a page)", "GetOrders by patient", "SetResult"}))
        sizes = [int(n) for n in args.sizes.split(",") if n.strip()]
        grown: list[scale.Size] = []
        if sizes:
            print("\nGetOrders as the data grows (PostgreSQL, direct)", flush=True)
            grown = scale.run(sizes, args.seconds, certs, pki, folder)
        spread = None
        if not args.no_scaleout:
            from tools.bench import scaleout

            print("\nscale-out: routed GetOrders by lab through HAProxy, 1+1 and 2+2 nodes", flush=True)
            spread = scaleout.run(args.seconds, args.orders, pki, folder)
    report = evaluate(results, grown, outbox_figures)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"when": datetime.now(UTC).isoformat(), "cores": os.cpu_count(),
                               "orders": args.orders, "seconds": args.seconds,
                               "results": {k: v.as_dict() for k, v in results.items()},
                               "scale": [g.as_dict() for g in grown], "targets": report,
                               "scaleout": spread.as_dict() if spread else None,
                               "outbox": outbox_figures.as_dict() if outbox_figures else None,
                               "scaleout_table": spread.table() if spread else None}, indent=2))
    print(f"\nresults in {out}")
    if spread:
        print(f"\n{spread.table()}")
    if args.docs:
        doc = Path(args.docs)
        write_docs(doc, results, grown, report, spread.table() if spread else None, outbox=outbox_figures)
        charts(results, doc.parent / "bench")
    # a target not met is a finding, printed and recorded; a call that went wrong is a failed run
    return 0 if report[-1]["met"] else 1


def _one_answer(pki: Any, port: int, data: Inputs) -> bytes:
    import requests

    with requests.Session() as s:
        s.trust_env = False
        s.verify, s.cert = str(pki.ca.cert), (str(pki.platform.cert), str(pki.platform.key))
        body = get_orders(f"<g:performingLabHSAId>{demo.LAB_A2}</g:performingLabHSAId><g:maxResults>10</g:maxResults>")
        r = s.post(f"https://127.0.0.1:{port}{GET_ORDERS.url_path}", data=body, timeout=30,
                   headers={"Content-Type": "text/xml", "x-rivta-original-serviceconsumer-hsaid": demo.LAB_A2})
        r.raise_for_status()
        return r.content


if __name__ == "__main__":
    sys.exit(main())
