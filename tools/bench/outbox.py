"""What the outbox costs and how soon a release reaches the engagement index (issue 18), measured
by `make bench` on PostgreSQL, routed, with the index push on to the index stand-in
(`eph serve engagement-index`, no subscribers) through the same platform:

1. routed SetResult (HbA1c, released at once: one INDEX_UPDATE event a call) at peak with the
   outbox writing events, against the same with no events written (EPH_OUTBOX_EVENTS=0), the
   service restarted for each run, in pairs taken in turn (off on, on off, off on: runs minutes
   apart differ by as much as the target allows); the ratio of the medians. The runs with events
   include the delivery going on meanwhile (what is still queued at the end of a run is
   reported, with how long the backlog took to drain after it).
2. releases at a fixed rate (default 100/s, open loop: tools/bench/load.py) for ``release_seconds``; for
   each event written in that run, the time from its creation (the SetResult call's time) to
   its delivery (the index answered the Update OK), read from the service's outbox table;
   p50 and p99.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, func, select

from contracts.interactions import SET_RESULT
from eph import demo
from service_domain.model import EventState
from service_domain.persistence.tables import lab_result, order_status_change, outbox_event
from tools.bench import load as loadgen
from tools.bench.cases import OK_ANSWER, PEAK_CONNECTIONS, Inputs, cpu_text, set_result
from tools.bench.envelopes import set_result as set_result_envelope
from tools.bench.harness import WATCH, Load, Server, lua_script, start, wrk

# five pairs of 20 s runs: between runs of three pairs of 10 s the ratio moved by several hundredths
PAIRS = 5
RUN_SECONDS = 20.0
CPU_PARTS = ("service", "platform", "engagement index")
DRAIN_TIMEOUT_S = 180


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) by nearest rank: the smallest value with at least q % of
    the values at or below it; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n q / 100)
    return ordered[int(rank) - 1]


def ratio(numerator: list[float], denominator: list[float]) -> float | None:
    """The median of ``numerator`` over the median of ``denominator`` (None without both, or
    over a median of 0)."""
    if not numerator or not denominator or not statistics.median(denominator):
        return None
    return statistics.median(numerator) / statistics.median(denominator)


def pair_order(n: int) -> tuple[bool, bool]:
    """Whether events are on in the first and second run of pair ``n``: off on, on off, …"""
    return (False, True) if n % 2 == 0 else (True, False)


@dataclass
class OutboxRun:
    events_on: bool
    load: Load
    queued_at_end: int = 0
    drain_seconds: float | None = None


@dataclass
class OutboxFigures:
    runs: list[OutboxRun] = field(default_factory=list)
    release_rate: float = 0
    release_seconds: float = 0
    release_load: Load | None = None
    released_events: int = 0
    delivered: int = 0
    parked: int = 0
    release_p50_ms: float | None = None
    release_p99_ms: float | None = None
    release_max_ms: float | None = None
    release_late_ms: float = 0.0  # how far the load generator ever fell behind its schedule
    written_only: list[Load] = field(default_factory=list)  # events written, none delivered (optional runs)

    def rps(self, events_on: bool) -> list[float]:
        return [r.load.rps for r in self.runs if r.events_on is events_on]

    @property
    def cost_ratio(self) -> float | None:
        return ratio(self.rps(True), self.rps(False))

    def cpu_ms(self, events_on: bool) -> list[float]:
        """CPU ms per call of the parts the outbox loads (the service, the platform, the index
        stand-in) in each run. PostgreSQL is left out: its figure is every cluster process on the
        machine, other users' too."""
        return [sum(r.load.cpu_ms.get(k, 0.0) for k in CPU_PARTS) for r in self.runs if r.events_on is events_on]

    @property
    def cpu_ratio(self) -> float | None:
        """The calls/s ratio the CPU per call implies on a machine the parts have to themselves
        (without over with: a call that costs more CPU lets fewer through)."""
        return ratio(self.cpu_ms(False), self.cpu_ms(True))

    def latencies(self, values_ms: list[float]) -> None:
        """The release latencies measured: their percentiles (the values themselves are not kept)."""
        self.delivered = len(values_ms)
        self.release_p50_ms, self.release_p99_ms = percentile(values_ms, 50), percentile(values_ms, 99)
        self.release_max_ms = max(values_ms, default=None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs": [{"events_on": r.events_on, "load": r.load.as_dict(), "queued_at_end": r.queued_at_end,
                      "drain_seconds": r.drain_seconds} for r in self.runs],
            "cost_ratio": self.cost_ratio,
            "release_rate": self.release_rate, "release_seconds": self.release_seconds,
            "release_load": self.release_load.as_dict() if self.release_load else None,
            "released_events": self.released_events, "delivered": self.delivered, "parked": self.parked,
            "release_p50_ms": self.release_p50_ms, "release_p99_ms": self.release_p99_ms,
            "release_max_ms": self.release_max_ms, "release_late_ms": self.release_late_ms,
            "cpu_ratio": self.cpu_ratio, "written_only": [w.as_dict() for w in self.written_only],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OutboxFigures:
        runs = [OutboxRun(r["events_on"], Load(**r["load"]), r["queued_at_end"], r["drain_seconds"]) for r in d["runs"]]
        return cls(runs, d["release_rate"], d["release_seconds"],
                   Load(**d["release_load"]) if d.get("release_load") else None, d["released_events"],
                   d["delivered"], d["parked"], d["release_p50_ms"], d["release_p99_ms"], d["release_max_ms"],
                   d.get("release_late_ms", 0.0), [Load(**w) for w in d.get("written_only", [])])

    def text(self) -> str:
        """The section of the report: each run, then the release latency."""
        lines = ["| run | events | SetResult calls/s (routed, 16 connections) | p99 ms | still queued at the end "
                 "| backlog drained in | CPU ms per call |", "|---:|---|---:|---:|---:|---:|---|"]
        for n, r in enumerate(self.runs, 1):
            drained = "" if not r.events_on else (f"{r.drain_seconds:.1f} s" if r.drain_seconds is not None else "not drained")
            lines.append(f"| {n} | {'written, delivered' if r.events_on else 'none (EPH_OUTBOX_EVENTS=0)'} "
                         f"| {r.load.rps:.0f} | {r.load.p99_ms:.1f} | {r.queued_at_end if r.events_on else ''} "
                         f"| {drained} | {cpu_text(r.load)} |")
        on, off = self.rps(True), self.rps(False)
        cost = self.cost_ratio
        summary = (f"Median calls/s: with events {statistics.median(on):.0f}, without {statistics.median(off):.0f}; "
                   f"ratio {cost:.3f}. CPU ms per call of the service, the platform and the index stand-in "
                   f"(medians): with events {statistics.median(self.cpu_ms(True)):.2f}, without "
                   f"{statistics.median(self.cpu_ms(False)):.2f}; the calls/s ratio that implies on a machine of "
                   f"their own {self.cpu_ratio:.3f}." if cost is not None and self.cpu_ratio is not None else "")
        p50, p99 = self.release_p50_ms, self.release_p99_ms
        release = (f"Releases at {self.release_rate:g}/s for {self.release_seconds:g} s (routed SetResult, open loop; "
                   f"{self.release_load.rps:.1f} calls/s sent, the load generator at most "
                   f"{self.release_late_ms:.0f} ms behind its schedule): {self.released_events} events written, "
                   f"{self.delivered} delivered, {self.parked} parked; from the call to the index's OK: "
                   f"p50 {_ms(p50)}, p99 {_ms(p99)}, the slowest {_ms(self.release_max_ms)}." if self.release_load else "")
        written = ("Events written, none delivered (`EPH_OUTBOX_SECONDS=0`): "
                   + "; ".join(f"{w.rps:.0f} calls/s, CPU per call {cpu_text(w)}" for w in self.written_only) + "."
                   if self.written_only else "")
        return ("\n".join(lines) + "\n\n" + summary + ("\n\n" + written if written else "")
                + ("\n\n" + release if release else ""))


class Releases(loadgen.Mix):
    """Routed SetResult of HbA1c results (released at once), open loop at a fixed rate
    (tools/bench/load.py), the versions from ``base`` on (above those stored before)."""

    def __init__(self, orders: list[str], base: int) -> None:
        super().__init__(loadgen.Inputs([], [], orders, []), {"result": 1})
        self.base = base

    def _next(self) -> tuple[str, str, str, bytes, str]:
        n = self.counts["result"]
        self.counts["result"] += 1
        orders = self.data.result_orders
        order_id, version = orders[n % len(orders)], self.base + n // len(orders) + 1
        return ("result", SET_RESULT.path, demo.LAB_A2, set_result_envelope(order_id, version, self.report_time),
                f"{order_id}#{version}")


def _as_load(run: loadgen.Run, seconds: float) -> Load:
    """The open-loop run as a Load: calls/s sent, latency, calls not answered OK."""
    ms = [c.ms for c in run.calls if c.done]
    return Load(0, seconds, len(run.calls) / seconds, percentile(ms, 50) or 0.0, percentile(ms, 90) or 0.0,
                percentile(ms, 99) or 0.0, len(run.calls), sum(not c.good for c in run.calls))


def _ms(v: float | None) -> str:
    return "none" if v is None else f"{v:.0f} ms"


# ------------------------------------------------------------------ the run


def _counts(url: str, since: datetime) -> tuple[int, int, int]:
    """Events written since ``since``: all, still pending, parked."""
    engine = create_engine(url)
    try:
        e = outbox_event.c
        with engine.connect() as conn:
            rows = conn.execute(select(e.state, func.count()).where(e.created_time >= since).group_by(e.state)).all()
    finally:
        engine.dispose()
    by = {state: int(n) for state, n in rows}
    return sum(by.values()), by.get(EventState.PENDING.value, 0), by.get(EventState.PARKED.value, 0)


def _marks(url: str) -> tuple[int, int]:
    """The newest result version's and status change's row ids: where a run's own begin."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return (int(conn.execute(select(func.coalesce(func.max(lab_result.c.id), 0))).scalar_one()),
                    int(conn.execute(select(func.coalesce(func.max(order_status_change.c.id), 0))).scalar_one()))
    finally:
        engine.dispose()


def _rewind(url: str, marks: tuple[int, int]) -> None:
    """Remove the result versions and status changes a run stored, so that every run starts from
    the same orders: each SetResult adds a version and a status change to one of a few hundred
    orders, and an order is read with its whole history, so without this each run would read
    longer histories than the one before (a drift that favoured whichever case ran first)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(delete(lab_result).where(lab_result.c.id > marks[0]))
            conn.execute(delete(order_status_change).where(order_status_change.c.id > marks[1]))
    finally:
        engine.dispose()


def _pending_all(url: str) -> int:
    return _counts(url, datetime(2000, 1, 1, tzinfo=UTC))[1]


def _drain(url: str, since: datetime, timeout: float = DRAIN_TIMEOUT_S) -> float | None:
    """Seconds until no event written since ``since`` is pending (None: not within ``timeout``)."""
    begin = time.monotonic()
    while time.monotonic() - begin < timeout:
        if _counts(url, since)[1] == 0:
            return time.monotonic() - begin
        time.sleep(0.5)
    return None


def _latencies(url: str, since: datetime) -> list[float]:
    engine = create_engine(url)
    try:
        e = outbox_event.c
        with engine.connect() as conn:
            rows = conn.execute(select(e.created_time, e.delivered_time).where(
                e.created_time >= since, e.state == EventState.DELIVERED.value)).all()
    finally:
        engine.dispose()
    return [(d - c).total_seconds() * 1000 for c, d in rows]


def run(pg_url: str, data: Inputs, certs: dict[str, str], platform: Server, service_port: int, index_port: int,
        folder: Path, seconds: float, release_rate: float = 100, release_seconds: float = 25,
        pairs: int = PAIRS, written_only: int = 0) -> OutboxFigures:
    """The runs above. The platform must route the service's address to ``service_port`` (each
    service started here takes it; none may be listening on it) and the index's Update to
    ``index_port`` (the index stand-in is started here)."""
    figures = OutboxFigures(release_rate=release_rate, release_seconds=release_seconds)
    index = start("engagement-index", ["-m", "eph", "serve", "engagement-index", "--bind", f"127.0.0.1:{index_port}"],
                  {"EPH_EI_DATABASE_URL": f"sqlite:///{folder / 'index.sqlite3'}", "EPH_PLATFORM_URL": platform.url,
                   "EPH_VP_INSTANCE_ID": "eph-vp-dev", "EPH_EI_SUBSCRIBERS": ""}, folder, index_port)
    try:
        url = platform.url + "/vp" + "/clinicalprocess/activity/selfsampling/SetResult/1/rivtabp21"
        headers = {"x-vp-sender-id": demo.LAB_A2, "x-vp-instance-id": "eph-vp-dev"}
        orders = {"ORDER": data.result_orders}
        base = 20_000  # above every version the service cases stored

        def script(tag: str, rate: float | None = None, connections: int = PEAK_CONNECTIONS) -> Path:
            nonlocal base
            base += 1000
            return lua_script(folder, f"outbox-{tag}", set_result(), headers, orders, versions=True,
                              version_base=base, rate=rate, connections=connections, expect=OK_ANSWER)

        def service(events_on: bool, deliver: bool = True) -> Server:
            port = service_port
            env = {**certs, "EPH_DATABASE_URL": pg_url, "EPH_INDEX_PUSH": "1",
                   "EPH_INDEX_PUSH_PLATFORM_URL": platform.url, "EPH_VP_INSTANCE_ID": "eph-vp-dev",
                   "EPH_OUTBOX_EVENTS": "1" if events_on else "0", **({} if deliver else {"EPH_OUTBOX_SECONDS": "0"})}
            return start("service-outbox", ["-m", "eph", "serve", "service", "--bind", f"127.0.0.1:{port}"], env,
                         folder, port)

        # what earlier cases queued (the service cases run with the push off: their events wait)
        # delivered first, so that no run of the pairs delivers more than its own events
        s = service(True)
        try:
            backlog = _pending_all(pg_url)
            drained = _drain(pg_url, datetime(2000, 1, 1, tzinfo=UTC))
        finally:
            s.stop()
        print(f"  {backlog} events queued by the cases before, delivered first in "
              + (f"{drained:.1f} s" if drained is not None else "(not drained)"), flush=True)
        for n in range(pairs):
            for events_on in pair_order(n):
                marks = _marks(pg_url)
                s = service(events_on)
                try:
                    WATCH["service"] = s.pids
                    WATCH["engagement index"] = index.pids
                    wrk(url, script(f"warm-{n}-{events_on}"), 4, 2)
                    since = datetime.now(UTC)
                    load = wrk(url, script(f"peak-{n}-{events_on}"), PEAK_CONNECTIONS, seconds)
                    queued = _counts(pg_url, since)[1] if events_on else 0
                    drained = _drain(pg_url, since) if events_on else None
                finally:
                    s.stop()
                _rewind(pg_url, marks)
                figures.runs.append(OutboxRun(events_on, load, queued, drained))
                print(f"  SetResult routed, events {'on ' if events_on else 'off'}: {load.rps:8.0f}/s  "
                      f"p99 {load.p99_ms:7.2f} ms" + (f"  queued at the end {queued}, drained in "
                      + (f"{drained:.1f} s" if drained is not None else "(not drained)") if events_on else "")
                      + (f"  ERRORS {load.errors}" if load.errors else ""), flush=True)
        print(f"  with events / without (medians): {figures.cost_ratio:.3f}; implied by CPU per call: "
              f"{figures.cpu_ratio:.3f}", flush=True)
        for n in range(written_only):  # the write's share of the cost: events written, none delivered
            marks = _marks(pg_url)
            s = service(True, deliver=False)
            try:
                WATCH["service"] = s.pids
                wrk(url, script(f"warm-written-{n}"), 4, 2)
                load = wrk(url, script(f"peak-written-{n}"), PEAK_CONNECTIONS, seconds)
            finally:
                s.stop()
            _rewind(pg_url, marks)
            figures.written_only.append(load)
            print(f"  SetResult routed, events written, none delivered (EPH_OUTBOX_SECONDS=0): {load.rps:8.0f}/s  "
                  f"CPU per call: {cpu_text(load)}", flush=True)
        if written_only:  # what they wrote, delivered before the release run
            s = service(True)
            try:
                _drain(pg_url, datetime(2000, 1, 1, tzinfo=UTC))
            finally:
                s.stop()

        s = service(True)
        try:
            WATCH["service"] = s.pids
            wrk(url, script("release-warm"), 4, 2)
            _drain(pg_url, datetime.now(UTC) - timedelta(seconds=10))
            time.sleep(1)
            since = datetime.now(UTC)
            releases = Releases(data.result_orders, base + 1000)
            run_ = loadgen.drive(platform.url, releases, release_rate, release_seconds)
            figures.release_load, figures.release_late_ms = _as_load(run_, release_seconds), run_.late_ms_max
            _drain(pg_url, since)
            total, _pending, parked = _counts(pg_url, since)
            figures.released_events, figures.parked = total, parked
            figures.latencies(_latencies(pg_url, since))
        finally:
            s.stop()
        print(f"  releases at {release_rate:g}/s for {release_seconds:g} s ({figures.release_load.rps:.1f}/s sent, "
              f"at most {figures.release_late_ms:.0f} ms behind): "
              f"{figures.released_events} events, {figures.delivered} delivered; to the index's OK p50 "
              f"{_ms(figures.release_p50_ms)}, p99 {_ms(figures.release_p99_ms)}", flush=True)
    finally:
        index.stop()
    return figures
