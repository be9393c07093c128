"""The targets of `make bench` and its report: each target with the figure measured, the
Markdown tables written into docs/performance.md between the bench markers, and a chart per
kind of call in docs/bench/ (linked from the document as ``bench/<name>.png``)."""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support import ROOT
from tools.bench import scale
from tools.bench.cases import Case, cpu_text
from tools.bench.harness import Load
from tools.bench.outbox import OutboxFigures

PERFORMANCE_DOC = ROOT / "docs" / "performance.md"
BENCH_START, BENCH_END = "<!-- bench:start -->", "<!-- bench:end -->"


def evaluate(results: dict[str, Case], grown: Sequence[scale.Size] = (),
             outbox: OutboxFigures | None = None) -> list[dict[str, Any]]:
    """Each target of the issue with the figure measured and whether it is met."""
    def get(name: str) -> Case | None:
        return results.get(name)

    targets: list[dict[str, Any]] = []

    def target(what: str, figure: float | None, goal: float, higher_is_better: bool = True, unit: str = "") -> None:
        met = figure is not None and (figure >= goal if higher_is_better else figure <= goal)
        targets.append({"target": what, "measured": figure, "goal": goal, "unit": unit, "met": met,
                        "higher_is_better": higher_is_better})
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
    if outbox is not None:
        target(f"the outbox: routed SetResult calls/s with events written and delivered / with none written "
               f"(medians of {len(outbox.rps(True))} runs each)", outbox.cost_ratio, 0.9)
        target("the outbox: the same ratio implied by CPU per call (service, platform, index stand-in)",
               outbox.cpu_ratio, 0.9)
        target(f"release to index Update delivered (the index answered OK), p99 at {outbox.release_rate:g} "
               f"releases/s asked", outbox.release_p99_ms, 5000, higher_is_better=False, unit=" ms")
        target("releases/s sent in the release run (open loop)",
               outbox.release_load.rps if outbox.release_load else None, 0.95 * outbox.release_rate, unit="/s")
        target("events of the release run not delivered or parked", float(outbox.released_events - outbox.delivered),
               0, higher_is_better=False)
    errors = sum(c.peak.errors + c.single.errors + (c.half.errors if c.half else 0) for c in results.values())
    errors += sum(load.errors for g in grown for loads in g.loads.values() for load in loads.values())
    if outbox is not None:
        errors += sum(r.load.errors for r in outbox.runs) + (outbox.release_load.errors if outbox.release_load else 0)
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


def write_docs(doc: Path, results: dict[str, Case], grown: list[scale.Size], report: list[dict[str, Any]],
               scaleout_table: str | None = None, when: str | None = None, outbox: OutboxFigures | None = None) -> None:
    """The tables, the targets and links to the charts (``bench/<name>.png``, beside ``doc``),
    written into ``doc`` between the bench markers."""
    targets = "\n".join(
        f"- {'met' if t['met'] else '**not met**'}: {t['target']}: "
        + ("not measured" if t["measured"] is None else f"{shown_figure(t['measured'], t['goal'], t['met'])}{t['unit']}")
        + f" (goal {t['goal']}{t['unit']})" for t in report)
    shown = [name for name in ("postgresql: GetOrders by lab, paged (10 a page)", "postgresql: GetOrders by patient",
                               "postgresql: SetResult") if f"{name}, routed" in results]
    pictures = "".join(f"![{name}](bench/{chart_name(name)})\n" for name in shown)
    block = (f"_Measured {when or f'{datetime.now(UTC):%Y-%m-%d}'} on {os.cpu_count()} cores, one run "
             f"(`make bench`)._\n\n{table(results)}\n\n"
             + (f"{pictures}\n(a chart of every case is in `docs/bench/`)\n\n" if pictures else "")
             + (f"GetOrders as the data grows:\n\n{scale_table(grown)}\n\n" if grown else "")
             + (f"Routed GetOrders by lab through HAProxy, 1+1 and 2+2 nodes (docs/scaleout.md):\n\n"
                f"{scaleout_table}\n\n" if scaleout_table else "")
             + (f"The outbox: routed SetResult (HbA1c, released at once) with the index push on to the index "
                f"stand-in, events written against none written, the service restarted for each run, in turn "
                f"(tools/bench/outbox.py):\n\n{outbox.text()}\n\n" if outbox else "")
             + targets)
    write_between(doc, BENCH_START, BENCH_END, block)


def write_between(doc: Path, start: str, end: str, block: str) -> None:
    """``block`` in place of what ``doc`` holds between its ``start`` and ``end`` markers."""
    text_ = doc.read_text(encoding="utf-8")
    if start not in text_ or end not in text_:
        print(f"{doc} has no {start} markers; not written", file=sys.stderr)
        return
    before, rest = text_.split(start, 1)
    doc.write_text(before + start + "\n" + block + "\n" + end + rest.split(end, 1)[1], encoding="utf-8")


def chart_name(kind: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in kind.lower()).strip("-") + ".png"


def charts(results: dict[str, Case], folder: Path) -> None:
    """A chart per kind of call: calls/s and latency, direct beside routed."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed (make bench installs it); no charts drawn", file=sys.stderr)
        return
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


def rerender(path: Path, doc: Path) -> int:
    """The tables and the charts of a run recorded as JSON (a table's layout changed, say)."""
    data = json.loads(path.read_text())

    def load(d: dict[str, Any] | None) -> Load | None:
        return Load(**d) if d else None

    results = {name: Case(name, Load(**c["peak"]), Load(**c["single"]), load(c["half"]),
                          router_adds_ms=c.get("router_adds_ms"))
               for name, c in data["results"].items()}
    grown = [scale.Size(g["orders"], g["seed_seconds"], g["plans"],
                        {k: {how: Load(**d) for how, d in v.items()} for k, v in g["loads"].items()})
             for g in data["scale"]]
    outbox = OutboxFigures.from_dict(data["outbox"]) if data.get("outbox") else None
    write_docs(doc, results, grown, data["targets"], data.get("scaleout_table"), when=data["when"][:10], outbox=outbox)
    charts(results, doc.parent / "bench")
    return 0
