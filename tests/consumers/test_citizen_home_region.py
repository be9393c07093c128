"""The citizen web shows the self-service offers of the patient's home region, as the seam to
the population register tells it (home_region.py); without a register, the configured region's.
1177's support number is on every page. The service behind the web is an in-memory fake."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from flask.testing import FlaskClient

from consumers.citizen_web.app import create_app
from consumers.citizen_web.config import CitizenWebConfig
from consumers.citizen_web.home_region import from_register
from consumers.citizen_web.session import new_key
from tests.support import person_number

EAST, WEST, PRIVATE = "SE2321000016-CG01", "SE2321000255-CG01", "SE5560000001-CG01"
EAST_PATIENT, WEST_PATIENT = person_number(date(1985, 3, 17)), person_number(date(1990, 5, 5))


def entry(care_giver: str, name: str) -> Any:
    return SimpleNamespace(offerCode="CTNG", careGiverHSAId=care_giver, displayName=name, samplingMode=["HOME_KIT"],
                           patientInstructions=None, minAge=None, maxAge=None)


class FakeCitizenService:
    """The self-service entries of two regions; region EAST has a private care giver under it."""

    CATALOGUE = {EAST: [entry(EAST, "Klamydia, Region Öst"), entry(PRIVATE, "Klamydia, Privatkliniken")],
                 WEST: [entry(WEST, "Klamydia, Region Väst")]}

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.sites_of: list[str | None] = []

    def offers(self, number: str) -> list[Any]:
        return []

    def self_service_offers(self, care_giver: str) -> list[Any]:
        self.asked.append(care_giver)
        return list(self.CATALOGUE.get(care_giver, []))

    def sites(self, number: str, **kw: Any) -> list[Any]:
        self.sites_of.append(kw.get("care_giver"))
        return []


class Register:
    """The population register's stand-in: each patient's home region, or an outage."""

    def __init__(self, down: bool = False) -> None:
        self.down = down

    def lookup(self, number: str) -> Any:
        if self.down:
            raise ConnectionError("the register does not answer")
        return SimpleNamespace(home_region={EAST_PATIENT: EAST, WEST_PATIENT: WEST}.get(number))


def web(register: Register | None = None, service: FakeCitizenService | None = None, **settings: Any) -> FlaskClient:
    config = CitizenWebConfig(**{"dev_login": True, **settings})
    seam = from_register(register.lookup) if register else None
    return create_app(config, service or FakeCitizenService(), new_key(),  # type: ignore[arg-type]
                      home_region=seam).test_client()


def log_in(c: FlaskClient, number: str) -> None:
    page = c.get("/logga-in").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    c.post("/logga-in", data={"csrf_token": match.group(1), "personnummer": number})


def offers_page(register: Register | None, number: str, **settings: Any) -> str:
    c = web(register, **settings)
    log_in(c, number)
    return c.get("/").get_data(as_text=True)


def test_a_patient_of_the_east_region_sees_its_offer() -> None:
    assert "Klamydia, Region Öst" in offers_page(Register(), EAST_PATIENT)


def test_a_patient_of_the_east_region_sees_its_private_care_givers_offer() -> None:
    assert "Klamydia, Privatkliniken" in offers_page(Register(), EAST_PATIENT)


def test_a_patient_of_the_west_region_does_not_see_the_east_regions_offer() -> None:
    assert "Klamydia, Region Öst" not in offers_page(Register(), WEST_PATIENT)


def test_a_patient_of_the_west_region_sees_its_offer() -> None:
    assert "Klamydia, Region Väst" in offers_page(Register(), WEST_PATIENT)


def test_a_patient_the_register_gives_no_region_sees_no_self_service_offer() -> None:
    assert "Din region har inga prov som du kan beställa själv" in offers_page(
        Register(), person_number(date(1970, 1, 1)))


def test_an_unreachable_register_leaves_the_offers_page_working() -> None:
    assert "Din region har inga prov som du kan beställa själv" in offers_page(Register(down=True), EAST_PATIENT)


def test_without_a_register_the_configured_region_is_shown() -> None:
    assert "Klamydia, Region Väst" in offers_page(None, EAST_PATIENT, care_giver=WEST)


def test_the_order_page_finds_the_private_care_givers_entry_by_its_care_giver() -> None:
    c = web(Register())
    log_in(c, EAST_PATIENT)
    page = c.get(f"/bestall?prov=CTNG&vardgivare={PRIVATE}").get_data(as_text=True)
    assert f'name="vardgivare" value="{PRIVATE}"' in page


def test_a_private_care_givers_kit_offers_its_own_pickup_points() -> None:
    service = FakeCitizenService()
    c = web(Register(), service)
    log_in(c, EAST_PATIENT)
    c.get(f"/bestall?prov=CTNG&vardgivare={PRIVATE}")
    assert service.sites_of == [PRIVATE]


def test_the_login_page_shows_1177s_support_number() -> None:
    assert "0771-11 77 00" in web(Register()).get("/logga-in").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/finns-inte"])
def test_pages_of_a_logged_in_patient_show_1177s_support_number(path: str) -> None:
    c = web(Register())
    log_in(c, EAST_PATIENT)
    assert "0771-11 77 00" in c.get(path).get_data(as_text=True)


def test_the_support_number_is_configured() -> None:
    assert "010-000 00 00" in offers_page(Register(), EAST_PATIENT, support_phone="010-000 00 00")
