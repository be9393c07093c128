"""Results to the journal and to the aggregating service the national way, over real HTTP with real
servers started once for the module: the service (its outbox pushing to the index, EPH_INDEX_PUSH
on), the platform with the demo catalogue (the service, the engagement index and the journal
system's notification endpoint routed), ``eph serve engagement-index`` with the journal system as
its subscriber, and ``eph serve ehr-subscriber``.

A result released in the service -> the outbox's Update -> the index -> ProcessNotification to
the journal system -> GetLaboratoryOrderOutcome -> the journal's own table. The aggregator asks the
index (FindContent) and then the source it names (GetLaboratoryOrderOutcome)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine

from consumers.aggregator import AggregatedOutcomes, Aggregator
from consumers.client import Connection
from consumers.engagement_index.config import ENGAGEMENT_INDEX
from consumers.journal.store import Entry, JournalStore, Pending
from contracts.interactions import PROCESS_NOTIFICATION, UPDATE
from eph import demo
from eph.demo import routing as demo_routing
from eph.migrate import upgrade
from eph.outbox import SoapIndexPush, configured_senders
from routing import store
from service_domain.enums import ReportStatus
from service_domain.identity import PersonId
from service_domain.model import AnalysisResult, AnalysisStatus, EventKind, EventState, OutboxEvent
from service_domain.persistence.database import Database
from tests.conftest import seeded
from tests.service.conftest import assign, lab_result, new_patient, order, set_result
from tests.support import ROOT, PlatformProcess, ServiceProcess, free_port, soap_envelope, spawn, terminate

WAIT = 30
SMS_TOKEN = "sms-test-token"


@dataclass
class Servers:
    platform: PlatformProcess
    service: ServiceProcess
    db: Database
    journal: JournalStore
    journal_log: Path
    journal_url: str
    sms_messages: str  # the SMS gateway stand-in's list of what it received


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    folder = Path(tmp_path_factory.mktemp("journal"))
    service_url = seeded(f"sqlite:///{folder / 'eph.sqlite3'}")
    service = ServiceProcess(service_url, folder / "service.log")
    index_port, journal_port = free_port(), free_port()
    platform_db = f"sqlite:///{folder / 'platform.sqlite3'}"
    upgrade(platform_db)
    cat = demo_routing.catalogue(service.base_url, engagement_index_url=f"http://127.0.0.1:{index_port}",
                                 subscribers=demo_routing.demo_subscribers(f"http://127.0.0.1:{journal_port}"))
    engine = create_engine(platform_db)
    with engine.begin() as conn:
        store.save(conn, cat)
    engine.dispose()
    platform = PlatformProcess(platform_db, folder / "platform").start()
    consumer_env = {"EPH_PLATFORM_URL": platform.base_url, "EPH_VP_INSTANCE_ID": platform.instance_id}
    index, index_log = spawn("engagement-index", index_port, {
        "EPH_EI_DATABASE_URL": f"sqlite:///{folder / 'index.sqlite3'}", "EPH_EI_SUBSCRIBERS": demo.EHR_A,
        **consumer_env}, folder / "index.log")
    journal_db = f"sqlite:///{folder / 'journal.sqlite3'}"
    journal, journal_log = spawn("ehr-subscriber", journal_port, {"EPH_EHR_DATABASE_URL": journal_db, **consumer_env},
                                 folder / "journal.log")
    sms_port = free_port()
    gateway, gateway_log = spawn("sms-gateway", sms_port, {"EPH_SMS_GATEWAY_TOKEN": SMS_TOKEN}, folder / "sms.log")
    service.start(EPH_OUTBOX_SECONDS="0.2", EPH_INDEX_PUSH="1", EPH_INDEX_PUSH_PLATFORM_URL=platform.base_url,
                  EPH_VP_INSTANCE_ID=platform.instance_id, EPH_NOTICE_SMS_URL=f"http://127.0.0.1:{sms_port}/sms",
                  EPH_NOTICE_SMS_TOKEN=SMS_TOKEN)
    database = Database(service_url)
    yield Servers(platform, service, database, JournalStore(journal_db), folder / "journal.log",
                  f"http://127.0.0.1:{journal_port}/ehr{PROCESS_NOTIFICATION.path}",
                  f"http://127.0.0.1:{sms_port}/messages")
    database.dispose()
    service.stop()
    terminate(gateway, gateway_log)
    terminate(journal, journal_log)
    terminate(index, index_log)
    platform.stop()


def released(db: Database, patient: PersonId) -> str:
    """An order of the patient whose result is stored and released at once; its id."""
    oid = order(db, patient, assign(db, patient, "HBA1C")).order_id
    assert oid
    set_result(db, lab_result(oid, 1))
    return oid


def entries_when(servers: Servers, patient: PersonId, ready: Any) -> list[Entry]:
    """The journal's entries of the patient once ``ready(entries)`` holds (or the time is up)."""
    deadline = time.monotonic() + WAIT
    while not ready(found := servers.journal.entries(patient.id)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def imports_logged(servers: Servers) -> int:
    return servers.journal_log.read_text(encoding="utf-8", errors="replace").count("journal import:")


def wait_for_imports(servers: Servers, count: int) -> None:
    deadline = time.monotonic() + WAIT
    while imports_logged(servers) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def event_of(db: Database, oid: str) -> OutboxEvent:
    with db.uow() as uow:
        (event,) = [e for e in uow.outbox.list(EventState.DELIVERED, 100_000) if e.payload.order_id == oid]
    return event


def push_again(servers: Servers, event: OutboxEvent) -> None:
    """The service's index push of an event once more, as the outbox would on a retry."""
    senders = configured_senders({"EPH_INDEX_PUSH": "1", "EPH_INDEX_PUSH_PLATFORM_URL": servers.platform.base_url,
                                  "EPH_VP_INSTANCE_ID": servers.platform.instance_id})
    sender = senders[EventKind.INDEX_UPDATE]
    assert isinstance(sender, SoapIndexPush)
    sender.send(event)


# ------------------------------------------------------------------ the journal imports a released result


@pytest.fixture(scope="module")
def imported(servers: Servers) -> tuple[PersonId, str, list[Entry]]:
    patient = new_patient()
    oid = released(servers.db, patient)
    return patient, oid, entries_when(servers, patient, bool)


def test_the_journal_imports_the_released_result(imported: tuple[PersonId, str, list[Entry]]) -> None:
    assert [e.record.record_id for e in imported[2]] == [imported[1]]


def test_the_entry_names_the_service_as_its_source(imported: tuple[PersonId, str, list[Entry]]) -> None:
    assert imported[2][0].record.source_system == demo.SERVICE_ADDRESS


def test_the_entry_names_the_ordering_care_unit(imported: tuple[PersonId, str, list[Entry]]) -> None:
    assert imported[2][0].record.care_unit == demo.CARE_UNIT_A


def test_the_entry_keeps_the_value_as_reported(imported: tuple[PersonId, str, list[Entry]]) -> None:
    content = json.loads(imported[2][0].record.content)
    (analysis,) = content["body"]["groupOfAnalyses"][0]["analysis"]
    assert analysis["result"][0]["value"]["pq"] == {"value": "41", "unit": "mmol/mol"}


def test_the_entry_is_the_first_version(imported: tuple[PersonId, str, list[Entry]]) -> None:
    assert imported[2][0].versions == 1


def test_the_journal_system_logs_no_personnummer(imported: tuple[PersonId, str, list[Entry]], servers: Servers) -> None:
    assert imported[0].id not in servers.journal_log.read_text(encoding="utf-8", errors="replace")


# ------------------------------------------------------------------ the same notification twice


@pytest.fixture(scope="module")
def notified_twice(servers: Servers, imported: tuple[PersonId, str, list[Entry]]) -> list[Entry]:
    """The journal's entries after the index was told of the same result again (and so notified the
    journal system again) and the journal system's second import is done."""
    patient, oid, _ = imported
    before = imports_logged(servers)
    push_again(servers, event_of(servers.db, oid))
    wait_for_imports(servers, before + 1)
    return servers.journal.entries(patient.id)


def test_a_second_notification_is_imported_again(servers: Servers, notified_twice: list[Entry]) -> None:
    assert "unchanged 1" in servers.journal_log.read_text(encoding="utf-8", errors="replace")


def test_the_same_result_twice_is_one_journal_entry(notified_twice: list[Entry]) -> None:
    assert len(notified_twice) == 1


def test_the_same_result_twice_is_still_the_first_version(notified_twice: list[Entry]) -> None:
    assert notified_twice[0].versions == 1


# ------------------------------------------------------------------ a correction


@pytest.fixture(scope="module")
def corrected(servers: Servers) -> list[Entry]:
    """A released result corrected by a second version, once the journal holds the correction."""
    patient = new_patient()
    oid = released(servers.db, patient)
    entries_when(servers, patient, bool)
    correction = lab_result(oid, 2, ReportStatus.CORRECTED, value="47")
    set_result(servers.db, replace(correction, report_time=correction.report_time + timedelta(minutes=2)))
    return entries_when(servers, patient, lambda found: bool(found) and found[0].versions == 2)


def test_a_correction_keeps_one_journal_entry(corrected: list[Entry]) -> None:
    assert len(corrected) == 1


def test_a_correction_replaces_the_entry_s_value(corrected: list[Entry]) -> None:
    content = json.loads(corrected[0].record.content)
    assert content["body"]["groupOfAnalyses"][0]["analysis"][0]["result"][0]["value"]["pq"]["value"] == "47"


def test_the_corrected_entry_says_it_is_corrected(corrected: list[Entry]) -> None:
    assert corrected[0].record.report_type == "CORRECTED"


# ------------------------------------------------------------------ a withdrawal


@pytest.fixture(scope="module")
def withdrawn(servers: Servers) -> list[Entry]:
    """A released result withdrawn by a second version (entered in error), once the journal has
    marked its entry withdrawn."""
    patient = new_patient()
    oid = released(servers.db, patient)
    entries_when(servers, patient, bool)
    withdrawal = replace(lab_result(oid, 2, ReportStatus.CORRECTED), analysis_results=(
        AnalysisResult(demo.HBA1C.code, None, AnalysisStatus.ENTERED_IN_ERROR),))
    set_result(servers.db, replace(withdrawal, report_time=withdrawal.report_time + timedelta(minutes=3)))
    return entries_when(servers, patient, lambda found: bool(found) and found[0].withdrawn)


def test_a_withdrawn_result_is_marked_withdrawn_in_the_journal(withdrawn: list[Entry]) -> None:
    assert withdrawn[0].withdrawn


def test_a_withdrawn_result_keeps_its_one_journal_entry(withdrawn: list[Entry]) -> None:
    assert len(withdrawn) == 1


def test_the_withdrawn_entry_keeps_the_content_it_was_shown(withdrawn: list[Entry]) -> None:
    content = json.loads(withdrawn[0].record.content)
    assert content["body"]["groupOfAnalyses"][0]["analysis"][0]["result"][0]["value"]["pq"]["value"] == "41"


def test_an_entry_still_answered_is_not_withdrawn(imported: tuple[PersonId, str, list[Entry]], servers: Servers) -> None:
    assert [e.withdrawn for e in servers.journal.entries(imported[0].id)] == [False]


# ------------------------------------------------------------------ the platform down when notified


class Relay:
    """A plain HTTP relay to the platform that can be switched on later (the platform "comes back")."""

    def __init__(self, target: str) -> None:
        self.port = free_port()
        self.target = target
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        target = self.target

        class Handler(BaseHTTPRequestHandler):
            def _relay(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = requests.request(method, target + self.path, data=body, headers=headers, timeout=30)
                self.send_response(answer.status_code)
                for k, v in answer.headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def do_POST(self) -> None:  # noqa: N802
                self._relay("POST")

            def do_GET(self) -> None:  # noqa: N802
                self._relay("GET")

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def _notification(patient: str, address: str = demo.EHR_A) -> bytes:
    body = (f'<r:ProcessNotification xmlns:r="{PROCESS_NOTIFICATION.responder_ns}" '
            'xmlns:c="urn:riv:itintegration:engagementindex:1"><r:engagementTransaction>'
            "<c:deleteFlag>false</c:deleteFlag><c:engagement>"
            f"<c:registeredResidentIdentification>{patient}</c:registeredResidentIdentification>"
            "<c:serviceDomain>riv:clinicalprocess:healthcond:actoutcome</c:serviceDomain>"
            "<c:categorization>und-kkm-ure</c:categorization><c:logicalAddress>SE5565594230-EPH</c:logicalAddress>"
            "<c:businessObjectInstanceIdentifier>NA</c:businessObjectInstanceIdentifier>"
            "<c:clinicalProcessInterestId>NA</c:clinicalProcessInterestId>"
            "<c:sourceSystem>SE5565594230-EPH</c:sourceSystem><c:dataController>SE2321000016</c:dataController>"
            "<c:owner>SE5565594230-EI</c:owner></c:engagement></r:engagementTransaction></r:ProcessNotification>")
    return soap_envelope(body, (
        f'<la:LogicalAddress xmlns:la="urn:riv:itintegration:registry:1">{address}</la:LogicalAddress>'))


@dataclass
class Outage:
    answer: requests.Response
    pending: list[Pending]
    entries_while_down: list[Entry]
    entries_after: list[Entry]
    pending_after: list[Pending]
    log: str
    patient: PersonId


@pytest.fixture(scope="module")
def outage(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outage]:
    """A second journal subscriber whose platform (a relay to the real one) is down when it is
    notified of a patient with a released result, and comes back afterwards."""
    folder = Path(tmp_path_factory.mktemp("outage"))
    patient = new_patient()
    released(servers.db, patient)
    entries_when(servers, patient, bool)  # released and pushed
    relay = Relay(servers.platform.base_url)
    port = free_port()
    store_url = f"sqlite:///{folder / 'journal.sqlite3'}"
    proc, log_file = spawn("ehr-subscriber", port, {
        "EPH_EHR_DATABASE_URL": store_url, "EPH_PLATFORM_URL": f"http://127.0.0.1:{relay.port}",
        "EPH_VP_INSTANCE_ID": servers.platform.instance_id, "EPH_EHR_RETRY_SECONDS": "0.5"}, folder / "journal.log")
    store = JournalStore(store_url)
    try:
        answer = requests.post(f"http://127.0.0.1:{port}/ehr{PROCESS_NOTIFICATION.path}", data=_notification(patient.id),
                               headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=10)
        deadline = time.monotonic() + WAIT
        while not (pending := store.pending()) and time.monotonic() < deadline:
            time.sleep(0.1)
        while_down = store.entries(patient.id)
        relay.start()
        deadline = time.monotonic() + WAIT
        while not (after := store.entries(patient.id)) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)
        yield Outage(answer, pending, while_down, after, store.pending(),
                     (folder / "journal.log").read_text(encoding="utf-8", errors="replace"), patient)
    finally:
        terminate(proc, log_file)
        relay.stop()
        store.engine.dispose()


def test_a_notification_while_the_platform_is_down_is_answered_ok(outage: Outage) -> None:
    assert "<r:ResultCode>OK</r:ResultCode>" in outage.answer.text


def test_the_failed_fetch_is_kept_to_try_again(outage: Outage) -> None:
    assert [p.logical_address for p in outage.pending] == [demo.SERVICE_ADDRESS]


def test_nothing_is_imported_while_the_platform_is_down(outage: Outage) -> None:
    assert outage.entries_while_down == []


def test_the_fetch_is_tried_again_once_the_platform_is_back(outage: Outage) -> None:
    assert len(outage.entries_after) == 1


def test_a_fetch_that_succeeded_is_no_longer_pending(outage: Outage) -> None:
    assert outage.pending_after == []


def test_the_failed_fetch_is_logged_without_the_personnummer(outage: Outage) -> None:
    assert outage.patient.id not in outage.log


# ------------------------------------------------------------------ the aggregator


@pytest.fixture(scope="module")
def aggregated(servers: Servers, imported: tuple[PersonId, str, list[Entry]]) -> AggregatedOutcomes:
    connection = Connection.development(demo.AGGREGATOR, servers.platform.base_url, servers.platform.instance_id)
    return Aggregator(connection).laboratory_outcomes(imported[0].id)


def test_the_aggregator_finds_the_patient_s_result(aggregated: AggregatedOutcomes,
                                                   imported: tuple[PersonId, str, list[Entry]]) -> None:
    assert [o.header.record.id.extension for o in aggregated.outcomes] == [imported[1]]


def test_the_aggregator_asked_the_source_the_index_named(aggregated: AggregatedOutcomes) -> None:
    assert [s.logical_address for s in aggregated.sources] == [demo.SERVICE_ADDRESS]


def test_the_aggregator_s_answer_is_complete(aggregated: AggregatedOutcomes) -> None:
    assert aggregated.complete


@pytest.fixture(scope="module")
def two_engagements(servers: Servers) -> tuple[PersonId, str, AggregatedOutcomes]:
    """A patient with a released result and a second engagement at the same logical address (another
    data controller): the aggregator's answer."""
    patient = new_patient()
    oid = released(servers.db, patient)
    entries_when(servers, patient, bool)  # the push has reached the index
    service = Connection.development(demo.SERVICE_ADDRESS, servers.platform.base_url, servers.platform.instance_id)
    event = event_of(servers.db, oid)
    engagement = {
        "registeredResidentIdentification": patient.id, "serviceDomain": "riv:clinicalprocess:healthcond:actoutcome",
        "categorization": "und-kkm-ure", "logicalAddress": demo.SERVICE_ADDRESS,
        "businessObjectInstanceIdentifier": "NA", "clinicalProcessInterestId": "NA",
        "mostRecentContent": event.payload.most_recent_content.strftime("%Y%m%d%H%M%S"),
        "sourceSystem": demo.SERVICE_ADDRESS, "dataController": "SE2321000255",
    }
    answer = service.call_at(ENGAGEMENT_INDEX, UPDATE, engagementTransaction=[{"deleteFlag": False, "engagement": engagement}])
    assert answer.ResultCode == "OK"
    connection = Connection.development(demo.AGGREGATOR, servers.platform.base_url, servers.platform.instance_id)
    return patient, oid, Aggregator(connection).laboratory_outcomes(patient.id)


def test_the_index_has_two_engagements_of_the_patient(servers: Servers,
                                                      two_engagements: tuple[PersonId, str, AggregatedOutcomes]) -> None:
    connection = Connection.development(demo.AGGREGATOR, servers.platform.base_url, servers.platform.instance_id)
    assert len(Aggregator(connection).engagements(two_engagements[0].id)) == 2


def test_two_engagements_at_one_address_are_one_call(two_engagements: tuple[PersonId, str, AggregatedOutcomes]) -> None:
    assert len(two_engagements[2].sources) == 1


def test_two_engagements_at_one_address_give_the_record_once(
        two_engagements: tuple[PersonId, str, AggregatedOutcomes]) -> None:
    assert [o.header.record.id.extension for o in two_engagements[2].outcomes] == [two_engagements[1]]


@pytest.fixture(scope="module")
def one_source_unrouted(servers: Servers) -> tuple[str, AggregatedOutcomes]:
    """A patient with a released result and a second engagement at a logical address the platform
    does not route: the aggregator's answer."""
    patient = new_patient()
    oid = released(servers.db, patient)
    entries_when(servers, patient, bool)  # the push has reached the index
    service = Connection.development(demo.SERVICE_ADDRESS, servers.platform.base_url, servers.platform.instance_id)
    engagement = {
        "registeredResidentIdentification": patient.id, "serviceDomain": "riv:clinicalprocess:healthcond:actoutcome",
        "categorization": "und-kkm-ure", "logicalAddress": UNROUTED, "businessObjectInstanceIdentifier": "NA",
        "clinicalProcessInterestId": "NA", "mostRecentContent": "20261201120000", "sourceSystem": UNROUTED,
        "dataController": "SE2321000016",
    }
    answer = service.call_at(ENGAGEMENT_INDEX, UPDATE, engagementTransaction=[{"deleteFlag": False, "engagement": engagement}])
    assert answer.ResultCode == "OK"
    connection = Connection.development(demo.AGGREGATOR, servers.platform.base_url, servers.platform.instance_id)
    return oid, Aggregator(connection).laboratory_outcomes(patient.id)


UNROUTED = "SE2321000016-LIS9"


def test_each_address_the_index_names_is_asked(one_source_unrouted: tuple[str, AggregatedOutcomes]) -> None:
    assert sorted(s.logical_address for s in one_source_unrouted[1].sources) == sorted([demo.SERVICE_ADDRESS, UNROUTED])


def test_a_source_that_fails_is_reported_with_the_platform_s_refusal(
        one_source_unrouted: tuple[str, AggregatedOutcomes]) -> None:
    (status,) = [s for s in one_source_unrouted[1].sources if s.logical_address == UNROUTED]
    assert "VP004" in (status.error or "")


def test_the_other_sources_records_are_answered_all_the_same(one_source_unrouted: tuple[str, AggregatedOutcomes]) -> None:
    assert [o.header.record.id.extension for o in one_source_unrouted[1].outcomes] == [one_source_unrouted[0]]


def test_an_answer_with_a_failed_source_is_not_complete(one_source_unrouted: tuple[str, AggregatedOutcomes]) -> None:
    assert not one_source_unrouted[1].complete


def test_a_patient_the_index_does_not_know_has_no_results(servers: Servers) -> None:
    connection = Connection.development(demo.AGGREGATOR, servers.platform.base_url, servers.platform.instance_id)
    assert Aggregator(connection).laboratory_outcomes(new_patient().id).sources == []


@pytest.fixture(scope="module")
def command(servers: Servers, imported: tuple[PersonId, str, list[Entry]]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eph", "aggregator", "results", imported[0].id, "--json",
         "--platform", servers.platform.base_url, "--instance-id", servers.platform.instance_id],
        capture_output=True, text=True, cwd=ROOT, env=dict(os.environ), timeout=60)


def test_the_aggregator_command_succeeds(command: subprocess.CompletedProcess[str]) -> None:
    assert command.returncode == 0, command.stderr


def test_the_aggregator_command_prints_the_record(command: subprocess.CompletedProcess[str],
                                                  imported: tuple[PersonId, str, list[Entry]]) -> None:
    answer = json.loads(command.stdout)
    assert [o["header"]["record"]["id"]["extension"] for o in answer["laboratoryOrderOutcome"]] == [imported[1]]


# ------------------------------------------------------------------ the journal system's endpoint itself


def _notify(servers: Servers, address: str) -> requests.Response:
    body = (f'<r:ProcessNotification xmlns:r="{PROCESS_NOTIFICATION.responder_ns}" '
            'xmlns:c="urn:riv:itintegration:engagementindex:1"><r:engagementTransaction>'
            "<c:deleteFlag>true</c:deleteFlag><c:engagement>"
            "<c:registeredResidentIdentification>199001012384</c:registeredResidentIdentification>"
            "<c:serviceDomain>riv:clinicalprocess:healthcond:actoutcome</c:serviceDomain>"
            "<c:categorization>und-kkm-ure</c:categorization><c:logicalAddress>SE5565594230-EPH</c:logicalAddress>"
            "<c:businessObjectInstanceIdentifier>NA</c:businessObjectInstanceIdentifier>"
            "<c:clinicalProcessInterestId>NA</c:clinicalProcessInterestId>"
            "<c:sourceSystem>SE5565594230-EPH</c:sourceSystem><c:dataController>SE2321000016</c:dataController>"
            "<c:owner>SE5565594230-EI</c:owner></c:engagement></r:engagementTransaction></r:ProcessNotification>")
    return requests.post(servers.journal_url, data=soap_envelope(body, (
        f'<la:LogicalAddress xmlns:la="urn:riv:itintegration:registry:1">{address}</la:LogicalAddress>')),
        headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=10)


def test_a_notification_to_the_journal_system_s_address_is_answered_ok(servers: Servers) -> None:
    assert "<r:ResultCode>OK</r:ResultCode>" in _notify(servers, demo.EHR_A).text


def test_a_notification_to_another_address_is_answered_error(servers: Servers) -> None:
    assert "<r:ResultCode>ERROR</r:ResultCode>" in _notify(servers, "SE2321000016-EHR9").text


def test_a_request_that_is_not_a_notification_is_a_client_fault(servers: Servers) -> None:
    answer = requests.post(servers.journal_url, data=soap_envelope("<x/>"), headers={"Content-Type": "text/xml"},
                           timeout=10)
    assert "faultcode>soap:Client<" in answer.text


def test_the_journal_system_serves_the_contract_s_wsdl(servers: Servers) -> None:
    assert "ProcessNotification" in requests.get(servers.journal_url + "?wsdl", timeout=10).text


def test_the_aggregator_command_shows_a_table_of_the_records(servers: Servers,
                                                             imported: tuple[PersonId, str, list[Entry]]) -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "eph", "aggregator", "results", imported[0].id,
         "--platform", servers.platform.base_url, "--instance-id", servers.platform.instance_id],
        capture_output=True, text=True, cwd=ROOT, env=dict(os.environ), timeout=60)
    assert imported[1] in shown.stdout


# ------------------------------------------------------------------ eph demo: the whole story, the national way too


@pytest.fixture(scope="module")
def demo_run(servers: Servers) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eph", "demo", "--platform", servers.platform.base_url,
         "--instance-id", servers.platform.instance_id, "--sms-gateway", servers.sms_messages, "--sms-token", SMS_TOKEN],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "EPH_EHR_DATABASE_URL": str(servers.journal.engine.url)})


def _ok_steps(run: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in run.stdout.splitlines() if line.startswith("[ok ]")]


def test_eph_demo_succeeds(demo_run: subprocess.CompletedProcess[str]) -> None:
    assert demo_run.returncode == 0, demo_run.stdout + demo_run.stderr


def test_eph_demo_plays_every_step_as_the_story_says(demo_run: subprocess.CompletedProcess[str]) -> None:
    assert "37 of 37 steps as the story says" in demo_run.stdout


def test_eph_demo_shows_the_platform_s_refusal(demo_run: subprocess.CompletedProcess[str]) -> None:
    assert "VP007" in demo_run.stdout  # the sampling system's refused SetResult


def test_each_call_of_the_demo_has_a_correlation_id(demo_run: subprocess.CompletedProcess[str]) -> None:
    uuid = re.compile(r" [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} ")
    calls = [line for line in _ok_steps(demo_run) if " journal " not in line and " sms " not in line]
    assert [line for line in calls if not uuid.search(line)] == []


def test_the_demo_finds_the_engagement_in_the_index(demo_run: subprocess.CompletedProcess[str]) -> None:
    assert any("FindContent" in line and "the index has patient A's engagement" in line for line in _ok_steps(demo_run))


def test_the_demo_shows_the_engagement(demo_run: subprocess.CompletedProcess[str]) -> None:
    assert "engagement: riv:clinicalprocess:healthcond:actoutcome und-kkm-ure at SE5565594230-EPH" in demo_run.stdout


def test_the_demo_s_aggregator_reads_the_results(demo_run: subprocess.CompletedProcess[str]) -> None:
    assert any("GetLaboratoryOrderOutcome" in line and "aggregator reads" in line for line in _ok_steps(demo_run))


def test_the_demo_s_journal_has_imported_the_results(demo_run: subprocess.CompletedProcess[str]) -> None:
    assert any("journal has imported" in line for line in _ok_steps(demo_run))


def test_the_demo_s_patient_gets_a_notice(demo_run: subprocess.CompletedProcess[str]) -> None:
    assert any("(notice)" in line and "patient A gets an SMS" in line for line in _ok_steps(demo_run))


def test_the_demo_s_notice_is_the_fixed_text(demo_run: subprocess.CompletedProcess[str]) -> None:
    assert "sms to +46701740605: Du har ett nytt provsvar att läsa i 1177." in demo_run.stdout
