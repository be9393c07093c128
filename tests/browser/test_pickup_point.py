"""A home kit to a pickup point through the 1177 stand-in, on a 390 px phone: the patient picks
the sampling site where they collect the kit (the only way for a patient with protected
identity, open to anyone), and the lab gets the order with that site and no address."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from consumers import LabSystem
from eph import demo
from tests.support import PlatformProcess

from .citizen import (
    CitizenWebProcess,
    adult,
    connection,
    login,
    no_horizontal_scroll,
    phone_context,
    placed,
    shot,
    web_fixture,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
web = web_fixture("citizen-web-pickup")


def test_a_kit_to_a_pickup_point_on_a_phone(browser: Browser, web: CitizenWebProcess, demo_platform: PlatformProcess,
                                           database_url: str) -> None:
    context = phone_context(browser)
    page = context.new_page()
    login(page, web, adult())
    page.goto(web.base_url + "/bestall?prov=CTNG")
    expect(page.get_by_role("heading", name="Hämta kitet på en mottagning")).to_be_visible()
    page.get_by_role("button", name="Beställ kit att hämta").click()
    expect(page.get_by_text("Välj mottagningen där du hämtar kitet.")).to_be_visible()  # nothing chosen: nothing sent
    shot(page, "pickup-not-chosen")
    no_horizontal_scroll(page, "pickup-not-chosen")
    page.get_by_label("Mottagning där du hämtar kitet").select_option(demo.SITE_A_CENTRE)
    page.get_by_role("button", name="Beställ kit att hämta").click()
    order_id, _ = placed(page, "pickup")
    no_horizontal_scroll(page, "pickup-placed")
    context.close()
    order = next(o for o in LabSystem(connection(demo_platform, demo.LAB_A)).poll_orders() if o.orderId == order_id)
    assert (order.samplingMode, order.samplingUnitHSAId, order.deliveryAddress) == ("HOME_KIT", demo.SITE_A_CENTRE, None)
