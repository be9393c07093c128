"""Translations between contract messages (plain objects read from the XSD by contracts.binding) and
the domain's commands and objects. Nothing here decides anything."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from service_domain import commands
from service_domain.clock import SWEDISH_TZ, NonexistentLocalTime, from_local
from service_domain.errors import InvalidRequest
from service_domain.identity import PersonId
from service_domain.model import (
    AccessLogEntry,
    Actor,
    ActorKind,
    Analysis,
    AnalysisResult,
    AnalysisStatus,
    Bound,
    Code,
    DeliveryAddress,
    Interpretation,
    Interval,
    LaboratoryResult,
    Offer,
    OfferDefinition,
    OfferStatus,
    Order,
    OrderStatus,
    Quantity,
    ReportStatus,
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


def person(p: Any) -> PersonId:
    return PersonId(p.id, p.type)


def actor(a: Any) -> Actor:
    return Actor(ActorKind(a.actorType), a.id, a.name)


def code(c: Any) -> Code | None:
    if c is None:
        return None
    return Code(c.code, c.codeSystem, c.codeSystemName, c.displayName, c.originalText, c.codeSystemVersion)


def _list(value: Any) -> list[Any]:
    return list(value) if value else []


def _bound(b: Any) -> Bound | None:
    if b is None:
        return None
    return Bound(b.value, b.unit, True if b.inclusive is None else b.inclusive)


def interval(i: Any) -> Interval | None:
    if i is None:
        return None
    return Interval(_bound(i.low), _bound(i.high), i.text)


def address(a: Any) -> DeliveryAddress | None:
    if a is None:
        return None
    return DeliveryAddress(a.name, a.street, a.postalCode, a.city)


def specimen(s: Any) -> Specimen:
    return Specimen(
        s.identifier, code(s.material), timestamp(s.collectedTime, "collectedTime") if s.collectedTime else None
    )


def period(p: Any, what: str) -> tuple[date | None, date | None]:
    if p is None:
        return None, None
    return day(p.start, f"{what} start"), day(p.end, f"{what} end")


def laboratory_result(r: Any) -> LaboratoryResult:
    analyses = []
    for a in r.analysisResult:
        value: Quantity | str | Code | Interval | None
        if a.pq is not None:
            value = Quantity(a.pq.value, a.pq.unit)
        elif a.coded is not None:
            value = code(a.coded)
        elif a.interval is not None:
            value = interval(a.interval)
        else:
            value = a.text
        analyses.append(
            AnalysisResult(
                code=code(a.code),  # type: ignore[arg-type]
                value=value,
                status=AnalysisStatus(a.status),
                display_name=a.displayName,
                reference_interval=interval(a.referenceInterval),
                interpretation=Interpretation(a.interpretation) if a.interpretation else None,
                comment=a.comment,
            )
        )
    return LaboratoryResult(
        order_id=r.orderId,
        performing_lab=r.performingLabHSAId,
        version=r.resultVersion,
        report_status=ReportStatus(r.reportStatus),
        report_time=timestamp(r.reportTime, "reportTime"),
        analysis_results=tuple(analyses),
        laboratory_id=r.laboratoryId,
        signed_by=actor(r.signedBy) if r.signedBy is not None else None,
        comment=r.comment,
        specimen_identifiers=tuple(_list(r.specimenIdentifier)),
    )


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


# ------------------------------------------------------------------ outgoing
# Plain values for contracts.binding: a dict per complex type, keyed by element name.


def ts(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(SWEDISH_TZ).strftime("%Y%m%d%H%M%S")


def code_out(c: Code | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "code": c.code,
        "codeSystem": c.code_system,
        "codeSystemName": c.code_system_name,
        "codeSystemVersion": c.code_system_version,
        "displayName": c.display_name,
        "originalText": c.original_text,
    }


def person_out(p: PersonId) -> dict[str, Any]:
    return {"id": p.id, "type": p.type}


def _bound_out(b: Bound | None) -> dict[str, Any] | None:
    return None if b is None else {"value": b.value, "unit": b.unit, "inclusive": b.inclusive}


def interval_out(i: Interval | None) -> dict[str, Any] | None:
    return None if i is None else {"low": _bound_out(i.low), "high": _bound_out(i.high), "text": i.text}


def actor_out(a: Actor | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {"actorType": a.kind.value, "id": a.id, "name": a.name}


def analysis_out(a: Analysis) -> dict[str, Any]:
    return {
        "code": code_out(a.code),
        "displayName": a.display_name,
        "positiveValue": [code_out(p) for p in a.positive_values],
    }


def result_type(
    log_id: str, *, code: str = "OK", error: str | None = None, sub_code: str | None = None, message: str | None = None
) -> dict[str, Any]:
    return {"resultCode": code, "errorCode": error, "subCode": sub_code, "logId": log_id, "message": message}


def definition_out(d: OfferDefinition) -> dict[str, Any]:
    return {
        "offerCode": d.offer_code,
        "displayName": d.display_name,
        "careGiverHSAId": d.care_giver,
        "analysis": [analysis_out(a) for a in d.analyses],
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
        "patientId": person_out(o.patient),
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
        "patientId": person_out(o.patient),
        "status": o.status.value,
        "samplingMode": o.sampling_mode.value,
        "performingLabHSAId": o.performing_lab,
        "samplingUnitHSAId": o.sampling_unit,
        "accountableCareGiver": o.care_giver,
        "accountableCareUnit": o.care_unit,
        "resultRecipientUnit": o.result_recipient_unit,
        "analysis": [analysis_out(a) for a in o.analyses],
        "specimen": [
            {"identifier": s.identifier, "material": code_out(s.material), "collectedTime": ts(s.collected_time)}
            for s in o.specimens
        ],
        "createdTime": ts(o.created_time),
        "validTo": ts(o.valid_to),
        "statusHistory": [
            {"status": h.status.value, "time": ts(h.time), "performedBy": actor_out(h.performed_by)} for h in o.history
        ],
        "deliveryAddress": None
        if address is None
        else {"name": address.name, "street": address.street, "postalCode": address.postal_code, "city": address.city},
        "notifiable": o.notifiable,
    }


def laboratory_result_out(r: LaboratoryResult) -> dict[str, Any]:
    items = []
    for a in r.analysis_results:
        v = a.value
        items.append(
            {
                "code": code_out(a.code),
                "displayName": a.display_name,
                "pq": {"value": v.value, "unit": v.unit} if isinstance(v, Quantity) else None,
                "text": v if isinstance(v, str) else None,
                "coded": code_out(v) if isinstance(v, Code) else None,
                "interval": interval_out(v) if isinstance(v, Interval) else None,
                "referenceInterval": interval_out(a.reference_interval),
                "interpretation": a.interpretation.value if a.interpretation else None,
                "status": a.status.value,
                "comment": a.comment,
            }
        )
    return {
        "orderId": r.order_id,
        "laboratoryId": r.laboratory_id,
        "performingLabHSAId": r.performing_lab,
        "resultVersion": r.version,
        "reportStatus": r.report_status.value,
        "reportTime": ts(r.report_time),
        "signedBy": actor_out(r.signed_by),
        "comment": r.comment,
        "specimenIdentifier": list(r.specimen_identifiers),
        "analysisResult": items,
    }


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
        "address": {"street": site.street, "postalCode": site.postal_code, "city": site.city},
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
    }
