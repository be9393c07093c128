"""What a run of the mixed load (tools/bench/load.py) adds up to: latency percentiles, calls and
outcomes per interval, server memory over time, the JSON of a run, and the accounting of writes
(every write answered OK stored, once, and nothing else)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from service_domain.persistence.tables import lab_result, order_status_change, patient_order
from tools.bench.load import Call, Run


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def latency(calls: Sequence[Call]) -> dict[str, float]:
    ms = [c.ms for c in calls]
    return {"p50_ms": round(percentile(ms, 0.5), 2), "p90_ms": round(percentile(ms, 0.9), 2),
            "p99_ms": round(percentile(ms, 0.99), 2), "max_ms": round(max(ms, default=0.0), 2)}


def per_interval(calls: Sequence[Call], seconds: float) -> list[dict[str, Any]]:
    """Calls, successes and latency of each ``seconds``-long interval (by when calls were due)."""
    buckets: dict[int, list[Call]] = {}
    for c in calls:
        buckets.setdefault(int(c.due // seconds), []).append(c)
    return [{"from_s": i * seconds, "calls": len(b), "good": sum(c.good for c in b), **latency(b),
             "late_max_ms": round(max((c.sent - c.due) * 1000 for c in b), 1),  # the load generator's own lag
             "p99_ms_by_kind": p99_by_kind(b)}
            for i, b in sorted(buckets.items())]


def p99_by_kind(calls: Sequence[Call]) -> dict[str, float]:
    """p99 of each kind of call: a tail that grows in one kind only is that call's own."""
    kinds: dict[str, list[float]] = {}
    for c in calls:
        kinds.setdefault(c.kind, []).append(c.ms)
    return {k: round(percentile(ms, 0.99), 1) for k, ms in sorted(kinds.items())}


def outcomes(calls: Sequence[Call]) -> dict[str, dict[str, int]]:
    out: dict[str, Counter[str]] = {}
    for c in calls:
        out.setdefault(c.kind, Counter())[c.outcome + (f" {c.detail}" if c.detail else "")] += 1
    return {k: dict(v) for k, v in sorted(out.items())}


def memory_summary(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each process's RSS at its first and last sample (a worker that appears later is new)."""
    seen: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for s in samples:
        seen.setdefault((s["server"], s["pid"]), []).append(s)
    return [{"server": server, "pid": pid, "role": rows[0]["role"], "first_s": rows[0]["t"], "last_s": rows[-1]["t"],
             "rss_start_mib": round(rows[0]["rss_kib"] / 1024, 1), "rss_end_mib": round(rows[-1]["rss_kib"] / 1024, 1),
             "rss_peak_mib": round(max(r["rss_kib"] for r in rows) / 1024, 1)}
            for (server, pid), rows in sorted(seen.items())]


def memory_over_time(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each sampling moment's RSS summed over each server's processes (MiB)."""
    moments: dict[float, dict[str, float]] = {}
    for s in samples:
        per = moments.setdefault(s["t"], {})
        per[s["server"]] = round(per.get(s["server"], 0.0) + s["rss_kib"] / 1024, 1)
    return [{"t": t, **per} for t, per in sorted(moments.items())]


def run_dict(run: Run, interval: float) -> dict[str, Any]:
    calls = run.calls
    good = sum(c.good for c in calls)
    return {
        "rate": run.rate, "seconds": run.seconds, "calls": len(calls), "good": good,
        "success_rate": good / len(calls) if calls else 0.0,
        "achieved_rate": len(calls) / max(calls[-1].due, 1e-9) if calls else 0.0,
        "load_generator_late_ms_max": round(run.late_ms_max, 1),
        "latency": latency(calls), "per_interval_s": interval, "intervals": per_interval(calls, interval),
        "outcomes": outcomes(calls), "memory": memory_summary(run.memory),
        "memory_over_time_mib": memory_over_time(run.memory),
        "events": [{"name": e.name, "at": round(e.started, 3), "finished": round(e.finished, 3),
                    "marks": {k: round(v, 3) for k, v in e.marks.items()}} for e in run.events],
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str))


def memory_rows(summary: list[dict[str, Any]]) -> list[str]:
    """Markdown rows: each server process's RSS at start and end."""
    rows = ["| process | RSS at start, MiB | at end, MiB | peak, MiB | seen (s) |", "|---|---:|---:|---:|---|"]
    for m in summary:
        rows.append(f"| {m['server']} {m['role']} {m['pid']} | {m['rss_start_mib']} | {m['rss_end_mib']} | "
                    f"{m['rss_peak_mib']} | {m['first_s']:.0f}–{m['last_s']:.0f} |")
    return rows


# ------------------------------------------------------------------ accounting


def stored_results(url: str, order_ids: Sequence[str], since: datetime) -> list[tuple[str, int]]:
    """(order, version) of every result stored for these orders since ``since``."""
    engine = create_engine(url)
    try:
        out: list[tuple[str, int]] = []
        with engine.connect() as conn:
            ids = sorted(set(order_ids))
            for i in range(0, len(ids), 5000):
                out += [(r.order_id, r.version) for r in conn.execute(select(lab_result.c.order_id, lab_result.c.version)
                        .where(lab_result.c.order_id.in_(ids[i:i + 5000]),
                               lab_result.c.received_time >= since))]
        return out
    finally:
        engine.dispose()


def stored_receipts(url: str, order_ids: Sequence[str]) -> list[str]:
    """The orders (one entry per RECEIVED_BY_LAB step) among these."""
    engine = create_engine(url)
    try:
        out: list[str] = []
        c = patient_order.c
        with engine.connect() as conn:
            ids = sorted(set(order_ids))
            for i in range(0, len(ids), 5000):
                out += list(conn.execute(select(c.order_id).join(order_status_change,
                                                                 order_status_change.c.order_seq == c.seq)
                                         .where(c.order_id.in_(ids[i:i + 5000]),
                                                order_status_change.c.status == "RECEIVED_BY_LAB")).scalars())
        return out
    finally:
        engine.dispose()


def account(url: str, calls: Sequence[Call], since: datetime) -> dict[str, Any]:
    """Stored results and status steps against the writes answered OK: nothing lost (every OK is
    stored), nothing stored on the orders written to that no call asked for (other orders are not
    read), nothing stored twice."""
    report: dict[str, Any] = {}
    for kind, stored_of in (("result", lambda ids: [f"{o}#{v}" for o, v in stored_results(url, ids, since)]),
                            ("status", lambda ids: stored_receipts(url, ids))):
        writes = [c for c in calls if c.kind == kind]
        ok = Counter(c.key for c in writes if c.outcome == "ok")
        asked = {c.key for c in writes}
        stored = Counter(stored_of([k.split("#")[0] for k in asked]))
        report[kind] = {
            "calls": len(writes), "answered_ok": sum(ok.values()),
            "answered_info": sum(c.outcome == "info" for c in writes),
            "stored": sum(stored.values()),
            "lost": sorted(k for k in ok if k not in stored)[:20],
            "stored_twice": sorted(k for k, n in stored.items() if n > 1)[:20],
            "ok_twice": sorted(k for k, n in ok.items() if n > 1)[:20],
            "stored_unasked": sorted(k for k in stored if k not in asked)[:20],
            "stored_without_ok": sorted(k for k in stored if k in asked and k not in ok)[:20],
        }
    return report
