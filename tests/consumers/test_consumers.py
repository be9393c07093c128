"""The consumer library and its command lines, through the platform to the service."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from consumers import (
    CitizenService,
    Connection,
    EhrSystem,
    LabSystem,
    LogicalError,
    RequestError,
    SamplingSystem,
    ServiceFault,
    TransportError,
    VpFault,
)
from consumers.result_files import read_results
from consumers.roles import actor, timestamp
from eph import demo
from tests.support import ROOT, PlatformProcess, free_port, patient

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
STAFF = actor("STAFF", "SE2321000016-ST01")
ADDRESS = {"name": "Test Person", "street": "Gatan 2", "postalCode": "11122", "city": "Lund"}


def connect(platform: PlatformProcess, sender: str) -> Connection:
    return Connection.development(sender, platform.base_url, platform.instance_id)


def new_site_order(platform: PlatformProcess) -> tuple[str, Any]:
    number = patient()["id"]
    ehr = EhrSystem(connect(platform, demo.EHR_A), demo.CARE_GIVER_A, demo.CARE_UNIT_A)
    offer = ehr.assign(number, "HBA1C", STAFF).offerId
    return number, CitizenService(connect(platform, demo.CITIZEN_SERVICE)).order_site_sampling(offer, number)


def hba1c(order_id: str, version: int = 1, report: str = "FINAL", value: str = "40") -> dict[str, Any]:
    return {"orderId": order_id, "resultVersion": version, "reportStatus": report, "reportTime": timestamp(),
            "analysisResult": [{"code": {"code": "NPU27300", "codeSystem": "1.2.752.108.1"},
                                "pq": {"value": Decimal(value), "unit": "mmol/mol"}, "status": "FINAL"}]}


def test_roles_through_the_platform(demo_platform: PlatformProcess) -> None:
    number, order = new_site_order(demo_platform)
    sampling = SamplingSystem(connect(demo_platform, demo.SAMPLING_A), "SE2321000016-PT01")
    (found,) = sampling.find_by_referral(order.referralId.lower())
    assert found.orderId == order.orderId
    assert [o.orderId for o in sampling.find_by_patient(number)] == [order.orderId]
    sampling.register_collected(order.orderId, "BC-42", {"code": "119297000", "codeSystem": "1.2.752.116.2.1.1"})
    lab_c = connect(demo_platform, demo.LAB_A)
    lab = LabSystem(lab_c, demo.LAB_A)
    pages: list[tuple[int, int]] = []
    polled = list(lab.poll_orders(["SPECIMEN_COLLECTED"], page_size=1, on_page=lambda p, n: pages.append((p, n))))
    assert order.orderId in {o.orderId for o in polled}
    assert len(pages) >= 1
    assert pages[-1][1] == len(polled)
    lab.mark_received(order.orderId)
    result = hba1c(order.orderId)
    assert lab.send_result(result).result.resultCode == "OK"
    assert lab.send_result(result).result.resultCode == "INFO"  # the same report again
    assert lab_c.last is not None
    assert lab_c.last.correlation_id
    assert lab_c.last.outcome == "INFO"
    (view,) = CitizenService(connect(demo_platform, demo.CITIZEN_SERVICE)).results(number)
    assert view.releasedToPatient
    assert view.result.analysisResult[0].pq.value == Decimal("40")


def test_logical_errors_are_typed(demo_platform: PlatformProcess) -> None:
    number, order = new_site_order(demo_platform)
    lab = LabSystem(connect(demo_platform, demo.LAB_A), demo.LAB_A)
    with pytest.raises(LogicalError) as e:
        lab.kit_sent(order.orderId)  # a site order gets no kit
    err = e.value
    assert (err.result_code, err.error_code, err.sub_code) == ("ERROR", "APPLICATION_ERROR", "EPH003")
    assert len(err.log_id) == 36
    assert err.correlation_id
    assert "EPH003" in str(err)
    citizen = CitizenService(connect(demo_platform, demo.CITIZEN_SERVICE))
    with pytest.raises(LogicalError) as e:
        citizen.order_home_kit("no-such-offer", number, ADDRESS)
    assert e.value.sub_code == "EPH001"


def test_vp_faults_are_typed(demo_platform: PlatformProcess) -> None:
    sampling = connect(demo_platform, demo.SAMPLING_A)
    with pytest.raises(VpFault) as e:
        sampling.call("SetResult", laboratoryResult={"performingLabHSAId": demo.LAB_A, **hba1c("x")})
    assert e.value.code == "VP007"
    assert e.value.fault_code == "Server"
    assert not e.value.resend_may_help
    assert demo.SAMPLING_A in (e.value.detail or "")
    assert e.value.correlation_id
    wrong_address = Connection.development(demo.LAB_A, demo_platform.base_url, demo_platform.instance_id,
                                           logical_address="SE2321000016-NOPE")
    with pytest.raises(VpFault) as e:
        LabSystem(wrong_address).mark_received("x")
    assert e.value.code == "VP004"


def test_service_faults_carry_the_log_id(demo_platform: PlatformProcess) -> None:
    with pytest.raises(ServiceFault) as e:
        connect(demo_platform, demo.LAB_A).call("GetOrders", patientId={"id": "191212121213",
                                                                        "type": "1.2.752.129.2.1.3.1"})
    assert e.value.fault_code == "Client"
    assert "check digit" in e.value.message
    assert len(e.value.log_id or "") == 36


def test_requests_that_break_the_contract_are_not_sent(demo_platform: PlatformProcess) -> None:
    with pytest.raises(RequestError, match="performingLabHSAId"):
        connect(demo_platform, demo.LAB_A).call("SetResult", laboratoryResult=hba1c("x"))


def test_an_unreachable_platform(demo_platform: PlatformProcess) -> None:
    lab = LabSystem(Connection.development(demo.LAB_A, f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(TransportError, match="cannot be reached"):
        list(lab.poll_orders())


def eph(platform: PlatformProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, EPH_PLATFORM_URL=platform.base_url, EPH_VP_INSTANCE_ID=platform.instance_id)
    return subprocess.run([sys.executable, "-m", "eph", *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_command_lines(demo_platform: PlatformProcess, tmp_path: Path) -> None:
    number = patient()["id"]
    assigned = eph(demo_platform, "ehr", "assign", number, "CTNG", "--json")
    assert assigned.returncode == 0, assigned.stderr
    offer_id = json.loads(assigned.stdout)["offerId"]
    ordered = eph(demo_platform, "citizen", "order", offer_id, number, "--home-kit", "--name", "Test Person",
                  "--street", "Gatan 2", "--postal-code", "11122", "--city", "Lund")
    assert ordered.returncode == 0, ordered.stderr
    assert "order: OK" in ordered.stdout, ordered.stderr
    order_id = ordered.stdout.split("orderId ")[1].split()[0]
    referral = ordered.stdout.split("referralId ")[1].split()[0]
    found = eph(demo_platform, "sampling", "find", "--referral", referral)
    assert found.returncode == 0
    assert order_id in found.stdout
    assert "HOME_KIT" in found.stdout
    assert eph(demo_platform, "lab", "kit-sent", order_id).returncode == 0
    assert eph(demo_platform, "sampling", "collected", order_id, "--barcode", "BC-77").returncode == 0
    polled = eph(demo_platform, "lab", "poll", "--status", "SPECIMEN_COLLECTED", "--page-size", "2", "--progress", "--json")
    assert polled.returncode == 0
    assert order_id in {o["orderId"] for o in json.loads(polled.stdout)}
    assert "polling" in polled.stderr  # the progress line
    assert eph(demo_platform, "lab", "received", order_id).returncode == 0
    # results from a JSON file (a list) and an XML file (a SetResult request)
    first = {**hba1c(order_id, 1, "PRELIMINARY"), "analysisResult": [
        {"code": {"code": "CT-NAAT", "codeSystem": demo.LOCAL_ANALYSIS_CODES}, "text": "preliminärt negativ",
         "interpretation": "NEGATIVE", "status": "PRELIMINARY"}]}
    (tmp_path / "results.json").write_text(json.dumps([first], default=str))
    sent = eph(demo_platform, "lab", "result", str(tmp_path / "results.json"), "--progress")
    assert sent.returncode == 0, sent.stderr
    assert "OK" in sent.stdout, sent.stderr
    assert "sending" in sent.stderr, sent.stderr
    (tmp_path / "final.xml").write_text(
        f'<SetResult xmlns="urn:riv:clinicalprocess:activity:selfsampling:SetResultResponder:1" '
        f'xmlns:c="urn:riv:clinicalprocess:activity:selfsampling:1"><laboratoryResult>'
        f"<c:orderId>{order_id}</c:orderId><c:performingLabHSAId>{demo.LAB_A}</c:performingLabHSAId>"
        f"<c:resultVersion>2</c:resultVersion><c:reportStatus>FINAL</c:reportStatus><c:reportTime>{timestamp()}</c:reportTime>"
        f"<c:analysisResult><c:code><c:code>CT-NAAT</c:code><c:codeSystem>{demo.LOCAL_ANALYSIS_CODES}</c:codeSystem></c:code>"
        "<c:text>negativ</c:text><c:interpretation>NEGATIVE</c:interpretation><c:status>FINAL</c:status></c:analysisResult>"
        "</laboratoryResult></SetResult>")
    assert read_results(tmp_path / "final.xml")[0]["resultVersion"] == "2"
    sent = eph(demo_platform, "lab", "result", str(tmp_path / "final.xml"))
    assert sent.returncode == 0, sent.stdout + sent.stderr
    results = eph(demo_platform, "citizen", "results", number)
    assert results.returncode == 0
    assert "negativ (NEGATIVE)" in results.stdout
    again = eph(demo_platform, "lab", "result", str(tmp_path / "results.json"))  # the same version 1: a repeat
    assert again.returncode == 0
    assert "INFO" in again.stdout
    first["analysisResult"][0]["text"] = "changed"
    (tmp_path / "results.json").write_text(json.dumps([first], default=str))
    changed = eph(demo_platform, "lab", "result", str(tmp_path / "results.json"))  # version 1 with other content
    assert changed.returncode == 1
    assert "EPH005" in changed.stdout
    refused = eph(demo_platform, "lab", "poll", "--as", demo.SAMPLING_A, "--status", "BOGUS")
    assert refused.returncode != 0
    vp = eph(demo_platform, "ehr", "results", number, "--as", demo.LAB_A)
    assert vp.returncode == 3
    assert "VP007" in vp.stderr
    assert "correlation id" in vp.stderr


def test_a_site_order_with_a_lab_of_choice(demo_platform: PlatformProcess) -> None:
    """The manual-mode story of docs/staff-web.md: the patient's specimen goes to a lab without a lab system."""
    number = patient()["id"]
    offer_id = json.loads(eph(demo_platform, "ehr", "assign", number, "CTNG", "--json").stdout)["offerId"]
    ordered = eph(demo_platform, "citizen", "order", offer_id, number, "--lab", demo.LAB_A3, "--json")
    assert ordered.returncode == 0, ordered.stderr
    order_id = json.loads(ordered.stdout)["orderId"]
    orders = json.loads(eph(demo_platform, "citizen", "orders", number, "--json").stdout)
    assert [(o["orderId"], o["performingLabHSAId"], o["samplingMode"]) for o in orders] == [(order_id, demo.LAB_A3, "SITE")]


def test_a_bad_result_file_sends_nothing(demo_platform: PlatformProcess, tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(json.dumps([{"orderId": "x", "resultVersion": 1}]))
    done = eph(demo_platform, "lab", "result", str(tmp_path / "bad.json"))
    assert done.returncode == 1
    assert "nothing sent" in done.stderr


def test_eph_demo(demo_platform: PlatformProcess) -> None:
    done = eph(demo_platform, "demo", "--platform", demo_platform.base_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "33 of 33 steps as the story says" in done.stdout
    assert "VP007" in done.stdout  # the sampling system's refused SetResult
    steps = [line for line in done.stdout.splitlines() if line.startswith("[ok ]")]
    uuid = re.compile(r" [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} ")
    assert len(steps) == 33
    assert all(uuid.search(line) for line in steps)  # a correlation id on each step


@pytest.fixture(scope="module")
def tls_demo_platform(database_url: str, demo_platform: PlatformProcess,
                      tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A second platform on the demo catalogue with a TLS listener that requires client certificates."""
    from tests.certs import CertificateAuthority

    folder = Path(tmp_path_factory.mktemp("tls-demo"))
    ca = CertificateAuthority(folder / "ca")
    server = ca.issue("platform", "127.0.0.1", server=True)
    port = free_port()
    platform = PlatformProcess(database_url, folder / "p", instance_id="eph-vp-tls")
    platform.start(wait_port=port, EPH_VP_TLS_BIND=f"127.0.0.1:{port}", EPH_VP_TLS_CERT=str(server.cert),
                   EPH_VP_TLS_KEY=str(server.key), EPH_VP_TLS_CA=str(ca.path))
    yield platform, port, ca
    platform.stop()


def test_a_lab_with_a_client_certificate(tls_demo_platform: Any) -> None:
    platform, port, ca = tls_demo_platform
    cert = ca.issue("lab", "Lab system", serial_number=demo.LAB_A)
    lab = LabSystem(Connection.tls(demo.LAB_A, str(cert.cert), str(cert.key), str(ca.path), f"https://127.0.0.1:{port}"))
    orders = list(lab.poll_orders())
    assert {o.patientId.id for o in orders} >= set(demo.DEMO_PATIENTS.values())
    sampling_cert = ca.issue("sampling", "Sampling system", serial_number=demo.SAMPLING_A)
    as_sampling = Connection.tls(demo.SAMPLING_A, str(sampling_cert.cert), str(sampling_cert.key), str(ca.path),
                                 f"https://127.0.0.1:{port}")
    with pytest.raises(VpFault) as e:  # the certificate, not a header, says who calls
        as_sampling.call("SetResult", laboratoryResult={"performingLabHSAId": demo.LAB_A, **hba1c("x")})
    assert e.value.code == "VP007"
    assert demo.SAMPLING_A in (e.value.detail or "")


def test_the_patients_side_from_the_command_line(demo_platform: PlatformProcess) -> None:
    number = patient()["id"]
    listed = eph(demo_platform, "citizen", "self-service", demo.CARE_GIVER_A)
    assert listed.returncode == 0
    assert "CTNG" in listed.stdout
    assert "HBA1C" not in listed.stdout
    sites = eph(demo_platform, "citizen", "sites", demo.CARE_GIVER_A)
    assert sites.returncode == 0
    assert demo.SITE_A_SOUTH in sites.stdout
    assert "Götgatan 40" in sites.stdout
    ordered = eph(demo_platform, "citizen", "order", "-", number, "--care-giver", demo.CARE_GIVER_A, "--code", "CTNG",
                  "--unit", demo.SITE_A_SOUTH)
    assert ordered.returncode == 0, ordered.stderr
    assert "order: OK" in ordered.stdout, ordered.stderr
    assert "offerId" in ordered.stdout, ordered.stderr
    order_id = ordered.stdout.split("orderId ")[1].split()[0]
    polled = eph(demo_platform, "lab", "poll", "--as", demo.LAB_A2, "--lab", demo.LAB_A2, "--json")
    assert polled.returncode == 0
    assert order_id in {o["orderId"] for o in json.loads(polled.stdout)}
    again = eph(demo_platform, "citizen", "order", "-", number, "--care-giver", demo.CARE_GIVER_A, "--code", "CTNG",
                "--home-kit", "--name", "T", "--street", "Gatan 1", "--postal-code", "11122", "--city", "Lund")
    # one open order of a kind
    assert again.returncode != 0
    assert "EPH002" in again.stdout + again.stderr
    log = eph(demo_platform, "citizen", "access-log", number)
    assert log.returncode == 0
    assert "CreateOrder" in log.stdout
    assert "Labbsystem 2" in log.stdout
