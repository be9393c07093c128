"""Scale-out: `make scaleout` (`python -m tools.scaleout`) starts two service nodes and two
platform nodes on one PostgreSQL database behind HAProxy. What one node writes another reads; a catalogue reload asked of one
platform node reaches the other; housekeeping runs in one process of all service nodes at a
time, and moves to the other node when its node stops.

The tests share one topology (started once for the module, as an operator starts it); the
last test stops a service node, so it stays last.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, select

from eph import demo
from service_domain.clock import SWEDISH_TZ
from service_domain.persistence.tables import service_lease
from tests.conftest import _new_postgres_database
from tests.fake_producer import OK_RESPONSE, FakeProducer
from tests.support import ROOT, Soap, free_port, patient, session_pki, soap_envelope

INSTANCE = "eph-vp-dev"  # the platform's instance id at its defaults (every node has it)
HOUSEKEEPING_SECONDS = 2


@dataclass
class Topology:
    proc: subprocess.Popen[bytes]
    folder: Path
    database_url: str
    env: dict[str, str]
    described: dict[str, Any]

    def node(self, name: str) -> dict[str, Any]:
        return next(n for n in self.described["nodes"] if n["name"] == name)

    def url(self, name: str) -> str:
        n = self.node(name)
        return f"{'https' if n['role'] == 'service' else 'http'}://127.0.0.1:{n['port']}"

    @property
    def front(self) -> str:
        return str(self.described["platform"])

    def eph(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "eph", *args], env=self.env, cwd=ROOT, capture_output=True,
                              text=True, timeout=60)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    databases = _new_postgres_database()
    url = next(databases)
    folder = Path(tmp_path_factory.mktemp("scaleout"))
    ports = [free_port() for _ in range(7)]
    env = {**os.environ, "EPH_DATABASE_URL": url, "EPH_CERTS_DIR": str(session_pki().folder),
           "EPH_HOUSEKEEPING_SECONDS": str(HOUSEKEEPING_SECONDS)}
    args = [sys.executable, "-m", "tools.scaleout", "--platform-port", str(ports[0]), "--service-port", str(ports[1]),
            "--stats-port", str(ports[2]), "--node-ports", ",".join(map(str, ports[3:])), "--folder", str(folder)]
    out = open(folder / "scaleout.out", "ab")
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    described = folder / "nodes.json"
    deadline = time.monotonic() + 150
    while not described.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("tools.scaleout did not come up:\n" + (folder / "scaleout.out").read_text())
        time.sleep(0.2)
    t = Topology(proc, folder, url, env, json.loads(described.read_text()))
    try:
        yield t
    finally:
        proc.send_signal(signal.SIGINT)  # as Ctrl-C
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        out.close()
        still = [n["name"] for n in t.described["nodes"] if _alive(n["pid"])]
        next(databases, None)  # drop the database
        assert proc.returncode == 0, (proc.returncode, still)
        assert still == [], (proc.returncode, still)


def ts(delta: timedelta = timedelta(0)) -> str:
    return (datetime.now(SWEDISH_TZ) + delta).strftime("%Y%m%d%H%M%S")


def ok(response: Any) -> Any:
    assert response.result.resultCode == "OK", response.result
    return response


def test_every_node_is_up_behind_haproxy(topology: Topology) -> None:
    assert [n["name"] for n in topology.described["nodes"]] == [
        "service-1", "service-2", "platform-1", "platform-2", "haproxy"]
    config = (topology.folder / "haproxy.cfg").read_text()
    for n in topology.described["nodes"][:-1]:
        assert f"server {n['name']} 127.0.0.1:{n['port']} check" in config
    # through the front, calls reach both platform nodes (round robin): each counts its own calls
    for _ in range(4):
        assert requests.get(topology.front + "/status", timeout=10).status_code == 200
    stats = requests.get(topology.described["stats"] + ";csv", timeout=10).text
    served = {line.split(",")[1]: int(line.split(",")[7]) for line in stats.splitlines()
              if line.startswith("platform_nodes,platform-")}
    assert set(served) == {"platform-1", "platform-2"}, served
    assert all(n > 0 for n in served.values()), served


def test_a_result_written_through_one_node_is_read_through_the_other(topology: Topology) -> None:
    p = patient()
    # the journal system and 1177 call different platform nodes
    ehr = Soap(topology.url("platform-1"), demo.EHR_A, via_platform=INSTANCE)
    citizen = Soap(topology.url("platform-2"), demo.CITIZEN_SERVICE, via_platform=INSTANCE)
    sampling = Soap(topology.url("platform-1"), demo.SAMPLING_A, via_platform=INSTANCE)
    offer = ok(ehr("AssignOffer", patientId=p, offerCode="HBA1C", careGiverHSAId=demo.CARE_GIVER_A,
                   accountableCareUnit=demo.CARE_UNIT_A, assignedBy={"actorType": "STAFF", "id": "SE2321000016-ST01"}))
    order = ok(citizen("CreateOrder", offerId=offer.offerId, patientId=p, samplingMode="SITE",
                       samplingUnitHSAId=demo.SITE_A_CENTRE))
    ok(sampling("SetOrderStatus", orderId=order.orderId, status="SPECIMEN_COLLECTED", eventTime=ts(timedelta(hours=-1)),
                performedBy={"actorType": "STAFF", "id": "SE2321000016-SSK1"}, performingUnitHSAId=demo.SITE_A_CENTRE,
                specimen=[{"identifier": "BC-SCALE-1"}]))

    # the lab writes to service node 1 (as a platform node would, with the platform's certificate) ...
    lab_on_1 = Soap(topology.url("service-1"), demo.LAB_A)
    ok(lab_on_1("SetOrderStatus", orderId=order.orderId, status="RECEIVED_BY_LAB", eventTime=ts(timedelta(minutes=-30)),
                performedBy={"actorType": "SYSTEM", "id": demo.LAB_A}, performingUnitHSAId=demo.LAB_A))
    ok(lab_on_1("SetResult", laboratoryResult={
        "orderId": order.orderId, "performingLabHSAId": demo.LAB_A, "resultVersion": 1, "reportStatus": "FINAL",
        "reportTime": ts(timedelta(minutes=-1)),
        "analysisResult": [{"code": {"code": "NPU27300", "codeSystem": "1.2.752.108.1"}, "status": "FINAL",
                            "pq": {"value": Decimal("39"), "unit": "mmol/mol"}, "interpretation": "NORMAL"}]}))

    # ... and the patient's result is read from service node 2, and through the front
    for where in (Soap(topology.url("service-2"), demo.CITIZEN_SERVICE),
                  Soap(topology.front, demo.CITIZEN_SERVICE, via_platform=INSTANCE, tag="front")):
        (read,) = [r for r in where("GetResults", patientId=p).orderResult if r.order.orderId == order.orderId]
        assert read.releasedToPatient
        assert read.order.status == "FINAL_RESULT"
        assert read.result.analysisResult[0].pq.value == Decimal("39")


PROBE = "urn:riv:test:scaleout:ProbeResponder:1"
PROBE_ADDRESS = "SE2321000016-PROBE1"


def _probe(base_url: str) -> requests.Response:
    body = soap_envelope(
        f'<r:Probe xmlns:r="{PROBE}"><r:q>1</r:q></r:Probe>',
        header=f'<la:LogicalAddress xmlns:la="urn:riv:itintegration:registry:1">{PROBE_ADDRESS}</la:LogicalAddress>')
    with requests.Session() as s:  # a new connection each time: it may land on either worker
        return s.post(base_url + "/vp/test/Probe/1/rivtabp21", data=body, timeout=30, headers={
            "Content-Type": "text/xml; charset=utf-8", "x-vp-sender-id": demo.LAB_A, "x-vp-instance-id": INSTANCE})


def test_a_catalogue_reload_on_one_platform_node_reaches_the_other(topology: Topology) -> None:
    producer = FakeProducer().start()
    try:
        one, two = topology.url("platform-1"), topology.url("platform-2")
        assert "VP004" in _probe(two).text
        added = topology.eph("tak", "add-routing", "--contract", PROBE, "--logical-address", PROBE_ADDRESS,
                             "--url", producer.url + "/ok", "--producer", "SE2321000016-PROBEP")
        assert added.returncode == 0, added.stderr
        added = topology.eph("tak", "add-authorization", "--consumer", demo.LAB_A, "--contract", PROBE,
                             "--logical-address", PROBE_ADDRESS)
        assert added.returncode == 0, added.stderr
        # an edit is not in force anywhere until a reload
        time.sleep(2.5)
        assert "VP004" in _probe(two).text
        assert "VP004" in _probe(one).text
        version = requests.get(one + "/status", timeout=10).json()["catalogue"]["version"]

        reloaded = topology.eph("tak", "reload", "--platform", one)  # asked of platform node 1 only
        assert reloaded.returncode == 0, reloaded.stderr
        started = time.monotonic()
        # the worker that took the reload has it at once, the other workers and nodes within seconds:
        # each node answers six new connections in a row (they land on either worker) with the route
        for node in (one, two):
            in_a_row = 0
            while in_a_row < 6:
                answer = _probe(node)
                if answer.content == OK_RESPONSE:
                    in_a_row += 1
                    continue
                in_a_row = 0
                assert "VP004" in answer.text, answer.text[:300]
                assert time.monotonic() - started < 10, f"{node} did not follow the reload"
                time.sleep(0.2)
        print(f"every worker of both platform nodes routed the new contract {time.monotonic() - started:.1f} s "
              "after the reload")
        # node 2 says which catalogue it has
        catalogue = requests.get(two + "/status", timeout=10).json()["catalogue"]
        assert catalogue["version"] == version + 2  # the routing and the authorization
        assert catalogue["reloadGeneration"] >= 1
    finally:
        producer.stop()


def _rounds(topology: Topology) -> list[tuple[str, int, str]]:
    """(node, process id, time) of every housekeeping round the service nodes logged."""
    out = []
    for name in ("service-1", "service-2"):
        for line in Path(topology.node(name)["log"]).read_text(errors="replace").splitlines():
            if '"housekeeping round' in line:
                entry = json.loads(line)
                out.append((name, int(entry["pid"]), str(entry["time"])))
    return sorted(out, key=lambda r: r[2])


def _lease_holder(topology: Topology) -> str:
    engine = create_engine(topology.database_url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(select(service_lease.c.holder).where(service_lease.c.name == "housekeeping")).scalar())
    finally:
        engine.dispose()


def test_housekeeping_runs_in_one_process_of_the_service_nodes_at_a_time(topology: Topology) -> None:
    # four worker processes (two a node) each wake every HOUSEKEEPING_SECONDS; only the lease holder works
    started = time.monotonic()
    before = len(_rounds(topology))
    time.sleep(4 * HOUSEKEEPING_SECONDS + 1)
    rounds = _rounds(topology)
    elapsed = time.monotonic() - started
    assert len(rounds) - before >= 2
    assert len(rounds) - before <= elapsed / HOUSEKEEPING_SECONDS + 1  # not one a worker
    assert len({(node, pid) for node, pid, _ in rounds}) == 1, rounds
    node, pid, _ = rounds[-1]
    assert f":{pid}:" in _lease_holder(topology)


def test_housekeeping_moves_to_the_other_node_when_its_node_stops(topology: Topology) -> None:
    node, pid, _ = _rounds(topology)[-1]
    other = "service-2" if node == "service-1" else "service-1"
    os.kill(topology.node(node)["pid"], signal.SIGTERM)  # the node holding the lease stops
    deadline = time.monotonic() + 30
    while not any(n == other for n, _, _ in _rounds(topology)):
        assert time.monotonic() < deadline, "the other service node did not take over housekeeping"
        time.sleep(0.5)
    (taker,) = {p for n, p, _ in _rounds(topology) if n == other}
    assert f":{taker}:" in _lease_holder(topology)
    # the service still answers through the front, from the node that is left
    citizen = Soap(topology.front, demo.CITIZEN_SERVICE, via_platform=INSTANCE, tag="after")
    assert citizen("GetOffers", patientId=patient()).offer == []
