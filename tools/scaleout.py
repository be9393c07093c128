"""Scale-out on one machine: several service nodes and several platform nodes on one
PostgreSQL database, behind HAProxy, all on loopback (``make scaleout``, ``python -m tools.scaleout``).

The topology (default ports)::

    systems --HTTP--> HAProxy :8180 (mode http) --> platform-1 :8192, platform-2 :8193
    platform nodes --mutual TLS--> HAProxy :8181 (mode tcp) --> service-1 :8190, service-2 :8191
    all nodes --> one PostgreSQL database

HAProxy passes the TLS connections to the service nodes through untouched (TCP mode), so
the service still sees the platform's own client certificate: every service node uses the
same server certificate and trusts the same CA, and every platform node shows the same
platform certificate. The routing catalogue routes the service's contracts to HAProxy's
service port, so a platform node reaches whichever service node HAProxy picks.

What the nodes share only through the database: orders and results (any node reads what
another wrote), catalogue reloads (``routing.state``: a reload asked of one platform node
records a new reload generation, and the other nodes follow within about a second) and
housekeeping (``eph.housekeeping``: the database lease lets one process of all service
nodes do a round at a time). Each platform node keeps its own local copy of the catalogue.

A node that exits is reported and the others go on (HAProxy's health checks take it out of
rotation); Ctrl-C or SIGTERM stops them all. ``nodes.json`` in the folder lists the nodes,
their ports, process ids and log files once all are up.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eph.cli.data import cmd_seed_demo
from eph.config import Settings
from eph.devpki import DevPki
from eph.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Topology:
    services: int = 2
    platforms: int = 2
    host: str = "127.0.0.1"
    platform_port: int = 8180  # HAProxy in front of the platform nodes (plain HTTP, as `eph serve platform`)
    service_port: int = 8181  # HAProxy in front of the service nodes (TLS passed through)
    stats_port: int | None = 8189  # HAProxy's statistics page (None: none)
    # the nodes' own ports, service nodes first; default: consecutive from first_node_port
    node_ports: tuple[int, ...] = ()
    first_node_port: int = 8190
    folder: Path = Path("var/scaleout")

    def __post_init__(self) -> None:
        # the nodes run in the repository (cwd=ROOT): a relative folder means the same place for
        # this process, HAProxy and every node, wherever the command was started
        object.__setattr__(self, "folder", self.folder.resolve())
        if self.services < 1 or self.platforms < 1:
            raise ValueError("at least one service node and one platform node")
        if self.node_ports and len(self.node_ports) != self.services + self.platforms:
            raise ValueError(f"{self.services + self.platforms} node ports needed, {len(self.node_ports)} given")

    def ports(self) -> tuple[int, ...]:
        return self.node_ports or tuple(range(self.first_node_port, self.first_node_port + self.services + self.platforms))

    @property
    def platform_url(self) -> str:
        return f"http://{self.host}:{self.platform_port}"

    @property
    def service_url(self) -> str:
        return f"https://{self.host}:{self.service_port}"


@dataclass
class Node:
    name: str  # service-1, platform-2, haproxy
    role: str  # service, platform, haproxy
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "port": self.port, "pid": self.pid, "log": str(self.log)}


def haproxy_config(topology: Topology, services: list[Node], platforms: list[Node]) -> str:
    """HAProxy in front of both kinds of node: HTTP load balancing for the platform nodes (checked
    with GET /status), TCP for the service nodes (the TLS session is the platform node's own)."""
    host = topology.host
    lines = [
        "global",
        "    maxconn 4096",
        "defaults",
        "    timeout connect 5s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout check 2s",
        # a node that stopped and is not yet marked down: the connection goes to another node
        "    retries 2",
        "    option redispatch",
        "frontend platform",
        "    mode http",
        f"    bind {host}:{topology.platform_port}",
        "    default_backend platform_nodes",
        "backend platform_nodes",
        "    mode http",
        "    balance roundrobin",
        "    option httpchk GET /status",
        "    http-reuse safe",
        *[f"    server {n.name} {host}:{n.port} check inter 1s fall 2 rise 1" for n in platforms],
        "frontend service",
        "    mode tcp",
        f"    bind {host}:{topology.service_port}",
        "    default_backend service_nodes",
        "backend service_nodes",
        "    mode tcp",
        "    balance leastconn",
        *[f"    server {n.name} {host}:{n.port} check inter 1s fall 2 rise 1" for n in services],
    ]
    if topology.stats_port:
        lines += [
            "frontend stats",
            "    mode http",
            f"    bind {host}:{topology.stats_port}",
            "    stats enable",
            "    stats uri /",
            "    stats refresh 5s",
        ]
    return "\n".join(lines) + "\n"


def _wait_for(check: Any, what: str, timeout: float, procs: list[Node]) -> None:
    deadline = time.monotonic() + timeout
    while True:
        for node in procs:
            if not node.alive():
                raise RuntimeError(f"{node.name} exited while starting (see {node.log})")
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come up within {timeout:.0f} s")
        time.sleep(0.1)


def _status_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/status", timeout=2) as r:
            return bool(r.status == 200)
    except urllib.error.HTTPError:
        return False


class ScaleOut:
    """Starts, watches and stops the nodes and HAProxy. ``env`` adds settings for every node
    (e.g. ``EPH_HOUSEKEEPING_SECONDS``); the database is ``database_url`` and the certificates
    those of the development PKI in ``certs_dir`` (made if missing)."""

    def __init__(self, topology: Topology, database_url: str, certs_dir: Path,
                 env: dict[str, str] | None = None) -> None:
        self.topology = topology
        self.database_url = database_url
        self.certs_dir = certs_dir.resolve()
        self.env = env or {}
        folder = topology.folder
        ports = topology.ports()
        self.services = [Node(f"service-{i + 1}", "service", ports[i], folder / f"service-{i + 1}.log")
                         for i in range(topology.services)]
        self.platforms = [Node(f"platform-{i + 1}", "platform", ports[topology.services + i],
                               folder / f"platform-{i + 1}.log") for i in range(topology.platforms)]
        self.haproxy = Node("haproxy", "haproxy", topology.platform_port, folder / "haproxy.log")

    @property
    def nodes(self) -> list[Node]:
        return [*self.services, *self.platforms, self.haproxy]

    def _node_env(self, node: Node) -> dict[str, str]:
        t = self.topology
        env = {**os.environ, "EPH_DATABASE_URL": self.database_url, "EPH_CERTS_DIR": str(self.certs_dir), **self.env}
        if node.role == "service":
            # the service's WSDLs name the address the platform nodes reach it at
            env["EPH_PUBLIC_BASE_URL"] = t.service_url
        else:
            env["EPH_VP_PUBLIC_URL"] = t.platform_url
            env["EPH_VP_LOCAL_COPY"] = str((t.folder / node.name / "tak-local-copy.json").resolve())
        return env

    def _spawn(self, node: Node, args: list[str], env: dict[str, str]) -> None:
        node.log.parent.mkdir(parents=True, exist_ok=True)
        with open(node.log, "ab") as log:
            node.proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)

    def start(self, timeout: float = 90) -> None:
        if not shutil.which("haproxy"):
            raise RuntimeError("haproxy is needed (Debian: apt-get install haproxy)")
        t = self.topology
        t.folder.mkdir(parents=True, exist_ok=True)
        pki = DevPki(self.certs_dir)
        pki.ensure()  # once, before the nodes that use it start
        try:
            for node in [*self.services, *self.platforms]:
                self._spawn(node, [sys.executable, "-m", "eph", "serve", node.role, "--bind", f"{t.host}:{node.port}"],
                            self._node_env(node))
            for node in self.services:
                _wait_for(lambda n=node: self._service_ready(n.port), node.name, timeout, self.nodes[:-1])
            for node in self.platforms:
                _wait_for(lambda n=node: _status_ok(f"http://{t.host}:{n.port}"), node.name, timeout, self.nodes[:-1])
            config = t.folder / "haproxy.cfg"
            config.write_text(haproxy_config(t, self.services, self.platforms))
            self._spawn(self.haproxy, ["haproxy", "-db", "-f", str(config)], dict(os.environ))
            _wait_for(lambda: _status_ok(t.platform_url), "HAProxy in front of the platform", timeout, self.nodes)
            _wait_for(lambda: self._service_ready(t.service_port), "HAProxy in front of the service", timeout, self.nodes)
        except BaseException:
            self.stop()
            raise
        (t.folder / "nodes.json").write_text(json.dumps(self.describe(), indent=2) + "\n")

    def _service_ready(self, port: int) -> bool:
        """The service answers its WSDL over TLS, the platform's certificate shown (as a platform node calls)."""
        pki = DevPki(self.certs_dir)
        ctx = ssl.create_default_context(cafile=str(pki.ca.cert))
        ctx.load_cert_chain(str(pki.platform.cert), str(pki.platform.key))
        url = f"https://{self.topology.host}:{port}/eph/clinicalprocess/activity/selfsampling/GetOrders/1/rivtabp21?wsdl"
        try:
            with urllib.request.urlopen(url, timeout=2, context=ctx) as r:
                return bool(r.status == 200)
        except urllib.error.HTTPError:
            return False

    def describe(self) -> dict[str, Any]:
        t = self.topology
        return {
            "platform": t.platform_url,
            "service": t.service_url,
            "stats": f"http://{t.host}:{t.stats_port}/" if t.stats_port else None,
            "nodes": [n.as_dict() for n in self.nodes],
        }

    def wait(self) -> None:
        """Watch the nodes until SIGINT or SIGTERM; a node that exits is reported, the rest go on."""
        stopping: list[int] = []

        def stop(signum: int, _frame: Any) -> None:
            stopping.append(signum)

        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        reported: set[str] = set()
        try:
            while not stopping:
                for node in self.nodes:
                    if node.name not in reported and not node.alive():
                        reported.add(node.name)
                        code = node.proc.returncode if node.proc else None
                        print(f"{node.name} exited ({code}); see {node.log}", flush=True)
                if len(reported) == len(self.nodes):
                    print("every node has exited", flush=True)
                    return
                time.sleep(0.5)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def stop(self, timeout: float = 20) -> None:
        """Stop HAProxy first (no new calls), then the platform nodes, then the service nodes."""
        for group in ([self.haproxy], self.platforms, self.services):
            for node in group:
                if node.alive():
                    assert node.proc is not None
                    node.proc.terminate()
            for node in group:
                if node.proc is None:
                    continue
                try:
                    node.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    node.proc.kill()
                    node.proc.wait()


def catalogue_problems(database_url: str, topology: Topology, logical_address: str) -> list[str]:
    """Routings of the service's logical address that do not lead to HAProxy's service port."""
    from routing import store
    from service_domain.persistence.database import Database

    db = Database(database_url)
    try:
        with db.engine.connect() as conn:
            cat = store.load(conn)
    finally:
        db.dispose()
    if cat is None:
        return ["the database holds no routing catalogue"]
    addresses = {a.id for a in cat.logical_addresses if a.hsa_id.lower() == logical_address.lower()}
    urls = {c.id: c.url for c in cat.call_addresses}
    front = topology.service_url + "/"
    elsewhere = sorted({urls[r.call_address_id] for r in cat.routings
                        if r.logical_address_id in addresses and not urls[r.call_address_id].startswith(front)})
    return [f"a routing of {logical_address} leads to {url}, not through HAProxy ({front})" for url in elsewhere[:5]]


def run(topology: Topology, database_url: str, certs_dir: Path, env: dict[str, str] | None = None) -> int:
    """Start the nodes and HAProxy, print where they are, and run until Ctrl-C."""
    scale = ScaleOut(topology, database_url, certs_dir, env)
    print(f"starting {topology.services} service node(s), {topology.platforms} platform node(s) and HAProxy "
          f"(logs in {topology.folder})", flush=True)
    try:
        scale.start()
    except (RuntimeError, TimeoutError) as e:
        print(f"scale-out did not start: {e}", file=sys.stderr)
        return 1
    try:
        for node in scale.nodes:
            print(f"  {node.name:<11} pid {node.pid:<8} port {node.port}", flush=True)
        print(f"systems call the platform at {topology.platform_url}/vp/...; the platform nodes reach the service at "
              f"{topology.service_url}" + (f"; HAProxy statistics at http://{topology.host}:{topology.stats_port}/"
                                          if topology.stats_port else ""), flush=True)
        print(f"reload the catalogue on all platform nodes: eph tak reload --platform {topology.platform_url}", flush=True)
        print("Ctrl-C stops them all", flush=True)
        scale.wait()
    finally:
        print("stopping", flush=True)
        scale.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Migrate, load the demo data (routed through HAProxy) into an empty database, start the nodes."""
    parser = argparse.ArgumentParser(prog="python -m tools.scaleout",
                                     description="several service and platform nodes on PostgreSQL behind HAProxy "
                                                 "(docs/scaleout.md); the database is EPH_DATABASE_URL")
    parser.add_argument("--services", type=int, default=2, help="service nodes")
    parser.add_argument("--platforms", type=int, default=2, help="platform nodes")
    parser.add_argument("--platform-port", type=int, default=8180, help="HAProxy in front of the platform nodes")
    parser.add_argument("--service-port", type=int, default=8181, help="HAProxy in front of the service nodes (TLS)")
    parser.add_argument("--stats-port", type=int, default=8189, help="HAProxy's statistics page (0: none)")
    parser.add_argument("--first-node-port", type=int, default=8190, help="the nodes' ports count from here")
    parser.add_argument("--node-ports", help="or each node's port, comma-separated, service nodes first")
    parser.add_argument("--folder", default="var/scaleout", help="HAProxy's configuration, the logs, nodes.json")
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo data into an empty database")
    args = parser.parse_args(argv)
    settings = Settings()
    if not settings.database_url.startswith("postgresql"):
        print("scale-out needs PostgreSQL: set EPH_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/eph)",
              file=sys.stderr)
        return 2
    ports = tuple(int(p) for p in args.node_ports.split(",")) if args.node_ports else ()
    topology = Topology(services=args.services, platforms=args.platforms, platform_port=args.platform_port,
                        service_port=args.service_port, stats_port=args.stats_port or None,
                        node_ports=ports, first_node_port=args.first_node_port, folder=Path(args.folder))
    upgrade(settings.database_url)
    if not args.no_demo:
        front = replace(settings, service_bind=f"{topology.host}:{topology.service_port}")
        cmd_seed_demo(argparse.Namespace(if_empty=True), front)
    for problem in catalogue_problems(settings.database_url, topology, settings.logical_address):
        print(f"warning: {problem}", file=sys.stderr)
    return run(topology, settings.database_url, settings.certs_dir)


if __name__ == "__main__":
    sys.exit(main())
