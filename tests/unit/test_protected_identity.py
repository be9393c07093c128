"""Protected identity's rules: what the register's answer means, where a protected person's home
kit may go, who sees an order's contact details, and how the service keeps its flags in line
(with a unit of work in memory)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from eph import demo
from service_domain import access, checks, commands
from service_domain.errors import InvalidRequest
from service_domain.identity import PersonId
from service_domain.model import (
    PICKUP_POINT_ONLY,
    Actor,
    ActorKind,
    ConnectedSystem,
    DeliveryAddress,
    Offer,
    Order,
    OrderStatus,
    PersonRecord,
    RegisterAnswer,
    SamplingChoice,
    SamplingMode,
    SystemKind,
)
from service_domain.services.population import ask_register, refresh_flags
from tests.fake_population import FakePopulationRegister

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PATIENT = PersonId("198503172382")
ADDRESS = DeliveryAddress("Test Person", "Gatan 1", "111 22", "Stockholm")
K = SystemKind


def record(protected: bool) -> PersonRecord:
    return PersonRecord(PATIENT, "Demo", "Demosson", protected)


# ------------------------------------------------------------------ the register's answer


def test_a_protected_record_is_protected() -> None:
    assert RegisterAnswer(record(True)).protected


def test_an_unprotected_record_is_not() -> None:
    assert not RegisterAnswer(record(False)).protected


def test_a_person_the_register_does_not_know_is_not_protected() -> None:
    assert not RegisterAnswer(None).protected


def test_an_unreachable_register_counts_as_protected() -> None:
    assert RegisterAnswer(None, reachable=False).protected


def test_only_a_record_refreshes_the_flags() -> None:
    assert [RegisterAnswer(record(False)).refreshes, RegisterAnswer(None).refreshes,
            RegisterAnswer(None, reachable=False).refreshes] == [True, False, False]


# ------------------------------------------------------------------ placing an order


def _offer() -> Offer:
    definition = next(d for d in demo.catalogue() if d.care_giver == demo.CARE_GIVER_A and d.offer_code == "CTNG")
    return Offer.assign(definition, PATIENT, care_unit=demo.CARE_UNIT_A,
                        assigned_by=Actor(ActorKind.STAFF, "SE2321000016-ST01"), now=NOW).offer


def _place(protected: bool, address: DeliveryAddress | None, unit: str | None = None) -> Order:
    offer = _offer()
    definition = next(d for d in demo.catalogue() if d.care_giver == demo.CARE_GIVER_A and d.offer_code == "CTNG")
    return Order.place(offer, definition, SamplingChoice(unit, None, demo.SITES), Actor(ActorKind.PATIENT, PATIENT.id),
                       NOW, mode=SamplingMode.HOME_KIT, referral_id="ACEFHJKM", delivery_address=address,
                       contact_phone="+46701234567", protected=protected)


def test_a_protected_persons_home_kit_to_an_address_is_refused() -> None:
    with pytest.raises(InvalidRequest) as refused:
        _place(True, ADDRESS)
    assert refused.value.message == PICKUP_POINT_ONLY


def test_the_refusal_names_nothing_of_the_person() -> None:
    assert not any(part in PICKUP_POINT_ONLY for part in (PATIENT.id, ADDRESS.street, ADDRESS.name, "Demosson"))


def test_a_protected_persons_home_kit_to_a_pickup_point_is_placed_flagged() -> None:
    assert _place(True, None, demo.SITE_A_CENTRE).protected_identity


def test_a_pickup_point_home_kit_keeps_its_site_as_pickup_point() -> None:
    assert _place(True, None, demo.SITE_A_CENTRE).pickup_point == demo.SITE_A_CENTRE


def test_a_pickup_point_home_kit_goes_to_the_sites_lab() -> None:
    site = next(s for s in demo.SITES if s.hsa_id == demo.SITE_A_SOUTH)
    assert _place(True, None, demo.SITE_A_SOUTH).performing_lab == site.performing_lab


def test_anyone_elses_home_kit_goes_to_the_address() -> None:
    assert _place(False, ADDRESS).delivery_address == ADDRESS


def _create(**kw: Any) -> commands.CreateOrder:
    return commands.CreateOrder("offer", PATIENT, SamplingMode.HOME_KIT, **kw)


def test_a_home_kit_needs_an_address_or_a_pickup_point() -> None:
    with pytest.raises(InvalidRequest, match="needs a deliveryAddress, or a samplingUnitHSAId"):
        checks.create_order(_create())


def test_a_home_kit_has_not_both_an_address_and_a_pickup_point() -> None:
    with pytest.raises(InvalidRequest, match="not both"):
        checks.create_order(_create(delivery_address=ADDRESS, sampling_unit=demo.SITE_A_CENTRE))


def test_a_home_kit_to_a_pickup_point_passes_the_checks() -> None:
    checks.create_order(_create(sampling_unit=demo.SITE_A_CENTRE))  # raises when refused


# ------------------------------------------------------------------ who sees the contact details


def system(kind: SystemKind, hsa_id: str, units: frozenset[str] = frozenset()) -> ConnectedSystem:
    return ConnectedSystem(hsa_id, kind, "a system", frozenset({demo.CARE_GIVER_A}), units=units)


def protected_order(**kw: Any) -> Order:
    return replace(_place(True, None, demo.SITE_A_CENTRE), **kw)


def test_an_unprotected_persons_details_are_shown_to_any_reader() -> None:
    assert access.sees_contact_details(system(K.EHR, demo.EHR_A), _place(False, ADDRESS))


@pytest.mark.parametrize(("kind", "hsa_id", "sees"), [
    (K.CITIZEN, demo.CITIZEN_SERVICE, True),   # the patient's own e-service
    (K.SAMPLING, demo.SAMPLING_A, True),       # the pickup point's own system
    (K.LAB, demo.LAB_A, True),                 # the lab that sends the kit to the pickup point
    (K.LAB, demo.LAB_A2, False),               # another lab of the care giver
    (K.EHR, demo.EHR_A, False),                # the journal system does not ship kits
    (K.AGGREGATOR, demo.AGGREGATOR, False),
])
def test_a_protected_persons_details_go_to_who_handles_the_order(kind: SystemKind, hsa_id: str, sees: bool) -> None:
    assert access.sees_contact_details(system(kind, hsa_id), protected_order()) is sees


def test_a_lab_does_not_see_them_for_a_site_order_it_only_analyses() -> None:
    order = protected_order(sampling_mode=SamplingMode.SITE, sampling_unit=demo.SITE_A_SOUTH)
    assert not access.sees_contact_details(system(K.LAB, demo.LAB_A), order)


def test_the_sampling_desk_of_the_care_unit_sees_them_while_the_order_is_open() -> None:
    assert access.sees_contact_details(system(K.STAFF_UI, demo.STAFF_WEB), protected_order(), demo.CARE_UNIT_A)


def test_the_desk_no_longer_sees_them_once_the_order_is_closed() -> None:
    closed = protected_order(status=OrderStatus.FINAL_RESULT)
    assert not access.sees_contact_details(system(K.STAFF_UI, demo.STAFF_WEB), closed, demo.CARE_UNIT_A)


def test_the_desk_of_another_care_unit_does_not_see_them() -> None:
    assert not access.sees_contact_details(system(K.STAFF_UI, demo.STAFF_WEB), protected_order(), demo.CARE_UNIT_B)


def test_staff_without_the_sampling_function_do_not_see_them() -> None:
    assert not access.sees_contact_details(system(K.STAFF_UI, demo.STAFF_WEB), protected_order(), "")


def test_an_order_without_contact_details_has_no_phone() -> None:
    assert protected_order().without_contact_details().contact_phone is None


def test_an_order_without_contact_details_has_no_address() -> None:
    assert _place(False, ADDRESS).without_contact_details().delivery_address is None


def test_an_order_without_contact_details_leaves_the_stored_order_alone() -> None:
    order = protected_order()
    order.without_contact_details()
    assert order.contact_phone == "+46701234567"


# ------------------------------------------------------------------ keeping the flags (a unit of work in memory)


class MarkedRepository:
    def __init__(self) -> None:
        self.marked: list[tuple[str, bool]] = []

    def mark_protected(self, patient: PersonId, protected: bool) -> int:
        self.marked.append((patient.id, protected))
        return 1


class FlagsUnitOfWork:
    """The part of a unit of work the flags touch: offers, orders and the register."""

    def __init__(self, register: FakePopulationRegister | None) -> None:
        self.offers = MarkedRepository()
        self.orders = MarkedRepository()
        self.population = register


def test_without_a_register_nobody_is_protected() -> None:
    assert ask_register(FlagsUnitOfWork(None), PATIENT) == RegisterAnswer(None)  # type: ignore[arg-type]


def test_the_register_is_asked_about_the_person() -> None:
    register = FakePopulationRegister(PATIENT)
    ask_register(FlagsUnitOfWork(register), PATIENT)  # type: ignore[arg-type]
    assert register.asked == [PATIENT.id]


def test_an_unreachable_register_gives_an_unreachable_answer() -> None:
    register = FakePopulationRegister(PATIENT)
    register.reachable = False
    assert not ask_register(FlagsUnitOfWork(register), PATIENT).reachable  # type: ignore[arg-type]


@pytest.mark.parametrize("protected", [True, False])
def test_a_record_sets_the_flags_of_offers_and_orders(protected: bool) -> None:
    uow = FlagsUnitOfWork(None)
    refresh_flags(uow, PATIENT, RegisterAnswer(record(protected)))  # type: ignore[arg-type]
    assert (uow.offers.marked, uow.orders.marked) == ([(PATIENT.id, protected)], [(PATIENT.id, protected)])


@pytest.mark.parametrize("answer", [RegisterAnswer(None), RegisterAnswer(None, reachable=False)])
def test_no_record_leaves_the_flags_alone(answer: RegisterAnswer) -> None:
    uow = FlagsUnitOfWork(None)
    refresh_flags(uow, PATIENT, answer)  # type: ignore[arg-type]
    assert uow.orders.marked == []
