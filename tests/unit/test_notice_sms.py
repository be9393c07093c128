"""SMS notices through the SMS gateway stand-in's application over real HTTP (in the test's
process; tests/consumers/test_sms_gateway.py runs ``eph serve sms-gateway``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from eph.notices import (
    NoticeRefused,
    NoticeThrottled,
    NoticeUnreachable,
    SmsGatewayConfig,
    SmsGatewayTransport,
)
from eph.notices.sms import sms_request
from eph.notices.texts import sms_text
from service_domain.model.notices import NoticeChannel, NoticeKind, OutgoingNotice
from tests.notice_servers import GATEWAY_TOKEN, GatewayServer
from tests.support import free_port

NUMBER = "+46701234567"
NOTICE = OutgoingNotice("ev-0002", NoticeKind.KIT_SENT, NoticeChannel.SMS, NUMBER)


@pytest.fixture(scope="module")
def gateway() -> Iterator[GatewayServer]:
    server = GatewayServer().start()
    yield server
    server.stop()


@pytest.fixture
def transport(gateway: GatewayServer) -> SmsGatewayTransport:
    gateway.inbox.clear()
    return SmsGatewayTransport(SmsGatewayConfig(gateway.url, GATEWAY_TOKEN, timeout=5))


def fault(gateway: GatewayServer, status: int) -> None:
    requests.post(f"http://127.0.0.1:{gateway.port}/faults", json={"status": status, "count": 1},
                  headers={"Authorization": f"Bearer {GATEWAY_TOKEN}"}, timeout=5).raise_for_status()


def test_the_gateway_stores_the_message(gateway: GatewayServer, transport: SmsGatewayTransport) -> None:
    transport.send(NOTICE)
    assert len(gateway.inbox.messages) == 1


def test_the_message_goes_to_the_number(gateway: GatewayServer, transport: SmsGatewayTransport) -> None:
    transport.send(NOTICE)
    assert gateway.inbox.messages[0].to == NUMBER


def test_the_message_is_the_kinds_text(gateway: GatewayServer, transport: SmsGatewayTransport) -> None:
    transport.send(NOTICE)
    assert gateway.inbox.messages[0].text == sms_text(NoticeKind.KIT_SENT)


def test_the_key_is_the_event_id(gateway: GatewayServer, transport: SmsGatewayTransport) -> None:
    transport.send(NOTICE)
    assert gateway.inbox.messages[0].idempotencyKey == "ev-0002"


def test_the_reference_is_the_event_id(gateway: GatewayServer, transport: SmsGatewayTransport) -> None:
    transport.send(NOTICE)
    assert gateway.inbox.messages[0].reference == "ev-0002"


def test_a_retried_send_is_stored_once(gateway: GatewayServer, transport: SmsGatewayTransport) -> None:
    transport.send(NOTICE)
    transport.send(NOTICE)
    assert len(gateway.inbox.messages) == 1


def test_the_request_has_the_documented_fields() -> None:
    assert set(sms_request(NOTICE)) == {"to", "text", "reference"}


def test_a_wrong_token_is_refused(gateway: GatewayServer) -> None:
    transport = SmsGatewayTransport(SmsGatewayConfig(gateway.url, "not-the-token", timeout=5))
    with pytest.raises(NoticeRefused):
        transport.send(NOTICE)


def test_a_wrong_token_stores_nothing(gateway: GatewayServer, transport: SmsGatewayTransport) -> None:
    with pytest.raises(NoticeRefused):
        SmsGatewayTransport(SmsGatewayConfig(gateway.url, "not-the-token", timeout=5)).send(NOTICE)
    assert gateway.inbox.messages == []


def test_a_refusal_does_not_name_the_number(gateway: GatewayServer) -> None:
    transport = SmsGatewayTransport(SmsGatewayConfig(gateway.url, "not-the-token", timeout=5))
    with pytest.raises(NoticeRefused) as caught:
        transport.send(NOTICE)
    assert "701234567" not in str(caught.value)


def test_a_refusal_names_the_status(gateway: GatewayServer) -> None:
    transport = SmsGatewayTransport(SmsGatewayConfig(gateway.url, "not-the-token", timeout=5))
    with pytest.raises(NoticeRefused, match="HTTP 401"):
        transport.send(NOTICE)


def test_a_number_not_in_e164_is_refused(transport: SmsGatewayTransport) -> None:
    with pytest.raises(NoticeRefused, match="HTTP 400"):
        transport.send(OutgoingNotice("ev-0003", NoticeKind.KIT_SENT, NoticeChannel.SMS, "0701234567"))


def test_slow_down_raises_throttled(gateway: GatewayServer, transport: SmsGatewayTransport) -> None:
    fault(gateway, 429)
    with pytest.raises(NoticeThrottled):
        transport.send(NOTICE)


def test_a_failing_gateway_raises_unreachable(gateway: GatewayServer, transport: SmsGatewayTransport) -> None:
    fault(gateway, 503)
    with pytest.raises(NoticeUnreachable):
        transport.send(NOTICE)


def test_a_send_after_a_fault_is_stored(gateway: GatewayServer, transport: SmsGatewayTransport) -> None:
    fault(gateway, 503)
    with pytest.raises(NoticeUnreachable):
        transport.send(NOTICE)
    transport.send(NOTICE)
    assert len(gateway.inbox.messages) == 1


def test_a_gateway_not_listening_raises_unreachable() -> None:
    transport = SmsGatewayTransport(SmsGatewayConfig(f"http://127.0.0.1:{free_port()}/sms", "t", timeout=2))
    with pytest.raises(NoticeUnreachable):
        transport.send(NOTICE)


def test_the_url_without_a_token_is_an_error() -> None:
    with pytest.raises(ValueError, match="EPH_NOTICE_SMS_TOKEN"):
        SmsGatewayConfig.from_env({"EPH_NOTICE_SMS_URL": "http://127.0.0.1:8086/sms"})


def test_no_url_is_no_sms() -> None:
    assert SmsGatewayConfig.from_env({"EPH_NOTICE_SMS_TOKEN": "t"}) is None


def test_the_token_is_not_in_the_settings_repr() -> None:
    assert "secret-token" not in repr(SmsGatewayConfig("http://gw.example/sms", "secret-token"))
