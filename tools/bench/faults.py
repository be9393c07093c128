"""make faults: faults under load, each measured against what callers should see.

The service and the platform run as `make serve` runs them, over a PostgreSQL cluster of the
run's own (initdb into a temporary folder, on a free port: restarting it touches nobody
else's database). The mixed load of `make soak` (tools/bench/load.py) goes through the
platform at a fixed rate while, in turn:

1. a worker of the service is killed (SIGKILL): only the calls in flight at that moment may
   fail, with VP009 from the platform; the other worker goes on answering and gunicorn
   starts a new one. Measured: the calls in flight, those that failed, the time from the
   kill to the first success of a call sent after it, and until the new worker is listed.
2. the database is restarted (pg_ctl restart -m fast): calls that reach the service while it
   is down get the service's "temporarily unavailable" fault (soap:Server), no VP009 and
   no internal error, and writes succeed again once it is back, without a restart of the
   service (its processes are the same before and after). Measured: the calls answered
   unavailable, and the time from pg_ctl's return to the first successful write.
3. the accounting: every write that got no answer (or a fault) is sent again as a lab
   system would (the same result version; the same status), and must then be answered OK,
   or INFO when the first attempt had been stored. Then the database is read: every result
   version and status step asked for is stored exactly once, and nothing else.
4. the outbox (issue 18): the index push is on throughout, to the engagement index stand-in,
   which notifies the demo journal system's subscriber (care giver A); both run beside the
   service. After the accounting the outbox is left to drain, then: every INDEX_UPDATE event
   committed in the runs is delivered (none pending, none parked), the index holds each (the
   patient's engagement at the care giver, its mostRecentContent at or after the event's),
   and the journal holds each released result of care giver A stored in the runs exactly once
   (one entry an order, as many versions as the service stored, however often it was
   notified).

JSON in bench-results/faults.json, Markdown in bench-results/faults.md (with --docs also in
docs/soak.md between the faults markers).

    .venv/bin/python -m tools.bench.faults [--rate 100] [--seconds 30]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from consumers.engagement_index.store import EngagementStore
from consumers.journal.store import Entry, JournalStore
from eph import demo
from eph.outbox import engagement
from service_domain.model import EventKind, EventState, OutboxEvent
from service_domain.persistence.database import Database
from tests.support import ROOT
from tools.bench import figures, load
from tools.bench.cluster import Cluster, own_cluster
from tools.bench.harness import Server
from tools.bench.soak import SOAK_DOC, System, publish, system, warm_up

FAULTS_START, FAULTS_END = "<!-- faults:start -->", "<!-- faults:end -->"
RECOVERY_GOAL_S = 5.0  # "within seconds"
# A call sent to the platform just after the kill may still go out on a pooled keep-alive
# connection of the killed worker that the platform has not yet seen closed; it fails like a
# call in flight (VP009). The platform does not send a POST again once it may have reached
# the producer (a write could be done twice), so such a call is not retried.
NOTICE_S = 0.25


def _workers(server: Server) -> list[int]:
    return server.pids()[1:]


def kill_a_worker(s: System) -> Callable[[load.Event], dict[str, Any]]:
    def action(event: load.Event) -> dict[str, Any]:
        before = _workers(s.service)
        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        event.mark("kill")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = _workers(s.service)
            if victim not in now and len(now) >= len(before):
                event.mark("replaced")
                break
            time.sleep(0.05)
        return {"killed": victim, "workers_before": before, "workers_after": _workers(s.service)}
    return action


def restart_database(cluster: Cluster, s: System) -> Callable[[load.Event], dict[str, Any]]:
    def action(event: load.Event) -> dict[str, Any]:
        before = s.service.pids()
        event.mark("restart")
        cluster.restart()
        event.mark("back")
        return {"service_before": before}
    return action


def _after(calls: Sequence[load.Call], t: float) -> list[load.Call]:
    return [c for c in calls if c.sent >= t]


def worker_kill_report(run: load.Run) -> dict[str, Any]:
    event = run.events[0]
    kill = event.marks["kill"]
    in_flight = [c for c in run.calls if c.sent <= kill < c.done]
    failed = [c for c in run.calls if not c.good]
    not_in_flight = [c for c in failed if not (c.sent <= kill < c.done)]
    first_ok = min((c.done for c in _after(run.calls, kill) if c.good), default=None)
    last_failure = max((c.done for c in failed), default=None)
    return {
        "kill_at_s": round(kill, 3), "in_flight": len(in_flight), "failed": len(failed),
        "failed_outcomes": figures.outcomes(failed),
        "failed_not_in_flight": len(not_in_flight),
        "failed_not_in_flight_sent_after_kill_ms": sorted(round((c.sent - kill) * 1000, 1) for c in not_in_flight)[:20],
        "failed_sent_later_than_notice": sum(c.sent > kill + NOTICE_S for c in failed),
        "failed_not_vp009": sum(c.outcome != "vp009" for c in failed),
        "first_success_after_kill_s": None if first_ok is None else round(first_ok - kill, 3),
        "last_failure_after_kill_s": None if last_failure is None else round(last_failure - kill, 3),
        "replacement_listed_after_s": round(event.marks["replaced"] - kill, 3) if "replaced" in event.marks else None,
        "workers": event.value,
    }


def restart_report(run: load.Run, s: System) -> dict[str, Any]:
    event = run.events[0]
    begin, back = event.marks["restart"], event.marks["back"]
    failed = [c for c in run.calls if not c.good]
    writes_after = [c for c in _after(run.calls, back) if c.kind in load.WRITES and c.good]
    first_write = min((c.done for c in writes_after), default=None)
    after_back = [c for c in _after(run.calls, back + RECOVERY_GOAL_S)]
    return {
        "restart_at_s": round(begin, 3), "pg_ctl_seconds": round(back - begin, 3),
        "failed": len(failed), "failed_outcomes": figures.outcomes(failed),
        "unavailable": sum(c.outcome == "unavailable" for c in failed),
        "failed_otherwise": sum(c.outcome != "unavailable" for c in failed),
        "first_failure_after_restart_s": round(min((c.sent for c in failed), default=begin) - begin, 3),
        "first_write_ok_after_back_s": None if first_write is None else round(first_write - back, 3),
        "last_failure_after_back_s": round(max((c.done for c in failed), default=back) - back, 3),
        "calls_from_goal_after_back": len(after_back),
        "failed_from_goal_after_back": sum(not c.good for c in after_back),
        "service_processes_same": event.value["service_before"] == s.service.pids(),
    }


def retry_writes(s: System, mix: load.Mix, calls: Sequence[load.Call]) -> list[load.Call]:
    """Each write that no call got OK or INFO for, sent again as the lab's system would."""
    answered = {c.key for c in calls if c.key and c.good}
    out = []
    for key in sorted({c.key for c in calls if c.key} - answered):
        kind, path, sender, body = mix.writes[key]
        call = load.Call(kind, 0.0, key=key)
        call.outcome, call.detail = load.send_one(s.platform.url, path, sender, body, write=True)
        out.append(call)
    return out


def verdicts(report: dict[str, Any]) -> list[tuple[str, bool]]:
    k, r, a = report["worker_kill"], report["database_restart"], report["accounting"]
    return [
        (f"worker killed: only calls in flight at the kill (or sent within {NOTICE_S * 1000:.0f} ms after it, "
         "on a connection of the killed worker) failed, each with VP009",
         k["failed_sent_later_than_notice"] == 0 and k["failed_not_vp009"] == 0),
        (f"worker killed: a call sent after the kill succeeded within {RECOVERY_GOAL_S:g} s",
         k["first_success_after_kill_s"] is not None and k["first_success_after_kill_s"] <= RECOVERY_GOAL_S),
        ("worker killed: gunicorn listed a new worker", k["replacement_listed_after_s"] is not None),
        ("database restarted: every failed call got the service's 'temporarily unavailable' fault",
         r["failed_otherwise"] == 0),
        (f"database restarted: writes succeed again within {RECOVERY_GOAL_S:g} s of the database being back, "
         "and every call from then on did", r["first_write_ok_after_back_s"] is not None
         and r["first_write_ok_after_back_s"] <= RECOVERY_GOAL_S and r["failed_from_goal_after_back"] == 0),
        ("database restarted: without a restart of the service", r["service_processes_same"]),
        ("accounting: every write retried after a failure answered OK or INFO", a["retries_not_good"] == 0),
        ("accounting: every result and status step asked for stored exactly once, nothing else stored on those orders",
         all(not a[w][x] for w in ("result", "status") for x in ("lost", "stored_twice", "stored_unasked", "ok_twice"))
         and all(a[w]["stored"] == a[w]["asked"] for w in ("result", "status"))),
        *outbox_verdicts(report.get("outbox")),
    ]


def outbox_verdicts(o: dict[str, Any] | None) -> list[tuple[str, bool]]:
    if o is None:  # a run recorded before the outbox was part of it
        return []
    j = o["journal"]
    return [
        ("outbox: every index update committed was delivered, the index answering OK (none pending, none parked)",
         o["events"] > 0 and o["delivered"] == o["events"] and o["pending"] == 0 and o["parked"] == 0),
        ("outbox: the journal imported every released result of its care giver exactly once (one entry, its versions "
         "as stored)", j["expected"] > 0 and not j["missing"] and not j["more_than_one_entry"]
         and not j["versions_differ"]),
        ("outbox: the index ends with every engagement's newest content (no update put back by an older one "
         "delivered after it)", o["not_in_index_count"] == 0),
    ]


DRAIN_TIMEOUT_S = 300.0


def _run_events(url: str, since: datetime) -> list[OutboxEvent]:
    """Every INDEX_UPDATE event written since ``since``, whatever its state."""
    db = Database(url)
    try:
        with db.uow() as uow:
            found = [e for state in EventState for e in uow.outbox.list(state, 10_000_000)]
    finally:
        db.dispose()
    return [e for e in found if e.kind is EventKind.INDEX_UPDATE and e.created_time >= since]


def wait_for_outbox(url: str, since: datetime, timeout: float = DRAIN_TIMEOUT_S) -> float | None:
    """Seconds until no event written since ``since`` is pending (None: not within ``timeout``)."""
    begin = time.monotonic()
    while time.monotonic() - begin < timeout:
        if not any(e.state is EventState.PENDING for e in _run_events(url, since)):
            return round(time.monotonic() - begin, 1)
        time.sleep(1)
    return None


def in_index(index: EngagementStore, event: OutboxEvent) -> bool:
    """Whether the index holds the engagement the event told it of, as recent as the event or more."""
    told = engagement(event.index, demo.SERVICE_ADDRESS)
    return bool(index.find(str(told["registeredResidentIdentification"]), str(told["serviceDomain"]),
                           sourceSystem=str(told["sourceSystem"]), dataController=str(told["dataController"]),
                           categorization=str(told["categorization"]),
                           mostRecentContent=str(told["mostRecentContent"])))


def journal_check(expected: Counter[str], entries: Sequence[Entry]) -> dict[str, Any]:
    """The journal's entries of the service against the result versions it should hold
    (``expected``: order id -> versions stored): missing orders, orders imported as more than
    one entry, and orders whose entry went through another number of versions."""
    found = Counter(e.record.record_id for e in entries if e.record.source_system == demo.SERVICE_ADDRESS)
    versions = {e.record.record_id: e.versions for e in entries if e.record.source_system == demo.SERVICE_ADDRESS}
    return {
        "expected": len(expected),
        "imported": sum(1 for o in expected if found[o]),
        "missing": sorted(o for o in expected if not found[o])[:20],
        "more_than_one_entry": sorted(o for o in expected if found[o] > 1)[:20],
        "versions_differ": sorted(o for o, n in expected.items() if found[o] and versions[o] != n)[:20],
    }


def journal_imports(log_text: str) -> dict[str, int]:
    """What the journal's import log lines add up to (new, updated, unchanged, older)."""
    total: Counter[str] = Counter()
    for line in log_text.splitlines():
        if "journal import:" not in line:
            continue
        tail = line.split("journal import:", 1)[1].split('"', 1)[0].split(";", 1)[0]
        for part in tail.split(","):
            word, _, n = part.strip().partition(" ")
            if n.isdigit():
                total[word] += int(n)
    return dict(total)


def overwritten(delivered: Sequence[OutboxEvent], missing: set[str]) -> list[str]:
    """Of the ``missing`` events (delivered, yet the index holds an older content), those of an
    engagement whose last update delivered was older than they: an update delivered late (a
    killed worker's claim, sent again once its lease ran out) put the engagement back."""
    last: dict[tuple[str, str], OutboxEvent] = {}
    for e in sorted(delivered, key=lambda e: e.delivered_time or e.created_time):
        last[(e.index.patient.id, e.index.care_giver)] = e
    out = []
    for e in delivered:
        if e.event_id in missing:
            final = last[(e.index.patient.id, e.index.care_giver)]
            if final.index.most_recent_content < e.index.most_recent_content:
                out.append(e.event_id)
    return out


def outbox_report(s: System, since: datetime, stored: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """Once the outbox has drained: every event delivered, in the index, and the journal's imports."""
    assert s.index_url and s.journal_url and s.journal
    drained = wait_for_outbox(s.url, since)
    events = _run_events(s.url, since)
    index = EngagementStore(s.index_url)
    delivered = [e for e in events if e.state is EventState.DELIVERED]
    not_in_index = [e.event_id for e in delivered if not in_index(index, e)]
    index.engine.dispose()
    of_journal = {e.index.order_id for e in delivered if e.index.care_giver == demo.CARE_GIVER_A}
    expected = Counter(o for o, _v in stored if o in of_journal)
    journal = JournalStore(s.journal_url)
    deadline = time.monotonic() + 120  # the index notifies in the background; the journal then asks
    while True:
        check = journal_check(expected, journal.entries())
        if not check["missing"] or time.monotonic() > deadline:
            break
        time.sleep(1)
    still_pending = len(journal.pending())  # fetches that failed and wait to be tried again
    journal.engine.dispose()
    delays = sorted((e.delivered_time - e.created_time).total_seconds() for e in delivered if e.delivered_time)
    journal_log = s.journal.log.read_text(errors="replace")
    index_log = s.index.log.read_text(errors="replace") if s.index else ""
    return {
        "drained_after_s": drained, "events": len(events), "delivered": len(delivered),
        "pending": sum(e.state is EventState.PENDING for e in events),
        "parked": sum(e.state is EventState.PARKED for e in events),
        "delivered_after_attempts": dict(Counter(str(e.attempts) for e in delivered)),
        "delivery_p50_s": round(delays[len(delays) // 2], 2) if delays else None,
        "delivery_max_s": round(delays[-1], 2) if delays else None,
        "not_in_index": not_in_index[:20], "not_in_index_count": len(not_in_index),
        "not_in_index_overwritten_by_an_older_update": len(overwritten(delivered, set(not_in_index))),
        "journal": check, "journal_imports": journal_imports(journal_log),
        "journal_fetches_failed": journal_log.count("GetLaboratoryOrderOutcome at"),
        "journal_fetches_pending": still_pending,
        "index_notifications_failed": index_log.count("ProcessNotification to"),
    }


def faults(rate: float, seconds: float, orders: int = 10_000) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="eph-faults-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, folder, True)
        cluster = stack.enter_context(own_cluster())
        url = cluster.database("eph_faults")
        status_orders = int(2.2 * seconds * rate * load.DEFAULT_MIX["status"]) + 200
        s = stack.enter_context(system(url, orders, status_orders, folder, index_push=True))
        if len(s.data.result_orders) < 2 * seconds * rate * load.DEFAULT_MIX["result"] * 1.5:
            raise RuntimeError("too few orders to report results on for this rate and length; seed more (--orders)")
        warm_up(s)
        since = datetime.now(UTC) - timedelta(seconds=1)
        mix = load.Mix(s.data, load.DEFAULT_MIX, result_rounds=False)
        report: dict[str, Any] = {"rate": rate, "seconds": seconds, "orders": orders,
                                  "when": datetime.now(UTC).isoformat(), "cores": os.cpu_count()}

        report["loadavg_start"] = os.getloadavg()[0]
        kill = load.drive(s.platform.url, mix, rate, seconds, servers=s.servers, memory_every=5,
                          events=[load.Event("SIGKILL a service worker", seconds / 3, kill_a_worker(s))])
        report["worker_kill"] = worker_kill_report(kill)
        report["worker_kill_run"] = figures.run_dict(kill, max(1.0, seconds / 10))
        time.sleep(2)
        restart = load.drive(s.platform.url, mix, rate, seconds, servers=s.servers, memory_every=5,
                             events=[load.Event("pg_ctl restart -m fast", seconds / 3,
                                                restart_database(cluster, s))])
        report["database_restart"] = restart_report(restart, s)
        report["database_restart_run"] = figures.run_dict(restart, max(1.0, seconds / 10))

        calls = kill.calls + restart.calls
        retries = retry_writes(s, mix, calls)
        accounting = figures.account(url, calls + retries, since)
        for kind in ("result", "status"):
            accounting[kind]["asked"] = len({c.key for c in calls if c.kind == kind})
        accounting["retries"] = len(retries)
        accounting["retries_outcomes"] = figures.outcomes(retries)
        accounting["retries_not_good"] = sum(not c.good for c in retries)
        report["accounting"] = accounting
        results_asked = [c.key.split("#")[0] for c in calls if c.kind == "result" and c.key]
        report["outbox"] = outbox_report(s, since, figures.stored_results(url, results_asked, since))
        logs = s.service.log.read_text(errors="replace")
        report["service_log_storage_unavailable_lines"] = logs.count("storage unavailable")
        report["service_log_errors"] = [line[:400] for line in logs.splitlines() if '"level":"ERROR"' in line][:20]
        report["loadavg_end"] = os.getloadavg()[0]
        report["pg_version"] = subprocess.run([str(cluster.bin / "pg_ctl"), "--version"], capture_output=True,
                                              text=True).stdout.strip()
        return report


def _counts(outcomes: dict[str, dict[str, int]]) -> str:
    return "; ".join(f"{kind}: " + ", ".join(f"{o} {n}" for o, n in v.items()) for kind, v in outcomes.items()) or "none"


def _after_s(seconds: float | None, what: str) -> str:
    if seconds is None:
        return "none"
    return f"{seconds:.2f} s after {what}" if seconds >= 0 else f"{-seconds:.2f} s before {what}"


def markdown(report: dict[str, Any]) -> str:
    k, r, a = report["worker_kill"], report["database_restart"], report["accounting"]
    kr, rr = report["worker_kill_run"], report["database_restart_run"]
    late = k["failed_not_in_flight_sent_after_kill_ms"]
    lines = [
        f"_Measured {report['when'][:10]} on {report['cores']} cores: two runs of {report['seconds']:g} s at "
        f"{report['rate']:g} calls/s, the fault a third of the way in ({report['pg_version']}; the machine's load "
        f"average {report['loadavg_start']:.1f} at the start, {report['loadavg_end']:.1f} at the end), `make faults`._",
        "",
        f"- **A service worker killed** (SIGKILL) at {k['kill_at_s']:.1f} s: {k['in_flight']} calls in flight "
        f"(on either worker), {k['failed']} failed"
        + (f" ({_counts(k['failed_outcomes'])}), {k['failed_not_in_flight']} of them sent after the kill "
           f"({', '.join(f'{ms:g}' for ms in late)} ms after it)" if k["failed"] else "")
        + f"; the first call sent after the kill succeeded {_after_s(k['first_success_after_kill_s'], 'the kill')}"
        + (f", the last failure ended {_after_s(k['last_failure_after_kill_s'], 'the kill')}" if k["failed"] else "")
        + f"; the new worker was listed {_after_s(k['replacement_listed_after_s'], 'the kill')}. The run: "
        f"{kr['good']} of {kr['calls']} calls as expected, p99 {kr['latency']['p99_ms']:.0f} ms.",
        f"- **The database restarted** (pg_ctl restart -m fast took {r['pg_ctl_seconds']:.2f} s) at "
        f"{r['restart_at_s']:.1f} s: {r['failed']} calls failed, {r['unavailable']} with the service's "
        f"\"temporarily unavailable\" fault and {r['failed_otherwise']} otherwise; the first write after the database "
        f"was back succeeded {_after_s(r['first_write_ok_after_back_s'], 'pg_ctl returned')}, the last failure ended "
        f"{_after_s(r['last_failure_after_back_s'], 'it')}; the service's processes were the same before and after: "
        f"{'yes' if r['service_processes_same'] else 'no'}. The run: {rr['good']} of {rr['calls']} calls as "
        f"expected, p99 {rr['latency']['p99_ms']:.0f} ms.",
        f"- **Accounting**: {a['retries']} writes without an OK or INFO answer sent again ({_counts(a['retries_outcomes'])}); "
        f"results: {a['result']['asked']} versions asked for, {a['result']['answered_ok']} answered OK, "
        f"{a['result']['answered_info']} INFO (stored by an attempt whose answer was lost), "
        f"{a['result']['stored']} stored; status steps: {a['status']['asked']} asked for, "
        f"{a['status']['answered_ok']} OK, {a['status']['answered_info']} INFO, {a['status']['stored']} stored.",
        *([outbox_markdown(report["outbox"])] if report.get("outbox") else []),
        "",
        *[f"- {'met' if ok else '**not met**'}: {what}" for what, ok in verdicts(report)],
    ]
    return "\n".join(lines)


def outbox_markdown(o: dict[str, Any]) -> str:
    j, imports = o["journal"], o["journal_imports"]
    attempts = ", ".join(f"{n} after {a} attempt{'s' if a != '1' else ''}"
                         for a, n in sorted(o["delivered_after_attempts"].items(), key=lambda kv: int(kv[0])))
    return (f"- **The outbox** (index push on, to the index stand-in, which notifies the journal system): "
            f"{o['events']} index updates committed in the two runs; after the accounting the outbox drained in "
            + (f"{o['drained_after_s']:g} s" if o["drained_after_s"] is not None else "more than the time allowed")
            + f": {o['delivered']} delivered ({attempts or 'none'}), {o['pending']} pending, {o['parked']} parked; "
            f"from written to delivered p50 {o['delivery_p50_s']} s, the slowest {o['delivery_max_s']} s. "
            f"The index holds {o['delivered'] - o['not_in_index_count']} of them"
            + (f" ({o['not_in_index_overwritten_by_an_older_update']} of the others overwritten by an older update "
               "of the same engagement delivered after them)" if o["not_in_index_count"] else "")
            + f"; its notifications that failed: {o.get('index_notifications_failed', 0)}. The journal (care giver A's "
            f"results, {j['expected']} orders): {j['imported']} imported, {len(j['missing'])} missing, "
            f"{len(j['more_than_one_entry'])} with more than one entry, {len(j['versions_differ'])} whose versions "
            f"differ from those stored; its imports added up to "
            + (", ".join(f"{k} {n}" for k, n in sorted(imports.items())) or "nothing")
            + f"; its calls for the results that failed: {o.get('journal_fetches_failed', 0)}, still waiting to be "
            f"tried again: {o.get('journal_fetches_pending', 0)}.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100, help="calls/s")
    parser.add_argument("--seconds", type=float, default=30, help="length of each run (one per fault)")
    parser.add_argument("--orders", type=int, default=20_000, help="bulk orders")
    parser.add_argument("--output", default=str(ROOT / "bench-results" / "faults.json"))
    parser.add_argument("--docs", nargs="?", const=str(SOAK_DOC), metavar="FILE",
                        help="write the section between the faults markers of docs/soak.md (or FILE)")
    parser.add_argument("--from-json", help="no run: the report of an earlier run's JSON")
    args = parser.parse_args()
    out = Path(args.output)
    if args.from_json:
        report = json.loads(Path(args.from_json).read_text())
    else:
        print(f"make faults: {args.seconds:g} s at {args.rate:g} calls/s per fault, on a PostgreSQL cluster of its own",
              flush=True)
        report = faults(args.rate, args.seconds, args.orders)
        figures.write_json(out, report)
    publish(out, markdown(report), (Path(args.docs), FAULTS_START, FAULTS_END) if args.docs else None)
    return 0 if all(ok for _, ok in verdicts(report)) else 1


if __name__ == "__main__":
    sys.exit(main())
