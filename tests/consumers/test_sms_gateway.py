"""The SMS gateway stand-in as ``eph serve sms-gateway`` runs it, over real HTTP, receiving the
notices' SMS from ``SmsGatewayTransport``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from eph.notices import NoticeRefused, SmsGatewayConfig, SmsGatewayTransport
from service_domain.model.notices import NoticeChannel, NoticeKind, OutgoingNotice
from tests.support import free_port, spawn, terminate

TOKEN = "consumer-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NUMBER = "+46709876543"


@dataclass
class Gateway:
    base: str
    log_path: Path


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    port = free_port()
    log_path = Path(tmp_path_factory.mktemp("sms-gateway")) / "gateway.log"
    proc, log_file = spawn("sms-gateway", port, {"EPH_SMS_GATEWAY_TOKEN": TOKEN, "EPH_PROFILE": "development"}, log_path)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}")
        yield Gateway(f"http://127.0.0.1:{port}", log_path)
    finally:
        terminate(proc, log_file)


@pytest.fixture
def gateway(running: Gateway) -> str:
    return running.base


def wait_until_serving(base: str) -> None:
    """Until ``GET /messages`` answers 200: the port opens before the worker has built the app."""
    for _ in range(100):
        try:
            if requests.get(base + "/messages", headers=AUTH, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError("the SMS gateway stand-in did not come up")


def messages(base: str) -> list[dict[str, Any]]:
    answer = requests.get(base + "/messages", headers=AUTH, timeout=5)
    answer.raise_for_status()
    return list(answer.json()["messages"])


@pytest.fixture
def transport(gateway: str) -> SmsGatewayTransport:
    requests.delete(gateway + "/messages", headers=AUTH, timeout=5).raise_for_status()
    return SmsGatewayTransport(SmsGatewayConfig(gateway + "/sms", TOKEN, timeout=5))


def notice(event_id: str) -> OutgoingNotice:
    return OutgoingNotice(event_id, NoticeKind.NEW_RESULT, NoticeChannel.SMS, NUMBER)


def test_a_notice_is_received(gateway: str, transport: SmsGatewayTransport) -> None:
    transport.send(notice("ev-c1"))
    assert [m["to"] for m in messages(gateway)] == [NUMBER]


def test_the_same_key_twice_is_stored_once(gateway: str, transport: SmsGatewayTransport) -> None:
    transport.send(notice("ev-c2"))
    transport.send(notice("ev-c2"))
    assert len(messages(gateway)) == 1


def test_two_events_are_two_messages(gateway: str, transport: SmsGatewayTransport) -> None:
    transport.send(notice("ev-c3"))
    transport.send(notice("ev-c4"))
    assert len(messages(gateway)) == 2


def test_the_first_send_is_created(gateway: str, transport: SmsGatewayTransport) -> None:
    answer = requests.post(gateway + "/sms", json={"to": NUMBER, "text": "x"},
                           headers={**AUTH, "Idempotency-Key": "ev-c5"}, timeout=5)
    assert answer.status_code == 201


def test_the_repeated_send_answers_200(gateway: str, transport: SmsGatewayTransport) -> None:
    for _ in range(2):
        answer = requests.post(gateway + "/sms", json={"to": NUMBER, "text": "x"},
                               headers={**AUTH, "Idempotency-Key": "ev-c6"}, timeout=5)
    assert answer.status_code == 200


def test_a_known_key_with_another_text_is_a_conflict(gateway: str, transport: SmsGatewayTransport) -> None:
    requests.post(gateway + "/sms", json={"to": NUMBER, "text": "x"},
                  headers={**AUTH, "Idempotency-Key": "ev-c7"}, timeout=5)
    answer = requests.post(gateway + "/sms", json={"to": NUMBER, "text": "y"},
                           headers={**AUTH, "Idempotency-Key": "ev-c7"}, timeout=5)
    assert answer.status_code == 409


def test_a_send_without_a_key_is_refused(gateway: str) -> None:
    answer = requests.post(gateway + "/sms", json={"to": NUMBER, "text": "x"}, headers=AUTH, timeout=5)
    assert answer.status_code == 400


def test_a_wrong_token_is_refused(gateway: str) -> None:
    with pytest.raises(NoticeRefused, match="HTTP 401"):
        SmsGatewayTransport(SmsGatewayConfig(gateway + "/sms", "wrong", timeout=5)).send(notice("ev-c8"))


def test_a_wrong_token_stores_nothing(gateway: str, transport: SmsGatewayTransport) -> None:
    with pytest.raises(NoticeRefused):
        SmsGatewayTransport(SmsGatewayConfig(gateway + "/sms", "wrong", timeout=5)).send(notice("ev-c9"))
    assert messages(gateway) == []


def test_the_messages_need_the_token(gateway: str) -> None:
    assert requests.get(gateway + "/messages", timeout=5).status_code == 401


def test_the_log_names_no_number(running: Gateway, transport: SmsGatewayTransport) -> None:
    transport.send(notice("ev-c10"))
    assert "709876543" not in running.log_path.read_text()


def test_the_log_is_written(running: Gateway) -> None:
    assert running.log_path.stat().st_size > 0
