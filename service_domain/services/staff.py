"""Staff: the patient page of the staff web, and the staff registry (who works where, with
which functions), kept by administrators on the staff web or by an operator at the console."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .. import checks
from .. import staff as rules
from ..enums import AuditAction
from ..errors import InvalidRequest, RuleViolation, SubCode
from ..identity import PERSONNUMMER, PersonId
from ..model import Offer, Order, StoredResult
from ..operations import Operation
from ..ports import UnitOfWork
from ..staff import StaffFunction, StaffMember
from .calls import Call, acting_member, checked_patient, performs, system_care_giver
from .orders import sampling_desk, shown_to
from .population import ask_register, refresh_flags

STAFF_NAME_MAX = 255


@dataclass(frozen=True, slots=True)
class PatientView:
    """What the staff member's care giver holds about a patient."""

    patient: PersonId
    offers: list[Offer]
    orders: list[Order]
    results: dict[str, list[StoredResult]]  # order id -> every stored version, oldest first
    open_cases: set[str]  # order ids with an open follow-up case
    protected: bool = False  # the patient has protected identity (or the register could not say)


@performs(Operation.PATIENT_VIEW)
def patient_view(uow: UnitOfWork, call: Call, patient: PersonId) -> PatientView:
    """The patient page: offers, orders with their history, every result version. Audited
    with the staff member and care unit, whether or not anything was found."""
    with uow:
        patient = checked_patient(uow, call, patient)
        system, _, _ = acting_member(uow, call)
        register = ask_register(uow, patient)
        refresh_flags(uow, patient, register)
        offers = [o for o in uow.offers.for_patient(patient) if system.serves(o.care_giver)]
        for offer in offers:
            offer.status = offer.status_at(call.now)
        desk = sampling_desk(uow, call)
        orders = [shown_to(system, o, desk) for o in uow.orders.for_patient(patient) if system.serves(o.care_giver)]
        results = {o.order_id: uow.results.versions(o.order_id) for o in orders}
        open_cases = uow.follow_ups.open_for_orders([o.order_id for o in orders])
        uow.audit.add(call.audit(AuditAction.READ, [patient], care_giver=system_care_giver(system)))
        uow.commit()
        protected = register.protected if register.refreshes or not register.reachable else any(
            o.protected_identity for o in offers) or any(o.protected_identity for o in orders)
        return PatientView(patient, offers, orders, results, open_cases, protected)


# ------------------------------------------------------------------ the staff registry


def find_staff_member(uow: UnitOfWork, hsa_id: str) -> StaffMember | None:
    """A registered staff member (for logging in; the registry holds no patient data)."""
    with uow:
        return uow.staff.get(hsa_id)


def dev_password_hash(uow: UnitOfWork, hsa_id: str) -> str | None:
    with uow:
        return uow.staff.dev_password_hash(hsa_id)


def _admin(uow: UnitOfWork, call: Call) -> StaffMember | None:
    """The administrator acting from the staff web, or None for an operator at the console."""
    if call.staff is None:
        return None
    return acting_member(uow, call)[1]


def _load_member(uow: UnitOfWork, hsa_id: str) -> StaffMember:
    member = uow.staff.get(hsa_id)
    if member is None:
        raise RuleViolation(SubCode.UNKNOWN_ID, "no staff member with that HSA-id")
    return member


def _administered_member(uow: UnitOfWork, call: Call, hsa_id: str) -> StaffMember:
    """The staff member, if the administrator acting (none at the console) administers one of
    the member's units."""
    admin = _admin(uow, call)
    member = _load_member(uow, hsa_id)
    if admin is not None:
        administered = [u for u in member.care_units if admin.may(u, StaffFunction.ADMIN)]
        if not administered:
            raise RuleViolation(SubCode.NOT_PERMITTED, "the staff member works at no care unit you administer")
        rules.check_admin_of(admin, member.care_giver, administered[0])
    return member


def _functions(functions: Iterable[StaffFunction | str]) -> frozenset[StaffFunction]:
    try:
        return frozenset(StaffFunction(f) for f in functions)
    except ValueError:
        raise InvalidRequest("a function must be one of " + ", ".join(StaffFunction)) from None


@performs(Operation.MANAGE_STAFF)
def list_staff(uow: UnitOfWork, call: Call, care_giver: str | None = None) -> list[StaffMember]:
    """The staff of a care giver (of the administrator's, from the staff web)."""
    with uow:
        admin = _admin(uow, call)
        return uow.staff.list(admin.care_giver if admin else care_giver)


@performs(Operation.MANAGE_STAFF)
def register_staff(uow: UnitOfWork, call: Call, hsa_id: str, name: str, care_giver: str | None = None) -> StaffMember:
    """Register a staff member (no functions yet). From the staff web, of the administrator's
    care giver, at the care unit the administrator acts at."""
    checks.hsa(hsa_id, "the staff member's HSA-id")
    name = checks.text(name, "the name", STAFF_NAME_MAX)
    with uow:
        admin = _admin(uow, call)
        if admin is not None:
            care_giver = admin.care_giver
        if care_giver is None:
            raise InvalidRequest("the staff member's care giver is required")
        checks.hsa(care_giver, "careGiverHSAId")
        if uow.staff.get(hsa_id) is not None:
            raise RuleViolation(SubCode.WRONG_STATE, "a staff member with that HSA-id is already registered")
        member = StaffMember(hsa_id, name, care_giver.upper(), {})
        if admin is not None and call.staff is not None:
            member = member.granted(call.staff.care_unit, frozenset())
        uow.staff.put(member)
        uow.commit()
        return member


@performs(Operation.MANAGE_STAFF)
def grant_functions(
    uow: UnitOfWork, call: Call, hsa_id: str, care_unit: str, functions: Iterable[StaffFunction | str]
) -> StaffMember:
    """Let a staff member use these functions at a care unit (the unit becomes one of theirs)."""
    checks.hsa(care_unit, "the care unit")
    wanted = _functions(functions)
    with uow:
        admin = _admin(uow, call)
        member = _load_member(uow, hsa_id)
        if admin is not None:
            rules.check_admin_of(admin, member.care_giver, care_unit)
        member = member.granted(care_unit, wanted)
        uow.staff.put(member)
        uow.commit()
        return member


@performs(Operation.MANAGE_STAFF)
def revoke_functions(
    uow: UnitOfWork,
    call: Call,
    hsa_id: str,
    care_unit: str,
    functions: Iterable[StaffFunction | str],
    *,
    leave_unit: bool = False,
) -> StaffMember:
    """Take functions at a care unit away (or, with ``leave_unit``, the unit and all its functions)."""
    unwanted = _functions(functions)
    with uow:
        admin = _admin(uow, call)
        member = _load_member(uow, hsa_id)
        if admin is not None:
            rules.check_admin_of(admin, member.care_giver, care_unit)
            if member.hsa_id.upper() == admin.hsa_id.upper() and StaffFunction.ADMIN in unwanted | (
                member.functions_at(care_unit) if leave_unit else frozenset()
            ):
                raise RuleViolation(SubCode.NOT_PERMITTED, "an administrator cannot take away their own ADMIN function")
        if not member.works_at(care_unit):
            raise RuleViolation(SubCode.UNKNOWN_ID, "the staff member does not work at that care unit")
        member = member.revoked(care_unit, unwanted, leave_unit=leave_unit)
        uow.staff.put(member)
        uow.commit()
        return member


@performs(Operation.MANAGE_STAFF)
def set_dev_password(uow: UnitOfWork, call: Call, hsa_id: str, password_hash: str) -> None:
    """Store the (already hashed) development-login password of a staff member."""
    with uow:
        member = _administered_member(uow, call, hsa_id)
        uow.staff.set_dev_password_hash(member.hsa_id, password_hash, call.now)
        uow.commit()


@performs(Operation.MANAGE_STAFF)
def set_staff_person_id(uow: UnitOfWork, call: Call, hsa_id: str, person_id: str | None) -> StaffMember:
    """Register (or, with None, remove) a staff member's personal identity number, which the log
    review's check of reads of one's own data needs. It is never shown; setting it is recorded
    in the audit (the person's own access log shows the registry used their number)."""
    person = checks.patient(PersonId(person_id.strip(), PERSONNUMMER), call.now, lambda _: None) if person_id else None
    with uow:
        member = _administered_member(uow, call, hsa_id)
        touched = [p for p in (person, PersonId(member.person_id, PERSONNUMMER) if member.person_id else None) if p]
        member = replace(member, person_id=person.id if person else None)
        uow.staff.put(member)
        uow.audit.add(call.audit(AuditAction.WRITE, touched, care_giver=member.care_giver))
        uow.commit()
        return member
