"""Requests to the service layer, as the producers hand them over.

Values arrive as the consumer sent them (identity numbers and HSA-ids unchecked);
the service layer checks them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from .identity import PersonId
from .model import (
    Actor,
    Code,
    DeliveryAddress,
    LaboratoryResult,
    NoticeChannel,
    OfferStatus,
    OrderStatus,
    SamplingMode,
    Specimen,
)
from .staff import StaffActing


@dataclass(frozen=True, slots=True)
class CallContext:
    """Who calls, under which logId, and when. What the call does is not the caller's to say:
    each service function pins its own operation."""

    log_id: str
    consumer: str | None  # the calling system's HSA-id; None for an operator at the console
    now: datetime
    sender: str | None = None
    staff: StaffActing | None = None  # the staff member acting, for calls from the staff web

    @classmethod
    def operator(cls, now: datetime) -> CallContext:
        """An operator at the console (the ``eph`` command), acting on every care giver's data."""
        return cls(log_id=str(uuid.uuid4()), consumer=None, now=now)


@dataclass(frozen=True, slots=True)
class GetOfferCatalog:
    care_giver: str | None = None
    sampling_mode: SamplingMode | None = None
    self_service: bool | None = None


@dataclass(frozen=True, slots=True)
class AssignOffer:
    patient: PersonId
    offer_code: str
    care_giver: str
    care_unit: str
    assigned_by: Actor
    valid_to: datetime | None = None
    max_orders: int | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class RevokeOffer:
    offer_id: str
    revoked_by: Actor
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class GetOffers:
    patient: PersonId
    statuses: tuple[OfferStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class CreateOrder:
    """From an assigned offer (``offer_id``), or from a self-service catalogue entry
    (``care_giver`` and ``offer_code``)."""

    offer_id: str | None
    patient: PersonId
    sampling_mode: SamplingMode
    performing_lab: str | None = None
    sampling_unit: str | None = None
    delivery_address: DeliveryAddress | None = None
    contact_phone: str | None = None
    care_giver: str | None = None
    offer_code: str | None = None


@dataclass(frozen=True, slots=True)
class GetOrders:
    patient: PersonId | None = None
    order_ids: tuple[str, ...] = ()
    referral_ids: tuple[str, ...] = ()
    performing_lab: str | None = None
    sampling_unit: str | None = None
    statuses: tuple[OrderStatus, ...] = ()
    created_start: date | None = None
    created_end: date | None = None
    max_results: int | None = None
    continuation_token: str | None = None

    @property
    def has_selector(self) -> bool:
        return bool(
            self.patient or self.order_ids or self.referral_ids or self.performing_lab or self.sampling_unit
        )


@dataclass(frozen=True, slots=True)
class SetOrderStatus:
    order_id: str
    status: OrderStatus
    event_time: datetime
    performed_by: Actor
    performing_unit: str
    specimens: tuple[Specimen, ...] = ()
    reason: Code | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class CancelOrder:
    order_id: str
    cancelled_by: Actor
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SetResult:
    result: LaboratoryResult


@dataclass(frozen=True, slots=True)
class GetResults:
    patient: PersonId
    order_ids: tuple[str, ...] = ()
    period_start: date | None = None
    period_end: date | None = None
    include_earlier: bool = False


@dataclass(frozen=True, slots=True)
class GetLaboratoryOrderOutcome:
    """The national results contract's query: one patient's released results, narrowed by
    every filter given (an empty tuple or None does not narrow). ``this_system`` is the
    service's own HSA-id, the source system of every record it answers."""

    patient: PersonId
    this_system: str
    care_units: tuple[str, ...] = ()
    care_givers: tuple[str, ...] = ()
    period_start: date | None = None
    period_end: date | None = None
    source_system: str | None = None
    specimen_ids: tuple[str, ...] = ()
    referral_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GetSamplingSites:
    care_giver: str | None = None
    offer_id: str | None = None
    order_id: str | None = None
    patient: PersonId | None = None


@dataclass(frozen=True, slots=True)
class GetAccessLog:
    patient: PersonId
    period_start: date | None = None
    period_end: date | None = None
    max_results: int | None = None
    continuation_token: str | None = None


@dataclass(frozen=True, slots=True)
class GetNoticeSettings:
    patient: PersonId


@dataclass(frozen=True, slots=True)
class SetNoticeSettings:
    patient: PersonId
    channel: NoticeChannel
    email: str | None
    mobile: str | None
    changed_by: Actor
