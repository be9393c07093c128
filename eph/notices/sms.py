"""SMS notices through an SMS gateway's HTTP API (the request shape is in docs/operations.md,
"Notices"; ``consumers.sms_gateway`` is a stand-in that accepts it).

One notice is one request::

    POST <EPH_NOTICE_SMS_URL>
    Authorization: Bearer <EPH_NOTICE_SMS_TOKEN>
    Idempotency-Key: <the outbox event's id>
    Content-Type: application/json

    {"to": "+46701234567", "text": "<the kind's fixed text>", "reference": "<the outbox event's id>"}

A 2xx answer means the gateway took the message. The key is the same at every attempt of an
event, so a gateway that de-duplicates on it sends a retried notice once. 429 (slow down) and
5xx are the gateway's trouble, any other answer a request it refused; each raises, and the outbox
tries again later (and parks the event in the end). No message names the number or the text.

Settings: ``EPH_NOTICE_SMS_URL``, ``EPH_NOTICE_SMS_TOKEN`` (required with the URL),
``EPH_NOTICE_SMS_TIMEOUT`` (seconds, 30) and ``EPH_NOTICE_SMS_CA`` (a CA file to verify an
https:// gateway by; the system's by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import requests

from service_domain.model.notices import OutgoingNotice

from ..bearer import BearerApi
from .errors import NoticeRefused, NoticeThrottled, NoticeUnreachable
from .texts import sms_text


@dataclass(frozen=True)
class SmsGatewayConfig(BearerApi):
    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmsGatewayConfig | None:
        """The settings, or None when EPH_NOTICE_SMS_URL is not set (no SMS); ValueError when
        the URL is set without the token."""
        return cls.read(env, "EPH_NOTICE_SMS", "the gateway's")


def sms_request(notice: OutgoingNotice) -> dict[str, str]:
    """The JSON body of a notice's request."""
    return {"to": notice.address, "text": sms_text(notice.kind), "reference": notice.event_id}


class SmsGatewayTransport:
    """Sends an SMS notice through the gateway; raises ``NoticeRefused``, ``NoticeThrottled`` or
    ``NoticeUnreachable`` (naming the HTTP status or the kind of error only) when it did not take it."""

    def __init__(self, config: SmsGatewayConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self.session = session or requests.Session()

    def send(self, notice: OutgoingNotice) -> None:
        config = self.config
        headers = {"Authorization": f"Bearer {config.token}", "Idempotency-Key": notice.event_id}
        try:
            answer = self.session.post(config.url, json=sms_request(notice), headers=headers,
                                       timeout=config.timeout, verify=config.ca or True, allow_redirects=False)
        except requests.exceptions.RequestException as e:
            raise NoticeUnreachable(f"the SMS gateway was not reached: {type(e).__name__}") from None
        status = answer.status_code
        if 200 <= status < 300:
            return
        if status == 429:
            raise NoticeThrottled("the SMS gateway asked to slow down (HTTP 429)")
        if status >= 500:
            raise NoticeUnreachable(f"the SMS gateway failed (HTTP {status})")
        raise NoticeRefused(f"the SMS gateway refused the request (HTTP {status})")
