"""The call as a service function performs it, and what every function does with it: check
who calls, record the access to patients' data, answer a repeated write.

Each service function pins the operation it performs with ``performs``; the caller hands over
only a ``CallContext`` (who, under which logId, when). The operation then decides what the
calling system, or the staff member acting through the staff web, may do, and is what the
audit records carry."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Concatenate, ParamSpec, TypeVar

from .. import access, checks, staff
from ..commands import CallContext
from ..enums import ActorKind, AuditAction, SystemKind
from ..errors import CallerRefused, InvalidRequest
from ..identity import PersonId
from ..model import Actor, AuditRecord, ConnectedSystem
from ..operations import Operation
from ..ports import UnitOfWork
from ..staff import StaffActing, StaffMember

P = ParamSpec("P")
R = TypeVar("R")

# which service functions perform each operation (filled in by ``performs``)
PERFORMED_BY: dict[Operation, list[str]] = {}


@dataclass(frozen=True, slots=True)
class Call:
    """A call with the operation it performs: the caller's context, and the service function's operation."""

    operation: Operation
    log_id: str
    consumer: str | None
    now: datetime
    sender: str | None = None
    staff: StaffActing | None = None

    @classmethod
    def of(cls, operation: Operation, ctx: CallContext) -> Call:
        return cls(operation, ctx.log_id, ctx.consumer, ctx.now, ctx.sender, ctx.staff)

    def audit(
        self,
        action: AuditAction,
        patients: Iterable[PersonId],
        actor: Actor | None = None,
        care_giver: str | None = None,
    ) -> list[AuditRecord]:
        """A record of this call's access to each patient (once each): who called, as whom, for
        which care giver, and (from the staff web) the staff member and the unit they act at."""
        seen: set[str] = set()
        records = []
        for p in patients:
            if p.id in seen:
                continue
            seen.add(p.id)
            records.append(
                AuditRecord(
                    time=self.now,
                    operation=self.operation,
                    action=action,
                    patient_id=p.id,
                    patient_type=p.type,
                    log_id=self.log_id,
                    consumer_hsa_id=self.consumer,
                    sender_hsa_id=self.sender,
                    actor_id=self.staff.hsa_id if self.staff else actor.id if actor else None,
                    care_giver=care_giver,
                    care_unit=self.staff.care_unit if self.staff else None,
                    actor_kind=ActorKind.STAFF if self.staff else actor.kind if actor else None,
                )
            )
        return records

    def stamp(self, action: AuditAction, actor: Actor | None = None, care_giver: str | None = None) -> AuditRecord:
        """An audit record of this call without its patient (the storage fills in each patient read)."""
        return self.audit(action, [PersonId("")], actor, care_giver)[0]


def performs(
    operation: Operation,
) -> Callable[[Callable[Concatenate[UnitOfWork, Call, P], R]], Callable[Concatenate[UnitOfWork, CallContext, P], R]]:
    """Pin the operation a service function performs: it is called with the caller's context and
    runs with the ``Call``."""

    def decorate(fn: Callable[Concatenate[UnitOfWork, Call, P], R]) -> Callable[Concatenate[UnitOfWork, CallContext, P], R]:
        @functools.wraps(fn)
        def run(uow: UnitOfWork, ctx: CallContext, /, *args: P.args, **kwargs: P.kwargs) -> R:
            return fn(uow, Call.of(operation, ctx), *args, **kwargs)

        run.operation = operation  # type: ignore[attr-defined]
        PERFORMED_BY.setdefault(operation, []).append(f"{fn.__module__}.{fn.__qualname__}")
        return run

    return decorate


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """A write that was accepted: OK, or INFO when it changed nothing (a repeat)."""

    info: bool = False
    message: str | None = None
    offer_id: str | None = None
    order_id: str | None = None
    referral_id: str | None = None


def repeat(
    uow: UnitOfWork, call: Call, patient: PersonId, actor: Actor | None, care_giver: str, message: str, **ids: str
) -> WriteOutcome:
    """A write that repeats one already done: nothing changes, but the patient's data was touched."""
    uow.audit.add(call.audit(AuditAction.WRITE, [patient], actor, care_giver))
    uow.commit()
    return WriteOutcome(info=True, message=message, **ids)


def checked_patient(uow: UnitOfWork, call: Call, pid: PersonId, care_giver: str | None = None) -> PersonId:
    """The patient id, checked; a reservnummer under a type configured for the care giver."""
    return checks.patient(pid, call.now, uow.reserve_numbers.get, care_giver)


# ------------------------------------------------------------------ who calls


def caller(uow: UnitOfWork, call: Call) -> ConnectedSystem:
    """The calling system, if it may perform this operation; for the staff web, narrowed to the
    care giver of the staff member acting (who must hold a function that allows the operation
    at the care unit they act at)."""
    system = uow.systems.get(call.consumer) if call.consumer else None
    if call.staff is not None:
        member = uow.staff.get(call.staff.hsa_id)
        return staff.check_staff_call(system, member, call.staff, call.operation)
    if system is not None and system.kind is SystemKind.STAFF_UI:
        raise CallerRefused("a call from a staff web must name the staff member acting")
    return access.check_interaction(system, call.operation)


def system_care_giver(system: ConnectedSystem) -> str | None:
    """The one care giver a system serves (the staff web narrowed to the member's), if one:
    what a read from the staff web records as its care giver, for the care giver's log review."""
    return next(iter(system.care_givers)) if not system.all_care_givers and len(system.care_givers) == 1 else None


def staff_caller(uow: UnitOfWork, call: Call) -> ConnectedSystem | None:
    """For staff operations: the narrowed staff web when a staff member acts; None for an
    operator at the console (the ``eph`` command), who acts on every care giver's data."""
    return caller(uow, call) if call.staff is not None else None


def acting_member(uow: UnitOfWork, call: Call) -> tuple[ConnectedSystem, StaffMember, StaffActing]:
    """For operations only the staff web makes: the narrowed staff web, the member acting, and
    where they act."""
    if call.staff is None:
        raise CallerRefused(f"{call.operation} is made by a staff member")
    system = caller(uow, call)
    member = uow.staff.get(call.staff.hsa_id)
    assert member is not None  # caller() checked it
    return system, member, call.staff


def check_performer(
    uow: UnitOfWork, call: Call, system: ConnectedSystem | None, actor: Actor, what: str, care_giver: str,
    patient: PersonId | None = None,
) -> None:
    """The one the request names as acting belongs to the caller (``access.check_performer``);
    from the staff web it is the staff member logged in (``as_staff_member``)."""
    if call.staff is not None:
        return
    member = uow.staff.get(actor.id) if actor.kind is ActorKind.STAFF else None
    access.check_performer(system, actor, what, care_giver, member, patient.id if patient else None)


def as_staff_member(call: Call, actor: Actor, what: str) -> None:
    """From the staff web, the person acting is the staff member who is logged in."""
    if call.staff is not None and (actor.kind is not ActorKind.STAFF or actor.id.upper() != call.staff.hsa_id.upper()):
        raise InvalidRequest(f"{what} must be the staff member acting")
