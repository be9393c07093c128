"""Notices to the patient, delivered from the outbox: the fixed Swedish texts (``texts``), the
e-mail transport (``smtp``), the SMS gateway's (``sms``) and the outbox's sender of NOTICE events
(``sender``). Settings ``EPH_NOTICE_*``: docs/operations.md, "Notices"."""

from .errors import (
    ChannelNotConfigured,
    NoticeNotDelivered,
    NoticeRefused,
    NoticeThrottled,
    NoticeUnreachable,
)
from .sender import NoticeSender, notice_sender_from_env
from .sms import SmsGatewayConfig, SmsGatewayTransport
from .smtp import SmtpConfig, SmtpTransport

__all__ = [
    "ChannelNotConfigured",
    "NoticeNotDelivered",
    "NoticeRefused",
    "NoticeSender",
    "NoticeThrottled",
    "NoticeUnreachable",
    "SmsGatewayConfig",
    "SmsGatewayTransport",
    "SmtpConfig",
    "SmtpTransport",
    "notice_sender_from_env",
]
