"""Results for the national results contract (GetLaboratoryOrderOutcome): what journal systems
and the national aggregating services (NPÖ, 1177 Journalen) may read of a patient's results.

Every record answered is one an aggregator may show the patient, so only what the service has
released to the patient is answered: per order, the newest version released to the patient.
A version held for follow-up or review is never answered, nor is the fact that one is held (a
held positive would be disclosed). A newer held correction leaves the earlier released version
as the answer until it is released itself, as in the patient's own view. An order whose newest
released version withdraws every value (all ENTERED_IN_ERROR) is not answered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import checks, commands
from ..clock import local_date
from ..enums import AuditAction
from ..model import ActorKind, LaboratoryResult, Order
from ..operations import Operation
from ..ports import UnitOfWork
from .calls import Call, caller, checked_patient, performs


@dataclass(frozen=True, slots=True)
class OutcomeView:
    """One order's answer: the newest version released to the patient (every version
    answered is approved for the patient)."""

    order: Order
    result: LaboratoryResult
    source_system: str
    # registered names by upper-case HSA-id: the order's care unit and result recipient unit (the
    # register of unit names, else a sampling site's name) and the staff member who signed
    names: Mapping[str, str] = field(default_factory=dict)

    def name(self, hsa_id: str | None) -> str | None:
        return self.names.get(hsa_id.upper()) if hsa_id else None


@dataclass(frozen=True, slots=True)
class LaboratoryOrderOutcomes:
    views: list[OutcomeView]


def _names(uow: UnitOfWork, order: Order, result: LaboratoryResult, known: dict[str, str | None]) -> dict[str, str]:
    """The registered names the answer of one order writes in its name fields."""
    wanted = [order.care_unit, order.result_recipient_unit]
    staff = result.signed_by.id if result.signed_by and result.signed_by.kind is ActorKind.STAFF else None
    for hsa_id in [h for h in wanted if h]:
        key = hsa_id.upper()
        if key not in known:
            name = uow.unit_names.get(key)
            if name is None:
                site = uow.sites.get(key)
                name = site.name if site is not None else None
            known[key] = name
    if staff and staff.upper() not in known:
        member = uow.staff.get(staff)
        known[staff.upper()] = member.name if member is not None else None
    keys = {h.upper() for h in [*wanted, staff] if h}
    return {k: v for k, v in known.items() if k in keys and v}


def _wanted(cmd: commands.GetLaboratoryOrderOutcome, order: Order, result: LaboratoryResult) -> bool:
    # HSA-ids compare without regard to case, as everywhere in the service
    if cmd.care_units and order.care_unit.upper() not in {u.upper() for u in cmd.care_units}:
        return False
    if cmd.care_givers and order.care_giver.upper() not in {g.upper() for g in cmd.care_givers}:
        return False
    if cmd.referral_ids and order.referral_id not in cmd.referral_ids:
        return False
    if cmd.specimen_ids:
        specimens = set(result.specimen_identifiers) | {s.identifier for s in order.specimens}
        if specimens.isdisjoint(cmd.specimen_ids):
            return False
    day = local_date(result.report_time)
    if cmd.period_start and day < cmd.period_start:
        return False
    return not (cmd.period_end and day > cmd.period_end)


@performs(Operation.GET_LABORATORY_ORDER_OUTCOME)
def get_laboratory_order_outcome(
    uow: UnitOfWork, call: Call, cmd: commands.GetLaboratoryOrderOutcome
) -> LaboratoryOrderOutcomes:
    checks.period(cmd.period_start, cmd.period_end, "datePeriod")
    with uow:
        patient = checked_patient(uow, call, cmd.patient)
        system = caller(uow, call)
        views: list[OutcomeView] = []
        known: dict[str, str | None] = {}
        # every record is this service's: another source system asked for has none here
        if cmd.source_system is None or cmd.source_system.upper() == cmd.this_system.upper():
            orders = [o for o in uow.orders.for_patient(patient) if system.serves(o.care_giver)]
            released = uow.results.newest([o.order_id for o in orders], released_only=True)
            for order in orders:
                stored = released.get(order.order_id)
                if stored is None or stored.result.is_withdrawal:
                    continue
                if _wanted(cmd, order, stored.result):
                    names = _names(uow, order, stored.result, known)
                    views.append(OutcomeView(order, stored.result, cmd.this_system, names))
        views.sort(key=lambda v: (v.result.report_time, v.order.order_id), reverse=True)
        # the read is on record whatever it found, as GetResults is
        uow.audit.add(call.audit(AuditAction.READ, [patient]))
        uow.commit()
        return LaboratoryOrderOutcomes(views)
