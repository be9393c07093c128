"""The outbox's sender of NOTICE events, with substitutes for the service layer's
``prepare_notice`` and ``record_notice_sent``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from eph.notices import (
    ChannelNotConfigured,
    NoticeRefused,
    NoticeSender,
    SmsGatewayConfig,
    SmsGatewayTransport,
    SmtpConfig,
    SmtpTransport,
    notice_sender_from_env,
)
from service_domain.identity import PersonId
from service_domain.model import EventKind, OutboxEvent
from service_domain.model.notices import NoticeChannel, NoticeDue, NoticeKind, OutgoingNotice
from tests.notice_servers import MailServer

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ADDRESS = "tolvan.tolvansson@example.se"
NUMBER = "+46701234567"
EVENT = OutboxEvent("ev-0100", EventKind.NOTICE, NoticeDue(PersonId("191212121212"), NoticeKind.NEW_RESULT, "order-1"),  # type: ignore[arg-type]
                    NOW, NOW)
BY_EMAIL = OutgoingNotice("ev-0100", NoticeKind.NEW_RESULT, NoticeChannel.EMAIL, ADDRESS)
BY_SMS = OutgoingNotice("ev-0100", NoticeKind.NEW_RESULT, NoticeChannel.SMS, NUMBER)


class FakeDb:
    def __init__(self) -> None:
        self.uows = 0

    def uow(self) -> object:
        self.uows += 1
        return object()


class Kept:
    """A transport that keeps what it is given, or fails."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.sent: list[OutgoingNotice] = []
        self.fail = fail

    def send(self, notice: OutgoingNotice) -> None:
        if self.fail is not None:
            raise self.fail
        self.sent.append(notice)


class Service:
    """The substitutes of the service layer's two functions."""

    def __init__(self, outgoing: OutgoingNotice | None) -> None:
        self.outgoing = outgoing
        self.prepared: list[tuple[str, datetime]] = []
        self.recorded: list[tuple[str, OutgoingNotice, datetime]] = []

    def prepare(self, uow: Any, event: OutboxEvent, now: datetime) -> OutgoingNotice | None:
        self.prepared.append((event.event_id, now))
        return self.outgoing

    def record(self, uow: Any, event: OutboxEvent, outgoing: OutgoingNotice, now: datetime) -> None:
        self.recorded.append((event.event_id, outgoing, now))


def sender(service: Service, email: Any = None, sms: Any = None) -> NoticeSender:
    return NoticeSender(FakeDb(), email, sms, lambda: NOW, prepare=service.prepare, record=service.record)  # type: ignore[arg-type]


def test_nothing_to_send_sends_nothing() -> None:
    email = Kept()
    sender(Service(None), email=email).send(EVENT)
    assert email.sent == []


def test_nothing_to_send_records_nothing() -> None:
    service = Service(None)
    sender(service, email=Kept()).send(EVENT)
    assert service.recorded == []


def test_prepare_is_asked_at_the_clocks_time() -> None:
    service = Service(None)
    sender(service).send(EVENT)
    assert service.prepared == [("ev-0100", NOW)]


def test_an_email_notice_goes_by_email() -> None:
    email = Kept()
    sender(Service(BY_EMAIL), email=email, sms=Kept()).send(EVENT)
    assert email.sent == [BY_EMAIL]


def test_an_sms_notice_goes_by_sms() -> None:
    sms = Kept()
    sender(Service(BY_SMS), email=Kept(), sms=sms).send(EVENT)
    assert sms.sent == [BY_SMS]


def test_a_sent_notice_is_recorded() -> None:
    service = Service(BY_SMS)
    sender(service, sms=Kept()).send(EVENT)
    assert service.recorded == [("ev-0100", BY_SMS, NOW)]


def test_a_channel_without_a_transport_raises() -> None:
    with pytest.raises(ChannelNotConfigured):
        sender(Service(BY_SMS), email=Kept()).send(EVENT)


def test_a_failed_send_is_not_recorded() -> None:
    service = Service(BY_EMAIL)
    with pytest.raises(NoticeRefused):
        sender(service, email=Kept(NoticeRefused("the mail server refused the recipient"))).send(EVENT)
    assert service.recorded == []


@pytest.fixture(scope="module")
def mail() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


def test_a_refused_address_is_not_in_the_exception(mail: MailServer) -> None:
    mail.mailbox.refuse = True
    try:
        with pytest.raises(NoticeRefused) as caught:
            sender(Service(BY_EMAIL), email=SmtpTransport(SmtpConfig("127.0.0.1", mail.port, timeout=5))).send(EVENT)
    finally:
        mail.mailbox.refuse = False
    assert "tolvan" not in str(caught.value)


def test_an_unreachable_gateway_does_not_name_the_number() -> None:
    from tests.support import free_port

    sms = SmsGatewayTransport(SmsGatewayConfig(f"http://127.0.0.1:{free_port()}/sms", "t", timeout=2))
    with pytest.raises(Exception) as caught:
        sender(Service(BY_SMS), sms=sms).send(EVENT)
    assert "701234567" not in str(caught.value)


def test_no_address_is_logged(mail: MailServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    transport = SmtpTransport(SmtpConfig("127.0.0.1", mail.port, timeout=5))
    sender(Service(BY_EMAIL), email=transport).send(EVENT)
    mail.mailbox.refuse = True
    try:
        with pytest.raises(NoticeRefused):
            sender(Service(BY_EMAIL), email=transport).send(EVENT)
    finally:
        mail.mailbox.refuse = False
    # every record but the test mail server's own (aiosmtpd's "mail.log", the receiving side)
    assert [r for r in caplog.records if r.name != "mail.log" and "tolvan" in r.getMessage()] == []


def test_the_sent_notice_is_logged_by_event_id(mail: MailServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="eph.notices")
    sender(Service(BY_EMAIL), email=SmtpTransport(SmtpConfig("127.0.0.1", mail.port, timeout=5))).send(EVENT)
    assert "ev-0100" in caplog.text


def test_no_settings_no_sender() -> None:
    assert notice_sender_from_env(FakeDb(), {}) is None  # type: ignore[arg-type]


def test_an_smtp_host_makes_a_sender() -> None:
    made = notice_sender_from_env(FakeDb(), {"EPH_NOTICE_SMTP_HOST": "mail.example"})  # type: ignore[arg-type]
    assert list(getattr(made, "transports", {})) == [NoticeChannel.EMAIL]


def test_an_sms_url_makes_a_sender_by_sms() -> None:
    made = notice_sender_from_env(FakeDb(), {"EPH_NOTICE_SMS_URL": "http://127.0.0.1:8086/sms",  # type: ignore[arg-type]
                                             "EPH_NOTICE_SMS_TOKEN": "t"})
    assert list(getattr(made, "transports", {})) == [NoticeChannel.SMS]

