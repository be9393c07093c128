"""make bench: how much the platform costs a call, measured as ratios in one run.

Starts a canned producer and the platform (gunicorn, 2 workers, as `make serve` runs it)
with a catalogue that routes GetOrders to the canned producer, then loads both with wrk:
the producer alone, and the same producer through the router. Reports throughput
(32 connections) and median latency (1 connection) of each, their ratio, and the
median latency the router adds. With --service it does the same against the real service.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine

from contracts.interactions import GET_ORDERS
from eph import demo_catalogue
from eph.migrate import upgrade
from routing import store
from service_domain import demo
from service_domain.clock import utcnow
from service_domain.persistence.database import Database
from tests.support import ROOT, PlatformProcess, ServiceProcess, free_port, soap_envelope, wait_for_port

CONTRACT = "urn:riv:clinicalprocess:activity:selfsampling:GetOrdersResponder:1"
BENCH_ADDRESS = "SE5565594230-BENCH"


def get_orders(logical_address: str) -> bytes:
    header = f'<la:LogicalAddress xmlns:la="urn:riv:itintegration:registry:1">{logical_address}</la:LogicalAddress>'
    return soap_envelope(
        f'<g:GetOrders xmlns:g="{CONTRACT}"><g:performingLabHSAId>{demo.LAB_A}</g:performingLabHSAId>'
        "<g:maxResults>10</g:maxResults></g:GetOrders>",
        header=header,
    )


def lua(folder: Path, name: str, body: bytes, headers: dict[str, str]) -> Path:
    """A wrk script that POSTs ``body`` with ``headers``."""
    (folder / f"{name}.xml").write_bytes(body)
    lines = [
        'wrk.method = "POST"',
        f'local f = io.open("{folder / f"{name}.xml"}", "rb"); wrk.body = f:read("*all"); f:close()',
        'wrk.headers["Content-Type"] = "text/xml; charset=utf-8"',
    ] + [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    script = folder / f"{name}.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


def wrk(url: str, script: Path, connections: int, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2" if connections > 1 else "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    assert rps is not None and p50 is not None, out
    factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(rps.group(1)), "p50_ms": float(p50.group(1)) * factor,
            "non2xx": float(errors.group(1)) if errors else 0.0}


def measure(name: str, url: str, script: Path, seconds: int) -> dict[str, float]:
    wrk(url, script, 8, 2)  # warm up the connection pools
    load = wrk(url, script, 32, seconds)
    single = wrk(url, script, 1, max(3, seconds // 2))
    result = {"rps": load["rps"], "p50_ms": single["p50_ms"], "non2xx": load["non2xx"] + single["non2xx"]}
    print(f"  {name:<40} {result['rps']:>9.0f} calls/s   median {result['p50_ms']:.3f} ms"
          + (f"   NON-2XX {result['non2xx']:.0f}" if result["non2xx"] else ""))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--service", action="store_true", help="also measure the real service, direct and routed")
    parser.add_argument("--output", default=str(ROOT / "bench-results" / "router.json"))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed (make bench installs it)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="eph-bench-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    upgrade(url)
    stops: list[Callable[[], object]] = []
    try:
        canned_port = free_port()
        canned = subprocess.Popen([sys.executable, "-m", "tests.bench.canned", str(canned_port)], cwd=ROOT)
        stops.append(lambda: (canned.terminate(), canned.wait()))
        wait_for_port(canned_port, canned)

        service = None
        if args.service:
            database = Database(url)
            demo.seed(database.uow, utcnow())
            database.dispose()
            service = ServiceProcess(url, folder / "service.log").start()
            stops.append(service.stop)
        now = datetime.now(UTC)
        cat = demo_catalogue.catalogue(service.base_url) if service else store.empty()
        cat, _ = store.with_routing(cat, CONTRACT, BENCH_ADDRESS, f"http://127.0.0.1:{canned_port}/canned",
                                    BENCH_ADDRESS, "RIVTABP21", now - timedelta(days=1), store.FOREVER, now=now, who="bench")
        cat, _ = store.with_authorization(cat, demo.LAB_A, CONTRACT, BENCH_ADDRESS, now - timedelta(days=1),
                                          store.FOREVER, now=now, who="bench")
        engine = create_engine(url)
        with engine.begin() as conn:
            store.save(conn, cat)
        engine.dispose()
        platform = PlatformProcess(url, folder / "platform").start(EPH_VP_WORKERS=os.environ.get("EPH_VP_WORKERS", "2"))
        stops.append(platform.stop)

        sender = {"x-vp-sender-id": demo.LAB_A, "x-vp-instance-id": platform.instance_id}
        print(f"router benchmark: {args.seconds} s at 32 connections and a median at 1 connection, {os.cpu_count()} cores")
        results = {
            "canned producer": measure("canned producer, direct", f"http://127.0.0.1:{canned_port}/canned",
                                       lua(folder, "canned", get_orders(BENCH_ADDRESS), {}), args.seconds),
            "canned via router": measure("canned producer, through the router", f"{platform.base_url}/vp/bench",
                                         lua(folder, "routed", get_orders(BENCH_ADDRESS), sender), args.seconds),
        }
        if service is not None:
            results["service"] = measure(
                "service GetOrders, direct", service.base_url + GET_ORDERS.url_path,
                lua(folder, "service", get_orders(demo.SERVICE_ADDRESS),
                    {"x-rivta-original-serviceconsumer-hsaid": demo.LAB_A}), args.seconds)
            results["service via router"] = measure(
                "service GetOrders, through the router", platform.base_url + "/vp" + GET_ORDERS.path,
                lua(folder, "service-routed", get_orders(demo.SERVICE_ADDRESS), sender), args.seconds)
        direct, routed = results["canned producer"], results["canned via router"]
        summary = {
            "routed_calls_per_second": routed["rps"],
            "throughput_ratio_routed_to_direct": routed["rps"] / direct["rps"],
            "added_median_ms": routed["p50_ms"] - direct["p50_ms"],
            "targets": {"routed_calls_per_second": 1000, "added_median_ms": 1.0},
        }
        ok = routed["rps"] >= 1000 and summary["added_median_ms"] < 1.0 and not routed["non2xx"]
        print(f"  routed/direct throughput {summary['throughput_ratio_routed_to_direct']:.2f}; "
              f"the router adds {summary['added_median_ms']:.3f} ms at the median")
        print(f"  target (>= 1000 routed calls/s, < 1 ms added at the median): {'met' if ok else 'NOT MET'}")
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"when": datetime.now(UTC).isoformat(), "cores": os.cpu_count(),
                                   "results": results, "summary": summary}, indent=2))
        return 0 if ok else 1
    finally:
        for stop in reversed(stops):
            stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
