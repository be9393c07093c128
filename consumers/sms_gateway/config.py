"""Settings of the SMS gateway stand-in (``EPH_SMS_GATEWAY_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEV_TOKEN = "eph-sms-dev"  # the development bearer token (EPH_NOTICE_SMS_TOKEN of the demo)


@dataclass(frozen=True)
class SmsGatewayStandInConfig:
    bind: str = field(default_factory=lambda: os.environ.get("EPH_SMS_GATEWAY_BIND") or "127.0.0.1:8086")
    token: str = field(default_factory=lambda: os.environ.get("EPH_SMS_GATEWAY_TOKEN") or DEV_TOKEN, repr=False)
    # the messages are kept in the memory of one process: one worker, some threads
    threads: int = field(default_factory=lambda: int(os.environ.get("EPH_SMS_GATEWAY_THREADS") or "4"))
