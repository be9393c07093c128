"""The outbox's sender of NOTICE events: looks up what to send (the service layer's
``prepare_notice``: the patient's channel and address as they are now, the rate limit, whether
it was sent already), hands it to the channel's transport, then records it as sent
(``record_notice_sent``).

A notice whose patient turned notices off, or that the rate limit holds back, is nothing to
send: the event is delivered and nothing goes out. A failed transport raises and the outbox
tries again; the transports' keys (the SMS gateway's Idempotency-Key, the e-mail's Message-ID)
are the event's id, so a retry after a send whose answer was lost is recognisable as the same
notice. Nothing of a notice is logged but the event's id, its kind and the channel.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from service_domain.clock import utcnow
from service_domain.model import OutboxEvent
from service_domain.model.notices import NoticeChannel, OutgoingNotice
from service_domain.persistence.database import Database

from .errors import ChannelNotConfigured
from .sms import SmsGatewayConfig, SmsGatewayTransport
from .smtp import SmtpConfig, SmtpTransport

log = logging.getLogger("eph.notices")

Prepare = Callable[[Any, OutboxEvent, datetime], OutgoingNotice | None]
Record = Callable[[Any, OutboxEvent, OutgoingNotice, datetime], None]


class Transport(Protocol):
    def send(self, notice: OutgoingNotice) -> None: ...


def _prepare_for(channels: frozenset[NoticeChannel]) -> Prepare:
    """The service layer's ``prepare_notice`` for a sender that has transports for ``channels``."""
    from service_domain.services.notices import prepare_notice

    return lambda uow, event, now: prepare_notice(uow, event, now, channels)


def _record(uow: Any, event: OutboxEvent, outgoing: OutgoingNotice, now: datetime) -> None:
    from service_domain.services.notices import record_notice_sent

    record_notice_sent(uow, event, outgoing, now)


class NoticeSender:
    """Delivers NOTICE events (``service_domain.ports.Sender``): by e-mail, by SMS, or when a
    channel has no transport configured, not at all (``ChannelNotConfigured``: it waits)."""

    def __init__(
        self,
        db: Database,
        email: Transport | None,
        sms: Transport | None,
        clock: Callable[[], datetime] = utcnow,
        prepare: Prepare | None = None,
        record: Record = _record,
    ) -> None:
        self.db = db
        self.transports: dict[NoticeChannel, Transport] = {}
        if email is not None:
            self.transports[NoticeChannel.EMAIL] = email
        if sms is not None:
            self.transports[NoticeChannel.SMS] = sms
        self.clock = clock
        self.prepare = prepare if prepare is not None else _prepare_for(frozenset(self.transports))
        self.record = record

    def send(self, event: OutboxEvent) -> None:
        outgoing = self.prepare(self.db.uow(), event, self.clock())
        if outgoing is None:
            log.info("notice %s: nothing to send", event.event_id)
            return
        transport = self.transports.get(outgoing.channel)
        if transport is None:
            raise ChannelNotConfigured(f"no transport is configured for notices by {outgoing.channel.value}")
        transport.send(outgoing)
        self.record(self.db.uow(), event, outgoing, self.clock())
        log.info("notice %s sent: %s by %s", event.event_id, outgoing.kind.value, outgoing.channel.value)


def notice_sender_from_env(db: Database, env: Mapping[str, str] | None = None,
                           clock: Callable[[], datetime] = utcnow) -> NoticeSender | None:
    """The notice sender of a running service, or None when neither EPH_NOTICE_SMTP_HOST nor
    EPH_NOTICE_SMS_URL is set (NOTICE events then wait, counted as queued). ValueError for
    settings that cannot work (the SMS URL without its token)."""
    env = os.environ if env is None else env
    smtp = SmtpConfig.from_env(env)
    sms = SmsGatewayConfig.from_env(env)
    if smtp is None and sms is None:
        return None
    return NoticeSender(db, SmtpTransport(smtp) if smtp else None, SmsGatewayTransport(sms) if sms else None, clock)
