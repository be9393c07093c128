"""The patient's access log: who has read or changed their data, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .. import checks, commands, paging
from ..clock import day_after, day_start
from ..enums import ActorKind, AuditAction
from ..model import AccessLogEntry, Actor, AuditRecord
from ..operations import Operation
from ..ports import UnitOfWork
from .calls import Call, caller, checked_patient, performs


@dataclass(frozen=True, slots=True)
class AccessLogPage:
    entries: list[AccessLogEntry]
    continuation_token: str | None


@performs(Operation.GET_ACCESS_LOG)
def get_access_log(uow: UnitOfWork, call: Call, cmd: commands.GetAccessLog) -> AccessLogPage:
    """Who has read or changed the patient's data, newest first, in pages: built from the audit
    records of this patient only. Reading the log is itself recorded."""
    checks.period(cmd.period_start, cmd.period_end)
    limit = checks.page_size(cmd.max_results)
    since = day_start(cmd.period_start) if cmd.period_start else None
    until = day_after(cmd.period_end) if cmd.period_end and cmd.period_end < date.max else None
    with uow:
        patient = checked_patient(uow, call, cmd.patient)
        caller(uow, call)
        digest = paging.keyed_digest(
            uow.paging_key(), "GetAccessLog", patient.type, patient.id,
            since.isoformat() if since else "", until.isoformat() if until else "",
        )
        before = paging.decode(cmd.continuation_token, digest) if cmd.continuation_token else None
        rows = uow.audit.page_for_patient(patient, before, limit + 1, since, until)
        more = len(rows) > limit
        rows = rows[:limit]
        names: dict[str, str | None] = {}  # each unit's name looked up once a call
        entries = [_log_entry(uow, record, names) for _, record in rows]
        token = paging.encode(rows[-1][0], digest) if more else None
        uow.audit.add(call.audit(AuditAction.READ, [patient]))
        uow.commit()
        return AccessLogPage(entries, token)


def _log_entry(uow: UnitOfWork, record: AuditRecord, names: dict[str, str | None]) -> AccessLogEntry:
    """The audit record as the patient reads it: with the names of the system, the care giver,
    the care unit (the register of names, else of sampling sites) and the person acting, where
    the registers know them."""
    system = uow.systems.get(record.consumer_hsa_id) if record.consumer_hsa_id else None
    performed_by = None
    if record.actor_id:
        kind = record.actor_kind or (ActorKind.PATIENT if record.actor_id.isdigit() else ActorKind.SYSTEM)
        name = None
        if kind is ActorKind.STAFF:
            member = uow.staff.get(record.actor_id)
            name = member.name if member is not None else None
        elif kind is ActorKind.SYSTEM:
            named = uow.systems.get(record.actor_id)
            name = named.name if named is not None else None
        performed_by = Actor(kind, record.actor_id, name)
    return AccessLogEntry(
        time=record.time,
        action=record.action,
        operation=record.operation,
        system_hsa_id=record.consumer_hsa_id,
        system_name=system.name if system is not None else None,
        care_giver=record.care_giver,
        care_unit=record.care_unit,
        performed_by=performed_by,
        care_giver_name=_unit_name(uow, record.care_giver, names) if record.care_giver else None,
        care_unit_name=_unit_name(uow, record.care_unit, names) if record.care_unit else None,
    )


def _unit_name(uow: UnitOfWork, hsa_id: str, names: dict[str, str | None]) -> str | None:
    """A care giver's or unit's name: from the register of names, else a sampling site's."""
    key = hsa_id.upper()
    if key not in names:
        name = uow.unit_names.get(key)
        if name is None:
            site = uow.sites.get(key)
            name = site.name if site is not None else None
        names[key] = name
    return names[key]
