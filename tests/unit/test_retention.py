"""Retention settings: the defaults with their legal basis, an operator's overrides from the
environment, and the settings refused (with a message naming the setting)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from eph.cli import main
from eph.retention import describe, every_from_env, parse_period, policy_from_env
from service_domain.identity import PersonId
from service_domain.model import (
    DEFAULT_RETENTION,
    Actor,
    ActorKind,
    FollowUpCase,
    FollowUpStatus,
    LaboratoryResult,
    NoticeChannel,
    NoticeSettings,
    Offer,
    OfferStatus,
    Order,
    OrderStatus,
    ReportStatus,
    ResultRelease,
    RetentionError,
    RetentionKind,
    RetentionPolicy,
    SamplingMode,
    StatusChange,
    StoredResult,
)
from service_domain.model.retention import contact_expired, logistics_expired, order_expired


def test_every_kind_has_a_default_with_a_basis() -> None:
    assert all(DEFAULT_RETENTION[k].basis.strip() for k in RetentionKind)


def test_audit_records_are_kept_longer_than_any_other_kind() -> None:
    audit = DEFAULT_RETENTION[RetentionKind.AUDIT].period
    assert all(r.period < audit for k, r in DEFAULT_RETENTION.items() if k is not RetentionKind.AUDIT)


def test_results_are_kept_ten_years_by_default() -> None:
    assert DEFAULT_RETENTION[RetentionKind.RESULTS].period >= timedelta(days=3650)


@pytest.mark.parametrize(("text", "period"), [("90", timedelta(days=90)), ("90d", timedelta(days=90)),
                                              ("12h", timedelta(hours=12)), (" 7 D ", timedelta(days=7))])
def test_a_period_is_read(text: str, period: timedelta) -> None:
    assert parse_period(text) == period


@pytest.mark.parametrize("text", ["", "x", "-3", "1.5", "3w"])
def test_what_is_not_a_period_is_none(text: str) -> None:
    assert parse_period(text) is None


def test_a_period_is_written_as_it_is_read() -> None:
    assert [describe(p) for p in (timedelta(days=90), timedelta(hours=12))] == ["90d", "12h"]


def test_the_environment_overrides_a_period(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPH_RETENTION_LOGISTICS", "30")
    assert policy_from_env()[RetentionKind.LOGISTICS].period == timedelta(days=30)


def test_the_environment_overrides_a_basis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPH_RETENTION_RESULTS_BASIS", "Regionens gallringsbeslut 2027:1")
    assert policy_from_env()[RetentionKind.RESULTS].basis == "Regionens gallringsbeslut 2027:1"


def test_an_override_leaves_the_other_kinds_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPH_RETENTION_LOGISTICS", "30")
    assert policy_from_env()[RetentionKind.RESULTS] == DEFAULT_RETENTION[RetentionKind.RESULTS]


def test_a_bad_period_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPH_RETENTION_RESULTS", "ten years")
    with pytest.raises(SystemExit, match="EPH_RETENTION_RESULTS"):
        policy_from_env()


def test_audit_records_may_not_go_before_the_data_they_log(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPH_RETENTION_AUDIT", "365")
    with pytest.raises(SystemExit, match="audit"):
        policy_from_env()


def test_a_period_of_nothing_is_refused() -> None:
    with pytest.raises(RetentionError):
        RetentionPolicy.with_overrides({RetentionKind.NOTICES: timedelta(0)})


def test_housekeeping_runs_retention_daily_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EPH_RETENTION_EVERY_HOURS", raising=False)
    assert every_from_env() == timedelta(days=1)


def test_retention_show_prints_each_kind_with_its_basis(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EPH_RETENTION_NOTICES", "45")
    assert main(["retention", "show"]) == 0
    out = capsys.readouterr().out
    assert "notices" in out and "45d" in out and DEFAULT_RETENTION[RetentionKind.AUDIT].basis in out


# ------------------------------------------------------------------ the rules, without storage

T0 = datetime(2026, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)
SHORT = RetentionPolicy.with_overrides({RetentionKind.RESULTS: 2 * YEAR, RetentionKind.UNFULFILLED: YEAR,
                                        RetentionKind.FOLLOW_UP: 3 * YEAR, RetentionKind.AUDIT: 5 * YEAR})
SYSTEM = Actor(ActorKind.SYSTEM, "SE2321000016-LAB1")


def an_order(status: OrderStatus = OrderStatus.FINAL_RESULT, ended: datetime = T0) -> Order:
    return Order("o1", "R1", "f1", "HBA1C", "HbA1c", PersonId("191212121212"), status, SamplingMode.SITE,
                 "SE2321000016-CG01", "SE2321000016-CU01", (), T0, T0 + YEAR, False, ResultRelease.IMMEDIATE,
                 history=[StatusChange(OrderStatus.ORDERED, T0, SYSTEM), StatusChange(status, ended, SYSTEM)])


def a_result(released: datetime | None) -> StoredResult:
    result = LaboratoryResult("o1", "SE2321000016-LAB1", 1, ReportStatus.FINAL, T0, ())
    return StoredResult(result, T0, released is not None, released)


def a_case(closed: datetime | None) -> FollowUpCase:
    return FollowUpCase("c1", "o1", "SE2321000016-CG01", "SE2321000016-CU01", T0,
                        FollowUpStatus.CLOSED if closed else FollowUpStatus.OPEN, closed)


def test_an_open_order_is_never_due() -> None:
    assert order_expired(an_order(OrderStatus.RECEIVED_BY_LAB), None, (), SHORT, T0 + 50 * YEAR) is None


def test_an_order_without_a_result_goes_as_unfulfilled() -> None:
    assert order_expired(an_order(OrderStatus.CANCELLED), None, (), SHORT, T0 + YEAR + timedelta(days=1)) is RetentionKind.UNFULFILLED


def test_an_order_without_a_result_stays_within_its_period() -> None:
    assert order_expired(an_order(OrderStatus.CANCELLED), None, (), SHORT, T0 + YEAR - timedelta(days=1)) is None


def test_a_released_result_counts_from_its_release() -> None:
    late = T0 + YEAR
    assert order_expired(an_order(), a_result(late), (), SHORT, T0 + 2 * YEAR + timedelta(days=1)) is None


def test_a_released_result_goes_as_a_result_after_its_period() -> None:
    assert order_expired(an_order(), a_result(T0), (), SHORT, T0 + 2 * YEAR + timedelta(days=1)) is RetentionKind.RESULTS


def test_an_unreleased_result_is_never_due() -> None:
    assert order_expired(an_order(), a_result(None), (), SHORT, T0 + 50 * YEAR) is None


def test_an_open_case_keeps_its_order() -> None:
    assert order_expired(an_order(), a_result(T0), (a_case(None),), SHORT, T0 + 50 * YEAR) is None


def test_a_closed_case_keeps_its_order_for_the_follow_up_period() -> None:
    assert order_expired(an_order(), a_result(T0), (a_case(T0),), SHORT, T0 + 2 * YEAR + timedelta(days=1)) is None


def test_logistics_go_after_their_period_from_the_order_s_end() -> None:
    order = replace(an_order(ended=T0), contact_phone="+46701234567")
    assert logistics_expired(order, SHORT, T0 + DEFAULT_RETENTION[RetentionKind.LOGISTICS].period + timedelta(days=1))


def test_an_active_offer_keeps_the_patient_s_contact_details() -> None:
    settings = NoticeSettings(PersonId("191212121212"), NoticeChannel.EMAIL, "a@example.se", None, T0)
    offer = Offer("f1", "HBA1C", "HbA1c", settings.patient, "CG", "CU", SYSTEM, T0, T0 + 50 * YEAR, 1, 0,
                  OfferStatus.ACTIVE, (SamplingMode.SITE,))
    assert not contact_expired(settings, [offer], [], SHORT, T0 + 10 * YEAR)


def test_contact_details_of_a_patient_with_nothing_left_go() -> None:
    settings = NoticeSettings(PersonId("191212121212"), NoticeChannel.EMAIL, "a@example.se", None, T0)
    assert contact_expired(settings, [], [], SHORT, T0 + YEAR)
