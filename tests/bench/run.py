"""make bench: the real service and the platform at speed, measured in one run, as ratios.

In one run, on this machine, with wrk (two threads) as the load:
- the canned limit: lxml parses the request and a fixed answer goes back (gunicorn gthread as
  the service runs), on plain HTTP and behind the mutual-TLS hop the service is reached over;
- the router in front of a canned producer;
- the real service on PostgreSQL (and on SQLite, fewer cases), direct (behind the same TLS
  hop, HAProxy showing the platform's certificate) and routed through the platform:
  GetOrders by lab (paging with continuation tokens), by patient and by referral code,
  SetResult and CreateOrder (self-service), over demo data plus bulk orders
  (`eph bench seed`).
Each case: calls/s, p50 and p99 at peak (16 connections), p50 at one connection; routed
GetOrders also at half of its peak rate. Targets are printed as met only when the figures
meet them. Results go to bench-results/bench.json, a Markdown table into the README's speed
section (between the bench markers), and a PNG chart per case into docs/bench/.

    .venv/bin/python -m tests.bench.run [--seconds 10] [--orders 10000] [--no-sqlite] [--no-scaleout]

Routed GetOrders by lab is also measured through HAProxy in front of one service and one
platform node, then two and two (tests/bench/scaleout.py; --no-scaleout leaves it out).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from contracts.interactions import CREATE_ORDER, GET_ORDERS, SET_RESULT
from eph import demo_catalogue
from routing import store
from service_domain import demo
from service_domain.clock import SWEDISH_TZ
from service_domain.identity import luhn_check_digit
from service_domain.persistence.database import Database
from service_domain.persistence.tables import patient_order
from tests.bench import scale
from tests.bench.harness import (
    WATCH,
    Load,
    Server,
    bench_pki,
    get_orders,
    haproxy_tls_hop,
    lua_script,
    new_postgres_database,
    pids_named,
    prepare,
    start,
    wrk,
)
from tests.bench.scale import lab_tokens
from tests.support import ROOT, free_port, soap_envelope

PEAK_CONNECTIONS = 16
BENCH_ADDRESS = "SE5565594230-BENCH"
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


@dataclass
class Case:
    name: str
    peak: Load
    single: Load
    half: Load | None = None
    notes: list[str] = field(default_factory=list)
    # routed cases: what the router added at p50 on one connection, in runs taken in turn with the
    # direct ones (see router_adds)
    router_adds_ms: list[float] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"peak": self.peak.as_dict(), "single": self.single.as_dict(),
                "half": self.half.as_dict() if self.half else None, "router_adds_ms": self.router_adds_ms}


Script = Callable[[int, float | None], Path]  # (which run of the case, paced rate or None) -> wrk script


def fixed(path: Path) -> Script:
    """The same script for every run (reads)."""
    return lambda _run, _rate: path


def measure(name: str, url: str, script: Script, seconds: float, *, half_rate: bool = False) -> Case:
    """A case's runs: a warm-up (pools, prepared statements), the peak, one connection, and
    optionally paced at half of the peak. Each run gets a script of its own (writes take
    inputs no other run of the case uses)."""
    wrk(url, script(0, None), 4, 2)
    peak = wrk(url, script(1, None), PEAK_CONNECTIONS, seconds)
    single = wrk(url, script(2, None), 1, max(3.0, seconds / 2))
    half = wrk(url, script(3, peak.rps / 2), PEAK_CONNECTIONS, seconds) if half_rate else None
    case = Case(name, peak, single, half)
    errors = peak.errors + single.errors + (half.errors if half else 0)
    print(f"  {name:<46} {peak.rps:>8.0f}/s  p50 {peak.p50_ms:6.2f}  p99 {peak.p99_ms:7.2f} ms"
          f"   1 conn: p50 {single.p50_ms:6.2f} ms"
          + (f"   at {half.rps:.0f}/s: p99 {half.p99_ms:.2f} ms" if half else "")
          + (f"   ERRORS {errors}" if errors else "")
          + f"\n  {'':<46} CPU per call at peak: {cpu_text(peak)}", flush=True)
    return case


ROUTER_PAIRS = 3  # pairs of single-connection runs, direct and routed taken in turn


def router_adds(direct: tuple[str, Path], routed: tuple[str, Path], seconds: float) -> list[float]:
    """What the router adds at p50 on one connection, pair by pair: a direct run and a routed run
    one after the other, the order changing from pair to pair (d r, r d, d r), so that a drift of
    the machine or the data over the case falls on both sides. Each case's own single-connection
    runs, minutes apart, differ by as much as the router adds (seen: 0.2 to 2 ms)."""
    out = []
    for n in range(ROUTER_PAIRS):
        first, second = (direct, routed) if n % 2 == 0 else (routed, direct)
        a, b = (wrk(url, script, 1, seconds) for url, script in (first, second))
        d, r = (a, b) if n % 2 == 0 else (b, a)
        out.append(round(r.p50_ms - d.p50_ms, 3))
    return out


def cpu_text(load: Load) -> str:
    """Where a run's CPU went, per call: each group that used a measurable share."""
    shown = [f"{name} {ms:.2f}" for name, ms in sorted(load.cpu_ms.items(), key=lambda kv: -kv[1]) if ms >= 0.01]
    return " · ".join(shown) + " ms" if shown else "-"


# ------------------------------------------------------------------ data


@dataclass
class Inputs:
    """What the requests are made of: tokens of pages 2 onwards, patients, referral codes,
    orders a lab may report on, and patients who have ordered nothing."""

    tokens: list[str]
    patients: list[str]
    referrals: list[str]
    result_orders: list[str]
    new_patients: list[str]


def inputs(url: str) -> Inputs:
    tokens = lab_tokens(url, demo.LAB_A2)
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            c = patient_order.c
            patients = list(conn.execute(select(c.patient_id).distinct().limit(5000)).scalars())
            referrals = list(conn.execute(select(c.referral_id).limit(5000)).scalars())
            result_orders = list(conn.execute(select(c.order_id).where(
                c.performing_lab == demo.LAB_A2, c.status == "RECEIVED_BY_LAB", c.offer_code == "HBA1C").limit(5000)).scalars())
        known = set(patients)
        new_patients: list[str] = []
        n = 0
        while len(new_patients) < 80000:
            n += 1
            rest = n // 1000  # a distinct birth date for each thousand: 28 days, 12 months, 70 years
            nine = f"{30 + rest // 336 % 70:02d}{rest // 28 % 12 + 1:02d}{rest % 28 + 1:02d}{n % 1000:03d}"
            number = f"19{nine}{luhn_check_digit(nine)}"
            if number not in known:
                known.add(number)
                new_patients.append(number)
        return Inputs(tokens, patients, referrals, result_orders, new_patients)
    finally:
        db.dispose()


def set_result() -> bytes:
    when = (datetime.now(SWEDISH_TZ) - timedelta(minutes=5)).strftime("%Y%m%d%H%M%S")
    core = "urn:riv:clinicalprocess:activity:selfsampling:1"
    return soap_envelope(
        f'<s:SetResult xmlns:s="{SET_RESULT.responder_ns}" xmlns:c="{core}"><s:laboratoryResult>'
        f"<c:orderId>{{ORDER}}</c:orderId><c:performingLabHSAId>{demo.LAB_A2}</c:performingLabHSAId>"
        f"<c:resultVersion>{{VERSION}}</c:resultVersion><c:reportStatus>PRELIMINARY</c:reportStatus>"
        f"<c:reportTime>{when}</c:reportTime><c:analysisResult><c:code><c:code>NPU27300</c:code>"
        "<c:codeSystem>1.2.752.108.1</c:codeSystem></c:code><c:pq><c:value>41</c:value><c:unit>mmol/mol</c:unit>"
        "</c:pq><c:interpretation>NORMAL</c:interpretation><c:status>PRELIMINARY</c:status></c:analysisResult>"
        "</s:laboratoryResult></s:SetResult>"
    )


def create_order() -> bytes:
    core = "urn:riv:clinicalprocess:activity:selfsampling:1"
    return soap_envelope(
        f'<o:CreateOrder xmlns:o="{CREATE_ORDER.responder_ns}" xmlns:c="{core}">'
        f"<o:careGiverHSAId>{demo.CARE_GIVER_A}</o:careGiverHSAId><o:offerCode>CTNG</o:offerCode>"
        "<o:patientId><c:id>{PATIENT}</c:id><c:type>1.2.752.129.2.1.3.1</c:type></o:patientId>"
        "<o:samplingMode>HOME_KIT</o:samplingMode><o:deliveryAddress><c:name>Bench Benchsson</c:name>"
        "<c:street>Provgatan 1</c:street><c:postalCode>111 22</c:postalCode><c:city>Stockholm</c:city>"
        "</o:deliveryAddress></o:CreateOrder>"
    )


# ------------------------------------------------------------------ the run


@dataclass
class Calls:
    """One kind of call: its request, the lists it is made from, and who makes it."""

    name: str
    template: bytes
    caller: str
    values: dict[str, list[str]] = field(default_factory=dict)
    versions: bool = False
    path: str = GET_ORDERS.url_path
    expect: str | None = None  # a write's answer must say OK
    split: bool = False  # each run gets inputs of its own


RUNS = 4  # the runs of a case (see measure)
OK_ANSWER = ">OK</"  # the resultCode of a write that was done (not a retry, not refused)


def kinds(data: Inputs) -> list[Calls]:
    return [
        Calls("GetOrders by lab, paged (10 a page)", get_orders(
            f"<g:performingLabHSAId>{demo.LAB_A2}</g:performingLabHSAId><g:maxResults>10</g:maxResults>"
            "<g:continuationToken>{TOKEN}</g:continuationToken>"), demo.LAB_A2, {"TOKEN": data.tokens}),
        Calls("GetOrders by patient", get_orders(
            '<g:patientId><c:id xmlns:c="urn:riv:clinicalprocess:activity:selfsampling:1">{PATIENT}</c:id>'
            '<c:type xmlns:c="urn:riv:clinicalprocess:activity:selfsampling:1">1.2.752.129.2.1.3.1</c:type></g:patientId>'),
            demo.LAB_A, {"PATIENT": data.patients}),
        Calls("GetOrders by referral code", get_orders("<g:referralId>{REFERRAL}</g:referralId>"), demo.SAMPLING_A,
              {"REFERRAL": data.referrals}),
        Calls("SetResult", set_result(), demo.LAB_A2, {"ORDER": data.result_orders}, versions=True,
              path=SET_RESULT.url_path, expect=OK_ANSWER),
        Calls("CreateOrder (self-service home kit)", create_order(), demo.CITIZEN_SERVICE,
              {"PATIENT": data.new_patients}, path=CREATE_ORDER.url_path, expect=OK_ANSWER, split=True),
    ]


def run_service_cases(label: str, data: Inputs, direct_url: str | None, platform_url: str, instance: str,
                      folder: Path, seconds: float, only: set[str] | None = None) -> dict[str, Case]:
    out: dict[str, Case] = {}
    for n, calls in enumerate(kinds(data)):
        if only is not None and calls.name not in only:
            continue
        routes = [("routed", platform_url + "/vp" + calls.path.removeprefix("/eph"),
                   {"x-vp-sender-id": calls.caller, "x-vp-instance-id": instance})]
        if direct_url:
            routes.insert(0, ("direct", direct_url + calls.path,
                              {"x-rivta-original-serviceconsumer-hsaid": calls.caller}))
        scripts: dict[str, tuple[str, Path]] = {}
        for r, (how, url, headers) in enumerate(routes):
            tag = f"{label}-{n}-{how}"

            def script(run: int, rate: float | None, t: str = tag, c: Calls = calls, h: dict[str, str] = headers,
                       part: int = r * RUNS, ways: int = len(routes)) -> Path:
                # a write's inputs are split so that no two runs share them: a patient orders once,
                # and each run's result versions come after those of the runs before it
                values = c.values if not c.split else {k: v[part + run::ways * RUNS] for k, v in c.values.items()}
                return lua_script(folder, f"{t}-{run}", c.template, h, values, versions=c.versions,
                                  version_base=(part + run) * 1000, rate=rate, connections=PEAK_CONNECTIONS,
                                  expect=c.expect)

            half = calls.name.startswith("GetOrders by") and how == "routed" and "referral" not in calls.name
            out[f"{label}: {calls.name}, {how}"] = measure(f"{calls.name}, {how}", url, script, seconds, half_rate=half)
            scripts[how] = (url, script(2, None))
        if calls.name.startswith("GetOrders by") and len(scripts) == 2:
            adds = router_adds(scripts["direct"], scripts["routed"], max(2.0, seconds / 4))
            out[f"{label}: {calls.name}, routed"].router_adds_ms = adds
            print(f"  {'the router adds at p50, 1 connection, in turn':<46} "
                  + ", ".join(f"{a:.2f}" for a in adds) + " ms", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--orders", type=int, default=10_000, help="bulk orders besides the demo data")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="order counts to measure GetOrders at, comma-separated ('' for none)")
    parser.add_argument("--output", default=str(ROOT / "bench-results" / "bench.json"))
    parser.add_argument("--readme", action="store_true", help="write the table into the README and the charts to docs/bench")
    parser.add_argument("--no-scaleout", action="store_true", help="leave out 2+2 nodes against 1+1 behind HAProxy")
    parser.add_argument("--from-json", metavar="PATH",
                        help="measure nothing: write the README table and charts of an earlier run's JSON")
    args = parser.parse_args()
    if args.from_json:
        return rerender(Path(args.from_json))
    for tool in ("wrk", "haproxy"):
        if not shutil.which(tool):
            print(f"{tool} is needed (make bench installs it)", file=sys.stderr)
            return 2
    folder = Path(tempfile.mkdtemp(prefix="eph-bench-"))
    pki = bench_pki()
    certs = {"EPH_CERTS_DIR": str(pki.folder)}
    results: dict[str, Case] = {}
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
        service_port, platform_port = free_port(), free_port()
        service = start("service", ["-m", "eph", "serve", "service", "--bind", f"127.0.0.1:{service_port}"],
                        {**certs, "EPH_DATABASE_URL": pg_url}, folder, service_port)
        stack.callback(service.stop)
        canned_producer_port = free_port()
        producer = start("canned-producer", ["-m", "tests.bench.canned", str(canned_producer_port)], {}, folder,
                         canned_producer_port)
        stack.callback(producer.stop)
        engine = create_engine(pg_url)
        now = datetime.now(UTC)
        cat = demo_catalogue.catalogue(f"https://127.0.0.1:{service_port}")
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
        canned = start("canned", ["-m", "tests.bench.canned_wsgi", str(canned_port), str(response)], {}, folder, canned_port)
        stack.callback(canned.stop)
        canned_tls = start("canned-tls", ["-m", "tests.bench.canned_wsgi", str(canned_tls_port), str(response),
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
        print("\nthe service on PostgreSQL", flush=True)
        results.update(run_service_cases("postgresql", data, f"http://127.0.0.1:{service_hop}", platform.url,
                                         "eph-vp-dev", folder, args.seconds))
        service.stop()

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
            from tests.bench import scaleout

            print("\nscale-out: routed GetOrders by lab through HAProxy, 1+1 and 2+2 nodes", flush=True)
            spread = scaleout.run(args.seconds, args.orders, pki, folder)
    report = evaluate(results, grown)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"when": datetime.now(UTC).isoformat(), "cores": os.cpu_count(),
                               "orders": args.orders, "seconds": args.seconds,
                               "results": {k: v.as_dict() for k, v in results.items()},
                               "scale": [g.as_dict() for g in grown], "targets": report,
                               "scaleout": spread.as_dict() if spread else None,
                               "scaleout_table": spread.table() if spread else None}, indent=2))
    print(f"\nresults in {out}")
    if spread:
        print(f"\n{spread.table()}")
    if args.readme:
        write_readme(results, grown, report, spread.table() if spread else None)
        charts(results, ROOT / "docs" / "bench")
    # a target not met is a finding, printed and recorded; a call that went wrong is a failed run
    return 0 if report[-1]["met"] else 1


def rerender(path: Path) -> int:
    """The README block and the charts of a run recorded as JSON (a table's layout changed, say)."""
    data = json.loads(path.read_text())

    def load(d: dict[str, Any] | None) -> Load | None:
        return Load(**d) if d else None

    results = {name: Case(name, Load(**c["peak"]), Load(**c["single"]), load(c["half"]),
                          router_adds_ms=c.get("router_adds_ms"))
               for name, c in data["results"].items()}
    grown = [scale.Size(g["orders"], g["seed_seconds"], g["plans"],
                        {k: {how: Load(**d) for how, d in v.items()} for k, v in g["loads"].items()})
             for g in data["scale"]]
    write_readme(results, grown, data["targets"], data.get("scaleout_table"), when=data["when"][:10])
    charts(results, ROOT / "docs" / "bench")
    return 0


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


# ------------------------------------------------------------------ targets and reports


def evaluate(results: dict[str, Case], grown: Sequence[scale.Size] = ()) -> list[dict[str, Any]]:
    """Each target of the issue with the figure measured and whether it is met."""
    def get(name: str) -> Case | None:
        return results.get(name)

    targets: list[dict[str, Any]] = []

    def target(what: str, figure: float | None, goal: float, higher_is_better: bool = True, unit: str = "") -> None:
        met = figure is not None and (figure >= goal if higher_is_better else figure <= goal)
        targets.append({"target": what, "measured": figure, "goal": goal, "unit": unit, "met": met})
        shown = "not measured" if figure is None else f"{shown_figure(figure, goal, met)}{unit}"
        print(f"  {'met    ' if met else 'NOT MET'}  {what}: {shown} (goal {'>=' if higher_is_better else '<='} "
              f"{goal}{unit})")

    print("\ntargets")
    pg = "postgresql: "
    for kind in ("GetOrders by lab, paged (10 a page)", "GetOrders by patient"):
        routed = get(f"{pg}{kind}, routed")
        target(f"routed {kind}, calls/s", routed.peak.rps if routed else None, 1000, unit="/s")
        target(f"routed {kind}, p99 at half of peak", routed.half.p99_ms if routed and routed.half else None,
               50, higher_is_better=False, unit=" ms")
    canned = get("canned lxml, TLS hop")
    for kind in ("GetOrders by lab, paged (10 a page)", "GetOrders by patient", "GetOrders by referral code"):
        direct, routed = get(f"{pg}{kind}, direct"), get(f"{pg}{kind}, routed")
        if direct and canned:
            target(f"direct {kind} / canned limit (same hop)", direct.peak.rps / canned.peak.rps, 0.25)
        if direct and routed:
            target(f"{kind}: routed / direct calls/s", routed.peak.rps / direct.peak.rps, 0.8)
            if routed.router_adds_ms:
                target(f"{kind}: the router adds at p50 (1 connection, median of {len(routed.router_adds_ms)} "
                       "pairs taken in turn)", statistics.median(routed.router_adds_ms), 1.0,
                       higher_is_better=False, unit=" ms")
            else:  # a run recorded before the pairs were measured
                target(f"{kind}: the router adds at p50 (1 connection)", routed.single.p50_ms - direct.single.p50_ms,
                       1.0, higher_is_better=False, unit=" ms")
    set_result_routed = get(f"{pg}SetResult, routed")
    target("routed SetResult, calls/s", set_result_routed.peak.rps if set_result_routed else None, 400, unit="/s")
    if len(grown) >= 2:
        small, large = grown[0], grown[-1]
        for kind in ("by lab, paged", "by patient"):
            target(f"GetOrders {kind}: p50 at {large.orders} orders / p50 at {small.orders} (1 connection)",
                   large.loads[kind]["single"].p50_ms / small.loads[kind]["single"].p50_ms, 1.5, higher_is_better=False)
        unindexed = [f"{g.orders}: {name}" for g in grown for name, p in g.plans.items() if p["full_scans"] or not p["index"]]
        target("GetOrders selectors that read a whole table (EXPLAIN, every size)", float(len(unindexed)), 0,
               higher_is_better=False)
    errors = sum(c.peak.errors + c.single.errors + (c.half.errors if c.half else 0) for c in results.values())
    errors += sum(load.errors for g in grown for loads in g.loads.values() for load in loads.values())
    target("calls not answered as expected (all cases: faults, refused writes, socket errors)", float(errors), 0,
           higher_is_better=False)
    return targets


def table(results: dict[str, Case]) -> str:
    lines = ["| case | calls/s | p50 ms | p99 ms | p50 ms, 1 connection | p99 ms at half of peak "
             "| CPU ms per call at peak |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for name, c in results.items():
        half = f"{c.half.p99_ms:.1f} ({c.half.rps:.0f}/s)" if c.half else ""
        lines.append(f"| {name} | {_n(c.peak.rps)} | {c.peak.p50_ms:.2f} | {c.peak.p99_ms:.1f} | "
                     f"{c.single.p50_ms:.2f} | {half} | {cpu_text(c.peak)} |")
    return "\n".join(lines)


def scale_table(grown: list[scale.Size]) -> str:
    lines = ["| orders stored | seeded in | by lab, paged: p50 / p99 ms (1 connection) | calls/s (16) "
             "| by patient: p50 / p99 ms (1 connection) | calls/s (16) | indexes (EXPLAIN) |",
             "|---:|---:|---:|---:|---:|---:|---|"]
    for g in grown:
        lab, patient = g.loads["by lab, paged"], g.loads["by patient"]
        indexes = ", ".join(f"{name}: {p['index'] or 'none'}" for name, p in g.plans.items())
        lines.append(f"| {_n(g.orders)} | {g.seed_seconds:.0f} s | {lab['single'].p50_ms:.2f} / {lab['single'].p99_ms:.2f} "
                     f"| {_n(lab['peak'].rps)} | {patient['single'].p50_ms:.2f} / {patient['single'].p99_ms:.2f} "
                     f"| {_n(patient['peak'].rps)} | {indexes} |")
    return "\n".join(lines)


def _n(value: float) -> str:
    """A whole number with a space between thousands."""
    return f"{value:,.0f}".replace(",", " ")


def shown_figure(figure: float, goal: float, met: bool) -> str:
    """Two decimals, or as many more as it takes for a figure that misses its goal not to be
    shown as the goal itself (0.7996 against 0.8 reads 0.7996, not 0.80)."""
    for places in range(2, 7):
        text_ = f"{figure:.{places}f}"
        if met or float(text_) != goal:
            return text_
    return repr(figure)


def write_readme(results: dict[str, Case], grown: list[scale.Size], report: list[dict[str, Any]],
                 scaleout_table: str | None = None, when: str | None = None) -> None:
    readme = ROOT / "README.md"
    text_ = readme.read_text(encoding="utf-8")
    if README_START not in text_ or README_END not in text_:
        print("the README has no bench markers; table not written", file=sys.stderr)
        return
    targets = "\n".join(
        f"- {'met' if t['met'] else '**not met**'}: {t['target']}: "
        + ("not measured" if t["measured"] is None else f"{shown_figure(t['measured'], t['goal'], t['met'])}{t['unit']}")
        + f" (goal {t['goal']}{t['unit']})" for t in report)
    shown = [name for name in ("postgresql: GetOrders by lab, paged (10 a page)", "postgresql: GetOrders by patient",
                               "postgresql: SetResult") if f"{name}, routed" in results]
    pictures = "".join(f"![{name}](docs/bench/{chart_name(name)})\n" for name in shown)
    block = (f"{README_START}\n_Measured {when or f'{datetime.now(UTC):%Y-%m-%d}'} on {os.cpu_count()} cores, one run "
             f"(`make bench`)._\n\n{table(results)}\n\n"
             + (f"{pictures}\n(a chart of every case is in `docs/bench/`)\n\n" if pictures else "")
             + (f"GetOrders as the data grows:\n\n{scale_table(grown)}\n\n" if grown else "")
             + (f"Routed GetOrders by lab through HAProxy, 1+1 and 2+2 nodes (docs/scaleout.md):\n\n"
                f"{scaleout_table}\n\n" if scaleout_table else "")
             + f"{targets}\n{README_END}")
    before, rest = text_.split(README_START, 1)
    after = rest.split(README_END, 1)[1]
    readme.write_text(before + block + after, encoding="utf-8")


def chart_name(kind: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in kind.lower()).strip("-") + ".png"


def charts(results: dict[str, Case], folder: Path) -> None:
    """A chart per kind of call: calls/s and latency, direct beside routed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    groups: dict[str, dict[str, Case]] = {}
    for name, case in results.items():
        kind, _, how = name.rpartition(", ")
        if how not in ("direct", "routed"):
            kind, how = name, "measured"
        groups.setdefault(kind, {})[how] = case
    for kind, cases in groups.items():
        fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3))
        names = list(cases)
        left.bar(names, [cases[n].peak.rps for n in names], color="#2f6f9f")
        left.set_title("calls/s at peak")
        width = 0.35
        xs = range(len(names))
        right.bar([x - width / 2 for x in xs], [cases[n].peak.p50_ms for n in names], width, label="p50")
        right.bar([x + width / 2 for x in xs], [cases[n].peak.p99_ms for n in names], width, label="p99")
        right.set_xticks(list(xs), names)
        right.set_title("latency at peak, ms")
        right.legend()
        fig.suptitle(kind, fontsize=10)
        fig.tight_layout()
        fig.savefig(folder / chart_name(kind), dpi=90)
        plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
