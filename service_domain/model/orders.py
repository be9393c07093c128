"""Orders: placed by a patient from an offer, reported on by sampling sites and labs, and
given results; the rules of each step live here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ..enums import OPEN_ORDER_STATUSES, OrderStatus, ResultRelease, SamplingMode
from ..errors import InvalidRequest, RuleViolation, SubCode
from ..identity import PersonId
from ..status import check_result_transition, check_transition
from .definitions import Analysis, OfferDefinition, SamplingSite
from .offers import Offer, new_id
from .population import PICKUP_POINT_ONLY
from .results import LaboratoryResult, StoredResult
from .values import Actor, Code, DeliveryAddress, Specimen


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: OrderStatus
    time: datetime
    performed_by: Actor
    unit: str | None = None
    reason: Code | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class StatusReport:
    """A status report an order took: the change, and the specimens it registered for the first time."""

    change: StatusChange
    new_specimens: tuple[Specimen, ...] = ()


@dataclass(frozen=True, slots=True)
class SamplingChoice:
    """Where the patient chose to be sampled and analysed: a sampling site (by HSA-id) among the
    care giver's active ``sites``, and optionally its lab."""

    sampling_unit: str | None = None
    performing_lab: str | None = None
    sites: Sequence[SamplingSite] = ()

    def resolve(self, definition: OfferDefinition) -> tuple[str | None, str | None]:
        """The order's performing lab and sampling unit: the chosen site and its lab, or (where
        the care giver registers no sites) the unit as given with the catalogue entry's lab."""
        if self.sampling_unit:
            unit = self.sampling_unit.upper()
            site = next((s for s in self.sites if s.hsa_id.upper() == unit), None)
            if site is not None:
                if self.performing_lab and self.performing_lab.upper() != site.performing_lab.upper():
                    raise InvalidRequest("performingLabHSAId is not the lab of the chosen sampling site; leave it out")
                return site.performing_lab, site.hsa_id
            if self.sites:
                raise RuleViolation(SubCode.NOT_IN_CATALOGUE, "samplingUnitHSAId is not a sampling site of the care giver")
        return self.performing_lab or definition.performing_lab, self.sampling_unit


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
    # the patient has protected identity (as the register said when the order was placed or last
    # looked up): the order keeps no delivery address, a home kit goes to a pickup point
    protected_identity: bool = False

    @classmethod
    def place(
        cls,
        offer: Offer,
        definition: OfferDefinition | None,
        site: SamplingChoice,
        actor: Actor,
        now: datetime,
        *,
        mode: SamplingMode,
        referral_id: str,
        delivery_address: DeliveryAddress | None = None,
        contact_phone: str | None = None,
        protected: bool = False,
    ) -> Order:
        """An order from the offer, in a sampling mode it allows, while its catalogue entry
        (``definition``; None when gone) is active; the offer counts it. A patient with protected
        identity (``protected``) gets a home kit only at a pickup point (a sampling site), never
        at an address."""
        if protected and delivery_address is not None:
            raise InvalidRequest(PICKUP_POINT_ONLY)
        if mode not in offer.sampling_modes:
            raise RuleViolation(SubCode.NOT_IN_CATALOGUE, f"the offer does not allow sampling mode {mode}")
        if definition is None or not definition.active:
            raise RuleViolation(SubCode.WRONG_STATE, "the offer is no longer in the care giver's catalogue")
        performing_lab, sampling_unit = site.resolve(definition)
        offer.take_order(now)
        return cls(
            order_id=new_id(),
            referral_id=referral_id,
            offer_id=offer.offer_id,
            offer_code=offer.offer_code,
            display_name=offer.display_name,
            patient=offer.patient,
            status=OrderStatus.ORDERED,
            sampling_mode=mode,
            care_giver=offer.care_giver,
            care_unit=offer.care_unit,
            analyses=definition.analyses,
            created_time=now,
            valid_to=now + timedelta(days=definition.validity_days),
            notifiable=definition.notifiable,
            result_release=definition.result_release,
            performing_lab=performing_lab,
            sampling_unit=sampling_unit,
            result_recipient_unit=offer.care_unit,
            delivery_address=delivery_address,
            contact_phone=contact_phone,
            history=[StatusChange(OrderStatus.ORDERED, now, actor)],
            kit_return_days=definition.kit_return_days,
            protected_identity=protected,
        )

    @property
    def pickup_point(self) -> str | None:
        """Where a home kit sent to a pickup point is collected: the sampling site it names."""
        return self.sampling_unit if self.sampling_mode is SamplingMode.HOME_KIT else None

    def handled_at(self, unit: str) -> bool:
        """Whether ``unit`` handles the order with the patient: its sampling site (or pickup
        point) or, for a home kit, the lab that sends it."""
        u = unit.upper()
        if self.sampling_unit and self.sampling_unit.upper() == u:
            return True
        return self.sampling_mode is SamplingMode.HOME_KIT and bool(self.performing_lab) and \
            (self.performing_lab or "").upper() == u

    def without_contact_details(self) -> Order:
        """The order as shown to a reader who does not handle it with the patient: no delivery
        address and no phone number (for a patient with protected identity)."""
        return replace(self, delivery_address=None, contact_phone=None)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ORDER_STATUSES

    def apply(self, change: StatusChange) -> None:
        """Move the order to the change's status, as the status machine allows, and record it."""
        check_transition(self.status, change.status, self.sampling_mode)
        self.status = change.status
        self.history.append(change)

    def report_status(
        self,
        status: OrderStatus,
        time: datetime,
        performed_by: Actor,
        unit: str,
        specimens: Sequence[Specimen] = (),
        reason: Code | None = None,
        comment: str | None = None,
    ) -> StatusReport | None:
        """A sampling site's or lab's report: the order moves on and keeps the specimens it did not
        know; a specimen collected also tells where, if the order did not say. None when the
        order already has that status and every specimen (a retry, perhaps with a fresh time)."""
        known = {s.identifier for s in self.specimens}
        new = tuple(s for s in specimens if s.identifier not in known)
        if self.status is status and not new:
            return None
        change = StatusChange(status, time, performed_by, unit, reason, comment)
        self.apply(change)
        self.specimens.extend(new)
        if status is OrderStatus.SPECIMEN_COLLECTED and self.sampling_unit is None:
            self.sampling_unit = unit
        return StatusReport(change, new)

    def cancel(self, by: Actor, now: datetime, reason: str | None = None) -> StatusChange | None:
        """Cancel the order; None if it already was (a repeat)."""
        if self.status is OrderStatus.CANCELLED:
            return None
        change = StatusChange(OrderStatus.CANCELLED, now, by, comment=reason)
        self.apply(change)
        return change

    def expires_at(self) -> datetime:
        """When an unsampled order expires: validTo, and for a kit that is out, its return window after."""
        if self.status is OrderStatus.KIT_SENT:
            return self.valid_to + timedelta(days=self.kit_return_days)
        return self.valid_to

    def expire(self, now: datetime, by: Actor) -> StatusChange | None:
        """Expire the unsampled order if its time is up (None if a kit may still come back)."""
        if self.expires_at() >= now:
            return None
        change = StatusChange(OrderStatus.EXPIRED, now, by)
        self.apply(change)
        return change

    def check_result_lab(self, lab: str) -> None:
        """A result comes from the order's performing lab."""
        if self.performing_lab and lab.upper() != self.performing_lab.upper():
            raise RuleViolation(SubCode.NOT_PERMITTED, "the order is addressed to another lab")

    def accept_result(
        self, result: LaboratoryResult, same: StoredResult | None, newest: int, actor: Actor
    ) -> StatusChange | None:
        """Take a result version, given the stored version of the same number (``same``) and the
        newest version number stored (0: none). The same version again with the same content is
        a repeat (None); with other content, or older than the newest, it is refused. Otherwise
        the order moves to a preliminary or final result as the status machine allows."""
        if same is not None:
            if same.result == result:
                return None
            raise RuleViolation(SubCode.VERSION_CONFLICT, "this result version is already stored with other content")
        if result.version < newest:
            raise RuleViolation(SubCode.VERSION_CONFLICT, f"a newer result version ({newest}) is already stored")
        status = check_result_transition(self.status, result.report_status, self.sampling_mode)
        change = StatusChange(status, result.report_time, actor, result.performing_lab)
        self.apply(change)
        return change

    def positive_values_of(self, code: Code) -> tuple[Code, ...]:
        for a in self.analyses:
            if a.code.same_concept(code):
                return a.positive_values
        return ()
