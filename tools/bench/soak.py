"""make soak: a long mixed load through the platform at a fixed rate, for success, flat
memory and steady latency.

The service and the platform run as `make serve` runs them (gunicorn, production defaults),
on a PostgreSQL cluster of the run's own (the server's defaults, autovacuum on, as in
production) with the demo data and bulk orders (`python -m tools.bench.seed`). The load
(tools/bench/load.py) mixes lab polls (GetOrders by lab), status updates (SetOrderStatus),
results (SetResult) and citizen reads as the 1177 e-service (GetOrders and GetResults by
patient, GetAccessLog), open-loop at the given rate. Reported: the share of calls answered
as expected, latency per minute (p50, p90, p99, max), each server process's resident memory
(from /proc) at start and end, and the accounting of the writes against the database. JSON
in bench-results/soak.json, a Markdown section in bench-results/soak.md (and with --docs in
docs/soak.md between the soak markers), a chart of p99 per minute in docs/soak/.

    .venv/bin/python -m tools.bench.soak [--minutes 10] [--rate 200] [--docs]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from eph import demo
from eph.demo import routing as demo_routing
from routing import store
from tests.support import ROOT, free_port
from tools.bench import figures, load
from tools.bench.cluster import own_cluster
from tools.bench.harness import Server, bench_pki, new_postgres_database, prepare, start
from tools.bench.report import write_between

SOAK_DOC = ROOT / "docs" / "soak.md"  # the soak and faults sections, between their markers
SOAK_START, SOAK_END = "<!-- soak:start -->", "<!-- soak:end -->"


@dataclass
class System:
    """The service and the platform over one database, and what the load is made of."""

    url: str
    service: Server
    platform: Server
    data: load.Inputs
    # with the index push on: the engagement index stand-in and the journal system subscribed to it,
    # and their databases (SQLite)
    index: Server | None = None
    journal: Server | None = None
    index_url: str | None = None
    journal_url: str | None = None

    @property
    def servers(self) -> dict[str, Server]:
        return {"service": self.service, "platform": self.platform}


@contextmanager
def system(url: str, orders: int, status_orders: int, folder: Path, result_orders: int = 5000,
           index_push: bool = False) -> Iterator[System]:
    """Migrate and seed ``url`` (demo data and ``orders`` bulk orders), then start the service and
    the platform on free ports with production defaults, the platform routing to the service.
    With ``index_push``, the service pushes its outbox's index updates through the platform to the
    engagement index stand-in, which notifies the journal system's subscriber (the demo journal
    system, care giver A), started too, as tests/consumers/test_results_to_journal.py does."""
    pki = bench_pki()
    certs = {"EPH_CERTS_DIR": str(pki.folder)}
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, pki.folder, True)
        prepare(url, orders, certs)
        data = load.inputs(url, status_orders, result_orders)
        service_port, platform_port, index_port, journal_port = free_port(), free_port(), free_port(), free_port()
        platform_url = f"http://127.0.0.1:{platform_port}"
        push = {"EPH_INDEX_PUSH": "1", "EPH_INDEX_PUSH_PLATFORM_URL": platform_url,
                "EPH_VP_INSTANCE_ID": "eph-vp-dev"} if index_push else {}
        service = start("service", ["-m", "eph", "serve", "service", "--bind", f"127.0.0.1:{service_port}"],
                        {**certs, "EPH_DATABASE_URL": url, **push}, folder, service_port)
        stack.callback(service.stop)
        engine = create_engine(url)
        with engine.begin() as conn:
            store.save(conn, demo_routing.catalogue(
                f"https://127.0.0.1:{service_port}",
                engagement_index_url=f"http://127.0.0.1:{index_port}" if index_push else None,
                subscribers=demo_routing.demo_subscribers(f"http://127.0.0.1:{journal_port}") if index_push else None))
        engine.dispose()
        platform = start("platform", ["-m", "eph", "serve", "platform", "--bind", f"127.0.0.1:{platform_port}"],
                         {**certs, "EPH_DATABASE_URL": url, "EPH_VP_LOCAL_COPY": str(folder / "tak.json")}, folder,
                         platform_port, ready=f"{platform_url}/status")
        stack.callback(platform.stop)
        out = System(url, service, platform, data)
        if index_push:
            consumer = {"EPH_PLATFORM_URL": platform_url, "EPH_VP_INSTANCE_ID": "eph-vp-dev"}
            out.index_url, out.journal_url = f"sqlite:///{folder / 'index.sqlite3'}", f"sqlite:///{folder / 'journal.sqlite3'}"
            out.index = start("engagement-index", ["-m", "eph", "serve", "engagement-index", "--bind",
                                                   f"127.0.0.1:{index_port}"],
                              {"EPH_EI_DATABASE_URL": out.index_url, "EPH_EI_SUBSCRIBERS": demo.EHR_A, **consumer},
                              folder, index_port)
            stack.callback(out.index.stop)
            out.journal = start("ehr-subscriber", ["-m", "eph", "serve", "ehr-subscriber", "--bind",
                                                   f"127.0.0.1:{journal_port}"],
                                {"EPH_EHR_DATABASE_URL": out.journal_url, "EPH_EHR_RETRY_SECONDS": "2", **consumer}, folder, journal_port)
            stack.callback(out.journal.stop)
        yield out


def warm_up(s: System, seconds: float = 3, rate: float = 50) -> None:
    """A few calls of every kind first (pools, prepared statements), kept out of the figures."""
    mix = load.Mix(s.data, {"poll": 1, "citizen-orders": 1, "citizen-results": 1, "access-log": 1}, seed=99)
    load.drive(s.platform.url, mix, rate, seconds)


def memory_growth(summary: list[dict[str, Any]]) -> dict[str, float]:
    """Per server, the RSS of all its processes at the end over that at the start (the processes
    seen from start to end)."""
    out: dict[str, float] = {}
    for server in sorted({m["server"] for m in summary}):
        rows = [m for m in summary if m["server"] == server and m["first_s"] <= 1]
        start_, end = sum(m["rss_start_mib"] for m in rows), sum(m["rss_end_mib"] for m in rows)
        out[server] = round(end / start_, 3) if start_ else 0.0
    return out


def memory_after_warm_up(report: dict[str, Any]) -> dict[str, float]:
    """Per server, the RSS of all its processes at the end over that at the end of the first
    tenth of the run: the start-to-end figure counts the warm-up (caches, prepared statements,
    connections), which is done in the first seconds."""
    samples = report.get("memory_over_time_mib", [])
    after = [m for m in samples if m["t"] >= report["seconds"] / 10]
    out: dict[str, float] = {}
    for server in ("service", "platform"):
        pts = [m[server] for m in after if server in m]
        if len(pts) >= 2 and pts[0]:
            out[server] = round(pts[-1] / pts[0], 3)
    return out


def memory_slope(report: dict[str, Any]) -> dict[str, float]:
    """Per server, how fast its RSS (all processes) grew over the second half of the run, MiB per
    minute (a least-squares line): steady growth there is not warm-up."""
    samples = report.get("memory_over_time_mib", [])
    out: dict[str, float] = {}
    half = report["seconds"] / 2
    for server in ("service", "platform"):
        pts = [(m["t"] / 60, m[server]) for m in samples if server in m and m["t"] >= half]
        if len(pts) < 2:
            continue
        mx, my = sum(x for x, _ in pts) / len(pts), sum(y for _, y in pts) / len(pts)
        var = sum((x - mx) ** 2 for x, _ in pts)
        out[server] = round(sum((x - mx) * (y - my) for x, y in pts) / var, 2) if var else 0.0
    return out


def soak(minutes: float, rate: float, interval: float, orders: int | None = None, url: str | None = None,
         mix: dict[str, float] | None = None, shared_server: bool = False) -> dict[str, Any]:
    """The run. Its database: ``url``; else a new one on the local server (``shared_server``);
    else a PostgreSQL cluster of the run's own with the server's default settings, as production
    runs it (a CI machine's server may run without autovacuum: see docs/soak.md)."""
    shares = mix or load.DEFAULT_MIX
    seconds = minutes * 60
    needed = load.bulk_orders_needed(seconds, rate, shares)
    folder = Path(tempfile.mkdtemp(prefix="eph-soak-"))
    database = "given" if url else "the local server" if shared_server else "a cluster of its own"
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, folder, True)
        if url is None and shared_server:
            url, drop = new_postgres_database()
            stack.callback(drop)
        elif url is None:
            url = stack.enter_context(own_cluster()).database("eph_soak")
        status_orders = int(1.1 * seconds * rate * shares.get("status", 0)) + 200  # the mix is random
        s = stack.enter_context(system(url, orders or needed, status_orders, folder))
        warm_up(s)
        since = datetime.now(UTC) - timedelta(seconds=1)
        load_start = os.getloadavg()[0]
        run = load.drive(s.platform.url, load.Mix(s.data, shares), rate, seconds, servers=s.servers,
                         memory_every=min(10.0, max(1.0, seconds / 20)))
        report = figures.run_dict(run, interval)
        report["accounting"] = figures.account(url, run.calls, since)
        report["memory_growth"] = memory_growth(report["memory"])
        report["loadavg"] = [load_start, os.getloadavg()[0]]
        report["mix"] = shares
        report["database"] = database
        report["autovacuum"] = _setting(url, "autovacuum")
        report["orders"] = orders or needed
        report["when"] = datetime.now(UTC).isoformat()
        report["cores"] = os.cpu_count()
        return report


def _setting(url: str, name: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT current_setting(:n)"), {"n": name}).scalar())
    finally:
        engine.dispose()


def verdicts(report: dict[str, Any]) -> list[tuple[str, bool]]:
    acc = report["accounting"]
    p99 = [i["p99_ms"] for i in report["intervals"]]

    def kept(kind: str) -> bool:
        return not any(acc[kind][k] for k in ("lost", "stored_twice", "ok_twice", "stored_unasked"))

    return [
        ("every call answered as expected (100 %)", report["good"] == report["calls"]),
        ("every result and status update answered OK is stored, none twice, and nothing on those orders that no call asked for",
         kept("result") and kept("status")),
        ("as many results and status steps stored as answered OK (none done without its answer arriving)",
         all(acc[k]["stored"] == acc[k]["answered_ok"] for k in ("result", "status"))),
        ("memory flat: no server's RSS grew by more than 20 % from start to end",
         all(g <= 1.2 for g in report["memory_growth"].values())),
        ("memory flat after warm-up: no server's RSS grew by more than 5 % from the end of the first tenth of "
         "the run to the end", all(g <= 1.05 for g in memory_after_warm_up(report).values())),
        ("p99 of the last interval at most twice that of the first", len(p99) < 2 or p99[-1] <= 2 * max(p99[0], 1.0)),
    ]


def interval_rows(intervals: list[dict[str, Any]]) -> list[str]:
    lag = all("late_max_ms" in i for i in intervals)  # (not in reports of older runs)
    rows = ["| from (s) | calls | as expected | p50 ms | p90 ms | p99 ms | max ms |"
            + (" load generator behind, ms |" if lag else ""),
            "|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if lag else "")]
    for i in intervals:
        rows.append(f"| {i['from_s']:g} | {i['calls']} | {i['good']} | {i['p50_ms']} | {i['p90_ms']} | "
                    f"{i['p99_ms']} | {i['max_ms']} |" + (f" {i['late_max_ms']} |" if lag else ""))
    return rows


def kind_rows(intervals: list[dict[str, Any]]) -> list[str]:
    """p99 of each kind of call per interval (not in reports of older runs)."""
    if not intervals or not all("p99_ms_by_kind" in i for i in intervals):
        return []
    kinds = sorted({k for i in intervals for k in i["p99_ms_by_kind"]})
    rows = ["| p99 ms, from (s) | " + " | ".join(kinds) + " |", "|---:|" + "---:|" * len(kinds)]
    for i in intervals:
        rows.append(f"| {i['from_s']:g} | " + " | ".join(str(i["p99_ms_by_kind"].get(k, "–")) for k in kinds) + " |")
    return ["", *rows]


def markdown(report: dict[str, Any], chart: str | None = None) -> str:
    lat = report["latency"]
    lines = [
        f"_Measured {report['when'][:10]} on {report['cores']} cores: {report['seconds'] / 60:g} min at "
        f"{report['rate']:g} calls/s ({report['calls']} calls, {report['orders']} bulk orders), `make soak`._",
        "",
        f"- answered as expected: {report['good']} of {report['calls']} "
        f"({100 * report['success_rate']:.2f} %); outcomes: "
        + "; ".join(f"{k}: " + ", ".join(f"{o} {n}" for o, n in v.items()) for k, v in report["outcomes"].items()),
        f"- latency over the run: p50 {lat['p50_ms']} ms, p90 {lat['p90_ms']} ms, p99 {lat['p99_ms']} ms, "
        f"max {lat['max_ms']} ms; the load generator was at most {report['load_generator_late_ms_max']:.0f} ms "
        "behind its schedule",
        f"- writes: {report['accounting']['result']['answered_ok']} results answered OK, "
        f"{report['accounting']['result']['stored']} stored; {report['accounting']['status']['answered_ok']} status "
        f"updates answered OK, {report['accounting']['status']['stored']} stored",
        *([f"- the database: {report['database']}, autovacuum {report['autovacuum']}"] if "database" in report else []),
        f"- the machine's load average (1 min) {report['loadavg'][0]:.1f} at the start, {report['loadavg'][1]:.1f} "
        "at the end",
        "- memory, end over start (all processes of the server): "
        + ", ".join(f"{k} {v:.2f}" for k, v in report["memory_growth"].items())
        + "; after the first tenth of the run (warm-up): "
        + ", ".join(f"{k} {v:.2f}" for k, v in memory_after_warm_up(report).items())
        + "; growth over the second half of the run: "
        + ", ".join(f"{k} {v:+.2f} MiB/min" for k, v in memory_slope(report).items()),
        "",
        *interval_rows(report["intervals"]),
        *kind_rows(report["intervals"]),
        "",
        *figures.memory_rows(report["memory"]),
        "",
        *[f"- {'met' if ok else '**not met**'}: {what}" for what, ok in verdicts(report)],
    ]
    if chart:
        lines += ["", f"![latency per interval and memory]({chart})"]
    return "\n".join(lines)


def p99_chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [i["from_s"] / 60 for i in report["intervals"]]
    fig, (ax, mem) = plt.subplots(1, 2, figsize=(10, 3))
    ax.plot(xs, [i["p99_ms"] for i in report["intervals"]], marker="o", label="p99")
    ax.plot(xs, [i["p50_ms"] for i in report["intervals"]], marker=".", label="p50")
    ax.set_xlabel("minute of the run")
    ax.set_ylabel("ms")
    ax.set_ylim(bottom=0)
    ax.set_title(f"latency per {report['per_interval_s']:g} s", fontsize=10)
    ax.legend()
    samples = report["memory_over_time_mib"]
    for server in ("service", "platform"):
        mem.plot([m["t"] / 60 for m in samples if server in m], [m[server] for m in samples if server in m],
                 label=f"{server} (master and workers)")
    mem.set_xlabel("minute of the run")
    mem.set_ylabel("RSS, MiB")
    mem.set_ylim(bottom=0)
    mem.set_title("resident memory", fontsize=10)
    mem.legend()
    fig.suptitle(f"soak: {report['rate']:g} calls/s through the platform", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def publish(out: Path, section: str, into: tuple[Path, str, str] | None, extra: str = "") -> None:
    """A run's Markdown section next to its JSON, on the terminal, and (with ``into``: a document
    and its start and end markers) into the document between the markers."""
    out.with_suffix(".md").write_text(section + "\n", encoding="utf-8")
    print(section)
    print(f"\nresults in {out} and {out.with_suffix('.md')}{extra}")
    if into:
        doc, start, end = into
        write_between(doc, start, end, section)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=200, help="calls/s")
    parser.add_argument("--interval", type=float, default=60, help="seconds per row of the latency table")
    parser.add_argument("--orders", type=int, help="bulk orders (default: enough for the status updates)")
    parser.add_argument("--shared-server", action="store_true",
                        help="a new database on the local PostgreSQL server, not a cluster of the run's own")
    parser.add_argument("--output", default=str(ROOT / "bench-results" / "soak.json"))
    parser.add_argument("--docs", nargs="?", const=str(SOAK_DOC), metavar="FILE",
                        help="write the section between the soak markers of docs/soak.md (or FILE), the chart to "
                             "soak/ beside it")
    parser.add_argument("--from-json", help="no run: the report and chart of an earlier run's JSON")
    args = parser.parse_args()
    out = Path(args.output)
    if args.from_json:
        report = json.loads(Path(args.from_json).read_text())
    else:
        interval = min(args.interval, max(5.0, args.minutes * 60 / 10))
        print(f"make soak: {args.minutes:g} min at {args.rate:g} calls/s through the platform", flush=True)
        report = soak(args.minutes, args.rate, interval, args.orders, shared_server=args.shared_server)
        figures.write_json(out, report)
    chart_path = (Path(args.docs).parent / "soak" if args.docs else out.parent) / "soak-p99.png"
    p99_chart(report, chart_path)
    section = markdown(report, "soak/soak-p99.png" if args.docs else chart_path.name)
    publish(out, section, (Path(args.docs), SOAK_START, SOAK_END) if args.docs else None, f"; chart {chart_path}")
    return 0 if all(ok for _, ok in verdicts(report)) else 1


if __name__ == "__main__":
    sys.exit(main())
