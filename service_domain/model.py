"""The domain model of self-managed sampling: offers, orders, specimens, results.

Plain data and the rules that belong to one object (an order moves through its statuses
only as the status machine allows; an offer counts the orders taken from it). No I/O here:
the service layer (``services``) loads and stores through a unit of work.
All times are timezone-aware datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .enums import (
    CLOSED_ORDER_STATUSES,
    OPEN_ORDER_STATUSES,
    ActorKind,
    AnalysisStatus,
    AuditAction,
    FollowUpStatus,
    FollowUpStepKind,
    Interpretation,
    OfferStatus,
    OrderStatus,
    ReportStatus,
    ResultRelease,
    SamplingMode,
    SystemKind,
)
from .errors import RuleViolation, SubCode
from .identity import PersonId
from .status import check_transition

__all__ = [
    "CLOSED_ORDER_STATUSES",
    "OPEN_ORDER_STATUSES",
    "ActorKind",
    "AnalysisStatus",
    "AuditAction",
    "FollowUpStatus",
    "FollowUpStepKind",
    "Interpretation",
    "OfferStatus",
    "OrderStatus",
    "ReportStatus",
    "ResultRelease",
    "SamplingMode",
    "SystemKind",
]


@dataclass(frozen=True, slots=True)
class Code:
    """A coded value (CVType): a code in a code system, or only the original text of an
    uncoded concept."""

    code: str | None
    code_system: str | None
    code_system_name: str | None = None
    display_name: str | None = None
    original_text: str | None = None
    code_system_version: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the concept: (code system, code), or ("", original text) when uncoded."""
        if self.code is not None and self.code_system is not None:
            return (self.code_system, self.code)
        return ("", (self.original_text or "").strip().lower())

    def same_concept(self, other: Code) -> bool:
        return self.key == other.key


@dataclass(frozen=True, slots=True)
class Analysis:
    code: Code
    display_name: str
    # coded result values that count as positive (the fail-safe hold of notifiable offers)
    positive_values: tuple[Code, ...] = ()


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
    kit_return_days: int = 0
    # patients may order it themselves, without an assigned offer; at most this many a year;
    # the unit accountable for such orders (their follow-up)
    self_service: bool = False
    self_service_orders_per_year: int | None = None
    accountable_care_unit: str | None = None

    @property
    def has_age_limits(self) -> bool:
        return self.min_age is not None or self.max_age is not None

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

    def take_order(self, now: datetime) -> None:
        """Count an order placed from this offer; refused unless the offer may still be ordered from."""
        state = self.status_at(now)
        if state is not OfferStatus.ACTIVE or self.orders_placed >= self.max_orders:
            reason = "used up" if state in (OfferStatus.ACTIVE, OfferStatus.USED) else state.lower()
            raise RuleViolation(SubCode.WRONG_STATE, f"the offer cannot be ordered from: it is {reason}")
        self.orders_placed += 1
        if self.orders_placed >= self.max_orders:
            self.status = OfferStatus.USED

    def return_order(self) -> None:
        """A cancelled order gives its place back."""
        if self.orders_placed > 0:
            self.orders_placed -= 1
            if self.status is OfferStatus.USED:
                self.status = OfferStatus.ACTIVE

    def revoke(self, now: datetime) -> None:
        if self.status_at(now) is OfferStatus.EXPIRED:
            raise RuleViolation(SubCode.WRONG_STATE, "the offer has expired")
        self.status = OfferStatus.REVOKED


@dataclass(frozen=True, slots=True)
class SamplingSite:
    """A place of a care giver's where patients are sampled, and the lab its specimens go to."""

    hsa_id: str
    name: str
    care_giver: str
    street: str
    postal_code: str
    city: str
    performing_lab: str
    opening_hours: str | None = None
    active: bool = True


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
    kit_return_days: int = 0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ORDER_STATUSES

    def apply(self, change: StatusChange) -> None:
        """Move the order to the change's status, as the status machine allows, and record it."""
        check_transition(self.status, change.status, self.sampling_mode)
        self.status = change.status
        self.history.append(change)

    def expires_at(self) -> datetime:
        """When an unsampled order expires: validTo, and for a kit that is out, its return window after."""
        if self.status is OrderStatus.KIT_SENT:
            return self.valid_to + timedelta(days=self.kit_return_days)
        return self.valid_to

    def positive_values_of(self, code: Code) -> tuple[Code, ...]:
        for a in self.analyses:
            if a.code.same_concept(code):
                return a.positive_values
        return ()


@dataclass(frozen=True, slots=True)
class Quantity:
    """A physical quantity: the value exactly as written (5.0 and 5.00 are not the same
    report) and a UCUM unit."""

    value: str
    unit: str


@dataclass(frozen=True, slots=True)
class Bound:
    """One end of an interval."""

    value: str
    unit: str
    inclusive: bool = True


@dataclass(frozen=True, slots=True)
class Interval:
    """An interval of quantities (a value "< 0.5", or a reference interval), with text."""

    low: Bound | None = None
    high: Bound | None = None
    text: str | None = None


Value = Quantity | str | Code | Interval


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    code: Code
    value: Value | None
    status: AnalysisStatus
    display_name: str | None = None
    reference_interval: Interval | None = None
    interpretation: Interpretation | None = None
    comment: str | None = None

    @property
    def is_finding(self) -> bool:
        """Whether it reports a finding (a value), rather than that none was made or one was withdrawn."""
        return self.value is not None and self.status in (AnalysisStatus.FINAL, AnalysisStatus.PRELIMINARY)


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
    def is_withdrawal(self) -> bool:
        """A version that withdraws every value (all ENTERED_IN_ERROR)."""
        return all(a.status is AnalysisStatus.ENTERED_IN_ERROR for a in self.analysis_results)


@dataclass(slots=True)
class StoredResult:
    """One stored version of an order's result and whether the patient may see it."""

    result: LaboratoryResult
    received_time: datetime
    released: bool
    release_time: datetime | None = None
    follow_up_case_id: str | None = None


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
    """Staff follow-up of a result of a notifiable offer that is not explicitly negative."""

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
    """A system that calls the service (identified by its HSA-id), whose data it may touch,
    and (for a lab or sampling system) the units it acts for besides itself."""

    hsa_id: str
    kind: SystemKind
    name: str
    care_givers: frozenset[str] = frozenset()
    all_care_givers: bool = False
    units: frozenset[str] = frozenset()

    def serves(self, care_giver: str) -> bool:
        return self.all_care_givers or care_giver.upper() in self.care_givers

    def acts_for(self, unit: str) -> bool:
        """Whether the system reports for this lab or sampling unit (its own HSA-id, or a registered unit)."""
        u = unit.upper()
        return u == self.hsa_id.upper() or u in self.units


@dataclass(frozen=True, slots=True)
class ReserveNumberType:
    """A kind of reservnummer a care giver uses for patients without a personnummer: its
    OID, and optionally the regional format (a regular expression)."""

    oid: str
    care_giver: str
    name: str
    pattern: str | None = None


@dataclass(frozen=True, slots=True)
class SystemKey:
    """A public key a connected system signs with (a journal system's uthopp tokens)."""

    hsa_id: str
    key_id: str
    public_key_pem: str
    added_time: datetime


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
    patient_type: str | None = None
    actor_kind: ActorKind | None = None
    care_unit: str | None = None  # where the acting staff member works, for calls from the staff web


@dataclass(frozen=True, slots=True)
class AccessLogEntry:
    """One access to a patient's data as the patient may read it: the audit record, with the
    names of the system and the person where the registers know them."""

    time: datetime
    action: AuditAction
    interaction: str
    system_hsa_id: str | None
    system_name: str | None
    care_giver: str | None
    care_unit: str | None
    performed_by: Actor | None
