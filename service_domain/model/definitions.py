"""What a care giver offers: catalogue entries and their analyses, sampling sites, and the
kinds of reservnummer it identifies patients by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from ..clock import local_date
from ..enums import OrderStatus, ResultRelease, SamplingMode
from ..errors import RuleViolation, SubCode
from ..identity import PersonId
from .values import Code

if TYPE_CHECKING:
    from .orders import Order

YEAR = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class Analysis:
    code: Code
    display_name: str
    # coded result values that count as positive (the fail-safe hold of notifiable offers)
    positive_values: tuple[Code, ...] = ()


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

    def check_age(self, patient: PersonId, today: date) -> None:
        """An offer with age limits is only for patients within them; a reservnummer does not
        tell the age, so it gets only offers without limits."""
        age = patient.age_on(today)
        if age is None and self.has_age_limits:
            raise RuleViolation(
                SubCode.NOT_IN_CATALOGUE, "the offer has age limits and a reservnummer does not tell the patient's age"
            )
        if age is not None and not self.fits_age(age):
            raise RuleViolation(SubCode.NOT_IN_CATALOGUE, "the patient's age is outside the offer's age limits")

    def check_self_service(self, patient: PersonId, orders: list[Order], mode: SamplingMode, now: datetime) -> Order | None:
        """The patient's limits on ordering this self-service entry, given their orders of it
        (created in the last twelve months, or still open): within the age limits (a
        reservnummer does not tell the age), one open order at a time, and at most the entry's
        number of orders in twelve months. Returns the open order in the same sampling mode
        when this is a repeat of it."""
        age = patient.age_on(local_date(now))
        if age is None or not self.fits_age(age):
            raise RuleViolation(SubCode.NOT_IN_CATALOGUE, "the patient's age is outside the offer's age limits")
        open_orders = [o for o in orders if o.is_open]
        same = next((o for o in open_orders if o.sampling_mode is mode), None)
        if same is not None:
            return same
        if open_orders:
            raise RuleViolation(SubCode.WRONG_STATE, "the patient already has an open order of this kind")
        limit = self.self_service_orders_per_year
        placed = [o for o in orders if o.status is not OrderStatus.CANCELLED and o.created_time >= now - YEAR]
        if limit is not None and len(placed) >= limit:
            raise RuleViolation(SubCode.WRONG_STATE, f"at most {limit} orders of this kind in twelve months")
        return None


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
class ReserveNumberType:
    """A kind of reservnummer a care giver uses for patients without a personnummer: its
    OID, and optionally the regional format (a regular expression)."""

    oid: str
    care_giver: str
    name: str
    pattern: str | None = None
