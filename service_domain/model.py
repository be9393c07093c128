"""The domain model of self-managed sampling: offers, orders, specimens, results.

Plain data and the rules that belong to one object. No I/O here: the service
layer (``services``) loads and stores through a unit of work.
All times are timezone-aware datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from .identity import PersonId


class SamplingMode(StrEnum):
    SITE = "SITE"
    HOME_KIT = "HOME_KIT"


class ResultRelease(StrEnum):
    IMMEDIATE = "IMMEDIATE"
    AFTER_FOLLOW_UP_IF_POSITIVE = "AFTER_FOLLOW_UP_IF_POSITIVE"
    AFTER_REVIEW = "AFTER_REVIEW"


class OfferStatus(StrEnum):
    ACTIVE = "ACTIVE"
    USED = "USED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


class OrderStatus(StrEnum):
    ORDERED = "ORDERED"
    KIT_SENT = "KIT_SENT"
    SPECIMEN_COLLECTED = "SPECIMEN_COLLECTED"
    RECEIVED_BY_LAB = "RECEIVED_BY_LAB"
    PRELIMINARY_RESULT = "PRELIMINARY_RESULT"
    FINAL_RESULT = "FINAL_RESULT"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


# An order is open until it has a final result or has ended otherwise. A referral id
# is unique among open orders only.
CLOSED_ORDER_STATUSES = frozenset(
    {OrderStatus.FINAL_RESULT, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)
OPEN_ORDER_STATUSES = frozenset(OrderStatus) - CLOSED_ORDER_STATUSES


class ReportStatus(StrEnum):
    PRELIMINARY = "PRELIMINARY"
    PARTIAL = "PARTIAL"
    FINAL = "FINAL"
    CORRECTED = "CORRECTED"


class Interpretation(StrEnum):
    NORMAL = "NORMAL"
    LOW = "LOW"
    HIGH = "HIGH"
    POSITIVE = "POSITIVE"
    NEGATIVE = "NEGATIVE"
    INCONCLUSIVE = "INCONCLUSIVE"


class AnalysisStatus(StrEnum):
    FINAL = "FINAL"
    PRELIMINARY = "PRELIMINARY"
    CANNOT_BE_DONE = "CANNOT_BE_DONE"


class ActorKind(StrEnum):
    PATIENT = "PATIENT"
    STAFF = "STAFF"
    SYSTEM = "SYSTEM"


class SystemKind(StrEnum):
    LAB = "LAB"
    SAMPLING = "SAMPLING"
    CITIZEN = "CITIZEN"
    EHR = "EHR"
    STAFF_UI = "STAFF_UI"


@dataclass(frozen=True, slots=True)
class Code:
    """A coded value (CVType)."""

    code: str
    code_system: str
    code_system_name: str | None = None
    display_name: str | None = None
    original_text: str | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    code: Code
    display_name: str


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class OfferDefinition:
    """An entry of a care giver's offer catalogue."""

    care_giver: str
    offer_code: str
    display_name: str
    analyses: tuple[Analysis, ...]
    sampling_modes: tuple[SamplingMode, ...]
    notifiable: bool
    result_release: ResultRelease
    validity_days: int
    max_orders: int
    performing_lab: str
    specimen_material: Code | None = None
    min_age: int | None = None
    max_age: int | None = None
    patient_instructions: str | None = None
    active: bool = True

    def fits_age(self, age: int) -> bool:
        return (self.min_age is None or age >= self.min_age) and (self.max_age is None or age <= self.max_age)


@dataclass(slots=True)
class Offer:
    """An offer assigned to one patient."""

    offer_id: str
    offer_code: str
    display_name: str
    patient: PersonId
    care_giver: str
    care_unit: str
    assigned_by: Actor
    assigned_time: datetime
    valid_to: datetime
    max_orders: int
    orders_placed: int
    status: OfferStatus
    sampling_modes: tuple[SamplingMode, ...]
    comment: str | None = None

    def status_at(self, now: datetime) -> OfferStatus:
        """The status a reader sees: an active or used-up offer past validTo has expired."""
        if self.status in (OfferStatus.ACTIVE, OfferStatus.USED) and now > self.valid_to:
            return OfferStatus.EXPIRED
        return self.status


@dataclass(frozen=True, slots=True)
class DeliveryAddress:
    name: str
    street: str
    postal_code: str
    city: str


@dataclass(frozen=True, slots=True)
class Specimen:
    identifier: str
    material: Code | None = None
    collected_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: OrderStatus
    time: datetime
    performed_by: Actor
    unit: str | None = None
    reason: Code | None = None
    comment: str | None = None


@dataclass(slots=True)
class Order:
    order_id: str
    referral_id: str
    offer_id: str
    offer_code: str
    display_name: str
    patient: PersonId
    status: OrderStatus
    sampling_mode: SamplingMode
    care_giver: str
    care_unit: str
    analyses: tuple[Analysis, ...]
    created_time: datetime
    valid_to: datetime
    notifiable: bool
    result_release: ResultRelease
    performing_lab: str | None = None
    sampling_unit: str | None = None
    result_recipient_unit: str | None = None
    delivery_address: DeliveryAddress | None = None
    contact_phone: str | None = None
    specimens: list[Specimen] = field(default_factory=list)
    history: list[StatusChange] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Quantity:
    value: Decimal
    unit: str


@dataclass(frozen=True, slots=True)
class ReferenceInterval:
    low: Decimal | None = None
    high: Decimal | None = None
    unit: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    code: Code
    value: Quantity | str | Code
    status: AnalysisStatus
    display_name: str | None = None
    reference_interval: ReferenceInterval | None = None
    interpretation: Interpretation | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class LaboratoryResult:
    order_id: str
    performing_lab: str
    version: int
    report_status: ReportStatus
    report_time: datetime
    analysis_results: tuple[AnalysisResult, ...]
    laboratory_id: str | None = None
    signed_by: Actor | None = None
    comment: str | None = None
    specimen_identifiers: tuple[str, ...] = ()

    @property
    def is_positive(self) -> bool:
        return any(a.interpretation is Interpretation.POSITIVE for a in self.analysis_results)


@dataclass(slots=True)
class StoredResult:
    """One stored version of an order's result and whether the patient may see it."""

    result: LaboratoryResult
    received_time: datetime
    released: bool
    release_time: datetime | None = None
    follow_up_case_id: str | None = None


class FollowUpStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class FollowUpStepKind(StrEnum):
    PATIENT_CONTACTED = "PATIENT_CONTACTED"
    TREATMENT = "TREATMENT"
    CONTACT_TRACING_STARTED = "CONTACT_TRACING_STARTED"
    SMINET_REPORTED = "SMINET_REPORTED"


@dataclass(frozen=True, slots=True)
class FollowUpStep:
    """One step of a follow-up, as staff recorded it: what, when it happened, who did it."""

    kind: FollowUpStepKind
    time: datetime
    performed_by: str
    recorded_time: datetime
    note: str | None = None


@dataclass(slots=True)
class FollowUpCase:
    """Staff follow-up of a positive result for a notifiable disease."""

    case_id: str
    order_id: str
    care_giver: str
    care_unit: str
    opened_time: datetime
    status: FollowUpStatus = FollowUpStatus.OPEN
    closed_time: datetime | None = None
    closed_by: str | None = None
    note: str | None = None
    steps: list[FollowUpStep] = field(default_factory=list)

    def done(self, kind: FollowUpStepKind) -> bool:
        return any(s.kind is kind for s in self.steps)


@dataclass(frozen=True, slots=True)
class ConnectedSystem:
    """A system that calls the service (identified by its HSA-id) and whose data it may touch."""

    hsa_id: str
    kind: SystemKind
    name: str
    care_givers: frozenset[str] = frozenset()
    all_care_givers: bool = False

    def serves(self, care_giver: str) -> bool:
        return self.all_care_givers or care_giver.upper() in self.care_givers


@dataclass(frozen=True, slots=True)
class SystemKey:
    """A public key a connected system signs with (a journal system's uthopp tokens)."""

    hsa_id: str
    key_id: str
    public_key_pem: str
    added_time: datetime


class AuditAction(StrEnum):
    READ = "READ"
    WRITE = "WRITE"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    time: datetime
    interaction: str
    action: AuditAction
    patient_id: str
    log_id: str
    consumer_hsa_id: str | None
    sender_hsa_id: str | None = None
    actor_id: str | None = None
    care_giver: str | None = None
    care_unit: str | None = None  # where the acting staff member works, for calls from the staff web
