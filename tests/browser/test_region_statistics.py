"""The region's statistics and administration in a browser on a phone (390 px): no sideways
scrolling, no serious axe-core violation, and the suppressed cells shown as "<5" (the private
care giver's two orders this month, and with them region A's six: together fewer than five people
would otherwise be left for the sum to give away)."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import date

import pytest
from playwright.sync_api import Browser, expect

from eph import demo
from service_domain import commands, services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.identity import PersonId
from service_domain.model import DeliveryAddress, SamplingMode
from service_domain.persistence.database import Database
from tests.support import person_number

from .conftest import ARTIFACTS, StaffWebProcess, check_page, dev_login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ADDRESS = DeliveryAddress("Test Testsson", "Provgatan 2", "111 22", "Stockholm")


@pytest.fixture(scope="module")
def orders(db: Database, staff_web: StaffWebProcess) -> None:
    """Six patients order region A's home kit themselves, as through 1177, and two the private
    care giver's (under region A by the demo's agreement): a cell of two people to suppress."""
    ctng = next(d for d in demo.catalogue() if d.offer_code == "CTNG" and d.care_giver == demo.CARE_GIVER_A)
    services.import_catalogue(db.uow(), CallContext.operator(utcnow()),
                              [replace(ctng, care_giver=demo.PRIVATE_CARE_GIVER)])
    for n in range(8):
        p = PersonId(person_number(date(1980 + n, 3, 3)))
        giver = demo.CARE_GIVER_A if n < 6 else demo.PRIVATE_CARE_GIVER
        services.create_order(db.uow(), CallContext(str(uuid.uuid4()), demo.CITIZEN_SERVICE, utcnow()),
                              commands.CreateOrder(None, p, SamplingMode.HOME_KIT, care_giver=giver,
                                                   offer_code="CTNG", delivery_address=ADDRESS))


def test_the_region_statistics_on_a_phone(browser: Browser, staff_web: StaffWebProcess, orders: None) -> None:
    context = browser.new_context(locale="sv-SE", viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    dev_login(page, staff_web, "SE2321000016-RAD1", demo.DEMO_STAFF_PASSWORD)
    for name, path in (("region", "/region"), ("region-statistics", "/region/statistik")):
        page.goto(staff_web.base_url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways"
        check_page(page, f"phone-{name}", folder=ARTIFACTS / "phone")
    private = page.get_by_role("row", name=demo.UNIT_NAMES[demo.PRIVATE_CARE_GIVER])
    expect(private.get_by_role("cell").first).to_have_text("<5")
    total = page.get_by_role("row", name="Summa")
    expect(total.get_by_role("cell").first).to_have_text(re.compile(r"^[0-9]+$"))
    page.get_by_label("Månad", exact=True).fill("2020-01")
    page.get_by_role("button", name="Visa månaden").click()
    expect(page.get_by_text("2020-01-01 – 2020-01-31")).to_be_visible()
    check_page(page, "phone-region-statistics-month", folder=ARTIFACTS / "phone")
    context.close()
