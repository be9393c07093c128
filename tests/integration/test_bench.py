"""`make bench` itself, in a run of a few seconds a case: it starts every server, measures every
case, answers every call as expected, records where the CPU went, and reports each target
with the figure measured (whether or not this small run meets it); with --docs the tables go
between the bench markers of the performance document, the charts beside it."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT


def test_a_short_bench_run_measures_every_case_and_reports_the_targets(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    doc = tmp_path / "docs" / "performance.md"  # a copy of docs/performance.md, which the run rewrites
    doc.parent.mkdir()
    shutil.copy(ROOT / "docs" / "performance.md", doc)
    done = subprocess.run(
        # enough orders that no order gets two result versions in flight at once (a later version
        # overtaking an earlier one is refused, as it should be, and would count as an error)
        [sys.executable, "-m", "tools.bench.run", "--seconds", "1", "--orders", "3000", "--no-sqlite",
         "--sizes", "300,600", "--no-scaleout", "--release-rate", "20", "--release-seconds", "3",
         "--outbox-seconds", "1", "--outbox-pairs", "3", "--output", str(out),
         "--docs", str(doc)],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    cases = report["results"]
    for kind in ("GetOrders by lab, paged (10 a page)", "GetOrders by patient", "GetOrders by referral code",
                 "SetResult", "CreateOrder (self-service home kit)"):
        for how in ("direct", "routed"):
            case = cases[f"postgresql: {kind}, {how}"]
            assert case["peak"]["rps"] > 0, (kind, how)
            assert case["peak"]["requests"] > 0, (kind, how)
            assert case["peak"]["errors"] == 0, (kind, how)
            assert case["single"]["errors"] == 0, (kind, how)
            assert case["peak"]["cpu_ms"]["service"] > 0, (kind, how)  # the service did the work
            if how == "routed":
                assert case["peak"]["cpu_ms"]["platform"] > 0, kind
    assert cases["postgresql: GetOrders by lab, paged (10 a page), routed"]["half"]["rps"] > 0
    # what the router adds: pairs of single-connection runs taken in turn, their median the figure
    for kind in ("GetOrders by lab, paged (10 a page)", "GetOrders by patient", "GetOrders by referral code"):
        adds = cases[f"postgresql: {kind}, routed"]["router_adds_ms"]
        assert len(adds) == 3, kind
        figure = next(t for t in report["targets"] if t["target"].startswith(f"{kind}: the router adds"))["measured"]
        assert figure == sorted(adds)[1], kind
    for limit in ("canned lxml, plain HTTP", "canned lxml, TLS hop", "router over a canned producer"):
        assert cases[limit]["peak"]["rps"] > 0, limit
    assert [g["orders"] for g in report["scale"]] == [300, 600]
    for grown in report["scale"]:  # (with a few hundred rows a whole-table read is the planner's right choice;
        # tests/integration/test_query_plans.py asserts the plans at a realistic size)
        assert len(grown["plans"]) == 6, grown["plans"]
        assert all(plan["index"] for plan in grown["plans"].values()), grown["plans"]
        assert grown["loads"]["by lab, paged"]["peak"]["rps"] > 0
        assert grown["loads"]["by patient"]["peak"]["rps"] > 0
    # the outbox: three runs with events and three without, and the release run's events all delivered
    outbox = report["outbox"]
    assert sorted(r["events_on"] for r in outbox["runs"]) == [False, False, False, True, True, True]
    assert outbox["cost_ratio"] > 0
    assert outbox["released_events"] > 0
    assert outbox["delivered"] == outbox["released_events"]
    assert outbox["release_p99_ms"] is not None
    targets = {t["target"]: t for t in report["targets"]}
    assert any(name.startswith("routed GetOrders by lab") for name in targets)
    assert all(t["measured"] is not None for t in targets.values()), targets
    assert all(t["met"] == (t["measured"] >= t["goal"] if t["higher_is_better"] else t["measured"] <= t["goal"])
               for t in targets.values())
    # each target's direction: a rate or a ratio of rates higher, a time or a count lower
    assert all(t["higher_is_better"] == ("calls/s" in name or "/ canned" in name or "routed / direct" in name
                                         or "ratio" in name or "releases/s sent" in name)
               for name, t in targets.items())
    assert targets["calls not answered as expected (all cases: faults, refused writes, socket errors)"]["met"]
    # the tables between the markers of the performance document (the text around them kept), the
    # charts linked relative to it, in bench/ beside it
    before, rest = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8").split("<!-- bench:start -->")
    after = rest.split("<!-- bench:end -->")[1]
    written = doc.read_text(encoding="utf-8")
    assert written.startswith(before + "<!-- bench:start -->\n_Measured ")
    assert written.endswith("<!-- bench:end -->" + after)
    block = written[len(before):-len(after)]
    assert "| postgresql: GetOrders by lab, paged (10 a page), routed |" in block
    assert "| 600 |" in block
    assert "calls not answered as expected" in block
    assert "The outbox: routed SetResult" in block
    links = ["bench/postgresql--getorders-by-lab--paged--10-a-page.png", "bench/postgresql--getorders-by-patient.png",
             "bench/postgresql--setresult.png"]
    assert all(f"]({link})" in block for link in links), block
    if importlib.util.find_spec("matplotlib"):  # make bench installs it; make test does not
        assert all((doc.parent / link).exists() for link in links)
