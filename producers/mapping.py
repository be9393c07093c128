"""Translations between contract messages (plain objects read from the XSD by contracts.binding) and
the domain's commands and objects. Nothing here decides anything."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from contracts.binding import EXTENSIONS, Extension
from contracts.ns import EXTENSION_NS
from service_domain import commands, shapes
from service_domain.clock import SWEDISH_TZ, NonexistentLocalTime, from_local
from service_domain.errors import InvalidRequest
from service_domain.identity import PersonId
from service_domain.model import (
    AccessLogEntry,
    Actor,
    Code,
    DeliveryAddress,
    LaboratoryResult,
    NoticeChannel,
    NoticeSettings,
    Offer,
    OfferDefinition,
    OfferStatus,
    Order,
    OrderStatus,
    SamplingMode,
    SamplingSite,
    Specimen,
)
from service_domain.services import OrderResultView

# ------------------------------------------------------------------ incoming


def timestamp(value: str, what: str) -> datetime:
    """TimeStampType (YYYYMMDDhhmmss, Swedish local time) to an aware datetime; a time the
    clock skips in spring is refused, one in the repeated autumn hour is its first occurrence."""
    try:
        return from_local(datetime.strptime(value, "%Y%m%d%H%M%S"))
    except NonexistentLocalTime:
        raise InvalidRequest(f"{what} does not exist in Swedish local time (the hour skipped for summer time)") from None
    except ValueError:
        raise InvalidRequest(f"{what} is not a valid date and time") from None


def day(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise InvalidRequest(f"{what} is not a valid date") from None


def plain(value: Any) -> Any:
    """What contracts.binding read (objects with attribute access) as the plain dicts of
    service_domain.shapes."""
    if isinstance(value, SimpleNamespace):
        return {k: plain(v) for k, v in vars(value).items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def person(p: Any) -> PersonId:
    return shapes.person_from(plain(p))


def actor(a: Any) -> Actor:
    return shapes.actor_from(plain(a))


def code(c: Any) -> Code | None:
    return None if c is None else shapes.code_from(plain(c))


def _list(value: Any) -> list[Any]:
    return list(value) if value else []


def address(a: Any) -> DeliveryAddress | None:
    return None if a is None else shapes.delivery_address_from(plain(a))


def specimen(s: Any) -> Specimen:
    return shapes.specimen_from(plain(s), time=timestamp)


def period(p: Any, what: str) -> tuple[date | None, date | None]:
    if p is None:
        return None, None
    return day(p.start, f"{what} start"), day(p.end, f"{what} end")


def laboratory_result(r: Any) -> LaboratoryResult:
    return shapes.laboratory_result_from(plain(r), time=timestamp)


def get_offer_catalog(r: Any) -> commands.GetOfferCatalog:
    return commands.GetOfferCatalog(
        r.careGiverHSAId, SamplingMode(r.samplingMode) if r.samplingMode else None, r.selfService
    )


def assign_offer(r: Any) -> commands.AssignOffer:
    return commands.AssignOffer(
        patient=person(r.patientId),
        offer_code=r.offerCode,
        care_giver=r.careGiverHSAId,
        care_unit=r.accountableCareUnit,
        assigned_by=actor(r.assignedBy),
        valid_to=timestamp(r.validTo, "validTo") if r.validTo else None,
        max_orders=r.maxOrders,
        comment=r.comment,
    )


def revoke_offer(r: Any) -> commands.RevokeOffer:
    return commands.RevokeOffer(r.offerId, actor(r.revokedBy), r.reason)


def get_offers(r: Any) -> commands.GetOffers:
    return commands.GetOffers(person(r.patientId), tuple(OfferStatus(s) for s in _list(r.status)))


def create_order(r: Any) -> commands.CreateOrder:
    return commands.CreateOrder(
        offer_id=r.offerId,
        patient=person(r.patientId),
        sampling_mode=SamplingMode(r.samplingMode),
        performing_lab=r.performingLabHSAId,
        sampling_unit=r.samplingUnitHSAId,
        delivery_address=address(r.deliveryAddress),
        contact_phone=r.contactPhone,
        care_giver=r.careGiverHSAId,
        offer_code=r.offerCode,
    )


def get_orders(r: Any) -> commands.GetOrders:
    start, end = period(r.createdPeriod, "createdPeriod")
    return commands.GetOrders(
        patient=person(r.patientId) if r.patientId is not None else None,
        order_ids=tuple(_list(r.orderId)),
        referral_ids=tuple(_list(r.referralId)),
        performing_lab=r.performingLabHSAId,
        sampling_unit=r.samplingUnitHSAId,
        statuses=tuple(OrderStatus(s) for s in _list(r.status)),
        created_start=start,
        created_end=end,
        max_results=r.maxResults,
        continuation_token=r.continuationToken,
    )


def set_order_status(r: Any) -> commands.SetOrderStatus:
    return commands.SetOrderStatus(
        order_id=r.orderId,
        status=OrderStatus(r.status),
        event_time=timestamp(r.eventTime, "eventTime"),
        performed_by=actor(r.performedBy),
        performing_unit=r.performingUnitHSAId,
        specimens=tuple(specimen(s) for s in _list(r.specimen)),
        reason=code(r.reason),
        comment=r.comment,
    )


def cancel_order(r: Any) -> commands.CancelOrder:
    return commands.CancelOrder(r.orderId, actor(r.cancelledBy), r.reason)


def set_result(r: Any) -> commands.SetResult:
    return commands.SetResult(laboratory_result(r.laboratoryResult))


def get_results(r: Any) -> commands.GetResults:
    start, end = period(r.period, "period")
    return commands.GetResults(person(r.patientId), tuple(_list(r.orderId)), start, end, bool(r.includeEarlierVersions))


def get_sampling_sites(r: Any) -> commands.GetSamplingSites:
    return commands.GetSamplingSites(
        r.careGiverHSAId, r.offerId, r.orderId, person(r.patientId) if r.patientId is not None else None
    )


def get_access_log(r: Any) -> commands.GetAccessLog:
    start, end = period(r.period, "period")
    return commands.GetAccessLog(person(r.patientId), start, end, r.maxResults, r.continuationToken)


def get_notice_settings(r: Any) -> commands.GetNoticeSettings:
    return commands.GetNoticeSettings(person(r.patientId))


def set_notice_settings(r: Any) -> commands.SetNoticeSettings:
    return commands.SetNoticeSettings(
        person(r.patientId), NoticeChannel(r.channel), r.emailAddress, r.mobileNumber, actor(r.changedBy)
    )


# ------------------------------------------------------------------ outgoing
# Plain values for contracts.binding: a dict per complex type, keyed by element name.


def ts(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(SWEDISH_TZ).strftime("%Y%m%d%H%M%S")


def code_out(c: Code | None) -> dict[str, Any] | None:
    return None if c is None else shapes.code(c)


def actor_out(a: Actor | None) -> dict[str, Any] | None:
    return None if a is None else shapes.actor(a)


def result_type(
    log_id: str, *, code: str = "OK", error: str | None = None, sub_code: str | None = None, message: str | None = None
) -> dict[str, Any]:
    return {"resultCode": code, "errorCode": error, "subCode": sub_code, "logId": log_id, "message": message}


def definition_out(d: OfferDefinition) -> dict[str, Any]:
    return {
        "offerCode": d.offer_code,
        "displayName": d.display_name,
        "careGiverHSAId": d.care_giver,
        "analysis": [shapes.analysis(a) for a in d.analyses],
        "samplingMode": [m.value for m in d.sampling_modes],
        "specimenMaterial": code_out(d.specimen_material),
        "notifiable": d.notifiable,
        "resultRelease": d.result_release.value,
        "validityDays": d.validity_days,
        "maxOrders": d.max_orders,
        "performingLabHSAId": d.performing_lab,
        "minAge": d.min_age,
        "maxAge": d.max_age,
        "patientInstructions": d.patient_instructions,
        "kitReturnDays": d.kit_return_days or None,
        "selfService": d.self_service or None,
        "selfServiceOrdersPerYear": d.self_service_orders_per_year,
        "accountableCareUnit": d.accountable_care_unit,
    }


def offer_out(o: Offer) -> dict[str, Any]:
    return {
        "offerId": o.offer_id,
        "offerCode": o.offer_code,
        "displayName": o.display_name,
        "patientId": shapes.person(o.patient),
        "accountableCareGiver": o.care_giver,
        "accountableCareUnit": o.care_unit,
        "assignedBy": actor_out(o.assigned_by),
        "assignedTime": ts(o.assigned_time),
        "validTo": ts(o.valid_to),
        "maxOrders": o.max_orders,
        "ordersPlaced": o.orders_placed,
        "status": o.status.value,
        "samplingMode": [m.value for m in o.sampling_modes],
        "comment": o.comment,
    }


def order_out(o: Order) -> dict[str, Any]:
    address = o.delivery_address
    return {
        "orderId": o.order_id,
        "referralId": o.referral_id,
        "offerId": o.offer_id,
        "offerCode": o.offer_code,
        "displayName": o.display_name,
        "patientId": shapes.person(o.patient),
        "status": o.status.value,
        "samplingMode": o.sampling_mode.value,
        "performingLabHSAId": o.performing_lab,
        "samplingUnitHSAId": o.sampling_unit,
        "accountableCareGiver": o.care_giver,
        "accountableCareUnit": o.care_unit,
        "resultRecipientUnit": o.result_recipient_unit,
        "analysis": [shapes.analysis(a) for a in o.analyses],
        "specimen": [shapes.specimen(s, time=ts) for s in o.specimens],
        "createdTime": ts(o.created_time),
        "validTo": ts(o.valid_to),
        "statusHistory": [
            {"status": h.status.value, "time": ts(h.time), "performedBy": actor_out(h.performed_by)} for h in o.history
        ],
        "deliveryAddress": None if address is None else shapes.delivery_address(address),
        "notifiable": o.notifiable,
    }


def laboratory_result_out(r: LaboratoryResult) -> dict[str, Any]:
    return shapes.laboratory_result(r, time=ts)


def order_result_out(v: OrderResultView) -> dict[str, Any]:
    return {
        "order": order_out(v.order),
        "result": laboratory_result_out(v.result) if v.result is not None else None,
        "releasedToPatient": v.released_to_patient,
        "releaseTime": ts(v.release_time),
        "followUpRequired": v.follow_up_required,
        "earlierResult": [laboratory_result_out(r) for r in v.earlier],
    }


def sampling_site_out(site: SamplingSite) -> dict[str, Any]:
    return {
        "samplingUnitHSAId": site.hsa_id,
        "name": site.name,
        "careGiverHSAId": site.care_giver,
        "address": shapes.site_address(site),
        "openingHours": site.opening_hours,
        "performingLabHSAId": site.performing_lab,
    }


def access_log_entry_out(e: AccessLogEntry) -> dict[str, Any]:
    return {
        "time": ts(e.time),
        "action": e.action.value,
        "interaction": e.operation.value,
        "systemHSAId": e.system_hsa_id,
        "systemName": e.system_name,
        "careGiverHSAId": e.care_giver,
        "careUnitHSAId": e.care_unit,
        "performedBy": actor_out(e.performed_by),
        EXTENSIONS: [Extension(EXTENSION_NS, element, name) for element, name in
                     (("careGiverName", e.care_giver_name), ("careUnitName", e.care_unit_name)) if name],
    }


def notice_settings_out(s: NoticeSettings | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"channel": s.channel.value, "emailAddress": s.email, "mobileNumber": s.mobile, "changedTime": ts(s.changed_time)}
