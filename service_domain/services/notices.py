"""Notices to the patient: the settings the patient chooses through the citizen e-service, the
NOTICE events written with the changes they tell of, the reminders housekeeping writes, and the
decisions at delivery (``prepare_notice``, ``record_notice_sent``) the notice sender asks for.

The settings hold personal data (an e-mail address or a mobile number): every read and write
through a call is audited, and delivery's read of the address is audited as ``SendNotice``; the
address reaches no log, fault or outbox event (a NOTICE event names the patient, the kind and
the order; the address is looked up when it is delivered).

A NOTICE event is written only while the patient has chosen a channel; at delivery the choice
is read again (a patient who turned notices off in between gets none), the event's id is looked
up in the notice log (a retry of a sent event sends nothing) and the rate limit folds what comes
too often (``NoticePolicy``)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta

from .. import checks, commands
from ..enums import ActorKind, AuditAction
from ..model import (
    Actor,
    NoticeChannel,
    NoticeDue,
    NoticeKind,
    NoticePolicy,
    NoticeSettings,
    Order,
    OrderStatus,
    OutboxEvent,
    OutgoingNotice,
)
from ..operations import Operation
from ..ports import UnitOfWork
from .calls import Call, WriteOutcome, caller, check_performer, checked_patient, performs
from .housekeeping import HOUSEKEEPING_ACTOR, delete_in_batches

POLICY = NoticePolicy()
# how long before it closes a kit's return window, or an unsampled order's validity, the
# patient is reminded
KIT_RETURN_NOTICE = timedelta(days=2)
ORDER_EXPIRY_NOTICE = timedelta(days=3)
REMINDER_BATCH = 500
# the one the patient's access log names as reading the address when a notice is sent
NOTICE_ACTOR = Actor(ActorKind.SYSTEM, "SE5565594230-EPH", "notices")


@performs(Operation.GET_NOTICE_SETTINGS)
def get_notice_settings(uow: UnitOfWork, call: Call, cmd: commands.GetNoticeSettings) -> NoticeSettings | None:
    """The patient's notice settings; None if the patient never chose."""
    with uow:
        caller(uow, call)
        patient = checked_patient(uow, call, cmd.patient)
        settings = uow.notices.settings(patient)
        uow.audit.add(call.audit(AuditAction.READ, [patient]))
        uow.commit()
        return settings


@performs(Operation.SET_NOTICE_SETTINGS)
def set_notice_settings(uow: UnitOfWork, call: Call, cmd: commands.SetNoticeSettings) -> WriteOutcome:
    """Choose e-mail, SMS or no notices. Only the patient, through the citizen e-service, for
    themselves (``changedBy`` the patient of the request, else EPH006). The same choice again
    changes nothing (INFO)."""
    checks.actor(cmd.changed_by, "changedBy", call.now)
    with uow:
        system = caller(uow, call)
        patient = checked_patient(uow, call, cmd.patient)
        check_performer(uow, call, system, cmd.changed_by, "changedBy", "", patient)
        chosen = NoticeSettings.chosen(patient, cmd.channel, cmd.email, cmd.mobile, call.now)
        current = uow.notices.settings(patient)
        if current is not None and current.same_choice(chosen):  # a repeat: nothing changes, the data was read
            uow.audit.add(call.audit(AuditAction.WRITE, [patient], cmd.changed_by))
            uow.commit()
            return WriteOutcome(info=True, message="the notice settings were already so")
        uow.notices.put_settings(chosen)
        uow.audit.add(call.audit(AuditAction.WRITE, [patient], cmd.changed_by))
        uow.commit()
        return WriteOutcome()


def notice_due(uow: UnitOfWork, order: Order, kind: NoticeKind, now: datetime) -> bool:
    """Within the caller's transaction: write the NOTICE event telling the order's patient of
    ``kind``, if the patient has chosen a channel (the outbox checks that as it writes; the
    address is not read). Whether it was written."""
    return uow.outbox.add(OutboxEvent.notice(order.patient, kind, order.order_id, now)) == 1


def remind_due(uow: UnitOfWork, now: datetime, batch: int = REMINDER_BATCH) -> int:
    """Housekeeping: write one reminder per order and kind, for home kits sent whose return
    window closes within ``KIT_RETURN_NOTICE`` and for orders not yet sampled (nor a kit sent)
    whose validity ends within ``ORDER_EXPIRY_NOTICE``; each is remembered, so later rounds do
    not write it again. A patient without notices gets none (and nothing is remembered: one
    who turns notices on before the window closes is reminded). Each reminder written is in the
    patient's access log (housekeeping read the order and wrote the notice). How many were
    written."""
    written = 0
    call = Call(Operation.HOUSEKEEPING, str(uuid.uuid4()), None, now)
    for status, kind, ahead in (
        (OrderStatus.KIT_SENT, NoticeKind.KIT_RETURN_REMINDER, KIT_RETURN_NOTICE),
        (OrderStatus.ORDERED, NoticeKind.ORDER_EXPIRING, ORDER_EXPIRY_NOTICE),
    ):
        after = 0
        while True:
            with uow:
                found = uow.orders.open_valid_before(status, now + ahead, after, batch)
                for _, order in found:
                    closes = order.expires_at()
                    if not now <= closes < now + ahead or uow.notices.reminder_written(order.order_id, kind):
                        continue
                    if notice_due(uow, order, kind, now):
                        uow.notices.remember_reminder(order.order_id, kind, now)
                        uow.audit.add(call.audit(AuditAction.WRITE, [order.patient], HOUSEKEEPING_ACTOR, order.care_giver))
                        written += 1
                uow.commit()
            if len(found) < batch:
                break
            after = found[-1][0]
    return written


class ChannelUnavailable(Exception):
    """The patient's channel has no transport where the notice is delivered (it waits)."""


def prepare_notice(uow: UnitOfWork, event: OutboxEvent, now: datetime,
                   channels: Collection[NoticeChannel] = tuple(NoticeChannel)) -> OutgoingNotice | None:
    """What to send for a NOTICE event, or None when nothing is to be sent: the event was sent
    already (a retry), the patient has no channel (never chose, or turned notices off), or the
    rate limit folds it. Reading the address is recorded in the patient's access log, but only
    when the patient's channel is among ``channels`` (those the sender can use): otherwise
    ``ChannelUnavailable``, before the address is read, so that the attempts of a notice that
    cannot go out do not fill the patient's access log."""
    due = event.payload
    if not isinstance(due, NoticeDue):
        raise TypeError(f"a {event.kind} event is not a notice")
    with uow:
        if uow.notices.was_sent(event.event_id):
            return None
        settings = uow.notices.settings(due.patient)
        address = settings.address if settings is not None else None
        if settings is None or address is None:
            return None
        if settings.channel not in channels:
            raise ChannelUnavailable(f"notices by {settings.channel.value} cannot be sent here")
        if not POLICY.allows(due.kind, uow.notices.sent_since(due.patient, now - POLICY.day), now):
            return None
        call = Call(Operation.SEND_NOTICE, str(uuid.uuid4()), None, now)
        uow.audit.add(call.audit(AuditAction.READ, [due.patient], NOTICE_ACTOR))
        uow.commit()
        return OutgoingNotice(event.event_id, due.kind, settings.channel, address)


# how long the record of a notice sent is kept: the rate limit looks a day back, and a retry of a
# sent event (a worker that died between recording it and saving the event's outcome) comes
# within a claim's lease; the records name patients, so they go after that
KEEP_SENT = timedelta(days=2)


def forget_sent(uow: UnitOfWork, now: datetime, keep: timedelta = KEEP_SENT, batch: int = REMINDER_BATCH) -> int:
    """Housekeeping: delete the records of notices sent longer than ``keep`` ago, in transactions
    of at most ``batch``; how many."""
    return delete_in_batches(uow, lambda u: u.notices.forget_sent(now - keep, batch), batch)


def record_notice_sent(uow: UnitOfWork, event: OutboxEvent, outgoing: OutgoingNotice, now: datetime) -> None:
    """Record in the notice log that the event's notice went out (no address, no content); a
    second record of the same event is a no-op. The log serves the rate limit and de-duplication."""
    due = event.payload
    if not isinstance(due, NoticeDue):
        raise TypeError(f"a {event.kind} event is not a notice")
    with uow:
        uow.notices.record_sent(event.event_id, due.patient, due.kind, due.order_id, outgoing.channel, now)
        uow.commit()
