"""The outbox in SQL. A worker claims due events by writing its name and a lease time into
their rows (one UPDATE … RETURNING, committed at once) and delivers them outside any
transaction; a worker that dies lets its claims run out, and another takes them. On PostgreSQL
the rows to claim are picked FOR UPDATE SKIP LOCKED, so workers claiming at once take different
rows without waiting; on SQLite writers take turns anyway (BEGIN IMMEDIATE)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Insert,
    Select,
    Update,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.engine import Row

from ..identity import PersonId
from ..model import (
    EventKind,
    EventState,
    IndexUpdate,
    NoticeChannel,
    NoticeDue,
    NoticeKind,
    OutboxCounts,
    OutboxEvent,
)
from .tables import notice_settings, outbox_event

Json = dict[str, Any]
_WAITING = (EventState.PENDING.value, EventState.PARKED.value)


def _payload_to_json(p: IndexUpdate | NoticeDue) -> Json:
    if isinstance(p, NoticeDue):  # whom, which kind, which order: never an address
        return {"patientId": p.patient.id, "patientType": p.patient.type, "notice": p.kind.value, "orderId": p.order_id}
    return {
        "patientId": p.patient.id,
        "patientType": p.patient.type,
        "careGiver": p.care_giver,
        "careUnit": p.care_unit,
        "orderId": p.order_id,
        "mostRecentContent": p.most_recent_content.isoformat(),
        "sourceSystem": p.source_system,
    }


def _payload_from_json(kind: EventKind, d: Json) -> IndexUpdate | NoticeDue:
    if kind is EventKind.NOTICE:
        return NoticeDue(PersonId(d["patientId"], d["patientType"]), NoticeKind(d["notice"]), d["orderId"])
    return IndexUpdate(
        PersonId(d["patientId"], d["patientType"]),
        d["careGiver"],
        d["careUnit"],
        d["orderId"],
        datetime.fromisoformat(d["mostRecentContent"]),
        d["sourceSystem"],
    )


def _event(r: Row[Any]) -> OutboxEvent:
    kind = EventKind(r.kind)
    return OutboxEvent(
        event_id=r.event_id,
        kind=kind,
        payload=_payload_from_json(kind, r.payload),
        created_time=r.created_time,
        next_attempt=r.next_attempt,
        state=EventState(r.state),
        attempts=r.attempts,
        last_error=r.last_error,
        delivered_time=r.delivered_time,
    )


def claim_statement(
    now: datetime, kinds: Sequence[EventKind], holder: str, lease_until: datetime, limit: int
) -> Update:
    """Claim due events nobody holds: the rows are picked FOR UPDATE SKIP LOCKED (PostgreSQL;
    SQLite leaves it out) and marked with the holder and its lease in the same statement."""
    e = outbox_event.c
    due = (
        select(e.id)
        .where(
            e.state == EventState.PENDING.value,
            e.next_attempt <= now,
            e.kind.in_([k.value for k in kinds]),
            or_(e.claim_expires.is_(None), e.claim_expires < now),
        )
        .order_by(e.next_attempt, e.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (
        update(outbox_event)
        .where(e.id.in_(due.scalar_subquery()))
        .values(claimed_by=holder, claim_expires=lease_until)
        .returning(*outbox_event.c)
    )


_ADDED = ("event_id", "kind", "payload", "created_time", "state", "attempts", "next_attempt")


def _added_row(n: int, notice: bool) -> Select[Any]:
    """The ``n``-th event's row as a SELECT of bound values; a notice's only if its patient has
    notices on (a channel chosen in notice_settings)."""
    row = select(*(bindparam(f"{name}_{n}", type_=outbox_event.c[name].type).label(name) for name in _ADDED))
    if notice:
        s = notice_settings.c
        row = row.where(exists().where(s.patient_id == bindparam(f"patient_id_{n}", type_=s.patient_id.type),
                                       s.patient_type == bindparam(f"patient_type_{n}", type_=s.patient_type.type),
                                       s.channel != NoticeChannel.NONE.value))
    return row


@cache
def add_statement(notices: tuple[bool, ...]) -> Insert:
    """One INSERT … SELECT of the events' rows (UNION ALL), each a notice or not, counted by
    RETURNING: a release's index event and its notice, with the check whether the patient wants
    notices, in one round trip. Built once per shape and executed with the events' values (the
    statement on the path of every result is not made anew each time)."""
    rows = [_added_row(n, notice) for n, notice in enumerate(notices)]
    body = rows[0] if len(rows) == 1 else union_all(*rows)
    return insert(outbox_event).from_select(list(_ADDED), body).returning(outbox_event.c.id)


def add_params(events: Sequence[OutboxEvent]) -> dict[str, Any]:
    """The values of ``add_statement``'s parameters for these events."""
    params: dict[str, Any] = {}
    for n, e in enumerate(events):
        params.update({f"event_id_{n}": e.event_id, f"kind_{n}": e.kind.value, f"payload_{n}": _payload_to_json(e.payload),
                       f"created_time_{n}": e.created_time, f"state_{n}": e.state.value, f"attempts_{n}": e.attempts,
                       f"next_attempt_{n}": e.next_attempt})
        if isinstance(e.payload, NoticeDue):
            params.update({f"patient_id_{n}": e.payload.patient.id, f"patient_type_{n}": e.payload.patient.type})
    return params


def counts_statement() -> Select[Any]:
    """Events per waiting state and the oldest written, through the state index (delivered
    events, most of the rows, are not read)."""
    e = outbox_event.c
    return select(e.state, func.count(), func.min(e.created_time)).where(e.state.in_(_WAITING)).group_by(e.state)


class SqlOutboxRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, *events: OutboxEvent) -> int:
        if not events:
            return 0
        # counted by RETURNING: psycopg's rowcount of an INSERT … SELECT comes back as -1
        shape = tuple(isinstance(e.payload, NoticeDue) for e in events)
        return len(self.conn.execute(add_statement(shape), add_params(events)).all())

    def claim_due(
        self, now: datetime, kinds: Sequence[EventKind], holder: str, lease_until: datetime, limit: int
    ) -> list[OutboxEvent]:
        if not kinds:
            return []
        rows = self.conn.execute(claim_statement(now, kinds, holder, lease_until, limit)).all()
        return sorted((_event(r) for r in rows), key=lambda ev: ev.next_attempt)

    def get(self, event_id: str, *, for_update: bool = False) -> OutboxEvent | None:
        q = select(outbox_event).where(outbox_event.c.event_id == event_id)
        if for_update:
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        return None if row is None else _event(row)

    def save(self, event: OutboxEvent, holder: str | None = None) -> bool:
        e = outbox_event.c
        held = e.claimed_by == holder if holder is not None else true()
        done = self.conn.execute(
            update(outbox_event)
            .where(e.event_id == event.event_id, held)
            .values(
                state=event.state.value,
                attempts=event.attempts,
                next_attempt=event.next_attempt,
                last_error=event.last_error,
                delivered_time=event.delivered_time,
                claimed_by=None,
                claim_expires=None,
            )
        )
        return bool(done.rowcount)

    def save_delivered(self, event_ids: Sequence[str], holder: str, when: datetime) -> set[str]:
        if not event_ids:
            return set()
        e = outbox_event.c
        done = self.conn.execute(
            update(outbox_event)
            .where(e.event_id.in_(list(event_ids)), e.claimed_by == holder)
            .values(state=EventState.DELIVERED.value, attempts=e.attempts + 1, delivered_time=when,
                    last_error=None, claimed_by=None, claim_expires=None)
            .returning(e.event_id)
        )
        return {r[0] for r in done}

    def forget_delivered(self, before: datetime, limit: int) -> int:
        e = outbox_event.c
        old = (select(e.id).where(e.state == EventState.DELIVERED.value, e.delivered_time < before)
               .order_by(e.id).limit(limit))
        return self.conn.execute(delete(outbox_event).where(e.id.in_(old.scalar_subquery()))).rowcount or 0

    def list(self, state: EventState | None = None, limit: int = 100) -> list[OutboxEvent]:
        e = outbox_event.c
        where = e.state == state.value if state else e.state.in_(_WAITING)
        q = select(outbox_event).where(where).order_by(e.id).limit(limit)
        return [_event(r) for r in self.conn.execute(q)]

    def counts(self) -> OutboxCounts:
        by_state = {r[0]: (int(r[1]), r[2]) for r in self.conn.execute(counts_statement()).all()}
        pending, oldest = by_state.get(EventState.PENDING.value, (0, None))
        parked, _ = by_state.get(EventState.PARKED.value, (0, None))
        return OutboxCounts(pending, parked, oldest)
