"""The engagement index stand-in over real HTTP: ``eph serve engagement-index`` behind a running
platform whose catalogue is the demo's routing of the index. The service (as its outbox does)
sends Update and the aggregator asks FindContent, with zeep clients from the national WSDL;
a subscriber (a small server of the test's own) gets ProcessNotification through the platform."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
import zeep.exceptions
from lxml import etree
from sqlalchemy import create_engine
from zeep.transports import Transport

from consumers.engagement_index.config import ENGAGEMENT_INDEX
from contracts.interactions import FIND_CONTENT, PROCESS_NOTIFICATION, UPDATE, Interaction
from eph import demo
from eph.demo.routing import with_engagement_index
from eph.migrate import upgrade
from routing import store
from tests.support import PlatformProcess, free_port, spawn, terminate

SUBSCRIBER = "SE5565594230-SUB1"
RESIDENT = "191212121212"
DOMAIN = "riv:clinicalprocess:healthcond:actoutcome"
CORE = "urn:riv:itintegration:engagementindex:1"
NOTIFIED_OK = (
    '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    f'<soap:Body><r:ProcessNotificationResponse xmlns:r="{PROCESS_NOTIFICATION.responder_ns}">'
    "<r:ResultCode>OK</r:ResultCode></r:ProcessNotificationResponse></soap:Body></soap:Envelope>"
).encode()


class Subscriber:
    """A subscriber's ProcessNotification endpoint: keeps every request body, answers OK."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[bytes] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                received.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(NOTIFIED_OK)))
                self.end_headers()
                self.wfile.write(NOTIFIED_OK)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/notify"

    def notifications_of(self, order: str, count: int = 1, timeout: float = 20) -> list[etree._Element]:
        """The notifications received of the engagement of ``order``, once there are ``count`` (or
        the time is up)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [etree.fromstring(b) for b in list(self.received) if f">{order}<".encode() in b]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


@pytest.fixture(scope="module")
def subscriber() -> Iterator[Subscriber]:
    s = Subscriber()
    yield s
    s.server.shutdown()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("ei"))


@pytest.fixture(scope="module")
def index_log(folder: Path) -> Path:
    return folder / "index.log"


@pytest.fixture(scope="module")
def index_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def index_url(index_port: int) -> str:
    return f"http://127.0.0.1:{index_port}"


@pytest.fixture(scope="module")
def servers(folder: Path, index_log: Path, index_port: int, subscriber: Subscriber) -> Iterator[str]:
    """The platform (its URL is answered) and the index behind it, with the demo's routing of the index."""
    platform_db = f"sqlite:///{folder / 'platform.sqlite3'}"
    upgrade(platform_db)
    now = datetime.now(UTC)
    cat = with_engagement_index(store.empty(), f"http://127.0.0.1:{index_port}", {SUBSCRIBER: subscriber.url}, now)
    engine = create_engine(platform_db)
    with engine.begin() as conn:
        store.save(conn, cat)
    engine.dispose()
    platform = PlatformProcess(platform_db, folder / "platform").start(EPH_VP_PRODUCER_CERT="none")
    index, log_file = spawn("engagement-index", index_port, {
        "EPH_EI_DATABASE_URL": f"sqlite:///{folder / 'index.sqlite3'}", "EPH_EI_SUBSCRIBERS": SUBSCRIBER,
        "EPH_PLATFORM_URL": platform.base_url, "EPH_VP_INSTANCE_ID": platform.instance_id,
    }, index_log)
    yield platform.base_url
    terminate(index, log_file)
    platform.stop()


def _service(platform: str, sender: str, interaction: Interaction) -> Any:
    session = requests.Session()
    session.headers.update({"x-vp-sender-id": sender, "x-vp-instance-id": "eph-vp-test"})
    client = zeep.Client(str(interaction.wsdl_path), transport=Transport(session=session), settings=zeep.Settings(strict=True))
    return client.create_service(f"{{{interaction.wsdl_ns}}}{interaction.name}ResponderBinding",
                                 f"{platform}/vp{interaction.path}")


def _engagement(order: str, **changes: str) -> dict[str, str]:
    return {
        "registeredResidentIdentification": RESIDENT, "serviceDomain": DOMAIN, "categorization": "CTNG",
        "logicalAddress": demo.SERVICE_ADDRESS, "businessObjectInstanceIdentifier": order,
        "clinicalProcessInterestId": "1", "mostRecentContent": "20261201120000",
        "sourceSystem": demo.SERVICE_ADDRESS, "dataController": "SE2321000016", **changes,
    }


def _update(platform: str, *engagements: dict[str, str], delete: bool = False) -> Any:
    return _service(platform, demo.SERVICE_ADDRESS, UPDATE).Update(
        _soapheaders={"LogicalAddress": ENGAGEMENT_INDEX},
        engagementTransaction=[{"deleteFlag": delete, "engagement": e} for e in engagements])


def _find(platform: str, order: str | None = None, sender: str = demo.AGGREGATOR) -> list[Any]:
    answer = _service(platform, sender, FIND_CONTENT).FindContent(
        _soapheaders={"LogicalAddress": ENGAGEMENT_INDEX}, registeredResidentIdentification=RESIDENT,
        serviceDomain=DOMAIN, businessObjectInstanceIdentifier=order)
    return list(answer.engagement or [])


def test_an_update_is_answered_ok(servers: str) -> None:
    assert _update(servers, _engagement("EI-A")).ResultCode == "OK"


def test_find_content_finds_the_updated_engagement(servers: str) -> None:
    _update(servers, _engagement("EI-B"))
    assert [e.businessObjectInstanceIdentifier for e in _find(servers, "EI-B")] == ["EI-B"]


def test_the_index_is_the_owner_of_what_it_stores(servers: str) -> None:
    _update(servers, _engagement("EI-C", owner="SE0000000000-X"))
    assert [e.owner for e in _find(servers, "EI-C")] == [ENGAGEMENT_INDEX]


def test_a_repeated_update_keeps_one_engagement_with_the_newer_content(servers: str) -> None:
    _update(servers, _engagement("EI-D"))
    _update(servers, _engagement("EI-D", mostRecentContent="20261203080000"))
    assert [e.mostRecentContent for e in _find(servers, "EI-D")] == ["20261203080000"]


def test_an_older_update_arriving_late_keeps_the_newer_content(servers: str) -> None:
    _update(servers, _engagement("EI-LATE1", mostRecentContent="20261203080000"))
    _update(servers, _engagement("EI-LATE1", mostRecentContent="20261201120000"))
    assert [e.mostRecentContent for e in _find(servers, "EI-LATE1")] == ["20261203080000"]


def test_an_older_update_arriving_late_is_answered_ok(servers: str) -> None:
    _update(servers, _engagement("EI-LATE2", mostRecentContent="20261203080000"))
    assert _update(servers, _engagement("EI-LATE2", mostRecentContent="20261201120000")).ResultCode == "OK"


def test_a_delete_removes_the_engagement(servers: str) -> None:
    _update(servers, _engagement("EI-E"))
    _update(servers, _engagement("EI-E"), delete=True)
    assert _find(servers, "EI-E") == []


def test_the_journal_system_may_find_content(servers: str) -> None:
    _update(servers, _engagement("EI-F"))
    assert len(_find(servers, "EI-F", sender=demo.EHR_A)) == 1


def test_the_lab_system_may_not_find_content(servers: str) -> None:
    with pytest.raises(zeep.exceptions.Fault, match="VP007"):
        _find(servers, "EI-F", sender=demo.LAB_A)


def test_the_aggregator_may_not_update(servers: str) -> None:
    with pytest.raises(zeep.exceptions.Fault, match="VP007"):
        _service(servers, demo.AGGREGATOR, UPDATE).Update(
            _soapheaders={"LogicalAddress": ENGAGEMENT_INDEX},
            engagementTransaction=[{"deleteFlag": False, "engagement": _engagement("EI-G")}])


def test_the_same_engagement_twice_in_one_update_is_an_error(servers: str) -> None:
    assert _update(servers, _engagement("EI-H"), _engagement("EI-H")).ResultCode == "ERROR"


def test_the_error_names_the_rule(servers: str) -> None:
    assert _update(servers, _engagement("EI-H"), _engagement("EI-H")).comment.startswith("EI002")


def test_a_field_with_white_space_around_it_is_an_error(servers: str) -> None:
    assert _update(servers, _engagement("EI-I", categorization=" CTNG")).ResultCode == "ERROR"


def test_an_update_refused_stores_nothing(servers: str) -> None:
    _update(servers, _engagement("EI-J"), _engagement("EI-K", categorization="CTNG "))
    assert _find(servers, "EI-J") == []


def _post(platform: str, body: str) -> requests.Response:
    envelope = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Header><a:LogicalAddress xmlns:a="urn:riv:itintegration:registry:1">{ENGAGEMENT_INDEX}</a:LogicalAddress>'
        f"</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>")
    return requests.post(f"{platform}/vp{UPDATE.path}", data=envelope.encode(), timeout=30, headers={
        "Content-Type": "text/xml; charset=utf-8", "SOAPAction": UPDATE.soap_action,
        "x-vp-sender-id": demo.SERVICE_ADDRESS, "x-vp-instance-id": "eph-vp-test"})


INVALID = (f'<r:Update xmlns:r="{UPDATE.responder_ns}" xmlns:c="{CORE}"><r:engagementTransaction>'
           "<c:deleteFlag>false</c:deleteFlag><c:engagement><c:registeredResidentIdentification>191212121212"
           "</c:registeredResidentIdentification></c:engagement></r:engagementTransaction></r:Update>")


def test_a_request_against_the_contract_is_a_client_fault(servers: str) -> None:
    assert b"faultcode>soap:Client<" in _post(servers, INVALID).content


def test_the_fault_does_not_repeat_the_resident(servers: str) -> None:
    assert RESIDENT.encode() not in _post(servers, INVALID).content


def test_an_element_of_another_namespace_is_accepted(servers: str) -> None:
    body = INVALID.replace("</r:Update>", "").replace(
        "<c:registeredResidentIdentification>191212121212</c:registeredResidentIdentification>",
        "".join(f"<c:{k}>{v}</c:{k}>" for k, v in _engagement("EI-L").items()).replace(
            "<c:mostRecentContent>20261201120000</c:mostRecentContent>", ""),
    ) + '<x:extra xmlns:x="urn:example:x">1</x:extra></r:Update>'
    assert b"<r:ResultCode>OK</r:ResultCode>" in _post(servers, body).content


def test_the_subscriber_is_notified_through_the_platform(servers: str, subscriber: Subscriber) -> None:
    _update(servers, _engagement("EI-M"))
    assert len(subscriber.notifications_of("EI-M")) == 1


def test_the_notification_names_the_index_as_owner(servers: str, subscriber: Subscriber) -> None:
    _update(servers, _engagement("EI-N"))
    [notification] = subscriber.notifications_of("EI-N")
    assert notification.findtext(f".//{{{CORE}}}owner") == ENGAGEMENT_INDEX


def test_the_notification_is_addressed_to_the_subscriber(servers: str, subscriber: Subscriber) -> None:
    _update(servers, _engagement("EI-O"))
    [notification] = subscriber.notifications_of("EI-O")
    assert notification.findtext(".//{urn:riv:itintegration:registry:1}LogicalAddress") == SUBSCRIBER


def test_a_deletion_is_notified_as_one(servers: str, subscriber: Subscriber) -> None:
    _update(servers, _engagement("EI-P"))
    subscriber.notifications_of("EI-P")
    _update(servers, _engagement("EI-P"), delete=True)
    flags = [n.findtext(f".//{{{CORE}}}deleteFlag") for n in subscriber.notifications_of("EI-P", count=2)]
    assert flags == ["false", "true"]


def test_the_index_logs_no_personnummer(servers: str, index_log: Path) -> None:
    _update(servers, _engagement("EI-Q"))
    _find(servers, "EI-Q")
    assert RESIDENT not in index_log.read_text(encoding="utf-8", errors="replace")


def test_the_index_serves_the_wsdl_as_released_through_the_platform(servers: str) -> None:
    wsdl = requests.get(f"{servers}/vp{FIND_CONTENT.path}?wsdl", timeout=30,
                        headers={"x-vp-sender-id": demo.AGGREGATOR, "x-vp-instance-id": "eph-vp-test"})
    client = zeep.Client(io.BytesIO(wsdl.content), settings=zeep.Settings(strict=True))
    assert client.wsdl.bindings[f"{{{FIND_CONTENT.wsdl_ns}}}FindContentResponderBinding"].get("FindContent").soapaction \
        == FIND_CONTENT.soap_action


def test_the_index_serves_the_wsdl_as_released(servers: str, index_url: str) -> None:
    wsdl = requests.get(f"{index_url}/ei{UPDATE.path}?wsdl", timeout=30)
    client = zeep.Client(io.BytesIO(wsdl.content), settings=zeep.Settings(strict=True))
    assert client.wsdl.bindings[f"{{{UPDATE.wsdl_ns}}}UpdateResponderBinding"].get("Update").soapaction \
        == UPDATE.soap_action


def test_the_index_serves_the_core_components_as_released(servers: str, index_url: str) -> None:
    name = "itintegration_engagementindex_1.0.xsd"
    served = requests.get(f"{index_url}/ei{UPDATE.path}?xsd={name}", timeout=30).content
    released = etree.parse(str(UPDATE.core_components / name)).getroot()
    assert etree.tostring(etree.fromstring(served), method="c14n") == etree.tostring(released, method="c14n")


def test_an_update_for_another_logical_address_is_an_error_of_rule_ei003(servers: str, index_url: str) -> None:
    index = zeep.Client(str(UPDATE.wsdl_path), settings=zeep.Settings(strict=True)).create_service(
        f"{{{UPDATE.wsdl_ns}}}UpdateResponderBinding", f"{index_url}/ei{UPDATE.path}")
    answer = index.Update(_soapheaders={"LogicalAddress": demo.SERVICE_ADDRESS},
                          engagementTransaction=[{"deleteFlag": False, "engagement": _engagement("EI-R")}])
    assert answer.comment.startswith("EI003")
