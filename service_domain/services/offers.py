"""Offers: the catalogue a care giver offers, and the offers assigned to patients."""

from __future__ import annotations

from datetime import date

from .. import access, checks, commands, staff
from ..clock import local_date
from ..enums import AuditAction
from ..errors import RuleViolation, SubCode
from ..model import ActorKind, Offer, OfferDefinition, SamplingMode
from ..model.regions import Region, care_givers_under
from ..operations import Operation
from ..ports import UnitOfWork
from .calls import (
    Call,
    WriteOutcome,
    as_staff_member,
    caller,
    check_performer,
    checked_patient,
    performs,
    repeat,
)
from .population import ask_register, refresh_flags
from .regions import standing_of


@performs(Operation.GET_OFFER_CATALOG)
def get_offer_catalog(uow: UnitOfWork, call: Call, cmd: commands.GetOfferCatalog) -> list[OfferDefinition]:
    """A care giver's catalogue. Asked for the self-service entries of a region (its HSA-id as
    the care giver), the region's and those of every care giver under it today."""
    checks.hsa(cmd.care_giver, "careGiverHSAId")
    with uow:
        system = caller(uow, call)
        region = uow.regions.get(cmd.care_giver) if cmd.self_service and cmd.care_giver else None
        if region is None:
            definitions = uow.definitions.list(cmd.care_giver, cmd.sampling_mode, active_only=True)
        else:
            definitions = _self_service_of_region(uow, region, cmd.sampling_mode, local_date(call.now))
        return [
            d for d in definitions if system.serves(d.care_giver) and (not cmd.self_service or d.self_service)
        ]


def _self_service_of_region(
    uow: UnitOfWork, region: Region, mode: SamplingMode | None, day: date
) -> list[OfferDefinition]:
    """What a patient of the region may order themselves: the active self-service entries of the
    region and of the care givers under it today, within the region's catalogue."""
    under = care_givers_under(region, uow.regions.agreements(region_id=region.hsa_id), day, day)
    out = []
    for d in uow.definitions.list(None, mode, active_only=True):
        if d.self_service and d.care_giver.upper() in under:
            st = standing_of(uow, d.care_giver, day)
            if st.is_region or not st.region or not st.region.catalogue_problems(d):
                out.append(d)
    return out


@performs(Operation.ASSIGN_OFFER)
def assign_offer(uow: UnitOfWork, call: Call, cmd: commands.AssignOffer) -> WriteOutcome:
    checks.assign_offer(cmd, call.now)
    as_staff_member(call, cmd.assigned_by, "assignedBy")
    with uow:
        patient = checked_patient(uow, call, cmd.patient, cmd.care_giver)
        system = caller(uow, call)
        access.check_serves(system, cmd.care_giver)
        register = ask_register(uow, patient)
        check_performer(uow, call, system, cmd.assigned_by, "assignedBy", cmd.care_giver)
        staff.check_unit(call.staff, cmd.care_unit)
        definition = uow.definitions.get(cmd.care_giver, cmd.offer_code)
        if definition is None or not definition.active:
            raise RuleViolation(SubCode.NOT_IN_CATALOGUE, "the offer code is not in the care giver's catalogue")
        standing_of(uow, cmd.care_giver, local_date(call.now)).check_may_offer(definition)
        assignment = Offer.assign(
            definition, patient, care_unit=cmd.care_unit, assigned_by=cmd.assigned_by, now=call.now,
            existing=uow.offers.for_patient(patient, for_update=True),
            valid_to=cmd.valid_to, max_orders=cmd.max_orders, comment=cmd.comment,
        )
        offer = assignment.offer
        if assignment.repeat:
            return repeat(uow, call, patient, cmd.assigned_by, offer.care_giver,
                          "the patient already has this offer; it is returned", offer_id=offer.offer_id)
        offer.protected_identity = register.protected
        uow.offers.add(offer)
        refresh_flags(uow, patient, register)
        uow.audit.add(call.audit(AuditAction.WRITE, [patient], cmd.assigned_by, offer.care_giver))
        uow.commit()
        return WriteOutcome(offer_id=offer.offer_id)


@performs(Operation.REVOKE_OFFER)
def revoke_offer(uow: UnitOfWork, call: Call, cmd: commands.RevokeOffer) -> WriteOutcome:
    checks.actor(cmd.revoked_by, "revokedBy", call.now, allowed=(ActorKind.STAFF, ActorKind.SYSTEM))
    as_staff_member(call, cmd.revoked_by, "revokedBy")
    with uow:
        system = caller(uow, call)
        offer = uow.offers.get(cmd.offer_id, for_update=True)
        if offer is None:
            raise RuleViolation(SubCode.UNKNOWN_ID, "no offer with that offerId")
        access.check_serves(system, offer.care_giver)
        check_performer(uow, call, system, cmd.revoked_by, "revokedBy", offer.care_giver)
        staff.check_unit(call.staff, offer.care_unit)
        if not offer.revoke(call.now):
            return repeat(uow, call, offer.patient, cmd.revoked_by, offer.care_giver, "the offer was already revoked")
        uow.offers.save(offer)
        uow.audit.add(call.audit(AuditAction.WRITE, [offer.patient], cmd.revoked_by, offer.care_giver))
        uow.commit()
        return WriteOutcome()


@performs(Operation.GET_OFFERS)
def get_offers(uow: UnitOfWork, call: Call, cmd: commands.GetOffers) -> list[Offer]:
    with uow:
        patient = checked_patient(uow, call, cmd.patient)
        system = caller(uow, call)
        offers = []
        for offer in uow.offers.for_patient(patient):
            if not system.serves(offer.care_giver):
                continue
            offer.status = offer.status_at(call.now)
            if cmd.statuses and offer.status not in cmd.statuses:
                continue
            offers.append(offer)
        uow.audit.add(call.audit(AuditAction.READ, [patient]))
        uow.commit()
        return offers
