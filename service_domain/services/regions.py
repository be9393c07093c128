"""Regions: the care givers under a region by agreement, the region's catalogue as a limit on
theirs, its contact for staff, and its statistics. Kept by an operator at the console
(``eph region``, ``eph agreement``) and by the region's administrators (REGION_ADMIN) on the
staff web, who act for the region their care giver is."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ..clock import day_after, day_start, local_date
from ..errors import InvalidRequest, RuleViolation, SubCode
from ..identity import InvalidIdentity, check_hsa_id
from ..model import OfferDefinition, OrderStatus
from ..model.regions import Agreement, Region, Standing, care_givers_under, standing, under_region_on
from ..model.statistics import RegionStatistics, compute
from ..operations import Operation
from ..ports import OrderQuery, UnitOfWork
from .calls import Call, acting_member, performs

PHONE = re.compile(r"\+?[0-9][0-9 \-]{4,30}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
STATISTICS_PAGE = 1000
WITH_RESULT = (OrderStatus.PRELIMINARY_RESULT, OrderStatus.FINAL_RESULT)


def standing_of(uow: UnitOfWork, care_giver: str, day: date) -> Standing:
    """Where the care giver stands on ``day`` (inside a unit of work)."""
    own = uow.regions.get(care_giver)
    if own is not None:
        return standing(care_giver, day, [own], [])
    agreements = uow.regions.agreements(care_giver=care_giver)
    regions = [r for r in (uow.regions.get(a.region) for a in agreements) if r is not None]
    return standing(care_giver, day, regions, agreements)


def check_definitions(uow: UnitOfWork, definitions: Iterable[OfferDefinition], day: date) -> None:
    """Active catalogue entries are within their care giver's region (retiring one always may)."""
    standings: dict[str, Standing] = {}
    for d in definitions:
        if d.active:
            key = d.care_giver.upper()
            if key not in standings:
                standings[key] = standing_of(uow, key, day)
            standings[key].check_may_offer(d)


def _hsa(value: str, what: str) -> str:
    try:
        return check_hsa_id(value, what).upper()
    except InvalidIdentity as e:
        raise InvalidRequest(str(e)) from None


def checked_region(region: Region) -> Region:
    """The region with its HSA-id in upper case, if its fields are right; else InvalidRequest."""
    hsa_id = _hsa(region.hsa_id, "the region")
    if not region.name.strip() or len(region.name) > 255:
        raise InvalidRequest("the region's name is empty or longer than 255 characters")
    if region.phone is not None and not PHONE.fullmatch(region.phone):
        raise InvalidRequest("the region's phone number is not a phone number")
    if region.email is not None and (len(region.email) > 254 or not EMAIL.fullmatch(region.email)):
        raise InvalidRequest("the region's e-mail address is not an e-mail address")
    for code in region.offer_codes | region.analyses:
        if not CODE.fullmatch(code):
            raise InvalidRequest(f"'{code}' is not an offer or analysis code")
    return Region(hsa_id, region.name.strip(), region.phone, region.email, region.offer_codes, region.analyses)


def _own_region(uow: UnitOfWork, call: Call) -> Region | None:
    """For a region administrator on the staff web, their region (their care giver); None for
    an operator at the console."""
    if call.staff is None:
        return None
    _, member, _ = acting_member(uow, call)
    region = uow.regions.get(member.care_giver)
    if region is None:
        raise RuleViolation(SubCode.NOT_PERMITTED, "the staff member's care giver is not a region")
    return region


def _the_region(uow: UnitOfWork, call: Call, hsa_id: str | None) -> Region:
    mine = _own_region(uow, call)
    if mine is not None:
        if hsa_id is not None and hsa_id.upper() != mine.hsa_id:
            raise RuleViolation(SubCode.NOT_PERMITTED, "this belongs to another region")
        return mine
    region = uow.regions.get(hsa_id) if hsa_id else None
    if region is None:
        raise RuleViolation(SubCode.UNKNOWN_ID, "no region with that HSA-id")
    return region


@performs(Operation.MANAGE_REGION)
def put_region(uow: UnitOfWork, call: Call, region: Region) -> Region:
    """Register a region or change it; a region administrator changes only their own."""
    region = checked_region(region)
    with uow:
        if call.staff is not None:
            _the_region(uow, call, region.hsa_id)
        uow.regions.put(region)
        uow.commit()
        return region


@dataclass(frozen=True, slots=True)
class RegionView:
    region: Region
    agreements: list[Agreement]
    names: dict[str, str]  # care givers by name, where the register of names knows them


@performs(Operation.MANAGE_REGION)
def region_view(uow: UnitOfWork, call: Call, hsa_id: str | None = None) -> RegionView:
    """A region with its agreements (the administrator's own region on the staff web)."""
    with uow:
        region = _the_region(uow, call, hsa_id)
        return RegionView(region, uow.regions.agreements(region_id=region.hsa_id), uow.unit_names.list())


def list_regions(uow: UnitOfWork) -> list[Region]:
    with uow:
        return uow.regions.list()


def region_contact(uow: UnitOfWork, care_giver: str, day: date) -> Region | None:
    """The region a care giver is under on ``day`` (its contact is shown to the care giver's staff)."""
    with uow:
        return standing_of(uow, care_giver, day).region


@performs(Operation.MANAGE_REGION)
def add_agreement(
    uow: UnitOfWork, call: Call, region: str | None, care_giver: str, valid_from: date,
    valid_to: date | None = None, *, own: bool = False,
) -> Agreement:
    """Put a care giver under a region for a period. A care giver is under one region at a time:
    an agreement overlapping another of the care giver's (with any region) is refused. Staff begin
    an agreement today or later: one reaching back would open the care giver's earlier orders to
    the region's statistics (an earlier start is the operator's, ``eph agreement add``)."""
    care_giver = _hsa(care_giver, "the care giver")
    if call.staff is not None and valid_from < local_date(call.now):
        raise InvalidRequest("an agreement begins today or later")
    with uow:
        the_region = _the_region(uow, call, region)
        if care_giver == the_region.hsa_id or uow.regions.get(care_giver) is not None:
            raise RuleViolation(SubCode.WRONG_STATE, "a region is not put under a region by agreement")
        last = valid_to or date.max
        for other in uow.regions.agreements(care_giver=care_giver):
            if other.overlaps(valid_from, last):
                raise RuleViolation(SubCode.WRONG_STATE, "the care giver has an agreement for part of that period")
        agreement = Agreement(str(uuid.uuid4()), the_region.hsa_id, care_giver, valid_from, valid_to, own)
        uow.regions.put_agreement(agreement)
        uow.commit()
        return agreement


@performs(Operation.MANAGE_REGION)
def end_agreement(uow: UnitOfWork, call: Call, agreement_id: str, last_day: date) -> Agreement:
    """End an agreement on ``last_day`` (the care giver is under the region until that day ends)."""
    with uow:
        agreement = uow.regions.get_agreement(agreement_id)
        if agreement is None:
            raise RuleViolation(SubCode.UNKNOWN_ID, "no agreement with that id")
        _the_region(uow, call, agreement.region)
        ended = agreement.ended(last_day)
        uow.regions.put_agreement(ended)
        uow.commit()
        return ended


@performs(Operation.MANAGE_REGION)
def list_agreements(uow: UnitOfWork, call: Call, region: str | None = None,
                    care_giver: str | None = None) -> list[Agreement]:
    with uow:
        if call.staff is not None:
            region = _the_region(uow, call, region).hsa_id
        return uow.regions.agreements(region_id=region, care_giver=care_giver)


@performs(Operation.REGION_STATISTICS)
def region_statistics(uow: UnitOfWork, call: Call, first: date, last: date, region: str | None = None) -> RegionStatistics:
    """Statistics of the orders created from ``first`` to ``last`` (days in Swedish time, both
    included; whole months, so that two periods a day apart cannot be set against each other to
    single out that day's few orders) at the care givers under the region, each order counted
    only if made on a day its care giver was under the region. Counts only, no identities, with
    the small cells suppressed (``model.statistics``). Nothing of a patient leaves the service
    layer, so the patients' access logs record no statistics."""
    if last < first:
        raise InvalidRequest("the period ends before it begins")
    if first != month(first)[0] or last != month(last)[1]:
        raise InvalidRequest("statistics are given for whole months: the period begins on a month's first day "
                             "and ends on a month's last day")
    with uow:
        the_region = _the_region(uow, call, region)
        agreements = uow.regions.agreements(region_id=the_region.hsa_id)
        care_givers = care_givers_under(the_region, agreements, first, last)
        query = OrderQuery(created_from=day_start(first), created_before=day_after(last),
                           care_givers=frozenset(care_givers))
        orders, after = [], 0
        while True:
            rows = uow.orders.find(query, after, STATISTICS_PAGE)
            orders += [o for _, o in rows if under_region_on(the_region, agreements, o.care_giver,
                                                             local_date(o.created_time))]
            if len(rows) < STATISTICS_PAGE:
                break
            after = rows[-1][0]
        first_results, newest = {}, {}
        for order in orders:
            if order.status in WITH_RESULT or any(c.status in WITH_RESULT for c in order.history):
                versions = uow.results.versions(order.order_id)
                if versions:
                    first_results[order.order_id] = min(v.received_time for v in versions)
                    newest[order.order_id] = max(versions, key=lambda v: v.result.version)
        return compute(orders, first_results, newest, care_givers, lambda o: o.patient.id)


def month(day: date) -> tuple[date, date]:
    """The first and last day of ``day``'s month."""
    start = day.replace(day=1)
    following = (start.replace(year=start.year + 1, month=1) if start.month == 12
                 else start.replace(month=start.month + 1))
    return start, date.fromordinal(following.toordinal() - 1)

