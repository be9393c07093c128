"""``make mutation``: mutation testing of the rule modules against the fast tests.

Two kinds of mutant, one report:

1. mutmut (configured under ``[tool.mutmut]`` in pyproject.toml) mutates the code inside the
   rule modules' functions and runs the tests that reach each mutant.
2. The module-level tables, which mutmut leaves alone, are mutated here (tools/mutation/tables.py);
   each table mutant is loaded in place of its module (tools/mutation/hook.py) and the fast
   tests run against it until one fails.

A mutant is *killed* when a test fails (or the run times out, or the module no longer loads),
and *survives* when every test passes. Survivors judged equivalent (no behaviour changes; listed
with reasons in tools/mutation/equivalent.py) are left out of the score. The report gives, per
module, the mutants, the kills, the equivalents and the score; the survivors that are not
equivalent are listed with their change, and the run fails when the score is under the bar.

    python -m tools.mutation.run                 # everything, from a clean mutants/ folder
    python -m tools.mutation.run --reuse --reuse-tables   # the report again, nothing run
    python -m tools.mutation.run --tables-only access identity
    python -m tools.mutation.run staff manual_results     # mutmut and the tables of these two only
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tools.mutation.equivalent import EQUIVALENT_MUTMUT, EQUIVALENT_TABLES
from tools.mutation.tables import TableMutant, table_mutants, unchanged

ROOT = Path(__file__).resolve().parents[2]
RULE_MODULES = ("status", "release", "identity", "paging", "access", "ucum", "staff", "manual_results")
FAST_TESTS = ("tests/unit", "tests/service")
# the tests run first against a module's table mutants (the rest follow): most kills come quickly
FIRST_TESTS = {m: f"tests/unit/test_{m}.py" for m in RULE_MODULES}
TABLE_TIMEOUT = 300  # seconds for one run of the fast tests against a table mutant
KILLED = {"killed", "killed by the service tests", "timeout", "segfault", "caught by type check", "suspicious"}


@dataclass
class Tally:
    total: int = 0
    killed: int = 0
    equivalent: int = 0
    survivors: list[str] = field(default_factory=list)  # not equivalent, with what changed

    @property
    def score(self) -> float:
        counted = self.total - self.equivalent
        return 100.0 * self.killed / counted if counted else 100.0


def _python() -> str:
    return sys.executable


# -- mutmut ---------------------------------------------------------------------------------

def run_mutmut(children: int, modules: Iterable[str]) -> None:
    """mutmut over the named rule modules (all of them: mutmut's own run of everything)."""
    shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    mutmut = Path(_python()).with_name("mutmut")
    modules = list(modules)
    # mutmut matches the names it is given with fnmatch; without any it runs every mutant
    names = [] if set(modules) == set(RULE_MODULES) else [f"service_domain.{m}.*" for m in modules]
    # mutmut draws a progress line many times a second; keep only its last state
    proc = subprocess.run([str(mutmut), "run", "--max-children", str(children), *names], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tail = proc.stdout.replace("\r", "\n").strip().splitlines()[-3:]
    print("mutmut:", *tail, sep="\n  ")
    if proc.returncode != 0:
        raise SystemExit(f"mutmut run failed (exit {proc.returncode})")


def mutmut_statuses() -> dict[str, str]:
    mutmut = Path(_python()).with_name("mutmut")
    out = subprocess.run([str(mutmut), "results", "--all", "true"], cwd=ROOT, check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    statuses = {}
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name.startswith("service_domain."):
            statuses[name] = status
    return statuses


def mutmut_diff(name: str) -> str:
    mutmut = Path(_python()).with_name("mutmut")
    out = subprocess.run([str(mutmut), "show", name], cwd=ROOT, stdout=subprocess.PIPE, text=True).stdout
    changed = [line for line in out.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    return " | ".join(line.strip() for line in changed)


def recheck_with_fast_tests(names: list[str], jobs: int) -> dict[str, str]:
    """mutmut runs the unit tests only; a mutant they let through is run here against all the
    fast tests, in mutmut's copy of the project with the mutant switched on."""
    def one(name: str) -> str:
        env = dict(os.environ, MUTANT_UNDER_TEST=name, PYTHONDONTWRITEBYTECODE="1")
        try:
            proc = subprocess.run([_python(), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *FAST_TESTS],
                                  cwd=ROOT / "mutants", env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, timeout=TABLE_TIMEOUT)
        except subprocess.TimeoutExpired:
            return "timeout"
        status = {0: "survived", 5: "no tests"}.get(proc.returncode, "killed")
        print(f"  fast tests on {name}: {status}", flush=True)
        return status

    if not names:
        return {}
    print(f"mutmut survivors run against all the fast tests: {len(names)}")
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return dict(zip(names, pool.map(one, names), strict=True))


def _module_of(mutmut_name: str) -> str:
    return mutmut_name.split(".")[1]


# -- table mutants ----------------------------------------------------------------------------

def _pytest(mutant: TableMutant, source_file: str, *args: str) -> str:
    env = dict(os.environ, EPH_MUTANT_MODULE=mutant.module, EPH_MUTANT_SOURCE=source_file,
               PYTHONDONTWRITEBYTECODE="1")
    try:
        proc = subprocess.run(
            [_python(), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "tools.mutation.hook", *args],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=TABLE_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return "timeout"
    return {0: "survived", 5: "no tests"}.get(proc.returncode, "killed")


def run_table_mutant(mutant: TableMutant) -> str:
    """Killed or survived: first the module's own unit tests alone (they need no fixtures of the
    whole suite and start in a second), then, if the mutant got through, all the fast tests."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False, encoding="utf-8") as f:
        f.write(mutant.source)
        source_file = f.name
    try:
        first_tests = FIRST_TESTS[mutant.module.rsplit(".", 1)[-1]]
        if (ROOT / first_tests).exists():
            first = _pytest(mutant, source_file, "--noconftest", first_tests)
            if first != "survived":
                return first
        return _pytest(mutant, source_file, *FAST_TESTS)
    finally:
        os.unlink(source_file)


def run_tables(modules: Iterable[str], jobs: int) -> list[tuple[TableMutant, str]]:
    modules = list(modules)
    for name in modules:
        control = unchanged(f"service_domain.{name}")
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False, encoding="utf-8") as f:
            f.write(control.source)
        try:
            if _pytest(control, f.name, *FAST_TESTS) != "survived":
                raise SystemExit(f"{name}: the tests fail on the unchanged module loaded as a mutant; "
                                 "table mutants would be counted as killed for nothing")
        finally:
            os.unlink(f.name)
    mutants = [m for name in modules for m in table_mutants(f"service_domain.{name}")]
    print(f"table mutants: {len(mutants)}, {jobs} at a time")
    started = time.monotonic()
    done = Counter[str]()

    def run_one(mutant: TableMutant) -> str:
        status = run_table_mutant(mutant)
        done[status] += 1
        print(f"  {sum(done.values())}/{len(mutants)} {status}: {mutant.key}", flush=True)
        return status

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        statuses = list(pool.map(run_one, mutants))
    print(f"table mutants done in {time.monotonic() - started:.0f} s")
    return list(zip(mutants, statuses, strict=True))


def reuse_tables(modules: Iterable[str]) -> list[tuple[TableMutant, str]]:
    earlier = {r["mutant"]: r["status"] for r in json.loads((ROOT / "mutants" / "tables.json").read_text("utf-8"))}
    mutants = [m for name in modules for m in table_mutants(f"service_domain.{name}")]
    missing = [m.key for m in mutants if m.key not in earlier]
    if missing:
        raise SystemExit(f"{len(missing)} table mutants have no earlier result, e.g. {missing[0]}; run them")
    return [(m, earlier[m.key]) for m in mutants]


# -- report -----------------------------------------------------------------------------------

def report(mutmut: dict[str, str], tables: list[tuple[TableMutant, str]], modules: Iterable[str]) -> tuple[str, float]:
    code: dict[str, Tally] = {m: Tally() for m in modules}
    table: dict[str, Tally] = {m: Tally() for m in modules}
    stale: list[str] = []
    for name, status in sorted(mutmut.items()):
        module = _module_of(name)
        if module not in code:
            continue
        t = code[module]
        t.total += 1
        if status in KILLED:
            t.killed += 1
        elif name in EQUIVALENT_MUTMUT:
            expected, _reason = EQUIVALENT_MUTMUT[name]
            diff = mutmut_diff(name)
            if expected not in diff:
                stale.append(f"{name}: listed as equivalent for {expected!r}, but the mutant is now {diff!r}")
                t.survivors.append(f"{name} ({status}): {diff}")
            else:
                t.equivalent += 1
        else:
            t.survivors.append(f"{name} ({status}): {mutmut_diff(name)}")
    for mutant, status in tables:
        module = mutant.module.rsplit(".", 1)[-1]
        t = table[module]
        t.total += 1
        if status in KILLED:
            t.killed += 1
        elif mutant.key in EQUIVALENT_TABLES:
            t.equivalent += 1
        else:
            t.survivors.append(f"{mutant.key} ({status})")
    for name in EQUIVALENT_MUTMUT:
        if mutmut and name not in mutmut:
            stale.append(f"{name}: listed as equivalent, but mutmut made no such mutant")
    keys = {m.key for m, _ in tables}
    for key in EQUIVALENT_TABLES:
        if tables and key.split(":")[0] in table and key not in keys:
            stale.append(f"{key}: listed as equivalent, but no such table mutant was made")

    lines = ["| module | mutmut killed / total | of them by timeout, by service tests | tables killed / total "
             "| equivalent | score |",
             "| --- | --- | --- | --- | --- | --- |"]
    whole = Tally()
    for m in code:
        c, tb = code[m], table[m]
        both = Tally(c.total + tb.total, c.killed + tb.killed, c.equivalent + tb.equivalent)
        whole.total += both.total
        whole.killed += both.killed
        whole.equivalent += both.equivalent
        timeouts = sum(1 for n, st in mutmut.items() if _module_of(n) == m and st == "timeout")
        by_service = sum(1 for n, st in mutmut.items() if _module_of(n) == m and st == "killed by the service tests")
        lines.append(f"| {m} | {c.killed} / {c.total} | {timeouts}, {by_service} | {tb.killed} / {tb.total} | "
                     f"{both.equivalent} | {both.score:.1f} % |")
    lines.append(f"| all | | | | {whole.equivalent} | {whole.score:.1f} % ({whole.killed} of "
                 f"{whole.total - whole.equivalent}) |")
    survivors = [s for m in code for s in code[m].survivors + table[m].survivors]
    if survivors:
        lines += ["", f"Survivors not listed as equivalent ({len(survivors)}):", *(f"- {s}" for s in survivors)]
    if stale:
        lines += ["", "Stale entries in tools/mutation/equivalent.py:", *(f"- {s}" for s in stale)]
    return "\n".join(lines), whole.score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", default=list(RULE_MODULES), help="rule modules (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="processes for mutmut and the table mutants")
    parser.add_argument("--reuse", action="store_true",
                        help="report mutmut's results in mutants/ from an earlier run instead of running it")
    parser.add_argument("--tables-only", action="store_true", help="skip mutmut")
    parser.add_argument("--mutmut-only", action="store_true", help="skip the table mutants")
    parser.add_argument("--reuse-tables", action="store_true",
                        help="take the table mutants' results from the last run (mutants/tables.json)")
    parser.add_argument("--fail-under", type=float, default=95.0, help="the score the run must reach (percent)")
    args = parser.parse_args(argv)
    unknown = set(args.modules) - set(RULE_MODULES)
    if unknown:
        parser.error(f"not a rule module: {', '.join(sorted(unknown))}")

    statuses: dict[str, str] = {}
    if not args.tables_only:
        if not args.reuse:
            run_mutmut(args.jobs, args.modules)
        statuses = mutmut_statuses()
        print("mutmut:", dict(Counter(statuses.values())))
        survivors = [n for n, st in statuses.items() if st not in KILLED and _module_of(n) in args.modules]
        recheck_file = ROOT / "mutants" / "recheck.json"
        earlier = json.loads(recheck_file.read_text("utf-8")) if args.reuse and recheck_file.exists() else {}
        rechecked = {n: earlier[n] for n in survivors if n in earlier}
        rechecked.update(recheck_with_fast_tests([n for n in survivors if n not in earlier], args.jobs))
        recheck_file.write_text(json.dumps(rechecked, indent=1), encoding="utf-8")
        for name, status in rechecked.items():
            if status in KILLED:
                statuses[name] = "killed by the service tests"
    if args.mutmut_only:
        tables = []
    elif args.reuse_tables:
        tables = reuse_tables(args.modules)
    else:
        tables = run_tables(args.modules, args.jobs)
    text, score = report(statuses, tables, args.modules)
    print(text)
    out = ROOT / "mutants"
    out.mkdir(exist_ok=True)
    (out / "report.md").write_text(text + "\n", encoding="utf-8")
    (out / "tables.json").write_text(json.dumps(
        [{"mutant": m.key, "status": s} for m, s in tables], indent=1), encoding="utf-8")
    print(f"\nscore {score:.1f} % (bar {args.fail_under:.0f} %); report in mutants/report.md")
    return 0 if score >= args.fail_under else 1


if __name__ == "__main__":
    sys.exit(main())
