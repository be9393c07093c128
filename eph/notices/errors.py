"""Why a notice was not delivered. A message names the kind of error (and an SMTP or HTTP status),
never the address, the text or a server's own words (which may quote the address). The outbox
keeps the message with the event and tries again later; an event failing too often is parked."""

from __future__ import annotations


class NoticeNotDelivered(Exception):
    """A notice could not be handed over; the outbox tries again."""


class NoticeRefused(NoticeNotDelivered):
    """The mail server or the SMS gateway refused the notice (the request, the sender, the
    recipient, or the login)."""


class NoticeUnreachable(NoticeNotDelivered):
    """The mail server or the SMS gateway could not be reached, timed out or failed (5xx)."""


class NoticeThrottled(NoticeNotDelivered):
    """The SMS gateway asked to slow down (HTTP 429)."""


class ChannelNotConfigured(NoticeNotDelivered):
    """The patient chose a channel that this service has no transport for: the event waits (and
    is parked in the end) until one is configured."""
