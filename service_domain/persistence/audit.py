"""The audit records (the access log) in SQL: written by every call that touches patient data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, insert, or_, select
from sqlalchemy.engine import Row

from ..identity import PersonId
from ..model import ActorKind, AuditAction, AuditRecord
from ..operations import Operation
from .tables import audit_record


def _stamped(stamp: AuditRecord, patients: Iterable[PersonId]) -> list[AuditRecord]:
    """The stamp's record for each patient, once each."""
    seen: dict[tuple[str, str], AuditRecord] = {}
    for p in patients:
        seen.setdefault((p.id, p.type), replace(stamp, patient_id=p.id, patient_type=p.type))
    return list(seen.values())


def _audit(r: Row[Any]) -> AuditRecord:
    return AuditRecord(
        time=r.time,
        operation=Operation(r.interaction),
        action=AuditAction(r.action),
        patient_id=r.patient_id,
        patient_type=r.patient_type,
        log_id=r.log_id,
        consumer_hsa_id=r.consumer_hsa_id,
        sender_hsa_id=r.sender_hsa_id,
        actor_id=r.actor_id,
        care_giver=r.care_giver,
        care_unit=r.care_unit,
        actor_kind=ActorKind(r.actor_kind) if r.actor_kind else None,
    )


def _outranks(other: Any, row: Any) -> Any:
    """Whether ``other`` is a record of the same event as ``row`` (the patient, the call's log id,
    the system and the person acting) that stands for it in the log rather than ``row``: a write
    before a read (``'WRITE' > 'READ'``), else the later record."""
    o, r = other.c, row.c
    return and_(
        o.patient_id == r.patient_id,
        o.log_id == r.log_id,
        o.consumer_hsa_id.is_not_distinct_from(r.consumer_hsa_id),
        o.actor_id.is_not_distinct_from(r.actor_id),
        o.id != r.id,
        or_(o.action > r.action, and_(o.action == r.action, o.id > r.id)),
    )


class SqlAuditRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, records: Iterable[AuditRecord]) -> None:
        rows = [
            {
                "time": a.time,
                "interaction": a.operation.value,
                "action": a.action.value,
                "patient_id": a.patient_id,
                "patient_type": a.patient_type,
                "log_id": a.log_id,
                "consumer_hsa_id": a.consumer_hsa_id,
                "sender_hsa_id": a.sender_hsa_id,
                "actor_id": a.actor_id,
                "care_giver": a.care_giver,
                "care_unit": a.care_unit,
                "actor_kind": a.actor_kind.value if a.actor_kind else None,
            }
            for a in records
        ]
        if rows:
            self.conn.execute(insert(audit_record), rows)

    def for_log_id(self, log_id: str) -> list[AuditRecord]:
        q = select(audit_record).where(audit_record.c.log_id == log_id).order_by(audit_record.c.id)
        return [_audit(r) for r in self.conn.execute(q)]

    def for_patient(self, patient_id: str) -> list[AuditRecord]:
        q = select(audit_record).where(audit_record.c.patient_id == patient_id).order_by(audit_record.c.id)
        return [_audit(r) for r in self.conn.execute(q)]

    def page_for_patient(
        self, patient: PersonId, before: int | None, limit: int, since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[tuple[int, AuditRecord]]:
        c = audit_record.c
        conditions = [c.patient_id == patient.id, or_(c.patient_type == patient.type, c.patient_type.is_(None)),
                      ~exists().where(_outranks(audit_record.alias("other"), audit_record))]
        if before is not None:
            conditions.append(c.id < before)
        if since is not None:
            conditions.append(c.time >= since)
        if until is not None:
            conditions.append(c.time < until)
        q = select(audit_record).where(and_(*conditions)).order_by(c.id.desc()).limit(limit)
        return [(r.id, _audit(r)) for r in self.conn.execute(q)]
