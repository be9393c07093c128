"""Regions in the database (SQLite, and PostgreSQL with EPH_TEST_POSTGRES=1): the demo's
regions and agreement, the region's catalogue as a limit on a private care giver's, the home
region of self-service orders (the population register an in-memory fake), a region's
self-service entries, and its statistics."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from eph import demo
from service_domain import commands, services
from service_domain.commands import CallContext
from service_domain.identity import PersonId
from service_domain.model import PersonRecord, SamplingMode
from service_domain.model.regions import OutsideRegion, Region
from service_domain.persistence.database import Database
from service_domain.ports import StorageUnavailable
from tests.service.conftest import ADDRESS, NOW, ctx, new_patient

PRIVATE = demo.PRIVATE_CARE_GIVER
CTNG = next(d for d in demo.catalogue() if d.offer_code == "CTNG" and d.care_giver == demo.CARE_GIVER_A)


class FakeRegister:
    """The population register: every person lives in ``home``; ``down`` makes it unreachable."""

    def __init__(self, home: str | None, down: bool = False) -> None:
        self.home, self.down, self.asked = home, down, 0

    def lookup(self, person: PersonId) -> PersonRecord | None:
        self.asked += 1
        if self.down:
            raise StorageUnavailable("the register does not answer")
        return PersonRecord(person, "Test", "Person", home_region=self.home)


def operator() -> CallContext:
    return CallContext.operator(NOW)


def with_register(db: Database, register: FakeRegister | None) -> Any:
    """A unit of work given this register, as the composition root gives the configured one."""
    uow = db.uow()
    uow.population = register
    return uow


def self_order(db: Database, p: PersonId, register: FakeRegister | None, care_giver: str = demo.CARE_GIVER_A,
               when: datetime = NOW) -> services.WriteOutcome:
    return services.create_order(with_register(db, register), ctx(demo.CITIZEN_SERVICE, when), commands.CreateOrder(
        None, p, SamplingMode.HOME_KIT, care_giver=care_giver, offer_code="CTNG", delivery_address=ADDRESS))


@pytest.fixture(scope="module")
def private_entry(backend_db: Database) -> None:
    """The private care giver offers the kit, as region A's catalogue allows."""
    services.import_catalogue(backend_db.uow(), operator(), [replace(CTNG, care_giver=PRIVATE)])


def test_the_demo_puts_the_private_care_giver_under_region_a(backend_db: Database) -> None:
    (agreement,) = services.list_agreements(backend_db.uow(), operator(), care_giver=PRIVATE.lower())
    assert agreement.region == demo.CARE_GIVER_A


def test_a_regions_catalogue_is_stored_whole(backend_db: Database) -> None:
    region = Region("SE2321000032-CG01", "Region Test", "010-123 45 67", None,
                    frozenset({"A1", "B2"}), frozenset({"NPU1", "NPU2"}))
    services.put_region(backend_db.uow(), operator(), region)
    assert services.region_view(backend_db.uow(), operator(), region.hsa_id.lower()).region == region


def test_an_entry_outside_the_regions_catalogue_is_refused(backend_db: Database) -> None:
    with pytest.raises(OutsideRegion, match="does not allow offer code"):
        services.import_catalogue(backend_db.uow(), operator(), [replace(CTNG, care_giver=PRIVATE, offer_code="PV9")])


def test_a_self_service_order_from_the_home_region_is_made(backend_db: Database) -> None:
    assert self_order(backend_db, new_patient(), FakeRegister(demo.CARE_GIVER_A)).order_id


def test_a_self_service_order_from_another_region_is_refused(backend_db: Database) -> None:
    with pytest.raises(OutsideRegion, match="not under the patient's home region"):
        self_order(backend_db, new_patient(), FakeRegister(demo.CARE_GIVER_B))


def test_a_self_service_order_from_a_private_care_giver_of_the_home_region_is_made(
    backend_db: Database, private_entry: None
) -> None:
    assert self_order(backend_db, new_patient(), FakeRegister(demo.CARE_GIVER_A), care_giver=PRIVATE).order_id


def test_an_unreachable_register_makes_no_order(backend_db: Database) -> None:
    p = new_patient()
    with pytest.raises(StorageUnavailable):
        self_order(backend_db, p, FakeRegister(demo.CARE_GIVER_A, down=True))
    assert services.get_offers(backend_db.uow(), ctx(demo.CITIZEN_SERVICE), commands.GetOffers(p)) == []


def test_without_a_register_the_home_region_is_not_checked(backend_db: Database) -> None:
    assert self_order(backend_db, new_patient(), None).order_id


def test_an_order_from_an_assigned_offer_is_made_whatever_the_home_region(backend_db: Database) -> None:
    from tests.service.conftest import assign
    p = new_patient()
    outcome = services.create_order(with_register(backend_db, FakeRegister(demo.CARE_GIVER_B)), ctx(demo.CITIZEN_SERVICE),
                                    commands.CreateOrder(assign(backend_db, p), p, SamplingMode.HOME_KIT,
                                                         delivery_address=ADDRESS))
    assert outcome.order_id


def test_a_regions_self_service_entries_include_its_private_care_giver(backend_db: Database, private_entry: None) -> None:
    entries = services.get_offer_catalog(backend_db.uow(), ctx(demo.CITIZEN_SERVICE), commands.GetOfferCatalog(
        demo.CARE_GIVER_A, self_service=True))
    assert PRIVATE in {d.care_giver for d in entries}


def test_another_regions_self_service_entries_leave_the_private_care_giver_out(
    backend_db: Database, private_entry: None
) -> None:
    entries = services.get_offer_catalog(backend_db.uow(), ctx(demo.CITIZEN_SERVICE), commands.GetOfferCatalog(
        demo.CARE_GIVER_B, self_service=True))
    assert PRIVATE not in {d.care_giver for d in entries}


def test_a_region_counts_its_orders_of_the_period(backend_db: Database) -> None:
    when = datetime(2030, 3, 10, 10, 0, tzinfo=UTC)
    for _ in range(6):
        self_order(backend_db, new_patient(), None, when=when)
    stats = services.region_statistics(backend_db.uow(), operator(), date(2030, 3, 1), date(2030, 3, 31),
                                       demo.CARE_GIVER_A)
    assert stats.orders[demo.CARE_GIVER_A].value == 6
