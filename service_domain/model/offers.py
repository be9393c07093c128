"""Offers: what staff (or a journal system) assigned one patient, and what a patient's own
order from a self-service entry is placed from."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..clock import local_date
from ..enums import OfferStatus, SamplingMode
from ..errors import RuleViolation, SubCode
from ..identity import PersonId
from .definitions import OfferDefinition
from .values import Actor

SELF_SERVICE_COMMENT = "beställd utan erbjudande (egenbeställning)"


def new_id() -> str:
    """A new identifier of an offer, order or follow-up case."""
    return str(uuid.uuid4())


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
    # the population register's word on the patient when the offer was made or last looked up
    protected_identity: bool = False

    @classmethod
    def assign(
        cls,
        definition: OfferDefinition,
        patient: PersonId,
        *,
        care_unit: str,
        assigned_by: Actor,
        now: datetime,
        existing: Iterable[Offer] = (),
        valid_to: datetime | None = None,
        max_orders: int | None = None,
        comment: str | None = None,
    ) -> Assignment:
        """Assign the catalogue entry to the patient, within its age limits. A patient has one
        active offer of a code per care giver (``existing``: the patient's offers): the same
        request again (a retry after a timeout) gets the offer it made, any other is refused."""
        definition.check_age(patient, local_date(now))
        offer = cls(
            offer_id=new_id(),
            offer_code=definition.offer_code,
            display_name=definition.display_name,
            patient=patient,
            care_giver=definition.care_giver,
            care_unit=care_unit,
            assigned_by=assigned_by,
            assigned_time=now,
            valid_to=valid_to or now + timedelta(days=definition.validity_days),
            max_orders=max_orders or definition.max_orders,
            orders_placed=0,
            status=OfferStatus.ACTIVE,
            sampling_modes=definition.sampling_modes,
            comment=comment,
        )
        for earlier in existing:
            if earlier.is_active_of(definition, now):
                if earlier.same_assignment(offer, exact_valid_to=valid_to is not None):
                    return Assignment(earlier, repeat=True)
                raise RuleViolation(
                    SubCode.WRONG_STATE, "the patient already has an active offer with this code; revoke it first"
                )
        return Assignment(offer, repeat=False)

    @classmethod
    def for_self_service(cls, definition: OfferDefinition, patient: PersonId, actor: Actor, now: datetime) -> Offer:
        """The offer a patient's own order of a self-service entry is placed from, recorded like any
        other: one order, accountable the entry's care unit."""
        return cls(
            offer_id=new_id(),
            offer_code=definition.offer_code,
            display_name=definition.display_name,
            patient=patient,
            care_giver=definition.care_giver,
            care_unit=definition.accountable_care_unit or definition.care_giver,
            assigned_by=actor,
            assigned_time=now,
            valid_to=now + timedelta(days=definition.validity_days),
            max_orders=1,
            orders_placed=0,
            status=OfferStatus.ACTIVE,
            sampling_modes=definition.sampling_modes,
            comment=SELF_SERVICE_COMMENT,
        )

    def is_active_of(self, definition: OfferDefinition, now: datetime) -> bool:
        return (
            self.offer_code == definition.offer_code
            and self.care_giver.upper() == definition.care_giver.upper()
            and self.status_at(now) is OfferStatus.ACTIVE
        )

    def same_assignment(self, other: Offer, *, exact_valid_to: bool) -> bool:
        """Whether ``other`` is what made this offer: the same unit, assigner, number of orders
        and comment (and validTo, when the request named one)."""
        return (
            self.care_unit.upper() == other.care_unit.upper()
            and self.assigned_by == other.assigned_by
            and self.max_orders == other.max_orders
            and (not exact_valid_to or self.valid_to == other.valid_to)
            and self.comment == other.comment
        )

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

    def revoke(self, now: datetime) -> bool:
        """Revoke the offer; False if it already was (a repeat). An expired offer cannot be revoked."""
        if self.status is OfferStatus.REVOKED:
            return False
        if self.status_at(now) is OfferStatus.EXPIRED:
            raise RuleViolation(SubCode.WRONG_STATE, "the offer has expired")
        self.status = OfferStatus.REVOKED
        return True

    def expire(self) -> None:
        self.status = OfferStatus.EXPIRED


@dataclass(frozen=True, slots=True)
class Assignment:
    """What assigning an offer gave: a new offer, or the one the same request made before."""

    offer: Offer
    repeat: bool
