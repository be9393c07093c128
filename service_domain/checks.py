"""Checks of what a caller sent, before anything is loaded: formats, required companions,
times, codes, units and intervals, and the checks of each request as a whole. Each failure
is an ``InvalidRequest`` saying what was wrong (never whose data it was); a write answers it
with VALIDATION_ERROR, a read with a Client fault."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from . import commands, ucum
from .clock import CLOCK_SKEW, local_date
from .enums import ActorKind, AnalysisStatus, OrderStatus, SamplingMode
from .errors import InvalidRequest
from .identity import InvalidIdentity, PersonId, check_hsa_id, national_type_of, parse_person_id
from .model import Actor, Bound, Code, Interval, LaboratoryResult, Quantity, ReserveNumberType

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
NO_VALUE = (AnalysisStatus.CANNOT_BE_DONE, AnalysisStatus.ENTERED_IN_ERROR)


def patient(
    pid: PersonId, now: datetime, reserve_number: Callable[[str], ReserveNumberType | None],
    care_giver: str | None = None,
) -> PersonId:
    """A checked patient id. A reservnummer is accepted under a type configured for the care
    giver the call concerns (``care_giver``), or for any care giver when the call names none."""
    reserve: dict[str, str | None] = {}
    if not pid.is_national:
        kind = reserve_number(pid.type)
        if kind is not None and (care_giver is None or kind.care_giver.upper() == care_giver.upper()):
            reserve[kind.oid] = kind.pattern
    try:
        return parse_person_id(pid.id, pid.type, today=local_date(now), reserve_types=reserve)
    except InvalidIdentity as e:
        raise InvalidRequest(str(e)) from None


def hsa(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    try:
        return check_hsa_id(value, what)
    except InvalidIdentity as e:
        raise InvalidRequest(str(e)) from None


def actor(a: Actor, what: str, now: datetime, *, allowed: Iterable[ActorKind] = tuple(ActorKind)) -> Actor:
    if a.kind not in tuple(allowed):
        raise InvalidRequest(f"{what} must be one of {', '.join(sorted(allowed))}")
    if a.kind is ActorKind.PATIENT:
        if not a.id.isdigit() or len(a.id) != 12:
            raise InvalidRequest(f"{what}: a PATIENT actor is identified by a 12-digit personal identity number")
        try:
            parse_person_id(a.id, national_type_of(a.id), today=local_date(now))
        except InvalidIdentity as e:
            raise InvalidRequest(f"{what}: {e}") from None
    else:
        hsa(a.id, f"{what} id")
    return a


def not_future(moment: datetime, what: str, now: datetime) -> None:
    if moment > now + CLOCK_SKEW:
        raise InvalidRequest(f"{what} lies in the future")


def period(start: date | None, end: date | None, what: str = "period") -> None:
    if start and end and end < start:
        raise InvalidRequest(f"{what} ends before it starts")


def page_size(max_results: int | None) -> int:
    limit = max_results or DEFAULT_PAGE_SIZE
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"maxResults must be between 1 and {MAX_PAGE_SIZE}")
    return limit


def code(c: Code | None, what: str) -> None:
    """A coded value names a code in a code system, or is the original text of an uncoded concept."""
    if c is None:
        return
    if (c.code is None) != (c.code_system is None):
        raise InvalidRequest(f"{what}: code and codeSystem are given together")
    if c.code is None and not (c.original_text or "").strip():
        raise InvalidRequest(f"{what}: give code and codeSystem, or originalText for an uncoded concept")


def unit(u: str, what: str) -> None:
    if not ucum.is_ucum(u):
        raise InvalidRequest(f"{what}: the unit is not in UCUM syntax")


def bound(b: Bound | None, what: str) -> Decimal | None:
    if b is None:
        return None
    unit(b.unit, what)
    try:
        return Decimal(b.value)
    except InvalidOperation:
        raise InvalidRequest(f"{what}: the value is not a decimal number") from None


def interval(i: Interval | None, what: str) -> None:
    if i is None:
        return
    if i.low is None and i.high is None and not (i.text or "").strip():
        raise InvalidRequest(f"{what}: give low, high or text")
    low, high = bound(i.low, f"{what} low"), bound(i.high, f"{what} high")
    if low is not None and high is not None and i.low is not None and i.high is not None:
        if i.low.unit == i.high.unit and high < low:
            raise InvalidRequest(f"{what} has high below low")


# ------------------------------------------------------------------ requests as a whole


def assign_offer(cmd: commands.AssignOffer, now: datetime) -> None:
    hsa(cmd.care_giver, "careGiverHSAId")
    hsa(cmd.care_unit, "accountableCareUnit")
    actor(cmd.assigned_by, "assignedBy", now, allowed=(ActorKind.STAFF, ActorKind.SYSTEM))
    if cmd.valid_to is not None and cmd.valid_to <= now:
        raise InvalidRequest("validTo must lie in the future")


def create_order(cmd: commands.CreateOrder) -> None:
    hsa(cmd.performing_lab, "performingLabHSAId")
    hsa(cmd.sampling_unit, "samplingUnitHSAId")
    hsa(cmd.care_giver, "careGiverHSAId")
    if cmd.offer_id is None and not (cmd.care_giver and cmd.offer_code):
        raise InvalidRequest("give offerId, or careGiverHSAId and offerCode of a self-service catalogue entry")
    if cmd.offer_id is not None and (cmd.care_giver or cmd.offer_code):
        raise InvalidRequest("give offerId, or careGiverHSAId and offerCode, not both")
    # a home kit goes to the deliveryAddress, or to a pickup point: the sampling site named by
    # samplingUnitHSAId, where the patient collects it (docs/contracts.md, "Protected identity")
    if cmd.sampling_mode is SamplingMode.HOME_KIT and cmd.delivery_address is None and not cmd.sampling_unit:
        raise InvalidRequest("a HOME_KIT order needs a deliveryAddress, or a samplingUnitHSAId as its pickup point")
    if cmd.sampling_mode is SamplingMode.HOME_KIT and cmd.delivery_address is not None and cmd.sampling_unit:
        raise InvalidRequest("a HOME_KIT order goes to a deliveryAddress or to a pickup point (samplingUnitHSAId), not both")


def get_orders(cmd: commands.GetOrders) -> int:
    """The checked request's page size."""
    if not cmd.has_selector:
        raise InvalidRequest(
            "give at least one of patientId, orderId, referralId, performingLabHSAId, samplingUnitHSAId"
        )
    hsa(cmd.performing_lab, "performingLabHSAId")
    hsa(cmd.sampling_unit, "samplingUnitHSAId")
    period(cmd.created_start, cmd.created_end, "createdPeriod")
    return page_size(cmd.max_results)


def set_order_status(cmd: commands.SetOrderStatus, now: datetime) -> None:
    actor(cmd.performed_by, "performedBy", now)
    hsa(cmd.performing_unit, "performingUnitHSAId")
    not_future(cmd.event_time, "eventTime", now)
    for s in cmd.specimens:
        if s.collected_time is not None:
            not_future(s.collected_time, "specimen collectedTime", now)
    if cmd.status is OrderStatus.SPECIMEN_COLLECTED and not cmd.specimens:
        raise InvalidRequest("SPECIMEN_COLLECTED needs the collected specimen (its barcode)")
    if cmd.status is OrderStatus.REJECTED and cmd.reason is None:
        raise InvalidRequest("REJECTED needs the coded reason why the order cannot be performed")
    code(cmd.reason, "reason")
    for s in cmd.specimens:
        code(s.material, "specimen material")
    if len({s.identifier for s in cmd.specimens}) != len(cmd.specimens):
        raise InvalidRequest("the same specimen identifier is given twice")


def laboratory_result(result: LaboratoryResult, now: datetime) -> None:
    hsa(result.performing_lab, "performingLabHSAId")
    not_future(result.report_time, "reportTime", now)
    if result.signed_by is not None:
        actor(result.signed_by, "signedBy", now, allowed=(ActorKind.STAFF, ActorKind.SYSTEM))
    for n, a in enumerate(result.analysis_results, start=1):
        what = f"analysisResult {n}"
        code(a.code, f"{what} code")
        if a.status in NO_VALUE:
            if a.value is not None:
                raise InvalidRequest(f"{what}: an analysis that is {a.status} carries no value")
        elif a.value is None:
            raise InvalidRequest(f"{what}: a {a.status} analysis result needs a value")
        if isinstance(a.value, Quantity):
            bound(Bound(a.value.value, a.value.unit), f"{what} value")
        elif isinstance(a.value, Code):
            code(a.value, f"{what} coded value")
        elif isinstance(a.value, Interval):
            interval(a.value, f"{what} interval")
        interval(a.reference_interval, f"{what} reference interval")
    keys = [a.code.key for a in result.analysis_results]
    if len(set(keys)) != len(keys):
        raise InvalidRequest("the same analysis code is reported twice in one result")


def text(value: str, what: str, maximum: int) -> str:
    """A required text of at most ``maximum`` characters, trimmed."""
    value = value.strip()
    if not value or len(value) > maximum:
        raise InvalidRequest(f"{what} must be 1 to {maximum} characters")
    return value
