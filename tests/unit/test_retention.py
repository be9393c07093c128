"""Retention settings: the defaults with their legal basis, an operator's overrides from the
environment, and the settings refused (with a message naming the setting)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eph.cli import main
from eph.retention import describe, every_from_env, parse_period, policy_from_env
from service_domain.model import DEFAULT_RETENTION, RetentionError, RetentionKind, RetentionPolicy


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
