"""The production profile's rule for the population register: one must be configured, over
https://, and not with the stand-in's development token."""

from __future__ import annotations

import pytest

from consumers.population_register.config import DEV_TOKEN
from eph import profile
from eph.config import Settings


def named(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    for name in ("EPH_POPULATION_URL", "EPH_POPULATION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return [p.split(" ")[0] for p in profile.population_problems()]


def test_a_register_over_tls_with_its_own_token_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert named(monkeypatch, EPH_POPULATION_URL="https://pu.example", EPH_POPULATION_TOKEN="own") == []


def test_no_register_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    assert named(monkeypatch) == ["EPH_POPULATION_URL"]


def test_a_register_over_plain_http_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    assert named(monkeypatch, EPH_POPULATION_URL="http://pu.example", EPH_POPULATION_TOKEN="own") == ["EPH_POPULATION_URL"]


def test_the_stand_ins_token_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    assert named(monkeypatch, EPH_POPULATION_URL="https://pu.example", EPH_POPULATION_TOKEN=DEV_TOKEN) == [
        "EPH_POPULATION_TOKEN"]


def test_the_stand_in_is_refused_in_production() -> None:
    assert "population-register" in profile.STAND_INS


def test_no_problem_names_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPH_POPULATION_URL", "http://pu.example")
    monkeypatch.setenv("EPH_POPULATION_TOKEN", "s3cret-token")
    assert not any("s3cret-token" in p for p in profile.population_problems())


def citizen_names(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    named(monkeypatch, **env)
    return [p.split(" ")[0] for p in profile.citizen_problems(Settings())]


def test_the_1177_stand_in_asking_the_register_over_plain_http_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "EPH_POPULATION_URL" in citizen_names(monkeypatch, EPH_POPULATION_URL="http://pu.example",
                                                 EPH_POPULATION_TOKEN="own")


def test_the_1177_stand_in_without_a_register_keeps_its_region(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "EPH_POPULATION_URL" not in citizen_names(monkeypatch)
