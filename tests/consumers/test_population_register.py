"""The population register stand-in as ``eph serve population-register`` runs it, over real HTTP:
its JSON API, the service's adapter (``eph.population``) asking it, and ``eph population``
marking a person."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from consumers.population_register.app import DEMO_REGION, create_app
from consumers.population_register.config import PopulationRegisterStandInConfig
from eph.cli import main
from eph.population import HttpPopulationRegister, PopulationRegisterConfig, configured_register
from eph.server import citizen_home_region
from service_domain.identity import PersonId
from service_domain.ports import StorageUnavailable
from tests.support import free_port, serving

TOKEN = "population-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TOLVAN = "191212121212"


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("population")) / "register.log"


@pytest.fixture(scope="module")
def running(log_path: Path) -> Iterator[str]:
    # numbers it does not hold unknown (404), not the development default of a test person
    with serving("population-register", {"EPH_POPULATION_REGISTER_TOKEN": TOKEN, "EPH_PROFILE": "development",
                                         "EPH_POPULATION_REGISTER_EVERYONE_IN": "none"}, log_path) as base:
        yield base


@pytest.fixture
def base(running: str) -> Iterator[str]:
    """The stand-in's address; Tolvan unmarked again after the test."""
    yield running
    requests.post(running + "/admin/protected", json={"personId": TOLVAN, "protected": False}, headers=AUTH, timeout=5)


def post(base: str, path: str, body: Any, headers: dict[str, str] = AUTH) -> requests.Response:
    return requests.post(base + path, json=body, headers=headers, timeout=5)


def adapter(base: str, token: str = TOKEN) -> HttpPopulationRegister:
    return HttpPopulationRegister(PopulationRegisterConfig(base, token, timeout=2))


# ------------------------------------------------------------------ the stand-in's API


def test_a_demo_patient_is_known_with_the_demo_region(base: str) -> None:
    assert post(base, "/lookup", {"personId": TOLVAN}).json()["homeRegion"] == DEMO_REGION


def in_development(path: str, body: Any) -> Any:
    """The stand-in as it starts by default (a number it does not hold is a test person)."""
    app = create_app(PopulationRegisterStandInConfig(token=TOKEN, everyone_in=DEMO_REGION))
    return app.test_client().post(path, json=body, headers=AUTH).get_json()


def test_by_default_a_number_not_held_is_a_test_person_of_the_demo_region() -> None:
    assert in_development("/lookup", {"personId": "199001012384"})["homeRegion"] == DEMO_REGION


def test_by_default_a_number_not_held_can_be_marked_protected() -> None:
    assert in_development("/admin/protected", {"personId": "199001012384", "protected": True})["protected"] is True


def test_everyone_in_none_leaves_numbers_not_held_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPH_POPULATION_REGISTER_EVERYONE_IN", "none")
    assert PopulationRegisterStandInConfig().everyone_in is None


def test_by_default_numbers_not_held_live_in_the_demo_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EPH_POPULATION_REGISTER_EVERYONE_IN", raising=False)
    assert PopulationRegisterStandInConfig().everyone_in == DEMO_REGION


def test_an_unknown_person_is_404(base: str) -> None:
    assert post(base, "/lookup", {"personId": "199001012384"}).status_code == 404


def test_a_number_not_of_twelve_digits_is_400(base: str) -> None:
    assert post(base, "/lookup", {"personId": "1912121212"}).status_code == 400


def test_without_the_token_it_is_401(base: str) -> None:
    assert post(base, "/lookup", {"personId": TOLVAN}, {"Authorization": "Bearer wrong"}).status_code == 401


def test_the_admin_endpoint_marks_a_person(base: str) -> None:
    post(base, "/admin/protected", {"personId": TOLVAN, "protected": True})
    assert post(base, "/lookup", {"personId": TOLVAN}).json()["protected"] is True


def test_the_admin_endpoint_refuses_an_unknown_person(base: str) -> None:
    assert post(base, "/admin/protected", {"personId": "199001012384", "protected": True}).status_code == 404


def test_a_person_is_added_whole(base: str) -> None:
    requests.put(base + "/admin/person", json={"personId": "200001012388", "givenName": "Ny", "surname": "Person",
                                               "protected": True}, headers=AUTH, timeout=5)
    assert post(base, "/lookup", {"personId": "200001012388"}).json()["protected"] is True


def test_the_access_log_holds_no_number(base: str, log_path: Path) -> None:
    post(base, "/lookup", {"personId": TOLVAN})
    assert TOLVAN not in log_path.read_text()


# ------------------------------------------------------------------ the adapter


def test_the_adapter_reads_the_marking(base: str) -> None:
    post(base, "/admin/protected", {"personId": TOLVAN, "protected": True})
    record = adapter(base).lookup(PersonId(TOLVAN))
    assert record is not None and record.protected


def test_the_adapter_reads_the_home_region(base: str) -> None:
    record = adapter(base).lookup(PersonId(TOLVAN))
    assert record is not None and record.home_region == DEMO_REGION


def test_the_adapter_reads_the_surname(base: str) -> None:
    record = adapter(base).lookup(PersonId(TOLVAN))
    assert record is not None and record.surname == "Tolvansson"


def test_the_adapter_gives_none_for_an_unknown_person(base: str) -> None:
    assert adapter(base).lookup(PersonId("199001012384")) is None


def test_the_adapter_calls_a_refused_token_unavailable(base: str) -> None:
    with pytest.raises(StorageUnavailable, match="answered 401"):
        adapter(base, "wrong").lookup(PersonId(TOLVAN))


def test_the_adapter_calls_a_failing_register_unavailable(base: str) -> None:
    post(base, "/faults", {"status": 503, "count": 1})
    with pytest.raises(StorageUnavailable, match="answered 503"):
        adapter(base).lookup(PersonId(TOLVAN))


def test_the_adapter_calls_a_register_not_listening_unavailable() -> None:
    with pytest.raises(StorageUnavailable, match="not reached"):
        adapter(f"http://127.0.0.1:{free_port()}").lookup(PersonId(TOLVAN))


def test_no_url_configures_no_register() -> None:
    assert configured_register({}) is None


def test_a_url_without_a_token_is_refused() -> None:
    with pytest.raises(ValueError, match="EPH_POPULATION_TOKEN"):
        configured_register({"EPH_POPULATION_URL": "https://pu.example"})


# ------------------------------------------------------------------ eph population


@pytest.fixture
def eph_population(base: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """``eph population ARGS`` (in this process) against the stand-in: its exit code and output."""
    monkeypatch.setenv("EPH_POPULATION_URL", base)
    monkeypatch.setenv("EPH_POPULATION_TOKEN", TOKEN)

    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(["population", *args])
        return code, capsys.readouterr().out

    return run


def test_eph_population_protect_marks_the_person(base: str, eph_population: Any) -> None:
    eph_population("protect", "19121212-1212")
    assert post(base, "/lookup", {"personId": TOLVAN}).json()["protected"] is True


def test_eph_population_unprotect_takes_the_marking_away(base: str, eph_population: Any) -> None:
    eph_population("protect", TOLVAN)
    eph_population("unprotect", TOLVAN)
    assert post(base, "/lookup", {"personId": TOLVAN}).json()["protected"] is False


def test_eph_population_show_prints_the_marking_not_the_name(eph_population: Any) -> None:
    eph_population("protect", TOLVAN)
    out = eph_population("show", TOLVAN)[1]
    assert ("protected identity" in out, "Tolvan" in out) == (True, False)


def test_eph_population_refuses_a_bad_number(eph_population: Any) -> None:
    assert eph_population("show", "12345")[0] == 2


# ------------------------------------------------------------------ the 1177 stand-in's seam


def test_without_a_register_the_citizen_web_keeps_its_configured_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EPH_POPULATION_URL", raising=False)
    assert citizen_home_region() is None


def test_the_citizen_web_asks_the_register_for_the_home_region(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPH_POPULATION_URL", base)
    monkeypatch.setenv("EPH_POPULATION_TOKEN", TOKEN)
    assert citizen_home_region()("19121212-1212") == DEMO_REGION
