"""Scale-out measured: routed GetOrders by lab (paged, 10 a page, continuation tokens spread over
the table) through HAProxy in front of 1 platform node and 1 service node, then 2 and 2
(`make scaleout`'s topology, every node at its defaults: two workers each), and 2 and 2 with
one worker a node (as many processes as 1+1), on one PostgreSQL
database with demo data plus bulk orders. Both runs have the same hops (wrk -> HAProxy ->
platform node -> HAProxy, TLS passed through -> service node), so the ratio is the gain of
the extra nodes alone. On a machine with few cores the nodes, HAProxy, PostgreSQL and wrk
share them: 2+2 cannot double there, and the figures are indicative.

    .venv/bin/python -m tools.bench.scaleout [--seconds 10] [--orders 10000] [--rounds 2]

``run`` returns the figures for tools/bench/run.py (``--scaleout``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from eph import demo
from eph.demo import routing as demo_routing
from eph.devpki import DevPki
from routing import store
from tests.support import free_port
from tools.bench.harness import Load, bench_pki, get_orders, lua_script, new_postgres_database, prepare, wrk
from tools.bench.scale import lab_tokens
from tools.scaleout import ScaleOut, Topology

CONNECTIONS = 16
# (service nodes, platform nodes, worker processes a node; 0: the default, two): 2+2 at the defaults
# has twice the processes of 1+1; 2+2 with one worker a node has as many as 1+1
SHAPES = ((1, 1, 0), (2, 2, 0), (2, 2, 1))
INSTANCE = "eph-vp-dev"


@dataclass
class Shape:
    services: int
    platforms: int
    workers: int  # worker processes a node (0: the default)
    peak: Load  # CONNECTIONS connections
    single: Load  # one connection
    load: float  # the machine's load average (1 minute) before the peak run: others' work shows here

    @property
    def name(self) -> str:
        return f"{self.services}+{self.platforms}" + (f", {self.workers} worker a node" if self.workers else "")

    def as_dict(self) -> dict[str, Any]:
        return {"services": self.services, "platforms": self.platforms, "workers": self.workers or None,
                "peak": self.peak.as_dict(), "single": self.single.as_dict(), "load_average": self.load}


@dataclass
class Result:
    shapes: list[Shape]  # every measurement, in the order made
    cores: int | None
    orders: int

    def rps(self, name: str) -> float:
        """The median calls/s of a shape over its rounds."""
        return statistics.median(s.peak.rps for s in self.shapes if s.name == name)

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(s.name for s in self.shapes))

    def ratio_of(self, name: str) -> float:
        """A shape's calls/s over the first shape's (medians)."""
        return self.rps(name) / self.rps(self.names[0])

    @property
    def ratio(self) -> float:
        """2+2 at the defaults over 1+1 (the second shape over the first)."""
        return self.ratio_of(self.names[1])

    def as_dict(self) -> dict[str, Any]:
        return {"case": "routed GetOrders by lab, paged (10 a page), through HAProxy", "cores": self.cores,
                "orders": self.orders, "connections": CONNECTIONS, "runs": [s.as_dict() for s in self.shapes],
                "median_rps": {name: self.rps(name) for name in self.names},
                "ratio_to_first": {name: self.ratio_of(name) for name in self.names[1:]}, "ratio": self.ratio}

    def table(self) -> str:
        lines = ["| run | service + platform nodes | calls/s | p50 ms | p99 ms | p50 ms, 1 connection | errors "
                 "| load average before |", "|---:|---|---:|---:|---:|---:|---:|---:|"]
        for n, s in enumerate(self.shapes, 1):
            lines.append(f"| {n} | {s.name} | {s.peak.rps:.0f} | {s.peak.p50_ms:.2f} | {s.peak.p99_ms:.1f} | "
                         f"{s.single.p50_ms:.2f} | {s.peak.errors + s.single.errors} | {s.load:.1f} |")
        medians = "; ".join(f"{name} {self.rps(name):.0f}/s" + ("" if n == 0 else f" ({self.ratio_of(name):.2f} of "
                            f"{self.names[0]})") for n, name in enumerate(self.names))
        return "\n".join(lines) + f"\n\nMedian calls/s: {medians}."


def run(seconds: float, orders: int, pki: DevPki, folder: Path, shapes: tuple[tuple[int, int, int], ...] = SHAPES,
        rounds: int = 2) -> Result:
    """Measure each shape in turn on one new database (dropped afterwards), ``rounds`` times, every
    other round in reverse order (1+1, 2+2, 2+2, 1+1, ...): on a shared machine the load of others
    drifts, and this spreads its effect over both shapes."""
    url, drop = new_postgres_database()
    try:
        certs = {"EPH_CERTS_DIR": str(pki.folder)}
        prepare(url, orders, certs)
        # one set of front ports for every shape: the catalogue routes the service through HAProxy's
        platform_port, service_port = free_port(), free_port()
        probe = Topology(platform_port=platform_port, service_port=service_port, stats_port=None)
        engine = create_engine(url)
        with engine.begin() as conn:
            store.save(conn, demo_routing.catalogue(probe.service_url))
        engine.dispose()
        tokens = lab_tokens(url, demo.LAB_A2)
        page = get_orders(f"<g:performingLabHSAId>{demo.LAB_A2}</g:performingLabHSAId><g:maxResults>10</g:maxResults>"
                          "<g:continuationToken>{TOKEN}</g:continuationToken>")
        headers = {"x-vp-sender-id": demo.LAB_A2, "x-vp-instance-id": INSTANCE}
        measured = []
        order = [shape for r in range(rounds) for shape in (shapes if r % 2 == 0 else tuple(reversed(shapes)))]
        for n, (services, platforms, workers) in enumerate(order):
            where = folder / f"scaleout-{n}-{services}x{platforms}x{workers}"
            topology = Topology(services=services, platforms=platforms, platform_port=platform_port,
                                service_port=service_port, stats_port=None,
                                node_ports=tuple(free_port() for _ in range(services + platforms)), folder=where)
            env = {"EPH_WORKERS": str(workers), "EPH_VP_WORKERS": str(workers)} if workers else {}
            nodes = ScaleOut(topology, url, pki.folder, env)
            nodes.start()
            try:
                target = f"{topology.platform_url}/vp/clinicalprocess/activity/selfsampling/GetOrders/1/rivtabp21"
                script = lua_script(where, "getorders", page, headers, {"TOKEN": tokens})
                wrk(target, script, CONNECTIONS, 3)  # warm-up: every node's pools and prepared statements
                load = os.getloadavg()[0]
                peak = wrk(target, script, CONNECTIONS, seconds)
                single = wrk(target, script, 1, max(3.0, seconds / 2))
            finally:
                nodes.stop()
            shape = Shape(services, platforms, workers, peak, single, load)
            print(f"  {shape.name}: {peak.rps:8.0f}/s  p50 {peak.p50_ms:6.2f}  p99 {peak.p99_ms:7.2f} ms"
                  f"   1 conn: p50 {single.p50_ms:6.2f} ms   load {load:.1f}" + (f"   ERRORS {peak.errors + single.errors}"
                                                               if peak.errors + single.errors else ""), flush=True)
            measured.append(shape)
        result = Result(measured, os.cpu_count(), orders)
        for name in result.names[1:]:
            print(f"  {name} / {result.names[0]}: {result.ratio_of(name):.2f}x calls/s (medians) on {os.cpu_count()} cores",
                  flush=True)
        return result
    finally:
        drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--orders", type=int, default=10_000, help="bulk orders besides the demo data")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both shapes (alternating order)")
    parser.add_argument("--output", help="write the figures as JSON here")
    args = parser.parse_args()
    for tool in ("wrk", "haproxy"):
        if not shutil.which(tool):
            print(f"{tool} is needed (make bench installs it)", file=sys.stderr)
            return 2
    folder = Path(tempfile.mkdtemp(prefix="eph-bench-scaleout-"))
    pki = bench_pki()
    try:
        print(f"scale-out: routed GetOrders by lab through HAProxy, {CONNECTIONS} connections for {args.seconds:.0f} s, "
              f"{os.cpu_count()} cores, {args.orders} bulk orders", flush=True)
        result = run(args.seconds, args.orders, pki, folder, rounds=args.rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(pki.folder, ignore_errors=True)
    print("\n" + result.table())
    if args.output:
        Path(args.output).write_text(json.dumps(result.as_dict(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
