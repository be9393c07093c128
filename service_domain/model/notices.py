"""Notices to the patient: a short message by e-mail or SMS that something waits in the
e-service. A notice never says what: no finding, no analysis, no care unit — only that there is
something to read or do, since anyone may see a phone's screen.

The patient chooses the channel (or none) in the citizen e-service; the service keeps that
choice and the address it needs (``NoticeSettings``). A notice is an outbox event
(``EventKind.NOTICE``) whose payload names only the patient, the kind and the order
(``NoticeDue``); its channel and address are looked up when it is delivered, so a patient who
turns notices off before then gets none, and no contact detail is copied into the outbox.
What goes out is an ``OutgoingNotice``.

This module is the shared interface of the notice work; its rules (validation of addresses,
rate limits) are filled in by the service layer's notices module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ..identity import PersonId


class NoticeChannel(StrEnum):
    NONE = "NONE"
    EMAIL = "EMAIL"
    SMS = "SMS"


class NoticeKind(StrEnum):
    NEW_RESULT = "NEW_RESULT"  # a result (or a new version) was released to the patient
    KIT_SENT = "KIT_SENT"  # the home kit is on its way
    KIT_RETURN_REMINDER = "KIT_RETURN_REMINDER"  # the kit's return window closes soon
    ORDER_EXPIRING = "ORDER_EXPIRING"  # an order not yet sampled is about to expire


@dataclass(frozen=True, slots=True)
class NoticeSettings:
    """The patient's choice: the channel and the address it needs (the other stays None)."""

    patient: PersonId
    channel: NoticeChannel
    email: str | None
    mobile: str | None  # E.164, +46…
    changed_time: datetime


@dataclass(frozen=True, slots=True)
class NoticeDue:
    """The payload of a NOTICE event: whom, which kind, for which order. No address."""

    patient: PersonId
    kind: NoticeKind
    order_id: str


@dataclass(frozen=True, slots=True)
class OutgoingNotice:
    """What a transport sends: the event's id (the idempotency key and e-mail Message-ID), the
    kind (chooses the fixed Swedish text), the channel and the address."""

    event_id: str
    kind: NoticeKind
    channel: NoticeChannel
    address: str
