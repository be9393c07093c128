"""Notices to the patient: a short message by e-mail or SMS that something waits in the
e-service. A notice never says what: no finding, no analysis, no care unit — only that there is
something to read or do, since anyone may see a phone's screen.

The patient chooses the channel (or none) in the citizen e-service; the service keeps that
choice and the address it needs (``NoticeSettings``). A notice is an outbox event
(``EventKind.NOTICE``) whose payload names only the patient, the kind and the order
(``NoticeDue``); its channel and address are looked up when it is delivered, so a patient who
turns notices off before then gets none, and no contact detail is copied into the outbox.
What goes out is an ``OutgoingNotice``.

The rules: an address is checked and normalised (``email_address``, ``mobile_number``; a bad one
is refused naming the field, never quoting it), the settings keep only the address their
channel needs (``NoticeSettings.chosen``), and ``NoticePolicy`` folds notices so that a patient
gets few: at most one of a kind an hour and a few a day. Folding is safe because a notice says
nothing but that there is something to read or do: one tells as much as five.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ..errors import InvalidRequest
from ..identity import PersonId

EMAIL_MAX = 254  # RFC 5321's longest path
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{1,253}$)"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
# a Swedish mobile number: 07 and a digit of the mobile series (070, 072, 073, 076, 079), 7 more
_MOBILE = re.compile(r"7[02369][0-9]{7}")
_MOBILE_SEPARATORS = re.compile(r"[\s()-]")


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

    @classmethod
    def chosen(
        cls, patient: PersonId, channel: NoticeChannel, email: str | None, mobile: str | None, now: datetime
    ) -> NoticeSettings:
        """The patient's choice, checked: e-mail needs an e-mail address, SMS a mobile number;
        only the address the channel needs is kept (none when notices are off)."""
        if channel is NoticeChannel.EMAIL:
            if not email:
                raise InvalidRequest("emailAddress is required for the channel EMAIL")
            return cls(patient, channel, email_address(email), None, now)
        if channel is NoticeChannel.SMS:
            if not mobile:
                raise InvalidRequest("mobileNumber is required for the channel SMS")
            return cls(patient, channel, None, mobile_number(mobile), now)
        return cls(patient, NoticeChannel.NONE, None, None, now)

    @property
    def address(self) -> str | None:
        """Where notices go: the e-mail address or the mobile number; None when off."""
        if self.channel is NoticeChannel.EMAIL:
            return self.email
        if self.channel is NoticeChannel.SMS:
            return self.mobile
        return None

    def same_choice(self, other: NoticeSettings) -> bool:
        return (self.channel, self.email, self.mobile) == (other.channel, other.email, other.mobile)


def email_address(value: str) -> str:
    """An e-mail address, trimmed, with its domain in lower case; a sane rule (a local part, one
    @, a domain of dotted labels), not all of RFC 5322. The refusal names the field only."""
    text = value.strip()
    if len(text) > EMAIL_MAX or not _EMAIL.fullmatch(text):
        raise InvalidRequest("emailAddress is not a valid e-mail address")
    local, domain = text.rsplit("@", 1)
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidRequest("emailAddress is not a valid e-mail address")
    return f"{local}@{domain.lower()}"


def mobile_number(value: str) -> str:
    """A Swedish mobile number as E.164 (+467…): written 07…, +467… or 00467…, with spaces,
    hyphens or brackets anywhere. The refusal names the field only."""
    digits = _MOBILE_SEPARATORS.sub("", value)
    for prefix in ("+46", "0046", "0"):
        if digits.startswith(prefix):
            national = digits[len(prefix):]
            if _MOBILE.fullmatch(national):
                return "+46" + national
            break
    raise InvalidRequest("mobileNumber is not a Swedish mobile number (07…, +467…)")


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


@dataclass(frozen=True, slots=True)
class SentNotice:
    """A notice sent to the patient, as the notice log keeps it: no address, no content."""

    kind: NoticeKind
    sent_time: datetime


@dataclass(frozen=True, slots=True)
class NoticePolicy:
    """How many notices a patient gets: at most one of a kind within ``fold`` (more of the same
    are folded into the one sent: it says the same thing) and at most ``per_day`` in any 24
    hours. A notice folded is not sent later: what it tells is in the e-service already."""

    fold: timedelta = timedelta(hours=1)
    per_day: int = 4
    day: timedelta = timedelta(hours=24)

    def allows(self, kind: NoticeKind, sent: Iterable[SentNotice], now: datetime) -> bool:
        recent = [n for n in sent if now - n.sent_time < self.day]
        if len(recent) >= self.per_day:
            return False
        return not any(n.kind is kind and now - n.sent_time < self.fold for n in recent)
