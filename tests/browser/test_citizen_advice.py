"""The catalogue's advice to the patient before sampling (fasting, morning urine) is shown for an
offer staff assigned as for one the patient orders themselves: on the order page and on the
confirmation (it was shown for self-service entries only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from consumers import EhrSystem
from consumers.roles import actor
from eph import demo
from tests.support import PlatformProcess

from .citizen import CitizenWebProcess, adult, connection, login, placed, running_web, shot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ADVICE = "Ta provet på morgonen"


@pytest.fixture(scope="module")
def web(demo_platform: PlatformProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CitizenWebProcess]:
    yield from running_web(demo_platform, Path(tmp_path_factory.mktemp("citizen-web-advice")))


@pytest.fixture()
def assigned_order_page(page: Page, web: CitizenWebProcess, demo_platform: PlatformProcess) -> Page:
    """The order page of a chlamydia/gonorrhoea kit staff assigned to a new patient."""
    patient = adult()
    ehr = EhrSystem(connection(demo_platform, demo.EHR_A), demo.CARE_GIVER_A, demo.CARE_UNIT_A)
    offer_id = ehr.assign(patient, "CTNG", actor("STAFF", "SE2321000016-SSK1")).offerId
    login(page, web, patient)
    page.goto(f"{web.base_url}/bestall?erbjudande={offer_id}")
    return page


def test_an_assigned_offers_order_page_gives_the_advice(assigned_order_page: Page) -> None:
    expect(assigned_order_page.locator(".instructions")).to_contain_text(ADVICE)


def test_the_confirmation_of_an_assigned_offers_order_gives_the_advice(assigned_order_page: Page) -> None:
    page = assigned_order_page
    page.get_by_label("Namn på brevlådan").fill("Testa Testsson")
    page.get_by_label("Gatuadress").fill("Provgatan 3")
    page.get_by_label("Postnummer").fill("111 22")
    page.get_by_label("Ort").fill("Stockholm")
    page.get_by_role("button", name="Beställ provtagningskit").click()
    placed(page, None)
    shot(page, "assigned-ordered-advice")
    expect(page.get_by_role("region", name="Inför provtagningen")).to_contain_text(ADVICE)
