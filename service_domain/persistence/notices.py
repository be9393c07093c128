"""Notices in SQL: the patient's settings, the log of notices sent and the reminders written.
Recording a sent notice or a reminder twice is a no-op (INSERT … ON CONFLICT DO NOTHING, on
PostgreSQL and SQLite alike)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from ..identity import PersonId
from ..model import NoticeChannel, NoticeKind, NoticeSettings, SentNotice
from .common import insert_or_ignore
from .tables import notice_reminder, notice_sent, notice_settings


def settings_of(patient: PersonId) -> Any:
    """The condition on notice_settings that picks the patient's row."""
    c = notice_settings.c
    return (c.patient_id == patient.id) & (c.patient_type == patient.type)


class SqlNoticeRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @staticmethod
    def _of(patient: PersonId) -> Any:
        return settings_of(patient)

    def settings(self, patient: PersonId) -> NoticeSettings | None:
        r = self.conn.execute(select(notice_settings).where(self._of(patient))).first()
        if r is None:
            return None
        return NoticeSettings(patient, NoticeChannel(r.channel), r.email, r.mobile, r.changed_time)

    def put_settings(self, s: NoticeSettings) -> None:
        self.conn.execute(delete(notice_settings).where(self._of(s.patient)))
        self.conn.execute(
            notice_settings.insert().values(
                patient_id=s.patient.id, patient_type=s.patient.type, channel=s.channel.value,
                email=s.email, mobile=s.mobile, changed_time=s.changed_time,
            )
        )

    def was_sent(self, event_id: str) -> bool:
        found = self.conn.execute(select(notice_sent.c.event_id).where(notice_sent.c.event_id == event_id)).first()
        return found is not None

    def sent_since(self, patient: PersonId, since: datetime) -> list[SentNotice]:
        c = notice_sent.c
        q = (select(c.kind, c.sent_time)
             .where(c.patient_id == patient.id, c.patient_type == patient.type, c.sent_time >= since)
             .order_by(c.sent_time))
        return [SentNotice(NoticeKind(r.kind), r.sent_time) for r in self.conn.execute(q)]

    def record_sent(
        self, event_id: str, patient: PersonId, kind: NoticeKind, order_id: str, channel: NoticeChannel, time: datetime
    ) -> bool:
        """Record a notice sent; False (and nothing changes) when the event was recorded already."""
        return insert_or_ignore(self.conn, notice_sent, {
            "event_id": event_id, "patient_id": patient.id, "patient_type": patient.type, "kind": kind.value,
            "order_id": order_id, "channel": channel.value, "sent_time": time,
        })

    def reminder_written(self, order_id: str, kind: NoticeKind) -> bool:
        c = notice_reminder.c
        return self.conn.execute(select(c.order_id).where(c.order_id == order_id, c.kind == kind.value)).first() is not None

    def remember_reminder(self, order_id: str, kind: NoticeKind, time: datetime) -> bool:
        """Remember that the reminder of ``kind`` for the order was written; False if it was already."""
        return insert_or_ignore(self.conn, notice_reminder,
                                {"order_id": order_id, "kind": kind.value, "written_time": time})

    def forget_sent(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` records of notices sent before ``before``; how many."""
        c = notice_sent.c
        old = select(c.event_id).where(c.sent_time < before).order_by(c.sent_time).limit(limit)
        return self.conn.execute(delete(notice_sent).where(c.event_id.in_(old.scalar_subquery()))).rowcount or 0

    def forget_patient(self, patient: PersonId) -> None:
        """Delete the patient's settings and notice log (with the rest of their data)."""
        self.conn.execute(delete(notice_settings).where(self._of(patient)))
        c = notice_sent.c
        self.conn.execute(delete(notice_sent).where(c.patient_id == patient.id, c.patient_type == patient.type))
