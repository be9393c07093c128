"""What the benchmarks are made of: wrk runs with Lua scripts, the servers as `make serve` runs
them, HAProxy for the mutual-TLS hop a load generator cannot make itself, a canned WSGI app.

wrk has no client certificates, so calls "direct" to the service go through HAProxy on
loopback, which shows the platform's certificate to the service (as the platform does); the
canned app is measured behind the same hop, so a ratio compares like with like.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text

from contracts.interactions import GET_ORDERS
from eph.devpki import DevPki
from tests.support import ROOT, free_port, soap_envelope, wait_for_port

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Load:
    """One wrk run."""

    connections: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx answers, socket errors, and answers without the expected text
    # CPU time per call (ms) of each watched group of processes during the run, and of wrk
    cpu_ms: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ms(text: str, label: str) -> float:
    m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", text)
    if m is None:
        raise RuntimeError(f"wrk printed no {label}:\n{text}")
    return float(m.group(1)) * UNITS_MS[m.group(2)]


# groups of processes whose CPU time each wrk run reports, e.g. {"service": server.pids}
WATCH: dict[str, Callable[[], list[int]]] = {}
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes (all their threads), from /proc."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def pids_named(command: str) -> list[int]:
    """Every process of that command on the machine, e.g. every PostgreSQL server process (the
    bench's databases are the only load on the cluster while it runs)."""
    found = subprocess.run(["pgrep", "-x", command], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


def wrk(url: str, script: Path, connections: int, seconds: float, threads: int = 2) -> Load:
    threads = max(1, min(threads, connections, THREADS))
    groups = {name: pids() for name, pids in WATCH.items()}
    before = {name: cpu_seconds(pids) for name, pids in groups.items()}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "30s",
         "-s", str(script), url],
        capture_output=True, text=True,
    )
    if run.returncode:
        raise RuntimeError(f"wrk failed: {run.stderr or run.stdout}")
    out = run.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if rps is None or total is None:
        raise RuntimeError(out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    unexpected = re.search(r"Unexpected answers: (\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    if sockets:
        errors += sum(int(g) for g in sockets.groups())
    if unexpected:
        errors += int(unexpected.group(1))
    calls = max(1, int(total.group(1)))
    cpu = {name: (cpu_seconds(pids) - before[name]) * 1000 / calls for name, pids in groups.items()}
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu["wrk"] = (after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime) * 1000 / calls
    return Load(connections, seconds, float(rps.group(1)), _ms(out, "50%"), _ms(out, "90%"), _ms(out, "99%"),
                int(total.group(1)), errors, cpu)


THREADS = 2  # wrk threads (the machine has two cores)


def lua_script(folder: Path, name: str, template: bytes, headers: dict[str, str],
               values: dict[str, list[str]] | None = None, *, versions: bool = False,
               version_base: int = 0, rate: float | None = None, connections: int = 1,
               expect: str | None = None) -> Path:
    """A wrk script that POSTs ``template`` with each ``{KEY}`` replaced by the next of
    ``values[KEY]`` (the wrk threads take turns through the lists, so no two requests of a run
    are alike while the lists last); with ``versions``, ``{VERSION}`` counts the rounds through
    the lists (from ``version_base`` + 1). With ``rate`` (calls/s in all) each of the ``connections`` waits between
    its calls to keep to it. With ``expect``, a 200 answer that does not contain that text (a
    write answered with an error ResultType) is counted as unexpected."""
    values = values or {}
    lines = [f"local template = [=[{template.decode()}]=]", "local lists = {}"]
    for key, items in values.items():
        path = folder / f"{name}-{key}.txt"
        path.write_text("\n".join(items) + "\n")
        lines.append(f'lists["{key}"] = {{}}; for l in io.lines("{path}") do table.insert(lists["{key}"], l) end')
    lines += [
        "local counter = 0",
        "local threads = {}",
        "function setup(thread) counter = counter + 1; thread:set('id', counter); table.insert(threads, thread) end",
        "unexpected = 0",
        'local headers = {["Content-Type"] = "text/xml; charset=utf-8"}',
        *[f'headers["{k}"] = "{v}"' for k, v in headers.items()],
        "local i = 0",
        "function init(args) i = tonumber(id) - 1 end",
        "function request()",
        "  local body = template",
        "  local round = 1",
        *[f'  do local l = lists["{key}"]; round = math.floor(i / #l) + 1; '
          f'body = string.gsub(body, "{{{key}}}", (string.gsub(l[i % #l + 1], "%%", "%%%%"))) end'
          for key in values],
        *([f'  body = string.gsub(body, "{{VERSION}}", tostring({version_base} + round))'] if versions else []),
        f"  i = i + {THREADS}",
        '  return wrk.format("POST", nil, headers, body)',
        "end",
    ]
    if expect:
        lines += [
            "function response(status, headers, body)",
            f'  if status == 200 and not string.find(body, "{expect}", 1, true) then unexpected = unexpected + 1 end',
            "end",
            "function done(summary, latency, requests)",
            "  local n = 0",
            "  for _, t in ipairs(threads) do n = n + t:get('unexpected') end",
            '  io.write(string.format("Unexpected answers: %d\\n", n))',
            "end",
        ]
    if rate:
        lines.append(f"function delay() return {1000.0 * connections / rate:.3f} end")
    script = folder / (f"{name}-at{rate:.0f}.lua" if rate else f"{name}.lua")
    script.write_text("\n".join(lines) + "\n")
    return script


# ------------------------------------------------------------------ data

POSTGRES_ADMIN = os.environ.get("EPH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def new_postgres_database() -> tuple[str, Callable[[], None]]:
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"eph_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def prepare(url: str, orders: int, env: dict[str, str]) -> None:
    """Migrate, load the demo data and add ``orders`` bulk orders, as an operator would."""
    for args in (["eph", "db", "upgrade"], ["eph", "seed-demo"], ["tools.bench.seed", "--orders", str(orders)]):
        subprocess.run([sys.executable, "-m", *args], env={**os.environ, **env, "EPH_DATABASE_URL": url},
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def get_orders(inner: str) -> bytes:
    return soap_envelope(f'<g:GetOrders xmlns:g="{GET_ORDERS.responder_ns}">{inner}</g:GetOrders>')


# ------------------------------------------------------------------ processes


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def pids(self) -> list[int]:
        """The server's master and its workers."""
        found = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout.split()
        return [self.proc.pid, *map(int, found)]


def start(name: str, args: list[str], env: dict[str, str], folder: Path, port: int, ready: str | None = None) -> Server:
    log = folder / f"{name}.log"
    proc = subprocess.Popen([sys.executable, *args], env={**os.environ, **env}, cwd=ROOT,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    wait_for_port(port, proc, timeout=60)
    if ready:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(ready, timeout=2, verify=False).status_code < 500:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{name} did not come up (see {log})")
            time.sleep(0.1)
    return Server(name, port, proc, log)


@contextmanager
def haproxy_tls_hop(pki: DevPki, target_port: int, folder: Path) -> Iterator[int]:
    """A plain-HTTP port on loopback that forwards to the TLS service port, showing the platform's
    client certificate (wrk cannot), keeping connections to the service alive."""
    if not shutil.which("haproxy"):
        raise RuntimeError("haproxy is needed (make bench installs it)")
    bundle = folder / "platform-bundle.pem"
    bundle.write_text(pki.platform.cert.read_text() + pki.platform.key.read_text())
    port = free_port()
    config = folder / f"haproxy-{target_port}.cfg"
    config.write_text(f"""global
    maxconn 2000
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    http-reuse always
frontend plain
    bind 127.0.0.1:{port}
    default_backend service
backend service
    server s1 127.0.0.1:{target_port} ssl crt {bundle} ca-file {pki.ca.cert} verify required
""")
    proc = subprocess.Popen(["haproxy", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc, timeout=30)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def bench_pki() -> DevPki:
    pki = DevPki(Path(tempfile.mkdtemp(prefix="eph-bench-pki-")))
    pki.ensure()
    return pki


def rss_kib(pids: list[int]) -> dict[int, int]:
    """Resident memory of each process (KiB), from /proc."""
    out = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[pid] = int(line.split()[1])
        except OSError:
            continue
    return out
