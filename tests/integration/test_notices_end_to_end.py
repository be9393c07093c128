"""A notice end to end (issue 18): the patient chooses e-mail through the platform, the lab
reports a negative result through the platform, the service releases it and writes the NOTICE
event in the same transaction; the outbox, with the senders a running service configures from
EPH_NOTICE_SMTP_HOST, delivers it to a real SMTP server (aiosmtpd) with the fixed, content-free
text; and the same event delivered again (at least once delivery) sends nothing twice. Likewise a
kit sent reaches the SMS gateway stand-in over HTTP as the fixed SMS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest

from consumers import CitizenService, EhrSystem, LabSystem
from consumers.roles import actor, timestamp
from eph import demo
from eph.notices import NoticeSender
from eph.notices.texts import email_text, sms_text
from eph.outbox import configured_senders
from service_domain.model import EventKind, EventState, NoticeDue, NoticeKind, OutboxEvent
from service_domain.persistence.database import Database
from service_domain.services import outbox
from tests.browser.citizen import adult, connection
from tests.notice_servers import GATEWAY_TOKEN, GatewayServer, MailServer
from tests.support import PlatformProcess

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

EMAIL = "tolvan.notis@example.se"
NEGATIVE = {"code": "260415000", "codeSystem": demo.SNOMED_CT_SE, "displayName": "ej påvisad"}


@pytest.fixture(scope="module")
def mail() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


def released_over_soap(platform: PlatformProcess) -> str:
    """A new patient who chose e-mail notices, with a negative chlamydia result released at once."""
    number = adult()
    citizen = CitizenService(connection(platform, demo.CITIZEN_SERVICE))
    citizen.set_notice_settings(number, "EMAIL", email=EMAIL)
    ehr = EhrSystem(connection(platform, demo.EHR_A), demo.CARE_GIVER_A, demo.CARE_UNIT_A)
    offer_id = ehr.assign(number, "CTNG", actor("STAFF", "SE2321000016-ST01")).offerId
    order_id = citizen.order_home_kit(offer_id, number, {"name": "Tolvan", "street": "Gatan 1",
                                                         "postalCode": "111 22", "city": "Stockholm"}).orderId
    lab = LabSystem(connection(platform, demo.LAB_A), demo.LAB_A)
    lab.send_result({
        "orderId": order_id, "resultVersion": 1, "reportStatus": "FINAL", "reportTime": timestamp(),
        "analysisResult": [
            {"code": {"code": code, "codeSystem": "2.25.159671226030279178880944627251741285418.1"},
             "displayName": name, "status": "FINAL", "coded": NEGATIVE, "interpretation": "NEGATIVE"}
            for code, name in (("CT-NAAT", "Klamydia"), ("NG-NAAT", "Gonorré"))]})
    return str(order_id)


@pytest.fixture(scope="module")
def delivered(demo_platform: PlatformProcess, database_url: str, mail: MailServer) -> Iterator[dict[str, Any]]:
    db = Database(database_url)
    order_id = released_over_soap(demo_platform)
    senders = configured_senders({"EPH_NOTICE_SMTP_HOST": "127.0.0.1", "EPH_NOTICE_SMTP_PORT": str(mail.port)}, db=db)
    with db.uow() as uow:
        waiting = uow.outbox.list(EventState.PENDING, 100_000)
    (event,) = [e for e in waiting if isinstance(e.payload, NoticeDue) and e.payload.order_id == order_id]
    before = len(mail.mailbox.received)
    done = outbox.deliver_due(db.uow(), {EventKind.NOTICE: senders[EventKind.NOTICE]}, datetime.now(UTC), "e2e")
    received = mail.mailbox.received[before:]
    yield {"db": db, "event": event, "done": done, "received": received, "sender": senders[EventKind.NOTICE],
           "before": before}
    db.dispose()


def message(delivered: dict[str, Any]) -> EmailMessage:
    (_, _, msg) = delivered["received"][0]
    assert isinstance(msg, EmailMessage)
    return msg


def test_a_running_service_configures_the_notice_sender_from_the_smtp_host(delivered: dict[str, Any]) -> None:
    assert isinstance(delivered["sender"], NoticeSender)


def test_the_released_result_s_notice_is_delivered(delivered: dict[str, Any]) -> None:
    assert delivered["done"].delivered == 1


def test_one_e_mail_arrives(delivered: dict[str, Any]) -> None:
    assert len(delivered["received"]) == 1


def test_it_goes_to_the_address_the_patient_chose(delivered: dict[str, Any]) -> None:
    assert delivered["received"][0][1] == [EMAIL]


def test_it_is_the_new_result_notice(delivered: dict[str, Any]) -> None:
    assert delivered["event"].payload.kind is NoticeKind.NEW_RESULT


def test_its_subject_is_the_fixed_text(delivered: dict[str, Any]) -> None:
    assert message(delivered)["Subject"] == email_text(NoticeKind.NEW_RESULT).subject


def test_its_body_is_the_fixed_text(delivered: dict[str, Any]) -> None:
    body = message(delivered).get_body(("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n").strip()
    assert text == email_text(NoticeKind.NEW_RESULT).body.strip()


def test_it_names_no_finding_and_no_analysis(delivered: dict[str, Any]) -> None:
    text = message(delivered).as_string().lower()
    assert [w for w in ("klamydia", "gonorr", "ej påvisad", "negativ", "ct-naat") if w in text] == []


def test_the_same_event_delivered_again_sends_nothing(delivered: dict[str, Any], mail: MailServer) -> None:
    event: OutboxEvent = delivered["event"]
    delivered["sender"].send(event)  # at least once: a worker that died before saving the outcome
    assert len(mail.mailbox.received) == delivered["before"] + 1


@pytest.fixture(scope="module")
def gateway() -> Iterator[GatewayServer]:
    server = GatewayServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def texted(demo_platform: PlatformProcess, database_url: str, gateway: GatewayServer) -> Iterator[list[Any]]:
    """A patient who chose SMS, whose home kit the lab reports sent through the platform; the
    outbox delivers the KIT_SENT notice to the SMS gateway stand-in over HTTP."""
    db = Database(database_url)
    number = adult()
    citizen = CitizenService(connection(demo_platform, demo.CITIZEN_SERVICE))
    citizen.set_notice_settings(number, "SMS", mobile="070-765 43 21")
    ehr = EhrSystem(connection(demo_platform, demo.EHR_A), demo.CARE_GIVER_A, demo.CARE_UNIT_A)
    offer_id = ehr.assign(number, "CTNG", actor("STAFF", "SE2321000016-ST01")).offerId
    order_id = citizen.order_home_kit(offer_id, number, {"name": "Tolvan", "street": "Gatan 1",
                                                         "postalCode": "111 22", "city": "Stockholm"}).orderId
    LabSystem(connection(demo_platform, demo.LAB_A), demo.LAB_A).kit_sent(order_id)
    senders = configured_senders({"EPH_NOTICE_SMS_URL": gateway.url, "EPH_NOTICE_SMS_TOKEN": GATEWAY_TOKEN}, db=db)
    before = len(gateway.inbox.messages)
    outbox.deliver_due(db.uow(), {EventKind.NOTICE: senders[EventKind.NOTICE]}, datetime.now(UTC), "e2e-sms")
    yield gateway.inbox.messages[before:]
    db.dispose()


def test_a_kit_sent_reaches_the_sms_gateway_once(texted: list[Any]) -> None:
    assert len(texted) == 1


def test_the_sms_goes_to_the_number_in_e164(texted: list[Any]) -> None:
    assert texted[0].to == "+46707654321"


def test_the_sms_is_the_fixed_kit_sent_text(texted: list[Any]) -> None:
    assert texted[0].text == sms_text(NoticeKind.KIT_SENT)
