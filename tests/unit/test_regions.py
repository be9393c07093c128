"""The region rules with the fake unit of work: agreements in force, the region's catalogue as
a limit on the care givers under it, the home region of self-service, and the suppression of
small cells in the region's statistics."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from eph import demo
from service_domain import services
from service_domain.commands import CallContext
from service_domain.errors import InvalidRequest, RuleViolation
from service_domain.identity import PersonId
from service_domain.model import (
    Actor,
    ActorKind,
    AnalysisResult,
    AnalysisStatus,
    Interpretation,
    LaboratoryResult,
    OfferDefinition,
    Order,
    OrderStatus,
    ReportStatus,
    ResultRelease,
    SamplingMode,
    StatusChange,
    StoredResult,
)
from service_domain.model.regions import Agreement, OutsideRegion, Region, standing
from service_domain.model.statistics import MIN_PEOPLE, Tally, suppressed_column
from tests.fake_regions import FakeUnitOfWork
from tests.support import person_number

REGION = "SE2321000016-CG01"
PRIVATE = "SE5565594230-PV01"
OTHER_REGION = "SE2321000255-CG01"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
CTNG = next(d for d in demo.catalogue() if d.offer_code == "CTNG" and d.care_giver == demo.CARE_GIVER_A)


def region(**kw: object) -> Region:
    fields: dict[str, object] = {"hsa_id": REGION, "name": "Region Demo Öst", "phone": "08-123 45 00",
                                 "email": "support@example.org", "offer_codes": frozenset({"CTNG"}),
                                 "analyses": frozenset({"CT-NAAT", "NG-NAAT"})}
    fields.update(kw)
    return Region(**fields)  # type: ignore[arg-type]


def private_entry(**kw: object) -> OfferDefinition:
    return replace(CTNG, care_giver=PRIVATE, **kw)  # type: ignore[arg-type]


def operator() -> CallContext:
    return CallContext.operator(NOW)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    u = FakeUnitOfWork()
    u.regions.put(region())
    u.regions.put(region(hsa_id=OTHER_REGION, name="Region Demo Väst"))
    return u


def agree(uow: FakeUnitOfWork, first: date = date(2026, 1, 1), last: date | None = date(2026, 12, 31)) -> Agreement:
    return services.add_agreement(uow, operator(), REGION, PRIVATE, first, last)


# ------------------------------------------------------------------ agreements


def test_an_agreement_is_in_force_on_its_first_day() -> None:
    assert Agreement("a", REGION, PRIVATE, TODAY, TODAY + timedelta(days=1)).in_force(TODAY)


def test_an_agreement_is_in_force_on_its_last_day() -> None:
    assert Agreement("a", REGION, PRIVATE, TODAY - timedelta(days=1), TODAY).in_force(TODAY)


def test_an_agreement_is_not_in_force_the_day_after_it_ends() -> None:
    assert not Agreement("a", REGION, PRIVATE, TODAY - timedelta(days=9), TODAY - timedelta(days=1)).in_force(TODAY)


def test_an_agreement_without_end_stays_in_force() -> None:
    assert Agreement("a", REGION, PRIVATE, TODAY).in_force(date(2099, 1, 1))


def test_an_agreement_cannot_end_before_it_begins() -> None:
    with pytest.raises(RuleViolation):
        Agreement("a", REGION, PRIVATE, TODAY, TODAY - timedelta(days=1))


def test_a_care_giver_is_under_the_region_of_its_agreement_in_force() -> None:
    a = Agreement("a", REGION, PRIVATE, date(2026, 1, 1), date(2026, 12, 31))
    assert standing(PRIVATE, TODAY, [region()], [a]).region == region()


def test_a_care_giver_whose_agreement_ended_is_under_no_region() -> None:
    a = Agreement("a", REGION, PRIVATE, date(2025, 1, 1), date(2025, 12, 31))
    assert standing(PRIVATE, TODAY, [region()], [a]).region is None


def test_a_region_is_under_itself() -> None:
    assert standing(REGION.lower(), TODAY, [region()], []).is_region


def test_an_overlapping_agreement_with_another_region_is_refused(uow: FakeUnitOfWork) -> None:
    agree(uow)
    with pytest.raises(RuleViolation, match="part of that period"):
        services.add_agreement(uow, operator(), OTHER_REGION, PRIVATE, date(2026, 6, 1), None)


def test_a_following_agreement_with_another_region_is_accepted(uow: FakeUnitOfWork) -> None:
    agree(uow)
    later = services.add_agreement(uow, operator(), OTHER_REGION, PRIVATE, date(2027, 1, 1), None)
    assert later.region == OTHER_REGION


def test_ending_an_agreement_sets_its_last_day(uow: FakeUnitOfWork) -> None:
    a = agree(uow, last=None)
    assert services.end_agreement(uow, operator(), a.agreement_id, TODAY).valid_to == TODAY


def test_ending_an_agreement_keeps_an_earlier_end(uow: FakeUnitOfWork) -> None:
    a = agree(uow, last=date(2026, 3, 31))
    assert services.end_agreement(uow, operator(), a.agreement_id, TODAY).valid_to == date(2026, 3, 31)


# ------------------------------------------------------------------ the region's catalogue


def test_an_entry_within_the_regions_catalogue_is_saved(uow: FakeUnitOfWork) -> None:
    agree(uow)
    services.import_catalogue(uow, operator(), [private_entry()])
    assert uow.definitions.get(PRIVATE, "CTNG") is not None


def test_an_offer_code_outside_the_regions_catalogue_is_refused(uow: FakeUnitOfWork) -> None:
    agree(uow)
    with pytest.raises(OutsideRegion, match="offer code CTNG2"):
        services.import_catalogue(uow, operator(), [private_entry(offer_code="CTNG2")])


def test_an_analysis_outside_the_regions_catalogue_is_refused(uow: FakeUnitOfWork) -> None:
    agree(uow)
    with pytest.raises(OutsideRegion, match="analysis NPU27300"):
        services.import_catalogue(uow, operator(), [private_entry(analyses=(demo.HBA1C,))])


def test_a_refused_import_stores_nothing(uow: FakeUnitOfWork) -> None:
    agree(uow)
    with pytest.raises(OutsideRegion):
        services.import_catalogue(uow, operator(), [private_entry(), private_entry(offer_code="X1")])
    assert uow.definitions.entries == {}


def test_a_care_giver_outside_its_agreement_saves_no_entry(uow: FakeUnitOfWork) -> None:
    agree(uow, first=date(2025, 1, 1), last=date(2025, 12, 31))
    with pytest.raises(OutsideRegion) as refused:
        services.import_catalogue(uow, operator(), [private_entry()])
    assert refused.value.reason == "no_agreement"


def test_a_care_giver_outside_its_agreement_may_retire_an_entry(uow: FakeUnitOfWork) -> None:
    agree(uow, first=date(2025, 1, 1), last=date(2025, 12, 31))
    services.import_catalogue(uow, operator(), [private_entry(active=False)])
    assert uow.definitions.get(PRIVATE, "CTNG") is not None


def test_a_care_giver_never_under_a_region_keeps_its_own_catalogue(uow: FakeUnitOfWork) -> None:
    services.import_catalogue(uow, operator(), [private_entry(offer_code="ANYTHING")])
    assert uow.definitions.get(PRIVATE, "ANYTHING") is not None


def test_the_region_itself_is_not_limited_by_its_catalogue(uow: FakeUnitOfWork) -> None:
    services.import_catalogue(uow, operator(), [replace(CTNG, offer_code="OWN1")])
    assert uow.definitions.get(REGION, "OWN1") is not None


# ------------------------------------------------------------------ the home region


def test_a_care_giver_under_the_home_region_may_take_self_service_orders() -> None:
    standing(REGION, TODAY, [region()], []).check_home_region(REGION.lower())


def test_a_care_giver_of_another_region_is_refused_a_self_service_order() -> None:
    with pytest.raises(OutsideRegion, match="not under the patient's home region"):
        standing(REGION, TODAY, [region()], []).check_home_region(OTHER_REGION)


def test_a_patient_without_a_known_home_region_is_refused_self_service() -> None:
    with pytest.raises(OutsideRegion, match="gives no home region"):
        standing(REGION, TODAY, [region()], []).check_home_region(None)


def test_the_home_region_refusal_names_nobody() -> None:
    with pytest.raises(OutsideRegion) as refused:
        standing(REGION, TODAY, [region()], []).check_home_region(OTHER_REGION)
    assert not any(ch.isdigit() for ch in refused.value.message)


def test_self_service_entries_of_a_region_include_its_private_care_givers(uow: FakeUnitOfWork) -> None:
    from service_domain.services.offers import _self_service_of_region
    agree(uow)
    uow.definitions.upsert([CTNG, private_entry()])
    found = _self_service_of_region(uow, region(), None, TODAY)  # type: ignore[arg-type]
    assert {d.care_giver for d in found} == {REGION, PRIVATE}


def test_self_service_entries_of_a_region_leave_out_a_care_giver_whose_agreement_ended(uow: FakeUnitOfWork) -> None:
    from service_domain.services.offers import _self_service_of_region
    agree(uow, first=date(2025, 1, 1), last=date(2025, 12, 31))
    uow.definitions.upsert([CTNG, private_entry()])
    found = _self_service_of_region(uow, region(), None, TODAY)  # type: ignore[arg-type]
    assert {d.care_giver for d in found} == {REGION}


# ------------------------------------------------------------------ suppression


def tally(cells: dict[str, int]) -> Tally:
    t = Tally()
    for key, people in cells.items():
        t.touch(key)
        for n in range(people):
            t.add(key, f"{key}-{n}")
    return t


def test_a_cell_of_fewer_than_five_people_is_suppressed() -> None:
    cells, _ = suppressed_column(tally({"a": MIN_PEOPLE - 1, "b": 9, "c": 7}), ["a", "b", "c"])
    assert cells["a"].suppressed


def test_a_cell_of_five_people_is_shown() -> None:
    cells, _ = suppressed_column(tally({"a": MIN_PEOPLE, "b": 9}), ["a", "b"])
    assert cells["a"].value == MIN_PEOPLE


def test_a_lone_suppressed_cell_takes_the_smallest_other_cell_with_it() -> None:
    cells, _ = suppressed_column(tally({"a": 2, "b": 9, "c": 7}), ["a", "b", "c"])
    assert cells["c"].suppressed


def test_the_total_cannot_reveal_a_suppressed_cell_by_subtraction() -> None:
    cells, total = suppressed_column(tally({"a": 2, "b": 9, "c": 7}), ["a", "b", "c"])
    shown = sum(c.value for c in cells.values() if c.value is not None)
    hidden = [k for k, c in cells.items() if c.suppressed]
    assert total.value is not None and len(hidden) >= 2 and total.value - shown == 2 + 7


def test_a_cell_of_no_one_shows_nought() -> None:
    cells, _ = suppressed_column(tally({"a": 0, "b": 9}), ["a", "b"])
    assert cells["a"].value == 0


def test_a_cell_of_no_one_does_not_stand_in_for_the_second_suppressed_cell() -> None:
    cells, total = suppressed_column(tally({"a": 2, "b": 0, "c": 9, "d": 7}), ["a", "b", "c", "d"])
    shown = sum(c.value for c in cells.values() if c.value is not None)
    assert total.value is not None and total.value - shown >= MIN_PEOPLE


def test_two_small_suppressed_cells_take_a_third_with_them() -> None:
    cells, _ = suppressed_column(tally({"a": 1, "b": 1, "c": 9, "d": 7}), ["a", "b", "c", "d"])
    assert cells["d"].suppressed


def test_a_total_of_no_one_shows_nought() -> None:
    _, total = suppressed_column(tally({"a": 0, "b": 0}), ["a", "b"])
    assert total.value == 0


def test_a_total_of_fewer_than_five_people_is_suppressed() -> None:
    _, total = suppressed_column(tally({"a": 2, "b": 2}), ["a", "b"])
    assert total.suppressed


def test_two_orders_of_one_person_are_one_person() -> None:
    t = Tally()
    for _ in range(6):
        t.add("a", "the same person")
    cells, _ = suppressed_column(t, ["a"])
    assert cells["a"].suppressed


# ------------------------------------------------------------------ the region's statistics


def order(n: int, care_giver: str, *, kit_back: bool = False,
          positive: bool = False) -> tuple[Order, list[StoredResult]]:
    created = NOW - timedelta(days=3)
    pid = PersonId(person_number(date(1990, 1, 1) + timedelta(days=n)))
    o = Order(f"O{n}", f"R{n}", f"F{n}", "CTNG", "Klamydia", pid, OrderStatus.ORDERED, SamplingMode.HOME_KIT,
              care_giver, demo.CARE_UNIT_A, CTNG.analyses, created, created + timedelta(days=60), True,
              ResultRelease.AFTER_FOLLOW_UP_IF_POSITIVE)
    o.history.append(StatusChange(OrderStatus.KIT_SENT, created, Actor(ActorKind.SYSTEM, demo.LAB_A)))
    if not kit_back:
        o.status = OrderStatus.KIT_SENT
        return o, []
    o.status = OrderStatus.FINAL_RESULT
    interpretation = Interpretation.POSITIVE if positive else Interpretation.NEGATIVE
    result = LaboratoryResult(o.order_id, demo.LAB_A, 1, ReportStatus.FINAL, created + timedelta(hours=n),
                              (AnalysisResult(demo.CHLAMYDIA.code, demo.NOT_DETECTED, AnalysisStatus.FINAL,
                                              interpretation=interpretation),))
    return o, [StoredResult(result, created + timedelta(hours=24 + n), True)]


@pytest.fixture
def counted(uow: FakeUnitOfWork) -> FakeUnitOfWork:
    """Seven orders at the region (kits back, two positive), two at the private care giver."""
    agree(uow)
    for n in range(7):
        o, versions = order(n, REGION, kit_back=True, positive=n < 2)
        uow.orders.rows.append(o)
        uow.results.stored[o.order_id] = versions
    for n in range(7, 9):
        uow.orders.rows.append(order(n, PRIVATE)[0])
    return uow


def stats(uow: FakeUnitOfWork) -> object:
    return services.region_statistics(uow, operator(), date(2026, 11, 1), date(2026, 11, 30), REGION)


def test_statistics_are_given_for_whole_months_only(counted: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidRequest):
        services.region_statistics(counted, operator(), date(2026, 11, 1), date(2026, 11, 29), REGION)


def test_an_order_made_before_its_care_giver_came_under_the_region_is_not_counted(uow: FakeUnitOfWork) -> None:
    agree(uow, first=date(2026, 11, 23))  # the orders were made on 2026-11-22 (three days before NOW)
    for n in range(7, 14):
        uow.orders.rows.append(order(n, PRIVATE)[0])
    assert stats(uow).orders[PRIVATE].value == 0  # type: ignore[attr-defined]


def test_statistics_show_the_total_of_the_orders(counted: FakeUnitOfWork) -> None:
    assert stats(counted).orders_total.value == 9  # type: ignore[attr-defined]


def test_statistics_suppress_the_private_care_givers_two_orders(counted: FakeUnitOfWork) -> None:
    assert stats(counted).orders[PRIVATE].suppressed  # type: ignore[attr-defined]


def test_statistics_suppress_the_other_cell_when_one_is_suppressed(counted: FakeUnitOfWork) -> None:
    assert stats(counted).orders[REGION].suppressed  # type: ignore[attr-defined]


def test_statistics_count_the_kits_sent(counted: FakeUnitOfWork) -> None:
    assert stats(counted).kits_sent_total.value == 9  # type: ignore[attr-defined]


def test_statistics_count_the_kits_returned(counted: FakeUnitOfWork) -> None:
    assert stats(counted).kits_returned_total.value == 7  # type: ignore[attr-defined]


def test_statistics_give_the_median_time_to_result(counted: FakeUnitOfWork) -> None:
    assert stats(counted).turnaround.median_hours == 24 + 3  # type: ignore[attr-defined]


def test_statistics_give_the_90th_percentile_time_to_result(counted: FakeUnitOfWork) -> None:
    assert stats(counted).turnaround.p90_hours == 24 + 6  # type: ignore[attr-defined]


def test_statistics_show_how_many_findings_an_analysis_had(counted: FakeUnitOfWork) -> None:
    assert stats(counted).tested["CT-NAAT"].value == 7  # type: ignore[attr-defined]


def test_statistics_suppress_two_positive_findings(counted: FakeUnitOfWork) -> None:
    assert stats(counted).positive["CT-NAAT"].suppressed  # type: ignore[attr-defined]


def test_statistics_leave_out_orders_of_another_period(counted: FakeUnitOfWork) -> None:
    out = services.region_statistics(counted, operator(), date(2026, 10, 1), date(2026, 10, 31), REGION)
    assert out.orders_total.value == 0


def test_statistics_leave_out_care_givers_of_another_region(counted: FakeUnitOfWork) -> None:
    counted.orders.rows.append(order(20, OTHER_REGION)[0])
    assert OTHER_REGION not in stats(counted).orders  # type: ignore[attr-defined]
